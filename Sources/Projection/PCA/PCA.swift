import Datasets
import Foundation
import Linalg

/// How the principal components are computed.
public enum PCASolver: String, Sendable, CaseIterable, Codable {
    /// Covariance route when the data has at least four times as many rows as columns (and at most
    /// 8192 columns), the thin SVD otherwise. The covariance route costs N·D² + O(D³) and streams;
    /// the SVD costs about 4·N·D² but keeps the precision of the small components when N is not ≫ D.
    case auto
    /// Centre, accumulate the D×D cross-product with `ssyrk`, eigen-decompose it (`dsyevd`).
    case covariance
    /// Centre, thin SVD of the data (`sgesdd`).
    case svd

    /// The solver `auto` picks for an N×D input.
    public static func choose(rows: Int, columns: Int) -> PCASolver {
        rows >= 4 * columns && columns <= 8192 ? .covariance : .svd
    }
}

/// A fitted principal component analysis, with scikit-learn's definitions and sign convention.
public struct PCAModel: Sendable, Equatable {
    /// Column means of the training data.
    public var mean: [Double]
    /// k×D, orthonormal rows, largest variance first; in each row the entry of largest magnitude is
    /// positive (scikit-learn ≥ 1.5's `svd_flip` convention).
    public var components: Matrix
    /// Variance along each component (ddof = 1).
    public var explainedVariance: [Double]
    /// `explainedVariance / totalVariance`: the share of the data's total variance.
    public var explainedVarianceRatio: [Double]
    /// √(explainedVariance · (N − 1)): the singular values of the centred data.
    public var singularValues: [Double]
    /// Σ of all D variances (the trace of the covariance).
    public var totalVariance: Double
    public var samples: Int
    /// Whether `transform` scales each component to unit variance.
    public var whiten: Bool
    public var solver: PCASolver

    public var dimension: Int { mean.count }
    public var componentCount: Int { components.rows }

    /// Projects rows of `x` (N×D) onto the components: `(x − mean)·componentsᵀ`, divided by
    /// √explainedVariance when whitening. The rows are centred before the GEMM, so a large common
    /// offset does not cost precision.
    public func transform(_ x: Matrix) -> Matrix {
        precondition(x.columns == dimension, "the model expects \(dimension) columns, got \(x.columns)")
        let (d, k) = (dimension, componentCount)
        let m = mean.map { Float($0) }
        let scale = whiten ? explainedVariance.map { $0 > 0 ? Float(1 / $0.squareRoot()) : 0 } : nil
        var y = Matrix(rows: x.rows, columns: k)
        let step = max(1, (1 << 20) / max(d, 1))  // 4 MB of centred rows at a time
        var centred = [Float](repeating: 0, count: min(step, x.rows) * d)
        x.withUnsafeBufferPointer { px in
            components.withUnsafeBufferPointer { pc in
                y.withUnsafeMutableBufferPointer { py in
                    centred.withUnsafeMutableBufferPointer { c in
                        var start = 0
                        while start < x.rows {
                            let rows = min(step, x.rows - start)
                            for i in 0..<rows {
                                let src = px.baseAddress! + (start + i) * d, dst = c.baseAddress! + i * d
                                for j in 0..<d { dst[j] = src[j] - m[j] }
                            }
                            let out = py.baseAddress! + start * k
                            BLAS.gemm(.none, .transposed, m: rows, n: k, k: d, alpha: 1, a: c.baseAddress!, lda: d,
                                      b: pc.baseAddress!, ldb: d, beta: 0, c: out, ldc: k)
                            if let scale {
                                for i in 0..<rows { for j in 0..<k { out[i * k + j] *= scale[j] } }
                            }
                            start += rows
                        }
                    }
                }
            }
        }
        return y
    }

    /// Maps projections back to the input space: `y·components + mean` (undoing whitening first).
    public func inverseTransform(_ y: Matrix) -> Matrix {
        precondition(y.columns == componentCount, "expected \(componentCount) columns, got \(y.columns)")
        var scaled = y
        if whiten {
            let scale = explainedVariance.map { Float($0.squareRoot()) }
            let k = componentCount
            scaled.withUnsafeMutableBufferPointer { p in
                for i in 0..<y.rows { for j in 0..<k { p[i * k + j] *= scale[j] } }
            }
        }
        var x = BLAS.gemm(scaled, components)
        let m = mean.map { Float($0) }
        let d = dimension
        x.withUnsafeMutableBufferPointer { p in
            for i in 0..<y.rows { for j in 0..<d { p[i * d + j] += m[j] } }
        }
        return x
    }
}

/// Principal component analysis (Pearson 1901; Hotelling 1933) on LAPACK.
public struct PCA: Sendable {
    public var components: Int
    public var solver: PCASolver
    public var whiten: Bool

    public init(components: Int, solver: PCASolver = .auto, whiten: Bool = false) {
        self.components = components
        self.solver = solver
        self.whiten = whiten
    }

    /// Fits on an N×D matrix.
    public func fit(_ x: Matrix) throws -> PCAModel {
        try validate(rows: x.rows, columns: x.columns)
        try x.requireFinite("input")
        let chosen = solver == .auto ? PCASolver.choose(rows: x.rows, columns: x.columns) : solver
        switch chosen {
        case .covariance, .auto:
            try checkEigenMemory(dimension: x.columns)
            var accumulator = try CovarianceAccumulator(dimension: x.columns)
            accumulator.add(x)
            return try fit(accumulator)
        case .svd:
            return try fitSVD(x)
        }
    }

    /// Fits from accumulated statistics (the streaming and sharded path).
    public func fit(_ statistics: CovarianceAccumulator) throws -> PCAModel {
        try validate(rows: statistics.count, columns: statistics.dimension)
        try checkEigenMemory(dimension: statistics.dimension)
        let d = statistics.dimension
        let covariance = statistics.covariance
        guard covariance.allSatisfy(\.isFinite) else {
            throw EmbedVizError.input("the covariance overflows float32/Double arithmetic (values too large); rescale the input")
        }
        let k = components
        let (values, vectors) = try Profile.section("PCA eigen") { try LAPACK.largestEigen(covariance, n: d, k: k) }
        let variance = values.prefix(k).map { max($0, 0) }
        var rows = Matrix(rows: k, columns: d)
        rows.withUnsafeMutableBufferPointer { p in
            for r in 0..<k { for j in 0..<d { p[r * d + j] = Float(vectors[r * d + j]) } }
        }
        let total = (0..<d).reduce(0.0) { $0 + covariance[$1 * d + $1] }
        guard total > 0 else { throw EmbedVizError.input("the data has no variance: every column is constant") }
        return finish(mean: statistics.mean, components: rows, variance: variance, total: total,
                      samples: statistics.count, solver: .covariance)
    }

    private func fitSVD(_ x: Matrix) throws -> PCAModel {
        let (n, d) = (x.rows, x.columns)
        let r = min(n, d)
        // The centred copy, sgesdd's copy of it, U, Vᵀ and sgesdd's workspace (about 8r² floats).
        try MemoryBudget.check(checkedSum(checkedProduct(8, n, d), checkedProduct(4, r, checkedSum(n, d)), checkedProduct(32, r, r)),
                               for: "the SVD of a \(n)×\(d) matrix", alternative: "use \(parameter: "solver", of: "PCA") covariance, or fewer rows or columns")
        let mean = x.columnMeans()
        let centred = x.centred(by: mean.map { Float($0) })
        try centred.requireFinite("input, centred (values too large for float32)")
        let svd = try LAPACK.svd(centred)
        guard svd.singularValues.allSatisfy(\.isFinite) else {
            throw EmbedVizError.input("the SVD overflows float32 arithmetic (values too large); rescale the input")
        }
        let scale = 1 / Double(max(n - 1, 1))
        let variances = svd.singularValues.map { Double($0) * Double($0) * scale }
        let total = variances.reduce(0, +)
        guard total > 0 else { throw EmbedVizError.input("the data has no variance: every column is constant") }
        return finish(mean: mean, components: svd.vt.rows(0..<components), variance: Array(variances.prefix(components)),
                      total: total, samples: n, solver: .svd)
    }

    private func finish(mean: [Double], components rows: Matrix, variance: [Double], total: Double, samples: Int,
                        solver: PCASolver) -> PCAModel {
        var rows = rows
        let (k, d) = (rows.rows, rows.columns)
        rows.withUnsafeMutableBufferPointer { p in
            for r in 0..<k {
                let row = p.baseAddress! + r * d
                var largest = 0
                for j in 1..<max(d, 1) where abs(row[j]) > abs(row[largest]) { largest = j }
                if row[largest] < 0 { for j in 0..<d { row[j] = -row[j] } }
            }
        }
        let n = Double(max(samples - 1, 1))
        return PCAModel(mean: mean, components: rows, explainedVariance: variance,
                        explainedVarianceRatio: variance.map { total > 0 ? $0 / total : 0 },
                        singularValues: variance.map { ($0 * n).squareRoot() }, totalVariance: total,
                        samples: samples, whiten: whiten, solver: solver)
    }

    /// The eigen step's D×D arrays: the accumulator's cross-product, the covariance made from it
    /// and LAPACK's working copy (Double), plus the k eigenvectors twice.
    private func checkEigenMemory(dimension d: Int) throws {
        try MemoryBudget.check(checkedSum(checkedProduct(24, d, d), checkedProduct(20, components, d)),
                               for: "PCA of \(d) columns (\(d)×\(d) covariance)", alternative: "reduce the number of columns first")
    }

    private func validate(rows: Int, columns: Int) throws {
        guard rows >= 2 else { throw EmbedVizError.input("PCA needs at least 2 rows, got \(rows)") }
        guard components >= 1, components <= min(rows, columns) else {
            throw EmbedVizError.input(
                "cannot compute \(components) components of a \(rows)×\(columns) matrix; at most min(N, D) = \(min(rows, columns))")
        }
    }
}
