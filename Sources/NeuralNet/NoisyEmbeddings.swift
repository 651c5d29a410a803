import Datasets
import Linalg

/// Embeddings of a labelled set with injected noise: the tutorial's experiment.
public struct NoisyEmbeddings: Sendable {
    public var features: Matrix
    public var metadata: EmbeddingMetadata
    /// The images embedded (noise included), for pictures of selected samples.
    public var images: LabeledImages

    /// Replaces `noise` distinct images of `data` by uniform noise (label 10), then runs `model` in
    /// evaluation mode and keeps `layer`'s output with predictions and confidences.
    public init(model: TutorialCNN, data: LabeledImages, noise: Int, noiseSeed: UInt64,
                layer: TutorialCNN.Layer = .fc1) throws {
        try Evaluation.validate(data, layer: layer)
        let (noisy, noiseIndices) = try NoiseInjection.inject(into: data, count: noise, seed: noiseSeed)
        let outputs = Evaluation.outputs(model, on: noisy, layer: layer)
        let noiseSet = Set(noiseIndices)
        features = outputs.features
        images = noisy
        metadata = EmbeddingMetadata(index: Array(0..<noisy.count), target: noisy.labels.map(Int.init),
                                     prediction: outputs.predictions, confidence: outputs.confidences,
                                     isNoise: (0..<noisy.count).map { noiseSet.contains($0) })
    }
}
