import Foundation
import Linalg

/// The local outlier factor (Breunig, Kriegel, Ng & Sander 2000, "LOF: identifying density-based
/// local outliers", SIGMOD): how much sparser a point's neighbourhood is than its neighbours'.
///
/// With d_k(j) the distance of j to its k-th nearest neighbour, the reachability distance
/// reach(i, j) = max(‖xᵢ − xⱼ‖, d_k(j)), the local reachability density
/// lrd(i) = 1 / (mean_{j ∈ N_k(i)} reach(i, j) + 1e-10), and
/// LOF(i) = mean_{j ∈ N_k(i)} lrd(j) / lrd(i): about 1 inside a cluster, well above 1 for outliers.
/// This is scikit-learn's definition: `LocalOutlierFactor(n_neighbors=k).fit(X)` has
/// `negative_outlier_factor_ = −LOF`, with exactly k neighbours per point (not Breunig's
/// k-distance neighbourhood, which also admits every point tied with the k-th), and the 1e-10
/// that keeps lrd finite when more than k points coincide. Higher = more anomalous.
public enum LocalOutlierFactor {
    /// LOF of every row of `x` (N×D) with k neighbours (default 20, scikit-learn's default).
    /// - Throws: `EmbedVizError.input` when k is not in 1..<N.
    public static func scores(_ x: Matrix, k: Int = 20) throws(EmbedVizError) -> [Double] {
        scores(try NearestNeighbours.exact(x, k: k))
    }

    /// The same from precomputed neighbour lists (all k are used; `prefix` selects fewer).
    public static func scores(_ neighbours: NearestNeighbours) -> [Double] {
        let (n, k) = (neighbours.count, neighbours.k)
        let kDistance = (0..<n).map { Double(neighbours.squaredDistances[$0 * k + k - 1]).squareRoot() }
        let density = (0..<n).map { i in
            var sum = 0.0
            for c in 0..<k {
                let j = Int(neighbours.indices[i * k + c])
                sum += max(Double(neighbours.squaredDistances[i * k + c]).squareRoot(), kDistance[j])
            }
            return 1 / (sum / Double(k) + 1e-10)
        }
        return (0..<n).map { i in
            var sum = 0.0
            for j in neighbours.neighbours(of: i) { sum += density[Int(j)] }
            return sum / Double(k) / density[i]
        }
    }
}
