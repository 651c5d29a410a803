import CSupport

/// The tutorial model's first block in training mode — Conv2d(1→C, 3×3) → BatchNorm2D → ReLU →
/// MaxPool2D(2) → ReLU — as direct convolutions fused with what follows them, one output channel
/// at a time, so that the 26×26 convolution maps are never written to memory.
///
/// Why not im2col + GEMM here: with one input channel the GEMM has an inner dimension of 9 (10 with
/// the bias), so it runs at a few percent of peak while im2col writes nine copies of every image,
/// and the maps it produces (16 channels × 26×26 floats per image) were written and read again by
/// the statistics, the normalisation, the batch-norm gradient and the weight-gradient GEMM: measured
/// on an AVX-512 Xeon, those five passes took 0.82 ms of a 2.2 ms half-step. A direct 3×3
/// convolution of one pooled row is 36 multiply-adds on 16-lane vectors, cheap enough to
/// compute three times — for the statistics, the forward pass, and the backward pass — instead of
/// storing the maps.
///
/// Layout. The input is first *split* (`split(_:batch:into:)`): each 28-pixel row becomes its even
/// and its odd columns, 16 floats each (14 used), so that the even and odd columns of a convolution
/// row — the two columns of each pooling window — are plain vector loads: for output column
/// x = 2·ox + parity and tap kx, the input column is 2·ox + (parity + kx), i.e. the even half at ox
/// (parity + kx = 0), the odd half at ox (1), the even half at ox + 1 (2) or the odd half at ox + 1 (3).
/// A vector holds the 13 pooled columns of a row in lanes 0–12; lanes 13–15 are never stored and are
/// masked out of every sum.
///
/// The kernels are C (Sources/CSupport/convolution_block.c): the Swift build targets baseline
/// x86-64, where a 16-lane vector is four SSE registers and this working set spills (measured on
/// an AVX-512 Xeon: 8.7 s per epoch in Swift against 3.0 s with the im2col path), and Swift has no
/// per-function target. The C file is compiled for AVX-512, AVX2 and baseline, chosen at load
/// time, without contraction into fused multiply-adds, so every clone computes the same bits
/// (scripts/test_clones.sh compares them).
///
/// Numerics: each convolution value is its bias plus nine products in a fixed order; the batch-norm
/// expressions and the window order (top-left, top-right, bottom-left, bottom-right; strictly greater
/// replaces) are those of the layers one after another. Sums over the maps are accumulated per image
/// in float lanes (52 terms per lane) and then in Double, in a fixed order.
enum ConvolutionBlock {
    static let inputSize = 28, mapSize = 26, pooledSize = 13
    /// Values of one pooled map.
    static let pooledPlane = pooledSize * pooledSize
    /// Floats per split row (even columns, then odd columns, 16 each) and per split image.
    static let splitRow = 32, splitImage = inputSize * splitRow
    /// Floats of split input for `batch` images: the last row's loads at an offset of one read one
    /// vector beyond it.
    static func splitCount(batch: Int) -> Int { batch * splitImage + 16 }

    /// input `(B, 1, 28, 28)` → split rows `(B, 28, [even 16 | odd 16])` (see the type's summary).
    static func split(_ input: UnsafePointer<Float>, batch: Int, into s: UnsafeMutablePointer<Float>) {
        embedviz_block_split(input, Int32(batch), s)
    }

    /// One output channel's 3×3 weights (row-major, 9 floats) and bias.
    struct Filter {
        let weight: UnsafePointer<Float>
        let bias: Float
    }

    /// Statistics: Σ (x − mean)² over one channel's convolution maps of `batch` split images.
    static func centredSquares(_ split: UnsafePointer<Float>, batch: Int, filter f: Filter, mean: Float) -> Double {
        embedviz_block_centred_squares(split, Int32(batch), f.weight, f.bias, mean)
    }

    /// Forward: convolution, batch norm with the whole batch's `mean` and `inverseStd`, ReLU, max-pool
    /// and ReLU for one channel. Plane `b`'s 13×13 pooled values go to `pooled + b·stride` (a row of the
    /// flattened features), which of its window's four positions won to `argmax + b·169`, and the
    /// winner's x̂ to `pooledXHat + b·169`.
    static func forward(_ split: UnsafePointer<Float>, batch: Int, filter f: Filter, mean: Float, inverseStd: Float,
                        gamma: Float, beta: Float, pooled: UnsafeMutablePointer<Float>, stride: Int,
                        argmax: UnsafeMutablePointer<UInt8>, pooledXHat: UnsafeMutablePointer<Float>) {
        embedviz_block_forward(split, Int32(batch), f.weight, f.bias, mean, inverseStd, gamma, beta, pooled, stride,
                               argmax, pooledXHat)
    }

    /// Back through flatten, ReLU, max-pool and ReLU: the gradient at the batch-norm output is the
    /// pooled features' gradient `dPooled` (plane b at `dPooled + b·stride`) where the pooled value is
    /// positive (both ReLUs pass it), routed to the window's winner, zero elsewhere. Writes that
    /// gradient per pooled value into `dy` (`planes × P`) and returns this channel's (Σ dy, Σ dy·x̂):
    /// β's and γ's gradients.
    static func gradientSums(dPooled: UnsafePointer<Float>, pooled: UnsafePointer<Float>, stride: Int, planes: Int,
                             plane P: Int, pooledXHat: UnsafePointer<Float>, dy: UnsafeMutablePointer<Float>) -> (Double, Double) {
        var (accDy, accDyH) = (SIMD8<Float>(), SIMD8<Float>())
        var (sumDy, sumDyH) = (0.0, 0.0)
        for p in 0..<planes {
            let g = dPooled + p * stride, v = pooled + p * stride, h = pooledXHat + p * P, d = dy + p * P
            var i = 0
            while i + 8 <= P {
                let masked = g.vec8(i).replacing(with: 0, where: v.vec8(i) .<= 0)
                d.store8(masked, at: i)
                accDy += masked
                accDyH += masked * h.vec8(i)
                i += 8
            }
            while i < P {
                let masked = v[i] > 0 ? g[i] : 0
                d[i] = masked
                sumDy += Double(masked)
                sumDyH += Double(masked * h[i])
                i += 1
            }
        }
        for k in 0..<8 { sumDy += Double(accDy[k]); sumDyH += Double(accDyH[k]) }
        return (sumDy, sumDyH)
    }

    /// Backward for one channel: the batch-norm input gradient dx = scale·(dy − meanDy − x̂·meanDyXHat)
    /// (dy: `dPooled`'s value at the window's winner, zero elsewhere; x̂ from the convolution again),
    /// and from it the convolution's weight and bias gradients, Σ dx·tap over the maps: `gradient[0..<9]`
    /// (row-major taps) and `gradient[9]` (bias), overwritten. With `dX`, the maps' gradient itself
    /// (`(B, 26, 26)`), for the input's gradient.
    static func backward(_ split: UnsafePointer<Float>, batch: Int, filter f: Filter, mean: Float, inverseStd: Float,
                         scale: Float, meanDy: Float, meanDyXHat: Float, dPooled: UnsafePointer<Float>,
                         argmax: UnsafePointer<UInt8>, gradient: UnsafeMutablePointer<Double>,
                         dX: UnsafeMutablePointer<Float>? = nil) {
        embedviz_block_backward(split, Int32(batch), f.weight, f.bias, mean, inverseStd, scale, meanDy, meanDyXHat,
                                dPooled, argmax, gradient, dX)
    }
}
