import ArgumentParser
import Datasets
import Foundation
import Linalg
import NeuralNet

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the tutorial's CNN on MNIST (\(TutorialCNN.parameterCount.formatted()) parameters).",
        discussion: """
            Model: \(TutorialCNN.architecture)
            = conv 160 + batch norm 32 + fc1 270,500 + fc2 1,010 = \(TutorialCNN.parameterCount.formatted()) trainable parameters.
            Adam (lr 1e-3), batch 32, 20 epochs, a seeded 55,000/5,000 train/validation split reshuffled \
            every epoch. After each epoch the run directory gets metrics.csv/metrics.json, last.ckpt \
            (resumable) and best.ckpt (lowest validation loss). Ctrl-C finishes the current step, saves \
            last.ckpt and exits with code 130; --resume continues bit-identically (same threads).

            Examples:
              embedviz train --out runs/cnn
              embedviz train --out runs/quick --epochs 1 --train-size 5000 --validation-size 1000
              embedviz train --out runs/cnn --resume
            """)

    @OptionGroup var data: DataOptions
    @Option(help: ArgumentHelp("Run directory for checkpoints and metrics.", valueName: "dir"))
    var out = "runs/cnn"
    // Optional so that `--resume` can tell the options given from the defaults: a resumed run keeps
    // its saved configuration, and only options given explicitly can conflict with it.
    @Option(help: "Epochs to train (default: 20; with --resume, the run's own, or more to extend it).") var epochs: Int?
    @Option(help: "Images per batch (default: 32).") var batchSize: Int?
    @Option(help: "Adam learning rate (default: 0.001).") var learningRate: Float?
    @Option(help: "Training images, drawn from the training set (default: 55,000).") var trainSize: Int?
    @Option(help: "Validation images, the rest of the split (default: 5,000).") var validationSize: Int?
    @Option(help: "Seed for initialisation, split and shuffles (default: 1).") var seed: UInt64?
    @Flag(help: "Continue the run in --out from its last.ckpt, with its saved configuration and thread count.") var resume = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let learningRate, !(learningRate.isFinite && learningRate > 0) {
            throw EmbedVizError.input("the learning rate must be a finite number > 0, got \(learningRate)", at: "--learning-rate")
        }
    }

    /// The configuration of a new run: the options given, defaults for the rest.
    func newConfiguration() -> TrainingConfig {
        var config = TrainingConfig()
        if let epochs { config.epochs = epochs }
        if let batchSize { config.batchSize = batchSize }
        if let learningRate { config.learningRate = learningRate }
        if let trainSize { config.trainSize = trainSize }
        if let validationSize { config.validationSize = validationSize }
        if let seed { config.seed = seed }
        config.threads = Threads.count
        return config
    }

    /// The configuration of a resumed run: the saved one, with more (or fewer) epochs if --epochs
    /// was given. Refuses options given explicitly that differ from the saved configuration —
    /// they would be ignored, or break the bit-identical continuation — and runs with the saved
    /// thread count unless --threads was given (which must then be the same).
    func resumedConfiguration(_ saved: Checkpoint, path: String) throws -> TrainingConfig {
        var conflicts: [String] = []
        func compare<T: Equatable>(_ flag: String, _ given: T?, _ kept: T) {
            if let given, given != kept { conflicts.append("\(flag) \(given) (the run has \(kept))") }
        }
        compare("--batch-size", batchSize, saved.config.batchSize)
        compare("--learning-rate", learningRate, saved.config.learningRate)
        compare("--train-size", trainSize, saved.config.trainSize)
        compare("--validation-size", validationSize, saved.config.validationSize)
        compare("--seed", seed, saved.config.seed)
        compare("--threads", common.threads, saved.config.threads)
        guard conflicts.isEmpty else {
            throw EmbedVizError.input(
                "--resume continues the saved run bit for bit, with its own configuration; these options differ from it: "
                + conflicts.joined(separator: ", ") + " — drop them, or start a new run in another --out", at: path)
        }
        if common.threads == nil && Threads.count != saved.config.threads {
            Threads.set(saved.config.threads)
            common.say("resuming with the run's \(saved.config.threads) threads (a bit-identical continuation needs the same count)")
        }
        var config = saved.config
        if let epochs { config.epochs = epochs }
        return config
    }

    struct Summary: Encodable {
        var parameters: Int
        var epochs: [EpochMetrics]
        var bestEpoch: Int?
        var bestValidationLoss: Double?
        var testLoss: Double
        var accuracy: Double
        var secondsPerEpoch: Double
        var checkpoint: String
    }

    func run() throws {
        common.apply()
        StopRequest.install()
        let train = try MNIST.load(.train, from: data.data)
        let test = try MNIST.load(.test, from: data.data)
        // Both splits before training: the test set is evaluated only at the end.
        for (split, set) in [(MNIST.Split.train, train), (.test, test)] {
            try Evaluation.validate(set, source: try MNIST.path(of: split.imagesFile, in: data.data))
        }
        let run = TrainingRun(directory: out)
        let config = resume ? try resumedConfiguration(try CheckpointFile.read(run.lastCheckpoint), path: run.lastCheckpoint)
                            : newConfiguration()
        common.say("model: \(TutorialCNN.parameterCount.formatted()) trainable parameters; \(config.trainSize.formatted())/\(config.validationSize.formatted()) split, batch \(config.batchSize), \(Threads.count) threads")
        let progress = ProgressLine(quiet: common.quiet)
        let trainer = try run.train(data: train, config: config, resume: resume, progress: { p in
            progress.update(String(format: "epoch %d/%d  step %d/%d  loss %.4f  %.0f img/s  ETA %@",
                                   p.epoch, p.epochs, p.step, p.steps, p.loss, p.imagesPerSecond, formatDuration(p.etaSeconds)))
        }, onEpoch: { m, isBest in
            progress.finish()
            common.say(String(format: "epoch %2d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.1f s (%.0f img/s)%@",
                              m.epoch, m.trainLoss, m.trainAccuracy, m.validationLoss, m.validationAccuracy, m.seconds,
                              m.imagesPerSecond, isBest ? "  *best" : ""))
        }, shouldStop: { StopRequest.isSet })
        let best = try CheckpointFile.read(run.bestCheckpoint)
        let result = Evaluation.evaluate(best.model, on: test)
        let history = trainer.state.history
        common.say(String(format: "best epoch %d (validation loss %.4f); test loss %.4f, accuracy %.4f — %@",
                          trainer.state.bestEpoch ?? 0, trainer.state.bestValidationLoss ?? .nan, result.loss, result.accuracy,
                          run.bestCheckpoint))
        try common.writeSummary(Summary(parameters: TutorialCNN.parameterCount, epochs: history, bestEpoch: trainer.state.bestEpoch,
                                        bestValidationLoss: trainer.state.bestValidationLoss, testLoss: result.loss,
                                        accuracy: result.accuracy,
                                        secondsPerEpoch: history.map(\.seconds).reduce(0, +) / Double(max(history.count, 1)),
                                        checkpoint: run.bestCheckpoint))
    }
}
