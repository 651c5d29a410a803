import Foundation
import TestSupport
import Testing

/// `--neighbors`, `--metric` and the HNSW options on the commands that find neighbours.
@Suite struct NeighbourOptionsTests {
    /// 600 points in 10-D: six Gaussian clusters.
    static func clustered(_ path: String) {
        npy(600, 10, path) { i, j in
            var state = UInt64(i * 10 + j + 1) &* 0x9E37_79B9_7F4A_7C15
            state ^= state >> 29
            let noise = Float(state % 10_000) / 10_000 - 0.5
            return (j == i % 6 ? 8 : 0) + noise
        }
    }

    @Test("tsne --neighbors approx records the method, the HNSW parameters and the measured recall, and shows the recall")
    func tsneApprox() throws {
        let d = scratchDirectory()
        Self.clustered(d + "/x.npy")
        let result = embedviz(["tsne", "--input", d + "/x.npy", "--output", d + "/y.npy", "--perplexity", "10", "--iterations", "60",
                               "--method", "bh", "--neighbors", "approx", "--hnsw-m", "12", "--hnsw-ef", "50", "--json", d + "/summary.json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("t-SNE affinities: approximate kNN (HNSW M 12, ef 50, k = 30): recall"), "\(result.stderr)")
        let record = try #require(try jsonObject(String(decoding: FileManager.default.contents(atPath: d + "/y.npy.json")!, as: UTF8.self)))
        let search = try #require(record["neighbour_search"] as? [String: Any])
        #expect(search["method"] as? String == "approx" && search["m"] as? Int == 12 && search["ef"] as? Int == 50)
        #expect((search["recall"] as? Double ?? 0) >= 0.95 && search["recall_rows"] as? Int == 500)
        #expect(search["deterministic"] as? Bool == true)
        let summary = try #require(try jsonObject(String(decoding: FileManager.default.contents(atPath: d + "/summary.json")!, as: UTF8.self)))
        #expect(summary["neighbour_recall"] as? Double == search["recall"] as? Double)
        // Exact (the default for small N, and for exact t-SNE's dense P whatever --neighbors says)
        // records no recall: nothing was approximated.
        let exact = embedviz(["tsne", "--input", d + "/x.npy", "--output", d + "/e.npy", "--perplexity", "10", "--iterations", "60", "--quiet"])
        #expect(exact.status == 0, "\(exact.stderr)")
        let exactRecord = try #require(try jsonObject(String(decoding: FileManager.default.contents(atPath: d + "/e.npy.json")!, as: UTF8.self)))
        let exactSearch = try #require(exactRecord["neighbour_search"] as? [String: Any])
        #expect(exactSearch["method"] as? String == "exact" && exactSearch["recall"] == nil)
    }

    @Test("a starved HNSW graph warns about its measured recall; bad HNSW values name their flags")
    func warningsAndErrors() {
        let d = scratchDirectory()
        Self.clustered(d + "/x.npy")
        let starved = embedviz(["tsne", "--input", d + "/x.npy", "--output", d + "/y.npy", "--perplexity", "10", "--iterations", "10",
                                "--method", "bh", "--neighbors", "approx", "--hnsw-m", "2", "--hnsw-ef-construction", "2"])
        #expect(starved.status == 0, "\(starved.stderr)")
        #expect(starved.stderr.contains("warning: the approximate neighbours' measured recall is"), "\(starved.stderr)")
        for (flag, value) in [("--hnsw-m", "1"), ("--hnsw-ef", "0"), ("--hnsw-ef-construction", "0"), ("--recall-sample", "-1")] {
            let bad = embedviz(["tsne", "--input", d + "/x.npy", "--output", d + "/z.npy", "--neighbors", "approx", "\(flag)=\(value)"])
            #expect(bad.status == 1 && bad.stderr.hasPrefix("error: ") && bad.stderr.contains("(\(flag))"), "\(flag): \(bad.stderr)")
        }
        let metric = embedviz(["tsne", "--input", d + "/x.npy", "--output", d + "/z.npy", "--metric", "manhattan"])
        #expect(metric.status != 0 && metric.stderr.contains("manhattan"))
    }

    @Test("metrics and tsne transform take the same options; cosine is recorded")
    func metricsAndTransform() throws {
        let d = scratchDirectory()
        Self.clustered(d + "/x.npy")
        let metrics = embedviz(["metrics", "--input", d + "/x.npy", "--neighbors", "approx", "--metric", "cosine", "--json", "-"])
        #expect(metrics.status == 0, "\(metrics.stderr)")
        let summary = try #require(try jsonObject(metrics.stdout))
        let search = try #require(summary["neighbour_search"] as? [String: Any])
        #expect(search["method"] as? String == "approx" && search["metric"] as? String == "cosine" && search["k"] as? Int == 20)
        #expect(metrics.stdout.isEmpty == false)
        let fit = embedviz(["tsne", "--input", d + "/x.npy", "--output", d + "/map.npy", "--perplexity", "10", "--iterations", "60", "--quiet"])
        #expect(fit.status == 0, "\(fit.stderr)")
        let placed = embedviz(["tsne", "transform", "--reference", d + "/map.npy", "--reference-input", d + "/x.npy",
                               "--input", d + "/x.npy", "--output", d + "/placed.npy", "--neighbors", "approx", "--json", "-"])
        #expect(placed.status == 0, "\(placed.stderr)")
        let transform = try #require(try jsonObject(placed.stdout))
        let transformSearch = try #require(transform["neighbour_search"] as? [String: Any])
        #expect(transformSearch["method"] as? String == "approx" && (transformSearch["recall"] as? Double ?? 0) >= 0.95)
    }
}
