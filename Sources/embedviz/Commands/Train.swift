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
    @Option(help: "Epochs to train.") var epochs = 20
    @Option(help: "Images per batch.") var batchSize = 32
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Training images (drawn from the training set).") var trainSize = 55_000
    @Option(help: "Validation images (the rest of the split).") var validationSize = 5_000
    @Option(help: "Seed for initialisation, split and shuffles.") var seed: UInt64 = 1
    @Flag(help: "Continue the run in --out from its last.ckpt.") var resume = false
    @OptionGroup var common: CommonOptions

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
        var config = TrainingConfig()
        config.epochs = epochs
        config.batchSize = batchSize
        config.learningRate = learningRate
        config.trainSize = trainSize
        config.validationSize = validationSize
        config.seed = seed
        config.threads = Threads.count
        common.say("model: \(TutorialCNN.parameterCount.formatted()) trainable parameters; \(trainSize.formatted())/\(validationSize.formatted()) split, batch \(batchSize), \(Threads.count) threads")
        let run = TrainingRun(directory: out)
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
