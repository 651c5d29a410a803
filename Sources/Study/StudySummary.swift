import Foundation
import Linalg
import NeuralNet
import Projection

/// The key figures of a tutorial study (written as `summary.json`, and by `embedviz demo --json`).
public struct StudySummary: Sendable, Codable {
    public var quick: Bool
    public var trainingReused: Bool
    public var epochs: [EpochMetrics]
    public var bestEpoch: Int?
    public var accuracy: Double
    public var testLoss: Double
    public var explainedVarianceRatio: [Double]
    public var randomExplainedVarianceRatio: [Double]
    public var klDivergence2D: Double
    public var klDivergence3D: Double?
    public var randomKLDivergence2D: Double
    /// How the trained model's UMAP map was made (nil: no UMAP).
    public var umap2D: UMAPRecord?
    public var measurements: [StudyMeasurements]
    /// Detector comparisons across evaluation sets (injected noise and, when given, a near-OOD set).
    public var detectorTables: [DetectorTable]
    public var stability: StudyStability?
    public var stages: [StageRecord]
    public var blas: BLASInfo
    public var threads: Int
    public var report: String

    /// From the results of a study with a training, an evaluation and a control set (the tutorial's).
    init(_ results: StudyResults, quick: Bool, report: String) {
        let main = results.main.projections, control = (results.control ?? results.main).projections
        self.quick = quick
        trainingReused = results.training?.reused ?? false
        epochs = results.training?.history ?? []
        bestEpoch = results.training?.bestEpoch
        accuracy = results.evaluation?.accuracy ?? .nan
        testLoss = results.evaluation?.loss ?? .nan
        explainedVarianceRatio = main.pca.explainedVarianceRatio
        randomExplainedVarianceRatio = control.pca.explainedVarianceRatio
        klDivergence2D = main.tsne2D.record.klDivergence
        klDivergence3D = main.tsne3D?.record.klDivergence
        randomKLDivergence2D = control.tsne2D.record.klDivergence
        umap2D = main.umap2D?.record
        measurements = results.sets.map(\.measurements)
        detectorTables = results.detectorTables
        stability = results.stability?.stability
        stages = results.stages
        blas = results.blas
        threads = results.threads
        self.report = report
    }
}
