import Datasets
import Foundation
import TestSupport
import Testing

/// `--json PATH|-` on every subcommand: with `-`, stdout carries the JSON object alone (human lines
/// go to stderr), and every JSON the tool writes uses one key style, snake_case.
@Suite struct JSONOutputTests {
    /// Inputs shared by the cases, made once: a tiny MNIST-layout set, a one-epoch run, its
    /// embeddings, a t-SNE map, a PCA model and a partial fit.
    struct Fixture: Sendable {
        let root: String
        var data: String { root + "/data" }
        var run: String { root + "/run" }
        var embed: String { root + "/embed" }
        var embeddings: String { embed + "/embeddings.npy" }
        var metadata: String { embed + "/metadata.tsv" }
        var images: String { embed + "/images-idx3-ubyte" }
        var map: String { root + "/tsne.npy" }
        var model: String { root + "/pca.npz" }
        var partial: String { root + "/part.npz" }

        init() {
            root = scratchDirectory()
            tinyMNIST(root + "/data", train: 64, test: 40)
            let steps: [[String]] = [
                ["train", "--data", root + "/data", "--out", root + "/run", "--epochs", "1", "--train-size", "48",
                 "--validation-size", "16"],
                ["embed", "--checkpoint", root + "/run/best.ckpt", "--data", root + "/data", "--noise", "5", "--out", root + "/embed"],
                ["tsne", "--input", root + "/embed/embeddings.npy", "--perplexity", "5", "--iterations", "100",
                 "--output", root + "/tsne.npy"],
                ["pca", "fit", "--input", root + "/embed/embeddings.npy", "--components", "3", "--model", root + "/pca.npz",
                 "--partial", root + "/part.npz"],
            ]
            for step in steps {
                let result = embedviz(step + ["--quiet"])
                precondition(result.status == 0, "fixture step \(step[0]) failed: \(result.stderr)")
            }
        }
    }

    static let fixture = Fixture()

    /// Every subcommand (and mode) with arguments that succeed on the fixture; `out` is a fresh directory.
    static func arguments(_ name: String, _ f: Fixture, out: String) -> [String] {
        switch name {
        case "info": return ["info", "--data", f.data, "--dataset"]
        case "train": return ["train", "--data", f.data, "--out", out + "/run", "--epochs", "1", "--train-size", "48",
                              "--validation-size", "16"]
        case "evaluate": return ["evaluate", "--checkpoint", f.run + "/best.ckpt", "--data", f.data]
        case "embed": return ["embed", "--random-weights", "--data", f.data, "--noise", "5", "--out", out + "/e"]
        case "pca": return ["pca", "--input", f.embeddings, "--components", "2", "--output", out + "/p.npy", "--model", out + "/m.npz"]
        case "pca fit": return ["pca", "fit", "--input", f.embeddings, "--components", "2", "--model", out + "/m.npz"]
        case "pca fit --partial": return ["pca", "fit", "--input", f.embeddings, "--partial", out + "/part.npz"]
        case "pca merge": return ["pca", "merge", f.partial, f.partial, "--components", "2", "--model", out + "/m.npz"]
        case "pca merge --partial": return ["pca", "merge", f.partial, f.partial, "--partial", out + "/part.npz"]
        case "pca transform": return ["pca", "transform", "--model", f.model, "--input", f.embeddings, "--output", out + "/t.npy"]
        case "tsne": return ["tsne", "--input", f.embeddings, "--perplexity", "5", "--iterations", "60", "--output", out + "/t.npy"]
        case "tsne transform": return ["tsne", "transform", "--reference", f.map, "--reference-input", f.embeddings,
                                       "--input", f.embeddings, "--iterations", "20", "--output", out + "/t.npy"]
        case "metrics": return ["metrics", "--input", f.embeddings, "--metadata", f.metadata, "--projection", f.map,
                                "--k", "5", "--lof-k", "5"]
        case "plot": return ["plot", "--input", f.map, "--metadata", f.metadata, "--output", out + "/map.png",
                             "--explorer", out + "/map.html", "--images", f.images]
        case "plot --training": return ["plot", "--training", f.run + "/metrics.json", "--output", out + "/curves.svg"]
        case "export projector": return ["export", "projector", "--embeddings", f.embeddings, "--metadata", f.metadata,
                                         "--images", f.images, "--out", out + "/p"]
        default: fatalError("no arguments for \(name)")
        }
    }

    static let subcommands = ["info", "train", "evaluate", "embed", "pca", "pca fit", "pca fit --partial", "pca merge",
                              "pca merge --partial", "pca transform", "tsne", "tsne transform", "metrics", "plot",
                              "plot --training", "export projector"]

    @Test("--json - prints one JSON object with snake_case keys on stdout and the human lines on stderr",
          arguments: subcommands)
    func jsonOnStdout(_ name: String) throws {
        let result = embedviz(Self.arguments(name, Self.fixture, out: scratchDirectory()) + ["--json", "-"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try jsonObject(result.stdout), "stdout is not one JSON object: \(result.stdout)")
        #expect(!object.isEmpty)
        let bad = nonSnakeKeys(object)
        #expect(bad.isEmpty, "\(name): keys not in snake_case: \(bad)")
        #expect(!result.stderr.isEmpty, "\(name): the human-readable lines should go to stderr")
    }

    @Test("--json PATH writes the summary to the file; stdout keeps the human lines", arguments: subcommands)
    func jsonToFile(_ name: String) throws {
        let out = scratchDirectory()
        let result = embedviz(Self.arguments(name, Self.fixture, out: out) + ["--json", out + "/summary.json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try jsonObject(String(contentsOfFile: out + "/summary.json", encoding: .utf8)))
        #expect(nonSnakeKeys(object).isEmpty, "\(nonSnakeKeys(object))")
        #expect((try? jsonObject(result.stdout)) == nil && !result.stdout.isEmpty, "\(name): \(result.stdout)")
    }

    @Test("the summaries carry the key figures: rows, columns, output paths, timings")
    func keyFigures() throws {
        let f = Self.fixture
        let out = scratchDirectory()
        let transform = try #require(try jsonObject(embedviz(Self.arguments("pca transform", f, out: out) + ["--json", "-"]).stdout))
        #expect(transform["rows"] as? Int == 40 && transform["columns"] as? Int == 3)
        #expect(transform["output"] as? String == out + "/t.npy" && transform["seconds"] is Double)
        let placed = try #require(try jsonObject(embedviz(Self.arguments("tsne transform", f, out: out) + ["--json", "-"]).stdout))
        #expect(placed["rows"] as? Int == 40 && placed["columns"] as? Int == 2 && placed["reference_points"] as? Int == 40)
        let plot = try #require(try jsonObject(embedviz(Self.arguments("plot", f, out: out) + ["--json", "-"]).stdout))
        #expect(plot["points"] as? Int == 40 && plot["dimensions"] as? Int == 2)
        #expect(plot["output"] as? String == out + "/map.png" && plot["explorer"] as? String == out + "/map.html")
        let export = try #require(try jsonObject(embedviz(Self.arguments("export projector", f, out: out) + ["--json", "-"]).stdout))
        #expect(export["rows"] as? Int == 40 && export["columns"] as? Int == 100)
        #expect(export["tensors"] as? String == out + "/p/tensors.tsv" && export["sprite"] as? String == out + "/p/sprite.png")
        let partial = try #require(try jsonObject(embedviz(Self.arguments("pca fit --partial", f, out: out) + ["--json", "-"]).stdout))
        #expect(partial["samples"] as? Int == 40 && partial["dimension"] as? Int == 100)
        #expect(partial["partial"] as? String == out + "/part.npz")
        let info = try #require(try jsonObject(embedviz(["info", "--data", f.data, "--json", "-"]).stdout))
        let files = try #require(info["data_files"] as? [[String: Any]])
        #expect(files.count == 4 && files.allSatisfy { ($0["path"] as? String)?.hasPrefix(f.data) == true })
    }

    @Test("with --output - the data alone goes to stdout and --json - to stderr (pca transform, tsne transform)")
    func dataOnStdout() throws {
        let f = Self.fixture
        for command in [["pca", "transform", "--model", f.model], ["tsne", "transform", "--reference", f.map, "--reference-input", f.embeddings,
                                                                   "--iterations", "20"]] {
            let result = embedviz(command + ["--input", f.embeddings, "--output", "-", "--output-format", "csv", "--json", "-"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.split(separator: "\n").count == 40 && !result.stdout.contains("{"))
            #expect(result.stderr.contains("\"rows\" : 40"), "\(result.stderr)")
        }
    }

    @Test("the t-SNE run record (OUTPUT.json) and the training metrics.json use snake_case keys")
    func filesInSnakeCase() throws {
        let f = Self.fixture
        let record = try #require(try jsonObject(String(contentsOfFile: f.map + ".json", encoding: .utf8)))
        #expect(nonSnakeKeys(record).isEmpty, "\(nonSnakeKeys(record))")
        #expect(record["kl_divergence"] is Double && record["seconds_total"] is Double && record["input_dimensions"] as? Int == 100)
        let metrics = try #require(try jsonObject(String(contentsOfFile: f.run + "/metrics.json", encoding: .utf8)))
        #expect(nonSnakeKeys(metrics).isEmpty, "\(nonSnakeKeys(metrics))")
        let epochs = try #require(metrics["epochs"] as? [[String: Any]])
        #expect(epochs.count == 1 && epochs[0]["train_loss"] is Double && epochs[0]["images_per_second"] is Double)
        #expect(metrics["best_epoch"] as? Int == 1)
    }

    @Test("a metrics.json of an earlier version (camelCase keys) still plots")
    func legacyMetrics() throws {
        let d = scratchDirectory()
        write("""
            {"bestEpoch": 2, "epochs": [
              {"epoch": 1, "trainLoss": 1.5, "trainAccuracy": 0.5, "validationLoss": 1.2, "validationAccuracy": 0.6, "seconds": 3, "imagesPerSecond": 900},
              {"epoch": 2, "trainLoss": 1.0, "trainAccuracy": 0.7, "validationLoss": 1.1, "validationAccuracy": 0.65, "seconds": 3, "imagesPerSecond": 900}]}
            """, d + "/metrics.json")
        let result = embedviz(["plot", "--training", d + "/metrics.json", "--output", d + "/c.svg", "--json", "-"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try jsonObject(result.stdout))
        #expect(summary["epochs"] as? Int == 2 && summary["best_epoch"] as? Int == 2)
    }

    @Test("demo --quick --json -: only the summary on stdout; it, summary.json, the run records and metrics.json in snake_case")
    func demo() throws {
        let d = scratchDirectory()
        tinyMNIST(d + "/data", train: 3_500, test: 2_000)  // the quick demo's minimum
        let result = embedviz(["demo", "--quick", "--data", d + "/data", "--out", d + "/demo", "--json", "-"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try jsonObject(result.stdout), "stdout is not one JSON object: \(result.stdout.prefix(500))")
        #expect(nonSnakeKeys(summary).isEmpty, "\(nonSnakeKeys(summary))")
        #expect(summary["kl_divergence_2d"] is Double && summary["random_kl_divergence_2d"] is Double)
        #expect(result.stderr.contains("report:"))
        for file in ["summary.json", "train/metrics.json", "trained/tsne2d.npy.json", "trained/tsne3d.npy.json", "random/tsne2d.npy.json"] {
            let object = try #require(try jsonObject(String(contentsOfFile: d + "/demo/" + file, encoding: .utf8)), "\(file)")
            #expect(nonSnakeKeys(object).isEmpty, "\(file): \(nonSnakeKeys(object))")
        }
    }

    @Test("property names become readable snake_case keys, and back")
    func keyStyle() {
        let cases = ["klDivergence2D": "kl_divergence_2d", "randomKLDivergence2D": "random_kl_divergence_2d",
                     "klDivergence3D": "kl_divergence_3d", "coreName": "core_name", "md5Ok": "md5_ok",
                     "secondsPerEpoch": "seconds_per_epoch", "explained_variance_ratio": "explained_variance_ratio",
                     "fc1": "fc1", "pca2D": "pca_2d", "knnPreservation": "knn_preservation", "auroc": "auroc"]
        for (name, key) in cases { #expect(JSONCoding.snakeCase(name) == key, "\(name)") }
        for name in ["klDivergence2D", "trainLoss", "imagesPerSecond", "bestEpoch", "epoch"] {
            #expect(JSONCoding.camelCase(JSONCoding.snakeCase(name)) == name)
        }
    }

    @Test("info --verify --json - exits non-zero when a checksum fails, after writing the summary")
    func verifyFails() throws {
        let d = scratchDirectory()
        tinyMNIST(d, train: 16, test: 8)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: d + "/t10k-labels-idx1-ubyte"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0x2A]))  // corrupted: one byte too many
        try handle.close()
        let result = embedviz(["info", "--data", d, "--verify", "--json", "-"])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stderr.contains("checksums do not match"), "\(result.stderr)")
        let summary = try #require(try jsonObject(result.stdout))
        #expect(summary["checksums_ok"] as? Bool == false)
        let files = try #require(summary["data_files"] as? [[String: Any]])
        #expect(files.contains { $0["name"] as? String == "t10k-labels-idx1-ubyte" && $0["md5_ok"] as? Bool == false })
    }
}

/// The JSON object `text` holds, nil when it is not exactly one object (other text around it fails).
func jsonObject(_ text: String) throws -> [String: Any]? {
    guard !text.isEmpty else { return nil }
    return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
}

/// Every key, at any depth, that is not snake_case (`^[a-z0-9_]+$`), with its path.
func nonSnakeKeys(_ value: Any, path: String = "") -> [String] {
    if let object = value as? [String: Any] {
        return object.flatMap { key, child -> [String] in
            let ok = !key.isEmpty && key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            return (ok ? [] : [path + "/" + key]) + nonSnakeKeys(child, path: path + "/" + key)
        }
    }
    if let array = value as? [Any] {
        return array.enumerated().flatMap { nonSnakeKeys($0.element, path: path + "[\($0.offset)]") }
    }
    return []
}
