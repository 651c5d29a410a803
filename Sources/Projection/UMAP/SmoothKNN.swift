import Foundation
import Linalg

/// Each point's local metric (McInnes, Healy & Melville 2018, §3.1; umap-learn's `smooth_knn_dist`
/// and `compute_membership_strengths`): ρᵢ, the distance to the nearest neighbour at a non-zero
/// distance (local connectivity 1), and σᵢ, found by bisection so that
///
///     Σ_{j = 1}^{k−1} exp(−max(0, dᵢⱼ − ρᵢ) / σᵢ) = log₂ k,
///
/// over the list's entries after its first (in a fit the first is the point itself, at distance 0:
/// umap-learn's `n_neighbors` counts it). The membership strength of edge i → j is then
/// exp(−max(0, dᵢⱼ − ρᵢ) / σᵢ) (1 within ρᵢ), 0 for the point itself.
///
/// umap-learn's details, kept: at most 64 bisection steps, stopping when the sum is within 1e-5 of
/// the target; σ doubles while no upper bound is known; σᵢ is at least 1e-3 × the mean distance of
/// row i (or, when ρᵢ = 0, of all rows) (`MIN_K_DIST_SCALE`).
enum SmoothKNN {
    /// umap-learn's `SMOOTH_K_TOLERANCE`.
    static let tolerance = 1e-5
    /// umap-learn's `MIN_K_DIST_SCALE`.
    static let minimumScale = 1e-3
    static let iterations = 64

    /// ρ and σ of every row of `distances` (rows × k, ascending within each row; distances, not
    /// squared), for a neighbourhood of `k` points (log₂ k is the target; usually the list's length).
    static func calibrate(distances: [Float], rows: Int, k: Int, localConnectivity: Double = 1,
                          bandwidth: Double = 1) -> (rho: [Float], sigma: [Float]) {
        precondition(distances.count == rows * k, "\(distances.count) distances do not fit \(rows)×\(k)")
        let target = log2(Double(k)) * bandwidth
        var rho = [Float](repeating: 0, count: rows), sigma = [Float](repeating: 0, count: rows)
        guard rows > 0 else { return (rho, sigma) }
        var total = 0.0
        for d in distances { total += Double(d) }
        let meanDistance = total / Double(distances.count)
        distances.withUnsafeBufferPointer { dist in
            rho.withUnsafeMutableBufferPointer { rhoOut in
                sigma.withUnsafeMutableBufferPointer { sigmaOut in
                    let (dist, rhoOut, sigmaOut) = (UncheckedSendable(dist), UncheckedSendable(rhoOut), UncheckedSendable(sigmaOut))
                    Threads.parallelFor(rows, minimumChunk: 1024) { range in
                        for i in range {
                            let row = UnsafeBufferPointer(rebasing: dist.value[(i * k)..<((i + 1) * k)])
                            let (r, s) = calibrateRow(row, target: target, localConnectivity: localConnectivity,
                                                      meanDistance: meanDistance)
                            rhoOut.value[i] = r
                            sigmaOut.value[i] = s
                        }
                    }
                }
            }
        }
        return (rho, sigma)
    }

    /// ρ and σ of one row (umap-learn's loop body).
    static func calibrateRow(_ row: UnsafeBufferPointer<Float>, target: Double, localConnectivity: Double,
                             meanDistance: Double) -> (rho: Float, sigma: Float) {
        let nonZero = row.filter { $0 > 0 }
        var rho: Float = 0
        if Double(nonZero.count) >= localConnectivity {
            let index = Int(localConnectivity.rounded(.down))
            let interpolation = localConnectivity - Double(index)
            if index > 0 {
                rho = nonZero[index - 1]
                if interpolation > tolerance {
                    rho += Float(interpolation) * (nonZero[index] - nonZero[index - 1])
                }
            } else {
                rho = Float(interpolation) * nonZero[0]
            }
        } else if let largest = nonZero.max() {
            rho = largest
        }
        var (lo, hi, mid) = (0.0, Double.greatestFiniteMagnitude, 1.0)
        for _ in 0..<iterations {
            var sum = 0.0
            for j in 1..<max(row.count, 1) {
                let d = row[j] - rho
                sum += d > 0 ? exp(-(Double(d) / mid)) : 1
            }
            if abs(sum - target) < tolerance { break }
            if sum > target {
                hi = mid
                mid = (lo + hi) / 2
            } else {
                lo = mid
                mid = hi == .greatestFiniteMagnitude ? mid * 2 : (lo + hi) / 2
            }
        }
        var sigma = Float(mid)
        if rho > 0 {
            var rowTotal = 0.0
            for d in row { rowTotal += Double(d) }
            sigma = max(sigma, Float(minimumScale * rowTotal / Double(row.count)))
        } else {
            sigma = max(sigma, Float(minimumScale * meanDistance))
        }
        return (rho, sigma)
    }

    /// The membership strength of an edge at `distance` from a point with `rho` and `sigma`.
    @inline(__always)
    static func membership(distance: Float, rho: Float, sigma: Float) -> Float {
        let d = distance - rho
        return d <= 0 || sigma == 0 ? 1 : Float(exp(-Double(d) / Double(sigma)))
    }
}
