import Linalg

/// A projection's map with the record of how it was made, the one way every map is saved (`tsne`,
/// `umap`, the study's `tsne2d.npy` and `umap2d.npy`): the map at `path` and, beside a file (not
/// `-`, standard output), the record as `path.json`.
public enum MapFile {
    /// - Parameter format: nil = by the path's extension, else NPY.
    public static func write<Record: Encodable>(_ map: Matrix, record: Record, to path: String, format: ArrayFormat? = nil) throws {
        try MatrixWriter.write(map, to: path, format: format)
        if path != "-" { try JSONCoding.write(record, to: path + ".json") }
    }
}
