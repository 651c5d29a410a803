import Foundation

/// The map's similarity curve q(d) = 1 / (1 + a·d^(2b)) (McInnes, Healy & Melville 2018, §3.2), with
/// `a` and `b` fitted by least squares to the offset exponential
///
///     ψ(d) = 1 for d < minDist,  exp(−(d − minDist) / spread) otherwise,
///
/// on umap-learn's grid (`find_ab_params`: 300 points evenly spaced over [0, 3·spread]), starting, as
/// SciPy's `curve_fit` does, from a = b = 1. Solved with Levenberg–Marquardt and the exact Jacobian,
/// in Double, to a relative step below 1e-12 (SciPy's MINPACK stops at 1.5e-8 with a finite-difference
/// Jacobian, so the two agree to about its tolerance).
public struct MapCurve: Sendable, Codable, Equatable {
    public var a: Double
    public var b: Double

    public init(a: Double, b: Double) {
        self.a = a
        self.b = b
    }

    /// umap-learn's grid size for the fit.
    static let gridPoints = 300

    /// The least-squares `a`, `b` for `minDist` and `spread` (spread > 0, 0 ≤ minDist).
    public static func fit(minDist: Double, spread: Double) -> MapCurve {
        let xs = (0..<gridPoints).map { 3 * spread * Double($0) / Double(gridPoints - 1) }
        let ys = xs.map { $0 < minDist ? 1.0 : exp(-($0 - minDist) / spread) }
        func residuals(_ a: Double, _ b: Double) -> [Double] {
            zip(xs, ys).map { x, y in 1 / (1 + a * pow(x, 2 * b)) - y }
        }
        func cost(_ r: [Double]) -> Double { r.reduce(0) { $0 + $1 * $1 } }
        var (a, b) = (1.0, 1.0)
        var r = residuals(a, b)
        var lambda = 1e-3
        for _ in 0..<1000 {
            // Normal equations JᵀJ δ = −Jᵀr (2×2), damped on the diagonal (Marquardt's scaling).
            var (jaa, jab, jbb, ga, gb) = (0.0, 0.0, 0.0, 0.0, 0.0)
            for (i, x) in xs.enumerated() {
                let p = x > 0 ? pow(x, 2 * b) : 0
                let denominator = (1 + a * p) * (1 + a * p)
                let da = -p / denominator
                let db = x > 0 ? -a * p * 2 * log(x) / denominator : 0
                jaa += da * da
                jab += da * db
                jbb += db * db
                ga += da * r[i]
                gb += db * r[i]
            }
            var improved = false
            while lambda < 1e12 {
                let (m11, m22) = (jaa * (1 + lambda), jbb * (1 + lambda))
                let det = m11 * m22 - jab * jab
                let stepA = (-ga * m22 + gb * jab) / det
                let stepB = (-gb * m11 + ga * jab) / det
                let (na, nb) = (a + stepA, b + stepB)
                let nr = residuals(na, nb)
                if na > 0, nb > 0, cost(nr) <= cost(r) {
                    let relative = max(abs(stepA) / max(abs(a), 1e-300), abs(stepB) / max(abs(b), 1e-300))
                    (a, b, r) = (na, nb, nr)
                    lambda = max(lambda / 10, 1e-12)
                    improved = true
                    if relative < 1e-12 { return MapCurve(a: a, b: b) }
                    break
                }
                lambda *= 10
            }
            if !improved { break }
        }
        return MapCurve(a: a, b: b)
    }

    /// q(d²) for a squared distance.
    public func similarity(squaredDistance d2: Double) -> Double { 1 / (1 + a * pow(d2, b)) }
}
