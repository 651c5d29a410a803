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
        discussion: "`-` prints it to stdout (the human-readable lines then go to stderr), or to stderr when stdout carries data.",
        valueName: "path"))
    var json: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies the thread setting.
    func apply() {
        if let threads { Threads.set(threads) }
    }

    /// Prints a line of human-readable output unless `--quiet`. Goes to stderr when stdout carries
    /// data (`--output -`) or the JSON summary (`--json -`), and is flushed at once so that piped logs
    /// stay in step.
    func say(_ line: String, stdoutCarriesData: Bool = false) {
        guard !quiet else { return }
        if stdoutCarriesData || json == "-" {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            print(line)
            fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe to name in Swift 6
        }
    }

    /// Prints "warning: …" to stderr unless `--quiet`.
    func warn(_ message: String) {
        if !quiet { FileHandle.standardError.write(Data("warning: \(message)\n".utf8)) }
    }

    /// Writes the JSON summary if `--json` was given.
    func writeSummary<T: Encodable>(_ summary: T, stdoutCarriesData: Bool = false) throws {
        guard let json else { return }
        let data = try JSONCoding.encode(summary)
        if json == "-" {
            (stdoutCarriesData ? FileHandle.standardError : FileHandle.standardOutput).write(Data(data))
        } else {
            try OutputFile.write(data, to: json)
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

/// `--input` and how to read it: any float matrix in NPY, CSV/TSV or raw float32, file or stdin.
struct InputOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp(
        "Input matrix: .npy, .csv, .tsv, raw float32 (.f32/.bin/.raw, needs --shape), gzip allowed; - for stdin.",
        valueName: "path"))
    var input: String

    @Option(help: ArgumentHelp("Input format when the extension doesn't say (default: detected).", valueName: "npy|csv|tsv|f32"))
    var format: ArrayFormat?

    @Option(help: ArgumentHelp("Shape of raw float32 input: N,D or just D (rows follow from the size).", valueName: "N,D"))
    var shape: String?

    @Option(help: "Whether CSV/TSV input starts with a header row.")
    var header: HeaderMode = .auto

    func readOptions() throws -> ReadOptions {
        var options = ReadOptions(format: format, header: header)
        if let shape {
            let parts = shape.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.count <= 2, parts.allSatisfy({ ($0 ?? 0) > 0 || $0 == -1 }) else {
                throw EmbedVizError.input("--shape takes N,D or D with positive integers, got '\(shape)'")
            }
            options.columns = parts.last!
            if parts.count == 2, let n = parts[0], n > 0 { options.rows = n }
        }
        return options
    }

    func reader() throws -> MatrixReader { try MatrixReader(path: input, options: readOptions()) }
    func readAll() throws -> Matrix { try reader().readAll() }
}

/// `--output` and its format.
struct OutputOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Output matrix (format by extension, default NPY); - for stdout.", valueName: "path"))
    var output: String?

    @Option(help: ArgumentHelp("Output format (default: by extension; for stdout, the input's format).", valueName: "npy|csv|tsv|f32"))
    var outputFormat: ArrayFormat?

    /// The format to write: explicit, else by extension, else (stdout) the input's format, else NPY.
    func format(inputFormat: ArrayFormat?) -> ArrayFormat {
        if let outputFormat { return outputFormat }
        if let output, output != "-", let byName = ArrayFormat.fromExtension(output) { return byName }
        if output == "-", let inputFormat { return inputFormat }
        return .npy
    }

    /// Writes a projection's map to `--output` (if given) and, beside a file, its run record as OUTPUT.json.
    func write<Record: Encodable>(map: Matrix, record: Record, inputFormat: ArrayFormat?) throws {
        guard let output else { return }
        try MapFile.write(map, record: record, to: output, format: format(inputFormat: inputFormat))
    }
}

/// The `--init` of `tsne` and `umap`: one of the start names in `named`, else the path of an N×d
/// matrix of starting coordinates (read here).
func parseInitialization<Start>(_ argument: String, named: [String: Start], given: (Matrix) -> Start) throws -> Start {
    if let start = named[argument] { return start }
    return given(try MatrixReader.read(argument))
}

extension ArrayFormat: ExpressibleByArgument {}
extension HeaderMode: ExpressibleByArgument {}
