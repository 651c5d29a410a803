import CTurboJPEG
import Datasets
import Foundation
import Linalg
import TestSupport
import Testing

/// libjpeg-turbo decoding, on files the test encodes with libjpeg-turbo's own encoder at quality 100.
/// The truths are independent of the codec: a block of 8×8 equal pixels is the DC term alone, which
/// quality 100 quantises with step 1, so it comes back to within the inverse DCT's rounding (±1); a
/// colour file's grey is its luma, ITU-R BT.601 0.299 R + 0.587 G + 0.114 B (±1 for the YCbCr rounding).
@Suite struct JPEGFileTests {
    /// A JPEG of `pixels` (grey: 1 channel, or RGB: 3) made by TurboJPEG, 4:4:4, quality 100.
    func jpeg(_ pixels: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        let handle = tjInitCompress()!
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
        let sampling = channels == 1 ? TJSAMP_GRAY : TJSAMP_444
        let status = tjCompress2(handle, pixels, Int32(width), Int32(width * channels), Int32(height), Int32(format.rawValue),
                                 &buffer, &size, Int32(sampling.rawValue), 100, TJFLAG_ACCURATEDCT)
        precondition(status == 0, String(cString: tjGetErrorStr2(handle)))
        defer { tjFree(buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }

    @Test("blocks of equal grey pixels and a colour file's luma come back within ±1; size and errors are checked")
    func decode() throws {
        let d = scratchDirectory()
        // 16×8: two 8×8 blocks, 40 on the left, 200 on the right.
        let grey = (0..<8).flatMap { _ in [UInt8](repeating: 40, count: 8) + [UInt8](repeating: 200, count: 8) }
        write(jpeg(grey, width: 16, height: 8, channels: 1), d + "/g.jpg")
        let g = try JPEGFile.readGrey(d + "/g.jpg")
        #expect(g.width == 16 && g.height == 8)
        #expect(zip(g.pixels, grey).allSatisfy { abs(Int($0) - Int($1)) <= 1 })

        let (r, gr, b) = (200.0, 100.0, 50.0)
        let luma = 0.299 * r + 0.587 * gr + 0.114 * b  // 124.2
        let rgb = (0..<64).flatMap { _ in [UInt8(r), UInt8(gr), UInt8(b)] }
        write(jpeg(rgb, width: 8, height: 8, channels: 3), d + "/c.jpg")
        let c = try JPEGFile.readGrey(d + "/c.jpg")
        #expect(c.pixels.count == 64 && c.pixels.allSatisfy { abs(Double($0) - luma) <= 1.5 })

        // Told apart by content, not by name; mixed with PNG in one set; one size per set.
        try FileManager.default.copyItem(atPath: d + "/c.jpg", toPath: d + "/c.png")
        #expect(try ImageFiles.readGrey(d + "/c.png").pixels == c.pixels)
        write(pngFile([UInt8](repeating: 7, count: 64), width: 8, height: 8, channels: 1), d + "/p.png")
        let mixed = try ImageFiles.readAll(["c.jpg", "p.png"], relativeTo: d)
        #expect(mixed.count == 2 && mixed.height == 8 && mixed.width == 8 && Array(mixed.image(1)) == [UInt8](repeating: 7, count: 64))
        #expect(throws: EmbedVizError.self) { _ = try ImageFiles.readAll(["c.jpg", "g.jpg"], relativeTo: d) }

        // Not an image; a JPEG cut short (refused, not filled in silently).
        write(Array("no jpeg".utf8), d + "/bad.jpg")
        #expect(throws: EmbedVizError.self) { _ = try ImageFiles.readGrey(d + "/bad.jpg") }
        let whole = jpeg(grey, width: 16, height: 8, channels: 1)
        write(Array(whole.prefix(whole.count / 2)), d + "/cut.jpg")
        #expect(throws: EmbedVizError.self) { _ = try JPEGFile.readGrey(d + "/cut.jpg") }
        #expect(throws: EmbedVizError.self) { _ = try ImageFiles.readGrey(d + "/missing.jpg") }
    }
}
