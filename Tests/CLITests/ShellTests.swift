import Foundation
import TestSupport
import Testing

/// End-to-end tests of the shell paths: stdin/stdout, every format, streaming commands, sharding.
@Suite struct ShellTests {
    /// A CSV matrix with structure (three noisy directions), N rows × 6 columns.
    func csvMatrix(_ n: Int, offset: Int = 0) -> String {
        var rows: [String] = []
        for i in offset..<(offset + n) {
            let t = Double(i % 97) / 10, u = Double(i % 13) / 3, v = Double((i * 7) % 11) / 5
            rows.append([t + u, t - u, 2 * t + v, v - u, t * 0.5, u + v].map { String(format: "%.4f", $0) }.joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    func parseCSV(_ text: String) -> [[Double]] {
        text.split(separator: "\n").map { $0.split(separator: ",").map { Double($0)! } }
    }

    @Test("pca fit from stdin, pca transform stdin → stdout (CSV), equal to the one-shot pca")
    func pcaStreams() throws {
        let d = scratchDirectory()
        let csv = csvMatrix(500)
        write(csv, d + "/x.csv")
        let fit = embedviz(["pca", "fit", "--input", "-", "--format", "csv", "--components", "2", "--model", d + "/m.npz", "--quiet"],
                           stdin: Data(csv.utf8))
        #expect(fit.status == 0, "\(fit.stderr)")
        let transformed = embedviz(["pca", "transform", "--model", d + "/m.npz", "--input", "-", "--format", "csv",
                                    "--output", "-", "--quiet"], stdin: Data(csv.utf8))
        #expect(transformed.status == 0, "\(transformed.stderr)")
        let oneShot = embedviz(["pca", "--input", d + "/x.csv", "--components", "2", "--output", d + "/y.csv", "--quiet"])
        #expect(oneShot.status == 0)
        let a = parseCSV(transformed.stdout), b = parseCSV(try String(contentsOfFile: d + "/y.csv", encoding: .utf8))
        #expect(a.count == 500 && b.count == 500)
        #expect(zip(a, b).allSatisfy { zip($0, $1).allSatisfy { abs($0 - $1) < 1e-3 } })
    }

    @Test("raw float32 in and out through pipes, with --shape")
    func rawFloat32() throws {
        let d = scratchDirectory()
        npy(300, 6, d + "/x.npy") { i, j in Float((i * (j + 3)) % 17) + Float(j) }
        #expect(embedviz(["pca", "fit", "--input", d + "/x.npy", "--components", "3", "--model", d + "/m.npz", "--quiet"]).status == 0)
        // NPY → raw f32 on stdout → back in through stdin with --shape.
        let raw = embedviz(["pca", "transform", "--model", d + "/m.npz", "--input", d + "/x.npy", "--output", "-",
                            "--output-format", "f32", "--quiet"])
        #expect(raw.status == 0 && raw.stdout.utf8.count > 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: embedvizPath)
        process.arguments = ["pca", "transform", "--model", d + "/m.npz", "--input", d + "/x.npy", "--output", d + "/y.f32", "--quiet"]
        try process.run()
        process.waitUntilExit()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: d + "/y.f32"))
        #expect(bytes.count == 300 * 3 * 4)
        let back = embedviz(["pca", "--input", "-", "--format", "f32", "--shape", "300,3", "--components", "2",
                             "--output", d + "/z.npy", "--quiet"], stdin: bytes)
        #expect(back.status == 0, "\(back.stderr)")
        let wrongShape = embedviz(["pca", "--input", "-", "--format", "f32", "--shape", "7", "--output", d + "/w.npy"], stdin: bytes)
        #expect(wrongShape.status == 1 && wrongShape.stderr.contains("middle of row"))
    }

    @Test("t-SNE writes CSV to stdout; the JSON summary then goes to stderr")
    func tsneStdout() throws {
        let d = scratchDirectory()
        write(csvMatrix(120), d + "/x.csv")
        let result = embedviz(["tsne", "--input", d + "/x.csv", "--perplexity", "10", "--iterations", "150", "--output", "-",
                               "--json", "-", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = parseCSV(result.stdout)
        #expect(rows.count == 120 && rows.allSatisfy { $0.count == 2 })
        #expect(result.stderr.contains("\"kl_divergence\""))
    }

    @Test("t-SNE transform places new rows streamed from stdin")
    func tsneTransform() throws {
        let d = scratchDirectory()
        write(csvMatrix(300), d + "/x.csv")
        #expect(embedviz(["tsne", "--input", d + "/x.csv", "--perplexity", "15", "--iterations", "250", "--output", d + "/y.npy",
                          "--quiet"]).status == 0)
        let fresh = csvMatrix(40, offset: 1000)
        let result = embedviz(["tsne", "transform", "--reference", d + "/y.npy", "--reference-input", d + "/x.csv", "--input", "-",
                               "--format", "csv", "--output", "-", "--chunk-rows", "16", "--quiet"], stdin: Data(fresh.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(parseCSV(result.stdout).count == 40)
    }

    /// Sharded PCA as a map–reduce: three `pca fit --partial` processes at once, `pca merge`, then
    /// `pca transform` per shard; the merged model equals the single-process fit.
    @Test("sharded PCA in separate processes equals the single-process fit")
    func shardedPCA() throws {
        let d = scratchDirectory()
        let shards = [csvMatrix(400), csvMatrix(250, offset: 400), csvMatrix(350, offset: 650)]
        for (k, shard) in shards.enumerated() { write(shard, d + "/shard\(k).csv") }
        write(shards.joined(), d + "/all.csv")
        let processes = shards.indices.map { k -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: embedvizPath)
            p.arguments = ["pca", "fit", "--input", d + "/shard\(k).csv", "--partial", d + "/part\(k).npz", "--quiet"]
            try! p.run()
            return p
        }
        for p in processes { p.waitUntilExit(); #expect(p.terminationStatus == 0) }
        let merged = embedviz(["pca", "merge", d + "/part0.npz", d + "/part1.npz", d + "/part2.npz", "--components", "3",
                               "--model", d + "/merged.npz", "--json", "-", "--quiet"])
        let single = embedviz(["pca", "fit", "--input", d + "/all.csv", "--components", "3", "--model", d + "/single.npz",
                               "--json", "-", "--quiet"])
        #expect(merged.status == 0 && single.status == 0, "\(merged.stderr) \(single.stderr)")
        func ratios(_ json: String) throws -> [Double] {
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
            return object["explained_variance_ratio"] as! [Double]
        }
        let (a, b) = (try ratios(merged.stdout), try ratios(single.stdout))
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 }, "\(a) vs \(b)")
        for k in shards.indices {
            let t = embedviz(["pca", "transform", "--model", d + "/merged.npz", "--input", d + "/shard\(k).csv", "--output",
                              d + "/out\(k).npy", "--quiet"])
            #expect(t.status == 0)
        }
    }

    @Test("completion scripts name every subcommand, for bash, zsh and fish", arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) {
        let result = embedviz(["--generate-completion-script", shell])
        #expect(result.status == 0)
        for command in ["info", "train", "evaluate", "embed", "pca", "tsne", "metrics", "plot", "export", "demo"] {
            #expect(result.stdout.contains(command), "\(shell) completion lacks \(command)")
        }
        #expect(result.stdout.contains("perplexity"))  // an option of a nested command
    }

    @Test("--threads reaches OpenBLAS: embedviz info --threads 1 reports 1 thread, for us and for OpenBLAS")
    func threadsOption() throws {
        let result = embedviz(["info", "--threads", "1", "--json", "-"])
        #expect(result.status == 0, "\(result.stderr)")
        let info = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(info["threads"] as? Int == 1)
        #expect((info["blas"] as! [String: Any])["threads"] as? Int == 1)
    }

    @Test("the man page (scripts/manpage.py over --experimental-dump-help) has every command and keeps Unicode")
    func manPage() throws {
        let dump = embedviz(["--experimental-dump-help"])
        #expect(dump.status == 0)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/manpage.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "0.0-test"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(dump.stdout.utf8))
        try input.fileHandleForWriting.close()
        let page = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(page.hasPrefix(".TH EMBEDVIZ 1"))
        for section in ["EMBEDVIZ DEMO", "EMBEDVIZ PCA FIT", "EMBEDVIZ PCA MERGE", "EMBEDVIZ TSNE TRANSFORM", "EMBEDVIZ METRICS",
                        "EMBEDVIZ EXPORT PROJECTOR"] {
            #expect(page.contains(".SH \"\(section)\""), "no section \(section)")
        }
        // What generate-manual used to drop: "16×26×26" came out as "162626".
        #expect(page.contains("(16×26×26)") && page.contains("Linear(2704→100)"))
        #expect(page.contains("\\-\\-perplexity"))
    }
}
