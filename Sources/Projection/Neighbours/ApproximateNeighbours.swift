import CHNSW
import Foundation
import Linalg
import Synchronization

// Approximate k-nearest-neighbour lists from hnswlib's HNSW graph (Malkov & Yashunin 2018,
// "Efficient and robust approximate nearest neighbor search using Hierarchical Navigable Small World
// graphs"; hnswlib is also openTSNE's `neighbors="hnsw"`), through the C shim in Sources/CHNSW.
//
// Implementation notes:
//   • Why hnswlib and not FAISS (Debian libfaiss-dev 1.7.3): measured with a C++ benchmark of both
//     libraries (g++ -O3, 2 threads, M 16, efConstruction 200, k = 90, recall@90 of 1,000 sampled
//     rows against NumPy brute force; shared machine, load 2–4, times ±30%):
//
//                                  70,000 × 50 (MNIST PCA-50)         1,000,000 × 50 (200-cluster mixture)
//       hnswlib, parallel build    5.3 s + 5.2 s query  0.9988 (ef 135)  236 s + 167 s  0.990 (ef 135)
//       hnswlib, serial build     13.0 s + 8.7 s (1 thread)  0.9988
//       FAISS IndexHNSWFlat       16.0 s + 8.2 s        0.9987 (ef 135)  510 s + 533 s  0.997 (ef 135)
//       FAISS IndexIVFFlat        0.3 s + 6.1 s  0.9865 (256 lists, nprobe 16)
//                                 0.3 s + 16.3 s 0.9972 (nprobe 32)   15 s + 492 s   0.9996 (1,024 lists, nprobe 8)
//
//     hnswlib builds 2–3× faster than FAISS's HNSW for the same recall. FAISS's IVF is as good on
//     the mixture (tight clusters suit inverted lists) but needs 3× hnswlib's query time for 0.997 on
//     MNIST: its recall depends on how clustered the data are, HNSW's much less. And Debian's
//     libfaiss-dev has no C API library (the c_api headers, not their symbols: a C++ shim would be
//     needed anyway) and is a static library that brings OpenMP threads of its own beside OpenBLAS's;
//     hnswlib is a few headers, and openTSNE's `neighbors="hnsw"`.
//   • Deterministic: points are inserted one after another in index order (hnswlib's graph depends
//     on the insertion order, and parallel insertion makes that order a race), the layer of each
//     point comes from hnswlib's generator seeded with `seed`, and a search reads a fixed graph. So
//     the lists depend only on the data, M, efConstruction, ef and the seed — not on the thread
//     count, which only splits the queries. The cost is the build's parallelism: 2.0× at 70k × 50
//     (15.3 s serial, 7.1 s with `parallel`, same recall). Not promised across CPU kinds: hnswlib's
//     distance kernel is chosen at compile time (SSE here), so a build with other flags rounds
//     differently.
//   • A point's own list (all-points kNN) is searched from the point itself on the bottom layer, not
//     by descent from the entry point: on well-separated clusters the descent could end in another
//     cluster and return none of the true neighbours (1 row in 1,000 at 200,000 mixture points, ~2%
//     at 1,000,000; the recall check is what showed it). Queries from outside (transforms) descend.
//   • Distances are hnswlib's squared Euclidean distances (its own SSE kernel), not recomputed.
//   • Rows whose search found fewer than k points (a graph split into parts, e.g. M = 2) are completed
//     by exact search of those rows and counted in the report.

/// An HNSW graph over the rows of a matrix, searched for the nearest rows of any queries.
/// Building is serial and deterministic; searches run in parallel (`Threads.count`).
public final class HNSWIndex: @unchecked Sendable {
    // @unchecked: the graph is only written during `init`; `search` only reads it (after setting ef
    // under `lock`, which also serialises searches with different ef).
    private let handle: OpaquePointer
    private let lock = NSLock()
    /// The graph's points (for the exact completion of lists the graph search left short).
    private let points: Matrix
    /// Points in the graph (N) and their dimensions (D).
    public let count: Int
    public let dimensions: Int
    public let m: Int
    public let efConstruction: Int

    /// Builds the graph of the rows of `points` (N×D), inserted in row order.
    /// - Parameters:
    ///   - m: links per point and layer (2·m on the bottom layer); hnswlib's M, 16 by default.
    ///   - efConstruction: candidates kept while inserting (larger: better graph, slower build).
    ///   - seed: seeds the random layer of each point.
    ///   - parallel: insert with `Threads.count` threads (after the first 1,024 points, serially):
    ///     about twice as fast on 2 cores, but the graph then depends on how the insertions
    ///     interleave, so lists can differ from run to run (hnswlib's layer generator is also shared
    ///     by the threads without a lock).
    ///   - progress: called with the number of points inserted, every 4,096 (parallel: roughly).
    /// - Throws: `EmbedVizError.input` for non-finite points or unusable parameters, and when the
    ///   graph would not fit the memory budget; `.environment` when hnswlib fails to allocate.
    public init(_ points: Matrix, m: Int = 16, efConstruction: Int = 200, seed: UInt64 = 42, parallel: Bool = false,
                progress: (Int) -> Void = { _ in }) throws(EmbedVizError) {
        guard points.rows >= 1, points.columns >= 1 else {
            throw EmbedVizError.input("an HNSW index needs at least one point with at least one column, got \(points.rows)×\(points.columns)")
        }
        guard m >= 2, m <= 1024 else {
            throw EmbedVizError.input("HNSW's \(parameter: "m", of: "NeighbourSearch") must be between 2 and 1024, got \(m)")
        }
        guard efConstruction >= 1 else {
            throw EmbedVizError.input("HNSW's \(parameter: "efConstruction", of: "NeighbourSearch") must be at least 1, got \(efConstruction)")
        }
        try points.requireDistanceSafe("input")
        try MemoryBudget.check(Self.bytes(points: points.rows, dimensions: points.columns, m: m),
                               for: "an HNSW graph of \(points.rows) points", alternative: "use a smaller \(parameter: "m", of: "NeighbourSearch")")
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = embedviz_hnsw_create(points.columns, points.rows, m, efConstruction, seed, &error, error.count) else {
            throw EmbedVizError.environment("hnswlib could not create the index: \(Self.message(error))")
        }
        self.handle = handle
        self.points = points
        count = points.rows
        dimensions = points.columns
        self.m = m
        self.efConstruction = efConstruction
        let d = points.columns, serialPrefix = parallel ? min(count, 1024) : count
        let failures = Mutex<String?>(nil)
        points.withUnsafeBufferPointer { p in
            let rows = UncheckedSendable(p.baseAddress!), graph = UncheckedSendable(handle)
            // Inserts rows[range] in order; false (and the message kept) when hnswlib fails.
            @Sendable func insert(_ range: Range<Int>) -> Bool {
                var error = [CChar](repeating: 0, count: 512)
                guard embedviz_hnsw_add(graph.value, rows.value + range.lowerBound * d, range.count, range.lowerBound,
                                        &error, error.count) == 0 else {
                    let message = Self.message(error)
                    failures.withLock { $0 = $0 ?? message }
                    return false
                }
                return true
            }
            var start = 0
            while start < serialPrefix, insert(start..<min(start + 4096, serialPrefix)) {
                start = min(start + 4096, serialPrefix)
                progress(start)
            }
            guard serialPrefix < count, failures.withLock({ $0 == nil }) else { return }
            // Blocks of 256 handed out in order to whichever thread is free.
            let next = Atomic<Int>(serialPrefix)
            withoutActuallyEscaping(progress) { progress in
                let report = UncheckedSendable(progress)
                Threads.forEachPart(Threads.count) { part in
                    while true {
                        let first = next.wrappingAdd(256, ordering: .relaxed).oldValue
                        guard first < count, insert(first..<min(first + 256, count)) else { return }
                        if part == 0 { report.value(min(first + 256, count)) }
                    }
                }
            }
        }
        if let failure = failures.withLock({ $0 }) { throw EmbedVizError.environment("hnswlib could not insert the points: \(failure)") }
    }

    deinit { embedviz_hnsw_free(handle) }

    /// The memory a graph of `points` needs: vectors, bottom-layer links (2·m + 1 words), labels,
    /// and about 1/m of the bottom layer again for the upper layers.
    public static func bytes(points: Int, dimensions: Int, m: Int) -> Int {
        let perPoint = checkedSum(checkedProduct(4, dimensions), checkedProduct(4, 2 * m + 1), 8, 8 + 4, checkedProduct(4, m + 1))
        return checkedProduct(points, perPoint)
    }

    /// The `k` nearest graph points of each row of `queries` (M×D), nearest first, ties by index,
    /// with squared Euclidean distances. With `excludingSelf`, `queries` must be the graph's own
    /// points in order: row i is point i and is left out of its own list (as `NearestNeighbours.exact`).
    /// - Parameters:
    ///   - ef: candidates kept while searching, at least k (+ 1 with `excludingSelf`); larger is
    ///     more accurate and slower.
    ///   - progress: called with the number of queries done (roughly every 1,024).
    /// - Returns: the lists, and how many rows had to be completed by exact search because the
    ///   graph search found fewer than k points (a graph split into parts: small M and ef).
    public func search(_ queries: Matrix, k: Int, ef: Int, excludingSelf: Bool = false,
                       progress: (Int) -> Void = { _ in }) throws(EmbedVizError) -> (NearestNeighbours, completedExactly: Int) {
        guard queries.columns == dimensions else {
            throw EmbedVizError.input("\(queries.columns)-d queries against an HNSW graph of \(dimensions)-d points")
        }
        let available = excludingSelf ? count - 1 : count
        guard k >= 1, k <= available else {
            throw EmbedVizError.input("k = \(k) nearest neighbours need 1 ≤ k ≤ \(available) with \(count) points in the graph")
        }
        precondition(!excludingSelf || queries.rows == count, "self-excluding search of \(queries.rows) queries in a graph of \(count)")
        try queries.requireFinite("queries")
        try MemoryBudget.check(checkedProduct(queries.rows, k, 8), for: "the \(k) nearest neighbours of \(queries.rows) points",
                               alternative: "use a smaller k or fewer queries at a time")
        let n = queries.rows, d = dimensions
        var indices = [Int32](repeating: -1, count: n * k)
        var distances = [Float](repeating: .infinity, count: n * k)
        let failures = Mutex<String?>(nil)
        let progressLock = NSLock()
        var done = 0
        lock.lock()
        defer { lock.unlock() }
        embedviz_hnsw_set_ef(handle, max(ef, k + (excludingSelf ? 1 : 0)))
        let graph = UncheckedSendable(handle)
        withoutActuallyEscaping(progress) { progress in
            let report = UncheckedSendable(progress)
            indices.withUnsafeMutableBufferPointer { ib in
                distances.withUnsafeMutableBufferPointer { db in
                    queries.withUnsafeBufferPointer { qb in
                        let (outIndex, outDistance) = (UncheckedSendable(ib.baseAddress!), UncheckedSendable(db.baseAddress!))
                        let q = UncheckedSendable(qb.baseAddress!)
                        Threads.parallelFor(n, minimumChunk: 64) { part in
                            var error = [CChar](repeating: 0, count: 512)
                            var start = part.lowerBound
                            while start < part.upperBound {
                                let rows = min(1024, part.upperBound - start)
                                if embedviz_hnsw_search(graph.value, q.value + start * d, rows, k, excludingSelf ? 1 : 0, start,
                                                        outIndex.value + start * k, outDistance.value + start * k,
                                                        &error, error.count) != 0 {
                                    let message = Self.message(error)
                                    failures.withLock { $0 = $0 ?? message }
                                    return
                                }
                                start += rows
                                progressLock.lock()
                                done += rows
                                if part.lowerBound == 0 { report.value(done) }
                                progressLock.unlock()
                            }
                        }
                    }
                }
            }
        }
        if let failure = failures.withLock({ $0 }) {
            throw EmbedVizError.environment("hnswlib failed while searching: \(failure)")
        }
        // A search that found fewer than k points (a graph split into parts, with small M and ef)
        // leaves −1 entries: those rows get exact lists, so that every list is complete.
        let incomplete = (0..<n).filter { indices[$0 * k + k - 1] < 0 }
        if !incomplete.isEmpty {
            let extra = excludingSelf ? 1 : 0
            let exact = try NearestNeighbours.exact(queries.rows(at: incomplete), among: points, k: min(k + extra, count))
            for (s, i) in incomplete.enumerated() {
                var slot = 0
                for e in (s * exact.k)..<((s + 1) * exact.k) where slot < k && !(excludingSelf && exact.indices[e] == Int32(i)) {
                    indices[i * k + slot] = exact.indices[e]
                    distances[i * k + slot] = exact.squaredDistances[e]
                    slot += 1
                }
            }
        }
        return (NearestNeighbours(count: n, k: k, indices: indices, squaredDistances: distances), incomplete.count)
    }

    private static func message(_ error: [CChar]) -> String {
        String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
