import Foundation
import Linalg
@testable import NeuralNet
import TestSupport
import Testing

/// Finite-difference checks of every layer's backward pass, plus hand-computed cases.
/// Tolerance: relative error of the directional derivative below 1e-3 for the smooth layers
/// (ε = 1e-2: linear layers are exact up to float32 rounding, batch norm has an O(ε²) error), and
/// below 1e-2 where float32 rounding of the forward pass dominates.
@Suite struct LayerGradientTests {
    @Test("Conv2D: weight, bias and input gradients match finite differences (2 input channels, odd sizes)")
    func conv() {
        let shape = Conv2DShape(inChannels: 2, outChannels: 3, kernel: 3, height: 7, width: 6)
        let batch = 2
        let input = randomArray(batch * shape.inputSize, seed: 1)
        let weight = randomArray(shape.outChannels * shape.patch, seed: 2)
        let bias = randomArray(shape.outChannels, seed: 3)
        let outCount = shape.outChannels * batch * shape.outputPlane
        let r = randomArray(outCount, seed: 4)
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            withBuffers([x, w, b, Array(repeating: 0, count: shape.patch * batch * shape.outputPlane), Array(repeating: 0, count: outCount)]) { p in
                Conv2D.im2col(p[0], batch: batch, shape: shape, col: p[3])
                Conv2D.forward(weight: p[1], bias: p[2], col: p[3], batch: batch, shape: shape, out: p[4])
                return weightedSum(p[4], r)
            }
        }
        let (dW, dB, dX) = withBuffers([input, weight, r, Array(repeating: 0, count: shape.patch * batch * shape.outputPlane),
                                        Array(repeating: 0, count: weight.count), Array(repeating: 0, count: 3),
                                        Array(repeating: 0, count: shape.patch * batch * shape.outputPlane),
                                        Array(repeating: 0, count: input.count)]) { p in
            Conv2D.im2col(p[0], batch: batch, shape: shape, col: p[3])
            Conv2D.backward(dOut: p[2], col: p[3], weight: p[1], batch: batch, shape: shape, dWeight: p[4], dBias: p[5], dCol: p[6])
            Conv2D.col2im(p[6], batch: batch, shape: shape, dInput: p[7])
            return (Array(UnsafeBufferPointer(start: p[4], count: weight.count)), Array(UnsafeBufferPointer(start: p[5], count: 3)),
                    Array(UnsafeBufferPointer(start: p[7], count: input.count)))
        }
        #expect(directionalCheck(at: weight, epsilon: 1e-2, seed: 10, gradient: dW) { loss(input, $0, bias) } < 1e-3)
        #expect(directionalCheck(at: bias, epsilon: 1e-2, seed: 11, gradient: dB) { loss(input, weight, $0) } < 1e-3)
        #expect(directionalCheck(at: input, epsilon: 1e-2, seed: 12, gradient: dX) { loss($0, weight, bias) } < 1e-3)
    }

    @Test("BatchNorm2D (training mode): γ, β and input gradients match finite differences")
    func batchNorm() {
        let (channels, n) = (3, 40)
        let bn = BatchNorm2D(channels: channels)
        let x = randomArray(channels * n, seed: 5, scale: 2).enumerated().map { $0.element + Float($0.offset / n) }
        let gamma = randomArray(channels, seed: 6).map { $0 + 1.5 }
        let beta = randomArray(channels, seed: 7)
        let r = randomArray(channels * n, seed: 8)
        func forward(_ x: [Float], _ g: [Float], _ b: [Float]) -> Double {
            withBuffers([x, g, b, [0, 0, 0], [1, 1, 1], x, [0, 0, 0], x]) { p in
                bn.forwardTraining(p[0], n: n, gamma: p[1], beta: p[2], runningMean: p[3], runningVar: p[4],
                                   xHat: p[5], inverseStd: p[6], y: p[7])
                return weightedSum(p[7], r)
            }
        }
        let (dX, dG, dB) = withBuffers([x, gamma, beta, [0, 0, 0], [1, 1, 1], x, [0, 0, 0], x, r, x, [0, 0, 0], [0, 0, 0]]) { p in
            bn.forwardTraining(p[0], n: n, gamma: p[1], beta: p[2], runningMean: p[3], runningVar: p[4],
                               xHat: p[5], inverseStd: p[6], y: p[7])
            bn.backward(dY: p[8], xHat: p[5], inverseStd: p[6], gamma: p[1], n: n, dX: p[9], dGamma: p[10], dBeta: p[11])
            return (Array(UnsafeBufferPointer(start: p[9], count: x.count)), Array(UnsafeBufferPointer(start: p[10], count: 3)),
                    Array(UnsafeBufferPointer(start: p[11], count: 3)))
        }
        #expect(directionalCheck(at: x, epsilon: 1e-2, seed: 20, gradient: dX) { forward($0, gamma, beta) } < 1e-3)
        #expect(directionalCheck(at: gamma, epsilon: 1e-2, seed: 21, gradient: dG) { forward(x, $0, beta) } < 1e-3)
        #expect(directionalCheck(at: beta, epsilon: 1e-2, seed: 22, gradient: dB) { forward(x, gamma, $0) } < 1e-3)
    }

    @Test("Linear: weight, bias and input gradients match finite differences")
    func linear() {
        let (batch, inF, outF) = (3, 7, 5)
        let x = randomArray(batch * inF, seed: 30), w = randomArray(outF * inF, seed: 31), b = randomArray(outF, seed: 32)
        let r = randomArray(batch * outF, seed: 33)
        func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            withBuffers([x, w, b, Array(repeating: 0, count: batch * outF)]) { p in
                Linear.forward(p[0], batch: batch, inFeatures: inF, outFeatures: outF, weight: p[1], bias: p[2], y: p[3])
                return weightedSum(p[3], r)
            }
        }
        let (dW, dB, dX) = withBuffers([x, w, r, Array(repeating: 0, count: w.count), Array(repeating: 0, count: outF),
                                        Array(repeating: 0, count: x.count)]) { p in
            Linear.backward(dY: p[2], x: p[0], batch: batch, inFeatures: inF, outFeatures: outF, weight: p[1],
                            dWeight: p[3], dBias: p[4], dX: p[5])
            return (Array(UnsafeBufferPointer(start: p[3], count: w.count)), Array(UnsafeBufferPointer(start: p[4], count: outF)),
                    Array(UnsafeBufferPointer(start: p[5], count: x.count)))
        }
        #expect(directionalCheck(at: w, epsilon: 1e-2, seed: 40, gradient: dW) { forward(x, $0, b) } < 1e-3)
        #expect(directionalCheck(at: b, epsilon: 1e-2, seed: 41, gradient: dB) { forward(x, w, $0) } < 1e-3)
        #expect(directionalCheck(at: x, epsilon: 1e-2, seed: 42, gradient: dX) { forward($0, w, b) } < 1e-3)
    }

    /// Batches shorter and longer than the outputs (OpenBLAS blocks them differently). Each value is
    /// within the float32 bound of a sum of `in + 1` terms of the exact one.
    @Test("Linear forward equals the exact products for short and long batches", arguments: [3, 16, 40])
    func linearForward(batch: Int) {
        let (inF, outF) = (300, 20)
        let x = randomArray(batch * inF, seed: 60), w = randomArray(outF * inF, seed: 61), b = randomArray(outF, seed: 62)
        let y = withBuffers([x, w, b, Array(repeating: 0, count: batch * outF)]) { p -> [Float] in
            Linear.forward(p[0], batch: batch, inFeatures: inF, outFeatures: outF, weight: p[1], bias: p[2], y: p[3])
            return Array(UnsafeBufferPointer(start: p[3], count: batch * outF))
        }
        for r in 0..<batch {
            for o in 0..<outF {
                var exact = Double(b[o]), magnitude = abs(Double(b[o]))
                for i in 0..<inF {
                    let term = Double(x[r * inF + i]) * Double(w[o * inF + i])
                    exact += term
                    magnitude += abs(term)
                }
                #expect(abs(Double(y[r * outF + o]) - exact) <= gamma32(inF + 1) * magnitude, "row \(r), output \(o)")
            }
        }
    }

    @Test("ReLU and max-pool: gradients match finite differences away from kinks and ties")
    func piecewise() {
        // Values at least 0.1 from zero and from each other, so ε = 1e-3 never crosses a kink.
        var rng = SeededGenerator(seed: 50)
        let x = rng.permutation(2 * 6 * 5).map { (Float($0) - 30) * 0.1 + 0.05 }
        let r = randomArray(60, seed: 51)
        let relu = { (x: [Float]) -> Double in withBuffers([x, x]) { p in ReLU.forward(p[0], count: 60, y: p[1]); return weightedSum(p[1], r) } }
        let dRelu = withBuffers([x, x, r, r]) { p -> [Float] in
            ReLU.forward(p[0], count: 60, y: p[1])
            ReLU.backward(dY: p[2], y: p[1], count: 60, dX: p[3])
            return Array(UnsafeBufferPointer(start: p[3], count: 60))
        }
        #expect(directionalCheck(at: x, epsilon: 1e-3, seed: 52, gradient: dRelu, relu) < 1e-2)
        // Two 6×5 planes → 3×2 outputs each (the odd last column is dropped, as in PyTorch).
        let rp = randomArray(12, seed: 53)
        let pool = { (x: [Float]) -> Double in
            withBuffers([x, Array(repeating: 0, count: 12)]) { p in
                let arg = UnsafeMutablePointer<UInt8>.allocate(capacity: 12)
                defer { arg.deallocate() }
                MaxPool2D.forward(p[0], planes: 2, height: 6, width: 5, y: p[1], argmax: arg)
                return weightedSum(p[1], rp)
            }
        }
        let dPool = withBuffers([x, Array(repeating: 0, count: 12), rp, x]) { p -> [Float] in
            let arg = UnsafeMutablePointer<UInt8>.allocate(capacity: 12)
            defer { arg.deallocate() }
            MaxPool2D.forward(p[0], planes: 2, height: 6, width: 5, y: p[1], argmax: arg)
            MaxPool2D.backward(dY: p[2], argmax: arg, planes: 2, height: 6, width: 5, dX: p[3])
            return Array(UnsafeBufferPointer(start: p[3], count: 60))
        }
        #expect(directionalCheck(at: x, epsilon: 1e-3, seed: 54, gradient: dPool, pool) < 1e-2)
    }

    @Test("cross-entropy: logit gradients match finite differences")
    func crossEntropy() {
        let logits = randomArray(4 * 10, seed: 60, scale: 3)
        let labels: [UInt8] = [3, 0, 9, 3]
        func loss(_ z: [Float]) -> Double {
            withBuffers([z, z]) { p in labels.withUnsafeBufferPointer { CrossEntropy.forward(p[0], labels: $0.baseAddress!, batch: 4, classes: 10, probabilities: p[1]).loss } }
        }
        let grad = withBuffers([logits, logits, logits]) { p -> [Float] in
            labels.withUnsafeBufferPointer { l in
                _ = CrossEntropy.forward(p[0], labels: l.baseAddress!, batch: 4, classes: 10, probabilities: p[1])
                CrossEntropy.backward(probabilities: p[1], labels: l.baseAddress!, batch: 4, classes: 10, dLogits: p[2])
            }
            return Array(UnsafeBufferPointer(start: p[2], count: 40))
        }
        #expect(directionalCheck(at: logits, epsilon: 1e-2, seed: 61, gradient: grad, loss) < 1e-3)
    }
}

@Suite struct LayerHandComputedTests {
    @Test("batch norm, training and evaluation, against hand-computed values")
    func batchNormByHand() {
        // One channel, x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25, unbiased 5/3.
        let bn = BatchNorm2D(channels: 1)
        withBuffers([[1, 2, 3, 4], [2], [0.5], [0], [1], [0, 0, 0, 0], [0], [0, 0, 0, 0]]) { p in
            bn.forwardTraining(p[0], n: 4, gamma: p[1], beta: p[2], runningMean: p[3], runningVar: p[4],
                               xHat: p[5], inverseStd: p[6], y: p[7])
            let istd = 1 / (1.25 + 1e-5).squareRoot()
            for i in 0..<4 {
                let expected = 2 * (Double(i + 1) - 2.5) * istd + 0.5
                #expect(abs(Double(p[7][i]) - expected) < 1e-5)
            }
            #expect(abs(p[3][0] - 0.25) < 1e-7)  // 0.9·0 + 0.1·2.5
            #expect(abs(Double(p[4][0]) - (0.9 + 0.1 * 5.0 / 3.0)) < 1e-6)  // unbiased variance in the running estimate
            // Evaluation uses the running estimates: y = γ (x − 0.25)/√(rv + ε) + β.
            bn.forwardEvaluation(p[0], n: 4, gamma: p[1], beta: p[2], runningMean: p[3], runningVar: p[4], y: p[7])
            let rv = 0.9 + 0.1 * 5.0 / 3.0
            #expect(abs(Double(p[7][3]) - (2 * (4 - 0.25) / (rv + 1e-5).squareRoot() + 0.5)) < 1e-5)
        }
    }

    @Test("max-pool routes each gradient to the first maximum of its window")
    func maxPoolByHand() {
        // 4×4 plane; windows: [1 5; 2 0] → 5 (pos 1), [3 3; 3 1] → tie, first wins (pos 0),
        // [0 0; 9 0] → 9 (pos 2), [4 4; 4 8] → 8 (pos 3).
        let x: [Float] = [1, 5, 3, 3,
                          2, 0, 3, 1,
                          0, 0, 4, 4,
                          9, 0, 4, 8]
        withBuffers([x, [0, 0, 0, 0], [10, 20, 30, 40], Array(repeating: -1, count: 16)]) { p in
            let arg = UnsafeMutablePointer<UInt8>.allocate(capacity: 4)
            defer { arg.deallocate() }
            MaxPool2D.forward(p[0], planes: 1, height: 4, width: 4, y: p[1], argmax: arg)
            #expect(Array(UnsafeBufferPointer(start: p[1], count: 4)) == [5, 3, 9, 8])
            #expect(Array(UnsafeBufferPointer(start: arg, count: 4)) == [1, 0, 2, 3])
            MaxPool2D.backward(dY: p[2], argmax: arg, planes: 1, height: 4, width: 4, dX: p[3])
            #expect(Array(UnsafeBufferPointer(start: p[3], count: 16)) == [0, 10, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30, 0, 0, 40])
        }
    }

    @Test("the vectorised max-pool (26×26 planes) agrees with the scalar path")
    func maxPoolVectorised() {
        let x = randomArray(3 * 26 * 26, seed: 70)
        withBuffers([x, Array(repeating: 0, count: 3 * 169)]) { p in
            let arg = UnsafeMutablePointer<UInt8>.allocate(capacity: 3 * 169)
            defer { arg.deallocate() }
            MaxPool2D.forward(p[0], planes: 3, height: 26, width: 26, y: p[1], argmax: arg)
            for plane in 0..<3 {
                for oy in 0..<13 {
                    for ox in 0..<13 {
                        let base = plane * 676 + 2 * oy * 26 + 2 * ox
                        let window = [x[base], x[base + 1], x[base + 26], x[base + 27]]
                        let best = window.max()!
                        #expect(p[1][plane * 169 + oy * 13 + ox] == best)
                        #expect(Int(arg[plane * 169 + oy * 13 + ox]) == window.firstIndex(of: best)!)
                    }
                }
            }
        }
    }

    @Test("cross-entropy of a hand-computed case, stable for huge logits")
    func crossEntropyByHand() {
        withBuffers([[1, 2, 3, 1000, 1001, 999], [0, 0, 0, 0, 0, 0]]) { p in
            let labels: [UInt8] = [2, 0]
            let (loss, correct) = labels.withUnsafeBufferPointer {
                CrossEntropy.forward(p[0], labels: $0.baseAddress!, batch: 2, classes: 3, probabilities: p[1])
            }
            // Row 1: log(e¹+e²+e³) − 3 = 0.40760596; row 2: log(e⁻¹+1+e⁻²) + 1 = 1.40760596 (shifted by 1001).
            #expect(abs(loss - (0.40760596 + 1.40760596) / 2) < 1e-6)
            #expect(correct == 1)
            #expect(p[1].pointee.isFinite && p[1][4] > p[1][3])
        }
    }

    @Test("one Adam step against hand-computed values")
    func adamByHand() {
        // p = 1, g = 0.5: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25 → p = 1 − 1e-3·0.5/(0.5 + 1e-8).
        var adam = Adam(parameterCount: 2)
        var p: [Float] = [1, -2]
        adam.update(parameters: &p, gradients: [0.5, 0])
        #expect(abs(Double(p[0]) - (1 - 1e-3 * 0.5 / (0.5 + 1e-8))) < 1e-7)
        #expect(p[1] == -2 && adam.step == 1)
        #expect(abs(adam.m[0] - 0.05) < 1e-7 && abs(adam.v[0] - 0.00025) < 1e-7 * 0.00025 * 1000)
        // Second step with g = −0.5: m = 0.045 − 0.05 = −0.005, v ≈ 0.0004998; bias corrections of t = 2.
        adam.update(parameters: &p, gradients: [-0.5, 0])
        let m = 0.9 * 0.05 + 0.1 * -0.5, v = 0.999 * 0.00025 + 0.001 * 0.25
        let expected = (1 - 1e-3 * 0.5 / (0.5 + 1e-8)) - (1e-3 / (1 - 0.81)) * m / ((v / (1 - 0.999 * 0.999)).squareRoot() + 1e-8)
        #expect(abs(Double(p[0]) - expected) < 1e-6)
    }
}
