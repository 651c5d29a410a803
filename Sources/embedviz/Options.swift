import ArgumentParser
import Datasets
import Foundation
import Linalg

/// Options every subcommand takes: threads, quiet, and a JSON summary.
struct CommonOptions: ParsableArguments {
    @Option(help: "Threads for OpenBLAS and EmbedViz's own loops (default: all cores).")
    var threads: Int?

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Option(help: ArgumentHelp(
        "Write a machine-readable summary of what the command did (JSON) to this file.",
        discussion: "`-` prints it to stdout, or to stderr when stdout carries data.",
        valueName: "path"))
    var json: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies the thread setting.
    func apply() {
        if let threads { Threads.set(threads) }
    }

    /// Prints a line of human-readable output unless `--quiet`.
    func say(_ line: String) {
        if !quiet { print(line) }
    }

    /// Writes the JSON summary if `--json` was given.
    func writeSummary<T: Encodable>(_ summary: T, stdoutCarriesData: Bool = false) throws {
        guard let json else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(summary) + Data("\n".utf8)
        if json == "-" {
            (stdoutCarriesData ? FileHandle.standardError : FileHandle.standardOutput).write(data)
        } else {
            try OutputFile.write([UInt8](data), to: json)
        }
    }
}

/// `--data DIR`: a directory in the MNIST file layout.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A directory in the MNIST file layout (train-/t10k- images and labels, plain or .gz).",
        valueName: "dir"))
    var data: String = MNIST.defaultDirectory
}
