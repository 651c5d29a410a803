import ArgumentParser
import Foundation
import Linalg
import Projection

/// How a command that finds nearest neighbours finds them: `--neighbors`, `--metric` and the HNSW
/// parameters, the same on every such command.
struct NeighbourOptions: ParsableArguments {
    @Option(name: .customLong("neighbors"), help: ArgumentHelp(
        "Nearest-neighbour search: auto (exact below \(NeighbourSearch.approximateFrom) points, approx from there; for rows of more than \(NeighbourSearch.projectAbove) columns approx from \(NeighbourSearch.projectedFrom) points), exact (blocked BLAS, O(N²)), or approx (hnswlib's HNSW graph, or above \(NeighbourSearch.projectAbove) columns candidates from a PCA re-ranked exactly, see --approx-pca; its recall is measured on --recall-sample rows).",
        valueName: "auto|exact|approx"))
    var neighbors: NeighbourSearch.Method = .auto

    @Option(help: ArgumentHelp("Distance: euclidean, or cosine (1 − cos θ; rows are scaled to unit length, zero rows refused).",
                               valueName: "euclidean|cosine"))
    var metric: NeighbourSearch.Metric = .euclidean

    @Option(help: "Approximate search of rows with more than \(NeighbourSearch.projectAbove) columns: candidates from a PCA of this many components, re-ranked exactly in the full space (0: HNSW over the full rows).")
    var approxPca = 50

    @Option(help: "Candidates per neighbour in that projected search (k neighbours: this × k candidates re-ranked).")
    var approxCandidates = 4

    @Option(help: "HNSW links per point and layer (hnswlib's M): larger is more accurate, slower and bigger.")
    var hnswM = 16

    @Option(help: "HNSW candidates while building (hnswlib's ef_construction).")
    var hnswEfConstruction = 200

    @Option(help: ArgumentHelp("HNSW candidates while searching (hnswlib's ef, at least k + 1), or auto = ⌈1.5·k⌉ + 1.",
                               valueName: "n|auto"))
    var hnswEf = "auto"

    @Flag(help: "Build the HNSW graph with all threads: about 2× faster on 2 cores, but the neighbour lists (and so the map) then vary from run to run.")
    var hnswParallelBuild = false

    @Option(help: "Rows of an approximate search whose lists are checked against exact search (0: no check); a recall below 0.95 is a warning.")
    var recallSample = 500

    func validate() throws {
        if hnswEf != "auto", !(Int(hnswEf).map { $0 >= 1 } ?? false) {
            throw EmbedVizError.input("takes a positive whole number or 'auto', got '\(hnswEf)'", at: "--hnsw-ef")
        }
        if hnswM < 2 || hnswM > 1024 { throw EmbedVizError.input("must be between 2 and 1024, got \(hnswM)", at: "--hnsw-m") }
        if hnswEfConstruction < 1 {
            throw EmbedVizError.input("must be at least 1, got \(hnswEfConstruction)", at: "--hnsw-ef-construction")
        }
        if approxPca < 0 { throw EmbedVizError.input("must be ≥ 0, got \(approxPca)", at: "--approx-pca") }
        if approxCandidates < 1 || approxCandidates > 100 {
            throw EmbedVizError.input("must be between 1 and 100, got \(approxCandidates)", at: "--approx-candidates")
        }
        if recallSample < 0 { throw EmbedVizError.input("must be ≥ 0, got \(recallSample)", at: "--recall-sample") }
    }

    /// The library's search options, seeded with the command's seed.
    func search(seed: UInt64) -> NeighbourSearch {
        var search = NeighbourSearch(method: neighbors, metric: metric)
        search.projectedDimensions = approxPca
        search.candidateFactor = approxCandidates
        search.m = hnswM
        search.efConstruction = hnswEfConstruction
        search.ef = Int(hnswEf)
        search.seed = seed
        search.recallSample = recallSample
        search.parallelBuild = hnswParallelBuild
        return search
    }
}

extension NeighbourSearch.Method: ExpressibleByArgument {}
extension NeighbourSearch.Metric: ExpressibleByArgument {}

/// The progress line of a neighbour search, e.g. "building the HNSW graph 12000/70000".
func neighbourProgressText(_ p: NeighbourProgress) -> String {
    p.stage == .done ? (p.report?.summary ?? "") : "\(p.stage.rawValue) \(p.done)/\(p.total)"
}

/// Shows a neighbour search's progress on `line` as "LABEL: …"; when it is done, the outcome (method,
/// and for HNSW the measured recall) stays on screen and a low recall's warning goes to stderr.
func showNeighbourProgress(_ p: NeighbourProgress, label: String, elapsed: Double, on line: ProgressLine, common: CommonOptions) {
    guard p.stage == .done else {
        line.update("\(label): \(neighbourProgressText(p))  \(formatDuration(elapsed))")
        return
    }
    line.finish("\(label): \(neighbourProgressText(p))")
    if let warning = p.report?.warning { common.warn(warning) }
}
