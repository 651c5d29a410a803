/// The training-mode block BatchNorm2D → ReLU → MaxPool2D(2) → ReLU, one channel at a time, fused
/// so that the 26×26 maps are read once in the forward pass and once in the backward pass (the
/// unfused layers write and re-read x̂, y, the ReLU and the input gradient of each: ~4× the memory
/// traffic). The values are those of the layers one after another, bit for bit: the same
/// expressions in the same order (x̂ = (x − μ)·σ⁻¹, y = γ·x̂ + β, max(y, 0), the first maximum of
/// each window in row-major order; the second ReLU is the identity on a max of ReLU outputs).
///
/// Layout: x is one channel's maps, `planes × H × W` (H, W even); the pooled output of plane `b`
/// goes to `pooled + b·stride` (`⌊H/2⌋·⌊W/2⌋` values: a row of the flattened `(B, C·P)` features);
/// `argmax` and `pooledXHat` (`planes × P`) keep, per pooled value, which window position won and
/// its x̂, for the backward pass.
enum NormalisePool {
    /// Forward. One window group is eight pooled values from two rows of the maps (SIMD16 loads);
    /// the last group of a row overlaps the previous one when the pooled width is not a multiple of 8.
    static func forward(_ x: UnsafePointer<Float>, planes: Int, height: Int, width: Int, mean: Float, inverseStd: Float,
                        gamma: Float, beta: Float, pooled: UnsafeMutablePointer<Float>, stride: Int,
                        argmax: UnsafeMutablePointer<UInt8>, pooledXHat: UnsafeMutablePointer<Float>) {
        let (ho, wo) = (height / 2, width / 2)
        precondition(wo >= 8, "the fused block needs maps at least 16 wide")
        let (m, s, g, b) = (SIMD8<Float>(repeating: mean), SIMD8<Float>(repeating: inverseStd), SIMD8<Float>(repeating: gamma),
                            SIMD8<Float>(repeating: beta))
        for p in 0..<planes {
            let src = x + p * height * width
            let out = pooled + p * stride, which = argmax + p * ho * wo, kept = pooledXHat + p * ho * wo
            for oy in 0..<ho {
                let r0 = src + 2 * oy * width, r1 = r0 + width
                var start = 0
                while true {
                    start = min(start, wo - 8)
                    let top = UnsafeRawPointer(r0 + 2 * start).loadUnaligned(as: SIMD16<Float>.self)
                    let bottom = UnsafeRawPointer(r1 + 2 * start).loadUnaligned(as: SIMD16<Float>.self)
                    // The window's four positions in row-major order: top-left, top-right, bottom-left,
                    // bottom-right; x̂ = (x − μ)·σ⁻¹, y = max(γ·x̂ + β, 0), strictly greater replaces.
                    var xHat = (top.evenHalf - m) * s
                    var best = g * xHat + b
                    best.replace(with: 0, where: best .< 0)
                    var index = SIMD8<Int32>()
                    let h1 = (top.oddHalf - m) * s
                    var y1 = g * h1 + b
                    y1.replace(with: 0, where: y1 .< 0)
                    var better = y1 .> best
                    best.replace(with: y1, where: better)
                    xHat.replace(with: h1, where: better)
                    index.replace(with: 1, where: better)
                    let h2 = (bottom.evenHalf - m) * s
                    var y2 = g * h2 + b
                    y2.replace(with: 0, where: y2 .< 0)
                    better = y2 .> best
                    best.replace(with: y2, where: better)
                    xHat.replace(with: h2, where: better)
                    index.replace(with: 2, where: better)
                    let h3 = (bottom.oddHalf - m) * s
                    var y3 = g * h3 + b
                    y3.replace(with: 0, where: y3 .< 0)
                    better = y3 .> best
                    best.replace(with: y3, where: better)
                    xHat.replace(with: h3, where: better)
                    index.replace(with: 3, where: better)
                    let at = oy * wo + start
                    UnsafeMutableRawPointer(out + at).storeBytes(of: best, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(kept + at).storeBytes(of: xHat, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(which + at).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: index), as: SIMD8<UInt8>.self)
                    if start == wo - 8 { break }
                    start += 8
                }
            }
        }
    }

    /// Backward, first half: the gradient at the batch-norm output is the pooled features' gradient
    /// `dPooled` (plane b at `dPooled + b·stride`) where the pooled value is positive (both ReLUs
    /// pass it), routed to the window's winner, zero elsewhere. Writes that gradient per pooled value
    /// into `dy` (`planes × P`) and returns this channel's (Σ dy, Σ dy·x̂): β's and γ's gradients.
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

    /// Backward, second half: dx = scale·(dy − mean(dy) − x̂·mean(dy·x̂)) over the whole maps, scale =
    /// γ·σ⁻¹, with x̂ recomputed from x (the forward's expression) and dy zero except at the winners.
    static func inputGradient(_ x: UnsafePointer<Float>, planes: Int, height: Int, width: Int, mean: Float, inverseStd: Float,
                              scale: Float, meanDy: Float, meanDyXHat: Float, dy: UnsafePointer<Float>,
                              argmax: UnsafePointer<UInt8>, pooledXHat: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>) {
        let n = planes * height * width
        let (m, s) = (SIMD8<Float>(repeating: mean), SIMD8<Float>(repeating: inverseStd))
        let (vs, vm, vmh) = (SIMD8<Float>(repeating: scale), SIMD8<Float>(repeating: meanDy), SIMD8<Float>(repeating: meanDyXHat))
        let zero = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let h = (x.vec8(i) - m) * s
            dX.store8(vs * (zero - vm - h * vmh), at: i)
            i += 8
        }
        while i < n {
            let h = (x[i] - mean) * inverseStd
            dX[i] = scale * (0 - meanDy - h * meanDyXHat)
            i += 1
        }
        // The winners, where dy is not zero.
        let (ho, wo) = (height / 2, width / 2)
        for p in 0..<planes {
            let base = dX + p * height * width, d = dy + p * ho * wo, which = argmax + p * ho * wo, h = pooledXHat + p * ho * wo
            for oy in 0..<ho {
                for ox in 0..<wo where d[oy * wo + ox] != 0 {
                    let k = oy * wo + ox, w = Int(which[k])
                    base[(2 * oy + (w >> 1)) * width + 2 * ox + (w & 1)] = scale * (d[k] - meanDy - h[k] * meanDyXHat)
                }
            }
        }
    }
}
