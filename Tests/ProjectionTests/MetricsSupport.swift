import Foundation
import Linalg

// Inputs the quality-metric tests share with their Python reference computations.
//
// The reference values were computed once with scikit-learn 1.9.1, NumPy 2.4.6 and SciPy 1.17.1
// (CPython, Benchmarks/compare/.venv) on inputs made by this integer hash, which reads the same in
// Python and gives exact 16-bit dyadic values, so both sides see identical numbers:
//
//   M = 0xffffffff
//   def h(x):                                   # lowbias32 (C. Wellons)
//       x &= M
//       x ^= x >> 16; x = (x * 0x7feb352d) & M
//       x ^= x >> 15; x = (x * 0x846ca68b) & M
//       x ^= x >> 16; return x
//   def key(seed, e): return (seed * 0x9E3779B9 + e) & M
//   def unit(seed, e): return (h(key(seed, e)) >> 16) / 65536.0
//   def table(rows, cols, seed):
//       return np.array([[unit(seed, i * cols + j) for j in range(cols)] for i in range(rows)])

/// lowbias32, the 32-bit integer hash of the reference scripts.
func hash32(_ value: UInt32) -> UInt32 {
    var x = value
    x ^= x >> 16
    x &*= 0x7feb_352d
    x ^= x >> 15
    x &*= 0x846c_a68b
    x ^= x >> 16
    return x
}

/// `h(key(seed, e))` of the reference scripts.
func hashed(_ seed: UInt32, _ e: Int) -> UInt32 { hash32(seed &* 0x9E37_79B9 &+ UInt32(truncatingIfNeeded: e)) }

/// `unit(seed, e)`: a 16-bit dyadic value in [0, 1).
func hashUnit(_ seed: UInt32, _ e: Int) -> Double { Double(hashed(seed, e) >> 16) / 65536 }

/// `table(rows, cols, seed)` as rows of Doubles.
func hashTable(_ rows: Int, _ columns: Int, seed: UInt32) -> [[Double]] {
    (0..<rows).map { i in (0..<columns).map { j in hashUnit(seed, i * columns + j) } }
}

extension Matrix {
    /// A Float matrix from rows of Doubles (exact for the dyadic test values).
    init(doubles rows: [[Double]]) { self.init(rows.map { $0.map { Float($0) } }) }
}

/// Trustworthiness straight from its definition (Venna & Kaski 2006), for checking the blocked
/// code: full distance matrices, ranks by counting with ties in index order.
func bruteForceTrustworthiness(_ x: Matrix, _ y: Matrix, k: Int) -> Double {
    let n = x.rows
    let dx = PairwiseDistances.squared(x), dy = PairwiseDistances.squared(y)
    func nearest(_ d: Matrix, _ i: Int) -> [Int] {
        Array((0..<n).filter { $0 != i }.sorted { d[i, $0] < d[i, $1] || (d[i, $0] == d[i, $1] && $0 < $1) }.prefix(k))
    }
    var total = 0
    for i in 0..<n {
        for j in nearest(dy, i) {
            var rank = 1
            for l in 0..<n where l != i && (dx[i, l] < dx[i, j] || (dx[i, l] == dx[i, j] && l < j)) { rank += 1 }
            total += max(0, rank - k)
        }
    }
    return 1 - Double(total) * 2 / (Double(n) * Double(k) * (2 * Double(n) - 3 * Double(k) - 1))
}
