import Datasets
import Foundation
import Linalg
import TestSupport
import Testing

/// `embedviz umap` and `umap transform` end to end: fit → map, run record, model → transform, --json.
@Suite struct UMAPCommandTests {
    /// Three Gaussian clusters of 60 points in 10-D (centres 10 apart on the axes), as CSV.
    func mixture(_ path: String, perCluster: Int = 60, clusters: [Int] = [0, 1, 2], seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var lines = [String]()
        for c in clusters {
            for _ in 0..<perCluster {
                lines.append((0..<10).map { k in String(Float(k == c ? 10 : 0) + Float(rng.normal())) }.joined(separator: ","))
            }
        }
        write(lines.joined(separator: "\n") + "\n", path)
    }

    @Test("fit → map, run record and model; transform of new points with the model; --json - carries only JSON")
    func roundTrip() throws {
        let d = scratchDirectory()
        mixture(d + "/x.csv", seed: 1)
        let fit = embedviz(["umap", "--input", d + "/x.csv", "--output", d + "/map.npy", "--model", d + "/model.npz",
                            "--epochs", "100", "--init", "random", "--threads", "2", "--json", "-"])
        #expect(fit.status == 0, "\(fit.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(fit.stdout.utf8)) as! [String: Any]
        #expect(abs((summary["a"] as! Double) - 1.577) < 1e-3 && abs((summary["b"] as! Double) - 0.895) < 1e-3)
        let record = summary["record"] as! [String: Any]
        #expect(record["points"] as? Int == 180 && record["epochs"] as? Int == 100 && record["initialization"] as? String == "random")
        #expect(FileManager.default.fileExists(atPath: d + "/map.npy.json"))
        let map = try MatrixReader.read(d + "/map.npy")
        #expect(map.rows == 180 && map.columns == 2)

        mixture(d + "/new.csv", perCluster: 10, clusters: [1], seed: 2)
        let placed = embedviz(["umap", "transform", "--model", d + "/model.npz", "--input", d + "/new.csv",
                               "--output", d + "/new.npy", "--json", d + "/transform.json"])
        #expect(placed.status == 0, "\(placed.stderr)")
        let y = try MatrixReader.read(d + "/new.npy")
        #expect(y.rows == 10 && y.columns == 2)
        // Each new point (cluster 1) lands nearest to a point of cluster 1 (rows 60..<120).
        for i in 0..<y.rows {
            let nearest = (0..<map.rows).min { a, b in
                pow(map[a, 0] - y[i, 0], 2) + pow(map[a, 1] - y[i, 1], 2) < pow(map[b, 0] - y[i, 0], 2) + pow(map[b, 1] - y[i, 1], 2)
            }!
            #expect((60..<120).contains(nearest))
        }
        let transformSummary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/transform.json"))) as! [String: Any]
        // CSV input: its length is not known in advance, so the epoch rule is applied per chunk (no "epochs").
        #expect(transformSummary["rows"] as? Int == 10 && transformSummary["epochs"] == nil)
    }

    @Test("the same input, parameters and seed give a byte-identical map with 2 threads twice, and with 1 thread")
    func deterministicWithThreads() throws {
        let d = scratchDirectory()
        mixture(d + "/x.csv", seed: 3)
        for (name, threads) in [("a", "2"), ("b", "2"), ("c", "1")] {
            let r = embedviz(["umap", "--input", d + "/x.csv", "--output", d + "/\(name).npy", "--epochs", "60",
                              "--threads", threads, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: d + "/a.npy"))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: d + "/b.npy"))))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: d + "/c.npy"))))
    }

    @Test("bad values are one-line errors naming the flag")
    func badValues() {
        let d = scratchDirectory()
        mixture(d + "/x.csv", perCluster: 5, seed: 4)
        let minDist = embedviz(["umap", "--input", d + "/x.csv", "--min-dist", "3"])
        #expect(minDist.status == 1 && minDist.stderr.contains("--min-dist"))
        let tooFew = embedviz(["umap", "--input", d + "/x.csv", "--n-neighbors", "50"])
        #expect(tooFew.status == 1 && tooFew.stderr.contains("--n-neighbors"), "\(tooFew.stderr)")
        let noModel = embedviz(["umap", "transform", "--model", d + "/x.csv", "--input", d + "/x.csv"])
        #expect(noModel.status == 1)
    }
}
