import Foundation
import TestSupport
import Testing

@Suite struct ExportTests {
    @Test("export projector: tensors without header, metadata header only for several columns, square sprite, config")
    func projector() throws {
        let d = scratchDirectory()
        tinyMNIST(d + "/data", train: 64, test: 40)
        #expect(embedviz(["embed", "--random-weights", "--data", d + "/data", "--noise", "5", "--out", d + "/e", "--quiet"]).status == 0)
        let result = embedviz(["export", "projector", "--embeddings", d + "/e/embeddings.npy", "--metadata", d + "/e/metadata.tsv",
                               "--images", d + "/e/images-idx3-ubyte", "--out", d + "/p", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let tensors = try String(contentsOfFile: d + "/p/tensors.tsv", encoding: .utf8).split(separator: "\n")
        #expect(tensors.count == 40 && tensors.allSatisfy { $0.split(separator: "\t").count == 100 })
        #expect(Double(tensors[0].split(separator: "\t")[0]) != nil, "no header row")
        let meta = try String(contentsOfFile: d + "/p/metadata.tsv", encoding: .utf8).split(separator: "\n")
        #expect(meta.count == 41 && meta[0] == "index\ttarget\tprediction\tconfidence\tis_noise")
        // A single column: no header.
        #expect(embedviz(["export", "projector", "--embeddings", d + "/e/embeddings.npy", "--metadata", d + "/e/metadata.tsv",
                          "--columns", "target", "--out", d + "/p1", "--quiet"]).status == 0)
        let single = try String(contentsOfFile: d + "/p1/metadata.tsv", encoding: .utf8).split(separator: "\n")
        #expect(single.count == 40 && Int(single[0]) != nil)
        // Sprite: PNG, square grid of ⌈√40⌉ = 7 tiles of 28 px.
        let png = Array(try Data(contentsOf: URL(fileURLWithPath: d + "/p/sprite.png")))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let width = Int(png[16]) << 24 | Int(png[17]) << 16 | Int(png[18]) << 8 | Int(png[19])
        let height = Int(png[20]) << 24 | Int(png[21]) << 16 | Int(png[22]) << 8 | Int(png[23])
        #expect(width == 7 * 28 && height == 7 * 28)
        let config = try String(contentsOfFile: d + "/p/projector_config.pbtxt", encoding: .utf8)
        for line in ["tensor_path: \"tensors.tsv\"", "metadata_path: \"metadata.tsv\"", "image_path: \"sprite.png\"",
                     "single_image_dim: 28"] {
            #expect(config.contains(line), "\(config)")
        }
        #expect(!FileManager.default.fileExists(atPath: d + "/p1/sprite.png") && !config.isEmpty)
    }
}
