import Linalg
import TestSupport

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
