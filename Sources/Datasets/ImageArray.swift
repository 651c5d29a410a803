import Foundation
import Linalg

/// Images for a study, from an array file: NPY of shape N×H×W (grey) or N×H×W×3 (RGB), uint8
/// (0…255) or float (0…1 when every value is within it, else 0…255, clamped), or an IDX file of
/// N×H×W unsigned bytes (the MNIST layout).
///
/// RGB images become grey (ITU-R BT.601 luma, 0.299 R + 0.587 G + 0.114 B): the figures and
/// explorers draw single-channel tiles.
public enum ImageArray {
    /// - Throws: `EmbedVizError.input` for another shape, rank or element type, naming the file.
    public static func read(_ path: String) throws -> LabeledImages {
        let file = try InputFile(path: path)
        let magic = try file.peek(count: 6)
        if magic.count == 6 && magic == NPY.magic {
            let header = try NPY.readHeader(from: try InputFile(path: path), at: path)
            let shape = header.shape
            guard shape.count == 3 || (shape.count == 4 && (shape[3] == 3 || shape[3] == 1)) else {
                throw EmbedVizError.input("images must be an N×H×W or N×H×W×3 array, got shape (\(shape.map(String.init).joined(separator: ", ")))", at: path)
            }
            let values = try NPY.read(path).storage
            let (n, h, w) = (shape[0], shape[1], shape[2])
            let channels = shape.count == 4 ? shape[3] : 1
            let unit = values.allSatisfy { $0 >= 0 && $0 <= 1 } && values.contains { $0 != $0.rounded() }
            let scale: Float = unit ? 255 : 1
            var grey = [UInt8](repeating: 0, count: n * h * w)
            for p in 0..<(n * h * w) {
                let v: Float = channels == 3
                    ? 0.299 * values[p * 3] + 0.587 * values[p * 3 + 1] + 0.114 * values[p * 3 + 2]
                    : values[p * channels]
                grey[p] = UInt8(max(0, min(255, (v * scale).rounded())))
            }
            return LabeledImages(images: grey, labels: Array(repeating: 0, count: n), height: h, width: w)
        }
        let idx = try IDXArray.read(path)
        guard idx.elementType == .uint8, idx.dimensions.count == 3 else {
            throw EmbedVizError.input("an IDX image file must hold N×H×W unsigned bytes, got \(idx.dimensions.count) dimensions of \(idx.elementType)", at: path)
        }
        let d = idx.dimensions
        return LabeledImages(images: idx.payload, labels: Array(repeating: 0, count: d[0]), height: d[1], width: d[2])
    }
}
