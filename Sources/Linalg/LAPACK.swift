import COpenBLAS

/// Eigenvalues and eigenvectors of a symmetric matrix, largest eigenvalue first.
public struct SymmetricEigen: Sendable {
    /// Eigenvalues in descending order.
    public var values: [Float]
    /// Eigenvectors as rows, in the order of `values` (row `i` belongs to `values[i]`); orthonormal.
    public var vectors: Matrix
}

/// The thin singular value decomposition `A = U·diag(S)·Vᵀ` of an `m×n` matrix, `r = min(m, n)`.
public struct SVD: Sendable {
    /// `m×r`, orthonormal columns.
    public var u: Matrix
    /// The `r` singular values in descending order.
    public var singularValues: [Float]
    /// `r×n`, orthonormal rows (the right singular vectors as rows).
    public var vt: Matrix
}

/// Typed wrappers over LAPACKE routines. `info != 0` becomes an `EmbedVizError` that names the
/// routine and, for an illegal argument, which one.
public enum LAPACK {
    /// All eigenvalues and eigenvectors of a symmetric matrix (`LAPACKE_ssyevd`, divide and conquer).
    ///
    /// Only the upper triangle of `a` is read. Results are returned largest eigenvalue first.
    public static func symmetricEigen(_ a: Matrix) throws(EmbedVizError) -> SymmetricEigen {
        precondition(a.rows == a.columns, "symmetricEigen needs a square matrix, got \(a.rows)×\(a.columns)")
        let n = a.rows
        var work = a.storage  // overwritten with the eigenvectors (as columns, ascending)
        var values = [Float](repeating: 0, count: n)
        if n > 0 {
            let info = Threads.withBLASSection {
                LAPACKE_ssyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                               Int32(n), &work, Int32(n), &values)
            }
            try check(info, routine: "LAPACKE_ssyevd",
                      arguments: ["matrix_layout", "jobz", "uplo", "n", "a", "lda", "w"],
                      convergence: "the divide-and-conquer eigensolver failed to converge")
        }
        // Column j of `work` is the eigenvector of values[j] (ascending); emit rows, descending.
        var vectors = Matrix(rows: n, columns: n)
        vectors.withUnsafeMutableBufferPointer { v in
            for r in 0..<n {
                let j = n - 1 - r
                for i in 0..<n { v[r * n + i] = work[i * n + j] }
            }
        }
        return SymmetricEigen(values: values.reversed(), vectors: vectors)
    }

    /// The same in double precision (`LAPACKE_dsyevd`), for callers that accumulate in Double.
    ///
    /// - Parameter a: row-major `n×n`, upper triangle read.
    /// - Returns: eigenvalues descending and eigenvectors as rows (row-major `n×n`).
    public static func symmetricEigen(_ a: [Double], n: Int) throws(EmbedVizError) -> (values: [Double], vectors: [Double]) {
        precondition(a.count == n * n)
        var work = a
        var values = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = Threads.withBLASSection {
                LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                               Int32(n), &work, Int32(n), &values)
            }
            try check(info, routine: "LAPACKE_dsyevd",
                      arguments: ["matrix_layout", "jobz", "uplo", "n", "a", "lda", "w"],
                      convergence: "the divide-and-conquer eigensolver failed to converge")
        }
        var vectors = [Double](repeating: 0, count: n * n)
        for r in 0..<n {
            let j = n - 1 - r
            for i in 0..<n { vectors[r * n + i] = work[i * n + j] }
        }
        return (values.reversed(), vectors)
    }

    /// The `k` largest eigenvalues (descending) and their eigenvectors (rows, row-major `k×n`) of a
    /// symmetric matrix in double precision (`LAPACKE_dsyevr`, relatively robust representations):
    /// cheaper than all of them when `k ≪ n`. Upper triangle read.
    public static func largestEigen(_ a: [Double], n: Int, k: Int) throws(EmbedVizError) -> (values: [Double], vectors: [Double]) {
        precondition(a.count == n * n && k >= 1 && k <= n)
        if k == n {
            let all = try symmetricEigen(a, n: n)
            return (all.values, all.vectors)
        }
        var work = a
        var found: Int32 = 0
        var values = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * k)
        var support = [Int32](repeating: 0, count: 2 * k)
        let info = Threads.withBLASSection {
            LAPACKE_dsyevr(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "I")), CChar(UInt8(ascii: "U")),
                           Int32(n), &work, Int32(n), 0, 0, Int32(n - k + 1), Int32(n), 0, &found, &values, &z,
                           Int32(k), &support)
        }
        try check(info, routine: "LAPACKE_dsyevr",
                  arguments: ["matrix_layout", "jobz", "range", "uplo", "n", "a", "lda", "vl", "vu", "il", "iu", "abstol", "m",
                              "w", "z", "ldz", "isuppz"],
                  convergence: "the MRRR eigensolver failed")
        guard found == Int32(k) else {
            throw EmbedVizError(.numerical, "found \(found) of \(k) eigenvalues", at: "LAPACKE_dsyevr")
        }
        // z is n×k row-major with ascending eigenvalues in its columns; emit rows, descending.
        var vectors = [Double](repeating: 0, count: k * n)
        for r in 0..<k {
            let j = k - 1 - r
            for i in 0..<n { vectors[r * n + i] = z[i * k + j] }
        }
        return (values.prefix(k).reversed(), vectors)
    }

    /// The thin SVD of an `m×n` matrix (`LAPACKE_sgesdd`, `jobz = "S"`).
    public static func svd(_ a: Matrix) throws(EmbedVizError) -> SVD {
        let (m, n) = (a.rows, a.columns)
        let r = min(m, n)
        var work = a.storage  // destroyed by the routine
        var s = [Float](repeating: 0, count: r)
        var u = Matrix(rows: m, columns: r)
        var vt = Matrix(rows: r, columns: n)
        if r > 0 {
            let info = Threads.withBLASSection { u.withUnsafeMutableBufferPointer { pu in
                vt.withUnsafeMutableBufferPointer { pvt in
                    LAPACKE_sgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), Int32(m), Int32(n),
                                   &work, Int32(n), &s, pu.baseAddress, Int32(r), pvt.baseAddress, Int32(n))
                }
            } }
            try check(info, routine: "LAPACKE_sgesdd",
                      arguments: ["matrix_layout", "jobz", "m", "n", "a", "lda", "s", "u", "ldu", "vt", "ldvt"],
                      convergence: "the bidiagonal SVD failed to converge")
        }
        return SVD(u: u, singularValues: s, vt: vt)
    }

    /// Maps a LAPACKE `info` to an error: negative = illegal argument number `-info`
    /// (LAPACKE numbers `matrix_layout` as 1), positive = the routine's own failure.
    static func check(_ info: Int32, routine: String, arguments: [String], convergence: String) throws(EmbedVizError) {
        if info == 0 { return }
        if info == -1010 || info == -1011 {  // LAPACK_WORK_MEMORY_ERROR, LAPACK_TRANSPOSE_MEMORY_ERROR
            throw EmbedVizError(.environment, "not enough memory for the workspace", at: routine)
        }
        if info < 0 {
            let index = Int(-info)
            let name = index <= arguments.count ? " (\(arguments[index - 1]))" : ""
            throw EmbedVizError(.numerical, "argument \(index)\(name) had an illegal value", at: routine)
        }
        throw EmbedVizError(.numerical, "\(convergence) (info = \(info))", at: routine)
    }
}
