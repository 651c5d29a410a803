import Foundation
import Linalg

/// The NumPy `.npy` format, versions 1.0–3.0.
///
/// A file is the magic `\x93NUMPY`, a major and minor version byte, the header length (UInt16 LE
/// in 1.0, UInt32 LE in 2.0/3.0), and an ASCII (3.0: UTF-8) Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a newline,
/// followed by the raw elements. See numpy/lib/format.py ("Format Version 1.0").
public enum NPY {
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// A supported element type: floats (f2/f4/f8), signed and unsigned integers (1–8 bytes), bool.
    public struct DType: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Character, Sendable { case float = "f", signed = "i", unsigned = "u", bool = "b" }
        public var kind: Kind
        public var size: Int
        public var bigEndian: Bool

        public static let float32 = DType(kind: .float, size: 4, bigEndian: false)

        public var description: String { "\(bigEndian ? ">" : "<")\(kind.rawValue)\(size)" }

        /// Parses a `descr` such as `<f4`, `>i8`, `|u1`, `|b1`, `=f8`.
        public static func parse(_ descr: String, at source: String) throws -> DType {
            let chars = Array(descr)
            guard chars.count >= 2 else { throw unsupported(descr, at: source) }
            var bigEndian: Bool
            switch chars[0] {
            case "<", "|": bigEndian = false
            case ">": bigEndian = true
            case "=": bigEndian = false  // native; this is a little-endian machine
            default: throw unsupported(descr, at: source)
            }
            if chars[1] == "O" {
                throw EmbedVizError.input(
                    "object arrays are not supported (dtype '\(descr)'); save a numeric array, e.g. np.save(path, x.astype(np.float32))",
                    at: source)
            }
            guard let size = Int(String(chars[2...])) else { throw unsupported(descr, at: source) }
            let kind = Kind(rawValue: chars[1])
            let valid: Bool
            switch kind {
            case .float: valid = [2, 4, 8].contains(size)
            case .signed, .unsigned: valid = [1, 2, 4, 8].contains(size)
            case .bool: valid = size == 1
            case nil: valid = false
            }
            guard let kind, valid else { throw unsupported(descr, at: source) }
            if size == 1 { bigEndian = false }
            return DType(kind: kind, size: size, bigEndian: bigEndian)
        }

        static func unsupported(_ descr: String, at source: String) -> EmbedVizError {
            EmbedVizError.input(
                "unsupported dtype '\(descr)'; supported: float16/32/64, int8–64, uint8–64, bool (convert with x.astype(np.float32))",
                at: source)
        }

        /// Converts `count` elements at `raw` to Float.
        func convert(_ raw: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
            @inline(__always) func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                let v = raw.loadUnaligned(fromByteOffset: i * size, as: T.self)
                return bigEndian ? T(bigEndian: v) : T(littleEndian: v)
            }
            switch (kind, size) {
            case (.float, 4) where !bigEndian:
                memcpy(out, raw, count * 4)
            case (.float, 4): for i in 0..<count { out[i] = Float(bitPattern: load(UInt32.self, i)) }
            case (.float, 8): for i in 0..<count { out[i] = Float(Double(bitPattern: load(UInt64.self, i))) }
            case (.float, 2): for i in 0..<count { out[i] = Float(Float16(bitPattern: load(UInt16.self, i))) }
            case (.signed, 1): for i in 0..<count { out[i] = Float(load(Int8.self, i)) }
            case (.signed, 2): for i in 0..<count { out[i] = Float(load(Int16.self, i)) }
            case (.signed, 4): for i in 0..<count { out[i] = Float(load(Int32.self, i)) }
            case (.signed, 8): for i in 0..<count { out[i] = Float(load(Int64.self, i)) }
            case (.unsigned, 1), (.bool, 1): for i in 0..<count { out[i] = Float(load(UInt8.self, i)) }
            case (.unsigned, 2): for i in 0..<count { out[i] = Float(load(UInt16.self, i)) }
            case (.unsigned, 4): for i in 0..<count { out[i] = Float(load(UInt32.self, i)) }
            case (.unsigned, 8): for i in 0..<count { out[i] = Float(load(UInt64.self, i)) }
            default: preconditionFailure("dtype \(self) passed validation but has no conversion")
            }
        }
    }

    /// What an `.npy` header says.
    public struct Header: Sendable, Equatable {
        public var dtype: DType
        public var fortranOrder: Bool
        public var shape: [Int]
        /// Bytes before the data (magic, version, length, dict, padding).
        public var dataOffset: Int

        public var count: Int { shape.reduce(1, *) }

        /// The array seen as a matrix: `(N,)` → N×1, `(N, D)` → N×D, `(N, a, b, …)` → N×(a·b·…), `()` → 1×1.
        public var matrixShape: (rows: Int, columns: Int) {
            switch shape.count {
            case 0: (1, 1)
            case 1: (shape[0], 1)
            default: (shape[0], shape.dropFirst().reduce(1, *))
            }
        }
    }

    /// Reads and validates the header from the start of a stream.
    public static func readHeader(from source: some ByteSource, at name: String) throws -> Header {
        let prefix = try source.read(count: 10)
        guard prefix.count == 10, Array(prefix[0..<6]) == magic else {
            throw EmbedVizError.input("not an NPY file: it does not start with \\x93NUMPY", at: name)
        }
        let major = prefix[6]
        let headerLength: Int
        var consumed = 10
        switch major {
        case 1:
            headerLength = Int(prefix[8]) | Int(prefix[9]) << 8
        case 2, 3:
            let more = try source.read(count: 2)
            guard more.count == 2 else { throw EmbedVizError.input("truncated NPY header", at: name) }
            headerLength = Int(prefix[8]) | Int(prefix[9]) << 8 | Int(more[0]) << 16 | Int(more[1]) << 24
            consumed = 12
        default:
            throw EmbedVizError.input("unsupported NPY format version \(major).\(prefix[7]) (supported: 1.0–3.0)", at: name)
        }
        guard headerLength <= 1 << 24 else {
            throw EmbedVizError.input("NPY header length \(headerLength) is not plausible (garbled file?)", at: name)
        }
        let text = try source.read(count: headerLength)
        guard text.count == headerLength, let dict = String(bytes: text, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw EmbedVizError.input("truncated NPY header: \(headerLength) bytes announced, \(text.count) present", at: name)
        }
        var header = try parseDict(dict, at: name)
        header.dataOffset = consumed + headerLength
        return header
    }

    /// Parses the header dict (`descr`, `fortran_order`, `shape`).
    static func parseDict(_ text: String, at name: String) throws -> Header {
        var parser = PythonLiteralParser(text: text, source: name)
        guard case .dict(let entries) = try parser.parseValue() else {
            throw EmbedVizError.input("NPY header is not a dict", at: name)
        }
        var descr: String?, fortran: Bool?, shape: [Int]?
        for (key, value) in entries {
            switch (key, value) {
            case ("descr", .string(let s)): descr = s
            case ("descr", .list):
                throw EmbedVizError.input("structured (record) dtypes are not supported; save a plain numeric array", at: name)
            case ("fortran_order", .bool(let b)): fortran = b
            case ("shape", .tuple(let items)):
                shape = try items.map { item in
                    guard case .int(let v) = item, v >= 0 else {
                        throw EmbedVizError.input("NPY shape must hold non-negative integers", at: name)
                    }
                    return v
                }
            default: continue
            }
        }
        guard let descr, let fortran, let shape else {
            throw EmbedVizError.input("NPY header lacks one of 'descr', 'fortran_order', 'shape'", at: name)
        }
        var total = 1
        for d in shape {
            let (p, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, p <= 1 << 38 else {
                throw EmbedVizError.input("NPY shape \(shape) describes more data than any real file holds", at: name)
            }
            total = p
        }
        return Header(dtype: try DType.parse(descr, at: name), fortranOrder: fortran, shape: shape, dataOffset: 0)
    }

    /// A version 1.0 header for a float32, C-order array, padded to `length` bytes in total
    /// (a multiple of 64, as NumPy aligns data), or to the next multiple of 64 when `length` is nil.
    public static func encodeHeader(shape: [Int], dtype: DType = .float32, length: Int? = nil) -> [UInt8] {
        let dims = shape.map(String.init)
        let shapeText = shape.count == 1 ? "(\(dims[0]),)" : "(\(dims.joined(separator: ", ")))"
        var dict = "{'descr': '\(dtype)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + dict.utf8.count + 1
        let total = length ?? ((unpadded + 63) / 64 * 64)
        precondition(total >= unpadded && total - 10 <= 65535, "NPY header does not fit \(total) bytes")
        dict += String(repeating: " ", count: total - unpadded) + "\n"
        let headerLength = total - 10
        return magic + [1, 0, UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)] + Array(dict.utf8)
    }

    /// Writes a matrix as a float32, C-order `.npy` file (atomically). `shape` defaults to the
    /// matrix's `[rows, columns]`; pass e.g. `[n]` for a vector.
    public static func write(_ matrix: Matrix, to path: String, shape: [Int]? = nil) throws {
        let shape = shape ?? [matrix.rows, matrix.columns]
        precondition(shape.reduce(1, *) == matrix.count, "shape \(shape) does not fit \(matrix.count) elements")
        try OutputFile.write(to: path) { file in
            try file.write(encodeHeader(shape: shape))
            try matrix.withUnsafeBufferPointer { try file.write(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Writes a vector as a 1-D float32 `.npy` file.
    public static func write(_ vector: [Float], to path: String) throws {
        try write(Matrix(rows: vector.count, columns: 1, storage: vector), to: path, shape: [vector.count])
    }

    /// Reads any supported `.npy` file (plain or gzip) as a Float matrix; see `Header.matrixShape`.
    public static func read(_ path: String) throws -> Matrix {
        try MatrixReader(path: path, options: .init(format: .npy)).readAll()
    }
}

/// The subset of Python literal syntax an NPY header uses: dicts, tuples, lists, strings,
/// integers, True/False/None.
struct PythonLiteralParser {
    indirect enum Value {
        case dict([(String, Value)]), tuple([Value]), list([Value]), string(String), int(Int), bool(Bool), none
    }

    let chars: [Character]
    var i = 0
    let source: String

    init(text: String, source: String) {
        self.chars = Array(text)
        self.source = source
    }

    mutating func parseValue() throws -> Value {
        skipSpace()
        guard i < chars.count else { throw fail("unexpected end") }
        switch chars[i] {
        case "{":
            i += 1
            var entries: [(String, Value)] = []
            while true {
                skipSpace()
                if peek("}") { i += 1; return .dict(entries) }
                guard case .string(let key) = try parseValue() else { throw fail("dict key is not a string") }
                skipSpace()
                guard peek(":") else { throw fail("expected ':'") }
                i += 1
                entries.append((key, try parseValue()))
                skipSpace()
                if peek(",") { i += 1 } else if !peek("}") { throw fail("expected ',' or '}'") }
            }
        case "(", "[":
            let close: Character = chars[i] == "(" ? ")" : "]"
            let isTuple = chars[i] == "("
            i += 1
            var items: [Value] = []
            while true {
                skipSpace()
                if peek(close) { i += 1; return isTuple ? .tuple(items) : .list(items) }
                items.append(try parseValue())
                skipSpace()
                if peek(",") { i += 1 } else if !peek(close) { throw fail("expected ',' or '\(close)'") }
            }
        case "'", "\"":
            let quote = chars[i]
            i += 1
            var s = ""
            while i < chars.count && chars[i] != quote {
                s.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw fail("unterminated string") }
            i += 1
            return .string(s)
        default:
            var word = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" {
                word.append(chars[i])
                i += 1
            }
            if word == "True" { return .bool(true) }
            if word == "False" { return .bool(false) }
            if word == "None" { return .none }
            if word.hasSuffix("L") { word.removeLast() }  // Python 2 longs
            guard let v = Int(word) else { throw fail("unexpected '\(word.isEmpty ? String(chars[i]) : word)'") }
            return .int(v)
        }
    }

    private mutating func skipSpace() {
        while i < chars.count, chars[i].isWhitespace { i += 1 }
    }

    private func peek(_ c: Character) -> Bool { i < chars.count && chars[i] == c }

    private func fail(_ what: String) -> EmbedVizError {
        EmbedVizError.input("malformed NPY header: \(what) at character \(i)", at: source)
    }
}
