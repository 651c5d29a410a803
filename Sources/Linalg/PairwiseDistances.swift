/// Squared Euclidean distances between the rows of matrices, through BLAS.
///
/// Uses ‖a − b‖² = ‖a‖² + ‖b‖² − 2·a·b: the cross terms of a block of rows are one `sgemm`, the
/// norms are added in one pass over the block while it is in cache, which also clamps rounding
/// negatives to 0 and writes exact zeros on the diagonal of self-distances. (`ssyrk` would halve the
/// flops of a full self-distance matrix, but mirroring its triangle cost more than it saved: 0.40 s
/// vs 0.29 s for a fresh 10000×10000 result from 10000×100, `make bench`.) The identity loses relative
/// precision for points much closer to each other than to the origin (cancellation); centre the
/// data first when that matters.
///
/// Work proceeds in row blocks, so an N×M result never has to exist at once: `forEachBlock` hands
/// each block to a consumer (e.g. a k-nearest-neighbour selection) while it is still in cache.
public enum PairwiseDistances {
    /// Default size of one block of results: large enough that each `sgemm` call amortises packing
    /// the right-hand operand, small enough to stay in the last-level cache.
    public static let defaultBlockBytes = 8 << 20

    /// Squared distances between the rows of `x` (N×D) and of `y` (M×D), or of `x` against itself
    /// when `y` is nil, handed to `body` in blocks of consecutive rows.
    ///
    /// - Parameters:
    ///   - blockBytes: upper bound on one block's size (at least one row is always processed).
    ///   - body: receives the row range of `x` and the block, `range.count × M` row-major; the
    ///     buffer is reused for the next block, so copy what must outlive the call.
    public static func forEachBlock(
        _ x: Matrix, _ y: Matrix? = nil, blockBytes: Int = defaultBlockBytes,
        _ body: (Range<Int>, UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows {
        let other = y ?? x
        precondition(x.columns == other.columns, "distances need equal dimensions: \(x.columns) vs \(other.columns)")
        let (n, m) = (x.rows, other.rows)
        guard n > 0, m > 0 else { return }
        let xNorms = squaredNorms(x)
        let yNorms = y == nil ? xNorms : squaredNorms(other)
        let blockRows = max(1, min(n, blockBytes / (4 * m)))
        var block = [Float](repeating: 0, count: blockRows * m)
        var start = 0
        while start < n {
            let rows = start..<min(start + blockRows, n)
            try block.withUnsafeMutableBufferPointer { out in
                let view = UnsafeMutableBufferPointer(rebasing: out[0..<(rows.count * m)])
                x.withUnsafeBufferPointer { px in
                    other.withUnsafeBufferPointer { py in
                        computeBlock(px.baseAddress!, rows: rows, xNorms: xNorms, py.baseAddress!, m: m,
                                     yNorms: yNorms, d: x.columns, selfDistances: y == nil, into: view.baseAddress!)
                    }
                }
                try body(rows, view)
            }
            start = rows.upperBound
        }
    }

    /// The full N×M matrix of squared distances between the rows of `x` and `y`.
    /// Callers with large inputs should check `MemoryBudget` first or use `forEachBlock`.
    public static func squared(_ x: Matrix, _ y: Matrix) -> Matrix {
        full(x, y, selfDistances: false)
    }

    /// The whole result in one buffer, computed block by block straight into it (no zero-fill first:
    /// `sgemm` with β = 0 writes every element).
    private static func full(_ x: Matrix, _ y: Matrix, selfDistances: Bool) -> Matrix {
        precondition(x.columns == y.columns, "distances need equal dimensions: \(x.columns) vs \(y.columns)")
        let (n, m) = (x.rows, y.rows)
        guard n > 0, m > 0 else { return Matrix(rows: n, columns: m) }
        let xNorms = squaredNorms(x)
        let yNorms = selfDistances ? xNorms : squaredNorms(y)
        let blockRows = max(1, defaultBlockBytes / (4 * m))
        let storage = [Float](unsafeUninitializedCapacity: n * m) { out, initialized in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    var start = 0
                    while start < n {
                        let rows = start..<min(start + blockRows, n)
                        computeBlock(px.baseAddress!, rows: rows, xNorms: xNorms, py.baseAddress!, m: m, yNorms: yNorms,
                                     d: x.columns, selfDistances: selfDistances, into: out.baseAddress! + start * m)
                        start = rows.upperBound
                    }
                }
            }
            initialized = n * m
        }
        return Matrix(rows: n, columns: m, storage: storage)
    }

    /// The full, symmetric N×N matrix of squared distances between the rows of `x`, with exact
    /// zeros on the diagonal. Callers with large inputs should check `MemoryBudget` first.
    public static func squared(_ x: Matrix) -> Matrix {
        full(x, x, selfDistances: true)
    }

    /// ‖row‖² of every row (accumulated in Float; the kernel's precision is that of the identity).
    public static func squaredNorms(_ x: Matrix) -> [Float] {
        var norms = [Float](repeating: 0, count: x.rows)
        let d = x.columns
        x.withUnsafeBufferPointer { px in
            for i in 0..<x.rows {
                let row = px.baseAddress! + i * d
                var s: Float = 0
                for j in 0..<d { s += row[j] * row[j] }
                norms[i] = s
            }
        }
        return norms
    }

    /// One block: `out[r, j] = max(0, ‖x_r‖² + ‖y_j‖² − 2·x_r·y_j)` for `r` in `rows`.
    @usableFromInline
    static func computeBlock(_ x: UnsafePointer<Float>, rows: Range<Int>, xNorms: [Float],
                             _ y: UnsafePointer<Float>, m: Int, yNorms: [Float], d: Int,
                             selfDistances: Bool, into out: UnsafeMutablePointer<Float>) {
        BLAS.gemm(.none, .transposed, m: rows.count, n: m, k: d, alpha: -2,
                  a: x + rows.lowerBound * d, lda: d, b: y, ldb: d, beta: 0, c: out, ldc: m)
        // The norms are added in parallel over rows (one pass over the block; a single thread here
        // was 40% of a 70,000-point kNN).
        yNorms.withUnsafeBufferPointer { yn in
            let (norms, base) = (UncheckedSendable(yn.baseAddress!), UncheckedSendable(out))
            Threads.parallelFor(rows.count, minimumChunk: 16) { part in
                for r in part {
                    let i = rows.lowerBound + r
                    let row = base.value + r * m
                    let xi = xNorms[i]
                    for j in 0..<m { row[j] = max(0, row[j] + (xi + norms.value[j])) }
                    if selfDistances { row[i] = 0 }
                }
            }
        }
    }
}
