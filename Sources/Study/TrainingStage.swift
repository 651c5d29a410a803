import Datasets
import Foundation
import Linalg
import NeuralNet

/// The model the study embeds with, and how it was trained.
public struct TrainedModel: Sendable {
    /// The checkpoint with the lowest validation loss.
    public var model: TutorialCNN
    public var config: TrainingConfig
    public var history: [EpochMetrics]
    /// Whether a cached run was reused instead of training.
    public var reused: Bool
    /// The run directory (checkpoints, metrics).
    public var directory: String

    public init(model: TutorialCNN, config: TrainingConfig, history: [EpochMetrics], reused: Bool, directory: String) {
        self.model = model
        self.config = config
        self.history = history
        self.reused = reused
        self.directory = directory
    }

    /// The epoch with the lowest validation loss (the kept checkpoint's); nil before any epoch.
    public var bestEpoch: Int? { history.min { $0.validationLoss < $1.validationLoss }?.epoch }
}

/// Trains the tutorial's CNN, or reuses the run cached in `directory` when the training data and
/// the configuration are unchanged.
public struct TrainingStage: Sendable {
    public var config: TrainingConfig
    /// The run directory: checkpoints, metrics and the cache key.
    public var directory: String
    /// The MNIST-layout directory the training images came from: its training files' checksums
    /// are part of the cache key.
    public var dataDirectory: String

    public init(config: TrainingConfig, directory: String, dataDirectory: String) {
        self.config = config
        self.directory = directory
        self.dataDirectory = dataDirectory
    }

    public func run(on train: LabeledImages, runner: StageRunner) throws -> TrainedModel {
        let run = TrainingRun(directory: directory)
        return try runner.stage("train") { () -> (TrainedModel, String) in
            let key = try cacheKey()
            let keyPath = directory + "/cache-key.txt"
            if let saved = try? String(contentsOfFile: keyPath, encoding: .utf8), saved == key,
               let best = try? CheckpointFile.read(run.bestCheckpoint), let metrics = try? TrainingRun.readMetrics(run.metricsJSON) {
                return (TrainedModel(model: best.model, config: config, history: metrics.epochs, reused: true, directory: directory),
                        "reused the cached run in \(directory) (same data and configuration)")
            }
            let trainer = try run.train(data: train, config: config,
                                        progress: { runner.events(.trainingProgress($0)) },
                                        onEpoch: { runner.events(.epochFinished($0, isBest: $1)) },
                                        shouldStop: runner.shouldStop)
            try OutputFile.write(key, to: keyPath)
            let best = try CheckpointFile.read(run.bestCheckpoint)
            let history = trainer.state.history
            return (TrainedModel(model: best.model, config: config, history: history, reused: false, directory: directory),
                    String(format: "%d epochs, %.1f s per epoch", history.count,
                           history.map(\.seconds).reduce(0, +) / Double(max(history.count, 1))))
        }
    }

    /// Identifies a training run: the training data's checksums and the configuration. Threads are
    /// part of it because multithreaded results differ in rounding.
    func cacheKey() throws -> String {
        var md5 = MD5()
        for name in [MNIST.Split.train.imagesFile, MNIST.Split.train.labelsFile] {
            md5.update(try InputFile.readAll(try MNIST.path(of: name, in: dataDirectory)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configuration = String(decoding: try encoder.encode(config), as: UTF8.self)
        return "embedviz-training-cache v1 data \(md5.finalizeHex()) config \(configuration)\n"
    }
}
