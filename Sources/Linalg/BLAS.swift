import COpenBLAS

/// Whether a BLAS operand is used as stored or transposed (`op(A)` in the BLAS documentation).
public enum Transpose: Sendable {
    case none
    case transposed

    @usableFromInline var cblas: CBLAS_TRANSPOSE {
        switch self {
        case .none: CblasNoTrans
        case .transposed: CblasTrans
        }
    }
}

/// Typed wrappers over OpenBLAS's single-precision CBLAS routines (row-major throughout).
///
/// Each routine comes in two layers: a `Matrix` layer that checks shapes (a mismatch is a
/// programmer error and stops with a precondition failure naming the shapes) and a pointer
/// layer with the BLAS arguments, for hot loops that work on sub-blocks of larger buffers.
public enum BLAS {
    // MARK: sgemm

    /// `C ← α·op(A)·op(B) + β·C`, writing into an existing `C`.
    ///
    /// - Parameters:
    ///   - a: `m×k` (or `k×m` when `opA == .transposed`).
    ///   - b: `k×n` (or `n×k` when `opB == .transposed`).
    ///   - c: `m×n`; read when `beta != 0`.
    public static func gemm(_ a: Matrix, _ opA: Transpose, _ b: Matrix, _ opB: Transpose,
                            alpha: Float = 1, beta: Float = 0, into c: inout Matrix) {
        let (m, k) = opA == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        let (kb, n) = opB == .none ? (b.rows, b.columns) : (b.columns, b.rows)
        precondition(k == kb && c.rows == m && c.columns == n,
                     "gemm: op(A) \(m)×\(k) · op(B) \(kb)×\(n) → C \(c.rows)×\(c.columns)")
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(opA, opB, m: m, n: n, k: k, alpha: alpha,
                         a: pa.baseAddress!, lda: a.columns, b: pb.baseAddress!, ldb: b.columns,
                         beta: beta, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// `α·A·B` as a new matrix.
    public static func gemm(_ a: Matrix, _ b: Matrix, alpha: Float = 1) -> Matrix {
        gemm(a, .none, b, .none, alpha: alpha)
    }

    /// `α·op(A)·op(B)` as a new matrix.
    public static func gemm(_ a: Matrix, _ opA: Transpose, _ b: Matrix, _ opB: Transpose,
                            alpha: Float = 1) -> Matrix {
        let m = opA == .none ? a.rows : a.columns
        let n = opB == .none ? b.columns : b.rows
        var c = Matrix(rows: m, columns: n)
        gemm(a, opA, b, opB, alpha: alpha, beta: 0, into: &c)
        return c
    }

    /// Pointer-level `C ← α·op(A)·op(B) + β·C` (row-major; `lda`, `ldb`, `ldc` are row strides).
    @inlinable
    public static func gemm(_ opA: Transpose, _ opB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        Threads.withBLASSection {
            cblas_sgemm(CblasRowMajor, opA.cblas, opB.cblas, blasint(m), blasint(n), blasint(k), alpha,
                        a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        }
    }

    // MARK: ssyrk

    /// The symmetric rank-k update `C ← α·op(A)·op(A)ᵀ + β·C`, writing into an existing square `C`.
    ///
    /// With `op == .transposed`, `C ← α·AᵀA + β·C` (A is `k×n`, C is `n×n`: a Gram matrix of the
    /// columns, e.g. a cross-product of data rows); with `op == .none`, `C ← α·AAᵀ + β·C` (A is
    /// `n×k`: a Gram matrix of the rows). BLAS writes the upper triangle only; `fillLower` mirrors it
    /// so that `C` is a complete symmetric matrix.
    public static func syrk(_ a: Matrix, _ op: Transpose, alpha: Float = 1, beta: Float = 0,
                            into c: inout Matrix, fillLower: Bool = true) {
        let (n, k) = op == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        precondition(c.rows == n && c.columns == n, "syrk: result must be \(n)×\(n), is \(c.rows)×\(c.columns)")
        a.withUnsafeBufferPointer { pa in
            c.withUnsafeMutableBufferPointer { pc in
                syrk(op, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: a.columns,
                     beta: beta, c: pc.baseAddress!, ldc: n)
                if fillLower { mirrorUpperToLower(pc.baseAddress!, n: n, ld: n) }
            }
        }
    }

    /// `α·op(A)-Gram` as a new, complete symmetric matrix.
    public static func syrk(_ a: Matrix, _ op: Transpose, alpha: Float = 1) -> Matrix {
        let n = op == .none ? a.rows : a.columns
        var c = Matrix(rows: n, columns: n)
        syrk(a, op, alpha: alpha, beta: 0, into: &c)
        return c
    }

    /// Pointer-level ssyrk on the upper triangle (row-major).
    @inlinable
    public static func syrk(_ op: Transpose, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard n > 0 else { return }
        Threads.withBLASSection {
            cblas_ssyrk(CblasRowMajor, CblasUpper, op.cblas, blasint(n), blasint(k), alpha, a, blasint(lda),
                        beta, c, blasint(ldc))
        }
    }

    /// Copies the upper triangle of a square row-major matrix onto its lower triangle, in tiles.
    public static func mirrorUpperToLower(_ c: UnsafeMutablePointer<Float>, n: Int, ld: Int) {
        let tile = 32
        var i0 = 0
        while i0 < n {
            let i1 = min(i0 + tile, n)
            var j0 = 0
            while j0 <= i0 {  // tiles on or below the diagonal
                let j1 = min(j0 + tile, n)
                for i in i0..<i1 {
                    for j in j0..<min(j1, i) { c[i * ld + j] = c[j * ld + i] }
                }
                j0 = j1
            }
            i0 = i1
        }
    }

    // MARK: sgemv

    /// `y ← α·op(A)·x + β·y`.
    public static func gemv(_ a: Matrix, _ op: Transpose, _ x: [Float], alpha: Float = 1,
                            beta: Float = 0, into y: inout [Float]) {
        let (m, n) = op == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        precondition(x.count == n && y.count == m, "gemv: op(A) \(m)×\(n) · x[\(x.count)] → y[\(y.count)]")
        guard a.rows > 0, a.columns > 0 else {
            for i in y.indices { y[i] *= beta }
            return
        }
        a.withUnsafeBufferPointer { pa in
            Threads.withBLASSection {
                cblas_sgemv(CblasRowMajor, op.cblas, blasint(a.rows), blasint(a.columns), alpha,
                            pa.baseAddress!, blasint(a.columns), x, 1, beta, &y, 1)
            }
        }
    }

    /// `α·op(A)·x` as a new vector.
    public static func gemv(_ a: Matrix, _ op: Transpose, _ x: [Float], alpha: Float = 1) -> [Float] {
        var y = [Float](repeating: 0, count: op == .none ? a.rows : a.columns)
        gemv(a, op, x, alpha: alpha, beta: 0, into: &y)
        return y
    }
}
