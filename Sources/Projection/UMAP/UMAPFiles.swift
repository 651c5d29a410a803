import Datasets
import Foundation
import Linalg

/// UMAP models on disk, as NumPy `.npz` archives (so `np.load` opens them): `embedding` (N×d
/// float32, the reference map), `data` (N×D float32, the reference data the new points' neighbours
/// are searched among), `a`, `b` (the curve), `n_neighbors` (umap-learn's count, the point itself
/// included), `metric` (UTF-8), and `embedviz` (UTF-8 JSON: kind "umap-model", format version, the
/// fit's parameters and epochs). Its size is 4·N·(D + d) bytes plus a few hundred: proportional to
/// the data (the neighbour index is rebuilt from `data` when the model is read).
public enum UMAPFiles {
    public static let version = 1

    struct Info: Codable {
        var kind: String
        var version: Int
        var parameters: UMAPParameters?
        var epochs: Int?
    }

    public static func write(_ model: UMAPModel, to path: String) throws {
        let info = Info(kind: "umap-model", version: version, parameters: model.parameters, epochs: model.epochs)
        try NPZ.write([
            ("embedviz", .text(String(decoding: try JSONCoding.encoder(pretty: false).encode(info), as: UTF8.self))),
            ("a", .scalar(model.curve.a)),
            ("b", .scalar(model.curve.b)),
            ("n_neighbors", .scalar(model.parameters.neighbours)),
            ("metric", .text(model.parameters.neighbourSearch.metric.rawValue)),
            ("embedding", NamedArray(shape: [model.embedding.rows, model.embedding.columns], .float32(model.embedding.storage))),
            ("data", NamedArray(shape: [model.data.rows, model.data.columns], .float32(model.data.storage))),
        ], to: path)
    }

    public static func readModel(_ path: String) throws -> UMAPModel {
        let arrays = try NPZ.decode(try InputFile.readAll(path), source: path)
        guard let text = arrays["embedviz"]?.text,
              let info = try? JSONCoding.decoder().decode(Info.self, from: Data(text.utf8)) else {
            throw EmbedVizError.input("not an EmbedViz UMAP model (no 'embedviz' header array)", at: path)
        }
        guard info.kind == "umap-model" else { throw EmbedVizError.input("this is a '\(info.kind)' file, not a UMAP model", at: path) }
        guard info.version == version else {
            throw EmbedVizError.input("UMAP model format version \(info.version) is not supported (this version of EmbedViz reads \(version))", at: path)
        }
        guard let parameters = info.parameters, let epochs = info.epochs else {
            throw EmbedVizError.input("the UMAP model's header has no parameters", at: path)
        }
        let a = try scalar(arrays, "a", path: path), b = try scalar(arrays, "b", path: path)
        let embedding = try matrix(arrays, "embedding", path: path)
        let data = try matrix(arrays, "data", path: path)
        guard embedding.rows == data.rows else {
            throw EmbedVizError.input("the UMAP model's map has \(embedding.rows) rows, its data \(data.rows)", at: path)
        }
        guard a > 0, b > 0 else { throw EmbedVizError.input("the UMAP model's curve needs a, b > 0, got \(a), \(b)", at: path) }
        return UMAPModel(parameters: parameters, curve: MapCurve(a: a, b: b), epochs: epochs, embedding: embedding, data: data)
    }

    private static func scalar(_ arrays: [String: NamedArray], _ name: String, path: String) throws -> Double {
        guard let v = arrays[name]?.doubleValues, v.count == 1, v[0].isFinite else {
            throw EmbedVizError.input("the UMAP model has no finite scalar '\(name)'", at: path)
        }
        return v[0]
    }

    private static func matrix(_ arrays: [String: NamedArray], _ name: String, path: String) throws -> Matrix {
        guard let a = arrays[name] else { throw EmbedVizError.input("the UMAP model has no '\(name)' array", at: path) }
        guard a.shape.count == 2 else { throw EmbedVizError.input("'\(name)' has shape \(a.shape), expected 2 dimensions", at: path) }
        let values: [Float]
        if case .float32(let v) = a.values { values = v } else { values = a.doubleValues.map { Float($0) } }
        let m = Matrix(rows: a.shape[0], columns: a.shape[1], storage: values)
        guard values.allSatisfy(\.isFinite) else { throw EmbedVizError.input("'\(name)' contains non-finite values", at: path) }
        return m
    }
}
