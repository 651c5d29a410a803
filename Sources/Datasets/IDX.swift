import Linalg

/// An array in the IDX format of the MNIST files.
///
/// Layout: two zero bytes, an element-type byte, the number of dimensions, each dimension as a
/// big-endian UInt32, then the elements in row-major order, big-endian.
/// See http://yann.lecun.com/exdb/mnist/ ("THE IDX FILE FORMAT").
public struct IDXArray: Sendable {
    public enum ElementType: UInt8, Sendable, CaseIterable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        public var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }
    }

    public var elementType: ElementType
    public var dimensions: [Int]
    /// The elements as stored (big-endian for multi-byte types).
    public var payload: [UInt8]

    public var count: Int { dimensions.reduce(1, *) }

    public init(elementType: ElementType, dimensions: [Int], payload: [UInt8]) {
        precondition(payload.count == dimensions.reduce(1, *) * elementType.size)
        self.elementType = elementType
        self.dimensions = dimensions
        self.payload = payload
    }

    /// Reads and validates an IDX file, plain or gzip-compressed.
    ///
    /// The header is checked against the data that follows: wrong magic, an unknown element type,
    /// dimensions whose product overflows, a truncated payload or trailing bytes are errors that
    /// say what is wrong and name the file. Memory grows with the data actually present, not with
    /// what a (possibly garbled) header promises.
    public static func read(_ path: String) throws -> IDXArray {
        let file = try InputFile(path: path)
        return try decode(from: file, at: file.displayName)
    }

    /// Parses an IDX array held in memory, with the same checks as `read`.
    public static func parse(_ bytes: [UInt8], source: String = "<memory>") throws -> IDXArray {
        try decode(from: MemoryBytes(bytes), at: source)
    }

    private static func decode(from source: some ByteSource, at name: String) throws -> IDXArray {
        let magic = try source.read(count: 4)
        guard magic.count == 4 else {
            throw EmbedVizError.input("not an IDX file: \(magic.count) bytes, shorter than the 4-byte header", at: name)
        }
        let (elementType, rank) = try parseMagic(magic, at: name)
        let dimBytes = try source.read(count: 4 * rank)
        guard dimBytes.count == 4 * rank else {
            throw EmbedVizError.input("truncated IDX header: \(rank) dimensions announced, \(dimBytes.count / 4) present", at: name)
        }
        let dimensions = (0..<rank).map { bigEndianUInt32(dimBytes, at: 4 * $0) }
        let expected = try payloadSize(dimensions, elementType, at: name)
        // Read in bounded chunks so a lying header cannot make us allocate what isn't there.
        var payload = [UInt8]()
        while payload.count < expected {
            let chunk = try source.read(count: min(expected - payload.count, 1 << 24))
            if chunk.isEmpty { break }
            payload.append(contentsOf: chunk)
        }
        let shape = dimensions.map(String.init).joined(separator: "×")
        if payload.count < expected {
            throw EmbedVizError.input(
                "truncated: the header promises \(shape) \(elementType) elements (\(expected) bytes of data), the file has \(payload.count)",
                at: name)
        }
        if !(try source.read(count: 1)).isEmpty {
            throw EmbedVizError.input("trailing bytes after the \(shape) \(elementType) elements the header describes", at: name)
        }
        return IDXArray(elementType: elementType, dimensions: dimensions, payload: payload)
    }

    private static func parseMagic(_ magic: [UInt8], at source: String) throws -> (ElementType, Int) {
        guard magic[0] == 0, magic[1] == 0 else {
            throw EmbedVizError.input(
                "not an IDX file: it starts with bytes 0x\(hex(magic[0])) 0x\(hex(magic[1])), an IDX file starts with 0x00 0x00", at: source)
        }
        guard let type = ElementType(rawValue: magic[2]) else {
            throw EmbedVizError.input(
                "unknown IDX element type 0x\(hex(magic[2])) (known: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)",
                at: source)
        }
        guard magic[3] >= 1 else {
            throw EmbedVizError.input("IDX header announces 0 dimensions", at: source)
        }
        return (type, Int(magic[3]))
    }

    private static func payloadSize(_ dimensions: [Int], _ type: ElementType, at source: String) throws -> Int {
        var total = type.size
        for d in dimensions {
            let (product, overflow) = total.multipliedReportingOverflow(by: d)
            // Anything beyond 2^40 bytes is not a real dataset: treat it as a garbled header.
            guard !overflow, product <= 1 << 40 else {
                throw EmbedVizError.input(
                    "IDX dimensions \(dimensions.map(String.init).joined(separator: "×")) describe more data than any real file holds (garbled header?)",
                    at: source)
            }
            total = product
        }
        return total
    }

    private static func bigEndianUInt32(_ b: [UInt8], at o: Int) -> Int {
        let high = Int(b[o]) << 24 | Int(b[o + 1]) << 16
        return high | Int(b[o + 2]) << 8 | Int(b[o + 3])
    }

    private static func hex(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true) }

    /// The elements converted to Float (from any element type).
    public func floatValues() -> [Float] {
        payload.withUnsafeBytes { raw in
            let n = count
            switch elementType {
            case .uint8: return raw.map { Float($0) }
            case .int8: return raw.map { Float(Int8(bitPattern: $0)) }
            case .int16: return (0..<n).map { Float(Int16(bigEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
            case .int32: return (0..<n).map { Float(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
            case .float32:
                return (0..<n).map { Float(bitPattern: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case .float64:
                return (0..<n).map { Float(Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
            }
        }
    }

    /// The serialized file bytes (header + payload).
    public func serialized() -> [UInt8] {
        Self.header(elementType, dimensions) + payload
    }

    /// Writes `payload` (`dimensions`, elements of `elementType` as stored) as an IDX file,
    /// atomically, without copying it: for arrays too large to hold twice (a million images).
    public static func write(_ payload: [UInt8], elementType: ElementType = .uint8, dimensions: [Int], to path: String) throws {
        precondition(payload.count == dimensions.reduce(1, *) * elementType.size, "the payload does not hold the dimensions' elements")
        try OutputFile.write(to: path) { file in
            try file.write(header(elementType, dimensions))
            try payload.withUnsafeBytes { try file.write($0) }
        }
    }

    /// The magic number and the big-endian dimensions.
    private static func header(_ elementType: ElementType, _ dimensions: [Int]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, elementType.rawValue, UInt8(dimensions.count)]
        for d in dimensions {
            bytes += [UInt8(truncatingIfNeeded: d >> 24), UInt8(truncatingIfNeeded: d >> 16),
                      UInt8(truncatingIfNeeded: d >> 8), UInt8(truncatingIfNeeded: d)]
        }
        return bytes
    }
}
