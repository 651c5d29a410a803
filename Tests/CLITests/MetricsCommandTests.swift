import Foundation
import TestSupport
import Testing

/// `embedviz metrics` on constructed data whose answers are known.
@Suite struct MetricsCommandTests {
    /// Three tight clusters of 60 points in 5-D (centres 0, 10, 20 on every axis, jitter < 0.5) and
    /// 12 outliers: either scattered far away, or all at one far point (a group of their own).
    func dataset(_ directory: String, groupedOutliers: Bool) {
        func jitter(_ i: Int, _ j: Int) -> Float { Float((i * 37 + j * 11) % 17) / 17 - 0.5 }
        npy(192, 5, directory + "/x.npy") { i, j in
            if i < 180 { return Float(10 * (i / 60)) + jitter(i, j) }
            return groupedOutliers ? 60 + jitter(i, j) * 0.1 : Float(40 + 25 * ((i + j) % 4)) * (j % 2 == 0 ? 1 : -1)
        }
        npy(180, 5, directory + "/reference.npy") { i, j in Float(10 * (i / 60)) + jitter(i + 7, j) }
        // The map: each cluster a 6 × 10 grid of spacing 0.1 around (0, 0), (10, 10), (20, 20); the
        // 12 outliers a 3 × 4 grid of the same spacing at (60, 60): fewer than DBSCAN's 20 minimum
        // points, so they are its noise, not a fourth cluster.
        npy(192, 2, directory + "/map.npy") { i, j in
            let centre: Float = i < 180 ? Float(10 * (i / 60)) : 60
            let k = i < 180 ? i % 60 : i - 180
            return centre + 0.1 * Float(j == 0 ? k % 6 : k / 6)
        }
        var tsv = "index\ttarget\tprediction\tconfidence\tis_noise\n"
        for i in 0..<192 {
            let target = i < 180 ? i / 60 : 10
            // Two confidently wrong predictions among the clusters.
            let prediction = i == 5 ? 2 : i == 70 ? 0 : target
            tsv += "\(i)\t\(target)\t\(prediction)\t\(i == 5 ? 0.99 : i == 70 ? 0.9 : 0.8)\t\(i >= 180 ? 1 : 0)\n"
        }
        write(tsv, directory + "/meta.tsv")
    }

    func summary(_ result: CommandResult) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    }

    func precision(_ summary: [String: Any], detector: Int) -> Double {
        let detections = summary["detections"] as! [[String: Any]]
        return (detections[detector]["quality"] as! [String: Any])["precision"] as! Double
    }

    @Test("scattered outliers: both detectors find all 12; the table ranks them first")
    func scattered() throws {
        let d = scratchDirectory()
        dataset(d, groupedOutliers: false)
        let result = embedviz(["metrics", "--input", d + "/x.npy", "--metadata", d + "/meta.tsv", "--json", "-", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let s = try summary(result)
        #expect(precision(s, detector: 0) == 1 && precision(s, detector: 1) == 1)
        let top = (s["most_anomalous"] as! [[String: Any]]).map { $0["row"] as! Int }
        #expect(top.count == 10 && top.allSatisfy { $0 >= 180 })
        let wrong = (s["most_confidently_misclassified"] as! [[String: Any]]).map { $0["row"] as! Int }
        #expect(wrong == [5, 70])
    }

    @Test("outliers grouped at one point hide from the within-set score, not from a reference set")
    func grouped() throws {
        let d = scratchDirectory()
        dataset(d, groupedOutliers: true)
        let within = try summary(embedviz(["metrics", "--input", d + "/x.npy", "--metadata", d + "/meta.tsv", "--json", "-"]))
        #expect(precision(within, detector: 0) < 0.5)
        let result = embedviz(["metrics", "--input", d + "/x.npy", "--metadata", d + "/meta.tsv", "--reference", d + "/reference.npy",
                               "--json", "-", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(precision(try summary(result), detector: 0) == 1)
    }

    @Test("projection quality: a map that keeps the clusters scores high; the table is printed")
    func projection() throws {
        let d = scratchDirectory()
        dataset(d, groupedOutliers: true)
        let result = embedviz(["metrics", "--input", d + "/x.npy", "--projection", d + "/map.npy", "--metadata", d + "/meta.tsv",
                               "--json", d + "/m.json", "--scores", d + "/scores.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("trustworthiness") && result.stdout.contains("DBSCAN"))
        let s = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/m.json"))) as! [String: Any]
        let p = s["projection"] as! [String: Any]
        let preservation = p["preservation"] as! [String: Any]
        #expect((preservation["trustworthiness"] as! Double) > 0.8)
        #expect((p["knn_accuracy"] as! Double) > 0.98)  // every target is one tight group in the map
        #expect((p["clusters"] as! Int) == 3)
        #expect((p["cluster_noise_points"] as! Int) == 12)
        // DBSCAN's noise label −1 is one more group, so it matches the outliers' target 10 exactly.
        #expect((p["adjusted_rand_index"] as! Double) > 0.999)
        let scores = try String(contentsOfFile: d + "/scores.csv", encoding: .utf8).split(separator: "\n")
        #expect(scores.count == 192 && scores.allSatisfy { $0.split(separator: ",").count == 2 })
    }

    @Test("mismatched inputs fail with the file named, and leave no scores file")
    func mismatch() {
        let d = scratchDirectory()
        dataset(d, groupedOutliers: false)
        let result = embedviz(["metrics", "--input", d + "/reference.npy", "--metadata", d + "/meta.tsv", "--scores", d + "/s.npy"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("meta.tsv") && result.stderr.contains("192 rows, the input 180"))
        #expect(!FileManager.default.fileExists(atPath: d + "/s.npy"))
        let projection = embedviz(["metrics", "--input", d + "/x.npy", "--projection", d + "/reference.npy"])
        #expect(projection.status == 1 && projection.stderr.contains("reference.npy"))
        let k = embedviz(["metrics", "--input", d + "/x.npy", "--k", "500"])
        #expect(k.status == 1 && k.stderr.contains("--k 500"))
    }
}
