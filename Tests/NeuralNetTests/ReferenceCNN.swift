import Foundation
@testable import NeuralNet

// An independent implementation of the tutorial's CNN for checking the fast one: plain loops in
// Double, no BLAS, no workspace layout. Two uses:
//  - `trainingLoss` carries a directional derivative along with every value (forward-mode automatic
//    differentiation with dual numbers), so the exact derivative of the loss along a direction is
//    known to ~1e-15 relative, with no finite-difference step to choose and no kink to cross;
//  - `evaluationLogits` runs evaluation mode and returns, beside each logit, a first-order bound on
//    how far any float32 evaluation of the same network may be from it (a running error analysis:
//    each sum of n terms contributes γₙ·Σ|terms|, earlier errors propagate through |W|).

/// A value and its derivative along one direction.
struct Dual {
    var v: Double, d: Double
    init(_ v: Double, _ d: Double = 0) { self.v = v; self.d = d }
    static func + (a: Dual, b: Dual) -> Dual { Dual(a.v + b.v, a.d + b.d) }
    static func - (a: Dual, b: Dual) -> Dual { Dual(a.v - b.v, a.d - b.d) }
    static func * (a: Dual, b: Dual) -> Dual { Dual(a.v * b.v, a.d * b.v + a.v * b.d) }
    static func / (a: Dual, b: Dual) -> Dual { Dual(a.v / b.v, (a.d * b.v - a.v * b.d) / (b.v * b.v)) }
    static func += (a: inout Dual, b: Dual) { a = a + b }
    var exp: Dual { let e = Foundation.exp(v); return Dual(e, d * e) }
    var log: Dual { Dual(Foundation.log(v), d / v) }
    var squareRoot: Dual { let s = v.squareRoot(); return Dual(s, d / (2 * s)) }
    var relu: Dual { v > 0 ? self : Dual(0) }
}

/// γₙ = n·u/(1 − n·u), u = 2⁻²⁴: the bound on the relative error of a float32 sum of n terms, in any order,
/// with or without fused multiply-adds (Higham, Accuracy and Stability of Numerical Algorithms, §3.1).
func gamma32(_ n: Int) -> Double {
    let nu = Double(n) * 0x1p-24
    return nu / (1 - nu)
}

enum ReferenceCNN {
    static let (h, w, c, out, pooled, flat, hidden, classes) = (28, 28, 16, 26, 13, 2704, 100, 10)

    /// Mean cross-entropy of the model in training mode (batch norm with the batch's mean and biased
    /// variance, ε = 1e-5) on `batch` images `input` (pixels/255, `(B, 784)`), with the parameters
    /// moved along `direction` and the input along `inputDirection`; `.d` is the derivative at 0.
    static func trainingLoss(parameters: [Float], direction: [Double], input: [Float], inputDirection: [Double]? = nil,
                             labels: [Int]) -> Dual {
        let p = zip(parameters, direction).map { Dual(Double($0), $1) }
        let x = input.indices.map { Dual(Double(input[$0]), inputDirection?[$0] ?? 0) }
        let batch = labels.count
        let conv = convolution(p, x, batch: batch)
        let n = batch * out * out
        var bn = conv
        let (gammaAt, betaAt) = (TutorialCNN.offsets.bnWeight, TutorialCNN.offsets.bnBias)
        for ch in 0..<c {
            var mean = Dual(0)
            for i in 0..<n { mean += conv[ch * n + i] }
            mean = mean / Dual(Double(n))
            var variance = Dual(0)
            for i in 0..<n { let e = conv[ch * n + i] - mean; variance += e * e }
            variance = variance / Dual(Double(n))
            let inverse = Dual(1) / (variance + Dual(1e-5)).squareRoot
            for i in 0..<n { bn[ch * n + i] = p[gammaAt + ch] * (conv[ch * n + i] - mean) * inverse + p[betaAt + ch] }
        }
        let logits = classifier(p, bn, batch: batch)
        var loss = Dual(0)
        for b in 0..<batch {
            let z = Array(logits[(b * classes)..<((b + 1) * classes)])
            let m = Dual(z.map(\.v).max()!)
            var s = Dual(0)
            for k in 0..<classes { s += (z[k] - m).exp }
            loss += m + s.log - z[labels[b]]
        }
        return loss / Dual(Double(batch))
    }

    /// `(C, B, 26·26)` maps, channel-major like the fast code's (order does not matter to a reference).
    static func convolution(_ p: [Dual], _ x: [Dual], batch: Int) -> [Dual] {
        let (weightAt, biasAt) = (TutorialCNN.offsets.convWeight, TutorialCNN.offsets.convBias)
        var y = [Dual](repeating: Dual(0), count: c * batch * out * out)
        for ch in 0..<c {
            for b in 0..<batch {
                for r in 0..<out {
                    for q in 0..<out {
                        var s = p[biasAt + ch]
                        for ky in 0..<3 {
                            for kx in 0..<3 { s += p[weightAt + ch * 9 + ky * 3 + kx] * x[b * h * w + (r + ky) * w + q + kx] }
                        }
                        y[((ch * batch) + b) * out * out + r * out + q] = s
                    }
                }
            }
        }
        return y
    }

    /// ReLU → 2×2 max-pool → ReLU → flatten `(B, C·13·13)` → fc1 → ReLU → fc2: logits `(B, 10)`.
    static func classifier(_ p: [Dual], _ bn: [Dual], batch: Int) -> [Dual] {
        var features = [Dual](repeating: Dual(0), count: batch * flat)
        for ch in 0..<c {
            for b in 0..<batch {
                let plane = ((ch * batch) + b) * out * out
                for r in 0..<pooled {
                    for q in 0..<pooled {
                        let window = [0, 1, out, out + 1].map { bn[plane + 2 * r * out + 2 * q + $0].relu }
                        features[b * flat + ch * pooled * pooled + r * pooled + q] = window.max { $0.v < $1.v }!.relu
                    }
                }
            }
        }
        let o = TutorialCNN.offsets
        let hiddenLayer = linear(p, weightAt: o.fc1Weight, biasAt: o.fc1Bias, features, batch: batch, inputs: flat, outputs: hidden)
        return linear(p, weightAt: o.fc2Weight, biasAt: o.fc2Bias, hiddenLayer.map(\.relu), batch: batch, inputs: hidden,
                      outputs: classes)
    }

    static func linear(_ p: [Dual], weightAt: Int, biasAt: Int, _ x: [Dual], batch: Int, inputs: Int, outputs: Int) -> [Dual] {
        var y = [Dual](repeating: Dual(0), count: batch * outputs)
        for b in 0..<batch {
            for j in 0..<outputs {
                var s = p[biasAt + j]
                for i in 0..<inputs { s += p[weightAt + j * inputs + i] * x[b * inputs + i] }
                y[b * outputs + j] = s
            }
        }
        return y
    }

    /// Evaluation-mode logits `(B, 10)` in Double, and for each a bound on |float32 logit − this logit|
    /// for any float32 evaluation of the network on the same float32 parameters and input.
    static func evaluationLogits(_ model: TutorialCNN, input: [Float], batch: Int) -> (logits: [Double], bound: [Double]) {
        let p = model.parameters.map(Double.init), o = TutorialCNN.offsets
        // Convolution: bias plus 9 products, a float32 sum of 10 terms.
        var conv = [Double](repeating: 0, count: c * batch * out * out), error = conv
        for ch in 0..<c {
            for b in 0..<batch {
                for r in 0..<out {
                    for q in 0..<out {
                        var (s, a) = (p[o.convBias + ch], abs(p[o.convBias + ch]))
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let t = p[o.convWeight + ch * 9 + ky * 3 + kx] * Double(input[b * h * w + (r + ky) * w + q + kx])
                                s += t
                                a += abs(t)
                            }
                        }
                        let at = ((ch * batch) + b) * out * out + r * out + q
                        (conv[at], error[at]) = (s, gamma32(10) * a)
                    }
                }
            }
        }
        // Batch norm with running estimates: y = x·s + (β − μ·s), s = γ/√(σ² + ε); five roundings on the
        // way (σ² + ε, √, ÷, μ·s, the final multiply-add), each relative to the terms it combines.
        let n = batch * out * out
        for ch in 0..<c {
            let s = p[o.bnWeight + ch] / (Double(model.runningVar[ch]) + 1e-5).squareRoot()
            let mu = Double(model.runningMean[ch]), beta = p[o.bnBias + ch]
            for i in (ch * n)..<((ch + 1) * n) {
                let x = conv[i]
                error[i] = abs(s) * error[i] + gamma32(5) * (abs(s * x) + abs(s * mu) + abs(beta))
                conv[i] = x * s + (beta - mu * s)
            }
        }
        // ReLU and max-pool are 1-Lipschitz per element: the bound of the chosen element carries over.
        var features = [Double](repeating: 0, count: batch * flat), featureError = features
        for ch in 0..<c {
            for b in 0..<batch {
                let plane = ((ch * batch) + b) * out * out
                for r in 0..<pooled {
                    for q in 0..<pooled {
                        let window = [0, 1, out, out + 1].map { plane + 2 * r * out + 2 * q + $0 }
                        let at = b * flat + ch * pooled * pooled + r * pooled + q
                        features[at] = max(0, window.map { conv[$0] }.max()!)
                        featureError[at] = window.map { error[$0] }.max()!
                    }
                }
            }
        }
        func linear(_ x: [Double], _ e: [Double], weightAt: Int, biasAt: Int, inputs: Int, outputs: Int) -> ([Double], [Double]) {
            var y = [Double](repeating: 0, count: batch * outputs), bound = y
            for b in 0..<batch {
                for j in 0..<outputs {
                    var (s, a, propagated) = (p[biasAt + j], abs(p[biasAt + j]), 0.0)
                    for i in 0..<inputs {
                        let weight = p[weightAt + j * inputs + i]
                        s += weight * x[b * inputs + i]
                        a += abs(weight * x[b * inputs + i])
                        propagated += abs(weight) * e[b * inputs + i]
                    }
                    (y[b * outputs + j], bound[b * outputs + j]) = (s, gamma32(inputs + 1) * a + propagated)
                }
            }
            return (y, bound)
        }
        let (fc1, fc1Error) = linear(features, featureError, weightAt: o.fc1Weight, biasAt: o.fc1Bias, inputs: flat, outputs: hidden)
        return linear(fc1.map { max(0, $0) }, fc1Error, weightAt: o.fc2Weight, biasAt: o.fc2Bias, inputs: hidden, outputs: classes)
    }
}
