import Datasets
import Foundation
import Linalg

/// PCA models and partial statistics on disk, as NumPy `.npz` archives (so `np.load` opens them).
///
/// A model holds `mean` (D), `components` (k×D), `explained_variance`, `explained_variance_ratio`,
/// `singular_values` (k), `total_variance` and `n_samples` (scalars), and `embedviz` (UTF-8 JSON:
/// kind "pca-model", format version, solver, whiten). A partial fit (one shard of a sharded fit)
/// holds `n_samples`, `mean` and `cross_product` (D×D, Σ (x − mean)(x − mean)ᵀ) with kind "pca-partial".
public enum PCAFiles {
    public static let version = 1

    struct Info: ModelArchive.Header {
        var kind: String
        var version: Int
        var solver: PCASolver?
        var whiten: Bool?
    }

    public static func write(_ model: PCAModel, to path: String) throws {
        let info = Info(kind: "pca-model", version: version, solver: model.solver, whiten: model.whiten)
        try NPZ.write([
            try ModelArchive.headerEntry(info),
            ("mean", .doubles(model.mean)),
            ("components", NamedArray(shape: [model.componentCount, model.dimension], .float32(model.components.storage))),
            ("explained_variance", .doubles(model.explainedVariance)),
            ("explained_variance_ratio", .doubles(model.explainedVarianceRatio)),
            ("singular_values", .doubles(model.singularValues)),
            ("total_variance", .scalar(model.totalVariance)),
            ("n_samples", .scalar(model.samples)),
        ], to: path)
    }

    public static func write(_ statistics: CovarianceAccumulator, to path: String) throws {
        let info = Info(kind: "pca-partial", version: version)
        try NPZ.write([
            try ModelArchive.headerEntry(info),
            ("n_samples", .scalar(statistics.count)),
            ("mean", .doubles(statistics.mean)),
            ("cross_product", .doubles(statistics.symmetrised, shape: [statistics.dimension, statistics.dimension])),
        ], to: path)
    }

    public static func readModel(_ path: String) throws -> PCAModel {
        try decodeModel(try InputFile.readAll(path), source: path)
    }

    /// Parses a model file's bytes (as `readModel` does a file's).
    public static func decodeModel(_ bytes: [UInt8], source path: String) throws -> PCAModel {
        let file = ModelArchive.Reader(try NPZ.decode(bytes, source: path), path: path, what: "the PCA file")
        let info = try header(file, kind: "pca-model")
        let mean = try file.values("mean")
        let d = mean.count
        let componentsArray = try file.array("components")
        guard componentsArray.shape.count == 2, componentsArray.shape[1] == d, componentsArray.shape[0] >= 1 else {
            throw EmbedVizError.input("components have shape \(componentsArray.shape), expected (k, \(d))", at: path)
        }
        let k = componentsArray.shape[0]
        let variance = try file.values("explained_variance", count: k)
        let ratio = try file.values("explained_variance_ratio", count: k)
        let singular = try file.values("singular_values", count: k)
        let total = try file.scalar("total_variance")
        let samples = try file.scalar("n_samples")
        let components = Matrix(rows: k, columns: d, storage: componentsArray.doubleValues.map { Float($0) })
        guard components.storage.allSatisfy(\.isFinite) else {
            throw EmbedVizError.input("components contain non-finite values", at: path)
        }
        return PCAModel(mean: mean, components: components, explainedVariance: variance, explainedVarianceRatio: ratio,
                        singularValues: singular, totalVariance: total, samples: Int(samples), whiten: info.whiten ?? false,
                        solver: info.solver ?? .covariance)
    }

    public static func readPartial(_ path: String) throws -> CovarianceAccumulator {
        let file = ModelArchive.Reader(try NPZ.read(path), path: path, what: "the PCA file")
        _ = try header(file, kind: "pca-partial")
        let mean = try file.values("mean")
        let cross = try file.values("cross_product", count: mean.count * mean.count)
        let samples = try file.scalar("n_samples")
        guard samples >= 0, samples == samples.rounded() else {
            throw EmbedVizError.input("n_samples must be a non-negative integer", at: path)
        }
        do {
            return try CovarianceAccumulator(count: Int(samples), mean: mean, crossProduct: cross)
        } catch let error as EmbedVizError {
            throw error.located(at: path)
        }
    }

    private static func header(_ file: ModelArchive.Reader, kind: String) throws -> Info {
        let info = try file.header(Info.self, version: version, format: "PCA file")
        guard info.kind == kind else {
            let hint: EmbedVizError.Text = kind == "pca-model"
                ? "a partial fit; combine partials with \(call: "CovarianceAccumulator.merge(_:)") first"
                : "a fitted model; \(call: "CovarianceAccumulator.merge(_:)") takes the partial files written by \(call: "PCAFiles.write(_:CovarianceAccumulator,to:)")"
            throw EmbedVizError.input("this is \(hint)", at: file.path)
        }
        return info
    }
}
