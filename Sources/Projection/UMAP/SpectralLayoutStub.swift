import Linalg

// TEMPORARY stand-in for `SpectralLayout.swift`, which the spectral-initialisation work delivers
// with exactly this signature (ARPACK on the normalised Laplacian). Until it lands, every spectral
// initialisation fails and UMAP falls back to its random initialisation, as umap-learn does when its
// eigensolver fails. The integrator deletes this file when the real one is merged.
package enum SpectralLayout {
    /// Smallest non-trivial eigenvectors of the normalised Laplacian of a symmetric graph given as CSR
    /// (row i's entries are columns[rowStart[i]..<rowStart[i+1]], weights > 0, no self loops).
    /// Returns an n × dimensions Matrix (row-major Float), raw eigenvectors (umap-learn's spectral_layout,
    /// disconnected components laid out as umap-learn's multi_component_layout); throws SpectralLayout.Failure
    /// when the eigensolver does not converge (caller falls back to random init, as umap-learn does).
    package static func layout(count n: Int, rowStart: [Int], columns: [Int32], weights: [Float],
                               dimensions: Int, seed: UInt64) throws -> Matrix {
        throw Failure(reason: "the spectral layout is not built into this version yet")
    }

    package struct Failure: Error { package let reason: String }
}
