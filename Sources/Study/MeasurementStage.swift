import Foundation
import Linalg
import Projection

/// What was measured about one embedding set: how well outlier scores find its known outliers,
/// and how faithful and how separated each of its maps is.
public struct StudyMeasurements: Sendable, Codable {
    public struct Detection: Sendable, Codable {
        /// What a detector's scores are measured against.
        public typealias Scope = OutlierDetector.Basis

        public var method: String
        public var scope: Scope
        public var quality: OutlierDetectionQuality
        /// Which detector (nil in values made by hand).
        public var detector: OutlierDetector?

        public init(method: String, scope: Scope, quality: OutlierDetectionQuality, detector: OutlierDetector? = nil) {
            self.method = method
            self.scope = scope
            self.quality = quality
            self.detector = detector
        }
    }

    public struct Map: Sendable, Codable {
        public var name: String
        /// Trustworthiness, continuity and kNN preservation (`points` says on how many points).
        public var preservation: NeighbourhoodPreservation
        /// Leave-one-out 10-NN accuracy of the targets in the map (NaN without labels).
        public var knnAccuracy: Double
        /// DBSCAN clusters of the map (0 without labels: not measured).
        public var clusters: Int
        /// NaN without labels.
        public var adjustedRandIndex: Double
        /// How cleanly the known outliers get a cluster of their own: the largest share of them in
        /// one cluster, times the share of that cluster that they make up (1 = a cluster of exactly them).
        public var noiseClusterPurity: Double
    }

    public var model: String
    /// Every detector evaluated against the known outliers (none without known outliers), the
    /// reference kNN distance first when the set has reference embeddings.
    public var detections: [Detection]
    public var maps: [Map]
    /// Indices of the most anomalous samples by the lead detector, most anomalous first.
    public var mostAnomalous: [Int]
    public var mostAnomalousScores: [Double]
    /// Index in `detections` of the detector the report leads with: the best measured (AUROC, then
    /// FPR95); nil when nothing could be measured (then `ranking` says what ranked the samples).
    public var lead: Int?
    /// The detector that ranked `mostAnomalous`.
    public var ranking: OutlierDetector?

    public init(model: String, detections: [Detection], maps: [Map], mostAnomalous: [Int], mostAnomalousScores: [Double],
                lead: Int? = nil, ranking: OutlierDetector? = nil) {
        self.model = model
        self.detections = detections
        self.maps = maps
        self.mostAnomalous = mostAnomalous
        self.mostAnomalousScores = mostAnomalousScores
        self.lead = lead
        self.ranking = ranking
    }

    /// The lead detection, if any was measured.
    public var leadDetection: Detection? { lead.map { detections[$0] } }
}

/// Outlier detection against the set's known outliers, and the quality of its maps (PCA 2-D,
/// t-SNE 2-D and 3-D, UMAP 2-D), measured on the embeddings, not on a picture of them.
public struct MeasurementStage: Sendable {
    /// Neighbours for the kNN-distance scores and the map measures.
    public var k = 10
    /// Neighbours for the local outlier factor.
    public var lofNeighbours = 20
    /// Neighbours for deep kNN (Sun et al. 2022).
    public var deepNeighbours = DeepKNNScore.defaultK
    /// How outlier detectors find neighbours (exact/approximate; Euclidean or cosine).
    public var search = NeighbourSearch()
    /// Neighbourhood preservation on a fixed subsample of at most this many points (it is O(N²)).
    public var preservationSampleLimit = 5_000
    /// How many of the most anomalous samples to keep.
    public var anomalousCount = 32
    /// Names the reference, the set and its outliers in the detectors' descriptions.
    public var terms: StudyTerms

    public init(terms: StudyTerms = StudyTerms()) { self.terms = terms }

    /// The detector that ranks samples when no known outliers say which is best: the first available
    /// in the order of the measured table (`embedviz demo --near-ood`, release, 2 threads: the trained
    /// CNN's 10,000 test embeddings against 10,000 training embeddings; mean AUROC over the 1,000
    /// injected noise images and the 10,000 Animal-Shape images vs the 9,000 clean test digits):
    ///
    ///     detector                          noise AUROC / FPR95   Animal-Shape AUROC / FPR95   mean AUROC
    ///     Mahalanobis, class-conditional    1.0000 / 0.0000       0.9676 / 0.1321              0.9838
    ///     deep kNN (k = 50)                 0.9835 / 0.0020       0.9798 / 0.0802              0.9817
    ///     Mahalanobis, class-agnostic       1.0000 / 0.0000       0.9539 / 0.1656              0.9770
    ///     kNN distance to reference         1.0000 / 0.0000       0.9190 / 0.2452              0.9595
    ///     maximum softmax probability       0.7686 / 0.8950       0.9473 / 0.2989              0.8580
    ///     energy (T = 1)                    0.5065 / 0.9960       0.9711 / 0.1611              0.7388
    ///
    /// then, without a reference, the within-set kNN distance (0.4072 / 0.3607 there: a tight group
    /// of outliers hides itself from it, but it is all a set alone offers).
    public static let defaultOrder: [OutlierDetector.Kind] = [.mahalanobisClassConditional, .deepKNN, .mahalanobis,
                                                              .knnDistanceToReference, .maximumSoftmax, .energy,
                                                              .knnDistanceWithinSet, .localOutlierFactor]

    public static func defaultRanking(_ available: [OutlierDetector]) -> OutlierDetector? {
        for kind in defaultOrder { if let d = available.first(where: { $0.kind == kind }) { return d } }
        return available.first
    }

    /// The k of the set's own neighbour lists its detectors will ask for (one search for all: the largest).
    public func neighbourDemands(_ set: EmbeddingSet) -> [Int] {
        let detectors = OutlierDetector.available(for: detectorInputs(set), k: k, lofNeighbours: lofNeighbours, deepK: deepNeighbours)
        return detectors.compactMap(\.withinSetNeighbours).max().map { [$0] } ?? []
    }

    func detectorInputs(_ set: EmbeddingSet, shared: SharedNeighbours? = nil) -> DetectorInputs {
        DetectorInputs(features: set.features, reference: set.reference, referenceLabels: set.referenceLabels,
                       logits: set.logits, search: search, shared: shared)
    }

    /// The measurements of `set`; the within-set detectors' lists come from `shared` where it serves their search.
    public func run(_ set: EmbeddingSet, projections: Projections, shared: SharedNeighbours? = nil, runner: StageRunner) throws -> StudyMeasurements {
        try runner.stage("metrics (\(set.name))") { () -> (StudyMeasurements, String) in
            let measurements = try measure(set, projections: projections, shared: shared)
            guard let main = measurements.detections.first else {
                return (measurements, "no known \(terms.outlierWord): samples ranked by \(measurements.ranking?.name ?? "nothing"), not evaluated")
            }
            var detail = String(format: "%@ found by %@: precision %.3f, recall %.3f, AUROC %.4f",
                                terms.outlierWord, main.method.components(separatedBy: " (").first ?? main.method,
                                main.quality.precision, main.quality.recall, main.quality.auroc)
            if let lead = measurements.leadDetection, measurements.lead != 0 {
                detail += String(format: "; best: %@, AUROC %.4f, FPR95 %.4f", lead.method, lead.quality.auroc, lead.quality.fprAt95)
            }
            return (measurements, detail)
        }
    }

    /// How the study names a detector in tables: in the set's own terms.
    func method(_ detector: OutlierDetector) -> String {
        switch detector {
        case .knnDistanceToReference(let k): "kNN distance to \(terms.reference) (k = \(k))"
        case .knnDistanceWithinSet(let k): "kNN distance within \(terms.set) (k = \(k))"
        case .localOutlierFactor(let k): "local outlier factor within \(terms.set) (k = \(k))"
        case .deepKNN(let k): "deep kNN to \(terms.reference), L2-normalised (k = \(k))"
        case .mahalanobisClassConditional: "Mahalanobis to \(terms.reference), class-conditional, tied covariance"
        case .mahalanobis: "Mahalanobis to \(terms.reference), class-agnostic"
        case .maximumSoftmax, .energy: detector.name
        }
    }

    func measure(_ set: EmbeddingSet, projections: Projections, shared: SharedNeighbours? = nil) throws -> StudyMeasurements {
        let meta = set.metadata
        let features = set.features
        let flagged = set.outlierCount
        let inputs = detectorInputs(set, shared: shared)
        let detectors = OutlierDetector.available(for: inputs, k: k, lofNeighbours: lofNeighbours, deepK: deepNeighbours)
        let results = try OutlierDetector.evaluate(detectors, on: inputs, isNoise: meta.isNoise)
        let detections = results.compactMap { r in
            r.quality.map { StudyMeasurements.Detection(method: method(r.detector), scope: r.detector.basis, quality: $0, detector: r.detector) }
        }
        let lead = OutlierDetector.lead(results)
        let ranking = lead.map { results[$0] } ?? Self.defaultRanking(detectors).flatMap { d in results.first { $0.detector == d } }

        let sample = min(preservationSampleLimit, features.rows)
        var maps: [StudyMeasurements.Map] = []
        for (name, map) in [("PCA 2-D", projections.pca2D), ("t-SNE 2-D", projections.tsne2D.embedding)] +
            (projections.tsne3D.map { [("t-SNE 3-D", $0.embedding)] } ?? []) + (projections.umap2D.map { [("UMAP 2-D", $0.embedding)] } ?? []) {
            let quality = try ProjectionQuality.measure(input: features, projection: map, labels: set.hasLabels ? meta.target : nil, k: k,
                                                        sampleSize: sample < features.rows ? sample : nil, seed: 0)
            var purity = Double.nan
            if let clusters = quality.clusters, flagged > 0 {
                purity = 0
                for c in 0..<clusters.clusterCount {
                    let members = (0..<meta.count).filter { clusters.labels[$0] == c }
                    let noise = members.filter { meta.isNoise[$0] }.count
                    purity = max(purity, Double(noise) / Double(flagged) * Double(noise) / Double(max(members.count, 1)))
                }
            }
            maps.append(.init(name: name, preservation: quality.preservation, knnAccuracy: quality.knnAccuracy ?? .nan,
                              clusters: quality.clusters?.clusterCount ?? 0, adjustedRandIndex: quality.adjustedRandIndex ?? .nan,
                              noiseClusterPurity: purity))
        }
        let scores = ranking?.scores ?? []
        let top = RankedSamples.order(scores, top: anomalousCount)
        return StudyMeasurements(model: set.name, detections: detections, maps: maps, mostAnomalous: top,
                                 mostAnomalousScores: top.map { scores[$0] },
                                 lead: lead.flatMap { l in detections.firstIndex { $0.detector == results[l].detector } },
                                 ranking: ranking?.detector)
    }
}
