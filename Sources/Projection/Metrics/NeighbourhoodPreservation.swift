import Foundation
import Linalg

/// How well a projection Y (N×d) keeps the neighbourhoods of its input X (N×D), at one k.
///
/// - Trustworthiness (Venna & Kaski 2001, "Neighborhood preservation in nonlinear projection
///   methods: an experimental study", ICANN; 2006, "Local multidimensional scaling", Neural
///   Networks 19): penalises points that are projection neighbours without being input neighbours,
///   by how far down the input ranking they are:
///   T(k) = 1 − 2 / (N·k·(2N − 3k − 1)) · Σᵢ Σ_{j ∈ U_k(i)} (r(i, j) − k),
///   where U_k(i) are the k projection neighbours of i that are not among its k input neighbours and
///   r(i, j) is j's rank among i's input neighbours (nearest = 1). This is scikit-learn's
///   `sklearn.manifold.trustworthiness(X, Y, n_neighbors=k)`, including its requirement k < N/2.
/// - Continuity: the same with the roles of X and Y swapped (input neighbours missing from the
///   projection, ranked in the projection).
/// - kNN preservation: the mean fraction of each point's k input neighbours that are among its k
///   projection neighbours.
///
/// Neighbours and ranks are exact: every point's full distance rows are scanned, block by block
/// (`NearestNeighbours`), never an N×N matrix. A point is never its own neighbour. Ties: of two
/// points at the same distance the one with the smaller index ranks first, in both spaces — what
/// scikit-learn's code gives with `np.argsort(..., kind="stable")`. Its actual argsort (quicksort)
/// orders tied input distances arbitrarily, so on inputs with exact ties (integer grids, duplicate
/// points) its value can differ (0.938 against 0.946 on a 40-point integer grid); without ties the
/// two agree to rounding.
public struct NeighbourhoodPreservation: Sendable, Equatable, Codable {
    /// Neighbours per point.
    public var k: Int
    /// Points the metrics were computed on (the subsample size when one was drawn).
    public var points: Int
    public var trustworthiness: Double
    public var continuity: Double
    public var knnPreservation: Double

    /// All three metrics of `projection` against `input`, at `k`.
    ///
    /// Cost: three passes over the N×N distances in blocks (one over the input, two over the
    /// projection); for N = 10,000, D = 100, d = 2 about 0.5 s on 2 cores.
    /// - Parameters:
    ///   - input: X, N×D.
    ///   - projection: Y, N×d (same rows in the same order).
    ///   - k: neighbours per point (default 10); must satisfy k < N/2 (N of the subsample if drawn).
    ///   - sampleSize: when given and < N, the metrics are computed on that many rows drawn without
    ///     replacement (`sampleIndices`), as their own dataset: exactly what scikit-learn would give
    ///     on `X[idx], Y[idx]`.
    ///   - seed: seeds the subsample.
    public static func measure(input: Matrix, projection: Matrix, k: Int = 10, sampleSize: Int? = nil,
                               seed: UInt64 = 0) throws(EmbedVizError) -> NeighbourhoodPreservation {
        let (x, y) = try prepare(input, projection, k: k, sampleSize: sampleSize, seed: seed)
        let n = x.rows
        let projectionNeighbours = try NearestNeighbours.exact(y, k: k)
        let (inputNeighbours, trustPenalties) = rankPass(x, k: k, candidates: projectionNeighbours, own: nil)
        let (_, continuityPenalties) = rankPass(y, k: k, candidates: inputNeighbours, own: projectionNeighbours)
        return NeighbourhoodPreservation(
            k: k, points: n,
            trustworthiness: score(penalties: trustPenalties, n: n, k: k),
            continuity: score(penalties: continuityPenalties, n: n, k: k),
            knnPreservation: NeighbourOverlap.mean(inputNeighbours, projectionNeighbours))
    }

    /// Trustworthiness alone; equals `sklearn.manifold.trustworthiness(X, Y, n_neighbors=k)`.
    /// Parameters as in `measure`.
    public static func trustworthiness(input: Matrix, projection: Matrix, k: Int = 10, sampleSize: Int? = nil,
                                       seed: UInt64 = 0) throws(EmbedVizError) -> Double {
        let (x, y) = try prepare(input, projection, k: k, sampleSize: sampleSize, seed: seed)
        let projectionNeighbours = try NearestNeighbours.exact(y, k: k)
        return score(penalties: rankPass(x, k: k, candidates: projectionNeighbours, own: nil).penalties, n: x.rows, k: k)
    }

    /// Continuity alone: trustworthiness with the roles of input and projection swapped.
    public static func continuity(input: Matrix, projection: Matrix, k: Int = 10, sampleSize: Int? = nil,
                                  seed: UInt64 = 0) throws(EmbedVizError) -> Double {
        try trustworthiness(input: projection, projection: input, k: k, sampleSize: sampleSize, seed: seed)
    }

    /// `size` distinct row indices of `0..<count`, drawn uniformly from `seed`, ascending (all rows
    /// when `size ≥ count`). The same seed gives the same subsample on every machine.
    public static func sampleIndices(count: Int, size: Int, seed: UInt64) -> [Int] {
        guard size < count else { return Array(0..<count) }
        var rng = SeededGenerator(seed: seed)
        return rng.distinctIndices(max(0, size), from: count).sorted()
    }

    /// Checks shapes and k, and draws the subsample.
    static func prepare(_ x: Matrix, _ y: Matrix, k: Int, sampleSize: Int?, seed: UInt64) throws(EmbedVizError) -> (Matrix, Matrix) {
        guard x.rows == y.rows else {
            throw EmbedVizError.input("the input has \(x.rows) rows and the projection \(y.rows); they must be the same points")
        }
        try x.requireDistanceSafe("input")
        try y.requireDistanceSafe("projection")
        var (x, y) = (x, y)
        if let sampleSize, sampleSize < x.rows {
            let rows = sampleIndices(count: x.rows, size: sampleSize, seed: seed)
            (x, y) = (x.rows(at: rows), y.rows(at: rows))
        }
        guard k >= 1, 2 * k < x.rows else {
            throw EmbedVizError.input("k = \(k) neighbours need k < N/2 for trustworthiness and continuity, and N = \(x.rows)")
        }
        return (x, y)
    }

    /// 1 − 2/(N·k·(2N − 3k − 1)) · Σ penalties.
    static func score(penalties: [Int], n: Int, k: Int) -> Double {
        let total = Double(penalties.reduce(0, +))
        return 1 - total * (2 / (Double(n) * Double(k) * (2 * Double(n) - 3 * Double(k) - 1)))
    }

    /// One pass over the distance rows of `space`: each point's own k nearest neighbours there (or
    /// the `own` lists when already known), and per point the penalty Σ (r(i, j) − k) over the
    /// `candidates` j that are not among its own k nearest (their rank r in `space` exceeds k).
    static func rankPass(_ space: Matrix, k: Int, candidates: NearestNeighbours,
                         own: NearestNeighbours?) -> (own: NearestNeighbours, penalties: [Int]) {
        let n = space.rows
        precondition(candidates.count == n && candidates.k == k && (own.map { $0.count == n && $0.k == k } ?? true))
        var penalties = [Int](repeating: 0, count: n)
        var ownIndices = own?.indices ?? [Int32](repeating: 0, count: n * k)
        var ownDistances = own?.squaredDistances ?? [Float](repeating: 0, count: n * k)
        let selecting = own == nil
        penalties.withUnsafeMutableBufferPointer { pb in
            ownIndices.withUnsafeMutableBufferPointer { ib in
                ownDistances.withUnsafeMutableBufferPointer { db in
                    candidates.indices.withUnsafeBufferPointer { cb in
                        let out = UncheckedSendable((pb.baseAddress!, ib.baseAddress!, db.baseAddress!, cb.baseAddress!))
                        DistanceRows.forEachBlock(space) { rows, block in
                            Threads.parallelFor(rows.count) { part in
                                let (penalty, ownIndex, ownDistance, candidate) = out.value
                                let nearest = NearestSelection(k: k)
                                for r in part {
                                    let i = rows.lowerBound + r
                                    let row = block.value + r * n
                                    if selecting {
                                        nearest.select(row, count: n)
                                        nearest.write(indices: ownIndex + i * k, distances: ownDistance + i * k)
                                    }
                                    let mine = UnsafeBufferPointer(start: ownIndex + i * k, count: k)
                                    var sum = 0
                                    for c in 0..<k {
                                        let j = candidate[i * k + c]
                                        if mine.contains(j) { continue }
                                        sum += max(0, DistanceRows.rank(of: Int(j), in: row, count: n) - k)
                                    }
                                    penalty[i] = sum
                                }
                            }
                        }
                    }
                }
            }
        }
        return (NearestNeighbours(count: n, k: k, indices: ownIndices, squaredDistances: ownDistances), penalties)
    }
}
