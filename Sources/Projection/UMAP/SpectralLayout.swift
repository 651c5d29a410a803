import Linalg

// UMAP's spectral initialisation, as umap-learn's spectral.py does it (spectral_layout,
// multi_component_layout), on a symmetric graph given as CSR.
//
//   one component:  the eigenvectors of L = I − D^{-1/2} W D^{-1/2} for its 2nd … (dimensions+1)-th
//                   smallest eigenvalues (the smallest, ∝ √d, is dropped), raw (unit length), each
//                   with its largest-|·| entry made positive (ARPACK's signs are arbitrary).
//   several:        a centre per component: ±e₁, ±e₂, … when there are at most 2·dimensions of them,
//                   else uniform in [0, 10)^dimensions (umap-learn's rule when it has no data to take
//                   centroids from — this API has none); each component's own layout scaled so that
//                   its largest |coordinate| is half the distance from its centre to the nearest other
//                   one, and moved there. Components of fewer than 2·dimensions or at most
//                   dimensions + 1 vertices, and components whose eigensolve fails, are uniform random
//                   in that box instead (as umap-learn does).
//
// Differences from umap-learn, by design: signs are fixed; every random draw comes from `seed`;
// a single-component failure throws (the caller falls back to random, as umap-learn does inside);
// Lanczos starts from a fixed pseudo-random vector, not ones (SpectralEigensolver.startVector says
// why); and ARPACK is asked for M = I − L's largest eigenpairs with at most 64 Lanczos vectors
// instead of eigsh(L, "SM") with ⌊√n⌋ of them.
//
// That choice, measured (SpectralLayoutBenchmarks.swift; MNIST 70k PCA-50, symmetrised Gaussian
// 15-NN graph, 1.5M edges, one component, 2-D, tol 1e-4, 2 threads, one process, shared machine):
//                                       time     restarts   sin∠ to a tol-1e-10 solve
//   eigsh(L, "SM"), ncv 264 (umap-learn)  8.9 s     2          7e-9
//   eigsh(M, "LA"), ncv 264               4.4 s     1          7e-9
//   eigsh(M, "LA"), ncv 64 (ours)         1.3 s     3          6e-5
//   eigsh(M, "LA"), ncv 32                0.7 s     6          2e-4
//   eigsh(L, "SM"), ncv 16                0.5 s    18          1.0 (converged to the wrong vectors)
// "SM" is slow because ARPACK's stopping test is relative to |θ| and L's wanted θ are ≈ 0 (see
// SpectralEigensolver.swift); the time goes into ARPACK's reorthogonalisation against its n × ncv
// basis (O(n·ncv²) memory traffic per restart), which also makes umap-learn's ncv = √n cost n^{3/2}
// memory (8 GB at 1M points). Capped at 64 the basis is 512 bytes a point; the subspace error, 6e-5,
// is far below what an initialisation needs (umap-learn rescales it to ±10 and adds noise of 1e-4
// before the optimisation moves every point).

package enum SpectralLayout {
    /// Smallest non-trivial eigenvectors of the normalised Laplacian of a symmetric graph given as CSR
    /// (row i's entries are columns[rowStart[i]..<rowStart[i+1]], weights > 0, no self loops).
    /// Returns an n × dimensions Matrix (row-major Float), raw eigenvectors (umap-learn's spectral_layout,
    /// disconnected components laid out as umap-learn's multi_component_layout); throws SpectralLayout.Failure
    /// when the eigensolver does not converge (caller falls back to random init, as umap-learn does).
    package static func layout(count n: Int, rowStart: [Int], columns: [Int32], weights: [Float],
                               dimensions: Int, seed: UInt64) throws -> Matrix {
        let graph = SpectralGraph(count: n, rowStart: rowStart, columns: columns, weights: weights.map { Double($0) })
        return try layout(graph, dimensions: dimensions, seed: seed, options: SpectralSolverOptions())
    }

    package struct Failure: Error { package let reason: String }

    /// `layout` with the solver's knobs exposed, and what each component's solve did.
    package static func layout(_ graph: SpectralGraph, dimensions: Int, seed: UInt64, options: SpectralSolverOptions,
                               statistics: inout [SpectralSolveStatistics]) throws(Failure) -> Matrix {
        precondition(dimensions >= 1, "a layout needs at least one dimension")
        let n = graph.count
        if n == 0 { return Matrix(rows: 0, columns: dimensions) }
        let (componentCount, labels) = graph.components()
        if componentCount == 1 {
            guard !isTiny(n, dimensions: dimensions) else {
                throw Failure(reason: "\(n) connected points are too few for a \(dimensions)-D spectral layout")
            }
            statistics.append(SpectralSolveStatistics())
            return try connected(graph, dimensions: dimensions, options: options, statistics: &statistics[statistics.count - 1])
        }

        var rng = SeededGenerator(seed: seed)
        let centres = componentCentres(componentCount, dimensions: dimensions, rng: &rng)
        var members = [[Int]](repeating: [], count: componentCount)
        for i in 0..<n { members[Int(labels[i])].append(i) }

        var result = Matrix(rows: n, columns: dimensions)
        for c in 0..<componentCount {
            let centre = centres[c]
            let halfGap = halfDistanceToNearest(c, centres)
            let size = members[c].count
            var local: Matrix?
            if !isTiny(size, dimensions: dimensions) {
                var solve = SpectralSolveStatistics()
                local = try? connected(graph.subgraph(members[c]), dimensions: dimensions, options: options,
                                       statistics: &solve)
                statistics.append(solve)
            }
            if let local {
                let largest = local.storage.reduce(Float(0)) { max($0, abs($1)) }
                let expansion = largest > 0 ? Float(halfGap) / largest : 0
                for (r, i) in members[c].enumerated() {
                    for d in 0..<dimensions { result[i, d] = local[r, d] * expansion + Float(centre[d]) }
                }
            } else {
                for i in members[c] {
                    for d in 0..<dimensions {
                        result[i, d] = Float(centre[d] + (2 * rng.nextUnitDouble() - 1) * halfGap)
                    }
                }
            }
        }
        return result
    }

    /// `layout` with the solver's knobs exposed.
    package static func layout(_ graph: SpectralGraph, dimensions: Int, seed: UInt64,
                               options: SpectralSolverOptions) throws(Failure) -> Matrix {
        var statistics = [SpectralSolveStatistics]()
        return try layout(graph, dimensions: dimensions, seed: seed, options: options, statistics: &statistics)
    }

    /// The layout of one connected graph: eigenvectors 2 … dimensions+1 of L as columns, signs fixed.
    static func connected(_ graph: SpectralGraph, dimensions: Int, options: SpectralSolverOptions,
                          statistics: inout SpectralSolveStatistics) throws(Failure) -> Matrix {
        let n = graph.count
        let (_, vectors) = try SpectralEigensolver.smallest(NormalisedAdjacency(graph), k: dimensions + 1,
                                                            options: options, statistics: &statistics)
        var result = Matrix(rows: n, columns: dimensions)
        for d in 0..<dimensions {
            let v = vectors[((d + 1) * n)..<((d + 2) * n)]
            // The first entry of largest magnitude is made positive.
            var peak = v.startIndex
            for i in v.indices where abs(v[i]) > abs(v[peak]) { peak = i }
            let sign: Double = v[peak] < 0 ? -1 : 1
            for (r, i) in v.indices.enumerated() { result[r, d] = Float(sign * v[i]) }
        }
        return result
    }

    /// umap-learn's rule for a component too small for its own spectral layout.
    static func isTiny(_ size: Int, dimensions: Int) -> Bool { size < 2 * dimensions || size <= dimensions + 1 }

    /// umap-learn's component centres: ±eᵢ for up to 2·dimensions components, else uniform in [0, 10)^d.
    static func componentCentres(_ count: Int, dimensions: Int, rng: inout SeededGenerator) -> [[Double]] {
        if count <= 2 * dimensions {
            let half = (count + 1) / 2
            let base = (0..<half).map { k in (0..<dimensions).map { $0 == k ? 1.0 : 0.0 } }
            return Array((base + base.map { $0.map { -$0 } }).prefix(count))
        }
        return (0..<count).map { _ in (0..<dimensions).map { _ in 10 * rng.nextUnitDouble() } }
    }

    /// Half the distance from centre `c` to the nearest centre at a positive distance (1 if none).
    static func halfDistanceToNearest(_ c: Int, _ centres: [[Double]]) -> Double {
        var nearest = Double.infinity
        for (j, other) in centres.enumerated() where j != c {
            let d = zip(centres[c], other).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            if d > 0 { nearest = min(nearest, d) }
        }
        return nearest.isFinite ? nearest / 2 : 1
    }
}
