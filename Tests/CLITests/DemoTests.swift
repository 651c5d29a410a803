import Foundation
import TestSupport
import Testing

/// `embedviz demo --quick` end to end: every stage runs and the report, figures and explorers exist.
@Suite struct DemoTests {
    /// The real MNIST files when the data step has run (`make test` runs it first), else a synthetic
    /// set of the same layout and the quick demo's minimum size (3,500 training, 2,000 test images).
    static let realData = FileManager.default.fileExists(atPath: "data/mnist/t10k-labels-idx1-ubyte")
        || FileManager.default.fileExists(atPath: "data/mnist/t10k-labels-idx1-ubyte.gz")

    @Test("demo --quick writes the report, every figure and the explorers, and leaves no temporary file")
    func quickDemo() throws {
        let d = scratchDirectory()
        let data = Self.realData ? "data/mnist" : d + "/data"
        if !Self.realData { tinyMNIST(data, train: 3_500, test: 2_000) }
        let result = embedviz(["demo", "--quick", "--data", data, "--out", d + "/demo", "--json", d + "/summary.json",
                               "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")

        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/summary.json")))
            as! [String: Any]
        #expect(summary["quick"] as? Bool == true)
        let stages = (summary["stages"] as! [[String: Any]]).map { $0["name"] as! String }
        for stage in ["data", "train", "embed (trained model)", "PCA (trained model)", "t-SNE 2D (trained model)", "UMAP 2D (trained model)",
                      "t-SNE 2D (random weights)", "metrics (trained model)", "figures and report"] {
            #expect(stages.contains(stage), "stage \(stage) missing from \(stages)")
        }
        #expect((summary["kl_divergence_2d"] as! Double) > 0)
        #expect((summary["umap_2d"] as? [String: Any])?["epochs"] as? Int == 200)  // the quick version's; umap-learn's rule: 500
        #expect(FileManager.default.fileExists(atPath: d + "/demo/trained/umap2d.npy") && !FileManager.default.fileExists(atPath: d + "/demo/random/umap2d.npy"))
        if Self.realData {
            // One epoch on 3,000 real images: well above chance, far below the full run.
            #expect((summary["accuracy"] as! Double) > 0.85)
        }

        let report = try String(contentsOfFile: d + "/demo/report.html", encoding: .utf8)
        #expect(report.contains("quick version") && report.contains("200 epochs (fewer than the 500 of umap-learn's rule"))
        let embedded = report.components(separatedBy: "data:image/png;base64,").count - 1
        #expect(embedded >= 10, "only \(embedded) figures embedded in the report")
        let figures = listing(d + "/demo/figures").filter { $0.hasSuffix(".png") }
        #expect(figures.count >= 10)
        for name in figures {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: d + "/demo/figures/" + name))
            #expect(bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(name) is not a PNG")
        }
        let explorers = listing(d + "/demo").filter { $0.hasPrefix("explorer-") && $0.hasSuffix(".html") }
        #expect(!explorers.isEmpty)

        let leftovers = FileManager.default.enumerator(atPath: d)!.compactMap { $0 as? String }.filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }
}
