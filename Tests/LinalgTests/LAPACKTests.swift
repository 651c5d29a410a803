@testable import Linalg
import TestSupport
import Testing

@Suite struct LAPACKTests {
    @Test("ssyevd: hand-computed 2×2 eigenvalues, descending order")
    func eigenByHand() throws {
        // [[2, 1], [1, 2]] has eigenvalues 3 (vector (1,1)/√2) and 1 (vector (1,−1)/√2).
        let e = try LAPACK.symmetricEigen(Matrix([[2, 1], [1, 2]]))
        #expect(abs(e.values[0] - 3) < 1e-6 && abs(e.values[1] - 1) < 1e-6)
        #expect(abs(abs(e.vectors[0, 0]) - 0.70710678) < 1e-6 && abs(e.vectors[0, 0] - e.vectors[0, 1]) < 1e-6)
    }

    @Test("ssyevd reconstructs a random symmetric matrix with orthonormal eigenvectors")
    func eigenReconstructs() throws {
        var rng = TestRandom(seed: 21)
        let x = rng.matrix(12, 7)
        let a = BLAS.syrk(x, .transposed)  // 7×7 symmetric positive semi-definite
        let e = try LAPACK.symmetricEigen(a)
        #expect(zip(e.values, e.values.dropFirst()).allSatisfy { $0 >= $1 })
        // Vᵀ·diag(λ)·V = A and V·Vᵀ = I (eigenvectors are the rows of V).
        var scaled = e.vectors
        for r in 0..<7 { for c in 0..<7 { scaled[r, c] *= e.values[r] } }
        #expect(maxAbsDifference(BLAS.gemm(e.vectors, .transposed, scaled, .none), a) < 1e-4)
        var identity = Matrix(rows: 7, columns: 7)
        for i in 0..<7 { identity[i, i] = 1 }
        #expect(maxAbsDifference(BLAS.gemm(e.vectors, .none, e.vectors, .transposed), identity) < 1e-5)
    }

    @Test("dsyevd agrees with ssyevd")
    func doubleEigen() throws {
        var rng = TestRandom(seed: 2)
        let a = BLAS.syrk(rng.matrix(10, 5), .transposed)
        let single = try LAPACK.symmetricEigen(a)
        let double = try LAPACK.symmetricEigen(a.storage.map(Double.init), n: 5)
        for i in 0..<5 { #expect(abs(Double(single.values[i]) - double.values[i]) < 1e-4) }
    }

    @Test("sgesdd reconstructs tall and wide matrices; singular values descending", arguments: [(9, 4), (4, 9), (5, 5)])
    func svdReconstructs(_ shape: (Int, Int)) throws {
        var rng = TestRandom(seed: 17)
        let a = rng.matrix(shape.0, shape.1)
        let svd = try LAPACK.svd(a)
        let r = min(shape.0, shape.1)
        #expect(svd.u.rows == shape.0 && svd.u.columns == r && svd.vt.rows == r && svd.vt.columns == shape.1)
        #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
        var us = svd.u
        for i in 0..<shape.0 { for j in 0..<r { us[i, j] *= svd.singularValues[j] } }
        #expect(maxAbsDifference(BLAS.gemm(us, svd.vt), a) < 1e-5)
        var identity = Matrix(rows: r, columns: r)
        for i in 0..<r { identity[i, i] = 1 }
        #expect(maxAbsDifference(BLAS.gemm(svd.u, .transposed, svd.u, .none), identity) < 1e-5)
        #expect(maxAbsDifference(BLAS.gemm(svd.vt, .none, svd.vt, .transposed), identity) < 1e-5)
    }

    @Test("LAPACK info codes become errors naming the routine and the argument")
    func infoMapping() {
        #expect(throws: EmbedVizError(.numerical, "argument 4 (n) had an illegal value", at: "LAPACKE_ssyevd")) {
            try LAPACK.check(-4, routine: "LAPACKE_ssyevd", arguments: ["matrix_layout", "jobz", "uplo", "n"], convergence: "x")
        }
        #expect(throws: EmbedVizError(.numerical, "no convergence (info = 3)", at: "LAPACKE_sgesdd")) {
            try LAPACK.check(3, routine: "LAPACKE_sgesdd", arguments: [], convergence: "no convergence")
        }
        #expect(throws: EmbedVizError.self) {
            try LAPACK.check(-1010, routine: "LAPACKE_sgesdd", arguments: [], convergence: "")
        }
    }
}
