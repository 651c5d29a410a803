import Linalg
import TestSupport
import Testing

@Suite struct BLASTests {
    @Test("sgemm matches a naive loop for every transpose combination, odd sizes, alpha and beta",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmAgainstNaive(_ transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        var rng = TestRandom(seed: 7)
        let (m, k, n) = (7, 5, 3)
        let a = ta ? rng.matrix(k, m) : rng.matrix(m, k)
        let b = tb ? rng.matrix(n, k) : rng.matrix(k, n)
        let c0 = rng.matrix(m, n)
        for (alpha, beta) in [(Float(1), Float(0)), (-2, 0.5), (0.25, 1)] {
            var c = c0
            BLAS.gemm(a, ta ? .transposed : .none, b, tb ? .transposed : .none, alpha: alpha, beta: beta, into: &c)
            let expected = naiveGemm(a, ta, b, tb, alpha: alpha, beta: beta, c: c0)
            #expect(maxAbsDifference(c, expected) < 1e-5)
        }
        let fresh = BLAS.gemm(a, ta ? .transposed : .none, b, tb ? .transposed : .none)
        #expect(maxAbsDifference(fresh, naiveGemm(a, ta, b, tb, alpha: 1, beta: 0, c: Matrix(rows: m, columns: n))) < 1e-5)
    }

    @Test("sgemm on a hand-computed 2×2 case")
    func gemmByHand() {
        let a = Matrix([[1, 2], [3, 4]])
        let b = Matrix([[5, 6], [7, 8]])
        #expect(BLAS.gemm(a, b) == Matrix([[19, 22], [43, 50]]))
        #expect(BLAS.gemm(a, .transposed, b, .none) == Matrix([[26, 30], [38, 44]]))
        #expect(BLAS.gemm(a, .none, b, .transposed) == Matrix([[17, 23], [39, 53]]))
    }

    @Test("pointer-level sgemm works on sub-blocks with leading dimensions")
    func gemmSubBlock() {
        var rng = TestRandom(seed: 3)
        let big = rng.matrix(6, 9)
        // A = rows 1..<4, columns 2..<6 of big (3×4); B = big's first 4 rows, columns 0..<2 (4×2).
        var c = [Float](repeating: 0, count: 3 * 2)
        big.withUnsafeBufferPointer { p in
            BLAS.gemm(.none, .none, m: 3, n: 2, k: 4, alpha: 1, a: p.baseAddress! + 1 * 9 + 2, lda: 9,
                      b: p.baseAddress!, ldb: 9, beta: 0, c: &c, ldc: 2)
        }
        for i in 0..<3 {
            for j in 0..<2 {
                var s: Float = 0
                for p in 0..<4 { s += big[1 + i, 2 + p] * big[p, j] }
                #expect(abs(c[i * 2 + j] - s) < 1e-5)
            }
        }
    }

    @Test("ssyrk gives the complete symmetric Gram matrix of rows and of columns")
    func syrkAgainstNaive() {
        var rng = TestRandom(seed: 11)
        let a = rng.matrix(9, 4)
        let rowsGram = BLAS.syrk(a, .none, alpha: 2)  // 2·AAᵀ, 9×9
        let columnsGram = BLAS.syrk(a, .transposed)  // AᵀA, 4×4
        #expect(maxAbsDifference(rowsGram, naiveGemm(a, false, a, true, alpha: 2, beta: 0, c: Matrix(rows: 9, columns: 9))) < 1e-5)
        #expect(maxAbsDifference(columnsGram, naiveGemm(a, true, a, false, alpha: 1, beta: 0, c: Matrix(rows: 4, columns: 4))) < 1e-5)
        var c = Matrix(rows: 4, columns: 4, repeating: 1)
        BLAS.syrk(a, .transposed, alpha: 1, beta: 3, into: &c)
        #expect(maxAbsDifference(c, naiveGemm(a, true, a, false, alpha: 1, beta: 3, c: Matrix(rows: 4, columns: 4, repeating: 1))) < 1e-5)
    }

    @Test("sgemv matches a naive loop, plain and transposed, with beta")
    func gemvAgainstNaive() {
        var rng = TestRandom(seed: 5)
        let a = rng.matrix(5, 3)
        let x3 = (0..<3).map { _ in rng.float() }
        let x5 = (0..<5).map { _ in rng.float() }
        let y = BLAS.gemv(a, .none, x3, alpha: 2)
        for i in 0..<5 {
            let s = (0..<3).reduce(Float(0)) { $0 + a[i, $1] * x3[$1] }
            #expect(abs(y[i] - 2 * s) < 1e-5)
        }
        var yt: [Float] = [1, 2, 3]
        BLAS.gemv(a, .transposed, x5, alpha: 1, beta: -1, into: &yt)
        for j in 0..<3 {
            let s = (0..<5).reduce(Float(0)) { $0 + a[$1, j] * x5[$1] }
            #expect(abs(yt[j] - (s - Float(j + 1))) < 1e-5)
        }
    }

    @Test("the linked BLAS is OpenBLAS, with its kernel set named")
    func isOpenBLAS() {
        let info = BLASInfo.current
        #expect(info.config.hasPrefix("OpenBLAS"))
        #expect(!info.coreName.isEmpty)
        #expect(info.threads >= 1 && info.processors >= 1)
    }
}
