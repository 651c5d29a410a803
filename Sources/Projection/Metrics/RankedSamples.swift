import Foundation

/// One row of a ranked table of samples: which sample, its score, and what the caller attached.
public struct RankedSample<Metadata> {
    /// 1 = the highest score.
    public var rank: Int
    /// Row index of the sample in the dataset.
    public var index: Int
    /// The score it was ranked by (an outlier score, a confidence).
    public var score: Double
    /// Whatever the caller passed through for this sample (target, prediction, file name, …).
    public var metadata: Metadata

    public init(rank: Int, index: Int, score: Double, metadata: Metadata) {
        self.rank = rank
        self.index = index
        self.score = score
        self.metadata = metadata
    }
}

extension RankedSample: Sendable where Metadata: Sendable {}
extension RankedSample: Equatable where Metadata: Equatable {}
extension RankedSample: Encodable where Metadata: Encodable {}

/// A prediction that disagrees with its target.
public struct Misclassification: Sendable, Equatable, Codable {
    public var target: Int
    public var prediction: Int

    public init(target: Int, prediction: Int) {
        self.target = target
        self.prediction = prediction
    }
}

/// Tables of the samples worth looking at: the most anomalous, the most confidently wrong.
public enum RankedSamples {
    /// The `count` highest-scored samples, highest first, each with `metadata(index)`.
    ///
    /// Example: `mostAnomalous(scores: lof, count: 20) { (target: targets[$0], prediction: predictions[$0]) }`.
    public static func mostAnomalous<Metadata>(scores: [Double], count: Int,
                                               metadata: (Int) -> Metadata) -> [RankedSample<Metadata>] {
        order(scores, top: count).enumerated().map { rank, i in
            RankedSample(rank: rank + 1, index: i, score: scores[i], metadata: metadata(i))
        }
    }

    /// The `count` misclassified samples with the highest confidence (e.g. the top softmax
    /// probability), most confident first; the score of each row is its confidence. Samples marked
    /// in `exclude` (e.g. noise images, whose target is no class the model knows) are left out.
    public static func mostConfidentlyMisclassified(targets: [Int], predictions: [Int], confidences: [Double],
                                                    count: Int, exclude: [Bool]? = nil) -> [RankedSample<Misclassification>] {
        precondition(targets.count == predictions.count && targets.count == confidences.count
                     && (exclude?.count ?? targets.count) == targets.count,
                     "\(targets.count) targets, \(predictions.count) predictions, \(confidences.count) confidences")
        let wrong = targets.indices.filter { targets[$0] != predictions[$0] && !(exclude?[$0] ?? false) }
        let ranked = order(wrong.map { confidences[$0] }, top: count)
        return ranked.enumerated().map { rank, w in
            let i = wrong[w]
            return RankedSample(rank: rank + 1, index: i, score: confidences[i],
                                metadata: Misclassification(target: targets[i], prediction: predictions[i]))
        }
    }

    /// Indices of the `top` highest scores (all when `top ≥ count`), highest first; equal scores in
    /// index order; NaN ranks as −∞ (last).
    public static func order(_ scores: [Double], top: Int) -> [Int] {
        let keys = scores.map { $0.isNaN ? -Double.infinity : $0 }
        let sorted = scores.indices.sorted { keys[$0] > keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
        return Array(sorted.prefix(max(top, 0)))
    }
}
