import CZlib
import Foundation
import Linalg

/// A named n-dimensional array as stored in `.npy`/`.npz` files: float64, float32, int64 or uint8.
public struct NamedArray: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case float64([Double]), float32([Float]), int64([Int64]), uint8([UInt8])
    }

    public var shape: [Int]
    public var values: Values

    public init(shape: [Int], _ values: Values) {
        self.shape = shape
        self.values = values
    }

    public static func doubles(_ v: [Double], shape: [Int]? = nil) -> NamedArray { NamedArray(shape: shape ?? [v.count], .float64(v)) }
    public static func scalar(_ v: Double) -> NamedArray { NamedArray(shape: [], .float64([v])) }
    public static func scalar(_ v: Int) -> NamedArray { NamedArray(shape: [], .int64([Int64(v)])) }
    public static func text(_ s: String) -> NamedArray { let b = Array(s.utf8); return NamedArray(shape: [b.count], .uint8(b)) }

    var dtype: NPY.DType {
        switch values {
        case .float64: NPY.DType(kind: .float, size: 8, bigEndian: false)
        case .float32: .float32
        case .int64: NPY.DType(kind: .signed, size: 8, bigEndian: false)
        case .uint8: NPY.DType(kind: .unsigned, size: 1, bigEndian: false)
        }
    }

    /// The `.npy` encoding (version 1.0, C order, little-endian).
    public func npyBytes() -> [UInt8] {
        var bytes = NPY.encodeHeader(shape: shape, dtype: dtype)
        switch values {
        case .float64(let v): v.withUnsafeBytes { bytes += $0 }
        case .float32(let v): v.withUnsafeBytes { bytes += $0 }
        case .int64(let v): v.withUnsafeBytes { bytes += $0 }
        case .uint8(let v): bytes += v
        }
        return bytes
    }

    /// Decodes an `.npy` file's bytes (any supported dtype; read as Double, or kept as bytes for uint8).
    public static func decode(npy bytes: [UInt8], source: String) throws -> NamedArray {
        let header = try NPY.readHeader(from: MemoryBytes(bytes), at: source)
        let count = header.count
        let size = header.dtype.size
        guard bytes.count == header.dataOffset + count * size else {
            throw EmbedVizError.input("array data is \(bytes.count - header.dataOffset) bytes, the header describes \(count * size)", at: source)
        }
        guard !header.fortranOrder || header.shape.count <= 1 else {
            throw EmbedVizError.input("Fortran-ordered arrays are not supported here", at: source)
        }
        if header.dtype.kind == .unsigned && size == 1 {
            return NamedArray(shape: header.shape, .uint8(Array(bytes[header.dataOffset...])))
        }
        var floats = [Float](repeating: 0, count: count)
        var doubles = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + header.dataOffset
            if header.dtype.kind == .float && size == 8 {
                for i in 0..<count {
                    let bits = base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
                    doubles[i] = Double(bitPattern: header.dtype.bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits))
                }
            } else if header.dtype.kind == .signed && size == 8 {
                for i in 0..<count {
                    let v = base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)
                    doubles[i] = Double(header.dtype.bigEndian ? Int64(bigEndian: v) : Int64(littleEndian: v))
                }
            } else {
                floats.withUnsafeMutableBufferPointer { header.dtype.convert(base, count: count, into: $0.baseAddress!) }
                doubles = floats.map(Double.init)
            }
        }
        return NamedArray(shape: header.shape, .float64(doubles))
    }

    /// The values as Double (uint8 and integers converted).
    public var doubleValues: [Double] {
        switch values {
        case .float64(let v): v
        case .float32(let v): v.map(Double.init)
        case .int64(let v): v.map(Double.init)
        case .uint8(let v): v.map(Double.init)
        }
    }

    /// uint8 values as UTF-8 text.
    public var text: String? {
        if case .uint8(let v) = values { return String(decoding: v, as: UTF8.self) }
        return nil
    }
}

/// NumPy's `.npz`: a ZIP archive of `.npy` files, one per named array (`np.load` returns them as a
/// dict). Written uncompressed ("stored", as `np.savez` does); read stored or deflated (`np.savez_compressed`).
public enum NPZ {
    /// Writes `arrays` atomically; names keep their order.
    public static func write(_ arrays: [(String, NamedArray)], to path: String) throws {
        var archive: [UInt8] = []
        var central: [UInt8] = []
        for (name, array) in arrays {
            let data = array.npyBytes()
            let fileName = Array((name + ".npy").utf8)
            let crc = data.withUnsafeBytes { CRC32.of($0) }
            guard data.count < Int(UInt32.max) else { throw EmbedVizError.input("array \(name) is too large for a ZIP entry") }
            let offset = UInt32(archive.count)
            // Local file header: version 2.0, no flags, stored, no time, CRC, sizes, name.
            archive += le32(0x0403_4b50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            archive += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(fileName.count)) + le16(0)
            archive += fileName + data
            central += le32(0x0201_4b50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            central += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(fileName.count))
            central += le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + fileName
        }
        let centralOffset = UInt32(archive.count)
        archive += central
        archive += le32(0x0605_4b50) + le16(0) + le16(0) + le16(UInt16(arrays.count)) + le16(UInt16(arrays.count))
        archive += le32(UInt32(central.count)) + le32(centralOffset) + le16(0)
        try OutputFile.write(archive, to: path)
    }

    /// Reads every array of an `.npz` file, by name (without `.npy`).
    public static func read(_ path: String) throws -> [String: NamedArray] {
        try decode(try InputFile.readAll(path), source: path)
    }

    public static func decode(_ bytes: [UInt8], source: String) throws -> [String: NamedArray] {
        func fail(_ message: String) -> EmbedVizError { EmbedVizError.input(message, at: source) }
        // End of central directory: the last 22+ bytes (no archive comment is expected, but allow one).
        guard bytes.count >= 22 else { throw fail("not an NPZ (ZIP) file: too short") }
        var end = bytes.count - 22
        while end >= 0 && !(bytes[end] == 0x50 && bytes[end + 1] == 0x4b && bytes[end + 2] == 5 && bytes[end + 3] == 6) {
            end -= 1
            if bytes.count - end > 22 + 65535 { break }
        }
        guard end >= 0, bytes.count - end <= 22 + 65535 else { throw fail("not an NPZ (ZIP) file: no end of central directory") }
        let entries = Int(u16(bytes, end + 10))
        var position = Int(u32(bytes, end + 16))
        var result: [String: NamedArray] = [:]
        for _ in 0..<entries {
            guard position + 46 <= bytes.count, u32(bytes, position) == 0x0201_4b50 else { throw fail("corrupt ZIP central directory") }
            let method = u16(bytes, position + 10)
            let crc = u32(bytes, position + 16)
            let compressed = Int(u32(bytes, position + 20)), size = Int(u32(bytes, position + 24))
            let nameLength = Int(u16(bytes, position + 28)), extra = Int(u16(bytes, position + 30)), comment = Int(u16(bytes, position + 32))
            let local = Int(u32(bytes, position + 42))
            guard position + 46 + nameLength <= bytes.count else { throw fail("corrupt ZIP central directory") }
            let name = String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
            position += 46 + nameLength + extra + comment
            guard local + 30 <= bytes.count, u32(bytes, local) == 0x0403_4b50 else { throw fail("corrupt ZIP entry \(name)") }
            let dataStart = local + 30 + Int(u16(bytes, local + 26)) + Int(u16(bytes, local + 28))
            guard dataStart + compressed <= bytes.count else { throw fail("truncated ZIP entry \(name)") }
            // Deflate expands at most ~1032:1; a larger claim is a corrupt header, not a big array.
            guard size <= (method == 0 ? compressed : 1032 * compressed + 1024) else {
                throw fail("ZIP entry \(name) claims \(size) bytes from \(compressed) stored")
            }
            let raw = Array(bytes[dataStart..<(dataStart + compressed)])
            let data: [UInt8]
            switch method {
            case 0: data = raw
            case 8: data = try inflate(raw, expected: size, at: "\(source): \(name)")
            default: throw fail("ZIP entry \(name) uses compression method \(method); only stored and deflate are supported")
            }
            guard data.count == size, data.withUnsafeBytes({ CRC32.of($0) }) == crc else { throw fail("ZIP entry \(name) fails its CRC check") }
            let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            result[key] = try NamedArray.decode(npy: data, source: "\(source): \(name)")
        }
        return result
    }

    private static func inflate(_ input: [UInt8], expected: Int, at source: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw EmbedVizError.environment("zlib could not start", at: source)
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: expected)
        var input = input
        let status = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == expected else {
            throw EmbedVizError.input("corrupt deflate data", at: source)
        }
        return output
    }

    private static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    private static func u16(_ b: [UInt8], _ o: Int) -> UInt16 { o + 2 <= b.count ? UInt16(b[o]) | UInt16(b[o + 1]) << 8 : 0 }
    private static func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
        o + 4 <= b.count ? UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24 : 0
    }
}
