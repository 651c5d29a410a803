import Foundation
import TestSupport
import Testing

/// `embed --sample` writes its images in row order with the split's indices in `metadata.index`;
/// the explorer's tiles follow the row order (tile r = row r), so `plot --explorer` takes them.
/// (It used to look tiles up by `index` and refused: 20 images cannot cover indices up to 63.)
@Suite struct ExplorerSampleTests {
    @Test("embed --sample output works with plot --explorer: the tile of row r is row r's image")
    func sampledEmbeddingInTheExplorer() throws {
        let d = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        tinyMNIST(d + "/mnist")
        let embed = embedviz(["embed", "--random-weights", "--data", d + "/mnist", "--split", "train", "--sample", "20",
                              "--noise", "0", "--out", d + "/e", "--quiet"])
        #expect(embed.status == 0, "\(embed.stderr)")
        let pca = embedviz(["pca", "--input", d + "/e/embeddings.npy", "--components", "2", "--output", d + "/map.npy", "--quiet"])
        #expect(pca.status == 0, "\(pca.stderr)")
        let plot = embedviz(["plot", "--input", d + "/map.npy", "--metadata", d + "/e/metadata.tsv",
                             "--images", d + "/e/images-idx3-ubyte", "--output", d + "/x.png", "--explorer", d + "/x.html", "--quiet"])
        try #require(plot.status == 0, "\(plot.stderr)")
        #expect(FileManager.default.fileExists(atPath: d + "/x.png"))

        // The page's data: the split indices (the metadata's `index` column), and the image tiles.
        let html = try String(contentsOfFile: d + "/x.html", encoding: .utf8)
        let manifest = try explorerManifest(html)
        let columns = try #require(manifest["columns"] as? [[String: Any]])
        let column = try #require(columns.first { $0["name"] as? String == "index" })
        let index = try explorerTextColumn(html, column).map { Int($0)! }
        #expect(index.count == 20 && index == index.sorted() && Set(index).count == 20)
        #expect(index.max()! >= 20, "the sample must hold split indices past the image count, or the old lookup worked too")

        let images = try #require(manifest["images"] as? [String: Any])
        let (tile, columnsPerRow) = (try #require(images["tileWidth"] as? Int), try #require(images["columns"] as? Int))
        let opening = "embedvizSheet(0,\"data:image/png;base64,"
        let start = try #require(html.range(of: opening)).upperBound
        let png = try #require(Data(base64Encoded: String(html[start...].prefix { $0 != "\"" })))
        let sheet = try #require(decodePNG([UInt8](png)))
        try #require(tile == 28 && sheet.channels == 1, "28-pixel greyscale tiles")
        let tilesPerRow = min(columnsPerRow, 20)

        // The images file embed wrote (row order), and the split it sampled (noise 0: unchanged images).
        let rows = imagePayload(d + "/e/images-idx3-ubyte", count: 20)
        let split = imagePayload(d + "/mnist/train-images-idx3-ubyte", count: 64)
        for r in 0..<20 {
            let (gridRow, gridColumn) = r.quotientAndRemainder(dividingBy: tilesPerRow)
            var shown: [UInt8] = []
            for y in 0..<tile {
                let offset = (gridRow * tile + y) * sheet.width + gridColumn * tile
                shown += sheet.pixels[offset..<(offset + tile)]
            }
            #expect(shown == Array(rows[(r * 784)..<((r + 1) * 784)]), "tile \(r) is not row \(r) of the images file")
            #expect(shown == Array(split[(index[r] * 784)..<((index[r] + 1) * 784)]), "tile \(r) is not split image \(index[r])")
        }
    }

    @Test("plot --explorer shows what the table has: no metadata → row numbers only; a CSV's string labels and extra columns kept")
    func onlyWhatIsKnown() throws {
        let d = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        npy(30, 2, d + "/map.npy") { i, j in Float(i * (j + 1)) }
        let bare = embedviz(["plot", "--input", d + "/map.npy", "--explorer", d + "/bare.html", "--quiet"])
        try #require(bare.status == 0, "\(bare.stderr)")
        let manifest = try explorerManifest(try String(contentsOfFile: d + "/bare.html", encoding: .utf8))
        #expect((manifest["columns"] as? [Any])?.isEmpty == true && manifest["colorColumn"] is NSNull)
        write("label,note\n" + (0..<30).map { "\($0 % 2 == 0 ? "cat" : "dog, big"),n\($0)\n" }.joined().replacingOccurrences(of: "dog, big", with: "\"dog, big\""), d + "/m.csv")
        let labelled = embedviz(["plot", "--input", d + "/map.npy", "--metadata", d + "/m.csv", "--explorer", d + "/m.html", "--quiet"])
        try #require(labelled.status == 0, "\(labelled.stderr)")
        let html = try String(contentsOfFile: d + "/m.html", encoding: .utf8)
        let columns = try #require(try explorerManifest(html)["columns"] as? [[String: Any]])
        #expect(columns.map { $0["name"] as? String } == ["label", "note"])
        #expect(try explorerTextColumn(html, columns[0]) == (0..<30).map { $0 % 2 == 0 ? "cat" : "dog, big" })
        #expect(try explorerManifest(html)["colorColumn"] as? String == "label")
    }

    /// The explorer page's manifest (`#embedviz-manifest`).
    private func explorerManifest(_ html: String) throws -> [String: Any] {
        let opening = #"<script type="application/json" id="embedviz-manifest">"#
        let start = try #require(html.range(of: opening)).upperBound
        let end = try #require(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
        return try #require(try JSONSerialization.jsonObject(with: Data(html[start..<end].utf8)) as? [String: Any])
    }

    /// A text column's values: its Uint8 codes (the inline base64 parts of its array) into its dictionary.
    private func explorerTextColumn(_ html: String, _ column: [String: Any]) throws -> [String] {
        let key = try #require(column["key"] as? String), dictionary = try #require(column["dictionary"] as? [String])
        try #require(column["type"] as? String == "u8")
        let opening = "embedvizChunk(\"\(key)\",0,\""
        let start = try #require(html.range(of: opening)).upperBound
        let codes = try #require(Data(base64Encoded: String(html[start...].prefix { $0 != "\"" })))
        return codes.map { dictionary[Int($0)] }
    }

    /// The payload of an IDX file of `count` 28×28 images (its 16-byte header checked).
    private func imagePayload(_ path: String, count: Int) -> [UInt8] {
        let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        #expect(bytes.count == 16 + count * 784 && bytes.prefix(4) == [0, 0, 8, 3], "\(path)")
        return Array(bytes.dropFirst(16))
    }
}
