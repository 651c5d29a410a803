import Datasets
import Foundation
import Linalg

/// How to train. Defaults are the tutorial's: Adam (lr 1e-3), batch 32, 20 epochs, 55k/5k split.
public struct TrainingConfig: Codable, Sendable, Equatable {
    public var epochs = 20
    public var batchSize = 32
    public var learningRate: Float = 1e-3
    /// Images used for training and for validation, drawn (seeded) from the training set.
    public var trainSize = 55_000
    public var validationSize = 5_000
    /// Seeds the initialisation, the split and every epoch's shuffle.
    public var seed: UInt64 = 1
    /// Threads used (recorded: multithreaded BLAS is reproducible only for a fixed count).
    public var threads = 1

    public init() {}
}

/// Loss and accuracy of one epoch: training figures averaged over the epoch's batches (in training
/// mode, as the tutorial reports them), validation figures in evaluation mode after the epoch.
public struct EpochMetrics: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double
    public var validationAccuracy: Double
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// Where training stands: enough to continue bit-identically after an interruption.
public struct TrainingState: Codable, Sendable, Equatable {
    /// Epochs completed.
    public var epoch = 0
    /// Steps completed in the current epoch (0 at an epoch boundary).
    public var step = 0
    /// The shuffle generator as it was when the current epoch drew its order.
    public var shuffleGenerator: SeededGenerator
    public var runningLoss = 0.0
    public var runningCorrect = 0
    public var runningSeen = 0
    public var epochSeconds = 0.0
    public var history: [EpochMetrics] = []
    public var bestEpoch: Int?
    public var bestValidationLoss: Double?

    public init(seed: UInt64) { shuffleGenerator = SeededGenerator(seed: seed &+ 2) }
}

/// What a progress display needs, reported during training.
public struct TrainingProgress: Sendable {
    public var epoch: Int  // 1-based
    public var epochs: Int
    public var step: Int
    public var steps: Int
    public var loss: Double  // running mean of this epoch
    public var imagesPerSecond: Double
    public var etaSeconds: Double
}

/// Trains a `TutorialCNN` on the training split, validating after every epoch.
public final class Trainer {
    public let config: TrainingConfig
    public private(set) var model: TutorialCNN
    public private(set) var optimizer: Adam
    public private(set) var state: TrainingState
    public let trainIndices: [Int]
    public let validationIndices: [Int]
    private let data: LabeledImages
    /// One workspace per thread: each step's batch is split between them (data parallelism).
    private let parts: [CNNWorkspace]

    /// A new run, or one resumed from `checkpoint` (model, optimizer, data order and position).
    public init(data: LabeledImages, config: TrainingConfig, resumeFrom checkpoint: Checkpoint? = nil) throws {
        guard data.height == 28, data.width == 28 else {
            throw EmbedVizError.input("the model takes 28×28 images, the data has \(data.height)×\(data.width)")
        }
        guard config.trainSize > 0, config.validationSize > 0, config.trainSize + config.validationSize <= data.count else {
            throw EmbedVizError.input(
                "a \(config.trainSize)/\(config.validationSize) train/validation split needs \(config.trainSize + config.validationSize) images, the data has \(data.count)")
        }
        guard config.batchSize > 0, config.epochs > 0 else {
            throw EmbedVizError.input("batch size and epochs must be positive")
        }
        self.config = config
        self.data = data
        var splitGenerator = SeededGenerator(seed: config.seed &+ 1)
        let order = splitGenerator.permutation(data.count)
        trainIndices = Array(order[0..<config.trainSize])
        validationIndices = Array(order[config.trainSize..<(config.trainSize + config.validationSize)])
        let partCount = max(1, min(Threads.count, config.batchSize))
        parts = (0..<partCount).map { _ in CNNWorkspace(capacity: (config.batchSize + partCount - 1) / partCount) }
        if let checkpoint {
            guard let adam = checkpoint.optimizer else {
                throw EmbedVizError.input("the checkpoint has no optimizer state to resume from (it was saved for inference)")
            }
            try checkpoint.validate(against: config)
            model = checkpoint.model
            optimizer = adam
            state = checkpoint.state
        } else {
            model = TutorialCNN(seed: config.seed)
            optimizer = Adam(parameterCount: TutorialCNN.parameterCount, learningRate: config.learningRate)
            state = TrainingState(seed: config.seed)
        }
    }

    public var isComplete: Bool { state.epoch >= config.epochs }

    /// A checkpoint of the current model and training state.
    public func checkpoint(includeOptimizer: Bool = true) -> Checkpoint {
        Checkpoint(model: model, config: config, state: state, optimizer: includeOptimizer ? optimizer : nil)
    }

    /// Trains one epoch (or the rest of one, when resumed mid-epoch), then validates.
    ///
    /// - Parameters:
    ///   - shouldStop: polled after every step; when it returns true the step in flight finishes and
    ///     the method returns nil with `state` describing the exact position (for a resumable checkpoint).
    /// - Returns: the epoch's metrics, or nil if stopped early.
    public func trainEpoch(progress: (TrainingProgress) -> Void = { _ in },
                           shouldStop: () -> Bool = { false }) -> EpochMetrics? {
        let batch = config.batchSize
        let steps = (config.trainSize + batch - 1) / batch
        var shuffler = state.shuffleGenerator
        let order = shuffler.permutation(trainIndices.count).map { trainIndices[$0] }
        let start = Date()
        let secondsBefore = state.epochSeconds
        var lastReport = Date.distantPast
        var adam: Adam? = optimizer
        defer { optimizer = adam! }
        // The batch is split across threads here; BLAS runs single-threaded inside each part.
        let stopped = Threads.withBLASThreads(1) { () -> Bool in
        while state.step < steps {
            let lo = state.step * batch, hi = min(lo + batch, order.count)
            let b = hi - lo
            let used = min(parts.count, b)
            let rows = (0..<used).map { Threads.chunkRange($0, of: used, total: b).count }
            for k in 0..<used {
                let range = Threads.chunkRange(k, of: used, total: b)
                parts[k].load(data, indices: order[(lo + range.lowerBound)..<(lo + range.upperBound)])
            }
            let (loss, correct) = FloatMode.flushingDenormals {
                model.trainingStep(parts: Array(parts[0..<used]), rows: rows, optimizer: &adam)
            }
            state.runningLoss += loss * Double(b)
            state.runningCorrect += correct
            state.runningSeen += b
            state.step += 1
            let now = Date()
            state.epochSeconds = secondsBefore + now.timeIntervalSince(start)
            if now.timeIntervalSince(lastReport) > 0.25 || state.step == steps {
                lastReport = now
                let rate = Double(state.runningSeen) / max(state.epochSeconds, 1e-9)
                let remainingThisEpoch = Double(config.trainSize - state.runningSeen) / rate
                let remainingEpochs = Double(config.epochs - state.epoch - 1) * Double(config.trainSize) / rate
                progress(TrainingProgress(epoch: state.epoch + 1, epochs: config.epochs, step: state.step, steps: steps,
                                          loss: state.runningLoss / Double(state.runningSeen), imagesPerSecond: rate,
                                          etaSeconds: remainingThisEpoch + remainingEpochs))
            }
            if state.step < steps && shouldStop() { return true }
        }
        return false
        }
        if stopped {
            optimizer = adam!
            return nil
        }
        let trainSeconds = state.epochSeconds
        let validation = Evaluation.evaluate(model, on: data, indices: validationIndices)
        let metrics = EpochMetrics(epoch: state.epoch + 1, trainLoss: state.runningLoss / Double(state.runningSeen),
                                   trainAccuracy: Double(state.runningCorrect) / Double(state.runningSeen),
                                   validationLoss: validation.loss, validationAccuracy: validation.accuracy,
                                   seconds: trainSeconds, imagesPerSecond: Double(state.runningSeen) / trainSeconds)
        state.history.append(metrics)
        if state.bestValidationLoss.map({ metrics.validationLoss < $0 }) ?? true {
            state.bestValidationLoss = metrics.validationLoss
            state.bestEpoch = metrics.epoch
        }
        state.epoch += 1
        state.step = 0
        state.shuffleGenerator = shuffler
        state.runningLoss = 0
        state.runningCorrect = 0
        state.runningSeen = 0
        state.epochSeconds = 0
        return metrics
    }
}
