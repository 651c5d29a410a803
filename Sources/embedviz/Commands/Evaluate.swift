import ArgumentParser
import Datasets
import Foundation
import Linalg
import NeuralNet

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test-set loss, accuracy and confusion matrix of a checkpoint.",
        discussion: """
            Examples:
              embedviz evaluate --checkpoint runs/cnn/best.ckpt
              embedviz evaluate --checkpoint runs/cnn/best.ckpt --json -
            """)

    @Option(help: ArgumentHelp("A checkpoint written by `embedviz train`.", valueName: "path"))
    var checkpoint: String
    @OptionGroup var data: DataOptions
    @OptionGroup var common: CommonOptions

    struct Summary: Encodable {
        var checkpoint: String
        var loss: Double
        var accuracy: Double
        var count: Int
        var confusion: [[Int]]
    }

    func run() throws {
        common.apply()
        let saved = try CheckpointFile.read(checkpoint)
        let test = try MNIST.load(.test, from: data.data)
        try Evaluation.validate(test, source: try MNIST.path(of: MNIST.Split.test.imagesFile, in: data.data))
        let result = Evaluation.evaluate(saved.model, on: test)
        common.say(String(format: "test loss %.4f, accuracy %.4f (%d images)", result.loss, result.accuracy, result.count))
        common.say("confusion matrix (rows: target, columns: prediction)")
        common.say("      " + (0..<10).map { String(format: "%5d", $0) }.joined())
        for (t, row) in result.confusion.enumerated() {
            common.say(String(format: "%5d ", t) + row.map { String(format: "%5d", $0) }.joined())
        }
        try common.writeSummary(Summary(checkpoint: checkpoint, loss: result.loss, accuracy: result.accuracy,
                                        count: result.count, confusion: result.confusion))
    }
}
