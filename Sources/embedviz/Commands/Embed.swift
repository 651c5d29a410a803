import ArgumentParser
import Datasets
import Foundation
import Linalg
import NeuralNet

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed MNIST images (the test set with injected noise images, by default): the tutorial's outlier experiment.",
        discussion: """
            Replaces --noise test images at that many *distinct* random indices with uniform noise \
            (pixels uniform in 0…255, label 10 = "noise"), runs the model in evaluation mode and writes:
              embeddings.npy   N×D float32, the output of --layer (default fc1: the 100-d embedding)
              metadata.tsv     index, target (0–9, 10 = noise), prediction, confidence (max softmax), is_noise
              images-idx3-ubyte  the embedded images (noise included), one per row in row order (with \
            --sample, row r is image index[r] of the split), for pictures, `plot --explorer` and `export projector`
            (The tutorial drew its indices as uint8, so at most 256 distinct images were replaced; here \
            exactly --noise distinct images are.)

            Layers: \(TutorialCNN.Layer.allCases.map { "\($0.rawValue) = \($0.summary)" }.joined(separator: "; ")).

            Examples:
              embedviz embed --checkpoint runs/cnn/best.ckpt --noise 1000 --noise-seed 19 --out runs/cnn/embed
              embedviz embed --random-weights --seed 7 --out runs/random/embed     # the untrained control
              embedviz embed --checkpoint runs/cnn/best.ckpt --split train --sample 10000 --noise 0 --out runs/cnn/train-embed
                # in-distribution reference rows for `embedviz metrics --reference`
            """)

    @Option(help: ArgumentHelp("A checkpoint written by `embedviz train` (or use --random-weights).", valueName: "path"))
    var checkpoint: String?
    @Flag(help: "Use a freshly initialised, untrained model instead of a checkpoint (the tutorial's control).")
    var randomWeights = false
    @Option(help: "Seed of the random-weights model.") var seed: UInt64 = 1
    @OptionGroup var data: DataOptions
    @Option(help: "Which MNIST split to embed.") var split: MNIST.Split = .test
    @Option(help: ArgumentHelp("Embed a seeded random subset of this many images of the split (in index order).", valueName: "n"))
    var sample: Int?
    @Option(help: "Seed of the subset.") var sampleSeed: UInt64 = 1
    @Option(help: "Images to replace with uniform noise (label 10).") var noise = 1000
    @Option(help: "Seed choosing the noise images and their pixels.") var noiseSeed: UInt64 = 19
    @Option(help: "Which layer's output to write.") var layer: TutorialCNN.Layer = .fc1
    @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String
    @OptionGroup var common: CommonOptions

    struct Summary: Encodable {
        var embeddings: String
        var metadata: String
        var rows: Int
        var columns: Int
        var noise: Int
        var accuracyOnDigits: Double
        var seconds: Double
    }

    func validate() throws {
        if (checkpoint == nil) == !randomWeights {
            throw ValidationError("give either --checkpoint PATH or --random-weights")
        }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
    }

    func run() throws {
        common.apply()
        let model = try randomWeights ? TutorialCNN(seed: seed) : CheckpointFile.read(checkpoint!).model
        var images = try MNIST.load(split, from: data.data)
        var chosen: [Int]?
        if let sample, sample < images.count {
            var generator = SeededGenerator(seed: sampleSeed)
            chosen = generator.distinctIndices(sample, from: images.count).sorted()
            images = images.subset(chosen!)
        }
        // Before anything is written: the model takes 28×28 images, and the outputs must fit in memory.
        try Evaluation.validate(images, layer: layer, source: try MNIST.path(of: split.imagesFile, in: data.data))
        try OutputFile.createDirectory(out)
        let start = Date()
        var result = try NoisyEmbeddings(model: model, data: images, noise: noise, noiseSeed: noiseSeed, layer: layer)
        if let chosen { result.metadata.index = chosen }  // the index in the split, not in the subset
        let seconds = Date().timeIntervalSince(start)
        let files = try EmbeddingFiles.write(result, to: out)
        let digits = (0..<result.metadata.count).filter { !result.metadata.isNoise[$0] }
        let accuracy = Double(digits.filter { result.metadata.prediction[$0] == result.metadata.target[$0] }.count) / Double(max(digits.count, 1))
        common.say("\(result.features.rows)×\(result.features.columns) \(layer.rawValue) outputs (\(noise) noise images) in \(String(format: "%.2f", seconds)) s; accuracy on the digits \(String(format: "%.4f", accuracy))")
        common.say("wrote \(files.embeddings), \(files.metadata), \(files.images)")
        try common.writeSummary(Summary(embeddings: files.embeddings, metadata: files.metadata, rows: result.features.rows,
                                        columns: result.features.columns, noise: noise, accuracyOnDigits: accuracy, seconds: seconds))
    }
}

extension TutorialCNN.Layer: ExpressibleByArgument {}
extension MNIST.Split: ExpressibleByArgument {}
