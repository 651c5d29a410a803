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

    struct Info: Codable {
        var kind: String
        var version: Int
        var solver: PCASolver?
        var whiten: Bool?
    }

    public static func write(_ model: PCAModel, to path: String) throws {
        let info = Info(kind: "pca-model", version: version, solver: model.solver, whiten: model.whiten)
        try NPZ.write([
            ("embedviz", .text(String(decoding: try JSONCoding.encoder(pretty: false).encode(info), as: UTF8.self))),
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
            ("embedviz", .text(String(decoding: try JSONCoding.encoder(pretty: false).encode(info), as: UTF8.self))),
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
        let arrays = try NPZ.decode(bytes, source: path)
        let info = try header(arrays, path: path, kind: "pca-model")
        let mean = try values(arrays, "mean", path: path)
        let d = mean.count
        let componentsArray = try array(arrays, "components", path: path)
        guard componentsArray.shape.count == 2, componentsArray.shape[1] == d, componentsArray.shape[0] >= 1 else {
            throw EmbedVizError.input("components have shape \(componentsArray.shape), expected (k, \(d))", at: path)
        }
        let k = componentsArray.shape[0]
        let variance = try values(arrays, "explained_variance", path: path, count: k)
        let ratio = try values(arrays, "explained_variance_ratio", path: path, count: k)
        let singular = try values(arrays, "singular_values", path: path, count: k)
        let total = try values(arrays, "total_variance", path: path, count: 1)[0]
        let samples = try values(arrays, "n_samples", path: path, count: 1)[0]
        let components = Matrix(rows: k, columns: d, storage: componentsArray.doubleValues.map { Float($0) })
        guard components.storage.allSatisfy(\.isFinite) else {
            throw EmbedVizError.input("components contain non-finite values", at: path)
        }
        return PCAModel(mean: mean, components: components, explainedVariance: variance, explainedVarianceRatio: ratio,
                        singularValues: singular, totalVariance: total, samples: Int(samples), whiten: info.whiten ?? false,
                        solver: info.solver ?? .covariance)
    }

    public static func readPartial(_ path: String) throws -> CovarianceAccumulator {
        let arrays = try NPZ.read(path)
        _ = try header(arrays, path: path, kind: "pca-partial")
        let mean = try values(arrays, "mean", path: path)
        let cross = try values(arrays, "cross_product", path: path, count: mean.count * mean.count)
        let samples = try values(arrays, "n_samples", path: path, count: 1)[0]
        guard samples >= 0, samples == samples.rounded() else {
            throw EmbedVizError.input("n_samples must be a non-negative integer", at: path)
        }
        do {
            return try CovarianceAccumulator(count: Int(samples), mean: mean, crossProduct: cross)
        } catch let error as EmbedVizError {
            throw error.located(at: path)
        }
    }

    private static func header(_ arrays: [String: NamedArray], path: String, kind: String) throws -> Info {
        guard let text = arrays["embedviz"]?.text,
              let info = try? JSONCoding.decoder().decode(Info.self, from: Data(text.utf8)) else {
            throw EmbedVizError.input("not an EmbedViz PCA file (no 'embedviz' header array)", at: path)
        }
        guard info.kind == kind else {
            let hint: EmbedVizError.Text = kind == "pca-model"
                ? "a partial fit; combine partials with \(call: "CovarianceAccumulator.merge(_:)") first"
                : "a fitted model; \(call: "CovarianceAccumulator.merge(_:)") takes the partial files written by \(call: "PCAFiles.write(_:CovarianceAccumulator,to:)")"
            throw EmbedVizError.input("this is \(hint)", at: path)
        }
        guard info.version == version else {
            throw EmbedVizError.input("PCA file format version \(info.version) is not supported (this version of EmbedViz reads \(version))", at: path)
        }
        return info
    }

    private static func array(_ arrays: [String: NamedArray], _ name: String, path: String) throws -> NamedArray {
        guard let a = arrays[name] else { throw EmbedVizError.input("the PCA file has no '\(name)' array", at: path) }
        return a
    }

    private static func values(_ arrays: [String: NamedArray], _ name: String, path: String, count: Int? = nil) throws -> [Double] {
        let v = try array(arrays, name, path: path).doubleValues
        if let count, v.count != count {
            throw EmbedVizError.input("'\(name)' has \(v.count) values, expected \(count)", at: path)
        }
        guard v.allSatisfy(\.isFinite) else { throw EmbedVizError.input("'\(name)' contains non-finite values", at: path) }
        return v
    }
}
