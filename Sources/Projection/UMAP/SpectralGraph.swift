import Foundation
import Linalg

// The graph side of the spectral layout: a symmetric weighted graph in CSR form, its connected
// components, the subgraph of one component, and the operator the eigensolver iterates,
// the normalised adjacency M = D^{-1/2} W D^{-1/2} (the normalised Laplacian is L = I − M).
//
// Everything is Double (the graph's Float weights are widened once), and the mat-vec is parallel
// over contiguous row ranges with each row summed serially in CSR order, so its result does not
// depend on the thread count.

/// A symmetric graph with positive weights and no self loops, in compressed sparse rows: row i's
/// edges are `columns[rowStart[i]..<rowStart[i + 1]]` with `weights` alike.
package struct SpectralGraph: Sendable {
    /// Vertices (n).
    package let count: Int
    /// n + 1 offsets into `columns`/`weights`.
    package let rowStart: [Int]
    package let columns: [Int32]
    package let weights: [Double]

    package init(count: Int, rowStart: [Int], columns: [Int32], weights: [Double]) {
        precondition(rowStart.count == count + 1 && rowStart.first == 0 && rowStart.last == columns.count
                     && weights.count == columns.count,
                     "CSR of \(count) rows needs \(count + 1) row offsets from 0 to the \(columns.count) entries")
        self.count = count
        self.rowStart = rowStart
        self.columns = columns
        self.weights = weights
    }

    /// Weighted degrees dᵢ = Σⱼ wᵢⱼ, each summed serially in row order.
    package func degrees() -> [Double] {
        (0..<count).map { i in weights[rowStart[i]..<rowStart[i + 1]].reduce(0, +) }
    }

    /// Connected components, labelled 0, 1, … in the order of their lowest vertex (as SciPy's
    /// `connected_components` labels them). Breadth-first from each unlabelled vertex.
    package func components() -> (count: Int, labels: [Int32]) {
        var labels = [Int32](repeating: -1, count: count)
        var queue = [Int](), next: Int32 = 0
        queue.reserveCapacity(count)
        for root in 0..<count where labels[root] < 0 {
            labels[root] = next
            queue.removeAll(keepingCapacity: true)
            queue.append(root)
            var head = 0
            while head < queue.count {
                let i = queue[head]
                head += 1
                for e in rowStart[i]..<rowStart[i + 1] where labels[Int(columns[e])] < 0 {
                    labels[Int(columns[e])] = next
                    queue.append(Int(columns[e]))
                }
            }
            next += 1
        }
        return (Int(next), labels)
    }

    /// The subgraph induced by `vertices` (ascending, closed under adjacency: one or more whole
    /// components), renumbered 0..<vertices.count in that order.
    package func subgraph(_ vertices: [Int]) -> SpectralGraph {
        var local = [Int32](repeating: -1, count: count)
        for (k, i) in vertices.enumerated() { local[i] = Int32(k) }
        var starts = [0], cols = [Int32](), w = [Double]()
        for i in vertices {
            for e in rowStart[i]..<rowStart[i + 1] {
                let j = local[Int(columns[e])]
                precondition(j >= 0, "vertex \(columns[e]) is adjacent to the subgraph but not in it")
                cols.append(j)
                w.append(weights[e])
            }
            starts.append(cols.count)
        }
        return SpectralGraph(count: vertices.count, rowStart: starts, columns: cols, weights: w)
    }

    /// A symmetrised k-nearest-neighbour graph with Gaussian weights exp(−d²/σᵢσⱼ), σᵢ the distance
    /// to i's k-th neighbour (self-tuning, Zelnik-Manor & Perona 2004); an edge when either end lists
    /// the other. A plain graph of the kind UMAP's fuzzy union gives, for tests and benchmarks of the
    /// spectral layout (UMAP builds its own).
    package static func gaussianNeighbourGraph(_ neighbours: NearestNeighbours) -> SpectralGraph {
        let n = neighbours.count, k = neighbours.k
        let scale = (0..<n).map { max(Double(neighbours.squaredDistances[$0 * k + k - 1]).squareRoot(), 1e-12) }
        var adjacency = [[(Int32, Double)]](repeating: [], count: n)
        for i in 0..<n {
            for r in 0..<k {
                let j = Int(neighbours.indices[i * k + r])
                if j == i { continue }
                let w = exp(-Double(neighbours.squaredDistances[i * k + r]) / (scale[i] * scale[j]))
                adjacency[i].append((Int32(j), w))
                adjacency[j].append((Int32(i), w))
            }
        }
        var starts = [0], cols = [Int32](), weights = [Double]()
        for i in 0..<n {
            // By column, then weight; a pair listed from both ends appears twice (its two distances may
            // differ in the last bit): keep the larger weight, the same choice from both ends.
            let row = adjacency[i].sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            for (e, entry) in row.enumerated() where e == row.count - 1 || row[e + 1].0 != entry.0 {
                cols.append(entry.0)
                weights.append(entry.1)
            }
            starts.append(cols.count)
        }
        return SpectralGraph(count: n, rowStart: starts, columns: cols, weights: weights)
    }
}

/// M = D^{-1/2} W D^{-1/2} of a graph without isolated vertices, stored as CSR values.
package struct NormalisedAdjacency: Sendable {
    package let count: Int
    package let rowStart: [Int]
    package let columns: [Int32]
    /// wᵢⱼ / √(dᵢ dⱼ).
    package let values: [Double]
    /// √dᵢ: M's eigenvector of eigenvalue 1 (L's trivial one) is proportional to it.
    package let sqrtDegrees: [Double]

    package init(_ graph: SpectralGraph) {
        let sqrtDegrees = graph.degrees().map { $0.squareRoot() }
        precondition(sqrtDegrees.allSatisfy { $0 > 0 }, "the normalised adjacency needs every vertex to have an edge")
        var values = graph.weights
        for i in 0..<graph.count {
            for e in graph.rowStart[i]..<graph.rowStart[i + 1] {
                values[e] /= sqrtDegrees[i] * sqrtDegrees[Int(graph.columns[e])]
            }
        }
        count = graph.count
        rowStart = graph.rowStart
        columns = graph.columns
        self.values = values
        self.sqrtDegrees = sqrtDegrees
    }

    /// y = M x, or y = x − M x = L x with `laplacian`; rows in parallel, each summed serially.
    package func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, laplacian: Bool = false) {
        let (px, py) = (UncheckedSendable(x), UncheckedSendable(y))
        rowStart.withUnsafeBufferPointer { starts in
            columns.withUnsafeBufferPointer { cols in
                values.withUnsafeBufferPointer { vals in
                    let (s, c, v) = (UncheckedSendable(starts), UncheckedSendable(cols), UncheckedSendable(vals))
                    Threads.parallelFor(count, minimumChunk: 4096) { rows in
                        let (x, y, starts, cols, vals) = (px.value, py.value, s.value, c.value, v.value)
                        for i in rows {
                            var sum = 0.0
                            for e in starts[i]..<starts[i + 1] { sum += vals[e] * x[Int(cols[e])] }
                            y[i] = laplacian ? x[i] - sum : sum
                        }
                    }
                }
            }
        }
    }
}
