import Foundation
import Linalg

/// Deterministic test matrices.
func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64, scale: Float = 1) -> Matrix {
    var rng = SeededGenerator(seed: seed)
    return Matrix(rows: rows, columns: columns) { _, _ in rng.uniform(-scale, scale) }
}

/// Rows drawn with a different spread along each axis (standard deviations `sd`), rotated by a
/// random orthonormal basis: the covariance's eigenvalues are known up to sampling.
func anisotropic(_ rows: Int, sd: [Float], seed: UInt64, offset: Float = 0) -> Matrix {
    var rng = SeededGenerator(seed: seed)
    let d = sd.count
    let z = Matrix(rows: rows, columns: d) { _, j in Float(rng.normal()) * sd[j] }
    let q = try! LAPACK.svd(randomMatrix(d, d, seed: seed + 1)).u  // random orthonormal d×d
    var x = BLAS.gemm(z, .none, q, .transposed)
    x.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] += offset } }
    return x
}

func scratchDirectory() -> String {
    let path = NSTemporaryDirectory() + "embedviz-projection-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func maxAbs(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }
