import Foundation
import Linalg

// How neighbours are found: exact (blocked BLAS, `NearestNeighbours.exact`) or approximate (HNSW,
// `HNSWIndex`), Euclidean or cosine, and for approximate runs, a measured recall.
//
// The crossover of `auto`, measured (`embedviz metrics --k 90 --lof-k 90`, release, 2 threads, AMD
// EPYC Zen 4; total = build + search + recall check of 500 rows; the machine was shared with other
// builds, load 1.5–2.5 beside ours, so times can be off by ±30% and one exact 400k run took 244 s):
//
//   data (D = 50)                N      exact     HNSW M 16, efC 200 (recall)   HNSW, parallel build
//   MNIST PCA-50 subsets      10,000     0.26 s     1.35 s (0.9994)
//                             20,000     0.81 s     3.52 s (0.9991)
//                             40,000     2.20 s    10.5 s  (0.9986)
//                             70,000     5.3–5.9 s 20.1–21.4 s (0.9984)              12.4 s (0.9984)
//   200-cluster mixture,     200,000    35.6 s     55.6 s  (1.0000)
//   10-d latent per cluster  400,000   134 s      108 s    (0.9999)
//                          1,000,000   ≈840 s¹    440 s    (0.9963; 0.980 ²)        415 s (0.9966) ³
//   MNIST pixels (D = 784)    70,000    88.6 s    109 s    (0.9971)
//
//   ¹ extrapolated as N² from 200k and 400k (exact is one GEMM pass over all pairs).
//   ² 414 s, before the search of a point's own list started at the point itself (hnsw_shim.cpp):
//     the greedy descent from the entry point ended in another cluster for ~2% of the rows.
//   ³ the parallel build ran while other jobs held the cores (load 5): it was 2.0× faster than the
//     serial build at 70k on a quieter machine (6.9–7.1 s vs 15.2 s).
//
// Exact search is O(N²·D) but runs at GEMM speed; HNSW's serial, deterministic build dominates its
// cost (the search is parallel). They cross at about N = 330,000 (fit of a·N² to exact and b·N^1.1 to
// HNSW through 200k and 400k), hence `approximateFrom`; at D = 784 exact is still the cheaper at 70k.
// efConstruction 100 halves the build at some recall (70k: 0.9968; 400k: 0.992).
//
// Cosine: rows are scaled to unit length (a zero row is refused: it has no direction), then searched
// with Euclidean distances; for unit vectors ‖a − b‖² = 2(1 − cos θ), so the lists' distances are
// halved to hold the cosine distance 1 − cos θ (in [0, 2]). Their order is the order of cos θ.

// Rows of more than `projectAbove` columns (MNIST pixels, 784) are searched approximately another
// way: candidates from a PCA-50 projection, 4 per neighbour, re-ranked exactly in the full space
// (ProjectedNeighbours.swift). Measured on the first N MNIST images, 784-D, k = 14 (`embedviz umap
// --epochs 1 --neighbors exact|approx --threads 2`; seconds of build + search + recall check of 500
// rows, one run each, Zen 4):
//
//   N        exact     projected (recall)
//   10,000   0.97 s    0.51 s (0.9989)
//   20,000   3.78 s    1.27 s (0.9981)
//   40,000  15.2 s     3.12 s (0.9959)
//   70,000  ≈ 42 s     7.7 s  (0.9953: PCA 0.4 s, candidates 4.8 s, re-rank 1.1 s, recall check 1.0 s)
//
// `auto` keeps exact lists below `projectedFrom` (20,000) points, where they cost at most a few seconds.

/// How to find nearest neighbours.
public struct NeighbourSearch: Sendable, Codable, Equatable {
    public enum Method: String, Sendable, Codable, CaseIterable {
        /// `exact` below `NeighbourSearch.approximateFrom` points, `approx` from there.
        case auto
        /// Blocked BLAS distances over all pairs: O(N²·D), always the true lists.
        case exact
        /// hnswlib's HNSW graph: O(N log N) build and search, with a measured recall.
        case approx
    }

    public enum Metric: String, Sendable, Codable, CaseIterable {
        /// Squared Euclidean distances ‖a − b‖².
        case euclidean
        /// Cosine distances 1 − cos θ = ½‖a/‖a‖ − b/‖b‖‖² (rows must not be zero).
        case cosine
    }

    public var method = Method.auto
    public var metric = Metric.euclidean
    /// Approximate searches of rows with more than `projectAbove` columns take their candidates from
    /// the rows projected onto this many principal components and re-rank them exactly in the full
    /// space (0: HNSW over the full rows).
    public var projectedDimensions = 50
    /// Candidates per neighbour in a projected search (k neighbours: `candidateFactor`·k candidates).
    public var candidateFactor = 4
    /// HNSW links per point and layer (hnswlib's M; 2·M on the bottom layer).
    public var m = 16
    /// HNSW candidates kept while inserting (hnswlib's ef_construction).
    public var efConstruction = 200
    /// HNSW candidates kept while searching, at least k + 1; nil = ⌈1.5·k⌉ + 1.
    public var ef: Int?
    /// Seeds the HNSW layers and the rows whose recall is checked.
    public var seed: UInt64 = 42
    /// Insert into the HNSW graph with all threads: about twice as fast on 2 cores, but not
    /// deterministic (the graph depends on how the threads' insertions interleave). Off by default:
    /// then the lists depend only on the data, the parameters and the seed.
    public var parallelBuild = false
    /// Rows of an approximate run whose lists are checked against exact search (0: no check).
    public var recallSample = 500
    /// A measured recall below this is flagged as a warning in the report.
    public var recallWarningBelow = 0.95

    public init(method: Method = .auto, metric: Metric = .euclidean) {
        self.method = method
        self.metric = metric
    }

    /// From this many points `auto` searches approximately: the measured crossover of exact search
    /// and HNSW (build + search + recall check) at k = 90, D = 50, 2 threads, about 330,000 (see the
    /// table above), rounded down.
    public static let approximateFrom = 300_000

    /// Rows of more columns than this are searched approximately through a projection
    /// (`projectedDimensions`), not with an HNSW graph of the full rows.
    public static let projectAbove = 128

    /// From this many points `auto` searches rows of more than `projectAbove` columns approximately,
    /// through the projection (see the table above).
    public static let projectedFrom = 20_000

    /// Whether an approximate search of rows of `dimensions` columns goes through the projection.
    public func projects(dimensions: Int) -> Bool {
        projectedDimensions > 0 && dimensions > Self.projectAbove && projectedDimensions < dimensions
    }

    /// The method `auto` resolves to for `points` rows of `dimensions` columns (never `.auto`).
    public func resolvedMethod(points: Int, dimensions: Int) -> Method {
        switch method {
        case .auto: points >= Self.approximateFrom || (projects(dimensions: dimensions) && points >= Self.projectedFrom) ? .approx : .exact
        case .exact, .approx: method
        }
    }

    /// The candidates a projected search keeps for k neighbours among `available` points.
    func candidates(k: Int, available: Int) -> Int { min(candidateFactor * k, available) }

    /// The search ef for k neighbours.
    public func searchEf(k: Int) -> Int { max(ef ?? (3 * k + 1) / 2 + 1, k + 1) }

    /// Throws `EmbedVizError.input` for parameters the search cannot use.
    public func validate() throws(EmbedVizError) {
        if projectedDimensions < 0 {
            throw EmbedVizError.input("\(parameter: "projectedDimensions", of: "NeighbourSearch") must be ≥ 0, got \(projectedDimensions)")
        }
        if candidateFactor < 1 || candidateFactor > 100 {
            throw EmbedVizError.input("\(parameter: "candidateFactor", of: "NeighbourSearch") must be between 1 and 100, got \(candidateFactor)")
        }
        if m < 2 || m > 1024 { throw EmbedVizError.input("\(parameter: "m", of: "NeighbourSearch") must be between 2 and 1024, got \(m)") }
        if efConstruction < 1 {
            throw EmbedVizError.input("\(parameter: "efConstruction", of: "NeighbourSearch") must be at least 1, got \(efConstruction)")
        }
        if let ef, ef < 1 { throw EmbedVizError.input("\(parameter: "ef", of: "NeighbourSearch") must be at least 1, got \(ef)") }
        if recallSample < 0 {
            throw EmbedVizError.input("\(parameter: "recallSample", of: "NeighbourSearch") must be ≥ 0, got \(recallSample)")
        }
        if !(recallWarningBelow >= 0 && recallWarningBelow <= 1) {
            throw EmbedVizError.input("\(parameter: "recallWarningBelow", of: "NeighbourSearch") must be between 0 and 1, got \(recallWarningBelow)")
        }
    }
}

extension NeighbourSearch {
    /// Decodes what earlier versions wrote too: a field they did not have takes its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        method = try c.decodeIfPresent(Method.self, forKey: .method) ?? method
        metric = try c.decodeIfPresent(Metric.self, forKey: .metric) ?? metric
        projectedDimensions = try c.decodeIfPresent(Int.self, forKey: .projectedDimensions) ?? projectedDimensions
        candidateFactor = try c.decodeIfPresent(Int.self, forKey: .candidateFactor) ?? candidateFactor
        m = try c.decodeIfPresent(Int.self, forKey: .m) ?? m
        efConstruction = try c.decodeIfPresent(Int.self, forKey: .efConstruction) ?? efConstruction
        ef = try c.decodeIfPresent(Int.self, forKey: .ef)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        parallelBuild = try c.decodeIfPresent(Bool.self, forKey: .parallelBuild) ?? parallelBuild
        recallSample = try c.decodeIfPresent(Int.self, forKey: .recallSample) ?? recallSample
        recallWarningBelow = try c.decodeIfPresent(Double.self, forKey: .recallWarningBelow) ?? recallWarningBelow
    }
}

/// How a set of neighbour lists was found: saved in run records.
public struct NeighbourReport: Sendable, Codable, Equatable {
    /// `exact` or `approx` (what `auto` resolved to).
    public var method: NeighbourSearch.Method
    public var metric: NeighbourSearch.Metric
    public var k: Int
    /// Set when these lists are the first `k` of lists found for this larger k (`SharedNeighbours`);
    /// the times are then those of that search, or 0 for every request after the one that made it.
    public var prefixOf: Int?
    public var points: Int
    /// Projected runs (rows of more than `NeighbourSearch.projectAbove` columns): the principal
    /// components the candidates were searched in and the candidates per row re-ranked in the full space.
    public var projectedDimensions: Int?
    public var candidates: Int?
    /// HNSW parameters (approximate runs whose lists, or whose candidates, an HNSW graph found).
    public var m: Int?
    public var efConstruction: Int?
    public var ef: Int?
    /// The fraction of the true k nearest neighbours found, measured on `recallRows` sampled rows
    /// against exact search among all points (approximate runs with a recall sample only; an exact
    /// run's lists are exact by construction and are not re-checked).
    public var recall: Double?
    public var recallRows: Int
    /// Rows whose graph search found fewer than k points and whose lists were completed by exact search.
    public var completedExactly = 0
    /// Set when the measured recall is below the threshold: what it was and what would help.
    public var warning: String?
    public var threads: Int
    /// Whether the same data, parameters and seed give the same lists (false only for an HNSW graph
    /// built in parallel).
    public var deterministic = true
    public var secondsBuild: Double
    public var secondsSearch: Double
    public var secondsRecall: Double

    /// The warning of a recall below `search.recallWarningBelow`.
    static func lowRecallWarning(_ recall: Double, rows: Int, _ search: NeighbourSearch, k: Int, projected: Bool = false) -> String {
        let remedy = projected
            ? String(format: "raise the candidates per neighbour (now %d) or the projected dimensions (now %d)", search.candidateFactor, search.projectedDimensions)
            : String(format: "raise ef (now %d) or M (now %d)", search.searchEf(k: k), search.m)
        return String(format: "the approximate neighbours' measured recall is %.4f (on %d rows), below %.2f: %@, or use exact search",
                      recall, rows, search.recallWarningBelow, remedy)
    }

    /// One line for progress displays: "exact kNN (k = 90)" or
    /// "approximate kNN (HNSW M 16, ef 136): recall 0.9987 on 500 rows".
    public var summary: String {
        let metricText = (metric == .cosine ? ", cosine" : "") + (prefixOf.map { ", shared: the first \(k) of \($0)" } ?? "")
        guard method == .approx else { return "exact kNN (k = \(k)\(metricText))" }
        let hnsw = m.map { "HNSW M \($0), ef \(ef ?? 0)" }
        let how = projectedDimensions.map { "\(candidates ?? 0) candidates from PCA-\($0) by \(hnsw ?? "exact search"), re-ranked" } ?? hnsw ?? ""
        var text = "approximate kNN (\(how), k = \(k)\(metricText))"
        if let recall { text += String(format: ": recall %.4f on %d rows", recall, recallRows) }
        if completedExactly > 0 { text += ", \(completedExactly) rows completed exactly" }
        if warning != nil { text += " (below the warning threshold)" }
        return text
    }
}

/// What a neighbour search is doing, for progress displays.
public struct NeighbourProgress: Sendable {
    public enum Stage: String, Sendable {
        case exact = "exact kNN"
        /// A projected search's PCA (then its candidate search's own stages).
        case projecting = "PCA for the candidate search"
        case reranking = "re-ranking the candidates"
        case building = "building the HNSW graph"
        case searching = "HNSW search"
        case checkingRecall = "checking recall"
        /// The search is complete; `report` is set.
        case done
    }
    public var stage: Stage
    public var done: Int
    public var total: Int
    public var report: NeighbourReport?
}

extension NearestNeighbours {
    /// The `k` nearest other rows of every row of `x` (N×D), found as `search` says, with a report of
    /// how (and for approximate runs, the measured recall). For the cosine metric the lists'
    /// `squaredDistances` hold 1 − cos θ (see `NeighbourSearch.Metric`).
    /// When `shared` serves this search (`SharedNeighbours.serves`), the lists are its first k instead.
    /// - Throws: `EmbedVizError.input` unless 1 ≤ k < N, for non-finite data, unusable parameters,
    ///   or (cosine) a zero row.
    public static func find(_ x: Matrix, k: Int, search: NeighbourSearch = NeighbourSearch(), shared: SharedNeighbours? = nil,
                            progress: (NeighbourProgress) -> Void = { _ in }) throws(EmbedVizError) -> (NearestNeighbours, NeighbourReport) {
        if let shared, shared.serves(x, k: k, search: search) { return try shared.lists(k: k, progress: progress) }
        try search.validate()
        guard k >= 1, k < x.rows else {
            throw EmbedVizError.input("k = \(k) nearest neighbours need 1 ≤ k < N, and there are \(x.rows) points")
        }
        try x.requireDistanceSafe("input")
        let points = search.metric == .cosine ? try unitRows(x) : x
        let method = search.resolvedMethod(points: x.rows, dimensions: x.columns)
        var report = NeighbourReport(method: method, metric: search.metric, k: k, points: x.rows, recallRows: 0,
                                     threads: Threads.count, secondsBuild: 0, secondsSearch: 0, secondsRecall: 0)
        var lists: NearestNeighbours
        if method == .exact {
            let start = Date()
            lists = try exact(points, k: k) { progress(NeighbourProgress(stage: .exact, done: $0, total: x.rows)) }
            report.secondsSearch = Date().timeIntervalSince(start)
        } else {
            var start = Date()
            if search.projects(dimensions: x.columns) {
                // Candidates among the projected rows, re-ranked in the full space (ProjectedNeighbours.swift).
                progress(NeighbourProgress(stage: .projecting, done: 0, total: x.rows))
                let projection = try CandidateProjection(reference: points, dimensions: search.projectedDimensions)
                let projected = projection.project(points)
                let secondsProjection = Date().timeIntervalSince(start)
                let count = search.candidates(k: k, available: x.rows - 1)
                let (candidates, inner) = try Profile.section("kNN candidates (projected)") { () throws(EmbedVizError) in
                    try find(projected, k: count, search: CandidateProjection.candidateSearch(search, points: x.rows)) {
                        if $0.stage != .done { progress($0) }
                    }
                }
                start = Date()
                progress(NeighbourProgress(stage: .reranking, done: 0, total: x.rows))
                lists = Profile.section("kNN re-rank") { reranked(candidates, queries: points, reference: points, k: k) }
                report.secondsBuild = secondsProjection + inner.secondsBuild
                report.secondsSearch = inner.secondsSearch + Date().timeIntervalSince(start)
                (report.projectedDimensions, report.candidates) = (search.projectedDimensions, count)
                (report.m, report.efConstruction, report.ef) = (inner.m, inner.efConstruction, inner.ef)
                report.completedExactly = inner.completedExactly
                report.deterministic = inner.deterministic
            } else {
                let index = try HNSWIndex(points, m: search.m, efConstruction: search.efConstruction, seed: search.seed,
                                          parallel: search.parallelBuild) {
                    progress(NeighbourProgress(stage: .building, done: $0, total: x.rows))
                }
                report.secondsBuild = Date().timeIntervalSince(start)
                start = Date()
                let ef = search.searchEf(k: k)
                (lists, report.completedExactly) = try index.search(points, k: k, ef: ef, excludingSelf: true) {
                    progress(NeighbourProgress(stage: .searching, done: $0, total: x.rows))
                }
                report.secondsSearch = Date().timeIntervalSince(start)
                (report.m, report.efConstruction, report.ef) = (search.m, search.efConstruction, ef)
                report.deterministic = !search.parallelBuild || Threads.count == 1
            }
            if search.recallSample > 0 {
                start = Date()
                progress(NeighbourProgress(stage: .checkingRecall, done: 0, total: min(search.recallSample, x.rows)))
                let check = try Profile.section("kNN recall check") { () throws(EmbedVizError) in
                    try NeighbourRecall.measure(lists, points: points, sample: search.recallSample, seed: search.seed)
                }
                report.secondsRecall = Date().timeIntervalSince(start)
                report.recall = check.recall
                report.recallRows = check.rows
                if check.recall < search.recallWarningBelow {
                    report.warning = NeighbourReport.lowRecallWarning(check.recall, rows: check.rows, search, k: k,
                                                                      projected: report.projectedDimensions != nil)
                }
            }
        }
        if search.metric == .cosine {
            // ‖â − b̂‖² = 2(1 − cos θ) for unit rows.
            for e in lists.squaredDistances.indices { lists.squaredDistances[e] *= 0.5 }
        }
        progress(NeighbourProgress(stage: .done, done: x.rows, total: x.rows, report: report))
        return (lists, report)
    }

    /// The rows of `x` scaled to unit Euclidean length (norms in Double).
    /// - Throws: `EmbedVizError.input` naming the first zero row (cosine distance is undefined there).
    public static func unitRows(_ x: Matrix) throws(EmbedVizError) -> Matrix {
        let d = x.columns
        var out = x
        var zero: Int?
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<x.rows {
                var sum = 0.0
                for j in 0..<d { sum += Double(p[i * d + j]) * Double(p[i * d + j]) }
                guard sum > 0 else {
                    if zero == nil { zero = i }
                    continue
                }
                let scale = 1 / sum.squareRoot()
                for j in 0..<d { p[i * d + j] = Float(Double(p[i * d + j]) * scale) }
            }
        }
        if let zero {
            throw EmbedVizError.input("row \(zero) (0-based) is all zeros: the cosine metric needs rows with a direction; use the euclidean \(parameter: "metric", of: "NeighbourSearch")",
                                      at: "input")
        }
        return out
    }
}

/// The recall check of approximate neighbour lists: a seeded sample of rows, their exact lists.
public enum NeighbourRecall {
    /// The fraction of the true k nearest neighbours of `sample` rows (chosen from the seed, without
    /// replacement) that `lists` contain, with the true lists found by exact search of those rows
    /// among all `points` (the points the lists were searched among, self excluded). Cost: one
    /// exact pass of `sample` queries over the N points (for 500 queries, 1/140 of an exact kNN of N = 70,000).
    public static func measure(_ lists: NearestNeighbours, points: Matrix, sample: Int,
                               seed: UInt64) throws(EmbedVizError) -> (recall: Double, rows: Int) {
        let n = points.rows, k = lists.k
        precondition(lists.count == n, "recall of \(lists.count) lists over \(n) points")
        let rows = sampleRows(n, count: min(sample, n), seed: seed)
        guard !rows.isEmpty else { return (1, 0) }
        // k + 1 so that the row itself (nearest, or tied at distance 0) can be dropped.
        let truth = try NearestNeighbours.exact(points.rows(at: rows), among: points, k: min(k + 1, n))
        var found = 0
        for (s, i) in rows.enumerated() {
            var exact = Array(truth.neighbours(of: s))
            if let me = exact.firstIndex(of: Int32(i)) { exact.remove(at: me) }
            let trueSet = Set(exact.prefix(k))
            found += lists.neighbours(of: i).filter { trueSet.contains($0) }.count
        }
        return (Double(found) / Double(rows.count * k), rows.count)
    }

    /// `count` distinct indices of `0..<n`, ascending, chosen from `seed` (Floyd's algorithm).
    static func sampleRows(_ n: Int, count: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed ^ 0x5EED_0F_2EC_A11)
        var chosen = Set<Int>()
        for j in (n - count)..<n {
            let t = Int.random(in: 0...j, using: &rng)
            chosen.insert(chosen.contains(t) ? j : t)
        }
        return chosen.sorted()
    }
}
