import Foundation
import Linalg

/// The objective UMAP's SGD descends (McInnes, Healy & Melville 2018, eq. 6): the fuzzy-set cross
/// entropy between the graph's weights w and the map's similarities q = 1 / (1 + a·d^(2b)),
///
///     C = Σ_{i ≠ j} w_ij·log(w_ij / q_ij) + (1 − w_ij)·log((1 − w_ij) / (1 − q_ij)),
///
/// over all ordered pairs (pairs without an edge have w = 0 and contribute −log(1 − q)). O(N²): for
/// tests and small maps. q and 1 − q are kept ≥ 1e-12 so that coinciding points give a finite value.
///
/// This is the paper's objective, but not the one the SGD descends: negative sampling weights the
/// repulsion of pair (i, k) by rate·dᵢ/N (dᵢ = Σⱼ wᵢⱼ) instead of 1 − wᵢₖ (Damrich & Hamprecht 2021,
/// "On UMAP's true loss function", NeurIPS), so from a random start C can even rise while the map
/// improves — umap-learn's does too (0.5.12, 3 Gaussian clusters of 60 points in 20-D, random start:
/// 4934 → 5689 after 200 epochs). `sampledValue` is the loss the SGD's expected step descends.
enum UMAPCrossEntropy {
    /// The paper's C over all ordered pairs.
    static func value(graph: FuzzyGraph, map y: [Float], dimensions d: Int, curve: MapCurve) -> Double {
        sum(graph: graph, map: y, dimensions: d, curve: curve) { wij, q, _ in
            (wij > 0 ? wij * log(wij / q) : 0) + (wij < 1 ? (1 - wij) * log((1 - wij) / (1 - q)) : 0)
        }
    }

    /// The loss of negative sampling (Damrich & Hamprecht 2021, eq. 7): −Σ wᵢⱼ log qᵢⱼ over the edges
    /// plus −Σ (rate·dᵢ/N) log(1 − qᵢₖ) over all pairs.
    static func sampledValue(graph: FuzzyGraph, map y: [Float], dimensions d: Int, curve: MapCurve, negativeSampleRate: Int) -> Double {
        let n = Double(graph.count), rate = Double(negativeSampleRate)
        return sum(graph: graph, map: y, dimensions: d, curve: curve) { wij, q, degree in
            -wij * log(q) - rate * degree / n * log(1 - q)
        }
    }

    /// Σ over ordered pairs i ≠ j of term(wᵢⱼ, qᵢⱼ, dᵢ), in parallel over rows.
    private static func sum(graph: FuzzyGraph, map y: [Float], dimensions d: Int, curve: MapCurve,
                            _ term: (_ w: Double, _ q: Double, _ degree: Double) -> Double) -> Double {
        let n = graph.count
        let parts = Threads.mapParts(min(Threads.count, max(n, 1))) { part -> Double in
            var total = 0.0
            var w = [Double](repeating: 0, count: n)
            for i in Threads.chunkRange(part, of: min(Threads.count, max(n, 1)), total: n) {
                var degree = 0.0
                for e in graph.rowStart[i]..<graph.rowStart[i + 1] {
                    w[Int(graph.columns[e])] = Double(graph.weights[e])
                    degree += Double(graph.weights[e])
                }
                for j in 0..<n where j != i {
                    var d2 = 0.0
                    for c in 0..<d {
                        let delta = Double(y[i * d + c]) - Double(y[j * d + c])
                        d2 += delta * delta
                    }
                    let q = min(max(curve.similarity(squaredDistance: d2), 1e-12), 1 - 1e-12)
                    total += term(w[j], q, degree)
                }
                for e in graph.rowStart[i]..<graph.rowStart[i + 1] { w[Int(graph.columns[e])] = 0 }
            }
            return total
        }
        return parts.reduce(0, +)
    }
}
