import Linalg
import TestSupport
import Testing

@Suite struct DistanceTests {
    func naive(_ x: Matrix, _ y: Matrix) -> Matrix {
        Matrix(rows: x.rows, columns: y.rows) { i, j in
            var s = 0.0
            for k in 0..<x.columns { let d = Double(x[i, k]) - Double(y[j, k]); s += d * d }
            return Float(s)
        }
    }

    @Test("X against Y matches a naive loop")
    func crossDistances() {
        var rng = TestRandom(seed: 1)
        let x = rng.matrix(13, 6), y = rng.matrix(8, 6)
        #expect(maxAbsDifference(PairwiseDistances.squared(x, y), naive(x, y)) < 1e-5)
    }

    @Test("self-distances: symmetric (to rounding), exact zeros on the diagonal, non-negative, equal to naive")
    func selfDistances() {
        var rng = TestRandom(seed: 9)
        let x = rng.matrix(37, 5)
        let d = PairwiseDistances.squared(x)
        #expect(maxAbsDifference(d, naive(x, x)) < 1e-5)
        for i in 0..<37 {
            #expect(d[i, i] == 0)
            for j in 0..<37 { #expect(abs(d[i, j] - d[j, i]) <= 1e-6 * max(1, d[i, j]) && d[i, j] >= 0) }
        }
    }

    @Test("duplicate and large-offset points clamp at zero instead of going negative")
    func clamping() {
        let x = Matrix([[1000, 1000.5], [1000, 1000.5], [1000.001, 1000.5]])
        let d = PairwiseDistances.squared(x)
        #expect(d.storage.allSatisfy { $0 >= 0 })
        #expect(PairwiseDistances.squared(x, x).storage.allSatisfy { $0 >= 0 })
    }

    @Test("blocks cover every row once and equal the full matrix", arguments: [64, 4 * 37, 1 << 20])
    func blocks(_ blockBytes: Int) {
        var rng = TestRandom(seed: 4)
        let x = rng.matrix(29, 3), y = rng.matrix(37, 3)
        let full = PairwiseDistances.squared(x, y)
        var seen = [Int](repeating: 0, count: 29)
        PairwiseDistances.forEachBlock(x, y, blockBytes: blockBytes) { rows, block in
            #expect(block.count == rows.count * 37)
            for (r, i) in rows.enumerated() {
                seen[i] += 1
                for j in 0..<37 { #expect(block[r * 37 + j] == full[i, j]) }
            }
        }
        #expect(seen.allSatisfy { $0 == 1 })
        // Self-distances in blocks keep the exact zero diagonal.
        PairwiseDistances.forEachBlock(x, blockBytes: blockBytes) { rows, block in
            for (r, i) in rows.enumerated() { #expect(block[r * 29 + i] == 0) }
        }
    }
}
