import Datasets
import Foundation
import Linalg

/// A training run in a directory: `metrics.csv` and `metrics.json` after every epoch, `last.ckpt`
/// (with optimizer state, for `train(resume: true)`) and `best.ckpt` (lowest validation loss so far). All files
/// are written atomically, so an interrupted run never leaves a half-written one.
public struct TrainingRun {
    public let directory: String
    public var lastCheckpoint: String { directory + "/last.ckpt" }
    public var bestCheckpoint: String { directory + "/best.ckpt" }
    public var metricsCSV: String { directory + "/metrics.csv" }
    public var metricsJSON: String { directory + "/metrics.json" }

    public init(directory: String) { self.directory = directory }

    /// The call that continues this run after an interruption.
    private var resume: EmbedVizError.Reference { .call("TrainingRun.train(resume: true)", argument: directory) }

    /// Trains (or resumes) to `config.epochs`, writing the run's files as it goes.
    ///
    /// - Parameters:
    ///   - resume: continue from `last.ckpt` (same config, optimizer state, data order and position).
    ///   - shouldStop: polled after every step (e.g. a signal flag); when true, the current step
    ///     finishes, `last.ckpt` is written and an `.interrupted` error is thrown.
    /// - Returns: the trainer in its final state.
    @discardableResult
    public func train(data: LabeledImages, config: TrainingConfig, resume: Bool = false,
                      progress: (TrainingProgress) -> Void = { _ in },
                      onEpoch: (EpochMetrics, _ isBest: Bool) -> Void = { _, _ in },
                      shouldStop: () -> Bool = { false }) throws -> Trainer {
        let existed = FileManager.default.fileExists(atPath: directory)
        try OutputFile.createDirectory(directory)
        var checkpoint: Checkpoint?
        var config = config
        if resume {
            let saved = try CheckpointFile.read(lastCheckpoint)
            // The saved config governs the data order; only the epoch count may be extended.
            let epochs = config.epochs
            config = saved.config
            config.epochs = max(epochs, saved.state.epoch)
            checkpoint = saved
        }
        let trainer = try Trainer(data: data, config: config, resumeFrom: checkpoint)
        while !trainer.isComplete {
            guard let metrics = trainer.trainEpoch(progress: progress, shouldStop: shouldStop) else {
                try CheckpointFile.write(trainer.checkpoint(), to: lastCheckpoint)
                let s = trainer.state
                throw EmbedVizError(.interrupted,
                                    "training interrupted at epoch \(s.epoch + 1), step \(s.step); saved last.ckpt — continue with \(resume)",
                                    at: directory)
            }
            // A diverged run (a NaN or infinite loss) stops before writing anything for this epoch:
            // the checkpoints of the earlier epochs stay as they were.
            guard metrics.trainLoss.isFinite, metrics.validationLoss.isFinite else {
                // Nothing to keep from a run that diverged in its first epoch: no empty run directory.
                if !existed, (try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty == true {
                    try? FileManager.default.removeItem(atPath: directory)
                }
                let losses = "training loss \(metrics.trainLoss), validation loss \(metrics.validationLoss)"
                throw EmbedVizError(.numerical,
                                    "training diverged in epoch \(metrics.epoch): \(losses); the checkpoints of earlier epochs are kept — "
                                        + "try a smaller \(parameter: "learningRate", of: "TrainingConfig")",
                                    at: directory)
            }
            let isBest = trainer.state.bestEpoch == metrics.epoch
            if isBest { try CheckpointFile.write(trainer.checkpoint(includeOptimizer: false), to: bestCheckpoint) }
            try CheckpointFile.write(trainer.checkpoint(), to: lastCheckpoint)
            try writeMetrics(trainer.state.history, bestEpoch: trainer.state.bestEpoch)
            onEpoch(metrics, isBest)
            if shouldStop() && !trainer.isComplete {
                throw EmbedVizError(.interrupted,
                                    "training interrupted after epoch \(metrics.epoch); saved last.ckpt — continue with \(resume)",
                                    at: directory)
            }
        }
        return trainer
    }

    /// The per-epoch curve as CSV and JSON.
    public func writeMetrics(_ history: [EpochMetrics], bestEpoch: Int?) throws {
        var csv = "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,seconds,images_per_second,best\n"
        for m in history {
            csv += "\(m.epoch),\(m.trainLoss),\(m.trainAccuracy),\(m.validationLoss),\(m.validationAccuracy),"
            csv += String(format: "%.3f,%.1f,", m.seconds, m.imagesPerSecond) + (m.epoch == bestEpoch ? "1" : "0") + "\n"
        }
        try OutputFile.write(csv, to: metricsCSV)
        struct Document: Encodable {
            var epochs: [EpochMetrics]
            var bestEpoch: Int?
        }
        try JSONCoding.write(Document(epochs: history, bestEpoch: bestEpoch), to: metricsJSON)
    }

    /// Reads `metrics.json` back (for plots and reports): snake_case keys, or the camelCase of
    /// earlier versions.
    public static func readMetrics(_ path: String) throws -> (epochs: [EpochMetrics], bestEpoch: Int?) {
        struct Document: Decodable {
            var epochs: [EpochMetrics]
            var bestEpoch: Int?
        }
        let bytes = try InputFile.readAll(path)
        do {
            let document = try JSONCoding.decoder().decode(Document.self, from: Data(bytes))
            return (document.epochs, document.bestEpoch)
        } catch {
            throw EmbedVizError.input("not the metrics.json of a training run", at: path)
        }
    }
}
