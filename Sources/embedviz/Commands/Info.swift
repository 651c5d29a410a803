import ArgumentParser
import Datasets
import Foundation
import Linalg

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the version, the BLAS configuration and where data is expected.",
        discussion: """
            Examples:
              embedviz info
              embedviz info --data data/mnist --verify     # also check the MNIST checksums
              embedviz info --json -                       # the same as JSON
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var common: CommonOptions

    @Flag(help: "Verify the MD5 checksums of the MNIST files in --data.")
    var verify = false

    @Flag(help: "Load both splits from --data and print their shapes and class counts.")
    var dataset = false

    @Option(help: ArgumentHelp("Measure sgemm on n×n matrices: median of 7 runs, in GFLOP/s.", valueName: "n"))
    var sgemm: Int?

    struct Summary: Encodable {
        var version: String
        var blas: BLASInfo
        var threads: Int
        var dataDirectory: String
        /// One entry per MNIST file (file names are values, not keys: keys stay snake_case).
        var dataFiles: [DataFile]
        /// With --verify: whether every checksum matched.
        var checksumsOk: Bool?
        var splits: [String: SplitSummary]?
        var sgemm: SGEMMSummary?
    }

    struct DataFile: Encodable {
        var name: String
        /// Where it was found, nil when missing.
        var path: String?
        /// With --verify: whether its MD5 matched.
        var md5Ok: Bool?
    }

    struct SGEMMSummary: Encodable {
        var n: Int
        var medianSeconds: Double
        var gflops: Double
    }

    struct SplitSummary: Encodable {
        var images: Int
        var height: Int
        var width: Int
        var classCounts: [Int]
        var loadSeconds: Double
    }

    func run() throws {
        common.apply()
        let blas = BLASInfo.current
        var files: [String: String] = [:]
        for split in MNIST.Split.allCases {
            for name in [split.imagesFile, split.labelsFile] {
                files[name] = (try? MNIST.path(of: name, in: data.data)) ?? "missing"
            }
        }
        let checksums = verify ? MNIST.verifyChecksums(in: data.data) : nil
        var splits: [String: SplitSummary]?
        if dataset {
            splits = [:]
            for split in MNIST.Split.allCases {
                let start = Date()
                let set = try MNIST.load(split, from: data.data)
                splits![split.rawValue] = SplitSummary(images: set.count, height: set.height, width: set.width,
                                                      classCounts: set.classCounts,
                                                      loadSeconds: Date().timeIntervalSince(start))
            }
        }
        var measured: SGEMMSummary?
        if let n = sgemm {
            guard n > 0 else { throw EmbedVizError.input("--sgemm takes a positive size") }
            // A and C, n×n float32 each.
            try MemoryBudget.check(checkedProduct(8, n, n), for: "sgemm of \(n)×\(n) matrices", alternative: "use a smaller --sgemm n")
            var rng = SeededGenerator(seed: 1)
            let a = Matrix(rows: n, columns: n) { _, _ in rng.uniform(-1, 1) }
            var c = Matrix(rows: n, columns: n)
            BLAS.gemm(a, .none, a, .none, into: &c)  // warm-up
            let times = (0..<7).map { _ -> Double in
                let start = Date()
                BLAS.gemm(a, .none, a, .none, into: &c)
                return Date().timeIntervalSince(start)
            }.sorted()
            measured = SGEMMSummary(n: n, medianSeconds: times[3], gflops: 2 * pow(Double(n), 3) / times[3] / 1e9)
        }
        let dataFiles = files.keys.sorted().map { name in
            DataFile(name: name, path: try? MNIST.path(of: name, in: data.data), md5Ok: checksums.map { $0[name] == true })
        }
        let summary = Summary(version: EmbedVizCommand.version, blas: blas, threads: Threads.count,
                              dataDirectory: data.data, dataFiles: dataFiles,
                              checksumsOk: checksums.map { !$0.values.contains(false) }, splits: splits, sgemm: measured)
        common.say("embedviz \(EmbedVizCommand.version)")
        common.say("BLAS:    \(blas.config)")
        let replaced = blas.replacedCore.map { " (selected by EmbedViz; OpenBLAS had fallen back to \($0))" } ?? ""
        common.say("core:    \(blas.coreName)\(replaced), \(blas.threads) threads of \(blas.processors) processors (\(blas.parallelism))")
        common.say("data:    \(data.data)")
        for name in files.keys.sorted() {
            let mark = checksums.map { $0[name] == true ? "  md5 ok" : "  md5 MISMATCH" } ?? ""
            common.say("  \(name): \(files[name]!)\(mark)")
        }
        for (name, split) in (splits ?? [:]).sorted(by: { $0.key > $1.key }) {
            common.say("\(name): \(split.images) images of \(split.height)×\(split.width), loaded in \(String(format: "%.2f", split.loadSeconds)) s")
            common.say("  class counts: " + split.classCounts.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: "  "))
        }
        if let measured {
            common.say(String(format: "sgemm:   n = %d, median %.2f ms, %.1f GFLOP/s (%d threads)", measured.n,
                              measured.medianSeconds * 1000, measured.gflops, Threads.count))
        }
        try common.writeSummary(summary)
        if let checksums, checksums.values.contains(false) {
            throw EmbedVizError.input("MNIST checksums do not match; run `make data`", at: data.data)
        }
    }
}
