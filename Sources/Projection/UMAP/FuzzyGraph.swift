import Foundation
import Linalg

/// UMAP's fuzzy simplicial set, its 1-skeleton: a symmetric weighted graph in compressed sparse rows
/// (row i's edges are `columns[rowStart[i]..<rowStart[i + 1]]`, ascending, with `weights` in (0, 1]),
/// no self loops.
///
/// Built as umap-learn's `fuzzy_simplicial_set` builds it (McInnes, Healy & Melville 2018, §3.1):
/// each point's local fuzzy set A (memberships from `SmoothKNN`), then the fuzzy union of the local
/// sets, A + Aᵀ − A∘Aᵀ (the probabilistic t-conorm). (a + b) − a·b is symmetric in a and b in
/// floating point too, so the graph's weights are exactly symmetric.
struct FuzzyGraph: Sendable, Equatable {
    let count: Int
    var rowStart: [Int]
    var columns: [Int32]
    var weights: [Float]

    /// Directed edges (each undirected edge counted twice).
    var edges: Int { weights.count }

    /// Edge (i, j)'s weight, or 0.
    func weight(_ i: Int, _ j: Int) -> Float {
        for e in rowStart[i]..<rowStart[i + 1] where Int(columns[e]) == j { return weights[e] }
        return 0
    }

    /// The graph of `lists` (each point's nearest *other* points with squared Euclidean distances,
    /// or cosine distances): the lists are read as umap-learn's, with the point itself in front at
    /// distance 0, so a neighbourhood has `lists.k + 1` points; memberships from ρ and σ; fuzzy union.
    static func fromNeighbours(_ lists: NearestNeighbours, metric: NeighbourSearch.Metric,
                               localConnectivity: Double = 1) -> FuzzyGraph {
        let (n, k) = (lists.count, lists.k + 1)
        var distances = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            for j in 0..<lists.k {
                let d = lists.squaredDistances[i * lists.k + j]
                distances[i * k + j + 1] = metric == .euclidean ? max(d, 0).squareRoot() : max(d, 0)
            }
        }
        let (rho, sigma) = SmoothKNN.calibrate(distances: distances, rows: n, k: k, localConnectivity: localConnectivity)
        var memberships = [Float](repeating: 0, count: n * lists.k)
        for i in 0..<n {
            for j in 0..<lists.k {
                memberships[i * lists.k + j] = SmoothKNN.membership(distance: distances[i * k + j + 1], rho: rho[i], sigma: sigma[i])
            }
        }
        return fuzzyUnion(count: n, k: lists.k, indices: lists.indices, memberships: memberships)
    }

    /// A + Aᵀ − A∘Aᵀ of the local fuzzy sets A (row i: `k` entries `indices`/`memberships`; zero
    /// memberships, self entries and repeated indices after the first are dropped).
    static func fuzzyUnion(count n: Int, k: Int, indices: [Int32], memberships: [Float]) -> FuzzyGraph {
        precondition(indices.count == n * k && memberships.count == n * k, "local sets do not fit \(n)×\(k)")
        // A's rows, sorted by column, cleaned.
        var aStart = [Int](repeating: 0, count: n + 1)
        var aColumns = [Int32](), aValues = [Float]()
        aColumns.reserveCapacity(n * k)
        aValues.reserveCapacity(n * k)
        var row = [(Int32, Float)]()
        for i in 0..<n {
            row.removeAll(keepingCapacity: true)
            for e in (i * k)..<((i + 1) * k) where memberships[e] > 0 && Int(indices[e]) != i {
                if !row.contains(where: { $0.0 == indices[e] }) { row.append((indices[e], memberships[e])) }
            }
            row.sort { $0.0 < $1.0 }
            for (j, v) in row {
                aColumns.append(j)
                aValues.append(v)
            }
            aStart[i + 1] = aColumns.count
        }
        // Aᵀ by counting sort: row i of Aᵀ holds A[j, i] for the j that list i, ascending in j.
        var tStart = [Int](repeating: 0, count: n + 1)
        for j in aColumns { tStart[Int(j) + 1] += 1 }
        for i in 0..<n { tStart[i + 1] += tStart[i] }
        var fill = tStart
        var tColumns = [Int32](repeating: 0, count: aColumns.count), tValues = [Float](repeating: 0, count: aColumns.count)
        for j in 0..<n {
            for e in aStart[j]..<aStart[j + 1] {
                let i = Int(aColumns[e])
                tColumns[fill[i]] = Int32(j)
                tValues[fill[i]] = aValues[e]
                fill[i] += 1
            }
        }
        // Merge row i of A and of Aᵀ.
        var rowStart = [Int](repeating: 0, count: n + 1)
        var columns = [Int32](), weights = [Float]()
        columns.reserveCapacity(2 * aColumns.count)
        weights.reserveCapacity(2 * aColumns.count)
        for i in 0..<n {
            var (p, q) = (aStart[i], tStart[i])
            let (pEnd, qEnd) = (aStart[i + 1], tStart[i + 1])
            while p < pEnd || q < qEnd {
                let jp = p < pEnd ? aColumns[p] : Int32.max, jq = q < qEnd ? tColumns[q] : Int32.max
                let a: Float = jp <= jq ? aValues[p] : 0, b: Float = jq <= jp ? tValues[q] : 0
                columns.append(min(jp, jq))
                weights.append((a + b) - a * b)
                if jp <= jq { p += 1 }
                if jq <= jp { q += 1 }
            }
            rowStart[i + 1] = columns.count
        }
        return FuzzyGraph(count: n, rowStart: rowStart, columns: columns, weights: weights)
    }

    /// The graph without the edges lighter than `threshold` (umap-learn drops those below
    /// max weight / epochs: they would be sampled less than once). Symmetric stays symmetric.
    func pruned(below threshold: Float) -> FuzzyGraph {
        var rowStart = [Int](repeating: 0, count: count + 1)
        var columns = [Int32](), weights = [Float]()
        columns.reserveCapacity(self.columns.count)
        weights.reserveCapacity(self.weights.count)
        for i in 0..<count {
            for e in self.rowStart[i]..<self.rowStart[i + 1] where self.weights[e] >= threshold {
                columns.append(self.columns[e])
                weights.append(self.weights[e])
            }
            rowStart[i + 1] = columns.count
        }
        return FuzzyGraph(count: count, rowStart: rowStart, columns: columns, weights: weights)
    }

    /// The largest weight (0 for a graph without edges).
    var maximumWeight: Float { weights.max() ?? 0 }
}
