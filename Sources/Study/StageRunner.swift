import Foundation
import Linalg
import NeuralNet
import Projection

/// What a running study reports, for a progress display. Stage start and end bracket everything
/// else; the other events come from within a stage.
public enum StudyEvent: Sendable {
    case stageStarted(String)
    case stageFinished(StageRecord)
    /// After every training step.
    case trainingProgress(TrainingProgress)
    /// After every epoch; `isBest` when its validation loss is the lowest so far.
    case epochFinished(EpochMetrics, isBest: Bool)
    /// During a t-SNE stage; `label` is the stage's name, e.g. "t-SNE 2D (trained model)".
    case tsneProgress(TSNEProgress, label: String)
    /// During a UMAP stage; `label` is the stage's name, e.g. "UMAP 2D (trained model)".
    case umapProgress(UMAPProgress, label: String)
}

/// One timed stage of a study (in `summary.json` and the report's run table).
public struct StageRecord: Sendable, Codable, Equatable {
    public var name: String
    public var seconds: Double
    /// What the stage produced, in a few words.
    public var detail: String

    public init(name: String, seconds: Double, detail: String) {
        self.name = name
        self.seconds = seconds
        self.detail = detail
    }
}

/// Runs a study's stages one after the other: polls the stop request before each, times it,
/// reports its start and end, and keeps the records.
public final class StageRunner {
    /// Polled before every stage (and by training after every step): when it returns true, the
    /// step in flight finishes and an `.interrupted` error is thrown.
    public let shouldStop: @Sendable () -> Bool
    /// Receives every event of the stages run here.
    public let events: (StudyEvent) -> Void
    /// Where the stages write (named in the interruption message).
    public let output: String
    public private(set) var records: [StageRecord] = []

    public init(output: String, shouldStop: @escaping @Sendable () -> Bool = { false },
                events: @escaping (StudyEvent) -> Void = { _ in }) {
        self.output = output
        self.shouldStop = shouldStop
        self.events = events
    }

    /// Runs `body` as the stage `name`: `body` returns the stage's value and a few words on it.
    /// Throws `.interrupted` instead of starting when a stop was requested.
    @discardableResult
    public func stage<T>(_ name: String, _ body: () throws -> (T, String)) throws -> T {
        if shouldStop() {
            let done = records.last.map { "after '\($0.name)'" } ?? "before the first stage"
            throw EmbedVizError(.interrupted, "interrupted: the study stopped \(done); its finished files are in \(output)")
        }
        events(.stageStarted(name))
        let start = Date()
        let (value, detail) = try body()
        let record = StageRecord(name: name, seconds: Date().timeIntervalSince(start), detail: detail)
        records.append(record)
        events(.stageFinished(record))
        return value
    }
}
