import Foundation
import Linalg

/// Deep nearest-neighbour out-of-distribution scores (Sun, Ming, Zhu & Li 2022, "Out-of-distribution
/// detection with deep nearest neighbors", ICML): every feature vector is scaled to unit length, and
/// a point's score is its Euclidean distance to the k-th nearest normalised reference vector
/// (k = 50, the paper's choice for CIFAR-10 with the full training set). Higher = more anomalous.
///
/// For unit vectors ‖â − b̂‖ = √(2(1 − cos θ)), so the neighbours are the cosine neighbours of the
/// project's engine (`NeighbourSearch.Metric.cosine`, exact or HNSW as the search says), and the
/// score is that chord length.
public enum DeepKNNScore {
    /// The paper's k.
    public static let defaultK = 50

    /// Scores of every row of `queries` (N×D) against the in-distribution `reference` (M×D).
    /// - Throws: `EmbedVizError.input` unless 1 ≤ k ≤ M, for non-finite data or a zero row (it has no
    ///   direction to normalise).
    public static func scores(_ queries: Matrix, reference: Matrix, k: Int = defaultK,
                              search: NeighbourSearch = NeighbourSearch()) throws(EmbedVizError) -> [Double] {
        var cosine = search
        cosine.metric = .cosine
        let index = try NeighbourIndex(reference: reference, search: cosine)
        return scores(try index.neighbours(of: queries, k: k))
    }

    /// Scores of every row of `x` from its k nearest *other* rows: the variant for a set without a
    /// reference (as the within-set kNN distance, a tight group of outliers hides itself).
    /// - Throws: `EmbedVizError.input` unless 1 ≤ k < N, for non-finite data or a zero row.
    public static func scores(_ x: Matrix, k: Int = defaultK,
                              search: NeighbourSearch = NeighbourSearch()) throws(EmbedVizError) -> [Double] {
        var cosine = search
        cosine.metric = .cosine
        return scores(try NearestNeighbours.find(x, k: k, search: cosine).0)
    }

    /// The scores from cosine neighbour lists (distances 1 − cos θ), k-th column.
    public static func scores(_ cosineNeighbours: NearestNeighbours) -> [Double] {
        let k = cosineNeighbours.k
        return (0..<cosineNeighbours.count).map { i in
            (2 * max(Double(cosineNeighbours.squaredDistances[i * k + k - 1]), 0)).squareRoot()
        }
    }
}
