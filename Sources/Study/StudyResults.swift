import Foundation
import Linalg
import NeuralNet
import Projection

/// Everything a study found, in one value: the report is written from it alone.
public struct StudyResults: Sendable {
    /// One embedding set with its maps and measurements.
    public struct AnalysedSet: Sendable {
        public var embeddings: EmbeddingSet
        public var projections: Projections
        public var measurements: StudyMeasurements

        public init(embeddings: EmbeddingSet, projections: Projections, measurements: StudyMeasurements) {
            self.embeddings = embeddings
            self.projections = projections
            self.measurements = measurements
        }
    }

    public var title: String
    /// Shown under the title, before the date.
    public var subtitle: String
    public var started: Date
    /// The directory the study wrote to (figures, explorers, the report).
    public var output: String
    /// The studied set first; any further set is a control to compare it with (e.g. random weights).
    public var sets: [AnalysedSet]
    /// The model's training, when the study trained (or reused) one.
    public var training: TrainedModel?
    /// The trained model on the held-out test set.
    public var evaluation: EvaluationResult?
    /// Set when the known outliers are the tutorial's injected uniform-noise images (their seed).
    public var noiseSeed: UInt64?
    public var stability: StabilityResult?
    /// Filled in by `FigureStage`.
    public var figures: [DrawnFigure] = []
    public var explorers: [ExplorerFile] = []
    /// Detector comparisons across evaluation sets (e.g. injected noise vs a near-OOD image set).
    public var detectorTables: [DetectorTable] = []
    /// Sentences on what was sampled or left out because of the set's size (computed by the study).
    public var scaleNotes: [String] = []
    /// The stages run so far, in order.
    public var stages: [StageRecord]
    /// Rows of the report's configuration table (name, value) besides BLAS, threads and the t-SNE seed.
    public var settings: [(String, String)]
    public var blas: BLASInfo
    public var threads: Int

    public init(title: String, subtitle: String, started: Date, output: String, sets: [AnalysedSet],
                training: TrainedModel? = nil, evaluation: EvaluationResult? = nil, noiseSeed: UInt64? = nil,
                stability: StabilityResult? = nil, stages: [StageRecord] = [], settings: [(String, String)] = [],
                blas: BLASInfo = .current, threads: Int = Threads.count) {
        precondition(!sets.isEmpty, "a study needs an embedding set")
        self.title = title
        self.subtitle = subtitle
        self.started = started
        self.output = output
        self.sets = sets
        self.training = training
        self.evaluation = evaluation
        self.noiseSeed = noiseSeed
        self.stability = stability
        self.stages = stages
        self.settings = settings
        self.blas = blas
        self.threads = threads
    }

    /// The studied set.
    public var main: AnalysedSet { sets[0] }
    /// The first control set, if any.
    public var control: AnalysedSet? { sets.count > 1 ? sets[1] : nil }

    func path(_ name: String) -> String { (output as NSString).appendingPathComponent(name) }
}

/// A drawn figure: its name (the file name in `figures/`), PNG bytes and the report's caption.
public struct DrawnFigure: Sendable {
    public var name: String
    public var png: [UInt8]
    public var caption: String
}

/// An interactive map written beside the report.
public struct ExplorerFile: Sendable {
    /// File name relative to the study's output.
    public var file: String
    /// The link's text in the report.
    public var label: String
}
