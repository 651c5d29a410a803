import Datasets
import Foundation
import Linalg

// Shapes: B = batch, C = 16 channels, H×W = 26×26 convolution maps, P = 13×13 pooled, F = C·P = 2704
// flattened features, E = 100 embedding, K = 10 classes. Convolutional activations are channel-major
// over the batch, `(C, B·H·W)` (see `Conv2D`); from the flatten on they are row-major, `(B, ·)`.

/// The reference tutorial's MNIST model, with PyTorch's semantics:
///
///     Conv2d(1→C, 3×3) → BatchNorm2d(C) → ReLU → MaxPool2d(2) → ReLU → flatten (C·P = F)
///     → Linear(F→E) [the embedding] → ReLU → Linear(E→K) [logits]
///
/// Parameters live in one flat array (`layout` gives names, shapes and offsets, PyTorch `state_dict`
/// style); batch-norm running statistics are buffers beside it. Activations live in a `CNNWorkspace`
/// sized for a batch, so training allocates nothing per step.
public struct TutorialCNN: Sendable {
    public static let imageHeight = 28, imageWidth = 28
    /// Pixels of one image, 28·28 = 784.
    public static let imagePixels = imageHeight * imageWidth
    /// C: the convolution's output channels.
    public static let channels = 16
    public static let convShape = Conv2DShape(inChannels: 1, outChannels: channels, kernel: 3, height: imageHeight,
                                              width: imageWidth)
    /// H×W = 26×26: one channel's convolution map.
    public static let convHeight = convShape.outHeight, convWidth = convShape.outWidth
    public static let convPlane = convHeight * convWidth
    /// P = 13×13: one channel's pooled map.
    public static let poolHeight = convHeight / 2, poolWidth = convWidth / 2
    public static let poolPlane = poolHeight * poolWidth
    /// F = C·P = 2704.
    public static let flatFeatures = channels * poolPlane
    /// E: the embedding (fc1's output).
    public static let embeddingSize = 100
    /// K.
    public static let classes = 10

    public static let layout = TensorLayout([
        ("conv.weight", [channels, convShape.inChannels, convShape.kernel, convShape.kernel]), ("conv.bias", [channels]),
        ("bn.weight", [channels]), ("bn.bias", [channels]),
        ("fc1.weight", [embeddingSize, flatFeatures]), ("fc1.bias", [embeddingSize]),
        ("fc2.weight", [classes, embeddingSize]), ("fc2.bias", [classes]),
    ])

    /// A one-line description stored in checkpoints; a checkpoint for anything else is refused.
    /// (Spelled out: it identifies the file format, so it must not follow the constants silently.)
    public static let architecture =
        "Conv2d(1,16,3x3) BatchNorm2d(16) ReLU MaxPool2d(2) ReLU Flatten(2704) Linear(2704,100) ReLU Linear(100,10)"

    /// 271,702 trainable parameters: conv 160, batch norm 32, fc1 270,500, fc2 1,010.
    public static var parameterCount: Int { layout.count }

    public var parameters: [Float]
    /// `bn.running_mean` and `bn.running_var`, `(C)`.
    public var runningMean: [Float]
    public var runningVar: [Float]
    public var batchNorm = BatchNorm2D(channels: TutorialCNN.channels)

    /// A freshly initialised model, as PyTorch initialises it: weights and biases of Conv2d and
    /// Linear uniform in ±1/√fan_in (its default kaiming_uniform(a=√5) works out to that bound),
    /// batch-norm γ = 1, β = 0, running mean 0 and variance 1.
    public init(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var p = [Float](repeating: 0, count: Self.layout.count)
        func fill(_ name: String, fanIn: Int) {
            let bound = 1 / Float(fanIn).squareRoot()
            for i in Self.layout[name].range { p[i] = rng.uniform(-bound, bound) }
        }
        fill("conv.weight", fanIn: Self.convShape.patch)
        fill("conv.bias", fanIn: Self.convShape.patch)
        for i in Self.layout["bn.weight"].range { p[i] = 1 }
        fill("fc1.weight", fanIn: Self.flatFeatures)
        fill("fc1.bias", fanIn: Self.flatFeatures)
        fill("fc2.weight", fanIn: Self.embeddingSize)
        fill("fc2.bias", fanIn: Self.embeddingSize)
        self.init(parameters: p, runningMean: Array(repeating: 0, count: Self.channels),
                  runningVar: Array(repeating: 1, count: Self.channels))
    }

    public init(parameters: [Float], runningMean: [Float], runningVar: [Float]) {
        precondition(parameters.count == Self.layout.count && runningMean.count == Self.channels
            && runningVar.count == Self.channels)
        self.parameters = parameters
        self.runningMean = runningMean
        self.runningVar = runningVar
    }

    /// The values of one named tensor.
    public func tensor(_ name: String) -> ArraySlice<Float> { parameters[Self.layout[name].range] }

    /// Layers whose output can be read (the tutorial's forward hook), in forward order.
    public enum Layer: String, CaseIterable, Sendable, Codable {
        case conv, bn, relu1, pool, relu2, fc1, relu3, fc2

        /// Features per sample at this layer's output.
        public var width: Int {
            switch self {
            case .conv, .bn, .relu1: TutorialCNN.channels * TutorialCNN.convPlane
            case .pool, .relu2: TutorialCNN.flatFeatures
            case .fc1, .relu3: TutorialCNN.embeddingSize
            case .fc2: TutorialCNN.classes
            }
        }

        public var summary: String {
            switch self {
            case .conv: "Conv2d output (16×26×26)"
            case .bn: "BatchNorm2d output (16×26×26)"
            case .relu1: "first ReLU (16×26×26)"
            case .pool: "MaxPool2d output (16×13×13)"
            case .relu2: "second ReLU, flattened (2704)"
            case .fc1: "Linear(2704→100): the embedding (100)"
            case .relu3: "ReLU of the embedding (100)"
            case .fc2: "logits (10)"
            }
        }
    }

    /// Offsets of the tensors in `parameters` (resolved once).
    struct Offsets {
        let convWeight, convBias, bnWeight, bnBias, fc1Weight, fc1Bias, fc2Weight, fc2Bias: Int
    }

    static let offsets = Offsets(
        convWeight: layout["conv.weight"].offset, convBias: layout["conv.bias"].offset,
        bnWeight: layout["bn.weight"].offset, bnBias: layout["bn.bias"].offset,
        fc1Weight: layout["fc1.weight"].offset, fc1Bias: layout["fc1.bias"].offset,
        fc2Weight: layout["fc2.weight"].offset, fc2Bias: layout["fc2.bias"].offset)

    func withPointers<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        parameters.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    // MARK: Evaluation forward

    /// Runs the model in evaluation mode (batch norm with its running estimates) on `batch` images
    /// already in `workspace.input` (pixels/255, `(B, 1, 28, 28)`), stopping after `last`.
    public func forward(batch: Int, workspace w: CNNWorkspace, through last: Layer = .fc2) {
        precondition(batch > 0 && batch <= w.capacity, "batch \(batch) exceeds the workspace (\(w.capacity))")
        convolutionForward(batch: batch, workspace: w)
        if last == .conv { return }
        batchNormEvaluationForward(batch: batch, workspace: w)
        classifierForward(batch: batch, workspace: w, through: last)
    }

    // MARK: Forward stages

    /// Convolution: input `(B, 1, 28, 28)` → col `(9, B·H·W)` (im2col) → conv `(C, B·H·W)`.
    func convolutionForward(batch: Int, workspace w: CNNWorkspace) {
        withPointers { p in
            Conv2D.im2col(w.input, batch: batch, shape: Self.convShape, col: w.col)
            Conv2D.forward(weight: p + Self.offsets.convWeight, bias: p + Self.offsets.convBias, col: w.col,
                           batch: batch, shape: Self.convShape, out: w.conv)
        }
    }

    /// Batch norm in evaluation mode, with the running estimates: conv `(C, B·H·W)` → bn `(C, B·H·W)`.
    func batchNormEvaluationForward(batch: Int, workspace w: CNNWorkspace) {
        let n = batch * Self.convPlane
        withPointers { p in
            runningMean.withUnsafeBufferPointer { rm in
                runningVar.withUnsafeBufferPointer { rv in
                    batchNorm.forwardEvaluation(w.conv, n: n, gamma: p + Self.offsets.bnWeight, beta: p + Self.offsets.bnBias,
                                                runningMean: rm.baseAddress!, runningVar: rv.baseAddress!, y: w.bn)
                }
            }
        }
    }

    /// Batch norm in training mode, with the whole batch's `mean` and `inverseStd` (C): conv
    /// `(C, B·H·W)` → xHat, bn `(C, B·H·W)`; keeps `inverseStd` for the backward pass.
    func batchNormTrainingForward(batch: Int, mean: [Float], inverseStd: [Float], workspace w: CNNWorkspace) {
        let n = batch * Self.convPlane
        withPointers { p in
            for c in 0..<Self.channels {
                w.inverseStd[c] = inverseStd[c]
                BatchNorm2D.normalise(w.conv + c * n, count: n, mean: mean[c], inverseStd: inverseStd[c],
                                      gamma: p[Self.offsets.bnWeight + c], beta: p[Self.offsets.bnBias + c],
                                      xHat: w.xHat + c * n, y: w.bn + c * n)
            }
        }
    }

    /// Classifier: bn `(C, B·H·W)` → ReLU → max-pool `(C, B·P)` → ReLU → flatten `(B, F)` → fc1 `(B, E)`
    /// → ReLU → fc2: logits `(B, K)`, stopping after `last`.
    func classifierForward(batch: Int, workspace w: CNNWorkspace, through last: Layer = .fc2,
                           profile: StepProfile? = nil, part k: Int = 0) {
        if last == .bn { return }
        let (C, E, F, K) = (Self.channels, Self.embeddingSize, Self.flatFeatures, Self.classes)
        let n = batch * Self.convPlane
        withPointers { p in
            profile.time(.normalisePoolForward, part: k) {
                ReLU.forward(w.bn, count: C * n, y: w.relu1)
                if last == .relu1 { return }
                MaxPool2D.forward(w.relu1, planes: C * batch, height: Self.convHeight, width: Self.convWidth, y: w.pool,
                                  argmax: w.argmax)
                if last == .pool { return }
                ReLU.forward(w.pool, count: C * batch * Self.poolPlane, y: w.relu2)
                Self.flatten(w.relu2, batch: batch, into: w.flat)
            }
            if last == .relu1 || last == .pool || last == .relu2 { return }
            profile.time(.fc1Forward, part: k) {
                Linear.forward(w.flat, batch: batch, inFeatures: F, outFeatures: E,
                               weight: p + Self.offsets.fc1Weight, bias: p + Self.offsets.fc1Bias, y: w.fc1)
            }
            if last == .fc1 { return }
            profile.time(.fc2LossForward, part: k) {
                ReLU.forward(w.fc1, count: batch * E, y: w.relu3)
                if last == .relu3 { return }
                Linear.forward(w.relu3, batch: batch, inFeatures: E, outFeatures: K,
                               weight: p + Self.offsets.fc2Weight, bias: p + Self.offsets.fc2Bias, y: w.logits)
            }
        }
    }

    /// Loss: cross-entropy of logits `(B, K)` against `w.labels`, keeping the softmax `(B, K)` for the
    /// backward pass. Returns the summed loss of these `batch` rows and their correct count.
    func crossEntropyForward(batch: Int, workspace w: CNNWorkspace) -> (lossSum: Double, correct: Int) {
        let (loss, correct) = CrossEntropy.forward(w.logits, labels: w.labels, batch: batch, classes: Self.classes,
                                                   probabilities: w.probabilities)
        return (loss * Double(batch), correct)
    }

    /// `(C, B, P)` channel-major pooled maps → `(B, C·P)` rows, PyTorch's flatten order.
    static func flatten(_ x: UnsafePointer<Float>, batch: Int, into flat: UnsafeMutablePointer<Float>) {
        let (P, F) = (poolPlane, flatFeatures)
        for c in 0..<channels {
            for b in 0..<batch {
                (flat + b * F + c * P).update(from: x + (c * batch + b) * P, count: P)
            }
        }
    }

    /// The adjoint of `flatten`: `(B, C·P)` → `(C, B, P)`.
    static func unflatten(_ flat: UnsafePointer<Float>, batch: Int, into x: UnsafeMutablePointer<Float>) {
        let (P, F) = (poolPlane, flatFeatures)
        for c in 0..<channels {
            for b in 0..<batch {
                (x + (c * batch + b) * P).update(from: flat + b * F + c * P, count: P)
            }
        }
    }

    // MARK: Backward stages (in reverse order)

    /// Classifier backward, from the loss: dLogits `(B, K)` (a mean over `meanOver` rows, the whole
    /// batch when this workspace holds one part of it) → fc2 → ReLU → fc1 → unflatten → ReLU →
    /// max-pool → ReLU → dRelu1 `(C, B·H·W)`, the gradient at the batch-norm output; fills the fc1
    /// and fc2 gradients.
    func classifierBackward(batch: Int, meanOver: Int, workspace w: CNNWorkspace, profile: StepProfile? = nil, part k: Int = 0) {
        let (C, E, F, K) = (Self.channels, Self.embeddingSize, Self.flatFeatures, Self.classes)
        let n = batch * Self.convPlane
        withPointers { p in
            let g = w.gradients
            profile.time(.lossFc2Backward, part: k) {
                CrossEntropy.backward(probabilities: w.probabilities, labels: w.labels, batch: batch, classes: K,
                                      meanOver: meanOver, dLogits: w.dLogits)
                Linear.backward(dY: w.dLogits, x: w.relu3, batch: batch, inFeatures: E, outFeatures: K,
                                weight: p + Self.offsets.fc2Weight, dWeight: g + Self.offsets.fc2Weight,
                                dBias: g + Self.offsets.fc2Bias, dX: w.dHidden)
                ReLU.backward(dY: w.dHidden, y: w.relu3, count: batch * E, dX: w.dHidden)
            }
            profile.time(.fc1Backward, part: k) {
                Linear.backward(dY: w.dHidden, x: w.flat, batch: batch, inFeatures: F, outFeatures: E,
                                weight: p + Self.offsets.fc1Weight, dWeight: g + Self.offsets.fc1Weight,
                                dBias: g + Self.offsets.fc1Bias, dX: w.dFlat)
            }
        }
        profile.time(.poolBackward, part: k) {
            Self.unflatten(w.dFlat, batch: batch, into: w.dPool)
            ReLU.backward(dY: w.dPool, y: w.relu2, count: C * batch * Self.poolPlane, dX: w.dPool)
            MaxPool2D.backward(dY: w.dPool, argmax: w.argmax, planes: C * batch, height: Self.convHeight, width: Self.convWidth,
                               dX: w.dRelu1)
            ReLU.backward(dY: w.dRelu1, y: w.relu1, count: C * n, dX: w.dRelu1)
        }
    }

    /// Batch-norm backward, first half: this part's (Σ dy, Σ dy·x̂) per channel into `w.gradientSums`
    /// (β's and γ's gradients, and what the input gradient needs from the whole batch).
    func batchNormGradientSums(batch: Int, workspace w: CNNWorkspace) {
        let n = batch * Self.convPlane
        for c in 0..<Self.channels {
            w.gradientSums[c] = BatchNorm2D.gradientSums(w.dRelu1 + c * n, w.xHat + c * n, count: n)
        }
    }

    /// Batch-norm backward, second half: γ and β get this part's sums; dRelu1 → dConv `(C, B·H·W)`
    /// with the whole batch's means of dy and dy·x̂ (`meanDy`, `meanDyXHat`, (C)).
    func batchNormBackward(batch: Int, meanDy: [Float], meanDyXHat: [Float], workspace w: CNNWorkspace) {
        let n = batch * Self.convPlane
        withPointers { p in
            let g = w.gradients
            for c in 0..<Self.channels {
                g[Self.offsets.bnBias + c] = Float(w.gradientSums[c].0)
                g[Self.offsets.bnWeight + c] = Float(w.gradientSums[c].1)
                BatchNorm2D.inputGradient(w.dRelu1 + c * n, w.xHat + c * n, count: n,
                                          scale: p[Self.offsets.bnWeight + c] * w.inverseStd[c],
                                          meanDy: meanDy[c], meanDyXHat: meanDyXHat[c], dX: w.dConv + c * n)
            }
        }
    }

    /// Convolution backward: dConv `(C, B·H·W)` → the convolution's weight and bias gradients; with
    /// `inputGradient`, also dCol `(9, B·H·W)` → dInput `(B, 1, 28, 28)` (col2im).
    func convolutionBackward(batch: Int, workspace w: CNNWorkspace, inputGradient: Bool) {
        withPointers { p in
            let g = w.gradients
            Conv2D.backward(dOut: w.dConv, col: w.col, weight: p + Self.offsets.convWeight, batch: batch,
                            shape: Self.convShape, dWeight: g + Self.offsets.convWeight, dBias: g + Self.offsets.convBias,
                            dCol: inputGradient ? w.dCol : nil)
        }
        if inputGradient { Conv2D.col2im(w.dCol, batch: batch, shape: Self.convShape, dInput: w.dInput) }
    }

    // MARK: Training step

    /// One training step on a batch split into parts, one per workspace (`rows[k]` images each, already
    /// loaded), run in parallel: forward with batch statistics over the *whole* batch (exchanged
    /// between parts twice), loss, backward (exchanging the batch-norm sums once more), and an Adam
    /// update with the parts' gradients summed. With one part this is the plain single-threaded step.
    /// Returns the batch's mean loss and the number of correct predictions. With `inputGradient` (one
    /// part only), `dInput` is filled too.
    public mutating func trainingStep(parts: [CNNWorkspace], rows: [Int], optimizer: inout Adam?,
                                      inputGradient: Bool = false, profile: StepProfile? = nil) -> (loss: Double, correct: Int) {
        precondition(parts.count == rows.count && !parts.isEmpty && (!inputGradient || parts.count == 1))
        let C = Self.channels
        let B = rows.reduce(0, +)
        let count = B * Self.convPlane  // values per channel in the whole batch, B·H·W
        // Σ over the parts of a per-part partial sum.
        func acrossParts(_ partial: (CNNWorkspace) -> Double) -> Double {
            parts.reduce(0.0) { $0 + partial($1) }
        }
        let model = self  // the parameters stay as they are until the Adam update
        profile?.beginStep(parts: parts.count)
        defer { profile?.endStep() }

        // Forward: convolution, and each part's Σ x per channel.
        profile.region {
            Threads.forEachPart(parts.count) { k in
                let w = parts[k], n = rows[k] * Self.convPlane
                profile.time(.convolutionForward, part: k) { model.convolutionForward(batch: rows[k], workspace: w) }
                profile.time(.batchNormStatistics, part: k) {
                    for c in 0..<C { w.channelSums[c] = Double(sum(w.conv + c * n, count: n)) }
                }
            }
        }
        // Forward: batch-norm statistics of the whole batch, the mean, then (a second pass, no
        // cancellation) the centred sums of squares; they move the running estimates.
        let mean = profile.time(.batchNormExchange, part: 0) {
            (0..<C).map { c in Float(acrossParts { $0.channelSums[c] } / Double(count)) }
        }
        profile.region {
            Threads.forEachPart(parts.count) { k in
                let w = parts[k], n = rows[k] * Self.convPlane
                profile.time(.batchNormStatistics, part: k) {
                    for c in 0..<C { w.channelSums[c] = BatchNorm2D.centredSquares(w.conv + c * n, count: n, mean: mean[c]) }
                }
            }
        }
        var inverseStd = [Float](repeating: 0, count: C)
        profile.time(.batchNormExchange, part: 0) {
            runningMean.withUnsafeMutableBufferPointer { rm in
                runningVar.withUnsafeMutableBufferPointer { rv in
                    for c in 0..<C {
                        inverseStd[c] = batchNorm.statistics(mean: mean[c], centredSquares: acrossParts { $0.channelSums[c] },
                                                             count: count, runningMean: rm.baseAddress! + c, runningVar: rv.baseAddress! + c)
                    }
                }
            }
        }
        // Forward: batch norm, the classifier, the loss; backward: the loss and the classifier, and
        // each part's batch-norm sums.
        var results = [(lossSum: Double, correct: Int)](repeating: (0, 0), count: parts.count)
        results.withUnsafeMutableBufferPointer { out in
            let slots = UncheckedSendable(out)
            profile.region {
                Threads.forEachPart(parts.count) { k in
                    let w = parts[k], b = rows[k]
                    profile.time(.normalisePoolForward, part: k) {
                        model.batchNormTrainingForward(batch: b, mean: mean, inverseStd: inverseStd, workspace: w)
                    }
                    model.classifierForward(batch: b, workspace: w, profile: profile, part: k)
                    slots.value[k] = profile.time(.fc2LossForward, part: k) { model.crossEntropyForward(batch: b, workspace: w) }
                }
            }
        }
        profile.region {
            Threads.forEachPart(parts.count) { k in
                let w = parts[k], b = rows[k]
                model.classifierBackward(batch: b, meanOver: B, workspace: w, profile: profile, part: k)
                profile.time(.poolBackward, part: k) { model.batchNormGradientSums(batch: b, workspace: w) }
            }
        }
        // Backward: batch norm with the whole batch's means of dy and dy·x̂, then the convolution.
        let (meanDy, meanDyXHat) = profile.time(.batchNormExchange, part: 0) {
            ((0..<C).map { c in Float(acrossParts { $0.gradientSums[c].0 } / Double(count)) },
             (0..<C).map { c in Float(acrossParts { $0.gradientSums[c].1 } / Double(count)) })
        }
        profile.region {
            Threads.forEachPart(parts.count) { k in
                profile.time(.normaliseBackward, part: k) {
                    model.batchNormBackward(batch: rows[k], meanDy: meanDy, meanDyXHat: meanDyXHat, workspace: parts[k])
                }
                profile.time(.convolutionBackward, part: k) {
                    model.convolutionBackward(batch: rows[k], workspace: parts[k], inputGradient: inputGradient)
                }
            }
        }

        // Adam on the summed gradients.
        if optimizer != nil {
            profile.time(.adam, part: 0) {
                optimizer!.update(parameters: &parameters, gradientParts: parts.map { UnsafePointer($0.gradients) })
            }
        }
        let lossSum = results.reduce(0.0) { $0 + $1.lossSum }
        return (lossSum / Double(B), results.reduce(0) { $0 + $1.correct })
    }

    // MARK: Reading layers

    /// The output of `layer` for the last forward of `batch` samples, one row per sample
    /// (convolutional maps in PyTorch's `(C, H, W)` order).
    public func output(of layer: Layer, batch: Int, workspace w: CNNWorkspace) -> Matrix {
        var out = Matrix(rows: batch, columns: layer.width)
        out.withUnsafeMutableBufferPointer { o in
            let dst = o.baseAddress!
            switch layer {
            case .conv, .bn, .relu1:
                // (C, B, H·W) → (B, C·H·W)
                let src = layer == .conv ? w.conv : layer == .bn ? w.bn : w.relu1
                let (HW, width) = (Self.convPlane, layer.width)
                for c in 0..<Self.channels {
                    for b in 0..<batch {
                        (dst + b * width + c * HW).update(from: src + (c * batch + b) * HW, count: HW)
                    }
                }
            case .pool: Self.flatten(w.pool, batch: batch, into: dst)
            case .relu2: dst.update(from: w.flat, count: batch * Self.flatFeatures)
            case .fc1: dst.update(from: w.fc1, count: batch * Self.embeddingSize)
            case .relu3: dst.update(from: w.relu3, count: batch * Self.embeddingSize)
            case .fc2: dst.update(from: w.logits, count: batch * Self.classes)
            }
        }
        return out
    }
}

/// Activation and gradient buffers for batches of up to `capacity` images, allocated once
/// (shapes as in `TutorialCNN`'s legend, with B = capacity).
public final class CNNWorkspace: @unchecked Sendable {
    public let capacity: Int
    /// `(B, 1, 28, 28)` pixels/255; fill with `load(_:indices:)` or directly.
    public let input: UnsafeMutablePointer<Float>
    /// `(B)`.
    public let labels: UnsafeMutablePointer<UInt8>
    /// col `(9, B·H·W)`; conv, xHat, bn, relu1 `(C, B·H·W)`; pool, relu2 `(C, B·P)`; flat `(B, F)`;
    /// fc1, relu3 `(B, E)`; logits, probabilities `(B, K)`.
    let col, conv, xHat, bn, relu1, pool, relu2, flat, fc1, relu3, logits, probabilities: UnsafeMutablePointer<Float>
    /// `(C)`.
    let inverseStd: UnsafeMutablePointer<Float>
    /// Per-channel partial sums `(C)` exchanged between the parts of a batch.
    var channelSums = [Double](repeating: 0, count: TutorialCNN.channels)
    var gradientSums = [(Double, Double)](repeating: (0, 0), count: TutorialCNN.channels)
    /// `(C, B·P)`: which of its window's four positions each pooled value came from.
    let argmax: UnsafeMutablePointer<UInt8>
    /// Gradients of the activations, shaped like them: dLogits `(B, K)`, dHidden `(B, E)`, dFlat `(B, F)`,
    /// dPool `(C, B·P)`, dRelu1 and dConv `(C, B·H·W)`, dCol `(9, B·H·W)`, dInput `(B, 1, 28, 28)`.
    let dLogits, dHidden, dFlat, dPool, dRelu1, dConv, dCol, dInput: UnsafeMutablePointer<Float>
    /// Parameter gradients of the last step (of this workspace's part of the batch), in `TutorialCNN.layout`.
    public let gradients: UnsafeMutablePointer<Float>

    /// The gradients as an array.
    public var gradientArray: [Float] { Array(UnsafeBufferPointer(start: gradients, count: TutorialCNN.layout.count)) }
    private var floatBuffers: [UnsafeMutablePointer<Float>] = []

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        var buffers: [UnsafeMutablePointer<Float>] = []
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            buffers.append(p)
            return p
        }
        let B = capacity
        let (C, E, F, K) = (TutorialCNN.channels, TutorialCNN.embeddingSize, TutorialCNN.flatFeatures, TutorialCNN.classes)
        let pixels = TutorialCNN.imagePixels
        let maps = C * B * TutorialCNN.convPlane, pooled = C * B * TutorialCNN.poolPlane
        let columns = TutorialCNN.convShape.patch * B * TutorialCNN.convPlane
        input = make(B * pixels)
        col = make(columns)
        conv = make(maps); xHat = make(maps); bn = make(maps); relu1 = make(maps)
        pool = make(pooled); relu2 = make(pooled); flat = make(B * F)
        fc1 = make(B * E); relu3 = make(B * E)
        logits = make(B * K); probabilities = make(B * K)
        inverseStd = make(C)
        dLogits = make(B * K); dHidden = make(B * E); dFlat = make(B * F)
        dPool = make(pooled); dRelu1 = make(maps); dConv = make(maps)
        dCol = make(columns); dInput = make(B * pixels)
        labels = .allocate(capacity: B)
        labels.initialize(repeating: 0, count: B)
        argmax = .allocate(capacity: pooled)
        argmax.initialize(repeating: 0, count: pooled)
        gradients = make(TutorialCNN.layout.count)
        floatBuffers = buffers  // last: every buffer above, the gradients included, is freed in deinit
    }

    deinit {
        for p in floatBuffers { p.deallocate() }
        labels.deallocate()
        argmax.deallocate()
    }

    /// Loads images `indices` of `data` (pixels/255) and their labels as the next batch.
    public func load(_ data: LabeledImages, indices: ArraySlice<Int>) {
        let pixels = TutorialCNN.imagePixels
        precondition(indices.count <= capacity && data.pixelsPerImage == pixels)
        let inverse: Float = 1 / 255
        data.images.withUnsafeBufferPointer { px in
            for (row, i) in indices.enumerated() {
                let src = px.baseAddress! + i * pixels, dst = input + row * pixels
                for k in 0..<pixels { dst[k] = Float(src[k]) * inverse }
                labels[row] = data.labels[i]
            }
        }
    }
}
