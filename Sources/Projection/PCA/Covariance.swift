import Datasets
import Foundation
import Linalg

/// Count, mean and centred cross-product `Σ (x − μ)(x − μ)ᵀ` of rows seen so far, accumulated one
/// chunk at a time and mergeable across shards.
///
/// Rows are shifted by a fixed vector `s` (the mean of the first chunk) before `ssyrk`, so a large
/// common offset costs no precision: the float32 products see only the spread around `s`. The
/// shifted sums are kept in Double and centred at the end,
/// `Σ (x − μ)(x − μ)ᵀ = Σ (x − s)(x − s)ᵀ − n·(μ − s)(μ − s)ᵀ`, which loses nothing because `μ − s`
/// is small ("shifted data" algorithm; Chan, Golub & LeVeque 1983). Accumulators over different
/// shards merge with the pairwise update of Chan, Golub & LeVeque (1979): with δ = μ_b − μ_a,
/// `M = M_a + M_b + δδᵀ·n_a·n_b/n`. One pass over the data; memory: one chunk plus two D×D matrices.
public struct CovarianceAccumulator: Sendable, Equatable {
    public let dimension: Int
    public private(set) var count = 0
    /// The shift s, fixed by the first rows seen.
    private var shift: [Float]?
    /// Σ (x − s) and the upper triangle of Σ (x − s)(x − s)ᵀ, in Double.
    private var shiftedSum: [Double]
    private var shiftedCross: [Double]

    /// Empty statistics over `dimension` columns: D² doubles, allocated here.
    /// - Throws: `EmbedVizError.input` when the accumulator and its chunks (`workingBytes`) exceed
    ///   `MemoryBudget` (an NPY header declaring 10⁸ columns asks for 80 PB), before allocating.
    public init(dimension: Int) throws(EmbedVizError) {
        guard dimension >= 0 else { throw EmbedVizError.input("PCA statistics need a non-negative dimension, got \(dimension)") }
        try MemoryBudget.check(Self.workingBytes(dimension: dimension), for: "PCA of \(dimension) columns (a \(dimension)×\(dimension) cross-product)",
                               alternative: "reduce the number of columns first")
        self.init(unchecked: dimension)
    }

    private init(unchecked dimension: Int) {
        self.dimension = dimension
        shiftedSum = Array(repeating: 0, count: dimension)
        shiftedCross = Array(repeating: 0, count: dimension * dimension)
    }

    /// Bytes an accumulator over `dimension` columns works in, as far as they grow with it (saturating
    /// at `Int.max`): the Double cross-product, one float32 Gram matrix per chunk, and chunks of at
    /// least 256 rows (chunks are otherwise a fixed 16 MB).
    public static func workingBytes(dimension d: Int) -> Int {
        checkedSum(checkedProduct(12, d, d), checkedProduct(4 * 256, d))
    }

    /// Restores saved statistics (see `PCAFiles`): count, mean and centred cross-product.
    public init(count: Int, mean: [Double], crossProduct: [Double]) throws {
        let d = mean.count
        guard count >= 0, crossProduct.count == d * d else {
            throw EmbedVizError.input("inconsistent partial PCA: mean of \(d) values, cross-product of \(crossProduct.count)")
        }
        try self.init(dimension: d)
        restore(count: count, mean: mean, crossProduct: crossProduct)
    }

    /// Sets count, shift and shifted sums from centred statistics (sizes already checked).
    private mutating func restore(count: Int, mean: [Double], crossProduct: [Double]) {
        let d = mean.count
        guard count > 0 else { return }
        // Shift by the float mean; the sums follow exactly from the centred statistics.
        let s = mean.map { Float($0) }
        let delta = (0..<d).map { mean[$0] - Double(s[$0]) }
        let n = Double(count)
        self.count = count
        shift = s
        shiftedSum = delta.map { $0 * n }
        for a in 0..<d { for b in a..<d { shiftedCross[a * d + b] = crossProduct[a * d + b] + n * delta[a] * delta[b] } }
    }

    /// Rows per `ssyrk` call: about 4M elements (16 MB) per chunk, at least 256 rows.
    public static func chunkRows(dimension: Int) -> Int { max(256, (1 << 22) / max(dimension, 1)) }

    /// The column means.
    public var mean: [Double] {
        guard let shift, count > 0 else { return Array(repeating: 0, count: dimension) }
        let n = Double(count)
        return (0..<dimension).map { Double(shift[$0]) + shiftedSum[$0] / n }
    }

    /// Row-major D×D, upper triangle: Σ (x − mean)(x − mean)ᵀ.
    public var crossProduct: [Double] {
        guard count > 0 else { return shiftedCross }
        let d = dimension, n = Double(count)
        let delta = shiftedSum.map { $0 / n }
        var centred = shiftedCross
        for a in 0..<d { for b in a..<d { centred[a * d + b] -= n * delta[a] * delta[b] } }
        return centred
    }

    /// The cross-product with its lower triangle filled from the upper one.
    public var symmetrised: [Double] {
        var full = crossProduct
        let d = dimension
        for a in 0..<d { for b in 0..<a { full[a * d + b] = full[b * d + a] } }
        return full
    }

    /// Sample covariance (ddof = 1), complete symmetric D×D.
    public var covariance: [Double] {
        let scale = 1 / Double(max(count - 1, 1))
        return symmetrised.map { $0 * scale }
    }

    /// Adds the rows of `x` (any number; large matrices are processed in chunks through a scratch buffer).
    public mutating func add(_ x: Matrix) {
        precondition(x.columns == dimension, "expected \(dimension) columns, got \(x.columns)")
        guard x.rows > 0 else { return }
        let step = Self.chunkRows(dimension: dimension)
        var scratch = [Float](repeating: 0, count: min(step, x.rows) * dimension)
        var start = 0
        while start < x.rows {
            let rows = min(step, x.rows - start)
            x.withUnsafeBufferPointer { p in
                scratch.withUnsafeMutableBufferPointer { c in
                    accumulate(p.baseAddress! + start * dimension, rows: rows, shiftedInto: c.baseAddress!)
                }
            }
            start += rows
        }
    }

    /// Adds the first `rows` rows of `chunk` (all by default), using its storage as scratch: its
    /// contents are destroyed. The streaming path, with no copy of the chunk.
    public mutating func absorb(_ chunk: inout Matrix, rows: Int? = nil) {
        precondition(chunk.columns == dimension, "expected \(dimension) columns, got \(chunk.columns)")
        let rows = rows ?? chunk.rows
        chunk.withUnsafeMutableBufferPointer { c in
            accumulate(c.baseAddress!, rows: rows, shiftedInto: c.baseAddress!)
        }
    }

    /// One chunk: `x − s` written to `shifted` (which may be `x` itself) while Σ (x − s) accumulates
    /// in Double, then `ssyrk` of the shifted rows added to the Double cross-product.
    private mutating func accumulate(_ x: UnsafePointer<Float>, rows: Int, shiftedInto shifted: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        let d = dimension
        if shift == nil {
            // The shift: the mean of the first rows seen (any value near the data's centre works).
            var first = [Double](repeating: 0, count: d)
            for i in 0..<rows { for j in 0..<d { first[j] += Double(x[i * d + j]) } }
            shift = first.map { Float($0 / Double(rows)) }
        }
        let s = shift!
        // Serial: the pass is memory-bound; two threads measured no faster end to end (70k×784).
        var sums = [Double](repeating: 0, count: d)
        Profile.section("PCA shift rows") {
            for i in 0..<rows {
                let src = x + i * d, dst = shifted + i * d
                for j in 0..<d {
                    let v = src[j] - s[j]
                    dst[j] = v
                    sums[j] += Double(v)
                }
            }
        }
        for j in 0..<d { shiftedSum[j] += sums[j] }
        var gram = [Float](unsafeUninitializedCapacity: d * d) { _, n in n = d * d }
        gram.withUnsafeMutableBufferPointer { g in
            Profile.section("PCA ssyrk") {
                BLAS.syrk(.transposed, n: d, k: rows, alpha: 1, a: shifted, lda: d, beta: 0, c: g.baseAddress!, ldc: d)
            }
            Profile.section("PCA add to Double") {
                shiftedCross.withUnsafeMutableBufferPointer { cp in
                    for a in 0..<d {
                        let row = a * d
                        for b in a..<d { cp[row + b] += Double(g[row + b]) }
                    }
                }
            }
        }
        count += rows
    }

    /// Merges another accumulator over the same dimension (Chan et al.'s pairwise update).
    public mutating func merge(_ other: CovarianceAccumulator) {
        precondition(other.dimension == dimension, "cannot merge \(other.dimension)-d statistics into \(dimension)-d")
        guard other.count > 0 else { return }
        guard count > 0 else {
            self = other
            return
        }
        let d = dimension
        let (na, nb) = (Double(count), Double(other.count))
        let n = na + nb
        let (meanA, meanB) = (mean, other.mean)
        var cross = crossProduct
        let otherCross = other.crossProduct
        let delta = (0..<d).map { meanB[$0] - meanA[$0] }
        let factor = na * nb / n
        for a in 0..<d {
            let da = delta[a] * factor
            for b in a..<d { cross[a * d + b] += otherCross[a * d + b] + da * delta[b] }
        }
        let merged = (0..<d).map { meanA[$0] + delta[$0] * nb / n }
        var result = CovarianceAccumulator(unchecked: d)
        result.restore(count: count + other.count, mean: merged, crossProduct: cross)
        self = result
    }
}
