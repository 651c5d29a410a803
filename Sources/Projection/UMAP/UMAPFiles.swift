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

    struct Info: ModelArchive.Header {
        var kind: String
        var version: Int
        var parameters: UMAPParameters?
        var epochs: Int?
    }

    public static func write(_ model: UMAPModel, to path: String) throws {
        let info = Info(kind: "umap-model", version: version, parameters: model.parameters, epochs: model.epochs)
        try NPZ.write([
            try ModelArchive.headerEntry(info),
            ("a", .scalar(model.curve.a)),
            ("b", .scalar(model.curve.b)),
            ("n_neighbors", .scalar(model.parameters.neighbours)),
            ("metric", .text(model.parameters.neighbourSearch.metric.rawValue)),
            ("embedding", NamedArray(shape: [model.embedding.rows, model.embedding.columns], .float32(model.embedding.storage))),
            ("data", NamedArray(shape: [model.data.rows, model.data.columns], .float32(model.data.storage))),
        ], to: path)
    }

    public static func readModel(_ path: String) throws -> UMAPModel {
        let file = ModelArchive.Reader(try NPZ.decode(try InputFile.readAll(path), source: path), path: path, what: "the UMAP model")
        let info = try file.header(Info.self, version: version, format: "UMAP model")
        guard info.kind == "umap-model" else { throw EmbedVizError.input("this is a '\(info.kind)' file, not a UMAP model", at: path) }
        guard let parameters = info.parameters, let epochs = info.epochs else {
            throw EmbedVizError.input("the UMAP model's header has no parameters", at: path)
        }
        let a = try file.scalar("a"), b = try file.scalar("b")
        let embedding = try file.matrix("embedding")
        let data = try file.matrix("data")
        guard embedding.rows == data.rows else {
            throw EmbedVizError.input("the UMAP model's map has \(embedding.rows) rows, its data \(data.rows)", at: path)
        }
        guard a > 0, b > 0 else { throw EmbedVizError.input("the UMAP model's curve needs a, b > 0, got \(a), \(b)", at: path) }
        return UMAPModel(parameters: parameters, curve: MapCurve(a: a, b: b), epochs: epochs, embedding: embedding, data: data)
    }
}
