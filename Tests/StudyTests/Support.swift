import Datasets
import Foundation
import Linalg
@testable import NeuralNet
@testable import Projection
@testable import Study

/// Epochs whose validation losses are `validation` and training losses `train` (same length).
func epochs(validation: [Double], train: [Double]? = nil) -> [EpochMetrics] {
    let train = train ?? validation.indices.map { 0.5 / Double($0 + 1) }
    return validation.indices.map { k in
        EpochMetrics(epoch: k + 1, trainLoss: train[k], trainAccuracy: 0.9, validationLoss: validation[k],
                     validationAccuracy: 0.9, seconds: 1, imagesPerSecond: 1000)
    }
}

func trainedModel(_ history: [EpochMetrics], learningRate: Float = 1e-3, batchSize: Int = 32) -> TrainedModel {
    var config = TrainingConfig()
    config.epochs = history.count
    config.learningRate = learningRate
    config.batchSize = batchSize
    return TrainedModel(model: TutorialCNN(seed: 1), config: config, history: history, reused: false, directory: "train")
}

func detection(_ method: String, _ scope: StudyMeasurements.Detection.Scope, recall: Double, auroc: Double,
               outliers: Int = 100, points: Int = 1000) -> StudyMeasurements.Detection {
    let hits = Int((recall * Double(outliers)).rounded())
    return .init(method: method, scope: scope,
                 quality: OutlierDetectionQuality(points: points, outliers: outliers, flagged: outliers, truePositives: hits,
                                                  precision: Double(hits) / Double(outliers), recall: recall, auroc: auroc))
}

func map(_ name: String, knnAccuracy: Double, ari: Double, clusters: Int = 10, purity: Double = 1, points: Int = 1000) -> StudyMeasurements.Map {
    .init(name: name, preservation: NeighbourhoodPreservation(k: 10, points: points, trustworthiness: 0.99, continuity: 0.98,
                                                              knnPreservation: 0.5),
          knnAccuracy: knnAccuracy, clusters: clusters, adjustedRandIndex: ari, noiseClusterPurity: purity)
}

func measurements(_ model: String, detections: [StudyMeasurements.Detection] = [], maps: [StudyMeasurements.Map]) -> StudyMeasurements {
    StudyMeasurements(model: model, detections: detections, maps: maps, mostAnomalous: [], mostAnomalousScores: [])
}

/// Embeddings of any origin, shaped like the tutorial's: `classes` Gaussian clusters in `dimensions`
/// dimensions (labels 0…classes−1, predictions equal to the targets except every 10th point), and
/// `outliers` points (label `classes`) in one tight group far from all of them, plus reference
/// embeddings drawn from the clusters alone. 6×6 images, so that the image grids and sprites run.
func syntheticSet(perClass: Int = 60, classes: Int = 4, outliers: Int = 24, dimensions: Int = 8, seed: UInt64 = 3,
                  name: String = "synthetic", directory: String = "synthetic", spread: Double = 1) -> EmbeddingSet {
    var rng = SeededGenerator(seed: seed)
    let centres = (0..<classes).map { _ in (0..<dimensions).map { _ in 12 * rng.normal() } }
    var rows: [Float] = [], target: [Int] = [], prediction: [Int] = [], isNoise: [Bool] = []
    func point(around centre: [Double], spread: Double) {
        rows += centre.map { Float($0 + spread * rng.normal()) }
    }
    for c in 0..<classes {
        for k in 0..<perClass {
            point(around: centres[c], spread: spread)
            target.append(c)
            prediction.append(k % 10 == 9 ? (c + 1) % classes : c)
            isNoise.append(false)
        }
    }
    let far = (0..<dimensions).map { _ in 60.0 }
    for k in 0..<outliers {
        point(around: far, spread: 0.2)
        target.append(classes)
        prediction.append(k % classes)
        isNoise.append(true)
    }
    let n = target.count
    var reference: [Float] = []
    for k in 0..<(classes * 40) {
        reference += centres[k % classes].map { Float($0 + spread * rng.normal()) }
    }
    let metadata = EmbeddingMetadata(index: Array(0..<n), target: target, prediction: prediction,
                                     confidence: (0..<n).map { Float(0.5 + 0.5 * Double($0 % 7) / 7) }, isNoise: isNoise)
    let images = LabeledImages(images: (0..<(n * 36)).map { UInt8(truncatingIfNeeded: $0 * 7) }, labels: target.map(UInt8.init),
                               height: 6, width: 6)
    return EmbeddingSet(name: name, directory: directory, features: Matrix(rows: n, columns: dimensions, storage: rows),
                        metadata: metadata, classNames: (0..<classes).map(String.init) + ["outlier"], images: images,
                        reference: Matrix(rows: classes * 40, columns: dimensions, storage: reference))
}
