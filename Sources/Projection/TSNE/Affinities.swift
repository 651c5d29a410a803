import Datasets
import Foundation
import Linalg

/// The symmetric input similarities P of t-SNE, sparse: P_ij = (p_{j|i} + p_{i|j}) / 2N, summing to 1.
/// Compressed sparse rows: row i's entries are `columns[rowStart[i]..<rowStart[i+1]]` with `values`.
public struct SparseAffinities: Sendable, Equatable {
    public let count: Int
    public var rowStart: [Int]
    public var columns: [Int32]
    public var values: [Float]
    /// The k of the nearest-neighbour graph P was made from (0 when it was given another way). Rows
    /// have at least k non-zeros after symmetrisation, often more.
    public var neighbours: Int

    public init(count: Int, rowStart: [Int], columns: [Int32], values: [Float], neighbours: Int = 0) {
        self.count = count
        self.rowStart = rowStart
        self.columns = columns
        self.values = values
        self.neighbours = neighbours
    }

    public var nonZeros: Int { values.count }

    /// P's compressed rows as raw pointers, for hot loops shared by several threads: row i's entries
    /// are `columns[start[i]..<start[i + 1]]` with `values` alike. Valid only inside `withRows`.
    public struct Rows: @unchecked Sendable {
        public let start: UnsafePointer<Int>
        public let columns: UnsafePointer<Int32>
        public let values: UnsafePointer<Float>
    }

    /// Runs `body` with P's rows as raw pointers.
    public func withRows<R>(_ body: (Rows) throws -> R) rethrows -> R {
        // An empty array may have no base address; a one-element stand-in is never read (no row has entries).
        let (columns, values) = nonZeros > 0 ? (self.columns, self.values) : ([0], [0])
        return try rowStart.withUnsafeBufferPointer { s in
            try columns.withUnsafeBufferPointer { c in
                try values.withUnsafeBufferPointer { v in
                    try body(Rows(start: s.baseAddress!, columns: c.baseAddress!, values: v.baseAddress!))
                }
            }
        }
    }

    /// Writes a row's `entries` in ascending column order, entries of one column added (in P they
    /// come in pairs, whose sum does not depend on the order); returns how many were written.
    static func writeSortedRow(_ entries: inout [(column: Int32, value: Float)], columns: UnsafeMutablePointer<Int32>,
                               values: UnsafeMutablePointer<Float>) -> Int {
        entries.sort { $0.column < $1.column }
        var written = 0
        for entry in entries {
            if written > 0 && columns[written - 1] == entry.column {
                values[written - 1] += entry.value
            } else {
                (columns[written], values[written]) = (entry.column, entry.value)
                written += 1
            }
        }
        return written
    }

    /// Entry (i, j), or 0.
    public func value(_ i: Int, _ j: Int) -> Float {
        for k in rowStart[i]..<rowStart[i + 1] where Int(columns[k]) == j { return values[k] }
        return 0
    }
}

/// Input affinities from k nearest neighbours (van der Maaten 2014, "Accelerating t-SNE using
/// tree-based algorithms", §3): each point's Gaussian bandwidth is calibrated so that its conditional
/// distribution over its k = min(N−1, ⌊3·perplexity⌋) nearest neighbours has the requested perplexity.
/// The neighbours are exact (`NearestNeighbours.exact`: blocked BLAS distances, never an N×N matrix)
/// or approximate (HNSW, with a measured recall) as `NeighbourSearch` says; with the cosine metric
/// the kernel is exp(−β·(1 − cos θ)) (the bandwidth is calibrated, so the scale of the distance does
/// not matter: ½‖â − b̂‖² gives the same P up to the calibration's tolerance).
public enum Affinities {
    /// The largest perplexity N points allow: 3·perplexity neighbours must exist (⌊(N−1)/3⌋).
    public static func maximumPerplexity(points n: Int) -> Double { Double((n - 1) / 3) }

    /// Conditional probabilities p_{j|i} ∝ exp(−β_i·d²_ij) over each row's k neighbours, with β_i found
    /// by bisection (in Double, on the entropy in nats, tolerance 1e-5, at most 200 steps) so that the
    /// perplexity exp(H) matches. Rows sum to 1. `squaredDistances` is N×k.
    public static func conditionalProbabilities(squaredDistances: [Float], k: Int, perplexity: Double) -> [Float] {
        let n = squaredDistances.count / k
        var p = [Float](repeating: 0, count: n * k)
        let target = log(perplexity)
        p.withUnsafeMutableBufferPointer { pb in
            squaredDistances.withUnsafeBufferPointer { db in
                let (out, d) = (UncheckedSendable(pb.baseAddress!), UncheckedSendable(db.baseAddress!))
                Threads.parallelFor(n, minimumChunk: 256) { rows in
                    var weights = [Double](repeating: 0, count: k)
                    for i in rows {
                        let row = d.value + i * k
                        // Distances relative to the nearest: the same P, no underflow of exp for far rows.
                        let nearest = Double(row[0])
                        var beta = 1.0, low = 0.0, high = Double.infinity
                        for _ in 0..<200 {
                            var sum = 0.0, weighted = 0.0
                            for j in 0..<k {
                                let dj = Double(row[j]) - nearest
                                let w = exp(-beta * dj)
                                weights[j] = w
                                sum += w
                                weighted += w * dj
                            }
                            let entropy = log(sum) + beta * weighted / sum  // H = log Σw + β·E[d]
                            let difference = entropy - target
                            if abs(difference) <= 1e-5 { break }
                            if difference > 0 {
                                low = beta
                                beta = high.isInfinite ? beta * 2 : (beta + high) / 2
                            } else {
                                high = beta
                                beta = (beta + low) / 2
                            }
                        }
                        let total = weights.reduce(0, +)
                        let dst = out.value + i * k
                        for j in 0..<k { dst[j] = Float(weights[j] / total) }
                    }
                }
            }
        }
        return p
    }

    /// P = (P_cond + P_condᵀ) / 2N as sparse rows, from each row's k neighbours and probabilities.
    public static func symmetrize(indices: [Int32], conditional: [Float], k: Int) -> SparseAffinities {
        let n = indices.count / k
        // Row i holds its own neighbours and every j that has i as a neighbour.
        var counts = [Int](repeating: k, count: n)
        for e in 0..<(n * k) { counts[Int(indices[e])] += 1 }
        var start = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { start[i + 1] = start[i] + counts[i] }
        var columns = [Int32](repeating: 0, count: start[n])
        var values = [Float](repeating: 0, count: start[n])
        var fill = Array(start.dropLast())
        let scale = 1 / Float(2 * n)
        for i in 0..<n {
            for e in (i * k)..<((i + 1) * k) {
                let j = Int(indices[e]), v = conditional[e] * scale
                columns[fill[i]] = Int32(j); values[fill[i]] = v; fill[i] += 1
                columns[fill[j]] = Int32(i); values[fill[j]] = v; fill[j] += 1
            }
        }
        // Sort each row by column and add duplicates (pairs that are neighbours both ways: two
        // values, so their sum does not depend on the order) — rows in parallel, each by one thread:
        // first in place with the number of distinct columns, then compacted.
        var distinct = [Int](repeating: 0, count: n)
        columns.withUnsafeMutableBufferPointer { c in
            values.withUnsafeMutableBufferPointer { v in
                distinct.withUnsafeMutableBufferPointer { counted in
                    let shared = UncheckedSendable((c.baseAddress!, v.baseAddress!, counted.baseAddress!))
                    Threads.parallelFor(n, minimumChunk: 2048) { rows in
                        let (c, v, counted) = shared.value
                        var entries: [(column: Int32, value: Float)] = []
                        for i in rows {
                            entries.removeAll(keepingCapacity: true)
                            for e in start[i]..<start[i + 1] { entries.append((c[e], v[e])) }
                            counted[i] = SparseAffinities.writeSortedRow(&entries, columns: c + start[i], values: v + start[i])
                        }
                    }
                }
            }
        }
        var rowStart = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { rowStart[i + 1] = rowStart[i] + distinct[i] }
        var outColumns = [Int32](repeating: 0, count: rowStart[n]), outValues = [Float](repeating: 0, count: rowStart[n])
        outColumns.withUnsafeMutableBufferPointer { oc in
            outValues.withUnsafeMutableBufferPointer { ov in
                let shared = UncheckedSendable((oc.baseAddress!, ov.baseAddress!))
                Threads.parallelFor(n, minimumChunk: 4096) { rows in
                    let (oc, ov) = shared.value
                    for i in rows {
                        for t in 0..<distinct[i] {
                            oc[rowStart[i] + t] = columns[start[i] + t]
                            ov[rowStart[i] + t] = values[start[i] + t]
                        }
                    }
                }
            }
        }
        return SparseAffinities(count: n, rowStart: rowStart, columns: outColumns, values: outValues, neighbours: k)
    }

    /// The whole pipeline: neighbours, calibration, symmetrization. `neighbours` defaults to
    /// min(N−1, ⌊3·perplexity⌋); pass N−1 for the exact (dense) affinities.
    public static func compute(_ x: Matrix, perplexity: Double, neighbours: Int? = nil, search: NeighbourSearch = NeighbourSearch(),
                               progress: (NeighbourProgress) -> Void = { _ in }) throws -> SparseAffinities {
        let (lists, _) = try nearestNeighbours(x, perplexity: perplexity, neighbours: neighbours, search: search, progress: progress)
        return fromNeighbours(lists, perplexity: perplexity)
    }

    /// The first step: checks that `x` and the perplexity make affinities, then finds each point's
    /// k = `neighbours` ?? min(N−1, ⌊3·perplexity⌋) nearest neighbours as `search` says (exact for
    /// k = N − 1, the dense affinities, whatever it says: there is nothing to approximate), or as
    /// the first k of `shared`'s lists when it serves that search.
    public static func nearestNeighbours(_ x: Matrix, perplexity: Double, neighbours: Int? = nil,
                                         search: NeighbourSearch = NeighbourSearch(), shared: SharedNeighbours? = nil,
                                         progress: (NeighbourProgress) -> Void = { _ in }) throws -> (NearestNeighbours, NeighbourReport) {
        let n = x.rows
        guard n >= 4 else { throw EmbedVizError.input("t-SNE needs at least 4 points, got \(n)") }
        let maximum = maximumPerplexity(points: n)
        guard perplexity.isFinite, 3 * perplexity >= 1 else {
            throw EmbedVizError.input("perplexity \(perplexity) is unusable: it must be a finite number with 3·perplexity ≥ 1 (at least one neighbour)")
        }
        guard perplexity <= maximum else {
            throw EmbedVizError.input(
                "perplexity \(perplexity) is too large for \(n) points (3·perplexity neighbours are needed); the maximum is \(Int(maximum))")
        }
        let k = min(n - 1, neighbours ?? Int(3 * perplexity))
        let identical = x.withUnsafeBufferPointer { p in
            (1..<n).allSatisfy { i in (0..<x.columns).allSatisfy { p[i * x.columns + $0] == p[$0] } }
        }
        guard !identical else { throw EmbedVizError.input("all \(n) points are identical: there is nothing to embed") }
        var search = search
        if k == n - 1 { search.method = .exact }
        return try Profile.section("t-SNE kNN") { try NearestNeighbours.find(x, k: k, search: search, shared: shared, progress: progress) }
    }

    /// The second step: P from each point's neighbour lists (calibration, then symmetrization).
    public static func fromNeighbours(_ lists: NearestNeighbours, perplexity: Double) -> SparseAffinities {
        let conditional = Profile.section("t-SNE perplexity calibration") {
            conditionalProbabilities(squaredDistances: lists.squaredDistances, k: lists.k, perplexity: perplexity)
        }
        return Profile.section("t-SNE symmetrize") { symmetrize(indices: lists.indices, conditional: conditional, k: lists.k) }
    }
}
