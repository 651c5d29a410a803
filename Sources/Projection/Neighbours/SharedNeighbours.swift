import Foundation
import Linalg

// One neighbour search for every consumer of the same points: a study of N points asks for neighbour
// lists four times — t-SNE 2-D and 3-D (k = 3·perplexity), UMAP (n_neighbors − 1) and the within-set
// outlier detectors (the largest of their k) — and at a million rows each search is an HNSW build of
// minutes. The lists are found once, for the largest k declared, on the first request; every request
// then gets the first k of each list.
//
// Why a prefix is the list a search for k would give: exact lists are sorted by (distance, index),
// so their first k are the k-nearest lists. Approximate lists are the first k of a search with a wider
// candidate list (ef grows with k), so they are at least as good as a search for k alone, but not
// bit for bit the same: a prefix's recall is measured again on its own k, and its report says that it
// was served from lists of a larger k (`NeighbourReport.prefixOf`).
//
// Memory: the lists (8 bytes per neighbour: 720 MB for 1M × 90) are narrowed to the largest k still
// declared after each request, and dropped after the last.

/// Neighbour lists of one point set, found once for the largest k its declared consumers need and
/// served to each as the first k of every list (see `NearestNeighbours.find(_:k:search:shared:progress:)`).
public final class SharedNeighbours: @unchecked Sendable {
    // @unchecked: `found` and `demands` change only under `lock`.
    /// The points the lists are of.
    public let points: Matrix
    /// How they are searched: a consumer is served when its own search would be the same one (`serves`).
    public let search: NeighbourSearch
    private let lock = NSLock()
    private var demands: [Int]
    private var found: (lists: NearestNeighbours, report: NeighbourReport)?
    private var searched = false

    /// - Parameter demands: the k of every request that will come (one entry per consumer, e.g.
    ///   `[90, 90, 14, 20]`): the lists are found for the largest, kept while any is unserved.
    public init(points: Matrix, search: NeighbourSearch, demands: [Int]) {
        self.points = points
        self.search = search
        self.demands = demands.filter { $0 >= 1 && $0 < points.rows }
    }

    /// The largest k still declared (0: none).
    public var capacity: Int { lock.withLock { found?.lists.k ?? (searched ? 0 : demands.max() ?? 0) } }

    /// Whether a search of `x` for `k` neighbours as `other` says may be answered from these lists:
    /// the same points, a k within the lists, and the same search — method (as resolved for N),
    /// metric, HNSW graph parameters and build, projection — with a candidate list no wider than these lists'.
    /// The seeds may differ: these lists' HNSW graph is seeded from `search.seed`.
    public func serves(_ x: Matrix, k: Int, search other: NeighbourSearch) -> Bool {
        let n = points.rows
        guard k >= 1, k <= capacity, x.rows == n, x.columns == points.columns,
              Self.sameLists(other, search, points: n, dimensions: points.columns) else { return false }
        // An HNSW search of the full rows with a wider candidate list than these lists' would find more.
        if search.resolvedMethod(points: n, dimensions: points.columns) == .approx, !search.projects(dimensions: points.columns),
           other.searchEf(k: k) > search.searchEf(k: capacity) { return false }
        return x == points
    }

    /// Whether searches `a` and `b` of `points` points find their lists the same way — method (as
    /// resolved for N rows of D columns), metric and, when approximate, the HNSW graph's parameters and
    /// build and the projection's — so that one may be served the other's lists (their seeds and
    /// candidate lists aside).
    public static func sameLists(_ a: NeighbourSearch, _ b: NeighbourSearch, points: Int, dimensions: Int) -> Bool {
        let method = a.resolvedMethod(points: points, dimensions: dimensions)
        guard b.resolvedMethod(points: points, dimensions: dimensions) == method, a.metric == b.metric else { return false }
        guard method == .approx else { return true }
        let projected = a.projects(dimensions: dimensions)
        guard projected == b.projects(dimensions: dimensions) else { return false }
        if projected && (a.projectedDimensions != b.projectedDimensions || a.candidateFactor != b.candidateFactor) { return false }
        return (projected && points < NeighbourSearch.approximateFrom)
            || (a.m == b.m && a.efConstruction == b.efConstruction && a.parallelBuild == b.parallelBuild)
    }

    /// The first `k` neighbours of every point, found (on the first call, with `progress`) for the
    /// largest declared k. Serving a declared demand retires it: the lists are then narrowed to the
    /// largest k still declared, or dropped.
    /// - Precondition: `serves(points, k: k, search: search)`.
    public func lists(k: Int, progress: (NeighbourProgress) -> Void = { _ in }) throws(EmbedVizError) -> (NearestNeighbours, NeighbourReport) {
        lock.lock()
        defer { lock.unlock() }
        var searchedNow = false
        if found == nil {
            precondition(!searched, "SharedNeighbours asked for k = \(k) after its last declared consumer")
            // The search's own `done` is not passed on: the one below reports what this request got.
            found = try NearestNeighbours.find(points, k: max(demands.max() ?? k, k), search: search) { stage in
                if stage.stage != .done { progress(stage) }
            }
            (searched, searchedNow) = (true, true)
        }
        let (held, foundReport) = found!
        precondition(k <= held.k, "SharedNeighbours holds k = \(held.k), asked for \(k)")
        let lists = held.prefix(k)
        var report = foundReport
        if !searchedNow { (report.secondsBuild, report.secondsSearch) = (0, 0) }
        if k < foundReport.k {
            report.k = k
            report.prefixOf = foundReport.k
            if foundReport.method == .approx && search.recallSample > 0 {
                // The prefix's own recall at its k (the indices do not depend on the cosine halving).
                let start = Date()
                let searchedPoints = search.metric == .cosine ? try NearestNeighbours.unitRows(points) : points
                let check = try NeighbourRecall.measure(lists, points: searchedPoints, sample: search.recallSample, seed: search.seed)
                report.recall = check.recall
                report.recallRows = check.rows
                report.secondsRecall = Date().timeIntervalSince(start)
                report.warning = check.recall < search.recallWarningBelow
                    ? NeighbourReport.lowRecallWarning(check.recall, rows: check.rows, search, k: k,
                                                      projected: foundReport.projectedDimensions != nil) : nil
            }
        }
        if let served = demands.firstIndex(of: k) { demands.remove(at: served) }
        if let keep = demands.max() {
            if keep < held.k { found = (held.prefix(keep), foundReport) }
        } else {
            found = nil
        }
        progress(NeighbourProgress(stage: .done, done: points.rows, total: points.rows, report: report))
        return (lists, report)
    }
}
