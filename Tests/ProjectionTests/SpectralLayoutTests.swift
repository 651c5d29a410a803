import Foundation
import Linalg
@_spi(Benchmarks) @testable import Projection
import TestSupport
import Testing

// The spectral layout against independent truths: the dense normalised Laplacian solved by LAPACK,
// graphs whose Laplacian eigenvectors are known in closed form (ring, path), and umap-learn's rules
// for disconnected graphs.
//
// Tolerances. ARPACK stops when each Ritz pair (θ, u) has ‖A u − θ u‖ ≤ tol·max(ε^{2/3}, |θ|) (its
// Ritz estimate, the true residual up to rounding with its full reorthogonalisation; we allow 2×).
// By Davis–Kahan's sin Θ theorem the computed subspace then lies within ‖R‖_F / δ of the true one,
// δ the gap between its eigenvalues and the rest of the spectrum. The layout is returned in Float:
// rounding moves each unit column by ≤ 2⁻²⁴ ≈ 6e-8, which adds ≤ 1.2e-7 per column to angles and
// residuals.

@Suite struct SpectralLayoutTests {
    static let floatRounding = 1.2e-7

    // MARK: - Graphs

    /// A ring of n vertices, unit weights.
    static func ring(_ n: Int) -> SpectralGraph {
        var starts = [0], columns = [Int32]()
        for i in 0..<n {
            columns += [Int32((i + n - 1) % n), Int32((i + 1) % n)].sorted()
            starts.append(columns.count)
        }
        return SpectralGraph(count: n, rowStart: starts, columns: columns, weights: Array(repeating: 1, count: columns.count))
    }

    /// A path of n vertices, unit weights.
    static func path(_ n: Int) -> SpectralGraph {
        var starts = [0], columns = [Int32]()
        for i in 0..<n {
            if i > 0 { columns.append(Int32(i - 1)) }
            if i < n - 1 { columns.append(Int32(i + 1)) }
            starts.append(columns.count)
        }
        return SpectralGraph(count: n, rowStart: starts, columns: columns, weights: Array(repeating: 1, count: columns.count))
    }

    /// The Gaussian 10-NN graph of one blob of `n` points in 5-D (connected: checked by the callers).
    static func blob(_ n: Int, seed: UInt64) throws -> SpectralGraph {
        let points = gaussianBlobs([[0, 0, 0, 0, 0]], perBlob: n, seed: seed).points
        return SpectralGraph.gaussianNeighbourGraph(try NearestNeighbours.exact(points, k: 10))
    }

    /// Graphs on disjoint vertex sets as one graph of `count` vertices: part p's vertex v is `placement[p][v]`.
    static func disjointUnion(_ parts: [SpectralGraph], placement: [[Int]], count: Int) -> SpectralGraph {
        var rows = [[(Int32, Double)]](repeating: [], count: count)
        for (graph, place) in zip(parts, placement) {
            for v in 0..<graph.count {
                for e in graph.rowStart[v]..<graph.rowStart[v + 1] {
                    rows[place[v]].append((Int32(place[Int(graph.columns[e])]), graph.weights[e]))
                }
            }
        }
        var starts = [0], columns = [Int32](), weights = [Double]()
        for row in rows {
            for (j, w) in row.sorted(by: { $0.0 < $1.0 }) { columns.append(j); weights.append(w) }
            starts.append(columns.count)
        }
        return SpectralGraph(count: count, rowStart: starts, columns: columns, weights: weights)
    }

    /// L = I − D^{-1/2} W D^{-1/2} as a dense row-major n×n array, from its definition.
    static func denseLaplacian(_ g: SpectralGraph) -> [Double] {
        let n = g.count
        var w = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for e in g.rowStart[i]..<g.rowStart[i + 1] { w[i * n + Int(g.columns[e])] = g.weights[e] } }
        let degree = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + w[i * n + $1] } }
        return (0..<(n * n)).map { ij in
            let (i, j) = (ij / n, ij % n)
            return (i == j ? 1 : 0) - w[ij] / (degree[i] * degree[j]).squareRoot()
        }
    }

    static func arpack(_ problem: SpectralSolverOptions.Problem = .largestOfAdjacency, tolerance: Double = 1e-4) -> SpectralSolverOptions {
        var options = SpectralSolverOptions()
        options.problem = problem
        options.tolerance = tolerance
        options.denseUpTo = 0
        return options
    }

    /// Columns as a matrix.
    static func columns(_ vectors: [[Double]]) -> Matrix {
        Matrix(rows: vectors[0].count, columns: vectors.count) { i, j in Float(vectors[j][i]) }
    }

    static func sine(_ a: Matrix, _ b: Matrix) -> Double { SpectralBenchmarkGraph.largestPrincipalAngleSine(a, b) }

    // MARK: - Against the dense solver

    @Test("ARPACK's vectors: residuals within its tolerance, subspace within Davis–Kahan of LAPACK's",
          arguments: SpectralSolverOptions.Problem.allCases)
    func denseTruth(_ problem: SpectralSolverOptions.Problem) throws {
        let graph = try Self.blob(400, seed: 5)
        #expect(graph.components().count == 1)
        let tol = 1e-4, dimensions = 2, n = graph.count
        let layout = try SpectralLayout.layout(graph, dimensions: dimensions, seed: 1, options: Self.arpack(problem, tolerance: tol))

        let l = Self.denseLaplacian(graph)
        let eigen = try LAPACK.symmetricEigen(l, n: n)  // descending
        let lambda = Array(eigen.values.reversed())
        let truth = (1...dimensions).map { r in Array(eigen.vectors[((n - 1 - r) * n)..<((n - r) * n)]) }

        var residuals = [Double]()
        for d in 0..<dimensions {
            var u = (0..<n).map { Double(layout[$0, d]) }
            let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-6, "raw eigenvectors are unit vectors, got ‖u‖ = \(norm)")
            u = u.map { $0 / norm }
            let lu = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + l[i * n + $1] * u[$1] } }
            let theta = zip(u, lu).reduce(0) { $0 + $1.0 * $1.1 }
            let residual = zip(lu, u).reduce(0) { $0 + ($1.0 - theta * $1.1) * ($1.0 - theta * $1.1) }.squareRoot()
            // ARPACK's θ: L's for "SM", M = I − L's for "LA".
            let arpackTheta = problem == .smallestOfLaplacian ? theta : 1 - theta
            let bound = 2 * tol * max(pow(Double.ulpOfOne, 2.0 / 3), abs(arpackTheta)) + Self.floatRounding * 2
            #expect(residual <= bound, "column \(d): ‖Lu − θu‖ = \(residual) > \(bound)")
            #expect(abs(theta - lambda[d + 1]) <= bound, "column \(d): θ = \(theta), λ = \(lambda[d + 1])")
            residuals.append(bound)
        }
        let r = residuals.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let gap = min(lambda[1] - lambda[0], lambda[dimensions + 1] - lambda[dimensions]) - residuals.max()!
        let bound = r / gap + Self.floatRounding * Double(dimensions)
        #expect(bound < 0.1, "the graph's eigengap \(gap) makes the bound \(bound) uninformative")
        let s = Self.sine(layout, Self.columns(truth))
        #expect(s <= bound, "sin Θ = \(s) > \(bound)")
    }

    @Test("small components go to LAPACK and agree with the dense truth to rounding")
    func denseComponent() throws {
        let graph = try Self.blob(120, seed: 9)
        #expect(graph.components().count == 1)
        let layout = try SpectralLayout.layout(graph, dimensions: 3, seed: 1, options: SpectralSolverOptions())
        let n = graph.count
        let eigen = try LAPACK.symmetricEigen(Self.denseLaplacian(graph), n: n)
        let truth = (1...3).map { r in Array(eigen.vectors[((n - 1 - r) * n)..<((n - r) * n)]) }
        let gaps = (1...3).map { abs(eigen.values[n - 1 - $0] - eigen.values[n - $0]) }
        #expect(gaps.min()! > 1e-6)
        // Both are backward-stable dense solvers: differences ~ n ε / gap, far below Float rounding here.
        #expect(Self.sine(layout, Self.columns(truth)) <= 1e-9 / gaps.min()! + 3 * Self.floatRounding)
    }

    // MARK: - Closed forms

    // The ring's non-trivial eigenvalues are double (cos and sin of each frequency). From one start
    // vector Lanczos sees one direction per eigenspace (in exact arithmetic; rounding brings in the
    // other slowly), so in 2-D ARPACK may return frequency 2 beside frequency 1 — umap-learn's eigsh
    // alike. Exact symmetries do not occur in data graphs; the test asks for the first vector only.
    @Test("ring: the leading non-trivial eigenvector lies in span{cos 2πi/n, sin 2πi/n}",
          arguments: SpectralSolverOptions.Problem.allCases)
    func ring(_ problem: SpectralSolverOptions.Problem) throws {
        let n = 120, tol = 1e-10
        let layout = try SpectralLayout.layout(Self.ring(n), dimensions: 1, seed: 1, options: Self.arpack(problem, tolerance: tol))
        let angle = (0..<n).map { 2 * Double.pi * Double($0) / Double(n) }
        // λ_j = 1 − cos(2πj/n); the pair j = 1 is separated by λ₁ from the trivial λ₀ = 0 (the nearer side).
        let gap = 1 - cos(2 * Double.pi / Double(n))
        let bound = 2 * tol / gap + Self.floatRounding
        let s = Self.sine(layout, Self.columns([angle.map(cos), angle.map(sin)]))
        #expect(s <= bound, "sin ∠ = \(s) > \(bound)")
    }

    @Test("path: eigenvector k is D^{1/2}·cos(πk i/(n−1)) (eigenvalue 1 − cos(πk/(n−1)), all simple)",
          arguments: SpectralSolverOptions.Problem.allCases)
    func path(_ problem: SpectralSolverOptions.Problem) throws {
        let n = 150, dimensions = 3, tol = 1e-10
        let layout = try SpectralLayout.layout(Self.path(n), dimensions: dimensions, seed: 1, options: Self.arpack(problem, tolerance: tol))
        let lambda = (0...(dimensions + 1)).map { 1 - cos(Double.pi * Double($0) / Double(n - 1)) }
        for k in 1...dimensions {
            let v = (0..<n).map { i in (i == 0 || i == n - 1 ? 1.0 : 2.0).squareRoot() * cos(Double.pi * Double(k * i) / Double(n - 1)) }
            let gap = min(lambda[k] - lambda[k - 1], lambda[k + 1] - lambda[k])
            let bound = 2 * tol / gap + Self.floatRounding
            let s = Self.sine(layout.column(k - 1), Self.columns([v]))
            #expect(s <= bound, "vector \(k): sin ∠ = \(s) > \(bound)")
        }
    }

    @Test("signs: each vector's entry of largest magnitude is positive")
    func signs() throws {
        let layout = try SpectralLayout.layout(try Self.blob(400, seed: 5), dimensions: 3, seed: 1, options: Self.arpack())
        for d in 0..<3 {
            let column = (0..<layout.rows).map { layout[$0, d] }
            let peak = column.indices.max { abs(column[$0]) < abs(column[$1]) }!
            #expect(column[peak] > 0)
        }
    }

    // MARK: - Disconnected graphs

    @Test("two components: centred on ±e₁, each its own spectral layout scaled to reach the midpoint, separated")
    func twoComponents() throws {
        // A ring on the even vertices 0…198, a path on the odd ones and 200…249.
        let ring = Self.ring(100), path = Self.path(150)
        let ringPlace = (0..<100).map { 2 * $0 }, pathPlace = (0..<100).map { 2 * $0 + 1 } + Array(200..<250)
        let graph = Self.disjointUnion([ring, path], placement: [ringPlace, pathPlace], count: 250)
        #expect(graph.components().count == 2)
        let options = Self.arpack(tolerance: 1e-8)
        let layout = try SpectralLayout.layout(graph, dimensions: 2, seed: 3, options: options)

        for (part, place, centre) in [(ring, ringPlace, [Float(1), 0]), (path, pathPlace, [Float(-1), 0])] {
            var solve = SpectralSolveStatistics()
            let own = try SpectralLayout.connected(part, dimensions: 2, options: options, statistics: &solve)
            let expansion = 1 / own.storage.map(abs).max()!  // half the distance 2 between the centres
            var reach: Float = 0
            for (v, i) in place.enumerated() {
                for d in 0..<2 {
                    #expect(abs(layout[i, d] - (own[v, d] * expansion + centre[d])) <= 1e-6)
                    reach = max(reach, abs(layout[i, d] - centre[d]))
                }
            }
            #expect(abs(reach - 1) <= 1e-6)
        }
        // The ring's box is x ∈ [0, 2], the path's x ∈ [−2, 0].
        #expect(ringPlace.allSatisfy { layout[$0, 0] >= 0 } && pathPlace.allSatisfy { layout[$0, 0] <= 0 })
    }

    @Test("a tiny component (≤ dimensions + 1 points) is uniform random in its box; centres ±eᵢ for ≤ 2·dimensions components")
    func tinyComponent() throws {
        let triangle = SpectralGraph(count: 3, rowStart: [0, 2, 4, 6], columns: [1, 2, 0, 2, 0, 1], weights: [1, 1, 1, 1, 1, 1])
        let graph = Self.disjointUnion([Self.ring(60), Self.path(70), triangle],
                                       placement: [Array(0..<60), Array(60..<130), [130, 131, 132]], count: 133)
        let layout = try SpectralLayout.layout(graph, dimensions: 2, seed: 4, options: SpectralSolverOptions())
        // Centres e₁, e₂, −e₁; each one's nearest other is √2 away: boxes of half-width √2/2.
        let half = Float(2.0.squareRoot() / 2)
        for (range, centre) in [(0..<60, [Float(1), 0]), (60..<130, [0, 1]), (130..<133, [-1, 0])] {
            for i in range { for d in 0..<2 { #expect(abs(layout[i, d] - centre[d]) <= half * (1 + 1e-6)) } }
        }
        let other = try SpectralLayout.layout(graph, dimensions: 2, seed: 5, options: SpectralSolverOptions())
        #expect(layout.rows(130..<133) != other.rows(130..<133), "the tiny component's layout comes from the seed")
        #expect(layout.rows(0..<130) == other.rows(0..<130))
    }

    @Test("more than 2·dimensions components: seeded centres in [0, 10)ᵈ, each component inside its box")
    func manyComponents() throws {
        let sizes = [30, 40, 25, 35, 20, 45]
        var offset = 0, placement = [[Int]]()
        for size in sizes { placement.append(Array(offset..<(offset + size))); offset += size }
        let graph = Self.disjointUnion(sizes.map(Self.ring), placement: placement, count: offset)
        let layout = try SpectralLayout.layout(graph, dimensions: 2, seed: 8, options: SpectralSolverOptions())
        var rng = SeededGenerator(seed: 8)
        let centres = SpectralLayout.componentCentres(sizes.count, dimensions: 2, rng: &rng)
        for (c, place) in placement.enumerated() {
            #expect(centres[c].allSatisfy { $0 >= 0 && $0 < 10 })
            let half = SpectralLayout.halfDistanceToNearest(c, centres)
            var reach = 0.0
            for i in place { for d in 0..<2 { reach = max(reach, abs(Double(layout[i, d]) - centres[c][d])) } }
            #expect(abs(reach - half) <= 1e-5 * max(1, half), "component \(c) reaches \(reach), its box \(half)")
        }
    }

    // MARK: - Determinism, API, failure

    @Test("the same call twice gives the same bits; the Float CSR entry point is the same layout")
    func determinism() throws {
        let graph = try Self.blob(3000, seed: 12)
        let a = try SpectralLayout.layout(graph, dimensions: 2, seed: 1, options: SpectralSolverOptions())
        let b = try SpectralLayout.layout(graph, dimensions: 2, seed: 1, options: SpectralSolverOptions())
        #expect(a.storage == b.storage)
        let floats = graph.weights.map { Float($0) }
        let widened = SpectralGraph(count: graph.count, rowStart: graph.rowStart, columns: graph.columns, weights: floats.map { Double($0) })
        let c = try SpectralLayout.layout(count: graph.count, rowStart: graph.rowStart, columns: graph.columns,
                                          weights: floats, dimensions: 2, seed: 1)
        #expect(c.storage == (try SpectralLayout.layout(widened, dimensions: 2, seed: 1, options: SpectralSolverOptions())).storage)
        #expect(c.rows == graph.count && c.columns == 2)
    }

    @Test("no convergence throws Failure; in a multi-component graph that component is laid out at random instead")
    func failure() throws {
        let graph = try Self.blob(400, seed: 5)
        var options = Self.arpack()
        options.maxIterations = 1
        do {
            _ = try SpectralLayout.layout(graph, dimensions: 2, seed: 1, options: options)
            Issue.record("one restart should not converge")
        } catch {
            #expect(error.reason.contains("no convergence"), "\(error.reason)")
        }
        let two = Self.disjointUnion([graph, Self.ring(50)], placement: [Array(0..<400), Array(400..<450)], count: 450)
        let layout = try SpectralLayout.layout(two, dimensions: 2, seed: 1, options: options)
        #expect((0..<400).allSatisfy { i in abs(layout[i, 0] - 1) <= 1 && abs(layout[i, 1]) <= 1 })
        #expect(throws: SpectralLayout.Failure.self) {
            _ = try SpectralLayout.layout(count: 3, rowStart: [0, 2, 4, 6], columns: [1, 2, 0, 2, 0, 1],
                                          weights: [1, 1, 1, 1, 1, 1], dimensions: 2, seed: 1)
        }
    }

    // MARK: - Helpers

    @Test("principal angle of two planes in R³ at a known angle; components of a hand graph; symmetric k-NN graph")
    func helpers() throws {
        let t = 0.3
        let a = Matrix([[1, 0], [0, 1], [0, 0]])
        let b = Matrix([[1, 0], [0, Float(cos(t))], [0, Float(sin(t))]])
        #expect(abs(Self.sine(a, b) - sin(t)) < 1e-7)
        #expect(Self.sine(a, Matrix([[2, 1], [0, 3], [0, 0]])) < 1e-7)

        let g = Self.disjointUnion([Self.path(3), Self.path(2)], placement: [[0, 3, 4], [1, 2]], count: 6)
        let (count, labels) = g.components()
        #expect(count == 3 && labels == [0, 1, 1, 0, 0, 2])

        let knn = try Self.blob(200, seed: 2)
        for i in 0..<knn.count {
            for e in knn.rowStart[i]..<knn.rowStart[i + 1] {
                let j = Int(knn.columns[e])
                let back = (knn.rowStart[j]..<knn.rowStart[j + 1]).first { knn.columns[$0] == Int32(i) }
                #expect(back.map { knn.weights[$0] } == knn.weights[e] && j != i)
            }
        }
    }
}

private extension Matrix {
    /// Column `j` as an n×1 matrix.
    func column(_ j: Int) -> Matrix { Matrix(rows: rows, columns: 1) { i, _ in self[i, j] } }
}
