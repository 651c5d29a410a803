import CSupport
import Foundation
import Linalg

/// Adam (Kingma & Ba 2015) with PyTorch's defaults and update formula: lr 1e-3, β = (0.9, 0.999),
/// ε = 1e-8, bias correction, no weight decay. Operates on one flat parameter array.
public struct Adam: Sendable, Equatable {
    public var learningRate: Float = 1e-3
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Steps taken so far (PyTorch's `state['step']`).
    public var step = 0
    /// First and second moment estimates, one per parameter.
    public var m: [Float]
    public var v: [Float]

    public init(parameterCount: Int, learningRate: Float = 1e-3) {
        self.learningRate = learningRate
        m = Array(repeating: 0, count: parameterCount)
        v = Array(repeating: 0, count: parameterCount)
    }

    /// One update: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
    /// p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε).
    public mutating func update(parameters: inout [Float], gradients: [Float]) {
        gradients.withUnsafeBufferPointer { update(parameters: &parameters, gradientParts: [$0.baseAddress!]) }
    }

    /// The same update with the gradient given as a sum of parts (one per slice of a batch computed
    /// in parallel), summed on the fly; parameter ranges are updated in parallel.
    /// - Parameter gradientParts: buffers of `parameters.count` gradients each.
    public mutating func update(parameters: inout [Float], gradientParts parts: [UnsafePointer<Float>]) {
        parts.withUnsafeBufferPointer { update(parameters: &parameters, gradientParts: $0) }
    }

    /// The same, with the parts' buffers in a buffer (no array to allocate per step).
    mutating func update(parameters: inout [Float], gradientParts parts: UnsafeBufferPointer<UnsafePointer<Float>>) {
        precondition(parameters.count == m.count && !parts.isEmpty)
        let count = parameters.count
        parameters.withUnsafeMutableBufferPointer { p in
            let pp = p.baseAddress!
            withStep { step in
                Threads.parallelFor(count, minimumChunk: 16_384) { range in step.update(pp, gradientParts: parts, range: range) }
            }
        }
    }

    /// One step's constants and moment buffers, for callers that update parameter ranges
    /// themselves (in parallel, with each range's gradient where it is).
    struct Step {
        let m, v: UnsafeMutablePointer<Float>
        let stepSize, inverseCorrection2, beta1, beta2, epsilon: Float

        /// The update of `parameters[range]` with g = Σ gradientParts (each indexed like `parameters`).
        func update(_ parameters: UnsafeMutablePointer<Float>, gradientParts parts: UnsafeBufferPointer<UnsafePointer<Float>>,
                    range: Range<Int>) {
            Adam.update(parameters, parts, m, v, range: range, stepSize: stepSize, inverseCorrection2: inverseCorrection2,
                        beta1: beta1, beta2: beta2, epsilon: epsilon)
        }
    }

    /// Advances the step count and runs `body` with that step's bias corrections and the moments.
    mutating func withStep<R>(_ body: (Step) -> R) -> R {
        step += 1
        let t = Double(step)
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
        let inverseCorrection2 = Float(1 / (1 - pow(Double(beta2), t)).squareRoot())
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        return m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                body(Step(m: m.baseAddress!, v: v.baseAddress!, stepSize: stepSize, inverseCorrection2: inverseCorrection2,
                          beta1: b1, beta2: b2, epsilon: eps))
            }
        }
    }

    /// The update over `range` with g = Σ parts (a C kernel: see Sources/CSupport/adam.c).
    static func update(_ p: UnsafeMutablePointer<Float>, _ parts: UnsafeBufferPointer<UnsafePointer<Float>>, _ m: UnsafeMutablePointer<Float>,
                       _ v: UnsafeMutablePointer<Float>, range: Range<Int>, stepSize: Float, inverseCorrection2: Float,
                       beta1: Float, beta2: Float, epsilon: Float) {
        parts.withMemoryRebound(to: UnsafePointer<Float>?.self) { parts in
            embedviz_adam_update(p, parts.baseAddress!, Int32(parts.count), m, v, range.lowerBound, range.upperBound,
                                 stepSize, inverseCorrection2, beta1, beta2, epsilon)
        }
    }
}
