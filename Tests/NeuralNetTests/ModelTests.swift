import Datasets
import Foundation
import Linalg
@testable import NeuralNet
import Testing

/// A deterministic toy batch of 28×28 images with labels (no data files needed).
func toyImages(_ count: Int, seed: UInt64) -> LabeledImages {
    var rng = SeededGenerator(seed: seed)
    let images = (0..<(count * 784)).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) }
    let labels = (0..<count).map { _ in UInt8(rng.next() % 10) }
    return LabeledImages(images: images, labels: labels, height: 28, width: 28)
}

/// A small training configuration: the defaults with these sizes (batch size and seed as given, or the defaults).
func tinyConfig(epochs: Int, trainSize: Int, validationSize: Int, batchSize: Int? = nil, seed: UInt64? = nil) -> TrainingConfig {
    var config = TrainingConfig()
    config.epochs = epochs
    config.trainSize = trainSize
    config.validationSize = validationSize
    if let batchSize { config.batchSize = batchSize }
    if let seed { config.seed = seed }
    return config
}

@Suite struct ModelTests {
    @Test("the model has the tutorial's 271,702 parameters in PyTorch's tensor shapes")
    func parameterCount() {
        #expect(TutorialCNN.parameterCount == 271_702)
        let counts = TutorialCNN.layout.tensors.map(\.count)
        #expect(counts == [144, 16, 16, 16, 270_400, 100, 1000, 10])
        let model = TutorialCNN(seed: 1)
        #expect(model.tensor("bn.weight").allSatisfy { $0 == 1 } && model.tensor("bn.bias").allSatisfy { $0 == 0 })
        #expect(model.tensor("fc1.weight").allSatisfy { abs($0) <= 1 / Float(2704).squareRoot() })
        #expect(model.tensor("conv.weight").allSatisfy { abs($0) <= 1 / 3 })
    }

    /// Whole-model check on a batch of 3 against an independent truth: `ReferenceCNN.trainingLoss`
    /// differentiates the same network exactly along a random direction (forward-mode, Double), so
    /// there is no finite-difference step and no ReLU/max-pool kink to cross. The fast float32
    /// gradient g is compared through its directional derivative Σ gᵢdᵢ. Bound: every gradient
    /// component is the result of at most six float32 stages (softmax/loss, fc2, fc1, max-pool,
    /// batch norm, convolution), each a sum of at most n = 3·676 = 2028 terms, so its error is at
    /// most about 6·γ₂₀₂₈ ≈ 7.3e-4 of the magnitudes that enter it; the directional derivative's
    /// error is then at most 7.3e-4·Σ|gᵢdᵢ| (to first order; Σ|gᵢdᵢ| ≥ |Σgᵢdᵢ|).
    @Test("whole-model gradients (every tensor and the input) match exact directional derivatives")
    func wholeModel() {
        let data = toyImages(3, seed: 9)
        var model = TutorialCNN(seed: 4)
        let base = model
        let w = CNNWorkspace(capacity: 3)
        w.load(data, indices: [0, 1, 2])
        let input = Array(UnsafeBufferPointer(start: w.input, count: 3 * 784))
        let labels = data.labels.map(Int.init)
        var none: Adam? = nil
        let step = model.trainingStep(parts: [w], rows: [3], optimizer: &none, inputGradient: true)
        let gradient = w.gradientArray
        let inputGradient = Array(UnsafeBufferPointer(start: w.dInput, count: 3 * 784))
        // Training proper skips the input's gradient; the parameters' gradients are the same bits.
        var again = base
        let w2 = CNNWorkspace(capacity: 3)
        w2.load(data, indices: [0, 1, 2])
        let step2 = again.trainingStep(parts: [w2], rows: [3], optimizer: &none)
        #expect(w2.gradientArray == gradient && step2.loss == step.loss)
        let eta = 6 * gamma32(3 * 676)
        func check(_ name: String, _ g: [Float], _ direction: [Double], exact: Dual) {
            let analytic = zip(g, direction).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            let magnitude = zip(g, direction).reduce(0.0) { $0 + abs(Double($1.0) * $1.1) }
            #expect(abs(analytic - exact.d) <= eta * magnitude,
                    "\(name): exact \(exact.d), float32 \(analytic), bound \(eta * magnitude)")
        }
        for (k, spec) in TutorialCNN.layout.tensors.enumerated() where spec.name != "conv.bias" {
            var rng = SeededGenerator(seed: UInt64(100 + k))
            var direction = [Double](repeating: 0, count: base.parameters.count)
            for i in spec.range { direction[i] = Double(rng.uniform(-1, 1)) }
            let exact = ReferenceCNN.trainingLoss(parameters: base.parameters, direction: direction, input: input, labels: labels)
            check(spec.name, gradient, direction, exact: exact)
            // The loss itself: a float32 forward of the same network, within the same kind of bound.
            #expect(abs(step.loss - exact.v) <= eta * exact.v, "loss \(step.loss) vs reference \(exact.v)")
        }
        // The convolution bias has an exactly zero gradient (batch norm removes any per-channel offset):
        // the reference says so, and the float32 value of each channel's sum of 2028 terms of zero
        // exact sum is at most γ₂₀₂₈·Σ|terms|.
        var biasDirection = [Double](repeating: 0, count: base.parameters.count)
        for i in TutorialCNN.layout["conv.bias"].range { biasDirection[i] = 1 }
        #expect(abs(ReferenceCNN.trainingLoss(parameters: base.parameters, direction: biasDirection, input: input,
                                              labels: labels).d) < 1e-12)
        let n = 3 * TutorialCNN.convPlane
        for c in 0..<16 {
            let terms = (0..<n).reduce(0.0) { $0 + abs(Double(w.dConv[c * n + $1])) }
            #expect(abs(Double(gradient[TutorialCNN.offsets.convBias + c])) <= gamma32(n) * terms)
        }
        var rng = SeededGenerator(seed: 200)
        let inputDirection = (0..<input.count).map { _ in Double(rng.uniform(-1, 1)) }
        let exact = ReferenceCNN.trainingLoss(parameters: base.parameters, direction: biasDirection.map { _ in 0 },
                                              input: input, inputDirection: inputDirection, labels: labels)
        check("input", inputGradient, inputDirection, exact: exact)
    }

    @Test("a batch split into parts gives the same loss, gradients and statistics as one part")
    func partsAgree() {
        let data = toyImages(10, seed: 3)
        var single = TutorialCNN(seed: 8), split = single
        var none: Adam? = nil
        let one = CNNWorkspace(capacity: 10)
        one.load(data, indices: Array(0..<10)[...])
        let a = CNNWorkspace(capacity: 6), b = CNNWorkspace(capacity: 6)
        a.load(data, indices: Array(0..<4)[...])
        b.load(data, indices: Array(4..<10)[...])
        let r1 = single.trainingStep(parts: [one], rows: [10], optimizer: &none)
        let r2 = split.trainingStep(parts: [a, b], rows: [4, 6], optimizer: &none)
        #expect(abs(r1.loss - r2.loss) < 1e-6 && r1.correct == r2.correct)
        let whole = one.gradientArray, summed = CNNWorkspace.batchGradient([a, b])
        let scale = whole.map(abs).max()!
        #expect(zip(whole, summed).map { abs($0 - $1) }.max()! < 1e-5 * scale)
        #expect(zip(single.runningVar, split.runningVar).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(zip(single.runningMean, split.runningMean).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("the forward hook returns each layer's output; evaluation equals the hooked logits")
    func hooks() {
        let data = toyImages(4, seed: 2)
        let model = TutorialCNN(seed: 5)
        let w = CNNWorkspace(capacity: 4)
        w.load(data, indices: Array(0..<4)[...])
        model.forward(batch: 4, workspace: w)
        for layer in TutorialCNN.Layer.allCases {
            #expect(model.output(of: layer, batch: 4, workspace: w).columns == layer.width)
        }
        let relu1 = model.output(of: .relu1, batch: 4, workspace: w), pool = model.output(of: .pool, batch: 4, workspace: w)
        // Pool output (c, y, x) is the max of relu1's 2×2 window, in PyTorch's (C, H, W) order.
        #expect(pool[2, 5 * 169 + 3 * 13 + 4] == [0, 1, 26, 27].map { relu1[2, 5 * 676 + 6 * 26 + 8 + $0] }.max()!)
        // Evaluation runs other GEMM shapes and BLAS thread counts than this hooked forward, so the two
        // need not agree bit for bit on every kernel; both must lie within the float32 error bound of
        // an independent Double evaluation of the same network (see ReferenceCNN.evaluationLogits).
        let outputs = Evaluation.outputs(model, on: data, layer: .fc2)
        let hooked = model.output(of: .fc2, batch: 4, workspace: w)
        let input = Array(UnsafeBufferPointer(start: w.input, count: 4 * 784))
        let reference = ReferenceCNN.evaluationLogits(model, input: input, batch: 4)
        for i in 0..<40 {
            let (evaluated, fromHook) = (Double(outputs.features.storage[i]), Double(hooked.storage[i]))
            #expect(abs(evaluated - reference.logits[i]) <= reference.bound[i], "logit \(i): \(evaluated) vs \(reference.logits[i]) ± \(reference.bound[i])")
            #expect(abs(fromHook - reference.logits[i]) <= reference.bound[i], "logit \(i): \(fromHook) vs \(reference.logits[i]) ± \(reference.bound[i])")
        }
        #expect(outputs.predictions[0] == outputs.features.row(0).indices.max { outputs.features.row(0)[$0] < outputs.features.row(0)[$1] }! - 0)
    }
}

@Suite struct CheckpointTests {
    func sample() -> Checkpoint {
        var config = TrainingConfig()
        config.epochs = 3
        var state = TrainingState(seed: 1)
        state.epoch = 2
        var adam = Adam(parameterCount: TutorialCNN.parameterCount)
        adam.step = 17
        adam.m[5] = 0.25
        return Checkpoint(model: TutorialCNN(seed: 2), config: config, state: state, optimizer: adam)
    }

    @Test("a checkpoint round-trips exactly, with and without optimizer state")
    func roundTrip() throws {
        let c = sample()
        let back = try CheckpointFile.decode(try CheckpointFile.encode(c), source: "x")
        #expect(back.model.parameters == c.model.parameters && back.model.runningVar == c.model.runningVar)
        #expect(back.config == c.config && back.state == c.state && back.optimizer == c.optimizer)
        var noAdam = c
        noAdam.optimizer = nil
        #expect(try CheckpointFile.decode(try CheckpointFile.encode(noAdam), source: "x").optimizer == nil)
    }

    @Test("truncated, corrupted, foreign and other-architecture files are refused with clear messages")
    func refusals() throws {
        let bytes = try CheckpointFile.encode(sample())
        func message(_ b: [UInt8]) -> String {
            do { _ = try CheckpointFile.decode(b, source: "c.ckpt"); return "accepted" } catch { return "\(error)" }
        }
        #expect(message(Array(bytes.prefix(bytes.count - 100))).contains("truncated checkpoint"))
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x40
        #expect(message(flipped).contains("checksum mismatch"))
        #expect(message(Array("hello world, not a checkpoint".utf8)).contains("not an EmbedViz checkpoint"))
        // Another architecture, with a valid checksum: rewrite the header and recompute the CRC.
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        let header = String(decoding: bytes[16..<(16 + headerLength)], as: UTF8.self)
            .replacingOccurrences(of: "Linear(100,10)", with: "Linear(100,12)")
        var other = Array(bytes[0..<16]) + Array(header.utf8) + Array(bytes[(16 + headerLength)..<(bytes.count - 4)])
        let crc = other.withUnsafeBytes { CRC32.of($0) }
        withUnsafeBytes(of: crc.littleEndian) { other += $0 }
        #expect(message(other).contains("for another architecture"))
    }
}

@Suite struct NoiseTests {
    @Test("noise replaces exactly N distinct images, labels them 10, and is seeded")
    func injection() throws {
        let data = toyImages(300, seed: 1)
        let (noisy, indices) = try NoiseInjection.inject(into: data, count: 280, seed: 19)
        #expect(Set(indices).count == 280 && indices == indices.sorted())
        #expect(noisy.labels.filter { $0 == 10 }.count == 280)
        let (again, indices2) = try NoiseInjection.inject(into: data, count: 280, seed: 19)
        #expect(indices == indices2 && again.images == noisy.images)
        let untouched = Set(0..<300).subtracting(indices)
        #expect(untouched.allSatisfy { noisy.image($0) == data.image($0) })
        #expect(throws: EmbedVizError.self) { _ = try NoiseInjection.inject(into: data, count: 301, seed: 1) }
    }
}
