import Foundation
import Linalg

// Exact k-nearest-neighbour lists and the distance rows the quality metrics are built on.
//
// Implementation notes: every metric that needs neighbours or ranks walks the full N×N squared
// distances one block of rows at a time (`DistanceRows.forEachBlock`), so memory stays at one block
// (8 MiB) plus the N·k results. Two kernels fill a block:
//   • D > 3 (embeddings): the BLAS kernel `PairwiseDistances` (‖a‖² + ‖b‖² − 2a·b, one sgemm per
//     block) on column-centred data, which shrinks the norms and with them the cancellation error.
//   • D ≤ 3 (maps): plain differences, which are both more precise and faster here. On a t-SNE map
//     of the 10,000 MNIST test embeddings ‖y‖² reaches 7,700, whose Float rounding (~5e-4) is 0.6%
//     of the median squared nearest-neighbour distance (0.086): with the identity 10 of the 10,000
//     10-NN sets differed from a Double reference, with differences none; and a pass took 0.05 s
//     instead of 0.11 s (a k = 2 sgemm is all memory traffic).
// Each point's own entry is +∞ in the block: a point is never its own neighbour and never counted
// when ranking the others.

/// Each point's `k` nearest other points, exactly, nearest first; equal distances are ordered by
/// index (the smaller index is nearer, as a stable sort of the distance row would order them).
public struct NearestNeighbours: Sendable, Equatable {
    /// Points (N).
    public let count: Int
    /// Neighbours per point.
    public let k: Int
    /// N×k row-major neighbour indices.
    public var indices: [Int32]
    /// N×k row-major squared Euclidean distances, ascending within each row.
    public var squaredDistances: [Float]

    public init(count: Int, k: Int, indices: [Int32], squaredDistances: [Float]) {
        precondition(indices.count == count * k && squaredDistances.count == count * k,
                     "neighbour lists of \(indices.count) and \(squaredDistances.count) entries do not fit \(count)×\(k)")
        self.count = count
        self.k = k
        self.indices = indices
        self.squaredDistances = squaredDistances
    }

    /// The exact `k` nearest neighbours of every row of `x` (N×D), self excluded.
    ///
    /// Cost: one pass over the N×N distances in blocks (BLAS for D > 3, each pair computed once:
    /// `symmetricTiled`), N·k memory for the result (twice that while a D > 3 search runs).
    /// - Throws: `EmbedVizError.input` unless 1 ≤ k < N.
    /// - Parameter progress: called after each block with the number of rows done.
    public static func exact(_ x: Matrix, k: Int, progress: (Int) -> Void = { _ in }) throws(EmbedVizError) -> NearestNeighbours {
        guard k >= 1, k < x.rows else {
            throw EmbedVizError.input("k = \(k) nearest neighbours need 1 ≤ k < N, and there are \(x.rows) points")
        }
        try x.requireDistanceSafe("input")
        // The result (8 bytes a neighbour) and, for D > 3, the symmetric search's lists beside it until the end.
        try MemoryBudget.check(checkedProduct(x.rows, k, x.columns > 3 ? 16 : 8), for: "the \(k) nearest neighbours of \(x.rows) points",
                               alternative: "use a smaller k")
        if x.columns > 3 {
            let centred = x.centred()
            return symmetricTiled(centred, k: k, progress: progress)
        }
        var indices = [Int32](repeating: 0, count: x.rows * k)
        var distances = [Float](repeating: 0, count: x.rows * k)
        indices.withUnsafeMutableBufferPointer { ib in
            distances.withUnsafeMutableBufferPointer { db in
                let (outIndex, outDistance) = (UncheckedSendable(ib.baseAddress!), UncheckedSendable(db.baseAddress!))
                DistanceRows.forEachBlock(x) { rows, block in
                    Threads.parallelFor(rows.count) { part in
                        let nearest = NearestSelection(k: k)
                        for r in part {
                            let i = rows.lowerBound + r
                            nearest.select(block.value + r * x.rows, count: x.rows)
                            nearest.write(indices: outIndex.value + i * k, distances: outDistance.value + i * k)
                        }
                    }
                    progress(rows.upperBound)
                }
            }
        }
        return NearestNeighbours(count: x.rows, k: k, indices: indices, squaredDistances: distances)
    }

    /// The exact `k` nearest rows of `reference` for every row of `queries` (both N×D and M×D with the
    /// same D): the lists of points placed against a fixed set (t-SNE transforms, distances of test
    /// embeddings to training embeddings). Distances through the BLAS kernel on data centred by the
    /// reference's column means.
    public static func exact(_ queries: Matrix, among reference: Matrix, k: Int) throws(EmbedVizError) -> NearestNeighbours {
        guard queries.columns == reference.columns else {
            throw EmbedVizError.input("\(queries.columns)-d queries against \(reference.columns)-d reference points")
        }
        guard k >= 1, k <= reference.rows else {
            throw EmbedVizError.input("k = \(k) nearest neighbours need 1 ≤ k ≤ \(reference.rows), the number of reference points")
        }
        try Matrix.requireDistanceSafe([(queries, "queries"), (reference, "reference")])
        try MemoryBudget.check(checkedProduct(queries.rows, k, 8), for: "the \(k) nearest neighbours of \(queries.rows) points",
                               alternative: "use a smaller k or fewer queries at a time")
        let means = reference.columnMeans().map { Float($0) }
        return tiled(queries.centred(by: means), among: reference.centred(by: means), k: k)
    }

    /// Row blocks of tile size; column tiles of the same width: one 256 × 2048 tile of distances is
    /// 2 MB, the L2 of one core here.
    static let tileRows = 256, tileColumns = 2048

    /// The k nearest rows of `reference` for each row of `queries`, exactly, with the BLAS identity
    /// computed tile by tile: each thread takes whole blocks of query rows and walks the reference
    /// in column tiles, with `sgemm` (BLAS single-threaded) writing a tile that stays in its core's
    /// cache while the norms are added and the selection scans it. Versus distance rows of the
    /// whole reference (8 MB blocks, multithreaded BLAS), this cut a 70,000 × 50 kNN from 12.4 s
    /// to the time below in `make bench` (the rows never leave the cache, and the GEMM packs small
    /// tiles instead of the whole reference for every few rows).
    /// (A matrix's own lists, self excluded: `symmetricTiled`, which computes each pair once.)
    static func tiled(_ queries: Matrix, among reference: Matrix, k: Int,
                      progress: (Int) -> Void = { _ in }) -> NearestNeighbours {
        let (n, m, d) = (queries.rows, reference.rows, queries.columns)
        let queryNorms = PairwiseDistances.squaredNorms(queries), referenceNorms = PairwiseDistances.squaredNorms(reference)
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [Float](repeating: 0, count: n * k)
        let blocks = (n + tileRows - 1) / tileRows
        let lock = NSLock()
        var done = 0
        withoutActuallyEscaping(progress) { progress in
            let report = UncheckedSendable(progress)
            indices.withUnsafeMutableBufferPointer { ib in
                distances.withUnsafeMutableBufferPointer { db in
                    queries.withUnsafeBufferPointer { qb in
                        reference.withUnsafeBufferPointer { rb in
                          referenceNorms.withUnsafeBufferPointer { nb in
                            let (outIndex, outDistance) = (UncheckedSendable(ib.baseAddress!), UncheckedSendable(db.baseAddress!))
                            let (q, r) = (UncheckedSendable(qb.baseAddress!), UncheckedSendable(rb.baseAddress!))
                            let rn = UncheckedSendable(nb.baseAddress!)
                            Threads.withBLASThreads(1) {
                            Threads.parallelFor(blocks) { myBlocks in
                                var tile = [Float](repeating: 0, count: tileRows * tileColumns)
                                let selections = (0..<tileRows).map { _ in NearestSelection(k: k) }
                                tile.withUnsafeMutableBufferPointer { tb in
                                    let t = tb.baseAddress!
                                    for block in myBlocks {
                                        let rows = (block * tileRows)..<min((block + 1) * tileRows, n)
                                        for s in 0..<rows.count { selections[s].reset() }
                                        var c0 = 0
                                        while c0 < m {
                                            let columns = min(tileColumns, m - c0)
                                            BLAS.gemm(.none, .transposed, m: rows.count, n: columns, k: d, alpha: -2,
                                                      a: q.value + rows.lowerBound * d, lda: d, b: r.value + c0 * d, ldb: d,
                                                      beta: 0, c: t, ldc: columns)
                                            for s in 0..<rows.count {
                                                // −2x·y + ‖y‖² while scanning; ‖x‖² is the same along a row: added after.
                                                selections[s].scan(t + s * columns, adding: rn.value + c0, count: columns, offset: c0)
                                            }
                                            c0 += columns
                                        }
                                        for (s, i) in rows.enumerated() {
                                            selections[s].write(indices: outIndex.value + i * k, distances: outDistance.value + i * k,
                                                                adding: queryNorms[i])
                                        }
                                        lock.lock()
                                        done += rows.count
                                        if myBlocks.lowerBound == 0 { report.value(done) }
                                        lock.unlock()
                                    }
                                }
                            }
                            }
                          }
                        }
                    }
                }
            }
        }
        return NearestNeighbours(count: n, k: k, indices: indices, squaredDistances: distances)
    }

    /// Point `i`'s neighbours, nearest first.
    public func neighbours(of i: Int) -> ArraySlice<Int32> { indices[(i * k)..<((i + 1) * k)] }

    /// Euclidean (not squared) distances from point `i` to its neighbours, nearest first.
    public func distances(of i: Int) -> [Double] {
        squaredDistances[(i * k)..<((i + 1) * k)].map { Double($0).squareRoot() }
    }

    /// The first `k` neighbours of each point: the lists for a smaller k, without recomputing.
    public func prefix(_ k: Int) -> NearestNeighbours {
        precondition(k >= 1 && k <= self.k, "prefix(\(k)) of lists with k = \(self.k)")
        if k == self.k { return self }
        var indices = [Int32](), distances = [Float]()
        indices.reserveCapacity(count * k)
        distances.reserveCapacity(count * k)
        for i in 0..<count {
            indices.append(contentsOf: self.indices[(i * self.k)..<(i * self.k + k)])
            distances.append(contentsOf: squaredDistances[(i * self.k)..<(i * self.k + k)])
        }
        return NearestNeighbours(count: count, k: k, indices: indices, squaredDistances: distances)
    }
}

/// Squared Euclidean distance rows of all points, block by block, each point's own entry +∞.
enum DistanceRows {
    /// Calls `body(rows, block)` for consecutive ranges of query rows; `block` holds `rows.count × N`
    /// squared distances (row-major) from those queries to all N rows of `x`, and is reused for the
    /// next block. The queries are all rows of `x` in order, or the rows listed in `queries`, in
    /// which case `rows` indexes that list. Blocks are filled in parallel (BLAS threads for D > 3,
    /// `Threads.parallelFor` for D ≤ 3); `body` is called serially.
    static func forEachBlock(_ x: Matrix, queries: [Int]? = nil,
                             _ body: (Range<Int>, UncheckedSendable<UnsafeMutablePointer<Float>>) -> Void) {
        let (n, d) = (x.rows, x.columns)
        let queryCount = queries?.count ?? n
        guard n > 0, queryCount > 0 else { return }
        if d > 3 {
            let centred = x.centred()  // distances are unchanged; the BLAS identity gets smaller norms
            let left = queries.map { centred.rows(at: $0) }
            PairwiseDistances.forEachBlock(left ?? centred, left == nil ? nil : centred) { rows, block in
                for (r, q) in rows.enumerated() { block[r * n + (queries?[q] ?? q)] = .infinity }
                body(rows, UncheckedSendable(block.baseAddress!))
            }
            return
        }
        // Columns as separate arrays (zeros for missing dimensions) so that the row loop vectorises.
        var columns = [[Float]](repeating: [Float](repeating: 0, count: n), count: 3)
        x.withUnsafeBufferPointer { p in
            for i in 0..<n { for c in 0..<d { columns[c][i] = p[i * d + c] } }
        }
        let blockRows = max(1, min(queryCount, PairwiseDistances.defaultBlockBytes / (4 * n)))
        var block = [Float](repeating: 0, count: blockRows * n)
        columns[0].withUnsafeBufferPointer { c0 in
            columns[1].withUnsafeBufferPointer { c1 in
                columns[2].withUnsafeBufferPointer { c2 in
                    block.withUnsafeMutableBufferPointer { out in
                        let (a, b, c) = (UncheckedSendable(c0), UncheckedSendable(c1), UncheckedSendable(c2))
                        let blockPointer = UncheckedSendable(out.baseAddress!)
                        var start = 0
                        while start < queryCount {
                            let rows = start..<min(start + blockRows, queryCount)
                            Threads.parallelFor(rows.count, minimumChunk: 8) { part in
                                let (xs, ys, zs) = (a.value, b.value, c.value)
                                for r in part {
                                    let i = queries?[rows.lowerBound + r] ?? rows.lowerBound + r
                                    let row = blockPointer.value + r * n
                                    let (xi, yi, zi) = (xs[i], ys[i], zs[i])
                                    for j in 0..<n {
                                        let (dx, dy, dz) = (xs[j] - xi, ys[j] - yi, zs[j] - zi)
                                        row[j] = dx * dx + dy * dy + dz * dz
                                    }
                                    row[i] = .infinity
                                }
                            }
                            body(rows, blockPointer)
                            start = rows.upperBound
                        }
                    }
                }
            }
        }
    }

    /// The 1-based rank of `j` in a distance row: 1 + the number of points strictly nearer, plus
    /// those at the same distance with a smaller index (a stable sort's order). The self entry is +∞
    /// and never counted.
    @inline(__always)
    static func rank(of j: Int, in row: UnsafeMutablePointer<Float>, count n: Int) -> Int {
        let d = row[j]
        return 1 + count(row, 0..<j, below: d, includingEqual: true) + count(row, (j + 1)..<n, below: d, includingEqual: false)
    }

    /// How many of `row[range]` are < `d`, or ≤ `d` when `includingEqual` (16 lanes at a time: the
    /// scalar loop with a branch does not vectorise and was the bottleneck of trustworthiness).
    @inline(__always)
    static func count(_ row: UnsafeMutablePointer<Float>, _ range: Range<Int>, below d: Float, includingEqual: Bool) -> Int {
        let threshold = SIMD16<Float>(repeating: d)
        var lanes = SIMD16<Int32>()
        var l = range.lowerBound
        while l + 16 <= range.upperBound {
            let v = UnsafeRawPointer(row + l).loadUnaligned(as: SIMD16<Float>.self)
            lanes &+= SIMD16<Int32>().replacing(with: 1, where: includingEqual ? v .<= threshold : v .< threshold)
            l += 16
        }
        var total = Int(lanes.wrappedSum())
        while l < range.upperBound {
            if includingEqual ? row[l] <= d : row[l] < d { total += 1 }
            l += 1
        }
        return total
    }
}

/// The k smallest entries of a distance row, nearest first, ties in index order: a sorted list
/// behind a 16-lane scan for the next entry below the current k-th. After the first few hundred
/// entries almost none is, so selection runs at the speed of the compare: 0.2 ns per entry,
/// against ~2 ns for offering every entry to a binary heap (a 10,000-point pass: 0.02 s vs 0.2 s).
/// A class over raw buffers: the insertions would otherwise pay a copy-on-write uniqueness check
/// per element moved (a quarter of a 70,000-point kNN's time).
final class NearestSelection {
    let k: Int
    private let distances: UnsafeMutablePointer<Float>
    private let indices: UnsafeMutablePointer<Int32>
    private(set) var count = 0

    init(k: Int) {
        self.k = k
        distances = .allocate(capacity: k)
        indices = .allocate(capacity: k)
    }

    deinit {
        distances.deallocate()
        indices.deallocate()
    }

    /// Selects from `row[0..<n]`, skipping +∞ (the point itself).
    func select(_ row: UnsafeMutablePointer<Float>, count n: Int) {
        reset()
        scan(row, count: n, offset: 0)
    }

    func reset() { count = 0 }

    /// The largest distance selected (the k-th nearest once full); +∞ when nothing was selected
    /// (every entry was +∞ or NaN: inputs are checked to be finite before distances are computed).
    var farthest: Float { count > 0 ? distances[count - 1] : .infinity }

    /// Continues the selection over `row[0..<n]`, whose entries are the points `offset..<offset+n`
    /// (for rows processed in column tiles, in increasing index order).
    func scan(_ row: UnsafeMutablePointer<Float>, count n: Int, offset: Int) {
        var kth = count == k ? distances[k - 1] : Float.infinity  // entries must be below it; +∞ while filling
        var j = 0
        while true {
            j = Self.firstBelow(kth, row, from: j, count: n)
            if j == n { return }
            insert(row[j], offset + j)
            // Entries come in index order, so one equal to the k-th has a larger index and loses the tie.
            if count == k { kth = distances[k - 1] }
            j += 1
        }
    }

    /// Continues the selection over the entries `row[j] + add[j]`, j in `0..<n` (the points
    /// `offset..<offset+n`): the sum is formed while scanning, so the tile is read once.
    func scan(_ row: UnsafeMutablePointer<Float>, adding add: UnsafePointer<Float>, count n: Int, offset: Int) {
        var kth = count == k ? distances[k - 1] : Float.infinity
        var j = 0
        while true {
            j = Self.firstBelow(kth, row, adding: add, from: j, count: n)
            if j == n { return }
            insert(row[j] + add[j], offset + j)
            if count == k { kth = distances[k - 1] }
            j += 1
        }
    }

    /// The first index ≥ `start` with `row[j] + add[j] < d`, or `n`.
    @inline(never)
    static func firstBelow(_ d: Float, _ row: UnsafeMutablePointer<Float>, adding add: UnsafePointer<Float>,
                           from start: Int, count n: Int) -> Int {
        let threshold = SIMD16<Float>(repeating: d)
        var j = start
        while j + 16 <= n {
            let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD16<Float>.self)
                + UnsafeRawPointer(add + j).loadUnaligned(as: SIMD16<Float>.self)
            if any(v .< threshold) { break }
            j += 16
        }
        while j < n {
            if row[j] + add[j] < d { return j }
            j += 1
        }
        return n
    }

    /// The first index ≥ `start` whose entry is < `d`, or `n`. A separate function so that the
    /// 16-lane scan compiles to a tight loop (inlined into `select` it kept its vectors on the stack).
    @inline(never)
    static func firstBelow(_ d: Float, _ row: UnsafeMutablePointer<Float>, from start: Int, count n: Int) -> Int {
        let threshold = SIMD16<Float>(repeating: d)
        var j = start
        while j + 16 <= n, !any(UnsafeRawPointer(row + j).loadUnaligned(as: SIMD16<Float>.self) .< threshold) { j += 16 }
        while j < n {
            if row[j] < d { return j }
            j += 1
        }
        return n
    }

    /// Inserts after every entry at distance ≤ d (so equal distances stay in index order), dropping
    /// the k-th when full.
    @inline(__always)
    private func insert(_ d: Float, _ j: Int) {
        var slot = min(count, k - 1)
        while slot > 0 && distances[slot - 1] > d {
            distances[slot] = distances[slot - 1]
            indices[slot] = indices[slot - 1]
            slot -= 1
        }
        distances[slot] = d
        indices[slot] = Int32(j)
        count = min(count + 1, k)
    }

    /// Copies the selection, nearest first, adding `constant` to each distance (clamped at 0).
    func write(indices outIndex: UnsafeMutablePointer<Int32>, distances outDistance: UnsafeMutablePointer<Float>,
               adding constant: Float = 0) {
        for slot in 0..<count {
            outIndex[slot] = indices[slot]
            outDistance[slot] = max(0, distances[slot] + constant)
        }
    }
}
