import Foundation
import Linalg

/// Outlier scores from the distances to each point's k nearest neighbours, computed on the
/// embeddings themselves (e.g. the 100-d features), not on a 2-D picture of them: a point far
/// from its nearest neighbours lies in an empty region of feature space.
///
/// Two statistics are common: the distance to the k-th neighbour (Ramaswamy, Rastogi & Shim 2000,
/// "Efficient algorithms for mining outliers from large data sets", SIGMOD) and the mean distance
/// to the k nearest (Angiulli & Pizzuti 2002, "Fast outlier detection in high dimensional spaces",
/// PKDD). The default is the mean: it averages k distances instead of trusting one, so it
/// fluctuates less with k and with a single close or far neighbour. Higher = more anomalous.
public enum KNNDistanceScore {
    public enum Statistic: String, Sendable, CaseIterable, Codable {
        /// Mean Euclidean distance to the k nearest neighbours (default).
        case mean
        /// Euclidean distance to the k-th nearest neighbour.
        case kth
    }

    /// Scores of every row of `x` (N×D) from its k nearest other rows (default k = 10).
    /// - Throws: `EmbedVizError.input` when k is not in 1..<N.
    public static func scores(_ x: Matrix, k: Int = 10, statistic: Statistic = .mean) throws(EmbedVizError) -> [Double] {
        scores(try NearestNeighbours.exact(x, k: k), statistic: statistic)
    }

    /// Scores of every row of `queries` from its k nearest rows of a `reference` set: the distance of
    /// each sample to known in-distribution data, e.g. test embeddings against training embeddings
    /// (Sun, Ming, Zhu & Li 2022, "Out-of-distribution detection with deep nearest neighbors", ICML).
    /// Unlike scores within one set, this finds outliers that form a tight group of their own — such
    /// as many injected noise images, whose nearest neighbours are each other.
    public static func scores(_ queries: Matrix, reference: Matrix, k: Int = 10,
                              statistic: Statistic = .mean) throws(EmbedVizError) -> [Double] {
        scores(try NearestNeighbours.exact(queries, among: reference, k: k), statistic: statistic)
    }

    /// The same from precomputed neighbour lists (all k are used; `prefix` selects fewer).
    public static func scores(_ neighbours: NearestNeighbours, statistic: Statistic = .mean) -> [Double] {
        let k = neighbours.k
        return (0..<neighbours.count).map { i in
            let row = neighbours.squaredDistances[(i * k)..<((i + 1) * k)]
            switch statistic {
            case .kth: return Double(row.last!).squareRoot()
            case .mean: return row.reduce(0.0) { $0 + Double($1).squareRoot() } / Double(k)
            }
        }
    }
}
