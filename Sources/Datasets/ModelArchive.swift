import Foundation
import Linalg

/// The conventions EmbedViz's model files share (`PCAFiles`, `UMAPFiles`): a NumPy `.npz` archive
/// whose `embedviz` array is a UTF-8 JSON header with at least a `kind` and a format `version`, and
/// whose other arrays are read with a check of their shape and of every value being finite. One
/// place for the header and the checks, so that every model file refuses a damaged archive with
/// the same kind of one-line error.
public enum ModelArchive {
    /// What a header must say.
    public protocol Header: Codable {
        var kind: String { get }
        var version: Int { get }
    }

    /// The `embedviz` entry of a header.
    public static func headerEntry(_ header: some Header) throws -> (String, NamedArray) {
        ("embedviz", .text(String(decoding: try JSONCoding.encoder(pretty: false).encode(header), as: UTF8.self)))
    }

    /// Reads an archive's arrays for checked access; `what` names the file in errors ("the UMAP model").
    public struct Reader {
        public let arrays: [String: NamedArray]
        public let path: String
        public let what: String

        public init(_ arrays: [String: NamedArray], path: String, what: String) {
            (self.arrays, self.path, self.what) = (arrays, path, what)
        }

        /// The header, checked to be of format `version`. `kind` is left to the caller (whose error
        /// for a file of another kind says what to do with it). `format` names the format in errors
        /// ("PCA file", "UMAP model").
        public func header<H: Header>(_ type: H.Type, version: Int, format: String) throws -> H {
            guard let text = arrays["embedviz"]?.text, let header = try? JSONCoding.decoder().decode(H.self, from: Data(text.utf8)) else {
                throw EmbedVizError.input("not an EmbedViz \(format) (no 'embedviz' header array)", at: path)
            }
            guard header.version == version else {
                throw EmbedVizError.input("\(format) format version \(header.version) is not supported (this version of EmbedViz reads \(version))",
                                          at: path)
            }
            return header
        }

        public func array(_ name: String) throws -> NamedArray {
            guard let a = arrays[name] else { throw EmbedVizError.input("\(what) has no '\(name)' array", at: path) }
            return a
        }

        /// The values of `name` (of `count` of them, when given), all finite.
        public func values(_ name: String, count: Int? = nil) throws -> [Double] {
            let v = try array(name).doubleValues
            if let count, v.count != count {
                throw EmbedVizError.input("'\(name)' has \(v.count) values, expected \(count)", at: path)
            }
            guard v.allSatisfy(\.isFinite) else { throw EmbedVizError.input("'\(name)' contains non-finite values", at: path) }
            return v
        }

        /// The one finite value of `name`.
        public func scalar(_ name: String) throws -> Double { try values(name, count: 1)[0] }

        /// `name` as a matrix: two dimensions, every value finite.
        public func matrix(_ name: String) throws -> Matrix {
            let a = try array(name)
            guard a.shape.count == 2 else { throw EmbedVizError.input("'\(name)' has shape \(a.shape), expected 2 dimensions", at: path) }
            let values: [Float]
            if case .float32(let v) = a.values { values = v } else { values = a.doubleValues.map { Float($0) } }
            guard values.allSatisfy(\.isFinite) else { throw EmbedVizError.input("'\(name)' contains non-finite values", at: path) }
            return Matrix(rows: a.shape[0], columns: a.shape[1], storage: values)
        }
    }
}
