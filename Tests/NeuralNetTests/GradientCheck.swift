import Linalg
@testable import NeuralNet

/// Directional finite-difference check: compares ⟨∇f, v⟩ from the analytic gradient with
/// (f(x + εv) − f(x − εv)) / 2ε for a random direction v. Returns the relative error.
func directionalCheck(at x: [Float], epsilon: Float, seed: UInt64, gradient: [Float],
                      _ f: ([Float]) -> Double) -> Double {
    var rng = SeededGenerator(seed: seed)
    let v = (0..<x.count).map { _ in rng.uniform(-1, 1) }
    let plus = zip(x, v).map { $0 + epsilon * $1 }
    let minus = zip(x, v).map { $0 - epsilon * $1 }
    let numeric = (f(plus) - f(minus)) / (2 * Double(epsilon))
    let analytic = zip(gradient, v).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    return abs(numeric - analytic) / max(abs(numeric), abs(analytic), 1e-6)
}

/// Σ r ⊙ y in Double: a scalar whose gradient with respect to y is exactly r.
func weightedSum(_ y: UnsafePointer<Float>, _ r: [Float]) -> Double {
    var s = 0.0
    for i in 0..<r.count { s += Double(y[i]) * Double(r[i]) }
    return s
}

/// Runs `body` with mutable pointers to copies of the arrays (for calling layer functions in tests).
func withBuffers<R>(_ arrays: [[Float]], _ body: ([UnsafeMutablePointer<Float>]) -> R) -> R {
    let pointers = arrays.map { a -> UnsafeMutablePointer<Float> in
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(a.count, 1))
        p.initialize(from: a, count: a.count)
        return p
    }
    defer { pointers.forEach { $0.deallocate() } }
    return body(pointers)
}
