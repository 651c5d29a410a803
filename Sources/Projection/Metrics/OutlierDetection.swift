import Foundation
import Linalg

/// How well outlier scores find the known outliers (e.g. the injected noise images), from scores
/// where higher means more anomalous and the ground truth `isNoise`.
///
/// The top-n points are the n highest scores; equal scores are taken in index order and NaN ranks
/// as −∞ (`RankedSamples.order`).
public struct OutlierDetectionQuality: Sendable, Equatable, Codable {
    /// Points scored.
    public var points: Int
    /// True outliers among them.
    public var outliers: Int
    /// n: how many top-scored points were flagged (by default, as many as there are true outliers).
    public var flagged: Int
    /// True outliers among the flagged.
    public var truePositives: Int
    /// truePositives / flagged.
    public var precision: Double
    /// truePositives / outliers (NaN without outliers). With flagged = outliers it equals precision
    /// (the R-precision of information retrieval).
    public var recall: Double
    /// Area under the ROC curve of the scores (`auroc`).
    public var auroc: Double
    /// The share of true outliers still accepted as inliers when the threshold keeps 95% of the
    /// inliers (`falsePositiveRate(atInlierRate:)`): the OOD literature's FPR95. Lower is better.
    public var fprAt95: Double

    public init(points: Int, outliers: Int, flagged: Int, truePositives: Int, precision: Double, recall: Double,
                auroc: Double, fprAt95: Double = .nan) {
        (self.points, self.outliers, self.flagged, self.truePositives) = (points, outliers, flagged, truePositives)
        (self.precision, self.recall, self.auroc, self.fprAt95) = (precision, recall, auroc, fprAt95)
    }

    /// Precision and recall of the top `flagged` points (default: the number of true outliers) and
    /// the AUROC.
    /// - Throws: `EmbedVizError.input` when `flagged` is not in 1...N, or is defaulted and there
    ///   are no true outliers.
    public static func evaluate(scores: [Double], isNoise: [Bool], flagged: Int? = nil) throws(EmbedVizError) -> OutlierDetectionQuality {
        precondition(scores.count == isNoise.count, "\(scores.count) scores for \(isNoise.count) labels")
        let outliers = isNoise.reduce(0) { $0 + ($1 ? 1 : 0) }
        let n = flagged ?? outliers
        let truePositives = try hits(scores: scores, isNoise: isNoise, top: n)
        return OutlierDetectionQuality(
            points: scores.count, outliers: outliers, flagged: n, truePositives: truePositives,
            precision: Double(truePositives) / Double(n),
            recall: outliers > 0 ? Double(truePositives) / Double(outliers) : .nan,
            auroc: auroc(scores: scores, isNoise: isNoise),
            fprAt95: falsePositiveRate(atInlierRate: 0.95, scores: scores, isNoise: isNoise))
    }

    /// The fraction of true outliers among the `n` highest scores (precision@n).
    /// - Throws: `EmbedVizError.input` when n is not in 1...N.
    public static func precision(at n: Int, scores: [Double], isNoise: [Bool]) throws(EmbedVizError) -> Double {
        precondition(scores.count == isNoise.count, "\(scores.count) scores for \(isNoise.count) labels")
        return Double(try hits(scores: scores, isNoise: isNoise, top: n)) / Double(n)
    }

    /// The area under the ROC curve: the probability that a random true outlier scores higher than
    /// a random inlier, ties counting one half. Computed as the Mann–Whitney U statistic with
    /// average ranks for tied scores (Hanley & McNeil 1982, "The meaning and use of the area under
    /// a receiver operating characteristic (ROC) curve", Radiology 143): AUROC = U / (n₊·n₋),
    /// U = Σ ranks of the outliers − n₊(n₊ + 1)/2. Equals scikit-learn's `roc_auc_score(isNoise,
    /// scores)`. NaN when either class is empty; NaN scores rank as −∞.
    public static func auroc(scores: [Double], isNoise: [Bool]) -> Double {
        precondition(scores.count == isNoise.count, "\(scores.count) scores for \(isNoise.count) labels")
        let positives = isNoise.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negatives = scores.count - positives
        guard positives > 0, negatives > 0 else { return .nan }
        let keys = scores.map { $0.isNaN ? -Double.infinity : $0 }
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        var rankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && keys[order[end]] == keys[order[start]] { end += 1 }
            let averageRank = Double(start + 1 + end) / 2  // ranks start+1 … end, 1-based
            for e in start..<end where isNoise[order[e]] { rankSum += averageRank }
            start = end
        }
        let u = rankSum - Double(positives) * Double(positives + 1) / 2
        return u / (Double(positives) * Double(negatives))
    }

    /// FPR at `rate` TPR in the convention of the out-of-distribution literature (Hendrycks &
    /// Gimpel 2017; Liu et al. 2020; Sun et al. 2022), where the *in-distribution* points are the
    /// positives: the threshold is the lowest score that still accepts (score ≤ threshold) at least
    /// `rate` of the inliers, and the result is the share of true outliers accepted with them.
    /// Equals scikit-learn's `fpr, tpr, _ = roc_curve(~isNoise, -scores); fpr[searchsorted(tpr, rate)]`
    /// (the first ROC point whose TPR reaches `rate`). NaN when either class is empty; NaN scores
    /// rank as −∞ (accepted first).
    public static func falsePositiveRate(atInlierRate rate: Double, scores: [Double], isNoise: [Bool]) -> Double {
        precondition(scores.count == isNoise.count, "\(scores.count) scores for \(isNoise.count) labels")
        precondition(rate > 0 && rate <= 1, "the inlier rate must be in (0, 1], got \(rate)")
        let keys = scores.map { $0.isNaN ? -Double.infinity : $0 }
        let inliers = keys.indices.filter { !isNoise[$0] }.map { keys[$0] }.sorted()
        let outliers = keys.indices.filter { isNoise[$0] }.map { keys[$0] }
        guard !inliers.isEmpty, !outliers.isEmpty else { return .nan }
        // The smallest count of accepted inliers that reaches the rate, and the score that accepts them.
        let needed = Int((rate * Double(inliers.count)).rounded(.up))
        let threshold = inliers[max(needed, 1) - 1]
        return Double(outliers.filter { $0 <= threshold }.count) / Double(outliers.count)
    }

    /// True outliers among the top `n` scores.
    static func hits(scores: [Double], isNoise: [Bool], top n: Int) throws(EmbedVizError) -> Int {
        guard n >= 1, n <= scores.count else {
            throw EmbedVizError.input("cannot flag the top \(n) of \(scores.count) points; n must be in 1…\(scores.count)"
                                      + (n == 0 ? " (there are no true outliers to set the default n)" : ""))
        }
        return RankedSamples.order(scores, top: n).reduce(0) { $0 + (isNoise[$1] ? 1 : 0) }
    }
}
