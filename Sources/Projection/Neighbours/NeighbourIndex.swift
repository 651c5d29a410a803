import Foundation
import Linalg
import Synchronization

/// The nearest reference points of any queries, found as a `NeighbourSearch` says: prepared once
/// (for `approx`, the HNSW graph of the reference, or for rows of more than
/// `NeighbourSearch.projectAbove` columns the reference's PCA and the index of its projection), then
/// asked for any number of query batches (the chunks of a t-SNE transform). `auto` resolves on the
/// reference's size and columns.
///
/// Recall of approximate runs: the first `recallSample` query rows asked for, sampled at random
/// within each batch (all of them in one batch when it is large enough), are also searched exactly;
/// `report` holds the recall over all rows checked so far.
public final class NeighbourIndex: Sendable {
    public let search: NeighbourSearch
    /// `exact` or `approx`.
    public let method: NeighbourSearch.Method
    /// The reference as searched (unit rows for the cosine metric).
    private let reference: Matrix
    private let graph: HNSWIndex?
    /// A projected search: the PCA and the index of the projected reference the candidates come from.
    private let projection: (pca: CandidateProjection, index: NeighbourIndex)?
    private let secondsBuild: Double
    private struct Tally {
        var found = 0, checked = 0, rowsChecked = 0, completedExactly = 0, k = 0, queries = 0
        var secondsSearch = 0.0, secondsRecall = 0.0
    }
    private let tally = Mutex(Tally())

    /// Prepares the search among the rows of `reference` (N×D).
    /// - Throws: `EmbedVizError.input` for non-finite data, unusable parameters, or (cosine) a zero row.
    public init(reference: Matrix, search: NeighbourSearch = NeighbourSearch(),
                progress: (NeighbourProgress) -> Void = { _ in }) throws(EmbedVizError) {
        try search.validate()
        try reference.requireDistanceSafe("reference")
        self.search = search
        self.reference = search.metric == .cosine ? try NearestNeighbours.unitRows(reference) : reference
        method = search.resolvedMethod(points: reference.rows, dimensions: reference.columns)
        let start = Date()
        if method == .approx && search.projects(dimensions: reference.columns) {
            progress(NeighbourProgress(stage: .projecting, done: 0, total: reference.rows))
            let pca = try CandidateProjection(reference: self.reference, dimensions: search.projectedDimensions)
            let inner = CandidateProjection.candidateSearch(search, points: reference.rows)
            projection = (pca, try NeighbourIndex(reference: pca.project(self.reference), search: inner, progress: progress))
            graph = nil
        } else if method == .approx {
            projection = nil
            graph = try HNSWIndex(self.reference, m: search.m, efConstruction: search.efConstruction, seed: search.seed,
                                  parallel: search.parallelBuild) {
                progress(NeighbourProgress(stage: .building, done: $0, total: reference.rows))
            }
        } else {
            (graph, projection) = (nil, nil)
        }
        secondsBuild = Date().timeIntervalSince(start)
    }

    /// Reference points (N).
    public var count: Int { reference.rows }

    /// The `k` nearest reference rows of each row of `queries` (M×D), nearest first: squared
    /// Euclidean distances, or for the cosine metric 1 − cos θ.
    public func neighbours(of queries: Matrix, k: Int) throws(EmbedVizError) -> NearestNeighbours {
        guard queries.columns == reference.columns else {
            throw EmbedVizError.input("\(queries.columns)-d queries against \(reference.columns)-d reference points")
        }
        guard k >= 1, k <= reference.rows else {
            throw EmbedVizError.input("k = \(k) nearest neighbours need 1 ≤ k ≤ \(reference.rows), the number of reference points")
        }
        try queries.requireFinite("queries")
        let points = search.metric == .cosine ? try NearestNeighbours.unitRows(queries) : queries
        let start = Date()
        var lists: NearestNeighbours
        var completed = 0
        if let projection {
            let candidates = try projection.index.neighbours(of: projection.pca.project(points),
                                                             k: search.candidates(k: k, available: reference.rows))
            lists = NearestNeighbours.reranked(candidates, queries: points, reference: reference, k: k)
        } else if let graph {
            (lists, completed) = try graph.search(points, k: k, ef: search.searchEf(k: k))
        } else {
            lists = try NearestNeighbours.exact(points, among: reference, k: k)
        }
        let secondsSearch = Date().timeIntervalSince(start)
        // The recall check on the next rows of the sample budget, drawn at random from this batch.
        var found = 0, checkRows = 0, secondsRecall = 0.0
        let budget = tally.withLock { max(0, search.recallSample - $0.rowsChecked) }
        if method == .approx, budget > 0, queries.rows > 0 {
            let checkStart = Date()
            let rows = NeighbourRecall.sampleRows(queries.rows, count: min(budget, queries.rows), seed: search.seed)
            let truth = try NearestNeighbours.exact(points.rows(at: rows), among: reference, k: k)
            for (s, i) in rows.enumerated() {
                let trueSet = Set(truth.neighbours(of: s))
                found += lists.neighbours(of: i).filter { trueSet.contains($0) }.count
            }
            checkRows = rows.count
            secondsRecall = Date().timeIntervalSince(checkStart)
        }
        if search.metric == .cosine {
            for e in lists.squaredDistances.indices { lists.squaredDistances[e] *= 0.5 }
        }
        tally.withLock {
            $0.found += found
            $0.checked += checkRows * k
            $0.rowsChecked += checkRows
            $0.completedExactly += completed
            $0.k = k
            $0.queries += queries.rows
            $0.secondsSearch += secondsSearch
            $0.secondsRecall += secondsRecall
        }
        return lists
    }

    /// How the neighbours asked for so far were found (k and the query count are of all batches).
    public var report: NeighbourReport {
        let t = tally.withLock { $0 }
        var report = NeighbourReport(method: method, metric: search.metric, k: t.k, points: t.queries, recallRows: t.rowsChecked,
                                     threads: Threads.count, secondsBuild: secondsBuild, secondsSearch: t.secondsSearch,
                                     secondsRecall: t.secondsRecall)
        report.completedExactly = t.completedExactly
        let inner = projection?.index.report
        if let inner {
            (report.projectedDimensions, report.candidates) = (search.projectedDimensions, search.candidates(k: t.k, available: count))
            report.completedExactly = inner.completedExactly
        }
        report.deterministic = inner?.deterministic ?? (method == .exact || !search.parallelBuild || Threads.count == 1)
        if method == .approx {
            if projection == nil || projection?.index.method == .approx {
                let ef = search.searchEf(k: projection == nil ? t.k : search.candidates(k: t.k, available: count))
                (report.m, report.efConstruction, report.ef) = (search.m, search.efConstruction, ef)
            }
            if t.checked > 0 {
                let recall = Double(t.found) / Double(t.checked)
                report.recall = recall
                if recall < search.recallWarningBelow {
                    report.warning = NeighbourReport.lowRecallWarning(recall, rows: t.rowsChecked, search, k: t.k, projected: projection != nil)
                }
            }
        }
        return report
    }
}
