import Foundation
import Linalg

/// What outlier detectors can use about a set of points: its embeddings, and where known an
/// in-distribution reference (with class labels) and the classifier's logits.
public struct DetectorInputs: Sendable {
    /// N×D.
    public var features: Matrix
    /// M×D in-distribution embeddings (e.g. of training inputs).
    public var reference: Matrix?
    /// M class labels of the reference rows (class-conditional Mahalanobis).
    public var referenceLabels: [Int]?
    /// N×C classifier logits of the points.
    public var logits: Matrix?
    /// How neighbours are found (exact or approximate; the metric of the kNN-distance and LOF scores).
    public var search: NeighbourSearch
    /// The set's own neighbour lists when a study has found them once for all its consumers.
    public var shared: SharedNeighbours?

    public init(features: Matrix, reference: Matrix? = nil, referenceLabels: [Int]? = nil, logits: Matrix? = nil,
                search: NeighbourSearch = NeighbourSearch(), shared: SharedNeighbours? = nil) {
        precondition(logits.map { $0.rows == features.rows } ?? true, "\(logits?.rows ?? 0) logit rows for \(features.rows) points")
        precondition(referenceLabels == nil || reference?.rows == referenceLabels?.count, "reference labels without their rows")
        self.features = features
        self.reference = reference
        self.referenceLabels = referenceLabels
        self.logits = logits
        self.search = search
        self.shared = shared
    }
}

/// One outlier detector: which statistic, on what. Every detector returns one score per point,
/// higher = more anomalous, and all are evaluated by the same `OutlierDetectionQuality`.
public enum OutlierDetector: Sendable, Hashable, Codable {
    /// Mean distance to the k nearest reference rows (`KNNDistanceScore`).
    case knnDistanceToReference(k: Int)
    /// Mean distance to the k nearest other rows of the set.
    case knnDistanceWithinSet(k: Int)
    /// Local outlier factor within the set (`LocalOutlierFactor`).
    case localOutlierFactor(k: Int)
    /// k-th nearest-neighbour distance of L2-normalised features to the reference (`DeepKNNScore`).
    case deepKNN(k: Int)
    /// Class-conditional Mahalanobis distance with a tied covariance (`MahalanobisScore`, reference labels).
    case mahalanobisClassConditional
    /// Mahalanobis distance to the reference's mean and covariance.
    case mahalanobis
    /// −maximum softmax probability of the logits (`SoftmaxScore`).
    case maximumSoftmax
    /// Energy −logsumexp(logits), T = 1.
    case energy

    /// A short name for tables ("deep kNN (k = 50)").
    public var name: String {
        switch self {
        case .knnDistanceToReference(let k): "kNN distance to reference (k = \(k))"
        case .knnDistanceWithinSet(let k): "kNN distance within set (k = \(k))"
        case .localOutlierFactor(let k): "local outlier factor (k = \(k))"
        case .deepKNN(let k): "deep kNN, L2-normalised (k = \(k))"
        case .mahalanobisClassConditional: "Mahalanobis, class-conditional"
        case .mahalanobis: "Mahalanobis, class-agnostic"
        case .maximumSoftmax: "maximum softmax probability"
        case .energy: "energy (T = 1)"
        }
    }

    /// The detector without its parameters.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case knnDistanceToReference, knnDistanceWithinSet, localOutlierFactor, deepKNN, mahalanobisClassConditional, mahalanobis,
             maximumSoftmax, energy
    }

    public var kind: Kind {
        switch self {
        case .knnDistanceToReference: .knnDistanceToReference
        case .knnDistanceWithinSet: .knnDistanceWithinSet
        case .localOutlierFactor: .localOutlierFactor
        case .deepKNN: .deepKNN
        case .mahalanobisClassConditional: .mahalanobisClassConditional
        case .mahalanobis: .mahalanobis
        case .maximumSoftmax: .maximumSoftmax
        case .energy: .energy
        }
    }

    /// What the scores are measured against.
    public enum Basis: String, Sendable, Codable {
        /// The in-distribution reference embeddings.
        case reference
        /// The set's own points.
        case withinSet = "within_set"
        /// The classifier's logits of each point.
        case logits
    }

    public var basis: Basis {
        switch self {
        case .knnDistanceToReference, .deepKNN, .mahalanobisClassConditional, .mahalanobis: .reference
        case .knnDistanceWithinSet, .localOutlierFactor: .withinSet
        case .maximumSoftmax, .energy: .logits
        }
    }

    /// The detectors `inputs` allow, in a fixed order: the kNN distances and LOF first (as the study
    /// has always listed them), then the literature's reference detectors, then those from logits. k values are the defaults, cut to the reference's or set's size.
    public static func available(for inputs: DetectorInputs, k: Int = 10, lofNeighbours: Int = 20,
                                 deepK: Int = DeepKNNScore.defaultK) -> [OutlierDetector] {
        var detectors: [OutlierDetector] = []
        let n = inputs.features.rows
        let reference = inputs.reference.flatMap { $0.rows >= 2 ? $0 : nil }
        if let reference { detectors.append(.knnDistanceToReference(k: min(k, reference.rows))) }
        if n >= 3 {
            detectors.append(.knnDistanceWithinSet(k: min(k, n - 1)))
            detectors.append(.localOutlierFactor(k: min(lofNeighbours, n - 1)))
        }
        if let reference {
            detectors.append(.deepKNN(k: min(deepK, reference.rows)))
            if let labels = inputs.referenceLabels, Set(labels).count >= 2 { detectors.append(.mahalanobisClassConditional) }
            detectors.append(.mahalanobis)
        }
        if let logits = inputs.logits, logits.columns >= 2 {
            detectors.append(.maximumSoftmax)
            detectors.append(.energy)
        }
        return detectors
    }

    /// The k of the within-set neighbour lists this detector reads (nil: it reads none).
    public var withinSetNeighbours: Int? {
        switch self {
        case .knnDistanceWithinSet(let k), .localOutlierFactor(let k): k
        default: nil
        }
    }

    /// One score per point, higher = more anomalous.
    /// - Parameter withinSet: the set's own neighbour lists (`withinSet(_:k:_:)`) for a k at least the
    ///   detector's, when the caller has them (`evaluate` finds them once for all detectors: at a
    ///   million rows one search is minutes); found here otherwise.
    /// - Throws: `EmbedVizError.input` when the inputs lack what the detector needs, or as the
    ///   underlying score does.
    public func scores(_ inputs: DetectorInputs, withinSet lists: NearestNeighbours? = nil) throws(EmbedVizError) -> [Double] {
        let x = inputs.features
        func reference() throws(EmbedVizError) -> Matrix {
            guard let r = inputs.reference else { throw EmbedVizError.input("\(name) needs \(parameter: "reference", of: "DetectorInputs") embeddings") }
            return r
        }
        func logits() throws(EmbedVizError) -> Matrix {
            guard let l = inputs.logits else { throw EmbedVizError.input("\(name) needs \(parameter: "logits", of: "DetectorInputs")") }
            return l
        }
        switch self {
        case .knnDistanceToReference(let k):
            let index = try NeighbourIndex(reference: try reference(), search: inputs.search)
            return KNNDistanceScore.scores(Self.metricDistances(try index.neighbours(of: x, k: k), inputs.search.metric))
        case .knnDistanceWithinSet(let k):
            return KNNDistanceScore.scores(try Self.withinSet(x, k: k, inputs.search, from: lists))
        case .localOutlierFactor(let k):
            return LocalOutlierFactor.scores(try Self.withinSet(x, k: k, inputs.search, from: lists))
        case .deepKNN(let k):
            return try DeepKNNScore.scores(x, reference: try reference(), k: k, search: inputs.search)
        case .mahalanobisClassConditional:
            guard let labels = inputs.referenceLabels else {
                throw EmbedVizError.input("\(name) needs \(parameter: "referenceLabels", of: "DetectorInputs")")
            }
            return try MahalanobisScore(reference: try reference(), labels: labels).scores(x)
        case .mahalanobis:
            return try MahalanobisScore(reference: try reference()).scores(x)
        case .maximumSoftmax:
            return try SoftmaxScore.maximumSoftmax(try logits())
        case .energy:
            return try SoftmaxScore.energy(try logits())
        }
    }

    /// The k nearest other rows of each row, their `squaredDistances` the squares of the metric's
    /// distance (Euclidean: as found; cosine: (1 − cos θ)²), so kNN-distance and LOF scores use the
    /// metric's own distance, as scikit-learn's `metric="cosine"` does.
    public static func withinSet(_ x: Matrix, k: Int, _ search: NeighbourSearch, shared: SharedNeighbours? = nil) throws(EmbedVizError) -> NearestNeighbours {
        metricDistances(try NearestNeighbours.find(x, k: k, search: search, shared: shared).0, search.metric)
    }

    /// The same, as the first k of `lists` (already `withinSet`'s lists, for a k at least this one) when given.
    static func withinSet(_ x: Matrix, k: Int, _ search: NeighbourSearch, from lists: NearestNeighbours?) throws(EmbedVizError) -> NearestNeighbours {
        if let lists, lists.k >= k { return lists.prefix(k) }
        return try withinSet(x, k: k, search)
    }

    static func metricDistances(_ lists: NearestNeighbours, _ metric: NeighbourSearch.Metric) -> NearestNeighbours {
        guard metric == .cosine else { return lists }
        var squared = lists
        for e in squared.squaredDistances.indices { squared.squaredDistances[e] *= squared.squaredDistances[e] }
        return squared
    }
}

/// One detector's scores and how well they find the known outliers.
public struct DetectorResult: Sendable {
    public var detector: OutlierDetector
    public var scores: [Double]
    /// nil when the points have no known outliers (or only outliers).
    public var quality: OutlierDetectionQuality?
}

extension OutlierDetector {
    /// Scores every detector on `inputs` and evaluates each against `isNoise` (precision/recall at
    /// n = the number of true outliers, AUROC, FPR95): the one evaluation all detectors share. The
    /// within-set detectors share one neighbour search, for the largest k among them (each reads
    /// its first k: exact lists are sorted, so they are the lists a search for k would give).
    public static func evaluate(_ detectors: [OutlierDetector], on inputs: DetectorInputs,
                                isNoise: [Bool]?) throws(EmbedVizError) -> [DetectorResult] {
        let outliers = isNoise?.filter { $0 }.count ?? 0
        var withinSet: NearestNeighbours?
        if let k = detectors.compactMap(\.withinSetNeighbours).max() { withinSet = try Self.withinSet(inputs.features, k: k, inputs.search, shared: inputs.shared) }
        var results: [DetectorResult] = []
        for detector in detectors {
            let scores = try detector.scores(inputs, withinSet: withinSet)
            var quality: OutlierDetectionQuality?
            if let isNoise, outliers > 0, outliers < isNoise.count {
                quality = try OutlierDetectionQuality.evaluate(scores: scores, isNoise: isNoise)
            }
            results.append(DetectorResult(detector: detector, scores: scores, quality: quality))
        }
        return results
    }

    /// The detector to lead with, from measured qualities: the highest AUROC, then the lowest FPR95,
    /// then the earliest in `results` (nil when nothing was measured).
    public static func lead(_ results: [DetectorResult]) -> Int? {
        var best: Int?
        for (i, r) in results.enumerated() {
            guard let q = r.quality, !q.auroc.isNaN else { continue }
            guard let b = best, let bq = results[b].quality else { best = i; continue }
            if q.auroc > bq.auroc || (q.auroc == bq.auroc && (q.fprAt95 < bq.fprAt95 || (bq.fprAt95.isNaN && !q.fprAt95.isNaN))) {
                best = i
            }
        }
        return best
    }
}
