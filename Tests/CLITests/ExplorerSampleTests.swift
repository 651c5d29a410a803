import CZlib
import Foundation
import Testing

/// `embed --sample` writes its images in row order with the split's indices in `metadata.index`;
/// the explorer's tiles follow the row order (tile r = row r), so `plot --explorer` takes them.
/// (It used to look tiles up by `index` and refused: 20 images cannot cover indices up to 63.)
@Suite struct ExplorerSampleTests {
    @Test("embed --sample output works with plot --explorer: the tile of row r is row r's image")
    func sampledEmbeddingInTheExplorer() throws {
        let d = scratch()
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

        // The page's data: the split indices, and the sprite.
        let html = try String(contentsOfFile: d + "/x.html", encoding: .utf8)
        let opening = #"<script type="application/json" id="embedviz-data">"#
        let start = try #require(html.range(of: opening)).upperBound
        let end = try #require(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
        let data = try #require(try JSONSerialization.jsonObject(with: Data(html[start..<end].utf8)) as? [String: Any])
        let index = try #require(data["index"] as? [Int])
        #expect(index.count == 20 && index == index.sorted() && Set(index).count == 20)
        #expect(index.max()! >= 20, "the sample must hold split indices past the image count, or the old lookup worked too")
        // The page looks tiles up by row (tile i for point i), not by data.index.
        #expect(html.contains("col = i % s.columns, row = Math.floor(i / s.columns)"))

        let sprite = try #require(data["sprite"] as? [String: Any])
        let (tile, columns) = (try #require(sprite["tile"] as? Int), try #require(sprite["columns"] as? Int))
        let uri = try #require(sprite["image"] as? String)
        let prefix = "data:image/png;base64,"
        try #require(uri.hasPrefix(prefix) && tile == 28)
        let png = try #require(Data(base64Encoded: String(uri.dropFirst(prefix.count))))
        let sheet = try #require(greyPNG([UInt8](png)))

        // The images file embed wrote (row order), and the split it sampled (noise 0: unchanged images).
        let rows = imagePayload(d + "/e/images-idx3-ubyte", count: 20)
        let split = imagePayload(d + "/mnist/train-images-idx3-ubyte", count: 64)
        for r in 0..<20 {
            let (gridRow, gridColumn) = r.quotientAndRemainder(dividingBy: columns)
            var shown: [UInt8] = []
            for y in 0..<tile {
                let offset = (gridRow * tile + y) * sheet.width + gridColumn * tile
                shown += sheet.pixels[offset..<(offset + tile)]
            }
            #expect(shown == Array(rows[(r * 784)..<((r + 1) * 784)]), "tile \(r) is not row \(r) of the images file")
            #expect(shown == Array(split[(index[r] * 784)..<((index[r] + 1) * 784)]), "tile \(r) is not split image \(index[r])")
        }
    }

    /// The payload of an IDX file of `count` 28×28 images (its 16-byte header checked).
    private func imagePayload(_ path: String, count: Int) -> [UInt8] {
        let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        #expect(bytes.count == 16 + count * 784 && bytes.prefix(4) == [0, 0, 8, 3], "\(path)")
        return Array(bytes.dropFirst(16))
    }

    /// The pixels of a non-interlaced 8-bit greyscale PNG (any filter), or nil.
    private func greyPNG(_ bytes: [UInt8]) -> (pixels: [UInt8], width: Int, height: Int)? {
        guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
        func uint32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        var offset = 8, header: [UInt8] = [], compressed: [UInt8] = []
        while offset + 12 <= bytes.count {
            let length = uint32(offset)
            guard offset + 12 + length <= bytes.count else { return nil }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            if type == "IHDR" { header = body } else if type == "IDAT" { compressed += body }
            offset += 12 + length
        }
        guard header.count == 13, header[8] == 8, header[9] == 0, header[12] == 0 else { return nil }
        let width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }, height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        var length = uLongf(height * (width + 1))
        var raw = [UInt8](repeating: 0, count: Int(length))
        guard uncompress(&raw, &length, compressed, uLong(compressed.count)) == Z_OK, Int(length) == raw.count else { return nil }
        var pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            let filter = raw[y * (width + 1)]
            for x in 0..<width {
                let value = raw[y * (width + 1) + 1 + x]
                let a = x > 0 ? Int(pixels[y * width + x - 1]) : 0
                let b = y > 0 ? Int(pixels[(y - 1) * width + x]) : 0
                let c = x > 0 && y > 0 ? Int(pixels[(y - 1) * width + x - 1]) : 0
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
                pixels[y * width + x] = value &+ UInt8(truncatingIfNeeded: predictor)
            }
        }
        return (pixels, width, height)
    }
}
