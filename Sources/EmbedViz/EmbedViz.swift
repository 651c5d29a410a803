// EmbedViz for library users: one import for every module.
//
//     import EmbedViz
//     let model = try PCA(components: 2).fit(x)          // Projection
//     let map = try TSNE().fit(x).embedding               // Projection
//     try NPY.write(map, to: "map.npy")                  // Datasets
//     let summary = try TutorialStudy(options: .init()).run()  // Study
//
// The modules can also be imported one by one (Linalg, Datasets, NeuralNet, Projection, Plot, Report, Study).
@_exported import Datasets
@_exported import Linalg
@_exported import NeuralNet
@_exported import Plot
@_exported import Projection
@_exported import Report
@_exported import Study
