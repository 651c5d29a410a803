import Datasets
import Foundation
import Linalg
@testable import NeuralNet
import TestSupport
import Testing

@Suite struct TrainingTests {
    /// `make test` fetches MNIST first.
    @Test("one epoch on 5,000 MNIST images reaches > 90% test accuracy")
    func learnsMNIST() throws {
        let train = try MNIST.load(.train, from: MNIST.defaultDirectory)
        let test = try MNIST.load(.test, from: MNIST.defaultDirectory)
        let config = tinyConfig(epochs: 1, trainSize: 5_000, validationSize: 500)
        let trainer = try Trainer(data: train, config: config)
        let metrics = try #require(trainer.trainEpoch())
        #expect(metrics.trainLoss < 0.6 && metrics.validationAccuracy > 0.88)
        let result = Evaluation.evaluate(trainer.model, on: test)
        #expect(result.accuracy > 0.90, "test accuracy \(result.accuracy)")
        #expect(result.confusion.flatMap { $0 }.reduce(0, +) == 10_000)
    }

    @Test("an interrupted run resumed from last.ckpt ends with bit-identical weights")
    func resumeIsExact() throws {
        let data = toyImages(700, seed: 11)
        let config = tinyConfig(epochs: 2, trainSize: 600, validationSize: 100, seed: 5)
        let dir = scratchDirectory()
        let straight = try TrainingRun(directory: dir + "/straight").train(data: data, config: config)
        // Stop after 7 steps of the second epoch (19 steps per epoch), then resume.
        var polls = 0
        let interrupted = TrainingRun(directory: dir + "/interrupted")
        do {
            try interrupted.train(data: data, config: config, shouldStop: {
                polls += 1
                return polls == 19 + 7
            })
            Issue.record("training was not interrupted")
        } catch let error as EmbedVizError {
            #expect(error.kind == .interrupted && error.message.contains("epoch 2, step 7"))
        }
        let saved = try CheckpointFile.read(interrupted.lastCheckpoint)
        #expect(saved.state.epoch == 1 && saved.state.step == 7)
        let resumed = try interrupted.train(data: data, config: config, resume: true)
        #expect(resumed.model.parameters == straight.model.parameters)
        #expect(resumed.model.runningVar == straight.model.runningVar)
        #expect(resumed.optimizer == straight.optimizer)
        #expect(resumed.state.history.map(\.validationLoss) == straight.state.history.map(\.validationLoss))
        let csv = try String(contentsOfFile: interrupted.metricsCSV, encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 3)
    }
}
