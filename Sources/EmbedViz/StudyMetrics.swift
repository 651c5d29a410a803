import Foundation

/// The measured statements of a study, per model.
public struct StudyMeasurements: Sendable, Codable {
    public struct Detection: Sendable, Codable {
        public var method: String
        public var quality: OutlierDetectionQuality
    }

    public struct Map: Sendable, Codable {
        public var name: String
        public var preservation: NeighbourhoodPreservation
        /// Leave-one-out 10-NN accuracy of the targets in the map.
        public var knnAccuracy: Double
        public var clusters: Int
        public var adjustedRandIndex: Double
        public var noiseClusterPurity: Double
    }

    public var model: String
    public var detections: [Detection]
    public var maps: [Map]
    /// Indices of the most anomalous samples by the main detector, most anomalous first.
    public var mostAnomalous: [Int]
    public var mostAnomalousScores: [Double]
}

extension TutorialStudy {
    /// The training images whose embeddings serve as in-distribution reference for outlier scores.
    static func referenceIndices(count: Int, from total: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed &+ 101)
        return rng.distinctIndices(min(count, total), from: total).sorted()
    }

    func measure(_ view: ModelView, model: TutorialCNN, train: LabeledImages) throws -> StudyMeasurements {
        try stage("metrics (\(view.name))") { () -> (StudyMeasurements, String) in
            let meta = view.embeddings.metadata
            let features = view.embeddings.features
            let reference = Evaluation.outputs(model, on: train.subset(Self.referenceIndices(
                count: options.quick ? 2_000 : 10_000, from: train.count, seed: options.seed))).features
            let flagged = meta.isNoise.filter { $0 }.count
            let toTraining = try KNNDistanceScore.scores(features, reference: reference, k: 10)
            let withinTest = try KNNDistanceScore.scores(features, k: 10)
            let lof = try LocalOutlierFactor.scores(features, k: 20)
            func detect(_ method: String, _ scores: [Double]) throws -> StudyMeasurements.Detection {
                .init(method: method, quality: try OutlierDetectionQuality.evaluate(scores: scores, isNoise: meta.isNoise, flagged: flagged))
            }
            let detections = [
                try detect("kNN distance to training embeddings (k = 10)", toTraining),
                try detect("kNN distance within the test set (k = 10)", withinTest),
                try detect("local outlier factor within the test set (k = 20)", lof),
            ]
            let sample = min(5_000, features.rows)
            var maps: [StudyMeasurements.Map] = []
            for (name, map) in [("PCA 2-D", view.pca2D), ("t-SNE 2-D", view.tsne2D.embedding)] +
                (view.tsne3D.map { [("t-SNE 3-D", $0.embedding)] } ?? []) {
                let quality = try ProjectionQuality.measure(input: features, projection: map, labels: meta.target, k: 10,
                                                            sampleSize: sample < features.rows ? sample : nil, seed: 0)
                let clusters = quality.clusters!  // labels given, maps of 2 or 3 dimensions
                // How cleanly the injected noise gets a cluster of its own: the largest share of the noise
                // in one cluster, times the share of that cluster that is noise.
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
            let top = RankedSamples.order(toTraining, top: 32)
            let main = detections[0].quality
            return (StudyMeasurements(model: view.name, detections: detections, maps: maps, mostAnomalous: top,
                                      mostAnomalousScores: top.map { toTraining[$0] }),
                    String(format: "noise found by kNN distance to training embeddings: precision %.3f, recall %.3f, AUROC %.4f",
                           main.precision, main.recall, main.auroc))
        }
    }
}

/// Run-to-run variation of t-SNE: the same input embedded with several seeds (random initialisation).
public struct StudyStability: Sendable, Codable {
    public var points: Int
    public var seeds: [UInt64]
    /// Procrustes disparity of each pair of runs (after optimal translation, scaling and rotation).
    public var disparities: [Double]
    /// Mean fraction of shared 10 nearest neighbours between each pair of runs.
    public var knnOverlaps: [Double]
    public var klDivergences: [Double]
}

extension TutorialStudy {
    /// t-SNE of a fixed subsample with several seeds and random initialisation; returns the figures'
    /// maps (each aligned onto the first) and the measured agreement.
    func stability(_ view: ModelView, seeds: [UInt64] = [1, 2, 3]) throws -> (StudyStability, [Matrix], [Int]) {
        try stage("t-SNE stability (\(seeds.count) seeds)") { () -> ((StudyStability, [Matrix], [Int]), String) in
            let sample = Self.referenceIndices(count: options.quick ? 600 : 2_000, from: view.embeddings.features.rows, seed: 77)
            let x = view.embeddings.features.rows(at: sample)
            var maps: [Matrix] = [], kl: [Double] = []
            for seed in seeds {
                var parameters = TSNEParameters()
                parameters.seed = seed
                parameters.perplexity = min(30, Affinities.maximumPerplexity(points: x.rows))
                let result = try TSNE(parameters).fit(x, initialization: .random)
                maps.append(result.embedding)
                kl.append(result.record.klDivergence)
            }
            var disparities: [Double] = [], overlaps: [Double] = []
            for a in 0..<maps.count {
                for b in (a + 1)..<maps.count {
                    disparities.append(try Procrustes.align(maps[b], onto: maps[a]).disparity)
                    overlaps.append(try NeighbourOverlap.mean(maps[a], maps[b], k: 10))
                }
            }
            let aligned = try [maps[0]] + maps.dropFirst().map { try Procrustes.align($0, onto: maps[0]).aligned }
            let result = StudyStability(points: x.rows, seeds: seeds, disparities: disparities, knnOverlaps: overlaps, klDivergences: kl)
            return ((result, aligned, sample),
                    String(format: "%d points: Procrustes disparity %@, 10-NN overlap %@", x.rows,
                           disparities.map { String(format: "%.3f", $0) }.joined(separator: "/"),
                           overlaps.map { String(format: "%.3f", $0) }.joined(separator: "/")))
        }
    }
}
