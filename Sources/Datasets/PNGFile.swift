import CPNG
import Foundation
import Linalg

/// PNG image files decoded by libpng (its simplified `png_image` API, libpng ≥ 1.6), any colour
/// type and bit depth, to 8-bit grey (libpng's own RGB → grey conversion; alpha composited on black).
public enum PNGFile {
    /// The pixels of one file, row-major, and its size.
    /// - Throws: `EmbedVizError.input` with libpng's message when the file is missing or not a valid PNG.
    public static func readGrey(_ path: String) throws(EmbedVizError) -> (pixels: [UInt8], height: Int, width: Int) {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw EmbedVizError.input("cannot read the PNG image: \(message(&image))", at: path)
        }
        image.format = UInt32(PNG_FORMAT_GRAY)
        let (width, height) = (Int(image.width), Int(image.height))
        guard width > 0, height > 0, width * height <= 1 << 26 else {
            png_image_free(&image)
            throw EmbedVizError.input("the PNG image is \(width)×\(height): too large or empty for a study's tiles", at: path)
        }
        var pixels = [UInt8](repeating: 0, count: width * height)
        var black = png_color(red: 0, green: 0, blue: 0)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, &black, $0.baseAddress, Int32(width), nil) }
        guard ok != 0 else {
            let text = message(&image)
            png_image_free(&image)
            throw EmbedVizError.input("cannot decode the PNG image: \(text)", at: path)
        }
        return (pixels, height, width)
    }

    static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
