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

    public var nonZeros: Int { values.count }

    /// Entry (i, j), or 0.
    public func value(_ i: Int, _ j: Int) -> Float {
        for k in rowStart[i]..<rowStart[i + 1] where Int(columns[k]) == j { return values[k] }
        return 0
    }
}

/// Input affinities from exact k nearest neighbours (van der Maaten 2014, "Accelerating t-SNE using
/// tree-based algorithms", §3): each point's Gaussian bandwidth is calibrated so that its conditional
/// distribution over its k = min(N−1, ⌊3·perplexity⌋) nearest neighbours has the requested perplexity.
public enum Affinities {
    /// The largest perplexity N points allow: 3·perplexity neighbours must exist (⌊(N−1)/3⌋).
    public static func maximumPerplexity(points n: Int) -> Double { Double((n - 1) / 3) }

    /// k nearest neighbours of every row of `x` (itself excluded), exactly: squared distances block by
    /// block from the BLAS kernel, a bounded max-heap per row. Memory: one block of distances plus
    /// N·k results, never N×N.
    /// - Returns: `indices` and squared `distances`, each N×k row-major, nearest first.
    public static func nearestNeighbors(_ x: Matrix, k: Int,
                                        progress: (Int) -> Void = { _ in }) -> (indices: [Int32], distances: [Float]) {
        precondition(k >= 1 && k < x.rows, "k = \(k) neighbours need more than \(k) points, got \(x.rows)")
        return nearestNeighbors(of: x, among: nil, k: k, progress: progress)
    }

    /// k nearest rows of `reference` for every row of `queries` (or of `queries` itself, self excluded,
    /// when `reference` is nil).
    public static func nearestNeighbors(of queries: Matrix, among reference: Matrix?, k: Int,
                                        progress: (Int) -> Void = { _ in }) -> (indices: [Int32], distances: [Float]) {
        let n = queries.rows
        let m = reference?.rows ?? n
        let excludeSelf = reference == nil
        precondition(k >= 1 && k <= m - (excludeSelf ? 1 : 0), "k = \(k) neighbours among \(m) points")
        var indices = [Int32](repeating: 0, count: n * k)
        var distances = [Float](repeating: 0, count: n * k)
        indices.withUnsafeMutableBufferPointer { ib in
            distances.withUnsafeMutableBufferPointer { db in
                let (outIndex, outDistance) = (UncheckedSendable(ib.baseAddress!), UncheckedSendable(db.baseAddress!))
                PairwiseDistances.forEachBlock(queries, reference, blockBytes: PairwiseDistances.defaultBlockBytes) { rows, block in
                    let blockPointer = UncheckedSendable(block.baseAddress!)
                    Threads.parallelFor(rows.count) { part in
                        var heap = NeighbourHeap(capacity: k)
                        for r in part {
                            let i = rows.lowerBound + r
                            heap.reset()
                            let row = blockPointer.value + r * m
                            for j in 0..<m where !(excludeSelf && j == i) { heap.offer(row[j], Int32(j)) }
                            heap.sortedAscending(indices: outIndex.value + i * k, distances: outDistance.value + i * k)
                        }
                    }
                    progress(rows.upperBound)
                }
            }
        }
        return (indices, distances)
    }

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
        // Sort each row by column and add duplicates (pairs that are neighbours both ways).
        var rowStart = [0]
        rowStart.reserveCapacity(n + 1)
        var outColumns = [Int32](), outValues = [Float]()
        outColumns.reserveCapacity(columns.count)
        outValues.reserveCapacity(columns.count)
        var order = [Int]()
        for i in 0..<n {
            let range = start[i]..<start[i + 1]
            order.removeAll(keepingCapacity: true)
            order.append(contentsOf: range)
            order.sort { columns[$0] < columns[$1] }
            var last: Int32 = -1
            for e in order {
                if columns[e] == last {
                    outValues[outValues.count - 1] += values[e]
                } else {
                    outColumns.append(columns[e])
                    outValues.append(values[e])
                    last = columns[e]
                }
            }
            rowStart.append(outColumns.count)
        }
        return SparseAffinities(count: n, rowStart: rowStart, columns: outColumns, values: outValues)
    }

    /// The whole pipeline: neighbours, calibration, symmetrization. `neighbours` defaults to
    /// min(N−1, ⌊3·perplexity⌋); pass N−1 for the exact (dense) affinities.
    public static func compute(_ x: Matrix, perplexity: Double, neighbours: Int? = nil,
                               progress: (Int) -> Void = { _ in }) throws -> SparseAffinities {
        let n = x.rows
        guard n >= 4 else { throw EmbedVizError.input("t-SNE needs at least 4 points, got \(n)") }
        let maximum = maximumPerplexity(points: n)
        guard perplexity > 0, perplexity <= maximum else {
            throw EmbedVizError.input(
                "perplexity \(perplexity) is too large for \(n) points (3·perplexity neighbours are needed); the maximum is \(Int(maximum))")
        }
        let k = min(n - 1, neighbours ?? Int(3 * perplexity))
        let (indices, distances) = nearestNeighbors(x, k: k, progress: progress)
        let conditional = conditionalProbabilities(squaredDistances: distances, k: k, perplexity: perplexity)
        return symmetrize(indices: indices, conditional: conditional, k: k)
    }
}

/// The k smallest (distance, index) pairs seen, as a max-heap on distance (ties: larger index on top,
/// so that equal distances keep the smaller indices, deterministically).
struct NeighbourHeap {
    private var distances: [Float]
    private var indices: [Int32]
    private(set) var count = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        distances = Array(repeating: 0, count: capacity)
        indices = Array(repeating: 0, count: capacity)
    }

    mutating func reset() { count = 0 }

    @inline(__always)
    private func above(_ a: Int, _ b: Int) -> Bool {
        distances[a] > distances[b] || (distances[a] == distances[b] && indices[a] > indices[b])
    }

    @inline(__always)
    mutating func offer(_ d: Float, _ j: Int32) {
        if count < capacity {
            distances[count] = d
            indices[count] = j
            var c = count
            count += 1
            while c > 0 {
                let p = (c - 1) / 2
                guard above(c, p) else { break }
                distances.swapAt(c, p)
                indices.swapAt(c, p)
                c = p
            }
            return
        }
        guard d < distances[0] || (d == distances[0] && j < indices[0]) else { return }
        distances[0] = d
        indices[0] = j
        var p = 0
        while true {
            let l = 2 * p + 1, r = l + 1
            var top = p
            if l < count && above(l, top) { top = l }
            if r < count && above(r, top) { top = r }
            if top == p { break }
            distances.swapAt(p, top)
            indices.swapAt(p, top)
            p = top
        }
    }

    /// Writes the contents nearest first (and empties the heap).
    mutating func sortedAscending(indices outIndex: UnsafeMutablePointer<Int32>, distances outDistance: UnsafeMutablePointer<Float>) {
        let order = (0..<count).sorted { distances[$0] < distances[$1] || (distances[$0] == distances[$1] && indices[$0] < indices[$1]) }
        for (slot, e) in order.enumerated() {
            outIndex[slot] = indices[e]
            outDistance[slot] = distances[e]
        }
        count = 0
    }
}
