import Datasets
import Foundation
import Linalg
import NeuralNet

/// The tutorial's embeddings: the test set with `noise` images replaced by uniform noise, run
/// through a model (the 100-d fc1 output), plus the same model's embeddings of `reference` training
/// images as the in-distribution reference for outlier scores. Writes `embeddings.npy`,
/// `metadata.tsv` and `images-idx3-ubyte` into the set's directory.
public struct EmbeddingStage: Sendable {
    /// Classes of the tutorial's metadata: the digits, and 10 for an injected noise image.
    public static let classNames = (0...9).map(String.init) + ["noise"]

    public var noise: Int
    public var noiseSeed: UInt64
    /// Training images whose embeddings become each set's reference.
    public var reference: LabeledImages
    /// The study's output directory.
    public var output: String

    public init(noise: Int, noiseSeed: UInt64, reference: LabeledImages, output: String) {
        self.noise = noise
        self.noiseSeed = noiseSeed
        self.reference = reference
        self.output = output
    }

    /// Embeds `test` (with the injected noise) and the reference images with `model`.
    /// - Parameters: `name`, `shortName`, `title`, `directory` and `about` as in `EmbeddingSet`.
    public func run(_ model: TutorialCNN, name: String, shortName: String? = nil, title: String? = nil, directory: String,
                    about: String? = nil, test: LabeledImages, runner: StageRunner) throws -> EmbeddingSet {
        try runner.stage("embed (\(name))") { () -> (EmbeddingSet, String) in
            let path = (output as NSString).appendingPathComponent(directory)
            try OutputFile.createDirectory(path)
            let embedded = try NoisyEmbeddings(model: model, data: test, noise: noise, noiseSeed: noiseSeed)
            _ = try EmbeddingFiles.write(embedded, to: path)
            let referenceFeatures = Evaluation.outputs(model, on: reference).features
            var set = EmbeddingSet(name: name, shortName: shortName, title: title, directory: directory, features: embedded.features, metadata: embedded.metadata,
                                   classNames: Self.classNames, images: embedded.images, reference: referenceFeatures, about: about)
            set.referenceLabels = reference.labels.map(Int.init)
            // The logits of the same inputs (fc2), for the softmax and energy scores.
            set.logits = Evaluation.outputs(model, on: embedded.images, layer: .fc2).features
            return (set, "\(set.features.rows)×\(set.features.columns), \(noise) noise images")
        }
    }
}
