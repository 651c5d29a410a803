import Foundation
import Linalg

// The exact k nearest other rows of every row of one matrix, each pair's distance computed once.
//
// `NearestNeighbours.tiled` computes the whole N × N distance matrix, every pair twice (‖xᵢ − xⱼ‖ as
// part of row i and of row j), and its GEMM was most of the search's time. Here only the tiles on and
// above the diagonal are computed (row block I against the columns from I's first row on), and each
// tile serves twice: its rows are scanned for the row block's own lists (as in `tiled`), its columns —
// 16 at a time, against 16 thresholds — for the lists of the later points, which would otherwise have
// computed the mirror tile. Half the GEMM, the same scan. MNIST 70,000 × 50, 2 threads, against
// `tiled` in the same minutes: k = 14 (UMAP) 4.1 → 2.7 s; k = 56 (the candidates of the 784-D rows'
// PCA-50) 5.4 → 4.6 s; k = 90 (t-SNE) 6.3–7.2 → 5.6–6.2 s, where keeping the lists is the larger cost.
//
// Lists are filled in any order (the later points' lists receive the earlier blocks' columns whenever
// those tiles are done, on whichever thread), so a list is not a scan in index order as in
// `NearestSelection`: entries are kept by (distance, index) — an entry at the k-th's distance with a
// smaller index replaces it — and the result is the k smallest pairs in that order, the same whatever
// the order of arrival: deterministic with any number of threads. A lock per row block guards its lists.
// Each pair's value comes from one tile: −2xᵢ·xⱼ (GEMM) + ‖x‖² of the other point, then + the list's own
// ‖x‖² at the end (clamped at 0), as in `tiled`; for i's list and j's the two norms are added in the
// other order (a rounding apart).
extension NearestNeighbours {
    /// The exact k nearest other rows of each row of `x` (centred by the caller), self excluded.
    static func symmetricTiled(_ x: Matrix, k: Int, progress: (Int) -> Void = { _ in }) -> NearestNeighbours {
        let (n, d) = (x.rows, x.columns)
        let norms = PairwiseDistances.squaredNorms(x)
        // Unfilled slots are (+∞, Int32.max): every finite entry is smaller, so a list is always "full".
        var keys = [UInt64](repeating: Lists.key(.infinity, .max), count: n * k)
        let blocks = (n + tileRows - 1) / tileRows
        let locks = (0..<blocks).map { _ in NSLock() }
        let claim = NSLock()
        var nextBlock = 0
        // Work of block I: its columns from I's first row on; progress in rows-equivalent of the total.
        let totalWork = Double(n) * Double(n + 1) / 2
        var workDone = 0.0
        withoutActuallyEscaping(progress) { progress in
            let report = UncheckedSendable(progress)
            keys.withUnsafeMutableBufferPointer { kb in
                x.withUnsafeBufferPointer { xb in
                    norms.withUnsafeBufferPointer { nb in
                        let shared = UncheckedSendable((kb.baseAddress!, xb.baseAddress!, nb.baseAddress!))
                        Threads.withBLASThreads(1) {
                            Threads.forEachPart(min(Threads.count, blocks)) { part in
                                let (listKeys, p, norm) = shared.value
                                let lists = Lists(keys: listKeys, k: k)
                                let tile = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * tileColumns)
                                defer { tile.deallocate() }
                                while true {
                                    claim.lock()
                                    let block = nextBlock
                                    nextBlock += 1
                                    claim.unlock()
                                    if block >= blocks { break }
                                    let rows = (block * tileRows)..<min((block + 1) * tileRows, n)
                                    var c0 = rows.lowerBound
                                    while c0 < n {
                                        let columns = min(tileColumns, n - c0)
                                        BLAS.gemm(.none, .transposed, m: rows.count, n: columns, k: d, alpha: -2,
                                                  a: p + rows.lowerBound * d, lda: d, b: p + c0 * d, ldb: d,
                                                  beta: 0, c: tile, ldc: columns)
                                        locks[block].lock()
                                        for (s, i) in rows.enumerated() {
                                            let row = tile + s * columns
                                            if i >= c0 && i < c0 + columns { row[i - c0] = .infinity }
                                            lists.scanRow(i, row, adding: norm + c0, count: columns, offset: c0)
                                        }
                                        locks[block].unlock()
                                        // The columns of later blocks: their lists get these rows.
                                        var j0 = max(c0, rows.upperBound)
                                        while j0 < c0 + columns {
                                            let owner = j0 / tileRows
                                            let j1 = min((owner + 1) * tileRows, c0 + columns)
                                            locks[owner].lock()
                                            lists.scanColumns(j0..<j1, of: tile, columnOffset: c0, columns: columns,
                                                              rows: rows, adding: norm)
                                            locks[owner].unlock()
                                            j0 = j1
                                        }
                                        c0 += columns
                                    }
                                    claim.lock()
                                    workDone += Double(rows.count) * Double(n - rows.lowerBound)
                                    if part == 0 { report.value(min(n, Int(Double(n) * workDone / totalWork))) }
                                    claim.unlock()
                                }
                            }
                        }
                    }
                }
            }
        }
        // The lists as indices and distances, each with its own ‖x‖², clamped at 0 (rounding can take a
        // tiny distance below it).
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [Float](repeating: 0, count: n * k)
        indices.withUnsafeMutableBufferPointer { ib in
            distances.withUnsafeMutableBufferPointer { db in
                let out = UncheckedSendable((ib.baseAddress!, db.baseAddress!))
                Threads.parallelFor(n, minimumChunk: 1024) { range in
                    let (outIndex, outDistance) = out.value
                    for i in range {
                        for slot in (i * k)..<((i + 1) * k) {
                            outIndex[slot] = Int32(truncatingIfNeeded: keys[slot] & 0xFFFF_FFFF)
                            outDistance[slot] = max(0, Lists.distance(keys[slot]) + norms[i])
                        }
                    }
                }
            }
        }
        return NearestNeighbours(count: n, k: k, indices: indices, squaredDistances: distances)
    }

    /// N lists of k (distance, index) pairs, ascending in that order, in a caller-owned buffer: each
    /// pair one 64-bit key, the distance's bits made monotonic above the index, so that the order is
    /// one integer comparison, a place in the list a binary search and making room one memmove (the
    /// pairwise shifting of two arrays was 38% of a 70,000-point search at k = 90).
    private struct Lists {
        let keys: UnsafeMutablePointer<UInt64>
        let k: Int

        /// (d, j) as a key: the order of keys is the order of (d, j) for non-NaN d.
        @inline(__always)
        static func key(_ d: Float, _ j: Int32) -> UInt64 {
            let bits = d.bitPattern
            let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
            return UInt64(ordered) << 32 | UInt64(UInt32(bitPattern: j))
        }

        @inline(__always)
        static func distance(_ key: UInt64) -> Float {
            let ordered = UInt32(truncatingIfNeeded: key >> 32)
            return Float(bitPattern: ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered)
        }

        /// List i's k-th distance: entries above it cannot enter.
        @inline(__always)
        func kthDistance(_ i: Int) -> Float { Self.distance(keys[i * k + k - 1]) }

        /// Offers (d, j) to list i: kept when smaller than the k-th pair in (distance, index) order.
        /// +∞ (the point itself) is never kept.
        @inline(__always)
        func offer(_ i: Int, _ d: Float, _ j: Int32) {
            let list = keys + i * k
            let key = Self.key(d, j)
            guard key < list[k - 1], d < .infinity else { return }
            // The first slot whose key is above `key` (one exists: the k-th's), in [low, low + size);
            // a select, not a branch: which half it is in is a coin toss.
            var (low, size) = (0, k)
            while size > 1 {
                let half = size / 2
                let above = unsafeBitCast(list[low + half - 1] <= key, to: UInt8.self)  // 0 or 1, no branch
                low += half & (0 &- Int(above))
                size -= half
            }
            memmove(list + low + 1, list + low, (k - 1 - low) * MemoryLayout<UInt64>.stride)
            list[low] = key
        }

        /// Row i's entries `row[c] + add[c]` (the points `offset + c`), c in `0..<n`. Entries at the
        /// k-th's distance are offered too (one may have the smaller index): ≤ d is < d.nextUp, and
        /// +∞, never kept, stays out.
        func scanRow(_ i: Int, _ row: UnsafeMutablePointer<Float>, adding add: UnsafePointer<Float>, count n: Int, offset: Int) {
            var c = 0
            while true {
                c = NearestSelection.firstBelow(kthDistance(i).nextUp, row, adding: add, from: c, count: n)
                if c == n { return }
                offer(i, row[c] + add[c], Int32(offset + c))
                c += 1
            }
        }

        /// Whether a lane is set, by halving ORs (`any` on a 16-lane mask is an out-of-line generic `min`
        /// here: 10% of a 70,000-point search).
        @inline(__always)
        static func anyLane(_ mask: SIMDMask<SIMD16<Int32>>) -> Bool {
            let m16 = unsafeBitCast(mask, to: SIMD16<Int32>.self)
            let m8 = m16.lowHalf | m16.highHalf, m4 = m8.lowHalf | m8.highHalf
            return (m4[0] | m4[1] | m4[2] | m4[3]) != 0
        }

        /// The first s ≥ `start` whose 16 entries `column[s·stride + l] + add[s]` have one ≤ `kth[l]`, or `n`.
        @inline(never)
        static func firstHit(_ kth: SIMD16<Float>, _ column: UnsafeMutablePointer<Float>, stride: Int,
                             adding add: UnsafePointer<Float>, from start: Int, count n: Int) -> Int {
            var s = start
            while s < n {
                let v = UnsafeRawPointer(column + s * stride).loadUnaligned(as: SIMD16<Float>.self) + SIMD16<Float>(repeating: add[s])
                if Self.anyLane(v .<= kth) { return s }
                s += 1
            }
            return n
        }

        /// The lists of the points `js` (columns `js − columnOffset` of the tile, `columns` wide) get the
        /// tile's rows: `tile[s][j] + add[i]` for the points i of `rows`, 16 columns side by side.
        func scanColumns(_ js: Range<Int>, of tile: UnsafeMutablePointer<Float>, columnOffset: Int, columns: Int,
                         rows: Range<Int>, adding add: UnsafePointer<Float>) {
            var j = js.lowerBound
            while j + 16 <= js.upperBound {
                var kth = SIMD16<Float>()
                for l in 0..<16 { kth[l] = kthDistance(j + l) }
                let column = tile + (j - columnOffset), first = rows.lowerBound
                var s = 0
                while true {
                    s = Self.firstHit(kth, column, stride: columns, adding: add + first, from: s, count: rows.count)
                    if s == rows.count { break }
                    let v = UnsafeRawPointer(column + s * columns).loadUnaligned(as: SIMD16<Float>.self)
                        + SIMD16<Float>(repeating: add[first + s])
                    for l in 0..<16 where v[l] <= kth[l] {
                        offer(j + l, v[l], Int32(first + s))
                        kth[l] = kthDistance(j + l)
                    }
                    s += 1
                }
                j += 16
            }
            while j < js.upperBound {
                for (s, i) in rows.enumerated() { offer(j, tile[s * columns + (j - columnOffset)] + add[i], Int32(i)) }
                j += 1
            }
        }
    }
}
