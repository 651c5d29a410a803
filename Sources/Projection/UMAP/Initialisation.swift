import Foundation
import Linalg

/// UMAP's starting maps, as umap-learn's `simplicial_set_embedding` makes them: spectral or PCA
/// coordinates scaled so that the largest |coordinate| is 10, plus Gaussian noise of standard
/// deviation 1e-4 (`noisy_scale_coords`); random ones uniform in [−10, 10); given ones as they are,
/// unless some rows coincide (then with noise of 0.001 × the mean nearest-neighbour distance). Every
/// start is then scaled per column onto [0, 10].
enum UMAPStart {
    /// The starting map (N×d, row-major) and what was used (spectral falls back to random when the
    /// eigensolver fails: `fallback` says why).
    static func make(_ initialization: UMAPInitialization, input x: Matrix, graph: FuzzyGraph, dimensions d: Int,
                     seed: UInt64) throws -> (coordinates: [Float], used: String, fallback: String?) {
        let n = x.rows
        var rng = SeededGenerator(seed: seed ^ 0x1_0000_5EED)
        var coordinates: [Float]
        var used = initialization.name, fallback: String?
        switch initialization {
        case .random:
            coordinates = random(n * d, &rng)
        case .pca:
            guard d <= min(n, x.columns) else {
                throw EmbedVizError.input("PCA initialisation needs at least \(d) input columns and points; use \(parameter: "initialization", of: "UMAP") random")
            }
            coordinates = noisyScaled(try PCA(components: d).fit(x).transform(x).storage, &rng)
        case .spectral:
            do {
                let layout = try SpectralLayout.layout(count: n, rowStart: graph.rowStart, columns: graph.columns, weights: graph.weights,
                                                       dimensions: d, seed: seed)
                precondition(layout.rows == n && layout.columns == d, "a spectral layout of \(layout.rows)×\(layout.columns) for \(n)×\(d)")
                coordinates = noisyScaled(layout.storage, &rng)
            } catch let failure as SpectralLayout.Failure {
                (used, fallback) = ("random", "spectral initialisation failed (\(failure.reason)); random initialisation instead")
                coordinates = random(n * d, &rng)
            }
        case .given(let y):
            guard y.rows == n, y.columns == d else {
                throw EmbedVizError.input("the initial map is \(y.rows)×\(y.columns), expected \(n)×\(d)")
            }
            try y.requireFinite("initial map")
            coordinates = y.storage
            if hasRepeatedRows(y) {
                let lists = try NearestNeighbours.exact(y, k: 1)
                let meanDistance = lists.squaredDistances.reduce(0.0) { $0 + Double($1).squareRoot() } / Double(n)
                for i in coordinates.indices { coordinates[i] += Float(rng.normal() * 0.001 * meanDistance) }
            }
        }
        return (scaledToBox(coordinates, dimensions: d), used, fallback)
    }

    /// Uniform in [−10, 10).
    static func random(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in rng.uniform(-10, 10) }
    }

    /// umap-learn's `noisy_scale_coords`: scaled so that max |c| = 10, plus N(0, 1e-4²) noise.
    static func noisyScaled(_ coordinates: [Float], _ rng: inout SeededGenerator) -> [Float] {
        let largest = coordinates.reduce(Float(0)) { max($0, abs($1)) }
        let expansion = largest > 0 ? 10 / largest : 1
        return coordinates.map { $0 * expansion + Float(rng.normal() * 1e-4) }
    }

    /// Each column mapped linearly onto [0, 10] (a constant column to 0).
    static func scaledToBox(_ coordinates: [Float], dimensions d: Int) -> [Float] {
        var out = coordinates
        let n = coordinates.count / max(d, 1)
        for c in 0..<d {
            var (lo, hi) = (Float.infinity, -Float.infinity)
            for i in 0..<n {
                lo = min(lo, coordinates[i * d + c])
                hi = max(hi, coordinates[i * d + c])
            }
            let scale = hi > lo ? 10 / (hi - lo) : 0
            for i in 0..<n { out[i * d + c] = (coordinates[i * d + c] - lo) * scale }
        }
        return out
    }

    static func hasRepeatedRows(_ y: Matrix) -> Bool {
        var seen = Set<[Float]>()
        for i in 0..<y.rows where !seen.insert(Array(y.row(i))).inserted { return true }
        return false
    }
}
