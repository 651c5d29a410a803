import CZlib
import Linalg

/// A minimal PNG writer for 8-bit greyscale or RGB images (sprite sheets, explorer tiles), on zlib.
///
/// One IHDR, one IDAT (each scanline with the "Up" filter, which suits image tiles stacked
/// vertically, then zlib-compressed), IEND. Reference: the PNG specification (W3C, 2003), §11.
package enum PNGEncoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Encodes `grey` (`height` rows of `width` bytes) as a greyscale PNG.
    static func grey(_ grey: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        try encode(grey, width: width, height: height, channels: 1)
    }

    /// Encodes `pixels` (`height` rows of `width × channels` bytes; 1 channel = grey, 3 = RGB) as a PNG.
    package static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        precondition(channels == 1 || channels == 3, "PNG tiles are grey (1 channel) or RGB (3)")
        precondition(pixels.count == width * height * channels && width > 0 && height > 0)
        let stride = width * channels
        // Filter type 2 (Up): each byte minus the byte above it.
        var filtered = [UInt8](repeating: 0, count: height * (stride + 1))
        pixels.withUnsafeBufferPointer { src in
            filtered.withUnsafeMutableBufferPointer { dst in
                for row in 0..<height {
                    let out = row * (stride + 1)
                    dst[out] = 2
                    for column in 0..<stride {
                        let above = row > 0 ? src[(row - 1) * stride + column] : 0
                        dst[out + 1 + column] = src[row * stride + column] &- above
                    }
                }
            }
        }
        var compressedLength = compressBound(uLong(filtered.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, filtered, uLong(filtered.count), 6)
        guard status == Z_OK else { throw EmbedVizError.environment("zlib compress2 failed with status \(status)") }
        compressed.removeSubrange(Int(compressedLength)...)

        var header = [UInt8]()
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        // Bit depth 8, colour type 0 (grey) or 2 (RGB), deflate, adaptive filters, no interlace.
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]
        return signature + chunk("IHDR", header) + chunk("IDAT", compressed) + chunk("IEND", [])
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        let body = typeBytes + data
        let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc)
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
