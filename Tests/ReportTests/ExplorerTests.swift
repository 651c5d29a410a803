import Datasets
import Foundation
import Linalg
@testable import Report
import TestSupport
import Testing

func sampleExplorer(points: Int, dimensions: Int) -> Explorer {
    var rng = SeededGenerator(seed: 1)
    let y = Matrix(rows: points, columns: dimensions) { i, _ in Float(rng.normal()) + Float(i % 11) * 3 }
    let target = (0..<points).map { $0 % 11 }
    let meta = EmbeddingMetadata(index: Array(0..<points), target: target, prediction: target.map { $0 == 10 ? 3 : $0 },
                                 confidence: (0..<points).map { _ in rng.nextUnitFloat() }, isNoise: target.map { $0 == 10 })
    let names = (0..<10).map(String.init) + ["noise"]
    let colors = (0..<11).map { "hsl(\($0 * 33),70%,45%)" }
    // A 2×2-tile sprite of 28-pixel tiles is enough for the page (not all points have images).
    return Explorer(points: y, metadata: meta, classNames: names, colors: colors, sprite: nil,
                    title: "Test <map> & \"quotes\"", subtitle: "\(points) points")
}

/// Headless Chromium, if installed (`make deps` installs Debian's `chromium`).
func chromium() -> String? {
    for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    where FileManager.default.isExecutableFile(atPath: path) { return path }
    return nil
}

@Suite struct ExplorerTests {
    @Test("the page embeds the data of every point and escapes text")
    func data() throws {
        let explorer = sampleExplorer(points: 500, dimensions: 2)
        let html = explorer.html()
        #expect(html.contains("Test &lt;map&gt; &amp; &quot;quotes&quot;"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        let json = explorer.dataJSON()
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect((object["points"] as! [Double]).count == 1000)
        #expect((object["index"] as! [Int]) == Array(0..<500))
        #expect((object["isNoise"] as! [Int]).filter { $0 == 1 }.count == 45)
    }

    /// Loads the page in headless Chromium and reads back what the script recorded after drawing.
    @Test("the page loads in a real browser without JavaScript errors and draws every point",
          .enabled(if: chromium() != nil, "needs chromium (make deps installs it)"), arguments: [2, 3])
    func browser(_ dimensions: Int) throws {
        let dir = scratchDirectory()
        let page = dir + "/map.html"
        try sampleExplorer(points: 10_000, dimensions: dimensions).write(to: page)
        let (status, dom) = runProcess(chromium()!, ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000",
                                                     "--window-size=1200,800", "--dump-dom", "file://" + page],
                                       discardingStandardError: true)
        #expect(status == 0)
        #expect(dom.contains("data-drawn=\"10000\""), "\(dom.prefix(300))")
        #expect(!dom.contains("data-error="))
    }
}
