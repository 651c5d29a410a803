import Foundation
import Linalg
@testable import Report
import TestSupport
import Testing

/// Headless Chromium, if installed (`make deps` installs Debian's `chromium`).
func chromium() -> String? {
    for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    where FileManager.default.isExecutableFile(atPath: path) { return path }
    return nil
}

/// The DevTools-protocol driver (standard-library Python), beside the package's other scripts.
let browserDriver = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/browser_driver.py").path

/// Opens `url` in headless Chromium, waits for the page's script to report ready, runs `steps`
/// (see scripts/browser_driver.py) and returns one result per step; JSON strings are decoded.
func drive(_ url: String, _ steps: [[String: Any]], downloads: String? = nil) throws -> [Any?] {
    let dir = scratchDirectory()
    try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: dir + "/steps.json"))
    var arguments = [browserDriver, "--chromium", chromium()!, "--url", url, "--steps", dir + "/steps.json", "--timeout", "50"]
    if let downloads { arguments += ["--downloads", downloads] }
    let (status, output) = runProcess("/usr/bin/env", ["python3"] + arguments, discardingStandardError: true)
    let reply = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "driver said: \(output)")
    #expect(status == 0 && (reply["error"] as? String) == "", "\(reply["error"] ?? "")")
    return (reply["results"] as? [Any] ?? []).map { value in
        guard let text = value as? String, let data = text.data(using: .utf8),
              let decoded = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) else { return value is NSNull ? nil : value }
        return decoded
    }
}

/// A page expression: at `count` positions (pseudo-random, and at points) the grid's pick equals the
/// scan of every point; the number of disagreements, and how many positions hit a point.
func pickAgreement(_ count: Int) -> String {
    """
(() => { const r = document.getElementById('map').getBoundingClientRect(); let s = 7, bad = 0, hits = 0;
  const next = () => (s = (s * 48271) % 2147483647) / 2147483647;
  for (let k = 0; k < \(count); k++) {
    const at = k % 3 === 0 ? explorer.cssPosition(Math.floor(next() * explorer.info().points)) : null;
    const x = at ? at[0] - r.left + 3 * next() : next() * r.width, y = at ? at[1] - r.top - 3 * next() : next() * r.height;
    const a = explorer.nearest(x, y); if (a !== explorer.nearestByScan(x, y)) bad++; if (a >= 0) hits++;
  }
  return JSON.stringify([bad, hits]); })()
"""
}

/// `snapshot()`'s colours as a dictionary "#rrggbb" → pixels.
func drawnColors(_ snapshot: Any?) -> [String: Int] {
    let pairs = (snapshot as? [String: Any])?["colors"] as? [[Any]] ?? []
    return Dictionary(pairs.compactMap { p in (p[0] as? String).flatMap { c in (p[1] as? Int).map { (c, $0) } } }, uniquingKeysWith: +)
}

/// The page drawn in a real browser: WebGL read-back shows every class's colour; hover (a real
/// mouse event), search, lasso/box selection, export and the pinned point's neighbours, through
/// the page's own script. Each loads one explorer kind: 2-D file, 3-D file, a 1M-point folder.
@Suite(.serialized, .enabled(if: chromium() != nil, "needs chromium (make deps installs Debian's chromium)"))
struct ExplorerBrowserTests {
    @Test("2-D single file: colours drawn, hover shows the row's image, search, selection, export, neighbours")
    func twoDimensional() throws {
        let dir = scratchDirectory(), n = 3_000
        let data = sampleData(n, classes: 12, dimensions: 2, images: true, k: 5)
        try Explorer(data, title: "2-D").writeFile(to: dir + "/map.html")
        let points = data.projections[0].points
        let xs = (0..<n).map { points[$0, 0] }
        let centre = (xs.min()! + xs.max()!) / 2
        let leftHalf = xs.filter { $0 < centre }.count
        let results = try drive("file://" + dir + "/map.html", [
            ["eval": "JSON.stringify(explorer.info())"],
            ["eval": "JSON.stringify(explorer.snapshot())"],
            ["eval": "JSON.stringify(explorer.legendColors())"],
            ["mouse": ["mouseMoved", "explorer.cssPosition(1234)", [0, 0]]], ["sleep": 0.3],
            ["eval": "JSON.stringify([+document.body.dataset.hover, document.getElementById('tip').textContent, explorer.cssPosition(+document.body.dataset.hover), explorer.cssPosition(1234)])"],
            ["eval": "explorer.search('label', '=c3')"],
            ["eval": "explorer.search('score', '>=0.5')"],
            ["eval": "explorer.search('', 'item-12')"],  // any column, substring: item-12, item-120…129, item-1200…1299
            ["eval": "explorer.search('', '')"],
            // A lasso by real shift+drag around the whole map selects every point.
            ["mouse": ["mousePressed", "[document.getElementById('map').getBoundingClientRect().left + 3, 3 + document.getElementById('map').getBoundingClientRect().top]", [0, 0], 8]],
            ["mouse": ["mouseMoved", "[document.getElementById('map').getBoundingClientRect().right - 3, 3 + document.getElementById('map').getBoundingClientRect().top]", [0, 0], 8, 1]],
            ["mouse": ["mouseMoved", "[document.getElementById('map').getBoundingClientRect().right - 3, document.getElementById('map').getBoundingClientRect().bottom - 3]", [0, 0], 8, 1]],
            ["mouse": ["mouseMoved", "[document.getElementById('map').getBoundingClientRect().left + 3, document.getElementById('map').getBoundingClientRect().bottom - 3]", [0, 0], 8, 1]],
            ["mouse": ["mouseReleased", "[document.getElementById('map').getBoundingClientRect().left + 3, document.getElementById('map').getBoundingClientRect().bottom - 3]", [0, 0], 8]],
            ["eval": "+document.body.dataset.selected"],
            ["eval": "(() => { const r = document.getElementById('map').getBoundingClientRect(); return explorer.selectBox(0, 0, r.width / 2, r.height); })()"],
            ["eval": "explorer.selectionCSV().split('\\n').slice(0, 2).join('|')"],
            ["eval": "document.getElementById('export').click(), 1"], ["sleep": 0.5],
            ["eval": "explorer.pin(7)"],
            ["eval": "JSON.stringify([...document.querySelectorAll('#pinned .nb')].map(e => +e.dataset.row))"],
            ["sleep": 0.2],
            ["eval": "(() => { const c = document.querySelector('#pinned canvas'); return JSON.stringify([c.dataset.loaded, [...c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data]]); })()"],
            ["eval": "explorer.selectRows([]), explorer.search('', ''), " + pickAgreement(300)],
        ], downloads: dir)
        guard results.count == 25 else { return }
        let picks = results[24] as? [Int] ?? []
        #expect(picks.count == 2 && picks[0] == 0 && picks[1] > 100, "grid pick vs scan: \(picks)")
        let info = try #require(results[0] as? [String: Any])
        #expect(info["drawn"] as? Int == n && info["images"] as? Bool == true && info["neighbours"] as? Int == 5)
        #expect(info["columns"] as? [String] == ["label", "score", "name", "outlier"])
        // Read back: ink on the canvas, and each of the 12 label colours among the drawn pixels.
        let snapshot = try #require(results[1] as? [String: Any])
        #expect((snapshot["ink"] as? Int ?? 0) > 10_000)
        let drawn = drawnColors(results[1])
        let legend = (results[2] as? [[String]]) ?? []
        #expect(legend.count == 12)
        for entry in legend { #expect(drawn[entry[1], default: 0] > 20, "label \(entry[0]) (\(entry[1])) not drawn") }
        // Hover: the real mouse event at row 1234's position hovers it (or a point drawn at the same spot).
        let hover = try #require(results[5] as? [Any])
        let (hovered, expected) = (hover[2] as? [Double] ?? [], hover[3] as? [Double] ?? [1e9, 1e9])
        #expect(hovered.count == 2 && abs(hovered[0] - expected[0]) < 1 && abs(hovered[1] - expected[1]) < 1)
        #expect((hover[1] as? String ?? "").contains("row \(hover[0] as? Int ?? -1)") && (hover[1] as? String ?? "").contains("label: c"))
        // Search: exact label, numeric threshold, substring over every column — counts from the definition.
        #expect(results[6] as? Int == n / 12)
        #expect(results[7] as? Int == (0..<n).filter { Float($0) / Float(n) >= 0.5 }.count)
        #expect(results[8] as? Int == (0..<n).filter { "item-\($0)".contains("item-12") }.count)
        #expect(results[9] as? Int == n)
        #expect(results[15] as? Int == n)
        // The left half of the canvas is the left half of the data's x-range (the view is centred at scale 1).
        // ±2: a point within float rounding (~1e-6 of the range) of the boundary may fall either side.
        #expect(abs((results[16] as? Int ?? 0) - leftHalf) <= 2, "\(results[16] ?? "nil") vs \(leftHalf)")
        #expect((results[17] as? String ?? "").hasPrefix("row,label,score,name,outlier|"))
        let csv = try String(contentsOfFile: dir + "/selection.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == (results[16] as? Int ?? 0) + 1)
        #expect(results[20] as? Int == 5)
        #expect(results[21] as? [Int] == [8, 9, 10, 11, 12])
        // The pinned thumbnail is row 7's tile: its pixels are (7, 0, 77).
        let thumb = try #require(results[23] as? [Any])
        #expect(thumb[0] as? String == "1" && thumb[1] as? [Int] == [7, 0, 77, 255])
    }

    @Test("3-D single file: every class drawn, rotation changes the picture, hover picks the point under the mouse")
    func threeDimensional() throws {
        let dir = scratchDirectory()
        try Explorer(sampleData(2_000, classes: 6, dimensions: 3), title: "3-D").writeFile(to: dir + "/map3d.html")
        let results = try drive("file://" + dir + "/map3d.html", [
            ["eval": "JSON.stringify(explorer.info())"],
            ["eval": "JSON.stringify(explorer.snapshot())"],
            ["eval": "JSON.stringify(explorer.legendColors())"],
            ["eval": "explorer.rotate(1.2, 0.4), JSON.stringify(explorer.snapshot())"],
            ["mouse": ["mouseMoved", "explorer.cssPosition(321)", [0, 0]]], ["sleep": 0.3],
            ["eval": "JSON.stringify([explorer.cssPosition(+document.body.dataset.hover), explorer.cssPosition(321)])"],
        ])
        guard results.count == 7 else { return }
        #expect((results[0] as? [String: Any])?["dimensions"] as? Int == 3)
        let (before, after) = (drawnColors(results[1]), drawnColors(results[3]))
        for entry in (results[2] as? [[String]]) ?? [] {
            #expect(before[entry[1], default: 0] > 20 && after[entry[1], default: 0] > 20, "\(entry[0]) not drawn")
        }
        #expect(before != after)
        let positions = results[6] as? [[Double]] ?? []
        #expect(positions.count == 2 && abs(positions[0][0] - positions[1][0]) < 1 && abs(positions[0][1] - positions[1][1]) < 1)
    }

    @Test("two maps of the same points (the study's t-SNE and UMAP): the map switch lists both, and switching redraws every class")
    func mapSwitch() throws {
        let dir = scratchDirectory(), n = 1_000
        var data = sampleData(n, classes: 5, dimensions: 2)
        data.projections = [ExplorerProjection(name: "t-SNE", points: data.projections[0].points),
                            ExplorerProjection(name: "UMAP", points: Matrix(rows: n, columns: 2,
                                                                  storage: blobs(n, classes: 5, dimensions: 2, seed: 2).storage.map { 3 * $0 }))]
        try Explorer(data, title: "two maps").writeFile(to: dir + "/maps.html")
        let results = try drive("file://" + dir + "/maps.html", [
            ["eval": "JSON.stringify([...document.querySelectorAll('#projection option')].map(o => o.textContent))"],
            ["eval": "JSON.stringify(explorer.snapshot())"],
            ["eval": "explorer.setProjection(1), JSON.stringify([explorer.info().projection, explorer.snapshot()])"],
            ["eval": "JSON.stringify(explorer.legendColors())"],
        ])
        guard results.count == 4 else { return }
        #expect(results[0] as? [String] == ["t-SNE (2-D)", "UMAP (2-D)"])
        let switched = results[2] as? [Any] ?? []
        #expect(switched.first as? Int == 1)
        let (before, after) = (drawnColors(results[1]), drawnColors(switched.last))
        for entry in (results[3] as? [[String]]) ?? [] {
            #expect(before[entry[1], default: 0] > 20 && after[entry[1], default: 0] > 20, "\(entry[0]) not drawn")
        }
        #expect(before != after)
    }

    @Test("1M points, 120 classes: a folder that opens from file://, every class's colour drawn, search, selection, density view")
    func millionPointFolder() throws {
        let dir = scratchDirectory(), n = 1_000_000, classes = 120
        let data = sampleData(n, classes: classes, dimensions: 2)
        let layout = try Explorer(data, title: "a million").write(to: dir + "/million.html")
        #expect(layout == .folder(index: dir + "/million/index.html", opener: dir + "/million.html"))
        let xs = (0..<n).map { data.projections[0].points[$0, 0] }
        let centre = (xs.min()! + xs.max()!) / 2
        let leftHalf = xs.filter { $0 < centre }.count
        // Through the opener page, as a user would open it.
        let results = try drive("file://" + dir + "/million.html", [
            ["eval": "JSON.stringify(explorer.info())"],
            ["eval": "JSON.stringify(explorer.snapshot())"],
            ["eval": "JSON.stringify(explorer.legendColors())"],
            ["eval": "document.querySelectorAll('#legend input[type=checkbox]').length"],
            ["eval": "explorer.search('label', '=c17')"],
            ["eval": "explorer.search('', '')"],
            ["eval": "(() => { const r = document.getElementById('map').getBoundingClientRect(); return explorer.selectBox(0, 0, r.width / 2, r.height); })()"],
            ["eval": "explorer.selectRows([]), explorer.setDensity(true), JSON.stringify(explorer.snapshot(true))"],
            ["eval": pickAgreement(40)],  // each scan reads all 1M points: few positions
        ])
        guard results.count == 9 else { return }
        let picks = results[8] as? [Int] ?? []
        #expect(picks.count == 2 && picks[0] == 0 && picks[1] > 13, "grid pick vs scan: \(picks)")
        #expect((results[0] as? [String: Any])?["drawn"] as? Int == n)
        let drawn = drawnColors(results[1]), legend = (results[2] as? [[String]]) ?? []
        #expect(legend.count == classes && Set(legend.map { $0[1] }).count == classes, "120 distinct colours")
        let missing = legend.filter { drawn[$0[1], default: 0] == 0 }
        #expect(missing.isEmpty, "not drawn: \(missing.prefix(5))")
        #expect(results[3] as? Int == classes)
        #expect(results[4] as? Int == n / classes + (n % classes > 17 ? 1 : 0))
        #expect(results[5] as? Int == n)
        #expect(abs((results[6] as? Int ?? 0) - leftHalf) <= 2, "\(results[6] ?? "nil") vs \(leftHalf)")
        // The density view draws too, with colours other than the points' own (mixed towards white by density).
        let density = drawnColors(results[7])
        #expect(density.count > 100 && ((results[7] as? [String: Any])?["ink"] as? Int ?? 0) > 10_000)
    }
}
