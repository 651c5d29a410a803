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

    public init(pca: PCAModel, pca2D: Matrix, pca3D: Matrix, tsne2D: TSNEResult, tsne3D: TSNEResult?) {
        self.pca = pca
        self.pca2D = pca2D
        self.pca3D = pca3D
        self.tsne2D = tsne2D
        self.tsne3D = tsne3D
    }
}

/// PCA (2-D and 3-D) and t-SNE (2-D, optionally 3-D) of an embedding set. Writes `pca.npz`,
/// `pca2d.npy`, `pca3d.npy`, `tsne2d.npy` (+ `.json`, how it was made) and `tsne3d.npy` (+ `.json`)
/// into the set's directory under `output`.
public struct ProjectionStage: Sendable {
    public var output: String
    public var pcaComponents = 10
    public var tsne = TSNEParameters()
    /// nil: no 3-D t-SNE.
    public var tsne3D: TSNEParameters?

    public init(output: String, tsne: TSNEParameters = TSNEParameters(), tsne3D: TSNEParameters? = nil) {
        self.output = output
        self.tsne = tsne
        self.tsne3D = tsne3D
    }

    public func run(_ set: EmbeddingSet, runner: StageRunner) throws -> Projections {
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
        func runTSNE(_ parameters: TSNEParameters, file: String) throws -> TSNEResult {
            let name = "t-SNE \(parameters.dimensions)D (\(set.name))"
            return try runner.stage(name) { () -> (TSNEResult, String) in
                let result = try TSNE(parameters).fit(set.features) { runner.events(.tsneProgress($0, label: name)) }
                try NPY.write(result.embedding, to: directory + "/" + file)
                try JSONCoding.write(result.record, to: directory + "/" + file + ".json")
                return (result, String(format: "%@, KL %.4f", result.record.method.rawValue, result.record.klDivergence))
            }
        }
        let map2D = try runTSNE(tsne, file: "tsne2d.npy")
        let map3D = try tsne3D.map { try runTSNE($0, file: "tsne3d.npy") }
        return Projections(pca: pca, pca2D: pca3D.leadingColumns(2), pca3D: pca3D, tsne2D: map2D, tsne3D: map3D)
    }
}
