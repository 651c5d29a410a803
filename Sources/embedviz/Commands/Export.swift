import ArgumentParser
import EmbedViz
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export embeddings for other tools.",
        subcommands: [Projector.self])

    struct Projector: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write what the TensorBoard Embedding Projector loads.",
            discussion: """
                Writes tensors.tsv (no header), metadata.tsv (a header row only when there is more than one \
                column), sprite.png (a square grid of the images, row-major from the top left, ≤ 8192 px) and \
                projector_config.pbtxt. Load them at projector.tensorflow.org ("Load" → the two TSVs and the \
                sprite) or with `tensorboard --logdir DIR` (Projector tab).

                Example:
                  embedviz export projector --embeddings runs/demo/trained/embeddings.npy \\
                      --metadata runs/demo/trained/metadata.tsv --images runs/demo/trained/images-idx3-ubyte --out projector
                """)

        @Option(help: ArgumentHelp("N×D embeddings (NPY, CSV/TSV).", valueName: "path")) var embeddings: String
        @Option(help: ArgumentHelp("metadata.tsv from `embedviz embed` (optional).", valueName: "path")) var metadata: String?
        @Option(help: ArgumentHelp("The N images, an IDX file of N×H×W uint8 (optional).", valueName: "path")) var images: String?
        @Option(help: ArgumentHelp("Metadata columns to export, comma-separated.", valueName: "list"))
        var columns = EmbeddingMetadata.columns.joined(separator: ",")
        @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String
        @OptionGroup var common: CommonOptions

        struct Summary: Encodable {
            var embeddings: String
            var rows: Int
            var columns: Int
            var metadataColumns: [String]?
            var tensors: String
            var metadata: String?
            var sprite: String?
            var config: String
            var seconds: Double
        }

        func run() throws {
            common.apply()
            let start = Date()
            let x = try MatrixReader.read(embeddings)
            let meta = try metadata.map { try EmbeddingMetadata.read($0) }
            let pictures = try images.map { path -> LabeledImages in
                let array = try IDXArray.read(path)
                guard array.elementType == .uint8, array.dimensions.count == 3 else {
                    throw EmbedVizError.input("expected N×height×width uint8 images", at: path)
                }
                return LabeledImages(images: array.payload, labels: Array(repeating: 0, count: array.dimensions[0]),
                                     height: array.dimensions[1], width: array.dimensions[2])
            }
            let exported = columns.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let files = try ProjectorExport.write(embeddings: x, metadata: meta, images: pictures, to: out, columns: exported)
            common.say("wrote \([files.tensors, files.metadata, files.sprite, files.config].compactMap { $0 }.joined(separator: ", "))")
            try common.writeSummary(Summary(embeddings: embeddings, rows: x.rows, columns: x.columns,
                                            metadataColumns: files.metadata == nil ? nil : exported, tensors: files.tensors,
                                            metadata: files.metadata, sprite: files.sprite, config: files.config,
                                            seconds: Date().timeIntervalSince(start)))
        }
    }
}
