import ArgumentParser
import Datasets
import Foundation
import Linalg

/// The `embedviz` command: a thin shell over the library modules. Each subcommand parses options
/// and calls one library function; errors become one line on stderr, in the CLI's terms, and an
/// exit code (1 bad input or usage, 2 environment, 130 interrupted): see `ErrorBoundary`.
struct EmbedVizCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "embedviz",
        abstract: "See what a model's feature vectors look like, and which inputs don't belong.",
        discussion: """
            Arrays are read from NPY, CSV/TSV or raw float32 (--format f32 --shape N,D), from files \
            (plain or .gz) or standard input (-). Outputs are written atomically.

            Exit codes: 0 success · 1 bad input or usage · 2 environment (missing library, \
            unwritable directory, full disk) · 130 interrupted.
            """,
        version: version,
        subcommands: [Demo.self, Info.self, Train.self, Evaluate.self, Embed.self, DeformCommand.self, PCACommand.self, TSNECommand.self,
                      UMAPCommand.self, MetricsCommand.self, PlotCommand.self, ReportCommand.self, Export.self])
}

@main
enum Main {
    static func main() {
        var parsed: ParsableCommand?
        do {
            var command = try EmbedVizCommand.parseAsRoot()
            parsed = command
            try command.run()
            Profile.report()
        } catch let error as EmbedVizError {
            TemporaryFiles.removeAll()
            FileHandle.standardError.write(Data("error: \(ErrorBoundary.line(for: error, in: parsed))\n".utf8))
            exit(ErrorBoundary.exitCode(for: error.kind))
        } catch {
            let code = EmbedVizCommand.exitCode(for: error)
            let message = EmbedVizCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                exit(0)
            }
            FileHandle.standardError.write(Data("error: \(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message)\n".utf8))
            exit(1)
        }
    }
}
