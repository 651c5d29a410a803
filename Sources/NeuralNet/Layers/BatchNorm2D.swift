/// Batch normalisation over the channels of a CNHW activation (PyTorch's `BatchNorm2d`).
///
/// Training: each channel is normalised with its batch mean and *biased* variance; the running
/// estimates move by `momentum` towards the batch mean and the *unbiased* variance. Evaluation:
/// the running estimates are used. `y = γ·(x − μ)/√(σ² + ε) + β`.
public struct BatchNorm2D: Sendable {
    public var channels: Int
    public var momentum: Float = 0.1
    public var epsilon: Float = 1e-5

    public init(channels: Int) { self.channels = channels }

    /// Training forward on a whole batch. x, xHat, y: `(C, n)` with `n = B·H·W`; saves `xHat` and
    /// `inverseStd` (C) for the backward pass and updates `runningMean`/`runningVar` (C).
    /// (The data-parallel training step runs the same stages with the batch split across threads.)
    public func forwardTraining(_ x: UnsafePointer<Float>, n: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
                                xHat: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>,
                                y: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            let xc = x + c * n
            // Two passes: the mean, then the centred sum of squares (no cancellation).
            let mean = Float(Double(sum(xc, count: n)) / Double(n))
            let squares = Self.centredSquares(xc, count: n, mean: mean)
            inverseStd[c] = statistics(mean: mean, centredSquares: squares, count: n, runningMean: runningMean + c,
                                       runningVar: runningVar + c)
            Self.normalise(xc, count: n, mean: mean, inverseStd: inverseStd[c], gamma: gamma[c], beta: beta[c],
                           xHat: xHat + c * n, y: y + c * n)
        }
    }

    /// From a channel's batch mean and centred sum of squares over `count` values: updates the running
    /// estimates (unbiased variance) and returns 1/√(σ²_biased + ε).
    public func statistics(mean: Float, centredSquares: Double, count: Int,
                           runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>) -> Float {
        let variance = centredSquares / Double(count)
        let unbiased = count > 1 ? centredSquares / Double(count - 1) : variance
        runningMean.pointee = (1 - momentum) * runningMean.pointee + momentum * mean
        runningVar.pointee = (1 - momentum) * runningVar.pointee + momentum * Float(unbiased)
        return Float(1 / (variance + Double(epsilon)).squareRoot())
    }

    /// Σ (x − mean)², accumulated in eight-wide Float vectors and finished in Double.
    static func centredSquares(_ x: UnsafePointer<Float>, count n: Int, mean: Float) -> Double {
        var acc = Vec8()
        let m = Vec8(repeating: mean)
        var i = 0
        while i + 8 <= n {
            let d = x.vec8(i) - m
            acc += d * d
            i += 8
        }
        var total = 0.0
        for k in 0..<8 { total += Double(acc[k]) }
        while i < n { let d = Double(x[i] - mean); total += d * d; i += 1 }
        return total
    }

    /// x̂ = (x − mean)·istd, y = γ·x̂ + β.
    static func normalise(_ x: UnsafePointer<Float>, count n: Int, mean: Float, inverseStd: Float, gamma: Float, beta: Float,
                          xHat: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let (m, s, g, b) = (Vec8(repeating: mean), Vec8(repeating: inverseStd), Vec8(repeating: gamma), Vec8(repeating: beta))
        var i = 0
        while i + 8 <= n {
            let h = (x.vec8(i) - m) * s
            xHat.store8(h, at: i)
            y.store8(g * h + b, at: i)
            i += 8
        }
        while i < n {
            let h = (x[i] - mean) * inverseStd
            xHat[i] = h
            y[i] = gamma * h + beta
            i += 1
        }
    }

    /// Evaluation forward with the running estimates. x, y: `(C, n)`.
    public func forwardEvaluation(_ x: UnsafePointer<Float>, n: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                  runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
                                  y: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            let scale = gamma[c] / (runningVar[c] + epsilon).squareRoot()
            let shift = beta[c] - runningMean[c] * scale
            let xc = x + c * n, yc = y + c * n
            let (a, b) = (Vec8(repeating: scale), Vec8(repeating: shift))
            var i = 0
            while i + 8 <= n {
                yc.store8(xc.vec8(i) * a + b, at: i)
                i += 8
            }
            while i < n { yc[i] = xc[i] * scale + shift; i += 1 }
        }
    }

    /// Backward of the training forward on a whole batch. dY, xHat, dX: `(C, n)`; dGamma, dBeta:
    /// `(C)`, overwritten. `dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂))`.
    public func backward(dY: UnsafePointer<Float>, xHat: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                         gamma: UnsafePointer<Float>, n: Int, dX: UnsafeMutablePointer<Float>,
                         dGamma: UnsafeMutablePointer<Float>, dBeta: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            let (sumDy, sumDyH) = Self.gradientSums(dY + c * n, xHat + c * n, count: n)
            dBeta[c] = Float(sumDy)
            dGamma[c] = Float(sumDyH)
            Self.inputGradient(dY + c * n, xHat + c * n, count: n, scale: gamma[c] * inverseStd[c],
                               meanDy: Float(sumDy / Double(n)), meanDyXHat: Float(sumDyH / Double(n)), dX: dX + c * n)
        }
    }

    /// (Σ dy, Σ dy·x̂) of one channel: β's and γ's gradients.
    static func gradientSums(_ dy: UnsafePointer<Float>, _ h: UnsafePointer<Float>, count n: Int) -> (Double, Double) {
        var (accDy, accDyH) = (Vec8(), Vec8())
        var i = 0
        while i + 8 <= n {
            let g = dy.vec8(i)
            accDy += g
            accDyH += g * h.vec8(i)
            i += 8
        }
        var (sumDy, sumDyH) = (0.0, 0.0)
        for k in 0..<8 { sumDy += Double(accDy[k]); sumDyH += Double(accDyH[k]) }
        while i < n { sumDy += Double(dy[i]); sumDyH += Double(dy[i] * h[i]); i += 1 }
        return (sumDy, sumDyH)
    }

    /// dx = scale·(dy − mean(dy) − x̂·mean(dy·x̂)) for one channel, with scale = γ/σ.
    static func inputGradient(_ dy: UnsafePointer<Float>, _ h: UnsafePointer<Float>, count n: Int, scale: Float,
                              meanDy: Float, meanDyXHat: Float, dX dx: UnsafeMutablePointer<Float>) {
        let (vs, vm, vmh) = (Vec8(repeating: scale), Vec8(repeating: meanDy), Vec8(repeating: meanDyXHat))
        var i = 0
        while i + 8 <= n {
            dx.store8(vs * (dy.vec8(i) - vm - h.vec8(i) * vmh), at: i)
            i += 8
        }
        while i < n { dx[i] = scale * (dy[i] - meanDy - h[i] * meanDyXHat); i += 1 }
    }
}
