import Datasets
import Foundation
import Linalg

/// The reference tutorial's MNIST model, with PyTorch's semantics:
///
///     Conv2d(1→16, 3×3) → BatchNorm2d(16) → ReLU → MaxPool2d(2) → ReLU → flatten (16·13·13 = 2704)
///     → Linear(2704→100) [the embedding] → ReLU → Linear(100→10) [logits]
///
/// Parameters live in one flat array (`layout` gives names, shapes and offsets, PyTorch `state_dict`
/// style); batch-norm running statistics are buffers beside it. Activations live in a `CNNWorkspace`
/// sized for a batch, so training allocates nothing per step.
public struct TutorialCNN: Sendable {
    public static let imageHeight = 28, imageWidth = 28
    public static let convShape = Conv2DShape(inChannels: 1, outChannels: 16, kernel: 3, height: 28, width: 28)
    public static let channels = 16
    public static let convPlane = 26 * 26
    public static let poolPlane = 13 * 13
    public static let flatFeatures = 16 * 13 * 13  // 2704
    public static let embeddingSize = 100
    public static let classes = 10

    public static let layout = TensorLayout([
        ("conv.weight", [16, 1, 3, 3]), ("conv.bias", [16]),
        ("bn.weight", [16]), ("bn.bias", [16]),
        ("fc1.weight", [100, 2704]), ("fc1.bias", [100]),
        ("fc2.weight", [10, 100]), ("fc2.bias", [10]),
    ])

    /// A one-line description stored in checkpoints; a checkpoint for anything else is refused.
    public static let architecture =
        "Conv2d(1,16,3x3) BatchNorm2d(16) ReLU MaxPool2d(2) ReLU Flatten(2704) Linear(2704,100) ReLU Linear(100,10)"

    /// 271,702 trainable parameters: conv 160, batch norm 32, fc1 270,500, fc2 1,010.
    public static var parameterCount: Int { layout.count }

    public var parameters: [Float]
    /// `bn.running_mean` and `bn.running_var`.
    public var runningMean: [Float]
    public var runningVar: [Float]
    public var batchNorm = BatchNorm2D(channels: 16)

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
        fill("conv.weight", fanIn: 9)
        fill("conv.bias", fanIn: 9)
        for i in Self.layout["bn.weight"].range { p[i] = 1 }
        fill("fc1.weight", fanIn: 2704)
        fill("fc1.bias", fanIn: 2704)
        fill("fc2.weight", fanIn: 100)
        fill("fc2.bias", fanIn: 100)
        self.init(parameters: p, runningMean: Array(repeating: 0, count: 16), runningVar: Array(repeating: 1, count: 16))
    }

    public init(parameters: [Float], runningMean: [Float], runningVar: [Float]) {
        precondition(parameters.count == Self.layout.count && runningMean.count == 16 && runningVar.count == 16)
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
            case .conv, .bn, .relu1: 16 * 26 * 26
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

    // MARK: Forward (evaluation, and the stages training composes)

    /// Runs the model in evaluation mode (batch norm with its running estimates) on `batch` images
    /// already in `workspace.input` (pixels/255, `(B, 1, 28, 28)`), stopping after `last`.
    public func forward(batch: Int, workspace w: CNNWorkspace, through last: Layer = .fc2) {
        precondition(batch > 0 && batch <= w.capacity, "batch \(batch) exceeds the workspace (\(w.capacity))")
        convolve(batch: batch, workspace: w)
        if last == .conv { return }
        let n = batch * Self.convPlane
        withPointers { p in
            runningMean.withUnsafeBufferPointer { rm in
                runningVar.withUnsafeBufferPointer { rv in
                    batchNorm.forwardEvaluation(w.conv, n: n, gamma: p + Self.offsets.bnWeight, beta: p + Self.offsets.bnBias,
                                                runningMean: rm.baseAddress!, runningVar: rv.baseAddress!, y: w.bn)
                }
            }
        }
        classify(batch: batch, workspace: w, through: last)
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

    /// Stage 1: im2col and the convolution. input `(B, 1, 28, 28)` → conv `(16, B·676)`.
    func convolve(batch: Int, workspace w: CNNWorkspace) {
        withPointers { p in
            Conv2D.im2col(w.input, batch: batch, shape: Self.convShape, col: w.col)
            Conv2D.forward(weight: p + Self.offsets.convWeight, bias: p + Self.offsets.convBias, col: w.col,
                           batch: batch, shape: Self.convShape, out: w.conv)
        }
    }

    /// Stage 3: from the batch-normalised maps `w.bn` to the logits: ReLU → max-pool → ReLU → flatten
    /// → fc1 → ReLU → fc2, stopping after `last`.
    func classify(batch: Int, workspace w: CNNWorkspace, through last: Layer = .fc2) {
        if last == .bn { return }
        let n = batch * Self.convPlane
        withPointers { p in
            ReLU.forward(w.bn, count: 16 * n, y: w.relu1)
            if last == .relu1 { return }
            MaxPool2D.forward(w.relu1, planes: 16 * batch, height: 26, width: 26, y: w.pool, argmax: w.argmax)
            if last == .pool { return }
            ReLU.forward(w.pool, count: 16 * batch * Self.poolPlane, y: w.relu2)
            Self.flatten(w.relu2, batch: batch, into: w.flat)
            if last == .relu2 { return }
            Linear.forward(w.flat, batch: batch, inFeatures: 2704, outFeatures: 100,
                           weight: p + Self.offsets.fc1Weight, bias: p + Self.offsets.fc1Bias, y: w.fc1)
            if last == .fc1 { return }
            ReLU.forward(w.fc1, count: batch * 100, y: w.relu3)
            if last == .relu3 { return }
            Linear.forward(w.relu3, batch: batch, inFeatures: 100, outFeatures: 10,
                           weight: p + Self.offsets.fc2Weight, bias: p + Self.offsets.fc2Bias, y: w.logits)
        }
    }

    /// `(C, B, 169)` channel-major pooled maps → `(B, C·169)` rows, PyTorch's flatten order.
    static func flatten(_ x: UnsafePointer<Float>, batch: Int, into flat: UnsafeMutablePointer<Float>) {
        for c in 0..<16 {
            for b in 0..<batch {
                (flat + b * 2704 + c * 169).update(from: x + (c * batch + b) * 169, count: 169)
            }
        }
    }

    /// The adjoint of `flatten`.
    static func unflatten(_ flat: UnsafePointer<Float>, batch: Int, into x: UnsafeMutablePointer<Float>) {
        for c in 0..<16 {
            for b in 0..<batch {
                (x + (c * batch + b) * 169).update(from: flat + b * 2704 + c * 169, count: 169)
            }
        }
    }

    // MARK: Backward stages

    /// Stage 4: loss of the logits against `w.labels`, then backward through fc2, ReLU, fc1, flatten,
    /// ReLU, max-pool and ReLU down to the batch-norm output, ending with this part's (Σ dy, Σ dy·x̂)
    /// per channel in `w.gradientSums`. The loss is a mean over `meanOver` rows (the whole batch when
    /// this workspace holds one part of it). Returns the part's summed loss and correct count.
    func classifierBackward(batch: Int, meanOver: Int, workspace w: CNNWorkspace) -> (lossSum: Double, correct: Int) {
        let n = batch * Self.convPlane
        let (loss, correct) = CrossEntropy.forward(w.logits, labels: w.labels, batch: batch, classes: 10,
                                                   probabilities: w.probabilities)
        CrossEntropy.backward(probabilities: w.probabilities, labels: w.labels, batch: batch, classes: 10,
                              meanOver: meanOver, dLogits: w.dLogits)
        withPointers { p in
            do {
                let g = w.gradients
                Linear.backward(dY: w.dLogits, x: w.relu3, batch: batch, inFeatures: 100, outFeatures: 10,
                                weight: p + Self.offsets.fc2Weight, dWeight: g + Self.offsets.fc2Weight,
                                dBias: g + Self.offsets.fc2Bias, dX: w.dHidden)
                ReLU.backward(dY: w.dHidden, y: w.relu3, count: batch * 100, dX: w.dHidden)
                Linear.backward(dY: w.dHidden, x: w.flat, batch: batch, inFeatures: 2704, outFeatures: 100,
                                weight: p + Self.offsets.fc1Weight, dWeight: g + Self.offsets.fc1Weight,
                                dBias: g + Self.offsets.fc1Bias, dX: w.dFlat)
            }
        }
        Self.unflatten(w.dFlat, batch: batch, into: w.dPool)
        ReLU.backward(dY: w.dPool, y: w.relu2, count: 16 * batch * Self.poolPlane, dX: w.dPool)
        MaxPool2D.backward(dY: w.dPool, argmax: w.argmax, planes: 16 * batch, height: 26, width: 26, dX: w.dRelu1)
        ReLU.backward(dY: w.dRelu1, y: w.relu1, count: 16 * n, dX: w.dRelu1)
        for c in 0..<16 {
            w.gradientSums[c] = BatchNorm2D.gradientSums(w.dRelu1 + c * n, w.xHat + c * n, count: n)
        }
        return (loss * Double(batch), correct)
    }

    /// Stage 5: batch-norm input gradient from the whole batch's means of dy and dy·x̂ (`meanDy`,
    /// `meanDyXHat`), then the convolution's weight and bias gradients; γ and β get this part's sums.
    func convolutionBackward(batch: Int, meanDy: [Float], meanDyXHat: [Float], workspace w: CNNWorkspace, inputGradient: Bool) {
        let n = batch * Self.convPlane
        withPointers { p in
            do {
                let g = w.gradients
                for c in 0..<16 {
                    g[Self.offsets.bnBias + c] = Float(w.gradientSums[c].0)
                    g[Self.offsets.bnWeight + c] = Float(w.gradientSums[c].1)
                    BatchNorm2D.inputGradient(w.dRelu1 + c * n, w.xHat + c * n, count: n,
                                              scale: p[Self.offsets.bnWeight + c] * w.inverseStd[c],
                                              meanDy: meanDy[c], meanDyXHat: meanDyXHat[c], dX: w.dConv + c * n)
                }
                Conv2D.backward(dOut: w.dConv, col: w.col, weight: p + Self.offsets.convWeight, batch: batch,
                                shape: Self.convShape, dWeight: g + Self.offsets.convWeight, dBias: g + Self.offsets.convBias,
                                dCol: inputGradient ? w.dCol : nil)
                if inputGradient { Conv2D.col2im(w.dCol, batch: batch, shape: Self.convShape, dInput: w.dInput) }
            }
        }
    }

    // MARK: Training step

    /// One training step on a batch split into parts, one per workspace (`rows[k]` images each, already
    /// loaded), run in parallel: forward with batch statistics over the *whole* batch (exchanged
    /// between parts twice), loss, backward, and an Adam update with the parts' gradients summed.
    /// With one part this is the plain single-threaded step. Returns the batch's mean loss and the
    /// number of correct predictions. With `inputGradient` (one part only), `dInput` is filled too.
    public mutating func trainingStep(parts: [CNNWorkspace], rows: [Int], optimizer: inout Adam?,
                                      inputGradient: Bool = false) -> (loss: Double, correct: Int) {
        precondition(parts.count == rows.count && !parts.isEmpty && (!inputGradient || parts.count == 1))
        let total = rows.reduce(0, +)
        let nTotal = total * Self.convPlane
        let model = self
        // 1. Convolution, and each part's per-channel sums.
        Threads.forEachPart(parts.count) { k in
            model.convolve(batch: rows[k], workspace: parts[k])
            let n = rows[k] * Self.convPlane
            for c in 0..<16 { parts[k].channelSums[c] = Double(sum(parts[k].conv + c * n, count: n)) }
        }
        let mean = (0..<16).map { c in Float(parts.reduce(0.0) { $0 + $1.channelSums[c] } / Double(nTotal)) }
        // 2. Centred sums of squares with the whole batch's mean.
        Threads.forEachPart(parts.count) { k in
            let n = rows[k] * Self.convPlane
            for c in 0..<16 { parts[k].channelSums[c] = BatchNorm2D.centredSquares(parts[k].conv + c * n, count: n, mean: mean[c]) }
        }
        var inverseStd = [Float](repeating: 0, count: 16)
        runningMean.withUnsafeMutableBufferPointer { rm in
            runningVar.withUnsafeMutableBufferPointer { rv in
                for c in 0..<16 {
                    inverseStd[c] = batchNorm.statistics(mean: mean[c], centredSquares: parts.reduce(0.0) { $0 + $1.channelSums[c] },
                                                         count: nTotal, runningMean: rm.baseAddress! + c, runningVar: rv.baseAddress! + c)
                }
            }
        }
        // 3. Normalise and classify; 4. loss and backward down to batch norm.
        let updated = self
        let results = Threads.mapParts(parts.count) { k -> (Double, Int) in
            let w = parts[k], n = rows[k] * Self.convPlane
            updated.withPointers { p in
                for c in 0..<16 {
                    w.inverseStd[c] = inverseStd[c]
                    BatchNorm2D.normalise(w.conv + c * n, count: n, mean: mean[c], inverseStd: inverseStd[c],
                                          gamma: p[Self.offsets.bnWeight + c], beta: p[Self.offsets.bnBias + c],
                                          xHat: w.xHat + c * n, y: w.bn + c * n)
                }
            }
            updated.classify(batch: rows[k], workspace: w)
            return updated.classifierBackward(batch: rows[k], meanOver: total, workspace: w)
        }
        let meanDy = (0..<16).map { c in Float(parts.reduce(0.0) { $0 + $1.gradientSums[c].0 } / Double(nTotal)) }
        let meanDyXHat = (0..<16).map { c in Float(parts.reduce(0.0) { $0 + $1.gradientSums[c].1 } / Double(nTotal)) }
        // 5. Batch-norm and convolution gradients.
        Threads.forEachPart(parts.count) { k in
            updated.convolutionBackward(batch: rows[k], meanDy: meanDy, meanDyXHat: meanDyXHat, workspace: parts[k],
                                        inputGradient: inputGradient)
        }
        // 6. Adam on the summed gradients.
        if optimizer != nil {
            optimizer!.update(parameters: &parameters, gradientParts: parts.map { UnsafePointer($0.gradients) })
        }
        let lossSum = results.reduce(0.0) { $0 + $1.0 }
        return (lossSum / Double(total), results.reduce(0) { $0 + $1.1 })
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
                let src = layer == .conv ? w.conv : layer == .bn ? w.bn : w.relu1
                for c in 0..<16 {
                    for b in 0..<batch {
                        (dst + b * 10816 + c * 676).update(from: src + (c * batch + b) * 676, count: 676)
                    }
                }
            case .pool: Self.flatten(w.pool, batch: batch, into: dst)
            case .relu2: dst.update(from: w.flat, count: batch * 2704)
            case .fc1: dst.update(from: w.fc1, count: batch * 100)
            case .relu3: dst.update(from: w.relu3, count: batch * 100)
            case .fc2: dst.update(from: w.logits, count: batch * 10)
            }
        }
        return out
    }
}

/// Activation and gradient buffers for batches of up to `capacity` images, allocated once.
public final class CNNWorkspace: @unchecked Sendable {
    public let capacity: Int
    /// `(B, 1, 28, 28)` pixels/255; fill with `load(_:indices:)` or directly.
    public let input: UnsafeMutablePointer<Float>
    public let labels: UnsafeMutablePointer<UInt8>
    let col, conv, xHat, bn, relu1, pool, relu2, flat, fc1, relu3, logits, probabilities: UnsafeMutablePointer<Float>
    let inverseStd: UnsafeMutablePointer<Float>
    /// Per-channel partial sums exchanged between the parts of a batch.
    var channelSums = [Double](repeating: 0, count: 16)
    var gradientSums = [(Double, Double)](repeating: (0, 0), count: 16)
    let argmax: UnsafeMutablePointer<UInt8>
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
        let maps = 16 * capacity * 676, pooled = 16 * capacity * 169
        input = make(capacity * 784)
        col = make(9 * capacity * 676)
        conv = make(maps); xHat = make(maps); bn = make(maps); relu1 = make(maps)
        pool = make(pooled); relu2 = make(pooled); flat = make(capacity * 2704)
        fc1 = make(capacity * 100); relu3 = make(capacity * 100)
        logits = make(capacity * 10); probabilities = make(capacity * 10)
        inverseStd = make(16)
        dLogits = make(capacity * 10); dHidden = make(capacity * 100); dFlat = make(capacity * 2704)
        dPool = make(pooled); dRelu1 = make(maps); dConv = make(maps)
        dCol = make(9 * capacity * 676); dInput = make(capacity * 784)
        labels = .allocate(capacity: capacity)
        labels.initialize(repeating: 0, count: capacity)
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
        precondition(indices.count <= capacity && data.pixelsPerImage == 784)
        let inverse: Float = 1 / 255
        data.images.withUnsafeBufferPointer { px in
            for (row, i) in indices.enumerated() {
                let src = px.baseAddress! + i * 784, dst = input + row * 784
                for k in 0..<784 { dst[k] = Float(src[k]) * inverse }
                labels[row] = data.labels[i]
            }
        }
    }
}

