import Datasets
import Foundation
import TestSupport
import Testing

/// One row per kind of bad input (issue "Robustness"): each must exit non-zero with a single
/// `error: <what> (<where>)` line that names the file (or option) and the problem, and leave no
/// output file behind.
struct BadInput: CustomStringConvertible, Sendable {
    var name: String
    /// Writes the inputs into the scratch directory and returns the arguments (OUT = output path).
    var setup: @Sendable (String) -> [String]
    var message: String
    var exitCode: Int32 = 1
    var description: String { name }
}

/// tinyMNIST in `d/data` with its test-images file (the path given to `edit`) changed, and the
/// arguments of `embed --random-weights` on it (output d/OUT).
func embedOnTinyMNIST(_ d: String, editingTestImages edit: (String) -> Void) -> [String] {
    tinyMNIST(d + "/data")
    edit(d + "/data/t10k-images-idx3-ubyte")
    return ["embed", "--random-weights", "--data", d + "/data", "--out", d + "/OUT"]
}

/// Writes the input `d/<file>` (`write` is given its path) and returns the arguments of `command`
/// on it with the output d/OUT, then `options`.
func onInput(_ command: String, _ d: String, _ file: String, _ options: [String] = [], writing write: (String) -> Void) -> [String] {
    write(d + "/" + file)
    return [command, "--input", d + "/" + file, "--output", d + "/OUT"] + options
}

let badInputs: [BadInput] = [
    BadInput(name: "truncated IDX", setup: { d in
        embedOnTinyMNIST(d) { path in
            let full = idx([40, 28, 28], Array(repeating: 7, count: 40 * 784))
            write(Array(full.prefix(1000)), path)
        }
    }, message: "truncated: the header promises 40×28×28 uint8 elements"),
    BadInput(name: "truncated gzip IDX", setup: { d in
        embedOnTinyMNIST(d) { path in
            runProcess("/bin/gzip", [path])
            let gz = try! Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
            write(Array(gz.prefix(gz.count / 2)), path + ".gz")
        }
    }, message: "t10k-images-idx3-ubyte.gz"),
    BadInput(name: "IDX with the wrong magic", setup: { d in
        embedOnTinyMNIST(d) { write([0x1f, 0x00, 8, 3] + Array(repeating: 0, count: 40), $0) }
    }, message: "not an IDX file: it starts with bytes 0x1F 0x00"),
    BadInput(name: "IDX with overflowing dimensions", setup: { d in
        embedOnTinyMNIST(d) { write(idx([0xFFFF_FFFF, 0xFFFF_FFFF, 28], []), $0) }
    }, message: "describe more data than any real file holds"),
    BadInput(name: "NPY with an unsupported dtype", setup: { d in
        onInput("pca", d, "in.npy") { write(npyHeader(descr: "<c8", shape: [3]) + Array(repeating: 0, count: 24), $0) }
    }, message: "unsupported dtype '<c8'"),
    BadInput(name: "NPY whose header lies about the shape", setup: { d in
        onInput("pca", d, "in.npy") { path in
            npy(10, 3, path) { i, j in Float(i + j) }
            let bytes = try! Data(contentsOf: URL(fileURLWithPath: path))
            write(Array(bytes.dropLast(12)), path)
        }
    }, message: "the header says shape (10, 3)"),
    BadInput(name: "NPY object array", setup: { d in
        onInput("pca", d, "in.npy") { write(npyHeader(descr: "|O", shape: [2]) + Array(repeating: 0, count: 16), $0) }
    }, message: "object arrays are not supported"),
    BadInput(name: "ragged CSV", setup: { d in
        onInput("pca", d, "in.csv") { write("1,2,3\n4,5,6\n7,8\n", $0) }
    }, message: "line 3 has 2 fields, expected 3"),
    BadInput(name: "non-numeric CSV", setup: { d in
        onInput("pca", d, "in.csv") { write("1,2,3\n4,five,6\n7,8,9\n", $0) }
    }, message: "line 2, column 2: 'five' is not a number"),
    BadInput(name: "NaN in an NPY input", setup: { d in
        onInput("tsne", d, "in.npy", ["--perplexity", "1"]) { npy(6, 3, $0) { i, j in i == 4 && j == 2 ? .nan : Float(i * j) } }
    }, message: "row 4, column 2 (0-based) is nan"),
    BadInput(name: "Inf in a CSV input", setup: { d in
        onInput("pca", d, "in.csv") { write("1,2\n3,inf\n5,6\n", $0) }
    }, message: "line 2, column 2 is inf"),
    BadInput(name: "fewer points than the perplexity allows", setup: { d in
        onInput("tsne", d, "in.npy") { npy(50, 4, $0) { i, j in Float((i * 7 + j * 3) % 11) } }
    }, message: "perplexity 30.0 is too large for 50 points (3·perplexity neighbours are needed); the maximum is 16"),
    BadInput(name: "only duplicate points", setup: { d in
        onInput("tsne", d, "in.npy", ["--perplexity", "5"]) { npy(40, 3, $0) { _, j in Float(j) } }
    }, message: "all 40 points are identical"),
    BadInput(name: "only constant columns for PCA", setup: { d in
        onInput("pca", d, "in.npy") { npy(20, 3, $0) { _, j in Float(j) * 2 } }
    }, message: "the data has no variance"),
    BadInput(name: "more components than min(N, D)", setup: { d in
        npy(20, 3, d + "/in.npy") { i, j in Float(i * j % 5) }
        return ["pca", "--input", d + "/in.npy", "--components", "4", "--output", d + "/OUT"]
    }, message: "cannot compute 4 components of a 20×3 matrix; at most min(N, D) = 3"),
    BadInput(name: "Barnes–Hut in 4 dimensions", setup: { d in
        onInput("tsne", d, "in.npy", ["--dimensions", "4", "--method", "bh", "--perplexity", "5"]) { path in
            npy(40, 3, path) { i, j in Float((i * 13 + j * 7) % 17) }
        }
    }, message: "Barnes–Hut t-SNE supports 2 or 3 dimensions, not 4; use --method exact"),
    BadInput(name: "FFT interpolation in 3 dimensions", setup: { d in
        onInput("tsne", d, "in.npy", ["--dimensions", "3", "--method", "fft", "--perplexity", "5"]) { path in
            npy(40, 3, path) { i, j in Float((i * 13 + j * 7) % 17) }
        }
    }, message: "FFT-interpolation t-SNE supports 1 or 2 dimensions, not 3; use --method bh"),
    BadInput(name: "truncated checkpoint", setup: { d in
        tinyCheckpoint(d) { bytes in bytes.removeLast(bytes.count - bytes.count / 2) }
        return ["embed", "--checkpoint", d + "/run/best.ckpt", "--data", d + "/data", "--out", d + "/OUT"]
    }, message: "truncated checkpoint"),
    BadInput(name: "corrupted checkpoint", setup: { d in
        tinyCheckpoint(d) { bytes in bytes[bytes.count - 1000] ^= 0x10 }
        return ["evaluate", "--checkpoint", d + "/run/best.ckpt", "--data", d + "/data", "--json", d + "/OUT"]
    }, message: "checksum mismatch"),
    BadInput(name: "checkpoint of another architecture", setup: { d in
        tinyCheckpoint(d) { bytes in
            let text = Array("Linear(100,10)".utf8), replacement = Array("Linear(100,12)".utf8)
            if let at = (0..<(bytes.count - text.count)).first(where: { Array(bytes[$0..<($0 + text.count)]) == text }) {
                bytes.replaceSubrange(at..<(at + text.count), with: replacement)
            }
        }  // the checksum no longer matches either; the architecture is checked first
        return ["embed", "--checkpoint", d + "/run/best.ckpt", "--data", d + "/data", "--out", d + "/OUT"]
    }, message: "for another architecture"),
    BadInput(name: "checkpoint of a diverged run (NaN weights, valid checksum)", setup: { d in
        tinyCheckpoint(d) { bytes in
            // The first float of the payload (conv.weight[0]) becomes NaN; the CRC-32 is recomputed.
            let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
            withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { bytes.replaceSubrange((16 + headerLength)..<(20 + headerLength), with: $0) }
            let crc = bytes.withUnsafeBytes { CRC32.of(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
            withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((bytes.count - 4)..<bytes.count, with: $0) }
        }
        return ["embed", "--checkpoint", d + "/run/best.ckpt", "--data", d + "/data", "--out", d + "/OUT"]
    }, message: "non-finite value (nan) in tensor conv.weight at element 0"),
    BadInput(name: "training that diverges", setup: { d in
        tinyMNIST(d + "/data")
        return ["train", "--data", d + "/data", "--out", d + "/OUT", "--epochs", "2", "--train-size", "48", "--validation-size", "16",
                "--learning-rate", "1e30", "--quiet"]
    }, message: "training diverged in epoch 1"),
    BadInput(name: "missing input", setup: { d in
        ["pca", "--input", d + "/nothing-here.npy", "--output", d + "/OUT"]
    }, message: "no such file"),
    BadInput(name: "unwritable output directory", setup: { d in
        npy(20, 3, d + "/in.npy") { i, j in Float(i * j % 5) }
        return ["pca", "--input", d + "/in.npy", "--output", "/proc/embedviz-cannot-write-here/OUT.npy"]
    }, message: "cannot write: the directory does not exist", exitCode: 2),
    BadInput(name: "full disk", setup: { d in
        npy(2000, 100, d + "/in.npy") { i, j in Float((i * 31 + j * 17) % 101) }
        return ["pca", "--input", d + "/in.npy", "--components", "50", "--output", "/dev/full", "--output-format", "npy"]
    }, message: "no space left on device (/dev/full)", exitCode: 2),
]

/// The best.ckpt of a tiny model (1 epoch on 48 synthetic images), trained once for all the
/// checkpoint cases.
let tinyCheckpointBytes: [UInt8] = {
    let d = scratchDirectory()
    tinyMNIST(d + "/data")
    _ = embedviz(["train", "--data", d + "/data", "--out", d + "/run", "--epochs", "1", "--train-size", "48", "--validation-size", "16", "--quiet"])
    return Array(try! Data(contentsOf: URL(fileURLWithPath: d + "/run/best.ckpt")))
}()

/// Synthetic data in `d/data` and the tiny checkpoint, changed by `edit`, as `d/run/best.ckpt`.
func tinyCheckpoint(_ d: String, edit: (inout [UInt8]) -> Void) {
    tinyMNIST(d + "/data")
    try! FileManager.default.createDirectory(atPath: d + "/run", withIntermediateDirectories: true)
    var bytes = tinyCheckpointBytes
    edit(&bytes)
    write(bytes, d + "/run/best.ckpt")
}

@Suite struct BadInputTests {
    @Test("bad input: non-zero exit, one error line naming the file and the problem, no output left", arguments: badInputs)
    func badInput(_ c: BadInput) {
        let (d, before, result) = runInScratch(c.setup)
        #expect(result.status == c.exitCode, "exit \(result.status): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "stderr: \(result.stderr)")
        #expect(result.stderr.contains(c.message), "stderr: \(result.stderr)")
        // Names where: a path, or the input that was checked.
        #expect(result.stderr.contains("(") && result.stderr.hasSuffix(")\n") || c.name.contains("perplexity")
                || c.name.contains("duplicate") || c.name.contains("constant") || c.name.contains("components")
                || c.name.contains("dimensions"), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: d + "/OUT"), "an output was left behind")
        #expect(listing(d) == before, "files appeared: \(Set(listing(d)).subtracting(before))")
    }

    @Test("partial duplicates and some constant columns are fine")
    func degenerateButValid() {
        let d = scratchDirectory()
        npy(60, 4, d + "/in.npy") { i, j in j == 3 ? 5 : Float(i % 20 + j) }  // rows repeat every 20; column 3 constant
        let pca = embedviz(["pca", "--input", d + "/in.npy", "--output", d + "/pca.npy", "--quiet"])
        #expect(pca.status == 0, "\(pca.stderr)")
        let tsne = embedviz(["tsne", "--input", d + "/in.npy", "--output", d + "/tsne.npy", "--perplexity", "5", "--quiet",
                             "--iterations", "100"])
        #expect(tsne.status == 0, "\(tsne.stderr)")
    }
}
