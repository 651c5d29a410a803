import CZlib

// Small writers and readers of the file formats the tool reads and writes, independent of the
// library's own code (so that a test of that code does not check it against itself).

/// A version-1.0 NPY header: magic, version, header length, and the header dictionary padded with
/// spaces and a newline so that the data starts at a multiple of 64 bytes.
public func npyHeader(descr: String = "<f4", shape: [Int]) -> [UInt8] {
    let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
    let total = (10 + header.utf8.count + 1 + 63) / 64 * 64
    header += String(repeating: " ", count: total - 10 - header.utf8.count - 1) + "\n"
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8((total - 10) & 0xFF), UInt8((total - 10) >> 8)] + Array(header.utf8)
}

/// Writes a float32 C-order .npy file of `rows`×`columns` values from `value(i, j)`.
public func npy(_ rows: Int, _ columns: Int, _ path: String, _ value: (Int, Int) -> Float) {
    var bytes = npyHeader(shape: [rows, columns])
    for i in 0..<rows { for j in 0..<columns { withUnsafeBytes(of: value(i, j).bitPattern.littleEndian) { bytes += $0 } } }
    write(bytes, path)
}

/// IDX bytes: magic (element `type`, 0x08 = uint8), big-endian dimensions, then `payload`.
public func idx(_ dims: [Int], _ payload: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(dims.count)]
    for d in dims { bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return bytes + payload
}

/// The chunks of a PNG: (type, data), or nil when the signature is wrong or a chunk is cut off or
/// fails its CRC.
public func pngChunks(_ bytes: [UInt8]) -> [(type: String, data: [UInt8])]? {
    guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
    var chunks: [(String, [UInt8])] = []
    var offset = 8
    func uint32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    while offset + 12 <= bytes.count {
        let length = uint32(offset)
        guard offset + 12 + length <= bytes.count else { return nil }
        let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
        let body = Array(bytes[offset + 4..<offset + 8 + length])
        let crc = body.withUnsafeBufferPointer { CZlib.crc32(0, $0.baseAddress, uInt($0.count)) }
        guard Int(crc) == uint32(offset + 8 + length) else { return nil }
        chunks.append((type, Array(body.dropFirst(4))))
        offset += 12 + length
    }
    return offset == bytes.count ? chunks : nil
}

/// Width and height from a PNG's IHDR.
public func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    guard let ihdr = pngChunks(bytes)?.first, ihdr.type == "IHDR", ihdr.data.count == 13 else { return nil }
    func uint32(_ at: Int) -> Int { ihdr.data[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (uint32(0), uint32(4))
}

/// The pixels of a non-interlaced 8-bit PNG (grey, RGB or RGBA; any filter) and its channel count,
/// or nil when it is not one.
public func decodePNG(_ bytes: [UInt8]) -> (pixels: [UInt8], width: Int, height: Int, channels: Int)? {
    guard let chunks = pngChunks(bytes), let size = pngSize(bytes) else { return nil }
    let header = chunks[0].data
    guard header[8] == 8, header[12] == 0 else { return nil }
    let channels: Int
    switch header[9] {
    case 0: channels = 1
    case 2: channels = 3
    case 6: channels = 4
    default: return nil
    }
    let compressed = chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
    let rowBytes = size.width * channels
    var length = uLongf(size.height * (rowBytes + 1))
    var raw = [UInt8](repeating: 0, count: Int(length))
    guard uncompress(&raw, &length, compressed, uLong(compressed.count)) == Z_OK,
          Int(length) == raw.count else { return nil }
    var pixels = [UInt8](repeating: 0, count: rowBytes * size.height)
    for row in 0..<size.height {
        let filter = raw[row * (rowBytes + 1)]
        for i in 0..<rowBytes {
            let x = raw[row * (rowBytes + 1) + 1 + i]
            let a = i >= channels ? Int(pixels[row * rowBytes + i - channels]) : 0
            let b = row > 0 ? Int(pixels[(row - 1) * rowBytes + i]) : 0
            let c = i >= channels && row > 0 ? Int(pixels[(row - 1) * rowBytes + i - channels]) : 0
            let predictor: Int
            switch filter {
            case 0: predictor = 0
            case 1: predictor = a
            case 2: predictor = b
            case 3: predictor = (a + b) / 2
            case 4:
                let p = a + b - c
                let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
                predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
            default: return nil
            }
            pixels[row * rowBytes + i] = x &+ UInt8(truncatingIfNeeded: predictor)
        }
    }
    return (pixels, size.width, size.height, channels)
}

/// A PNG file of 8-bit pixels (colour type 0 grey with 1 channel, 2 RGB with 3), no interlace, filter 0
/// on every row; zlib's `compress` for the image data and `crc32` for the chunks.
public func pngFile(_ pixels: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
    precondition(pixels.count == width * height * channels && (channels == 1 || channels == 3))
    func be(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        return be(data.count) + body + be(Int(crc))
    }
    var raw: [UInt8] = []
    for r in 0..<height { raw.append(0); raw += pixels[(r * width * channels)..<((r + 1) * width * channels)] }
    var length = compressBound(uLong(raw.count))
    var packed = [UInt8](repeating: 0, count: Int(length))
    _ = compress(&packed, &length, raw, uLong(raw.count))
    let header = be(width) + be(height) + [8, channels == 1 ? 0 : 2, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", Array(packed.prefix(Int(length))))
        + chunk("IEND", [])
}
