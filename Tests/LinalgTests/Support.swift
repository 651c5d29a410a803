import Linalg

/// A small deterministic generator for test data (SplitMix64), so tests need no global state.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    mutating func matrix(_ rows: Int, _ columns: Int) -> Matrix {
        Matrix(rows: rows, columns: columns, storage: (0..<(rows * columns)).map { _ in float() })
    }
}

/// Plain triple-loop reference for `α·op(A)·op(B) + β·C` in Double.
func naiveGemm(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool, alpha: Float, beta: Float, c: Matrix) -> Matrix {
    let m = ta ? a.columns : a.rows
    let k = ta ? a.rows : a.columns
    let n = tb ? b.rows : b.columns
    return Matrix(rows: m, columns: n) { i, j in
        var s = 0.0
        for p in 0..<k {
            let x = ta ? a[p, i] : a[i, p]
            let y = tb ? b[j, p] : b[p, j]
            s += Double(x) * Double(y)
        }
        return Float(Double(alpha) * s + Double(beta) * Double(c[i, j]))
    }
}
