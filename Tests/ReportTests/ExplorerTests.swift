import Datasets
import Foundation
import Linalg
@testable import Report
import TestSupport
import Testing

/// `n` points in `classes` Gaussian blobs whose centres sit on a circle (2-D) or a helix (3-D), point
/// i in class i mod classes; blobs are narrow enough that every class keeps some area of its own.
func blobs(_ n: Int, classes: Int, dimensions: Int, seed: UInt64 = 1) -> Matrix {
    var rng = SeededGenerator(seed: seed)
    let spread = Float(min(1.0, 2 * Double.pi * 10 / Double(classes) / 5))
    return Matrix(rows: n, columns: dimensions) { i, k in
        let angle = 2 * Float.pi * Float(i % classes) / Float(classes)
        let centre: Float = k == 0 ? 10 * cos(angle) : k == 1 ? 10 * sin(angle) : 2 * angle
        return centre + spread * Float(rng.normal())
    }
}

/// A page of `n` points: label "c0"…, a number "score" = i/n, a free-text "name" per point, a known-outlier
/// column, optional RGB images whose pixels name their row (r, g, b) = (i mod 256, i/256 mod 256, 77),
/// and neighbours (i+1, …, i+k) mod n.
func sampleData(_ n: Int, classes: Int, dimensions: Int, images: Bool = false, k: Int = 0) -> ExplorerData {
    let labels = (0..<n).map { "c\($0 % classes)" }
    var columns = [ExplorerColumn(name: "label", text: labels), ExplorerColumn(name: "score", numbers: (0..<n).map { Float($0) / Float(n) })]
    if n <= 100_000 {
        columns.append(ExplorerColumn(name: "name", text: (0..<n).map { "item-\($0)" }))
        columns.append(ExplorerColumn(name: "outlier", text: (0..<n).map { $0 % 50 == 7 ? "yes" : "no" }))
    }
    let (h, w) = (10, 12)
    var pixels: [UInt8] = []
    if images {
        pixels.reserveCapacity(n * h * w * 3)
        for i in 0..<n {
            let rgb: [UInt8] = [UInt8(i % 256), UInt8((i / 256) % 256), 77]
            for _ in 0..<(h * w) { pixels += rgb }
        }
    }
    let pictures = images ? ExplorerImages(pixels: pixels, count: n, height: h, width: w, channels: 3) : nil
    let neighbours = k > 0 ? ExplorerNeighbours(k: k, indices: (0..<n).flatMap { i in (1...k).map { Int32((i + $0) % n) } },
                                                about: "test") : nil
    return ExplorerData(projections: [ExplorerProjection(name: "blobs", points: blobs(n, classes: classes, dimensions: dimensions))],
                        columns: columns, colorColumn: "label", highlightColumn: n <= 100_000 ? "outlier" : nil,
                        images: pictures, neighbours: neighbours)
}

@Suite struct ExplorerTests {
    @Test("text columns are stored once per value, in natural order, with the narrowest code type")
    func textColumns() {
        let column = ExplorerPage.encode(ExplorerColumn(name: "label", text: ["10", "2", "b", "2", "a", "10"]))
        #expect(column.dictionary == ["2", "10", "a", "b"])
        #expect(column.codes == [1, 0, 3, 0, 2, 1])
        #expect(column.type == "u8" && column.bytes == [1, 0, 3, 0, 2, 1])
        let wide = ExplorerPage.encode(ExplorerColumn(name: "name", text: (0..<300).map { "n\($0)" }))
        #expect(wide.type == "u16" && wide.bytes.count == 600)
        let numbers = ExplorerPage.encode(ExplorerColumn(name: "x", numbers: [1.5, .nan]))
        #expect(numbers.type == "f32" && numbers.dictionary == nil && numbers.bytes.count == 8)
    }

    @Test("the single file escapes text, names no URL, and its base64 arrays decode to the data")
    func singleFile() throws {
        var explorer = Explorer(sampleData(500, classes: 3, dimensions: 2, k: 2), title: "Test <map> & \"quotes\"")
        explorer.data.columns.append(ExplorerColumn(name: "</script><b>", text: Array(repeating: "</script>", count: 500)))
        let html = explorer.html()
        #expect(html.contains("<title>Test &lt;map&gt; &amp; &quot;quotes&quot;</title>"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(html.components(separatedBy: "</script>").count == html.components(separatedBy: "<script").count)
        // The first projection's part: Float32 little-endian, row-major, exactly the matrix.
        let marker = "embedvizChunk(\"p0\",0,\""
        let start = try #require(html.range(of: marker)).upperBound
        let base64 = html[start...].prefix { $0 != "\"" }
        let bytes = try #require(Data(base64Encoded: String(base64)))
        let floats = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(floats == explorer.data.projections[0].points.storage)
    }

    @Test("no metadata: the page knows only row numbers (no invented targets or predictions)")
    func noMetadata() {
        let html = Explorer(ExplorerData(projections: [ExplorerProjection(name: "map", points: blobs(100, classes: 1, dimensions: 2))]),
                            title: "t").html()
        #expect(html.contains("\"columns\":[]") && html.contains("\"colorColumn\":null"))
        #expect(!html.contains("\"target\"") && !html.contains("confidence"))
    }

    @Test("the tutorial's metadata becomes columns: class names, confidence, the injected noise ringed")
    func tutorialMetadata() {
        let target = (0..<40).map { $0 % 11 }
        let meta = EmbeddingMetadata(index: Array(100..<140), target: target, prediction: target.map { $0 == 10 ? 3 : $0 },
                                     confidence: Array(repeating: 0.5, count: 40), isNoise: target.map { $0 == 10 })
        let explorer = Explorer(points: blobs(40, classes: 11, dimensions: 2), metadata: meta,
                                classNames: (0..<10).map(String.init) + ["noise"], colors: (0..<11).map { "#0000\(10 + $0)" },
                                sprite: nil, title: "t")
        #expect(explorer.data.columns.map(\.name) == ["index", "target", "prediction", "confidence", "injected noise"])
        #expect(explorer.data.colorColumn == "prediction" && explorer.data.highlightColumn == "injected noise")
        let manifest = ExplorerPage(explorer).manifest(files: [])
        #expect(manifest.contains("\"dictionary\":[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"noise\"]"))
        #expect(manifest.contains("\"colors\":[\"#000010\""))
    }

    @Test("a metadata table keeps every column: numbers, class ids as categories, text, CSV quoting")
    func table() throws {
        let dir = scratchDirectory()
        write("id\tclass\tscore\tword\n0\t3\t0.5\tcat\n1\t10\t\tdog\n", dir + "/m.tsv")
        let tsv = try ExplorerColumn.read(table: dir + "/m.tsv")
        #expect(tsv.map(\.name) == ["id", "class", "score", "word"])
        guard case .text(let ids) = tsv[1].values, case .number(let scores) = tsv[2].values, case .text(let words) = tsv[3].values else {
            Issue.record("column types: \(tsv.map(\.values))"); return
        }
        #expect(ids == ["3", "10"] && scores[0] == 0.5 && scores[1].isNaN && words == ["cat", "dog"])
        write("name,label\n\"Smith, J.\",\"say \"\"hi\"\"\"\nplain,x\n", dir + "/m.csv")
        let csv = try ExplorerColumn.read(table: dir + "/m.csv")
        guard case .text(let names) = csv[0].values, case .text(let labels) = csv[1].values else { Issue.record("csv"); return }
        #expect(names == ["Smith, J.", "plain"] && labels == ["say \"hi\"", "x"])
        write("a\tb\n1\n", dir + "/bad.tsv")
        #expect(throws: EmbedVizError.self) { try ExplorerColumn.read(table: dir + "/bad.tsv") }
    }

    @Test("beyond the single-file limit write(to:) makes a folder of chunks and tiles, and a page that opens it")
    func folder() throws {
        let dir = scratchDirectory()
        let explorer = Explorer(sampleData(2_500, classes: 4, dimensions: 2, images: true, k: 3), title: "folder")
        try explorer.writeFolder(to: dir + "/map")
        #expect(listing(dir) == ["map"])  // nothing left under a temporary name
        #expect(listing(dir + "/map") == ["data", "index.html", "tiles"])
        #expect(listing(dir + "/map/tiles") == ["00000.png", "00001.png", "00002.png"])
        let index = try String(contentsOfFile: dir + "/map/index.html", encoding: .utf8)
        for file in listing(dir + "/map/data") { #expect(index.contains("\"data/\(file)\"")) }
        #expect(!index.contains("embedvizChunk(\"p0\""))  // the coordinates live in the data files
    }
}
