import Foundation
import Linalg

/// Procrustes alignment of one embedding onto another of the same points: the translation, uniform
/// scaling and orthogonal transformation (a rotation, possibly with a reflection) that bring the
/// second as close as possible to the first in the least-squares sense (Schönemann 1966, "A
/// generalized solution of the orthogonal Procrustes problem", Psychometrika 31; Gower 1975,
/// "Generalized Procrustes analysis"). Aligning two t-SNE runs before drawing or comparing them
/// removes the differences that mean nothing (t-SNE's objective is invariant to them).
///
/// Definitions follow `scipy.spatial.procrustes(reference, moving)`: both are centred and scaled to
/// unit Frobenius norm (A, B); with U·S·Vᵀ the SVD of AᵀB, R = U·Vᵀ and s = Σ S; the aligned moving
/// points are s·B·Rᵀ and the disparity is ‖A − s·B·Rᵀ‖²_F = 1 − s², in [0, 1], symmetric in the
/// two embeddings and 0 exactly when one is a similarity transform of the other.
public struct ProcrustesAlignment: Sendable, Equatable {
    /// d×d orthogonal R (row-major, Double), applied as `row · Rᵀ`.
    public var rotation: [Double]
    public var dimensions: Int
    /// Scale from the moving embedding's units to the reference's: s·‖A₀‖/‖B₀‖ (‖·‖ of the centred data).
    public var scale: Double
    /// Column means of the moving and the reference embedding.
    public var movingMean: [Double]
    public var referenceMean: [Double]
    /// scipy's disparity: the sum of squared differences after standardising both and aligning.
    public var disparity: Double
    /// The moving embedding mapped into the reference's coordinates.
    public var aligned: Matrix

    /// Maps rows of the moving embedding's space (N×d) into the reference's coordinates:
    /// referenceMean + scale · (row − movingMean) · Rᵀ.
    public func apply(_ points: Matrix) -> Matrix {
        let d = dimensions
        precondition(points.columns == d, "points have \(points.columns) columns, the alignment \(d)")
        return Matrix(rows: points.rows, columns: d) { i, c in
            var sum = 0.0
            for e in 0..<d { sum += (Double(points[i, e]) - movingMean[e]) * rotation[c * d + e] }
            return Float(referenceMean[c] + scale * sum)
        }
    }
}

public enum Procrustes {
    /// Aligns `moving` (N×d) onto `reference` (N×d): see `ProcrustesAlignment`.
    /// - Throws: `EmbedVizError.input` when the shapes differ or either embedding has all its
    ///   points at one place (zero norm after centring, which scipy also refuses);
    ///   `EmbedVizError` from `LAPACK.svd` if the d×d SVD fails.
    public static func align(_ moving: Matrix, onto reference: Matrix) throws(EmbedVizError) -> ProcrustesAlignment {
        guard moving.rows == reference.rows, moving.columns == reference.columns else {
            throw EmbedVizError.input("Procrustes needs embeddings of the same shape, got \(moving.rows)×\(moving.columns) and \(reference.rows)×\(reference.columns)")
        }
        try reference.requireFinite("reference")
        try moving.requireFinite("moving")
        let (n, d) = (reference.rows, reference.columns)
        let (a, referenceMean, referenceNorm) = standardised(reference)
        let (b, movingMean, movingNorm) = standardised(moving)
        guard referenceNorm > 0, movingNorm > 0, n > 0, d > 0 else {
            throw EmbedVizError.input("Procrustes needs embeddings whose points are not all in one place")
        }
        // M = AᵀB (d×d), accumulated in Double; only its SVD is in Float (LAPACK.svd).
        var m = [Double](repeating: 0, count: d * d)
        for i in 0..<n { for r in 0..<d { for c in 0..<d { m[r * d + c] += a[i * d + r] * b[i * d + c] } } }
        let svd = try LAPACK.svd(Matrix(rows: d, columns: d, storage: m.map { Float($0) }))
        var rotation = [Double](repeating: 0, count: d * d)
        for r in 0..<d {
            for c in 0..<d {
                for e in 0..<d { rotation[r * d + c] += Double(svd.u[r, e]) * Double(svd.vt[e, c]) }
            }
        }
        // R is orthogonal only to Float precision; two Newton–Schulz steps R ← R(3I − RᵀR)/2 make it
        // orthogonal to Double precision (quadratic convergence), so that the disparity is not
        // inflated by ‖R‖ ≠ 1. Then s = Σ singular values = trace(Rᵀ M), in Double from the Double M
        // (first-order insensitive to R's remaining Float-sized rotation error).
        for _ in 0..<2 { rotation = orthogonalised(rotation, d) }
        var s = 0.0
        for e in 0..<(d * d) { s += rotation[e] * m[e] }
        var disparity = 0.0
        for i in 0..<n {
            for c in 0..<d {
                var mapped = 0.0
                for e in 0..<d { mapped += b[i * d + e] * rotation[c * d + e] }
                let difference = a[i * d + c] - s * mapped
                disparity += difference * difference
            }
        }
        var alignment = ProcrustesAlignment(rotation: rotation, dimensions: d, scale: s * referenceNorm / movingNorm,
                                            movingMean: movingMean, referenceMean: referenceMean,
                                            disparity: disparity, aligned: Matrix(rows: 0, columns: d))
        alignment.aligned = alignment.apply(moving)
        return alignment
    }

    /// One Newton–Schulz step towards the orthogonal polar factor: R(3I − RᵀR)/2 (d×d, row-major).
    static func orthogonalised(_ r: [Double], _ d: Int) -> [Double] {
        var correction = [Double](repeating: 0, count: d * d)  // (3I − RᵀR)/2
        for i in 0..<d {
            for j in 0..<d {
                var dot = 0.0
                for e in 0..<d { dot += r[e * d + i] * r[e * d + j] }
                correction[i * d + j] = ((i == j ? 3 : 0) - dot) / 2
            }
        }
        var result = [Double](repeating: 0, count: d * d)
        for i in 0..<d { for j in 0..<d { for e in 0..<d { result[i * d + j] += r[i * d + e] * correction[e * d + j] } } }
        return result
    }

    /// Centred, unit-Frobenius-norm copy in Double, the column means and the norm of the centred data.
    static func standardised(_ x: Matrix) -> (values: [Double], mean: [Double], norm: Double) {
        let mean = x.columnMeans()
        let d = x.columns
        var values = x.storage.enumerated().map { Double($0.element) - mean[$0.offset % d] }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { for e in values.indices { values[e] /= norm } }
        return (values, mean, norm)
    }
}
