import Datasets
import Foundation
import Linalg
import Plot

/// Files for the TensorBoard Embedding Projector (projector.tensorflow.org, or TensorBoard's
/// "Projector" tab with `--logdir` at the directory):
///
/// - `tensors.tsv`: one row per point, values tab-separated, no header;
/// - `metadata.tsv`: one row per point; a header row only when there is more than one column
///   (the projector's rule: a single column has no header);
/// - `sprite.png`: the points' images in a square grid, row-major from the top left, at most
///   8192 px on a side (images are scaled down to fit);
/// - `projector_config.pbtxt`: tensor_path, metadata_path, sprite image_path and single_image_dim.
public enum ProjectorExport {
    public struct Files: Sendable {
        public var tensors: String
        public var metadata: String?
        public var sprite: String?
        public var config: String
    }

    /// Writes the projector files into `directory` (created if needed; each file atomically).
    /// - Parameters:
    ///   - columns: which metadata columns to export (default: all of index, target, prediction,
    ///     confidence, is_noise).
    public static func write(embeddings: Matrix, metadata: EmbeddingMetadata?, images: LabeledImages?, to directory: String,
                             columns: [String] = EmbeddingMetadata.columns) throws -> Files {
        if let metadata, metadata.count != embeddings.rows {
            throw EmbedVizError.input("\(metadata.count) metadata rows for \(embeddings.rows) embeddings")
        }
        if let images, images.count != embeddings.rows {
            throw EmbedVizError.input("\(images.count) images for \(embeddings.rows) embeddings")
        }
        let unknown = columns.filter { !EmbeddingMetadata.columns.contains($0) }
        guard unknown.isEmpty, !columns.isEmpty else {
            throw EmbedVizError.input("unknown metadata columns \(unknown); known: \(EmbeddingMetadata.columns.joined(separator: ", "))")
        }
        try OutputFile.createDirectory(directory)
        var files = Files(tensors: directory + "/tensors.tsv", metadata: nil, sprite: nil, config: directory + "/projector_config.pbtxt")
        try OutputFile.write(to: files.tensors) { out in
            var text = ""
            embeddings.withUnsafeBufferPointer { p in
                for i in 0..<embeddings.rows {
                    for j in 0..<embeddings.columns {
                        if j > 0 { text += "\t" }
                        text += p[i * embeddings.columns + j].description
                    }
                    text += "\n"
                }
            }
            try out.write(text)
        }
        if let metadata {
            files.metadata = directory + "/metadata.tsv"
            var text = columns.count > 1 ? columns.joined(separator: "\t") + "\n" : ""
            for i in 0..<metadata.count {
                let values = columns.map { column -> String in
                    switch column {
                    case "index": String(metadata.index[i])
                    case "target": String(metadata.target[i])
                    case "prediction": String(metadata.prediction[i])
                    case "confidence": String(metadata.confidence[i])
                    default: metadata.isNoise[i] ? "1" : "0"
                    }
                }
                text += values.joined(separator: "\t") + "\n"
            }
            try OutputFile.write(text, to: files.metadata!)
        }
        var spriteSection = ""
        if let images {
            // Pad to a square number of tiles, so the grid is square.
            let side = max(1, Int(Double(images.count).squareRoot().rounded(.up)))
            var pixels = images.images
            pixels += [UInt8](repeating: 0, count: (side * side - images.count) * images.pixelsPerImage)
            let atlas = ImageAtlas(pixels: pixels, height: images.height, width: images.width, maxSide: 8192)
            files.sprite = directory + "/sprite.png"
            try atlas.write(to: files.sprite!)
            spriteSection = """
                  sprite {
                    image_path: "sprite.png"
                    single_image_dim: \(atlas.tileWidth)
                    single_image_dim: \(atlas.tileHeight)
                  }

                """
        }
        let config = """
            embeddings {
              tensor_path: "tensors.tsv"
            \(files.metadata != nil ? "  metadata_path: \"metadata.tsv\"\n" : "")\(spriteSection)}

            """
        try OutputFile.write(config, to: files.config)
        return files
    }
}
