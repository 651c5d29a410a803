import Datasets
import Foundation
import Linalg
import Projection

/// The streamed read → transform → write loop of `pca transform` and `tsne transform`: the rows of
/// `reader`, `chunkRows` at a time, through `transform` into `output` (stdout when not given), in
/// constant memory. A stop request (SIGINT/SIGTERM) is honoured between chunks; on it or on an
/// error the output is abandoned (a file is not left half-written; stdout keeps the rows sent).
/// Then a low recall's warning of the approximate `neighbours`, if given, goes to stderr, and the one
/// human-readable line and the JSON summary that `report` makes from the output path (`-` for stdout)
/// and the seconds since the call go out, to stderr when stdout carries the rows.
/// - Parameter start: when the command's work began (default: now).
func streamTransform<Summary: Encodable>(_ reader: MatrixReader, to output: OutputOptions, columns: Int, chunkRows: Int,
                                         common: CommonOptions, start: Date = Date(), neighbours: NeighbourIndex? = nil,
                                         _ transform: (Matrix) throws -> Matrix,
                                         report: (_ path: String, _ seconds: Double) -> (line: String, summary: Summary)) throws {
    let path = output.output ?? "-"
    // Before the output's temporary exists: a signal that finds the temporary finds the handler too.
    StopRequest.install()
    let writer = try MatrixWriter(path: path, format: output.format(inputFormat: reader.format), columns: columns,
                                  rows: reader.rows)
    do {
        while let rows = try reader.next(maxRows: max(1, chunkRows)) {
            try StopRequest.check(path == "-" ? "standard output holds the rows projected before the signal"
                                               : "\(path) was not written")
            try writer.write(try transform(rows))
        }
        try writer.finish()
    } catch {
        writer.abandon()
        throw error
    }
    if let warning = neighbours?.report.warning { common.warn(warning) }
    let (line, summary) = report(path, Date().timeIntervalSince(start))
    common.say(line, stdoutCarriesData: path == "-")
    try common.writeSummary(summary, stdoutCarriesData: path == "-")
}
