import Datasets
import Foundation
import Linalg
import Projection

/// The maps of one embedding set.
public struct Projections: Sendable {
    /// Fitted with up to ten components (for the scree plot); the maps use the first two and three.
    public var pca: PCAModel
    public var pca2D: Matrix
    public var pca3D: Matrix
    public var tsne2D: TSNEResult
    public var tsne3D: TSNEResult?
    public var umap2D: UMAPResult?

    public init(pca: PCAModel, pca2D: Matrix, pca3D: Matrix, tsne2D: TSNEResult, tsne3D: TSNEResult?, umap2D: UMAPResult? = nil) {
        self.pca = pca
        self.pca2D = pca2D
        self.pca3D = pca3D
        self.tsne2D = tsne2D
        self.tsne3D = tsne3D
        self.umap2D = umap2D
    }
}

/// PCA (2-D and 3-D), t-SNE (2-D, optionally 3-D) and optionally UMAP (2-D) of an embedding set.
/// Writes `pca.npz`, `pca2d.npy`, `pca3d.npy`, `tsne2d.npy` (+ `.json`, how it was made),
/// `tsne3d.npy` (+ `.json`) and `umap2d.npy` (+ `.json`) into the set's directory under `output`.
/// UMAP runs last and draws only from its own seed: the other maps are the same with it or without it.
public struct ProjectionStage: Sendable {
    public var output: String
    public var pcaComponents = 10
    public var tsne = TSNEParameters()
    /// nil: no 3-D t-SNE.
    public var tsne3D: TSNEParameters?
    /// The 2-D UMAP's parameters (`dimensions` 2); nil: no UMAP.
    public var umap: UMAPParameters?

    public init(output: String, tsne: TSNEParameters = TSNEParameters(), tsne3D: TSNEParameters? = nil,
                umap: UMAPParameters? = nil) {
        precondition(umap.map { $0.dimensions == 2 } ?? true, "the study's UMAP map is 2-D")
        self.output = output
        self.tsne = tsne
        self.tsne3D = tsne3D
        self.umap = umap
    }

    /// The k of the neighbour lists each map of `points` points will ask for, for the maps whose
    /// search finds lists as `search` does (`SharedNeighbours.sameLists`).
    public func neighbourDemands(points: Int, dimensions: Int, search: NeighbourSearch) -> [Int] {
        let tsneDemands = ([tsne] + (tsne3D.map { [$0] } ?? [])).compactMap { t in
            SharedNeighbours.sameLists(t.neighbourSearch, search, points: points, dimensions: dimensions) ? t.neighbourCount(points: points) : nil
        }
        let umapDemand = umap.flatMap { u in SharedNeighbours.sameLists(u.neighbourSearch, search, points: points, dimensions: dimensions) ? u.neighbours - 1 : nil }
        return tsneDemands + (umapDemand.map { [$0] } ?? [])
    }

    /// The maps of `set`; their neighbour lists come from `shared` where it serves their searches.
    public func run(_ set: EmbeddingSet, shared: SharedNeighbours? = nil, runner: StageRunner) throws -> Projections {
        let directory = (output as NSString).appendingPathComponent(set.directory)
        try OutputFile.createDirectory(directory)
        let (pca, pca3D) = try runner.stage("PCA (\(set.name))") { () -> ((PCAModel, Matrix), String) in
            let fitted = try PCA(components: min(pcaComponents, set.features.columns)).fit(set.features)
            let projected = fitted.transform(set.features).leadingColumns(3)
            try PCAFiles.write(fitted, to: directory + "/pca.npz")
            try NPY.write(projected, to: directory + "/pca3d.npy")
            try NPY.write(projected.leadingColumns(2), to: directory + "/pca2d.npy")
            let ratios = fitted.explainedVarianceRatio.prefix(3).map { String(format: "%.3f", $0) }.joined(separator: ", ")
            return ((fitted, projected), "explained variance ratio \(ratios)")
        }
        /// The stage `method dD (set)`: `fit` makes the map (given the stage's name for its progress
        /// events), which is saved as `file` with its run record.
        func project<Result, Record: Encodable>(_ method: String, dimensions: Int, file: String,
                                                _ fit: (String) throws -> (Result, map: Matrix, record: Record, detail: String)) throws -> Result {
            let name = "\(method) \(dimensions)D (\(set.name))"
            return try runner.stage(name) { () -> (Result, String) in
                let (result, map, record, detail) = try fit(name)
                try MapFile.write(map, record: record, to: directory + "/" + file)
                return (result, detail)
            }
        }
        func runTSNE(_ parameters: TSNEParameters, file: String) throws -> TSNEResult {
            try project("t-SNE", dimensions: parameters.dimensions, file: file) { name in
                let result = try TSNE(parameters).fit(set.features, shared: shared) { runner.events(.tsneProgress($0, label: name)) }
                let r = result.record
                return (result, result.embedding, r, String(format: "%@, KL %.4f", r.method.rawValue, r.klDivergence))
            }
        }
        let map2D = try runTSNE(tsne, file: "tsne2d.npy")
        let map3D = try tsne3D.map { try runTSNE($0, file: "tsne3d.npy") }
        let umap2D = try umap.map { parameters in
            try project("UMAP", dimensions: parameters.dimensions, file: "umap2d.npy") { name in
                let result = try UMAP(parameters).fit(set.features, shared: shared) { runner.events(.umapProgress($0, label: name)) }
                let r = result.record
                return (result, result.embedding, r,
                        "\(r.initialization) start, \(r.epochs) epochs" + (r.crossEntropy.map { String(format: ", cross-entropy %.1f", $0) } ?? ""))
            }
        }
        return Projections(pca: pca, pca2D: pca3D.leadingColumns(2), pca3D: pca3D, tsne2D: map2D, tsne3D: map3D, umap2D: umap2D)
    }
}
