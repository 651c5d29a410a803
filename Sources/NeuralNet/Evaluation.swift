import Datasets
import Foundation
import Linalg

/// Loss, accuracy and confusion matrix of a model on labelled images (evaluation mode).
public struct EvaluationResult: Sendable, Codable {
    public var loss: Double
    public var accuracy: Double
    public var count: Int
    /// `confusion[target][prediction]`.
    public var confusion: [[Int]]
}

/// What the model says about each image: the requested layer's output, the predicted class and
/// its softmax probability.
public struct ModelOutputs: Sendable {
    public var features: Matrix
    public var predictions: [Int]
    public var confidences: [Float]
}

public enum Evaluation {
    /// Batch size for inference: small enough that a batch's activations stay in cache (64: 0.20 s for
    /// the 10k test set on 2 cores; 500: 0.77 s, memory-bound), large enough for efficient GEMMs.
    public static let batchSize = 64

    /// Checks that `data` is what the model takes — 28×28 images — and, when `layer` is given, that
    /// the `count × layer.width` float32 outputs of `outputs(_:on:layer:)` fit `MemoryBudget`.
    /// Call it before `evaluate` and `outputs`, which assume both (a wrong image size is a
    /// precondition failure there); `NoisyEmbeddings` calls it.
    /// - Parameter source: where the images came from (a file), for the error's location.
    public static func validate(_ data: LabeledImages, layer: TutorialCNN.Layer? = nil, source: String? = nil) throws(EmbedVizError) {
        guard data.height == 28, data.width == 28 else {
            throw EmbedVizError.input("the model takes 28×28 images, these are \(data.height)×\(data.width) (shape \(data.count)×\(data.height)×\(data.width))",
                                      at: source)
        }
        if let layer {
            try MemoryBudget.check(checkedProduct(data.count, layer.width, 4),
                                   for: "the \(layer.rawValue) outputs of \(data.count) images (\(layer.width) floats each)",
                                   alternative: "embed fewer images (\(parameter: "data", of: "Evaluation")) or use a smaller \(parameter: "layer", of: "Evaluation")")
        }
    }

    /// Labels must be 0–9 (noise images, label 10, have no loss to speak of).
    public static func evaluate(_ model: TutorialCNN, on data: LabeledImages, indices: [Int]? = nil) -> EvaluationResult {
        let indices = indices ?? Array(0..<data.count)
        var batchLoss = [Double](repeating: 0, count: (indices.count + batchSize - 1) / batchSize)
        var correct = 0
        var confusion = Array(repeating: Array(repeating: 0, count: 10), count: 10)
        forEachBatch(model, data, indices, through: .fc2) { w, b, start in
            let (loss, right) = CrossEntropy.forward(w.logits, labels: w.labels, batch: b, classes: 10, probabilities: w.probabilities)
            batchLoss[start / batchSize] = loss * Double(b)  // summed in batch order below: deterministic
            correct += right
            for r in 0..<b {
                confusion[Int(w.labels[r])][CrossEntropy.argmax(w.logits + r * 10, count: 10)] += 1
            }
        }
        let total = batchLoss.reduce(0, +)
        let n = max(indices.count, 1)
        return EvaluationResult(loss: total / Double(n), accuracy: Double(correct) / Double(n), count: indices.count,
                                confusion: confusion)
    }

    /// Runs the model (evaluation mode) on every image and returns `layer`'s output with the
    /// predictions and their confidence (max softmax).
    public static func outputs(_ model: TutorialCNN, on data: LabeledImages, layer: TutorialCNN.Layer = .fc1) -> ModelOutputs {
        var features = [Float](repeating: 0, count: data.count * layer.width)
        var predictions = [Int](repeating: 0, count: data.count), confidences = [Float](repeating: 0, count: data.count)
        forEachBatch(model, data, Array(0..<data.count), through: .fc2) { w, b, start in
            CrossEntropy.softmax(w.logits, batch: b, classes: 10, probabilities: w.probabilities)
            let rows = model.output(of: layer, batch: b, workspace: w)
            features.replaceSubrange((start * layer.width)..<((start + b) * layer.width), with: rows.storage)
            for r in 0..<b {
                let predicted = CrossEntropy.argmax(w.logits + r * 10, count: 10)
                predictions[start + r] = predicted
                confidences[start + r] = w.probabilities[r * 10 + predicted]
            }
        }
        return ModelOutputs(features: Matrix(rows: data.count, columns: layer.width, storage: features),
                            predictions: predictions, confidences: confidences)
    }

    /// Runs the forward pass over `indices` in batches, the batches spread over the threads (each with
    /// its own workspace, BLAS single-threaded inside); `consume(workspace, rows, position)` is called
    /// for each batch, one at a time, with `position` the batch's offset in `indices`.
    static func forEachBatch(_ model: TutorialCNN, _ data: LabeledImages, _ indices: [Int], through last: TutorialCNN.Layer,
                             _ consume: (CNNWorkspace, Int, Int) -> Void) {
        let capacity = batchSize
        let threads = max(1, min(Threads.count, (indices.count + capacity - 1) / capacity))
        let workspaces = (0..<threads).map { _ in CNNWorkspace(capacity: capacity, training: false) }
        let lock = NSLock()
        let batches = (indices.count + capacity - 1) / capacity
        Threads.withBLASThreads(1) {
            Threads.forEachPart(threads) { k in
                let w = workspaces[k]
                var batchIndex = k
                while batchIndex < batches {
                    let start = batchIndex * capacity, end = min(start + capacity, indices.count)
                    w.load(data, indices: indices[start..<end])
                    model.forward(batch: end - start, workspace: w, through: last)
                    lock.lock()
                    consume(w, end - start, start)
                    lock.unlock()
                    batchIndex += threads
                }
            }
        }
    }
}
