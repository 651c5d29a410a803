import Linalg

// Entry points for the nested Benchmarks package, which sees only public declarations while the
// spectral layout is package-only (UMAP's business). Behind `@_spi(Benchmarks) import Projection`,
// outside the public surface (API.txt): nothing here is for library users.

/// A symmetrised Gaussian k-NN graph (`SpectralGraph.gaussianNeighbourGraph`) and its spectral layout
/// posed either way, with what the eigensolver did.
@_spi(Benchmarks) public struct SpectralBenchmarkGraph: Sendable {
    let graph: SpectralGraph

    public init(neighbours: NearestNeighbours) { graph = .gaussianNeighbourGraph(neighbours) }

    public var vertices: Int { graph.count }
    public var edges: Int { graph.columns.count }
    public var components: Int { graph.components().count }

    public struct Run: Sendable {
        public let layout: Matrix
        /// ARPACK restarts and operator applications, summed over the components.
        public let iterations: Int
        public let operatorApplications: Int
    }

    /// How ARPACK is asked: our default (eigsh(M, "LA"), ncv ≤ 64), "LA" with umap-learn's ncv = max(2k + 1, ⌊√n⌋),
    /// or umap-learn's call itself (eigsh(L, "SM"), ncv = max(2k + 1, ⌊√n⌋)); all with tol 1e-4 unless given.
    public enum Solver: Sendable { case ours, largestWithUmapLearnBasis, umapLearn }

    public func layout(dimensions: Int, solver: Solver, tolerance: Double = 1e-4, lanczosVectors: Int? = nil) throws -> Run {
        var options = SpectralSolverOptions()
        options.problem = solver == .umapLearn ? .smallestOfLaplacian : .largestOfAdjacency
        options.tolerance = tolerance
        let umapLearnBasis = max(2 * dimensions + 3, Int(Double(graph.count).squareRoot()))
        options.lanczosVectors = lanczosVectors ?? (solver == .ours ? nil : umapLearnBasis)
        var statistics = [SpectralSolveStatistics]()
        let layout = try SpectralLayout.layout(graph, dimensions: dimensions, seed: 0, options: options,
                                               statistics: &statistics)
        return Run(layout: layout, iterations: statistics.reduce(0) { $0 + $1.iterations },
                   operatorApplications: statistics.reduce(0) { $0 + $1.operatorApplications })
    }

    /// sin of the largest principal angle between the column spaces of an n×d and an n×e matrix,
    /// d ≤ e (for d < e: how far span(a) is from lying in span(b)): ‖(I − QᵦQᵦᵀ) Qₐ‖₂ with Qₐ, Qᵦ
    /// orthonormal bases (Björck & Golub 1973), accurate for small angles.
    public static func largestPrincipalAngleSine(_ a: Matrix, _ b: Matrix) -> Double {
        precondition(a.rows == b.rows && a.columns <= b.columns, "an n×d and an n×e basis, d ≤ e")
        let n = a.rows, d = a.columns
        let qa = orthonormalColumns(a), qb = orthonormalColumns(b)
        // R = Qa − Qb (Qbᵀ Qa), column by column.
        var r = qa
        for j in 0..<d {
            for l in 0..<b.columns {
                var dot = 0.0
                for i in 0..<n { dot += qb[l][i] * qa[j][i] }
                for i in 0..<n { r[j][i] -= dot * qb[l][i] }
            }
        }
        var gram = [Double](repeating: 0, count: d * d)
        for j in 0..<d {
            for l in 0..<d { gram[j * d + l] = zip(r[j], r[l]).reduce(0) { $0 + $1.0 * $1.1 } }
        }
        guard let largest = (try? LAPACK.symmetricEigen(gram, n: d))?.values.first else { return .nan }
        return max(largest, 0).squareRoot()
    }

    /// The columns of `a` in Double, orthonormalised by Gram–Schmidt applied twice.
    private static func orthonormalColumns(_ a: Matrix) -> [[Double]] {
        var q = (0..<a.columns).map { j in (0..<a.rows).map { Double(a[$0, j]) } }
        for j in q.indices {
            for _ in 0..<2 {
                for l in 0..<j {
                    let dot = zip(q[l], q[j]).reduce(0) { $0 + $1.0 * $1.1 }
                    for i in q[j].indices { q[j][i] -= dot * q[l][i] }
                }
            }
            let norm = q[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
            q[j] = q[j].map { $0 / norm }
        }
        return q
    }
}
