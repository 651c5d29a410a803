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

    /// Classifier: bn `(C, B·H·W)` → ReLU → max-pool `(C, B·P)` → ReLU → flatten `(B, F)` → fc1 `(B, E)`
    /// → ReLU → fc2: logits `(B, K)`, stopping after `last`.
    func classifierForward(batch: Int, workspace w: CNNWorkspace, through last: Layer = .fc2) {
        if last == .bn { return }
        let C = Self.channels
        ReLU.forward(w.bn, count: C * batch * Self.convPlane, y: w.relu1)
        if last == .relu1 { return }
        MaxPool2D.forward(w.relu1, planes: C * batch, height: Self.convHeight, width: Self.convWidth, y: w.pool,
                          argmax: w.argmax)
        if last == .pool { return }
        ReLU.forward(w.pool, count: C * batch * Self.poolPlane, y: w.relu2)
        Self.flatten(w.relu2, batch: batch, into: w.flat)
        if last == .relu2 { return }
        withPointers { p in Self.denseForward(p, batch: batch, workspace: w, through: last) }
    }

    /// The dense layers: flat `(B, F)` → fc1 `(B, E)` → ReLU → fc2: logits `(B, K)`, stopping after `last`.
    static func denseForward(_ p: UnsafePointer<Float>, batch: Int, workspace w: CNNWorkspace, through last: Layer = .fc2,
                             profile: StepProfile? = nil, part k: Int = 0) {
        let (E, F, K) = (embeddingSize, flatFeatures, classes)
        profile.time(.fc1Forward, part: k) {
            Linear.forward(w.flat, batch: batch, inFeatures: F, outFeatures: E,
                           weight: p + offsets.fc1Weight, bias: p + offsets.fc1Bias, y: w.fc1)
        }
        if last == .fc1 { return }
        profile.time(.fc2LossForward, part: k) {
            ReLU.forward(w.fc1, count: batch * E, y: w.relu3)
            if last == .relu3 { return }
            Linear.forward(w.relu3, batch: batch, inFeatures: E, outFeatures: K,
                           weight: p + offsets.fc2Weight, bias: p + offsets.fc2Bias, y: w.logits)
        }
    }

    /// Loss: cross-entropy of logits `(B, K)` against `w.labels`, keeping the softmax `(B, K)` for the
    /// backward pass. Returns the summed loss of these `batch` rows and their correct count.
    static func crossEntropyForward(batch: Int, workspace w: CNNWorkspace) -> (lossSum: Double, correct: Int) {
        let (loss, correct) = CrossEntropy.forward(w.logits, labels: w.labels, batch: batch, classes: classes,
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

    // MARK: Training stages (forward, then backward in reverse order)
    //
    // Training runs convolution → batch norm → ReLU → max-pool → ReLU as one fused block of direct
    // convolutions (`ConvolutionBlock`: a statistics pass, a forward pass writing the flattened
    // features, a backward pass writing the convolution's gradients; the maps are never stored);
    // evaluation keeps the layer-by-layer path above (im2col + GEMM; its hooks read every layer's
    // output). The stages take the parameters as a pointer `p` (the step holds them for its whole length).

    /// The whole batch's mean per channel, from the inputs alone (`Conv2D.tapSums`): μ_c = b_c +
    /// Σ_j W_cj·S_j / (B·H·W). Written into every part's `batchMean` (C).
    static func batchMeans(_ p: UnsafePointer<Float>, parts: [CNNWorkspace], rows: [Int]) {
        let sums = parts[0].tapSums, patch = convShape.patch
        for (k, w) in parts.enumerated() {
            Conv2D.tapSums(w.input, batch: rows[k], shape: convShape, into: w.tapSums)
            if k > 0 { for j in 0..<patch { sums[j] += w.tapSums[j] } }
        }
        var count = 0
        for r in rows { count += r * convPlane }
        for c in 0..<channels {
            var total = 0.0
            for j in 0..<patch { total += Double(p[offsets.convWeight + c * patch + j]) * sums[j] }
            let mean = Float(Double(p[offsets.convBias + c]) + total / Double(count))
            for w in parts { w.batchMean[c] = mean }
        }
    }

    /// Channel `c`'s 3×3 filter and bias.
    static func filter(_ p: UnsafePointer<Float>, channel c: Int) -> ConvolutionBlock.Filter {
        ConvolutionBlock.Filter(weight: p + offsets.convWeight + c * convShape.patch, bias: p[offsets.convBias + c])
    }

    /// The statistics pass: input `(B, 1, 28, 28)` → its split rows (`ConvolutionBlock.split`), and
    /// this part's Σ (x − μ)² of every channel's convolution maps into `channelSums` (direct
    /// convolutions, the maps are not stored).
    static func convolutionStatistics(_ p: UnsafePointer<Float>, batch: Int, workspace w: CNNWorkspace) {
        ConvolutionBlock.split(w.input, batch: batch, into: w.split)
        for c in 0..<channels {
            w.channelSums[c] = ConvolutionBlock.centredSquares(w.split, batch: batch, filter: filter(p, channel: c),
                                                               mean: w.batchMean[c])
        }
    }

    /// Convolution, batch norm, ReLU, max-pool, ReLU, flatten (fused, `ConvolutionBlock.forward`): split
    /// input → flat `(B, F)`, with the whole batch's `batchMean` and `inverseStd`; keeps argmax and the
    /// winners' x̂ `(C, B·P)`.
    static func normalisePoolForward(_ p: UnsafePointer<Float>, batch: Int, workspace w: CNNWorkspace) {
        let (P, F) = (poolPlane, flatFeatures)
        for c in 0..<channels {
            ConvolutionBlock.forward(w.split, batch: batch, filter: filter(p, channel: c), mean: w.batchMean[c],
                                     inverseStd: w.inverseStd[c], gamma: p[offsets.bnWeight + c], beta: p[offsets.bnBias + c],
                                     pooled: w.flat + c * P, stride: F, argmax: w.argmax + c * batch * P,
                                     pooledXHat: w.pooledXHat + c * batch * P)
        }
    }

    /// The dense layers backward, from the loss: dLogits `(B, K)` (a mean over `meanOver` rows, the
    /// whole batch when this workspace holds one part of it) → fc2 → ReLU → fc1 → dFlat `(B, F)`;
    /// fills the fc2 gradients and fc1's bias gradient (fc1's weight gradient is `fc1WeightGradient`,
    /// computed for the whole batch at once).
    static func denseBackward(_ p: UnsafePointer<Float>, batch: Int, meanOver: Int, workspace w: CNNWorkspace,
                              profile: StepProfile? = nil, part k: Int = 0) {
        let (E, F, K) = (embeddingSize, flatFeatures, classes)
        let g = w.gradients
        profile.time(.lossFc2Backward, part: k) {
            CrossEntropy.backward(probabilities: w.probabilities, labels: w.labels, batch: batch, classes: K,
                                  meanOver: meanOver, dLogits: w.dLogits)
            Linear.backward(dY: w.dLogits, x: w.relu3, batch: batch, inFeatures: E, outFeatures: K,
                            weight: p + offsets.fc2Weight, dWeight: g + offsets.fc2Weight,
                            dBias: g + offsets.fc2Bias, dX: w.dHidden)
            ReLU.backward(dY: w.dHidden, y: w.relu3, count: batch * E, dX: w.dHidden)
        }
        profile.time(.fc1Backward, part: k) {
            Linear.inputAndBiasGradients(dY: w.dHidden, batch: batch, inFeatures: F, outFeatures: E,
                                         weight: p + offsets.fc1Weight, dBias: g + offsets.fc1Bias, dX: w.dFlat)
        }
    }

    /// fc1's weight gradient of the whole batch, rows `outputs` of it: dW[outputs] = Σ over the parts
    /// of dHiddenᵀ[outputs]·flat, into the first part's gradients (each thread takes a block of rows,
    /// so the 1 MB gradient is written once, and Adam reads it while it is still in cache).
    static func fc1WeightGradient(parts: [CNNWorkspace], rows: [Int], outputs: Range<Int>) {
        let (E, F) = (embeddingSize, flatFeatures)
        let dW = parts[0].gradients + offsets.fc1Weight + outputs.lowerBound * F
        for (j, w) in parts.enumerated() {
            BLAS.gemm(.transposed, .none, m: outputs.count, n: F, k: rows[j], alpha: 1, a: w.dHidden + outputs.lowerBound,
                      lda: E, b: w.flat, ldb: F, beta: j == 0 ? 0 : 1, c: dW, ldc: F)
        }
    }

    /// Back through flatten, ReLU, max-pool and ReLU to the batch-norm output: dFlat `(B, F)` → dy at
    /// the winners, dPool `(C, B·P)`; this part's (Σ dy, Σ dy·x̂) per channel into `gradientSums` (β's
    /// and γ's gradients, and what the input gradient needs from the whole batch).
    static func poolBackward(batch: Int, workspace w: CNNWorkspace) {
        let (P, F) = (poolPlane, flatFeatures)
        for c in 0..<channels {
            w.gradientSums[c] = ConvolutionBlock.gradientSums(dPooled: w.dFlat + c * P, pooled: w.flat + c * P, stride: F,
                                                           planes: batch, plane: P, pooledXHat: w.pooledXHat + c * batch * P,
                                                           dy: w.dPool + c * batch * P)
        }
    }

    /// Batch norm and convolution backward (`ConvolutionBlock.backward`): γ and β get this part's
    /// sums; dy at the winners → the batch-norm input gradient with the whole batch's means of dy and
    /// dy·x̂ and γ/σ (`meanDy`, `meanDyXHat`, `gradientScale`, (C), in the workspace) → the
    /// convolution's weight and bias gradients. With `inputGradient`, that input gradient is also
    /// written, dConv `(C, B·H·W)`, and taken on to dCol `(9, B·H·W)` → dInput `(B, 1, 28, 28)`.
    static func blockBackward(_ p: UnsafePointer<Float>, batch: Int, workspace w: CNNWorkspace, inputGradient: Bool) {
        let (P, patch) = (poolPlane, convShape.patch)
        let n = batch * convPlane
        let g = w.gradients
        withUnsafeTemporaryAllocation(of: Double.self, capacity: patch + 1) { sums in
            for c in 0..<channels {
                g[offsets.bnBias + c] = Float(w.gradientSums[c].0)
                g[offsets.bnWeight + c] = Float(w.gradientSums[c].1)
                ConvolutionBlock.backward(w.split, batch: batch, filter: filter(p, channel: c), mean: w.batchMean[c],
                                          inverseStd: w.inverseStd[c], scale: w.gradientScale[c], meanDy: w.meanDy[c],
                                          meanDyXHat: w.meanDyXHat[c], dPooled: w.dPool + c * batch * P,
                                          argmax: w.argmax + c * batch * P, gradient: sums.baseAddress!,
                                          dX: inputGradient ? w.dConv + c * n : nil)
                for j in 0..<patch { g[offsets.convWeight + c * patch + j] = Float(sums[j]) }
                g[offsets.convBias + c] = Float(sums[patch])
            }
        }
        guard inputGradient else { return }
        // dCol = Wᵀ·dConv.
        BLAS.gemm(.transposed, .none, m: patch, n: n, k: channels, alpha: 1, a: p + offsets.convWeight, lda: patch,
                  b: w.dConv, ldb: n, beta: 0, c: w.dCol, ldc: n)
        Conv2D.col2im(w.dCol, batch: batch, shape: convShape, dInput: w.dInput)
    }

    // MARK: Training step

    /// One training step on a batch split into parts, one per workspace (`rows[k]` images each, already
    /// loaded), run in parallel: forward with batch statistics over the *whole* batch (its mean from
    /// the inputs, its variance exchanged between the parts), loss, backward (exchanging the
    /// batch-norm sums once more), and an Adam update of the whole batch's gradient. Three parallel
    /// regions; the last also computes fc1's weight gradient and its Adam update, split by rows
    /// between the threads. With one part this is the plain single-threaded step. Returns the batch's
    /// mean loss and the number of correct predictions. With `inputGradient` (one part only), `dInput`
    /// is filled too. With `profile`, every stage is timed (`StepProfile`). Afterwards
    /// `CNNWorkspace.batchGradient(parts)` is the step's gradient.
    public mutating func trainingStep(parts: [CNNWorkspace], rows: [Int], optimizer: inout Adam?,
                                      inputGradient: Bool = false, profile: StepProfile? = nil) -> (loss: Double, correct: Int) {
        precondition(parts.count == rows.count && !parts.isEmpty && (!inputGradient || parts.count == 1))
        let C = Self.channels, E = Self.embeddingSize, F = Self.flatFeatures
        let B = rows.reduce(0, +)
        let count = B * Self.convPlane  // values per channel in the whole batch, B·H·W
        profile?.beginStep(parts: parts.count)
        defer { profile?.endStep() }
        // The parameters are held (uniquely, no copy-on-write) for the whole step; Adam writes them last.
        var held: [Float] = []
        swap(&held, &parameters)
        defer { swap(&held, &parameters) }
        let batchNorm = batchNorm
        held.withUnsafeMutableBufferPointer { buffer in
            let pw = buffer.baseAddress!, p = UnsafePointer(pw)
            // Forward: the batch mean (from the inputs), the convolution, and each part's centred sums of
            // squares (a second pass over the maps, no cancellation).
            profile.time(.batchNormExchange, part: 0) { Self.batchMeans(p, parts: parts, rows: rows) }
            profile.region {
                Threads.forEachPart(parts.count) { k in
                    profile.time(.batchNormStatistics, part: k) { Self.convolutionStatistics(p, batch: rows[k], workspace: parts[k]) }
                }
            }
            // The batch variance moves the running estimates and normalises.
            profile.time(.batchNormExchange, part: 0) {
                for c in 0..<C {
                    var squares = 0.0
                    for w in parts { squares += w.channelSums[c] }
                    let inverseStd = batchNorm.statistics(mean: parts[0].batchMean[c], centredSquares: squares, count: count,
                                                          runningMean: &runningMean[c], runningVar: &runningVar[c])
                    for w in parts { w.inverseStd[c] = inverseStd }
                }
            }
            // Forward: batch norm to the loss; backward: the loss to batch norm's output, and each part's
            // batch-norm sums.
            profile.region {
                Threads.forEachPart(parts.count) { k in
                    let w = parts[k], b = rows[k]
                    profile.time(.normalisePoolForward, part: k) { Self.normalisePoolForward(p, batch: b, workspace: w) }
                    Self.denseForward(p, batch: b, workspace: w, profile: profile, part: k)
                    w.lossSum = profile.time(.fc2LossForward, part: k) { Self.crossEntropyForward(batch: b, workspace: w) }
                    Self.denseBackward(p, batch: b, meanOver: B, workspace: w, profile: profile, part: k)
                    profile.time(.poolBackward, part: k) { Self.poolBackward(batch: b, workspace: w) }
                }
            }
            // Backward: batch norm with the whole batch's means of dy and dy·x̂, then the convolution;
            // fc1's weight gradient by blocks of rows, each block's Adam update at once.
            profile.time(.batchNormExchange, part: 0) {
                for c in 0..<C {
                    var (dy, dyXHat) = (0.0, 0.0)
                    for w in parts { dy += w.gradientSums[c].0; dyXHat += w.gradientSums[c].1 }
                    for w in parts {
                        w.meanDy[c] = Float(dy / Double(count))
                        w.meanDyXHat[c] = Float(dyXHat / Double(count))
                        w.gradientScale[c] = p[Self.offsets.bnWeight + c] * w.inverseStd[c]
                    }
                }
            }
            func backward(_ adam: Adam.Step?) {
                profile.region {
                    Threads.forEachPart(parts.count) { k in
                        let w = parts[k]
                        profile.time(.convolutionBackward, part: k) {
                            Self.blockBackward(p, batch: rows[k], workspace: w, inputGradient: inputGradient)
                        }
                        let outputs = Threads.chunkRange(k, of: parts.count, total: E)
                        profile.time(.fc1Backward, part: k) { Self.fc1WeightGradient(parts: parts, rows: rows, outputs: outputs) }
                        if let adam {
                            profile.time(.adam, part: k) {
                                var gradient = UnsafePointer(parts[0].gradients)
                                withUnsafePointer(to: &gradient) { g in
                                    let start = Self.offsets.fc1Weight + outputs.lowerBound * F
                                    adam.update(pw, gradientParts: UnsafeBufferPointer(start: g, count: 1),
                                                range: start..<(start + outputs.count * F))
                                }
                            }
                        }
                    }
                }
                // Adam on the rest (conv, batch norm, fc1's bias, fc2: 1,302 values), the parts' gradients summed.
                guard let adam else { return }
                profile.timeSerial(.adam) {
                    withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: parts.count) { gradients in
                        for (k, w) in parts.enumerated() { gradients[k] = UnsafePointer(w.gradients) }
                        let all = UnsafeBufferPointer(gradients)
                        adam.update(pw, gradientParts: all, range: 0..<Self.offsets.fc1Weight)
                        adam.update(pw, gradientParts: all, range: Self.offsets.fc1Bias..<Self.layout.count)
                    }
                }
            }
            if optimizer != nil {
                optimizer!.withStep { backward($0) }
            } else {
                backward(nil)
            }
        }
        var (lossSum, correct) = (0.0, 0)
        for w in parts { lossSum += w.lossSum.lossSum; correct += w.lossSum.correct }
        return (lossSum / Double(B), correct)
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
    /// col `(9, B·H·W)` (im2col's rows); conv, bn, relu1 `(C, B·H·W)`;
    /// pool, relu2 `(C, B·P)`; flat `(B, F)`; fc1, relu3 `(B, E)`; logits, probabilities `(B, K)`.
    let col, conv, bn, relu1, pool, relu2, flat, fc1, relu3, logits, probabilities: UnsafeMutablePointer<Float>
    /// Training: the input's split rows (`ConvolutionBlock.split`); the winners' x̂ `(C, B·P)`.
    let split, pooledXHat: UnsafeMutablePointer<Float>
    /// The whole batch's statistics `(C)`: mean and 1/σ, the means of dy and dy·x̂, and γ/σ.
    let batchMean, inverseStd, meanDy, meanDyXHat, gradientScale: UnsafeMutablePointer<Float>
    /// This part's im2col row sums `(9)` (`Conv2D.tapSums`).
    let tapSums: UnsafeMutablePointer<Double>
    /// Per-channel partial sums `(C)` exchanged between the parts of a batch.
    var channelSums = [Double](repeating: 0, count: TutorialCNN.channels)
    var gradientSums = [(Double, Double)](repeating: (0, 0), count: TutorialCNN.channels)
    /// This part's summed loss and correct count in the last step.
    var lossSum: (lossSum: Double, correct: Int) = (0, 0)
    /// `(C, B·P)`: which of its window's four positions each pooled value came from.
    let argmax: UnsafeMutablePointer<UInt8>
    /// Gradients of the activations, shaped like them: dLogits `(B, K)`, dHidden `(B, E)`, dFlat `(B, F)`,
    /// dPool `(C, B·P)` (in training: dy at each window's winner), dConv `(C, B·H·W)`, dCol `(9, B·H·W)`,
    /// dInput `(B, 1, 28, 28)`.
    let dLogits, dHidden, dFlat, dPool, dConv, dCol, dInput: UnsafeMutablePointer<Float>
    /// Parameter gradients of the last step (of this workspace's part of the batch), in `TutorialCNN.layout`.
    public let gradients: UnsafeMutablePointer<Float>

    /// The gradients as an array.
    public var gradientArray: [Float] { Array(UnsafeBufferPointer(start: gradients, count: TutorialCNN.layout.count)) }

    /// The gradient of the whole batch after `TutorialCNN.trainingStep(parts:…)`: the parts' gradients
    /// summed, except fc1's weight gradient, which the step computes for the whole batch into the
    /// first part's buffer.
    public static func batchGradient(_ parts: [CNNWorkspace]) -> [Float] {
        var total = parts[0].gradientArray
        let fc1 = TutorialCNN.layout["fc1.weight"].range
        for w in parts.dropFirst() {
            for i in total.indices where !fc1.contains(i) { total[i] += w.gradients[i] }
        }
        return total
    }
    private var floatBuffers: [UnsafeMutablePointer<Float>] = []

    /// - Parameter training: false for a workspace that only runs the evaluation forward pass
    ///   (`TutorialCNN.forward`): the training-only buffers (x̂, the activation and parameter
    ///   gradients) are then left out — half the memory, and for a workspace made per call (as
    ///   `Evaluation` does) half the zero-filled pages to fault in.
    public init(capacity: Int, training: Bool = true) {
        precondition(capacity > 0)
        self.capacity = capacity
        var buffers: [UnsafeMutablePointer<Float>] = []
        func make(_ count: Int, trainingOnly: Bool = false) -> UnsafeMutablePointer<Float> {
            let size = trainingOnly && !training ? 1 : max(count, 1)
            let p = UnsafeMutablePointer<Float>.allocate(capacity: size)
            p.initialize(repeating: 0, count: size)
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
        conv = make(maps); bn = make(maps); relu1 = make(maps)
        pool = make(pooled); relu2 = make(pooled); flat = make(B * F)
        fc1 = make(B * E); relu3 = make(B * E)
        logits = make(B * K); probabilities = make(B * K)
        split = make(ConvolutionBlock.splitCount(batch: B), trainingOnly: true)
        pooledXHat = make(pooled, trainingOnly: true)
        batchMean = make(C); inverseStd = make(C); meanDy = make(C); meanDyXHat = make(C); gradientScale = make(C)
        tapSums = .allocate(capacity: TutorialCNN.convShape.patch)
        tapSums.initialize(repeating: 0, count: TutorialCNN.convShape.patch)
        dLogits = make(B * K, trainingOnly: true); dHidden = make(B * E, trainingOnly: true); dFlat = make(B * F, trainingOnly: true)
        dPool = make(pooled, trainingOnly: true); dConv = make(maps, trainingOnly: true)
        dCol = make(columns, trainingOnly: true); dInput = make(B * pixels, trainingOnly: true)
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
        tapSums.deallocate()
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
