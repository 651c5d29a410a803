import Foundation
import Linalg
import Projection

/// What was measured about one embedding set: how well outlier scores find its known outliers,
/// and how faithful and how separated each of its maps is.
public struct StudyMeasurements: Sendable, Codable {
    public struct Detection: Sendable, Codable {
        /// What a detector's scores are measured against.
        public enum Scope: String, Sendable, Codable {
            /// Distances to the set's reference embeddings.
            case reference
            /// Distances among the set's own points.
            case withinSet = "within_set"
        }

        public var method: String
        public var scope: Scope
        public var quality: OutlierDetectionQuality

        public init(method: String, scope: Scope, quality: OutlierDetectionQuality) {
            self.method = method
            self.scope = scope
            self.quality = quality
        }
    }

    public struct Map: Sendable, Codable {
        public var name: String
        /// Trustworthiness, continuity and kNN preservation (`points` says on how many points).
        public var preservation: NeighbourhoodPreservation
        /// Leave-one-out 10-NN accuracy of the targets in the map.
        public var knnAccuracy: Double
        public var clusters: Int
        public var adjustedRandIndex: Double
        /// How cleanly the known outliers get a cluster of their own: the largest share of them in
        /// one cluster, times the share of that cluster that they make up (1 = a cluster of exactly them).
        public var noiseClusterPurity: Double
    }

    public var model: String
    /// The reference detector first when the set has reference embeddings.
    public var detections: [Detection]
    public var maps: [Map]
    /// Indices of the most anomalous samples by the first detector, most anomalous first.
    public var mostAnomalous: [Int]
    public var mostAnomalousScores: [Double]
}

/// Outlier detection against the set's known outliers, and the quality of its maps (PCA 2-D,
/// t-SNE 2-D and 3-D), measured on the embeddings, not on a picture of them.
public struct MeasurementStage: Sendable {
    /// Neighbours for the kNN-distance scores and the map measures.
    public var k = 10
    /// Neighbours for the local outlier factor.
    public var lofNeighbours = 20
    /// Neighbourhood preservation on a fixed subsample of at most this many points (it is O(N²)).
    public var preservationSampleLimit = 5_000
    /// How many of the most anomalous samples to keep.
    public var anomalousCount = 32
    /// Names the reference, the set and its outliers in the detectors' descriptions.
    public var terms: StudyTerms

    public init(terms: StudyTerms = StudyTerms()) { self.terms = terms }

    public func run(_ set: EmbeddingSet, projections: Projections, runner: StageRunner) throws -> StudyMeasurements {
        try runner.stage("metrics (\(set.name))") { () -> (StudyMeasurements, String) in
            let measurements = try measure(set, projections: projections)
            let main = measurements.detections[0]
            return (measurements, String(format: "%@ found by %@: precision %.3f, recall %.3f, AUROC %.4f",
                                         terms.outlierWord, main.method.components(separatedBy: " (").first ?? main.method,
                                         main.quality.precision, main.quality.recall, main.quality.auroc))
        }
    }

    func measure(_ set: EmbeddingSet, projections: Projections) throws -> StudyMeasurements {
        let meta = set.metadata
        let features = set.features
        let flagged = set.outlierCount
        func detect(_ method: String, _ scope: StudyMeasurements.Detection.Scope, _ scores: [Double]) throws -> StudyMeasurements.Detection {
            .init(method: method, scope: scope,
                  quality: try OutlierDetectionQuality.evaluate(scores: scores, isNoise: meta.isNoise, flagged: flagged))
        }
        let toReference = try set.reference.map { try KNNDistanceScore.scores(features, reference: $0, k: k) }
        let withinSet = try KNNDistanceScore.scores(features, k: k)
        let lof = try LocalOutlierFactor.scores(features, k: lofNeighbours)
        var detections: [StudyMeasurements.Detection] = []
        if let toReference {
            detections.append(try detect("kNN distance to \(terms.reference) (k = \(k))", .reference, toReference))
        }
        detections.append(try detect("kNN distance within \(terms.set) (k = \(k))", .withinSet, withinSet))
        detections.append(try detect("local outlier factor within \(terms.set) (k = \(lofNeighbours))", .withinSet, lof))

        let sample = min(preservationSampleLimit, features.rows)
        var maps: [StudyMeasurements.Map] = []
        for (name, map) in [("PCA 2-D", projections.pca2D), ("t-SNE 2-D", projections.tsne2D.embedding)] +
            (projections.tsne3D.map { [("t-SNE 3-D", $0.embedding)] } ?? []) {
            let quality = try ProjectionQuality.measure(input: features, projection: map, labels: meta.target, k: k,
                                                        sampleSize: sample < features.rows ? sample : nil, seed: 0)
            let clusters = quality.clusters!  // labels given, maps of 2 or 3 dimensions
            var purity = 0.0
            for c in 0..<clusters.clusterCount {
                let members = (0..<meta.count).filter { clusters.labels[$0] == c }
                let noise = members.filter { meta.isNoise[$0] }.count
                purity = max(purity, Double(noise) / Double(max(flagged, 1)) * Double(noise) / Double(max(members.count, 1)))
            }
            maps.append(.init(name: name, preservation: quality.preservation, knnAccuracy: quality.knnAccuracy!,
                              clusters: clusters.clusterCount, adjustedRandIndex: quality.adjustedRandIndex!,
                              noiseClusterPurity: purity))
        }
        let ranking = toReference ?? withinSet
        let top = RankedSamples.order(ranking, top: anomalousCount)
        return StudyMeasurements(model: set.name, detections: detections, maps: maps, mostAnomalous: top,
                                 mostAnomalousScores: top.map { ranking[$0] })
    }
}
