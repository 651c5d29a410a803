import Foundation
import TestSupport
import Testing

/// `embedviz report` end to end on small constructed sets: words as labels, RGB images, cosine
/// geometry, a reference with labels, logits — and the same with nothing but the embeddings.
@Suite struct ReportCommandTests {
    static let names = ["ant", "bee", "cat"]  // sorted: the logits' column order

    /// 150 points in 6-D: three directions (classes), each point's length 1…10 (only the direction
    /// tells the class: cosine geometry), the last 10 rows outliers in the direction of axis 5.
    func dataset(_ d: String) {
        func value(_ i: Int, _ j: Int, reference: Bool) -> Float {
            let length = 1 + Float((i * 7) % 10)
            let jitter = Float((i * 31 + j * 17) % 13) / 13 * 0.2
            if !reference && i >= 140 { return length * ((j == 5 ? 1 : 0) + jitter) }
            return length * ((j == i % 3 ? 1 : 0) + jitter)
        }
        npy(150, 6, d + "/emb.npy") { value($0, $1, reference: false) }
        npy(90, 6, d + "/ref.npy") { value($0, $1, reference: true) }
        npy(150, 3, d + "/logits.npy") { i, c in i >= 140 ? 0.1 * Float(c) : (c == i % 3 ? 4 : 0) }
        var meta = "id,species,is_ood,note\n"
        for i in 0..<150 { meta += "p\(i),\(Self.names[i % 3]),\(i >= 140 ? "yes" : "no"),\"free, text \(i % 4)\"\n" }
        write(meta, d + "/meta.csv")
        write("species\n" + (0..<90).map { Self.names[$0 % 3] }.joined(separator: "\n") + "\n", d + "/ref.tsv")
        // 150 RGB images of 10×12 pixels, uint8.
        var images = npyHeader(descr: "|u1", shape: [150, 10, 12, 3])
        for i in 0..<150 { for p in 0..<(10 * 12) { for c in 0..<3 { images.append(UInt8((i * 40 + p * 3 + c * 90) % 256)) } } }
        write(images, d + "/images.npy")
    }

    @Test("words as labels, RGB images, cosine, reference labels and logits: every detector measured, the lead from the numbers")
    func everything() throws {
        let d = scratchDirectory()
        dataset(d)
        let r = embedviz(["report", "--embeddings", d + "/emb.npy", "--metadata", d + "/meta.csv", "--label-column", "species",
                          "--outlier-column", "is_ood", "--images", d + "/images.npy", "--reference", d + "/ref.npy",
                          "--reference-metadata", d + "/ref.tsv", "--logits", d + "/logits.npy", "--metric", "cosine",
                          "--out", d + "/out", "--threads", "1", "--json", "-", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(summary["classes"] as? Int == 3 && summary["known_outliers"] as? Int == 10 && summary["metric"] as? String == "cosine")
        let measurements = try #require(summary["measurements"] as? [String: Any])
        let detections = try #require(measurements["detections"] as? [[String: Any]])
        #expect(detections.count == 8, "\(detections.map { $0["method"] ?? "" })")
        let aurocs = detections.map { ($0["quality"] as! [String: Any])["auroc"] as! Double }
        let lead = try #require(measurements["lead"] as? Int)
        #expect(aurocs[lead] == aurocs.max())
        #expect((summary["lead_detector"] as? String) == detections[lead]["method"] as? String)
        for file in ["report.html", "summary.json", "explorer-tsne-2d.html", "explorer-tsne-3d.html", "figures/most-anomalous.png",
                     "embeddings/tsne2d.npy", "embeddings/umap2d.npy", "embeddings/umap2d.npy.json", "figures/umap-2d.png"] {
            #expect(FileManager.default.fileExists(atPath: d + "/out/" + file), "\(file)")
        }
        // UMAP on by default, with the report's seed and metric, measured beside t-SNE, in the 2-D explorer's map switch.
        let umap = try #require(summary["umap_2d"] as? [String: Any])
        let umapParameters = try #require(umap["parameters"] as? [String: Any])
        #expect(umapParameters["seed"] as? Int == 42 && (umapParameters["neighbour_search"] as? [String: Any])?["metric"] as? String == "cosine")
        #expect((measurements["maps"] as? [[String: Any]])?.map { $0["name"] as? String } == ["PCA 2-D", "t-SNE 2-D", "t-SNE 3-D", "UMAP 2-D"])
        #expect(try String(contentsOfFile: d + "/out/explorer-tsne-2d.html", encoding: .utf8).contains(#"{"name":"UMAP","dimensions":2"#))
        let html = try String(contentsOfFile: d + "/out/report.html", encoding: .utf8)
        #expect(html.contains("FPR95") && html.contains("(lead)") && html.contains("cosine"))
        #expect(html.contains("id=\"umap\">UMAP</h2>") && html.contains("Against t-SNE's 2-D map"))
        #expect(!html.contains("tutorial's sanity check"))
    }

    @Test("nothing but the embeddings: no classes claimed, detectors ranked but not measured, one colour; --no-umap: no UMAP; the neighbour flags reach t-SNE")
    func embeddingsOnly() throws {
        let d = scratchDirectory()
        dataset(d)
        let r = embedviz(["report", "--embeddings", d + "/emb.npy", "--out", d + "/out", "--no-umap", "--neighbors", "approx", "--hnsw-m", "8",
                          "--threads", "1", "--json", "-", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(summary["classes"] == nil && summary["known_outliers"] as? Int == 0)
        let measurements = try #require(summary["measurements"] as? [String: Any])
        #expect((measurements["detections"] as? [Any])?.isEmpty == true && measurements["lead"] == nil)
        #expect((summary["ranking_detector"] as? String)?.hasPrefix("kNN distance within set") == true)
        let html = try String(contentsOfFile: d + "/out/report.html", encoding: .utf8)
        #expect(html.contains("in one colour (the set has no labels)") && html.contains("No points are marked as known"))
        #expect(!html.contains("predicted class"))
        #expect(summary["umap_2d"] == nil && !html.contains("UMAP") && !FileManager.default.fileExists(atPath: d + "/out/embeddings/umap2d.npy"))
        #expect(try !String(contentsOfFile: d + "/out/explorer-tsne-2d.html", encoding: .utf8).contains(#""name":"UMAP""#))
        // --neighbors and the HNSW flags are every search's, t-SNE's included (not only the detectors').
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/out/embeddings/tsne2d.npy.json")))
                                  as? [String: Any])
        // (What was asked; at 150 rows t-SNE's 90 neighbours are nearly all rows, and it searches them exactly.)
        let search = try #require((record["parameters"] as? [String: Any])?["neighbour_search"] as? [String: Any])
        #expect(search["method"] as? String == "approx" && search["m"] as? Int == 8, "\(search)")
    }

    @Test("a UMAP parameter UMAP cannot use is refused before any stage, in one line naming the report's flag")
    func badUMAPParameter() throws {
        let d = scratchDirectory()
        dataset(d)
        let r = embedviz(["report", "--embeddings", d + "/emb.npy", "--out", d + "/out", "--umap-min-dist", "5"])
        #expect(r.status == 1)
        #expect(r.stderr == "error: UMAP's --umap-min-dist must be a finite number between 0 and the spread (1.0), got 5.0\n", "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: d + "/out"))
        let few = embedviz(["report", "--embeddings", d + "/emb.npy", "--out", d + "/out", "--umap-n-neighbors", "1"])
        #expect(few.status == 1 && few.stderr.contains("--umap-n-neighbors must be at least 2"), "\(few.stderr)")
    }

    @Test("a metadata table of another length is refused in one line naming the file, and nothing is written")
    func mismatch() throws {
        let d = scratchDirectory()
        dataset(d)
        write("label\na\nb\n", d + "/short.tsv")
        let r = embedviz(["report", "--embeddings", d + "/emb.npy", "--metadata", d + "/short.tsv", "--out", d + "/out"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("2 rows") && r.stderr.contains("short.tsv") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: d + "/out"))
        let missing = embedviz(["report", "--embeddings", d + "/emb.npy", "--metadata", d + "/meta.csv", "--label-column", "genus",
                                "--out", d + "/out"])
        #expect(missing.status == 1 && missing.stderr.contains("no column 'genus'"), "\(missing.stderr)")
    }

    @Test("images from a metadata column of PNG paths (RGB, decoded by libpng); a broken file is named")
    func pngColumn() throws {
        let d = scratchDirectory()
        dataset(d)
        try FileManager.default.createDirectory(atPath: d + "/png", withIntermediateDirectories: true)
        var meta = "species\tfile\n"
        for i in 0..<150 {
            // 8×6 RGB, one grey level per image (R = G = B keeps its value through libpng's grey conversion).
            write(pngFile(Array(repeating: UInt8(i), count: 8 * 6 * 3), width: 8, height: 6, channels: 3), d + "/png/\(i).png")
            meta += "\(Self.names[i % 3])\tpng/\(i).png\n"
        }
        write(meta, d + "/meta.tsv")
        let r = embedviz(["report", "--embeddings", d + "/emb.npy", "--metadata", d + "/meta.tsv", "--image-column", "file",
                          "--out", d + "/out", "--threads", "1", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: d + "/out/figures/samples.png"))
        write("not a png", d + "/png/7.png")
        let broken = embedviz(["report", "--embeddings", d + "/emb.npy", "--metadata", d + "/meta.tsv", "--image-column", "file",
                               "--out", d + "/out2", "--quiet"])
        #expect(broken.status == 1 && broken.stderr.contains("7.png"), "\(broken.stderr)")
    }
}
