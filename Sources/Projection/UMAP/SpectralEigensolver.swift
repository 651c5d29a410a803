import CARPACK
import Foundation
import Linalg

// The k smallest eigenpairs of a connected graph's normalised Laplacian L = I − M, by ARPACK's
// implicitly restarted Lanczos (dsaupd/dseupd, reverse communication: ARPACK asks for y = OP·x,
// we compute it with the parallel CSR mat-vec of `NormalisedAdjacency`), or by dense LAPACK for
// small components.
//
// Two ways to pose the same problem (L and M share eigenvectors, λ_L = 1 − μ_M):
//   • `.smallestOfLaplacian`: eigsh(L, which = "SM"), umap-learn's call.
//   • `.largestOfAdjacency`: eigsh(M, which = "LA"). Lanczos is shift-invariant, so both build the
//     same Krylov spaces; what differs is ARPACK's stopping test, ‖r‖ ≤ tol·max(ε^{2/3}, |θ|). For
//     L the wanted Ritz values θ are near 0 (the trivial one exactly 0), so "SM" asks for residuals
//     ~1e4× smaller than tol; for M they are near 1, so "LA" stops at ‖r‖ ≤ tol.
// The default, "LA" with at most 64 Lanczos vectors, is chosen by measurement (SpectralLayout.swift).
//
// ARPACK keeps its iteration state in Fortran SAVE variables: one solve at a time per process
// (`solverLock`). Its BLAS calls (OpenBLAS through liblapack/libblas) run inside a BLAS section.

/// How to compute the spectral embedding's eigenvectors (internal knobs; the defaults are umap-learn's
/// except where a measurement says otherwise).
package struct SpectralSolverOptions: Sendable {
    package enum Problem: String, Sendable, CaseIterable {
        /// eigsh(L, k, which = "SM"): umap-learn.
        case smallestOfLaplacian
        /// eigsh(M, k, which = "LA"), M = I − L.
        case largestOfAdjacency
    }
    package var problem = Problem.largestOfAdjacency
    /// ARPACK's relative tolerance on the Ritz residuals (umap-learn: 1e-4).
    package var tolerance = 1e-4
    /// Restart iterations; nil → 5n (umap-learn).
    package var maxIterations: Int? = nil
    /// Lanczos basis size; nil → max(2k + 1, min(⌊√n⌋, 64)), at most n. umap-learn takes max(2k + 1, ⌊√n⌋):
    /// its n × ncv basis grows as n^{3/2} (8 GB at 1M points) and ARPACK's reorthogonalisation against it
    /// dominates the time (see SpectralLayout.swift for the measurements behind the cap).
    package var lanczosVectors: Int? = nil
    package static let lanczosVectorCap = 64
    /// Components of at most this many vertices are solved densely (LAPACK dsyevd): exact, and cheaper
    /// than Lanczos there. 0 sends every component through ARPACK.
    package var denseUpTo = 256

    package init() {}
}

/// What one eigensolve did (for measurements and tests).
package struct SpectralSolveStatistics: Sendable, Equatable {
    package var dense = false
    /// ARPACK's restart iterations (iparam[2] on exit) and operator applications (iparam[8]).
    package var iterations = 0
    package var operatorApplications = 0
    package var lanczosVectors = 0
}

package enum SpectralEigensolver {
    private static let solverLock = NSLock()

    /// The `k` smallest eigenvalues of L = I − M (ascending) and their unit eigenvectors as the rows
    /// of a row-major k×n array.
    /// - Throws: `SpectralLayout.Failure` when ARPACK stops without `k` converged pairs.
    package static func smallest(_ m: NormalisedAdjacency, k: Int, options: SpectralSolverOptions,
                                 statistics: inout SpectralSolveStatistics) throws(SpectralLayout.Failure)
        -> (values: [Double], vectors: [Double]) {
        let n = m.count
        precondition(k >= 1 && k < n, "\(k) eigenpairs of a \(n)-vertex graph")
        if n <= options.denseUpTo {
            statistics.dense = true
            return try dense(m, k: k)
        }
        let ncv = min(n, options.lanczosVectors ?? max(2 * k + 1, min(Int(Double(n).squareRoot()), SpectralSolverOptions.lanczosVectorCap)))
        precondition(ncv > k, "the Lanczos basis needs more than k = \(k) vectors, got \(ncv)")
        let maxIterations = options.maxIterations ?? 5 * n
        let laplacian = options.problem == .smallestOfLaplacian
        let which = laplacian ? "SM" : "LA"

        var ido: Int32 = 0, info: Int32 = 1  // info = 1: start from `resid`
        var resid = startVector(n)
        var basis = [Double](repeating: 0, count: n * ncv)
        var iparam = [Int32](repeating: 0, count: 11)
        iparam[0] = 1  // exact shifts
        iparam[2] = Int32(clamping: maxIterations)
        iparam[6] = 1  // regular mode: OP = A, B = I
        var ipntr = [Int32](repeating: 0, count: 14)
        var workd = [Double](repeating: 0, count: 3 * n)
        let lworkl = ncv * (ncv + 8)
        var workl = [Double](repeating: 0, count: lworkl)
        var values = [Double](repeating: 0, count: k)
        var vectors = [Double](repeating: 0, count: n * k)  // column-major n×k (ARPACK's Z)
        var select = [Int32](repeating: 0, count: ncv)

        solverLock.lock()
        defer { solverLock.unlock() }
        let failure: String? = Threads.withBLASSection {
            workd.withUnsafeMutableBufferPointer { workd in
                repeat {
                    dsaupd_c(&ido, "I", Int32(n), which, Int32(k), options.tolerance, &resid, Int32(ncv),
                             &basis, Int32(n), &iparam, &ipntr, workd.baseAddress, &workl, Int32(lworkl), &info)
                    if ido == 1 || ido == -1 {
                        let x = workd.baseAddress! + Int(ipntr[0] - 1), y = workd.baseAddress! + Int(ipntr[1] - 1)
                        m.apply(x, into: y, laplacian: laplacian)
                    }
                } while ido == 1 || ido == -1
            }
            statistics.iterations = Int(iparam[2])
            statistics.operatorApplications = Int(iparam[8])
            statistics.lanczosVectors = ncv
            switch info {
            case 0: break
            case 1: return "no convergence within \(maxIterations) restarts (\(iparam[4]) of \(k) eigenpairs converged)"
            case 3: return "no shifts could be applied during a restart (the Lanczos basis of \(ncv) vectors is too small)"
            case -9999: return "the Lanczos factorisation could not be built (\(iparam[4]) vectors)"
            default: return "dsaupd returned info = \(info)"
            }
            dseupd_c(1, "A", &select, &values, &vectors, Int32(n), 0, "I", Int32(n), which, Int32(k),
                     options.tolerance, &resid, Int32(ncv), &basis, Int32(n), &iparam, &ipntr, &workd, &workl,
                     Int32(lworkl), &info)
            if info != 0 { return "dseupd returned info = \(info)" }
            if iparam[4] < Int32(k) { return "only \(iparam[4]) of \(k) eigenpairs converged" }
            return nil
        }
        if let failure { throw SpectralLayout.Failure(reason: "ARPACK: " + failure) }

        // Ascending λ_L (for M: λ = 1 − μ); ARPACK's Z columns become rows.
        let lambdas = laplacian ? values : values.map { 1 - $0 }
        let order = (0..<k).sorted { lambdas[$0] != lambdas[$1] ? lambdas[$0] < lambdas[$1] : $0 < $1 }
        var rows = [Double](repeating: 0, count: k * n)
        for (r, c) in order.enumerated() {
            for i in 0..<n { rows[r * n + i] = vectors[c * n + i] }
        }
        return (order.map { lambdas[$0] }, rows)
    }

    /// Lanczos's start: uniform in [−1, 1) from a fixed seed, so the layout is a function of the graph.
    /// Not umap-learn's v0 = ones: on a graph with a symmetry (a path, a ring, any vertex permutation
    /// fixing the weights) the Krylov space of a symmetric start stays among the symmetric vectors
    /// and misses the others (on a path, every odd eigenvector; on a regular graph ones is the trivial
    /// eigenvector itself, and ARPACK restarts from its own unseeded random vector).
    static func startVector(_ n: Int) -> [Double] {
        var rng = SeededGenerator(seed: 0x5EC7_8A1)
        return (0..<n).map { _ in 2 * rng.nextUnitDouble() - 1 }
    }

    /// All of M densely, its `k` largest eigenpairs by LAPACK (dsyevr), as the `k` smallest of L.
    private static func dense(_ m: NormalisedAdjacency, k: Int) throws(SpectralLayout.Failure) -> (values: [Double], vectors: [Double]) {
        let n = m.count
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for e in m.rowStart[i]..<m.rowStart[i + 1] { a[i * n + Int(m.columns[e])] = m.values[e] }
        }
        do {
            let top = try LAPACK.largestEigen(a, n: n, k: k)
            return (top.values.map { 1 - $0 }, top.vectors)
        } catch {
            throw SpectralLayout.Failure(reason: "LAPACK: \(error.message)")
        }
    }
}
