import Datasets
import Foundation
import TestSupport
import Testing

/// Issue 14 ("promises kept"): no argument of any command reaches a trap. Each case must exit 1
/// with one `error: …` line that says what is wrong, never a signal or a Swift runtime failure,
/// and leave no output behind.
struct Refusal: CustomStringConvertible, Sendable {
    var name: String
    /// Writes the inputs into the scratch directory `d` and returns the arguments (outputs under d/OUT).
    var setup: @Sendable (String) -> [String]
    var message: String
    /// Extra environment (a small memory budget).
    var environment: [String: String] = [:]
    /// A second part of the message (e.g. the file named after it).
    var also = ""
    var description: String { name }
}

/// A 60×5 input, its 60×2 map and 10 new points for `tsne transform`.
func transformInputs(_ d: String) -> [String] {
    npy(60, 5, d + "/x.npy") { i, j in Float((i * 7 + j * 13) % 23) + Float(j) * 0.1 }
    npy(60, 2, d + "/map.npy") { i, j in Float((i * 5 + j * 11) % 17) }
    npy(10, 5, d + "/new.npy") { i, j in Float((i * 3 + j * 5) % 19) }
    return ["tsne", "transform", "--reference", d + "/map.npy", "--reference-input", d + "/x.npy", "--input", d + "/new.npy",
            "--output", d + "/OUT.npy", "--quiet"]
}

/// A 60×5 input for `tsne fit`.
func fitInput(_ d: String, perplexity: String = "5") -> [String] {
    npy(60, 5, d + "/x.npy") { i, j in Float((i * 7 + j * 13) % 23) + Float(j) * 0.1 }
    return ["tsne", "--input", d + "/x.npy", "--output", d + "/OUT.npy", "--quiet", "--perplexity", perplexity]
}

/// tinyMNIST (64 training, 40 test images) with the images in `file` replaced by as many 32×32 ones.
func wrongSizeImages(_ d: String, _ file: String = "t10k-images-idx3-ubyte") {
    tinyMNIST(d + "/data")
    let count = file.hasPrefix("train") ? 64 : 40
    write(idx([count, 32, 32], Array(repeating: 9, count: count * 32 * 32)), d + "/data/" + file)
}

/// A gzipped NPY header declaring (1, 10⁸) float32 and no data (gzip: the reader cannot see the size up front).
func hugeHeaderNPY(_ path: String) {
    write(npyHeader(shape: [1, 100_000_000]), path)
    runProcess("/bin/gzip", [path])
}

/// The refusal of `tsne transform` on `transformInputs` with `options` added.
func transformRefusal(_ name: String, _ options: [String], message: String) -> Refusal {
    Refusal(name: name, setup: { transformInputs($0) + options }, message: message)
}

let refusals: [Refusal] = [
    // 1. tsne transform had no validation: divide by zero, negative counts, Int(∞), negative ranges.
    transformRefusal("transform: perplexity below 1/3", ["--perplexity", "0.2"], message: "at least 1/3 (3·perplexity neighbours), got 0.2 (--perplexity)"),
    transformRefusal("transform: NaN perplexity", ["--perplexity", "nan"], message: "got nan (--perplexity)"),
    transformRefusal("transform: negative perplexity", ["--perplexity=-1"], message: "got -1.0 (--perplexity)"),
    transformRefusal("transform: infinite perplexity", ["--perplexity", "inf"], message: "got inf (--perplexity)"),
    transformRefusal("transform: huge perplexity", ["--perplexity", "1e300"], message: "the reference has 60 points; perplexity 1e+300 needs more than"),
    transformRefusal("transform: negative iterations", ["--iterations=-5"], message: "the iterations must be ≥ 0, got -5 (--iterations)"),
    // 1. tsne fit: every Double option finite, θ ≥ 0, huge --dimensions.
    Refusal(name: "fit: perplexity below 1/3 (Barnes–Hut: k = 0)", setup: { fitInput($0, perplexity: "0.2") + ["--method", "bh"] },
            message: "at least 1/3 (3·perplexity neighbours), got 0.2 (--perplexity)"),
    Refusal(name: "fit: NaN theta", setup: { fitInput($0) + ["--theta", "nan"] }, message: "θ must be a finite number ≥ 0, got nan (--theta)"),
    Refusal(name: "fit: infinite learning rate", setup: { fitInput($0) + ["--learning-rate", "inf"] },
            message: "the learning rate must be a finite positive number or 'auto', got 'inf' (--learning-rate)"),
    Refusal(name: "fit: NaN early exaggeration", setup: { fitInput($0) + ["--early-exaggeration", "nan"] },
            message: "got nan (--early-exaggeration)"),
    Refusal(name: "fit: huge --dimensions", setup: { fitInput($0) + ["--dimensions", "100000000000", "--init", "random"] },
            message: "t-SNE of 60 points in 100000000000 dimensions would need"),
    // 4. The FFT grid grows with the map's extent: refused before it is made.
    Refusal(name: "fit: FFT grid of a map 10⁶ wide", setup: { d in
        npy(60, 2, d + "/init.npy") { i, j in i == 0 ? 1e6 : Float((i + j) % 7) * 1e-4 }
        return fitInput(d) + ["--method", "fft", "--init", d + "/init.npy"]
    }, message: "FFT interpolation over a map spanning 1e+06 units would need"),
    Refusal(name: "fit: FFT grid of a map 10³⁰ wide (Int(∞) trapped)", setup: { d in
        npy(60, 2, d + "/init.npy") { i, j in i == 0 ? 1e30 : Float((i + j) % 7) * 1e-4 }
        return fitInput(d) + ["--method", "fft", "--init", d + "/init.npy"]
    }, message: "FFT interpolation over a map spanning 1e+30 units would need"),
    // 2. Images that are not 28×28: one line naming the file and the shape.
    Refusal(name: "embed: 32×32 images", setup: { d in
        wrongSizeImages(d)
        return ["embed", "--random-weights", "--data", d + "/data", "--noise", "0", "--out", d + "/OUT"]
    }, message: "the model takes 28×28 images, these are 32×32 (shape 40×32×32) (", also: "/data/t10k-images-idx3-ubyte)\n"),
    Refusal(name: "evaluate: 32×32 images", setup: { d in
        tinyCheckpoint(d) { _ in }
        write(idx([40, 32, 32], Array(repeating: 9, count: 40 * 32 * 32)), d + "/data/t10k-images-idx3-ubyte")
        return ["evaluate", "--checkpoint", d + "/run/best.ckpt", "--data", d + "/data", "--json", d + "/OUT"]
    }, message: "these are 32×32 (shape 40×32×32) (", also: "/data/t10k-images-idx3-ubyte)\n"),
    Refusal(name: "train: 32×32 test images (refused before training)", setup: { d in
        wrongSizeImages(d)
        return ["train", "--data", d + "/data", "--out", d + "/OUT", "--epochs", "1", "--train-size", "48", "--validation-size", "16"]
    }, message: "these are 32×32 (shape 40×32×32) (", also: "/data/t10k-images-idx3-ubyte)\n"),
    Refusal(name: "demo: 32×32 training images", setup: { d in
        wrongSizeImages(d, "train-images-idx3-ubyte")
        return ["demo", "--quick", "--data", d + "/data", "--out", d + "/OUT", "--quiet"]
    }, message: "these are 32×32 (shape 64×32×32) (", also: "/data/train-images-idx3-ubyte)\n"),
    // 3. plot labels.
    Refusal(name: "plot: negative label", setup: { d in
        npy(20, 2, d + "/map.npy") { i, j in Float(i * (j + 1)) }
        var tsv = "index\ttarget\tprediction\tconfidence\tis_noise\n"
        for i in 0..<20 { tsv += "\(i)\t\(i % 10)\t\(i == 1 ? -2 : i % 10)\t0.9\t0\n" }
        write(tsv, d + "/meta.tsv")
        return ["plot", "--input", d + "/map.npy", "--metadata", d + "/meta.tsv", "--output", d + "/OUT.png"]
    }, message: "line 3, column 3 (prediction): -2 is negative (it must be 0 or more) ("),
    // 4. Memory guards: refused up front with the size needed and the budget.
    Refusal(name: "pca fit: an NPY header declaring 10⁸ columns", setup: { d in
        hugeHeaderNPY(d + "/big.npy")
        return ["pca", "fit", "--input", d + "/big.npy.gz", "--model", d + "/OUT.npz"]
    }, message: "PCA of 100000000 columns (a 100000000×100000000 cross-product) would need"),
    Refusal(name: "pca: the covariance route's D×D arrays", setup: { d in
        npy(20, 400, d + "/x.npy") { i, j in Float((i * 31 + j * 17) % 101) }
        return ["pca", "--input", d + "/x.npy", "--solver", "covariance", "--output", d + "/OUT.npy"]
    }, message: "PCA of 400 columns (400×400 covariance) would need", environment: ["EMBEDVIZ_MEMORY_BUDGET_MB": "1"]),
    Refusal(name: "pca: the SVD's copies", setup: { d in
        npy(600, 300, d + "/x.npy") { i, j in Float((i * 31 + j * 17) % 101) }
        return ["pca", "--input", d + "/x.npy", "--solver", "svd", "--output", d + "/OUT.npy"]
    }, message: "the SVD of a 600×300 matrix would need", environment: ["EMBEDVIZ_MEMORY_BUDGET_MB": "1"]),
    Refusal(name: "info --sgemm 10⁷", setup: { _ in ["info", "--sgemm", "10000000"] },
            message: "sgemm of 10000000×10000000 matrices would need"),
    Refusal(name: "embed --layer conv over the budget", setup: { d in
        tinyMNIST(d + "/data")
        return ["embed", "--random-weights", "--data", d + "/data", "--noise", "0", "--layer", "conv", "--out", d + "/OUT"]
    }, message: "the conv outputs of 40 images (10816 floats each) would need 1.7 MiB of working memory, over the budget of 1.0 MiB",
       environment: ["EMBEDVIZ_MEMORY_BUDGET_MB": "1"]),
]

/// The checks every refusal makes: exit 1 (not a signal), one `error:` line with `message`, no
/// runtime failure, nothing left in the scratch directory.
func expectRefused(_ result: CommandResult, _ message: String, in d: String, before: [String],
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 1, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
    #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("runtime failure")
            && !result.stderr.contains("Backtrac"), "trapped: \(result.stderr)", sourceLocation: sourceLocation)
    let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.contains(message), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(listing(d) == before, "files appeared: \(Set(listing(d)).subtracting(before))", sourceLocation: sourceLocation)
}

@Suite struct ValidationTests {
    @Test("arguments that used to trap are refused: exit 1, one error line, no output", arguments: refusals)
    func refused(_ c: Refusal) {
        let (d, before, result) = runInScratch(c.setup, environment: c.environment)
        expectRefused(result, c.message, in: d, before: before)
        #expect(c.also.isEmpty || result.stderr.contains(c.also), "stderr: \(result.stderr)")
    }

    @Test("plot: a huge label is drawn under its own name without allocating by its value")
    func hugeLabel() {
        let d = scratchDirectory()
        npy(20, 2, d + "/map.npy") { i, j in Float(i * (j + 1)) }
        var tsv = "index\ttarget\tprediction\tconfidence\tis_noise\n"
        for i in 0..<20 { tsv += "\(i)\t\(i % 3)\t\(i == 4 ? 1_000_000_000_000_000 : i % 3)\t0.9\t0\n" }
        write(tsv, d + "/meta.tsv")
        let result = embedviz(["plot", "--input", d + "/map.npy", "--metadata", d + "/meta.tsv", "--output", d + "/map.png",
                               "--explorer", d + "/map.html"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: d + "/map.png"))
        let page = (try? String(contentsOfFile: d + "/map.html", encoding: .utf8)) ?? ""
        #expect(page.contains(#""dictionary":["0","1","2","1000000000000000"]"#), "the classes are named by their labels")
    }

    /// A finished 1-epoch run (48 images, 1 thread) to resume, trained once and copied per test.
    static let finishedRun: String = {
        let d = scratchDirectory()
        tinyMNIST(d + "/data")
        let result = embedviz(["train", "--data", d + "/data", "--out", d + "/run", "--epochs", "1", "--train-size", "48",
                               "--validation-size", "16", "--threads", "1", "--quiet"])
        precondition(result.status == 0, result.stderr)
        return d
    }()

    static func copyOfFinishedRun() -> String {
        let d = scratchDirectory()
        try! FileManager.default.removeItem(atPath: d)
        try! FileManager.default.copyItem(atPath: finishedRun, toPath: d)
        return d
    }

    static func epochsRecorded(_ run: String) -> Int {
        ((try? String(contentsOfFile: run + "/metrics.csv", encoding: .utf8)) ?? "").split(separator: "\n").count - 1
    }

    @Test("train --resume refuses options that differ from the saved run, naming each, and changes nothing")
    func resumeConflicts() throws {
        let d = Self.copyOfFinishedRun()
        let common = ["train", "--resume", "--data", d + "/data", "--out", d + "/run", "--quiet"]
        let saved = try Data(contentsOf: URL(fileURLWithPath: d + "/run/last.ckpt"))
        let before = listing(d)
        expectRefused(embedviz(common + ["--epochs", "2", "--batch-size", "16", "--seed", "3"]),
                      "these options differ from it: --batch-size 16 (the run has 32), --seed 3 (the run has 1)", in: d, before: before)
        // Another thread count breaks the bit-identical continuation.
        expectRefused(embedviz(common + ["--epochs", "2", "--threads", "2"]), "--threads 2 (the run has 1)", in: d, before: before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: d + "/run/last.ckpt")) == saved)
        // Options equal to the saved ones are fine.
        #expect(embedviz(common + ["--batch-size", "32", "--train-size", "48", "--threads", "1"]).status == 0)
    }

    @Test("train --resume keeps the saved epoch count unless --epochs is given (the default 20 no longer counts)")
    func resumeEpochs() {
        let d = Self.copyOfFinishedRun()
        let common = ["train", "--resume", "--data", d + "/data", "--out", d + "/run", "--quiet"]
        let plain = embedviz(common)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(Self.epochsRecorded(d + "/run") == 1, "a finished 1-epoch run was extended without --epochs")
        let extended = embedviz(common + ["--epochs", "2"])
        #expect(extended.status == 0, "\(extended.stderr)")
        #expect(Self.epochsRecorded(d + "/run") == 2)
    }

    /// The run's last.ckpt with its JSON header edited and the CRC recomputed (a valid checksum).
    static func editHeader(_ path: String, _ edit: (String) -> String) {
        let bytes = [UInt8](try! Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        let header = Array(edit(String(decoding: bytes[16..<(16 + headerLength)], as: UTF8.self)).utf8)
        var out = Array(bytes[0..<12])
        withUnsafeBytes(of: UInt32(header.count).littleEndian) { out += $0 }
        out += header + bytes[(16 + headerLength)..<(bytes.count - 4)]
        let crc = out.withUnsafeBytes { CRC32.of($0) }
        withUnsafeBytes(of: crc.littleEndian) { out += $0 }
        write(out, path)
    }

    @Test("a checkpoint with a valid CRC but a malformed training state is refused, not trapped on", arguments: [
        #"empty generator|"state":\[[0-9,]*\]|"state":[]|the shuffle generator's state [] is not a xoshiro256 state"#,
        #"negative step|"step":0|"step":-3|step -3 is outside 0..<2"#,
        #"step beyond the epoch|"step":0|"step":2|step 2 is outside 0..<2"#,
        #"negative Adam step|"adamStep":[0-9]+|"adamStep":-1|Adam's step count -1"#,
        #"Adam step Int.max|"adamStep":[0-9]+|"adamStep":9223372036854775807|Adam's step count 9223372036854775807"#,
    ])
    func malformedState(_ spec: String) throws {
        let parts = spec.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let d = Self.copyOfFinishedRun()
        Self.editHeader(d + "/run/last.ckpt") { header in
            let edited = header.replacingOccurrences(of: parts[1], with: parts[2], options: .regularExpression)
            precondition(edited != header, "the edit \(parts[1]) did not apply to \(header.prefix(400))")
            return edited
        }
        let before = listing(d)
        expectRefused(embedviz(["train", "--resume", "--data", d + "/data", "--out", d + "/run", "--epochs", "2", "--quiet"]),
                      "malformed training state: " + parts[3], in: d, before: before)
        expectRefused(embedviz(["embed", "--checkpoint", d + "/run/last.ckpt", "--data", d + "/data", "--out", d + "/OUT"]),
                      parts[3], in: d, before: before)
    }
}
