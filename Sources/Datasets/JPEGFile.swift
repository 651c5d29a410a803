import CTurboJPEG
import Foundation
import Linalg

/// JPEG image files decoded by libjpeg-turbo (its TurboJPEG API: errors come back as return codes
/// and a message per handle, so no setjmp/longjmp crosses Swift frames), baseline or progressive,
/// grey or colour, to 8-bit grey: for colour files the decoder's own luma (the Y of YCbCr, i.e.
/// ITU-R BT.601 0.299 R + 0.587 G + 0.114 B, as PNG and NPY images are turned grey).
public enum JPEGFile {
    /// The pixels of one file, row-major, and its size.
    /// - Throws: `EmbedVizError.input` with libjpeg-turbo's message when the file is missing or not a valid JPEG.
    public static func readGrey(_ path: String) throws(EmbedVizError) -> (pixels: [UInt8], height: Int, width: Int) {
        let bytes: [UInt8]
        do { bytes = try InputFile.readAll(path) } catch {
            throw EmbedVizError.input("cannot read the JPEG image: \(error)", at: path)
        }
        return try decodeGrey(bytes, source: path)
    }

    /// Decodes a JPEG file's bytes (as `readGrey` does a file's); `source` names it in errors.
    public static func decodeGrey(_ bytes: [UInt8], source path: String) throws(EmbedVizError) -> (pixels: [UInt8], height: Int, width: Int) {
        guard let handle = tjInitDecompress() else {
            throw EmbedVizError.input("cannot start the JPEG decoder: \(String(cString: tjGetErrorStr2(nil)))", at: path)
        }
        defer { tjDestroy(handle) }
        func failure(_ what: String) -> EmbedVizError {
            EmbedVizError.input("\(what): \(String(cString: tjGetErrorStr2(handle)))", at: path)
        }
        var (width, height, subsampling, colourspace): (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
        guard tjDecompressHeader3(handle, bytes, UInt(bytes.count), &width, &height, &subsampling, &colourspace) == 0 else {
            throw failure("not a valid JPEG image")
        }
        guard width > 0, height > 0, Int(width) * Int(height) <= 1 << 26 else {
            throw EmbedVizError.input("the JPEG image is \(width)×\(height): too large or empty for a study's tiles", at: path)
        }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height))
        let status = pixels.withUnsafeMutableBufferPointer {
            tjDecompress2(handle, bytes, UInt(bytes.count), $0.baseAddress, width, width, height, Int32(TJPF_GRAY.rawValue),
                          TJFLAG_ACCURATEDCT)
        }
        guard status == 0 else { throw failure("cannot decode the JPEG image") }
        return (pixels, Int(height), Int(width))
    }
}

/// Image files for a study's tiles: PNG (libpng) or JPEG (libjpeg-turbo), told apart by their first
/// bytes (not the name), decoded to 8-bit grey.
public enum ImageFiles {
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// One file's pixels, row-major, and its size.
    /// - Throws: `EmbedVizError.input` for a missing file, one that is neither PNG nor JPEG, or one its decoder refuses.
    public static func readGrey(_ path: String) throws(EmbedVizError) -> (pixels: [UInt8], height: Int, width: Int) {
        let head: [UInt8]
        do { head = try InputFile(path: path).peek(count: 8) } catch {
            throw EmbedVizError.input("cannot read the image: \(error)", at: path)
        }
        if head.starts(with: pngSignature) { return try PNGFile.readGrey(path) }
        if head.starts(with: jpegSignature) { return try JPEGFile.readGrey(path) }
        throw EmbedVizError.input("not a PNG or JPEG image (the file starts with neither signature)", at: path)
    }

    /// One image per path, all of the same size (relative paths from `directory`).
    /// - Throws: `EmbedVizError.input` naming the first file that fails or differs in size.
    public static func readAll(_ paths: [String], relativeTo directory: String) throws(EmbedVizError) -> LabeledImages {
        var pixels: [UInt8] = []
        var size: (Int, Int)?
        for path in paths {
            let full = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
            let image = try readGrey(full)
            if let size, size != (image.height, image.width) {
                throw EmbedVizError.input("the image is \(image.width)×\(image.height), the first was \(size.1)×\(size.0); all images of a set need one size",
                                          at: full)
            }
            size = (image.height, image.width)
            pixels += image.pixels
        }
        return LabeledImages(images: pixels, labels: Array(repeating: 0, count: paths.count), height: size?.0 ?? 0, width: size?.1 ?? 0)
    }
}
