import Foundation
import Linalg

/// The objective UMAP's SGD descends (McInnes, Healy & Melville 2018, eq. 6): the fuzzy-set cross
/// entropy between the graph's weights w and the map's similarities q = 1 / (1 + a·d^(2b)),
///
///     C = Σ_{i ≠ j} w_ij·log(w_ij / q_ij) + (1 − w_ij)·log((1 − w_ij) / (1 − q_ij)),
///
/// over all ordered pairs (pairs without an edge have w = 0 and contribute −log(1 − q)). O(N²): for
/// tests and small maps. q and 1 − q are kept ≥ 1e-12 so that coinciding points give a finite value.
enum UMAPCrossEntropy {
    static func value(graph: FuzzyGraph, map y: [Float], dimensions d: Int, curve: MapCurve) -> Double {
        let n = graph.count
        let parts = Threads.mapParts(min(Threads.count, max(n, 1))) { part -> Double in
            var total = 0.0
            var w = [Double](repeating: 0, count: n)
            for i in Threads.chunkRange(part, of: min(Threads.count, max(n, 1)), total: n) {
                for e in graph.rowStart[i]..<graph.rowStart[i + 1] { w[Int(graph.columns[e])] = Double(graph.weights[e]) }
                for j in 0..<n where j != i {
                    var d2 = 0.0
                    for c in 0..<d {
                        let delta = Double(y[i * d + c]) - Double(y[j * d + c])
                        d2 += delta * delta
                    }
                    let q = min(max(curve.similarity(squaredDistance: d2), 1e-12), 1 - 1e-12)
                    let wij = w[j]
                    if wij > 0 { total += wij * log(wij / q) }
                    if wij < 1 { total += (1 - wij) * log((1 - wij) / (1 - q)) }
                }
                for e in graph.rowStart[i]..<graph.rowStart[i + 1] { w[Int(graph.columns[e])] = 0 }
            }
            return total
        }
        return parts.reduce(0, +)
    }
}
