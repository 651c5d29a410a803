import Foundation
import Linalg

/// Mahalanobis-distance outlier scores from in-distribution reference embeddings (Lee, Lee, Lee &
/// Shin 2018, "A simple unified framework for detecting out-of-distribution samples and
/// adversarial attacks", NeurIPS), higher = more anomalous:
///
/// - class-conditional: one mean μ_c per class of the reference, one *tied* covariance
///   Σ = (1/M) Σ_c Σ_{i ∈ c} (x_i − μ_c)(x_i − μ_c)ᵀ, score = min_c (x − μ_c)ᵀ Σ⁺ (x − μ_c);
/// - class-agnostic: one mean and covariance of all reference rows (no labels needed).
///
/// Σ⁺ is the pseudo-inverse from the eigen-decomposition (LAPACK's dsyevd): directions whose
/// eigenvalue is at most λ_max·D·ε₃₂ are dropped (features that never vary, e.g. dead ReLU units,
/// carry no distance), as scikit-learn's `EmpiricalCovariance` does with `pinvh`. The covariance is
/// the project's `CovarianceAccumulator` (float32 products of shifted rows, Double sums), so ε₃₂
/// is the precision the small eigenvalues are known to. Scores are squared distances, as
/// scikit-learn's `EmpiricalCovariance.mahalanobis` returns.
public struct MahalanobisScore: Sendable {
    /// The class means (C×D; one row for the class-agnostic model), in Double.
    public let means: [[Double]]
    /// Σ⁺ = W Wᵀ with W = V_r diag(1/√λ) (D×r, row-major): z = Wᵀ(x − centre) whitens.
    let whitening: [Double]
    /// r: the eigen-directions kept.
    public let rank: Int
    public let dimension: Int
    /// The class means whitened, C×r.
    let whitenedMeans: [[Double]]
    /// The reference's overall mean: rows are centred on it before whitening (no large offset in the sums).
    let centre: [Double]

    /// Fits the model to the reference rows (M×D) and, for the class-conditional model, their class
    /// labels (any integers; every class present gets a mean).
    /// - Throws: `EmbedVizError.input` for non-finite data, labels of another count, fewer than two
    ///   reference rows, or a covariance that is all zero.
    public init(reference: Matrix, labels: [Int]? = nil) throws(EmbedVizError) {
        try reference.requireFinite("reference")
        let (m, d) = (reference.rows, reference.columns)
        guard m >= 2 else {
            throw EmbedVizError.input("a Mahalanobis model needs at least 2 \(parameter: "reference", of: "MahalanobisScore") rows, got \(m)")
        }
        if let labels, labels.count != m {
            throw EmbedVizError.input("\(labels.count) \(parameter: "labels", of: "MahalanobisScore") for \(m) reference rows")
        }
        let groups: [[Int]]
        if let labels {
            var byClass: [Int: [Int]] = [:]
            for (i, c) in labels.enumerated() { byClass[c, default: []].append(i) }
            groups = byClass.keys.sorted().map { byClass[$0]! }
        } else {
            groups = [Array(0..<m)]
        }
        var scatter = [Double](repeating: 0, count: d * d)
        var means: [[Double]] = []
        for rows in groups {
            var accumulator = try CovarianceAccumulator(dimension: d)
            accumulator.add(groups.count == 1 ? reference : reference.rows(at: rows))
            means.append(accumulator.mean)
            for (e, v) in accumulator.symmetrised.enumerated() { scatter[e] += v }
        }
        let covariance = scatter.map { $0 / Double(m) }
        let (values, vectors) = try LAPACK.symmetricEigen(covariance, n: d)
        guard let largest = values.first, largest > 0 else {
            throw EmbedVizError.input("the \(parameter: "reference", of: "MahalanobisScore") rows do not vary around their means: no covariance to measure distances with")
        }
        let cutoff = largest * Double(d) * Double(Float.ulpOfOne)
        let kept = values.prefix { $0 > cutoff }.count
        var whitening = [Double](repeating: 0, count: d * kept)
        for r in 0..<kept {
            let scale = 1 / values[r].squareRoot()
            for j in 0..<d { whitening[j * kept + r] = vectors[r * d + j] * scale }
        }
        var centre = [Double](repeating: 0, count: d)
        for (mean, rows) in zip(means, groups) { for j in 0..<d { centre[j] += mean[j] * Double(rows.count) / Double(m) } }
        self.means = means
        self.whitening = whitening
        self.rank = kept
        self.dimension = d
        self.centre = centre
        self.whitenedMeans = means.map { Self.whiten($0.map { $0 }, whitening, centre: centre, rank: kept) }
    }

    /// Squared Mahalanobis distance of every row of `x` (N×D) to the nearest class mean.
    /// - Throws: `EmbedVizError.input` for another dimension or non-finite rows.
    public func scores(_ x: Matrix) throws(EmbedVizError) -> [Double] {
        guard x.columns == dimension else {
            throw EmbedVizError.input("\(x.columns)-d points against a Mahalanobis model of \(dimension)-d reference embeddings")
        }
        try x.requireFinite("input")
        var out = [Double](repeating: 0, count: x.rows)
        let d = dimension
        out.withUnsafeMutableBufferPointer { o in
            let slots = UncheckedSendable(o.baseAddress!)
            x.withUnsafeBufferPointer { p in
                Threads.parallelFor(x.rows, minimumChunk: 256) { range in
                    var row = [Double](repeating: 0, count: d)
                    for i in range {
                        for j in 0..<d { row[j] = Double(p[i * d + j]) }
                        let z = Self.whiten(row, whitening, centre: centre, rank: rank)
                        var best = Double.infinity
                        for mean in whitenedMeans {
                            var sum = 0.0
                            for r in 0..<rank { let e = z[r] - mean[r]; sum += e * e }
                            best = min(best, sum)
                        }
                        slots.value[i] = best
                    }
                }
            }
        }
        return out
    }

    /// Wᵀ(x − centre), r values.
    static func whiten(_ x: [Double], _ whitening: [Double], centre: [Double], rank: Int) -> [Double] {
        var z = [Double](repeating: 0, count: rank)
        for j in 0..<x.count {
            let v = x[j] - centre[j]
            if v == 0 { continue }
            for r in 0..<rank { z[r] += v * whitening[j * rank + r] }
        }
        return z
    }
}
