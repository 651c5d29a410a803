/// 2×2 max pooling with stride 2 (PyTorch's `MaxPool2d(2)`: odd trailing rows/columns are dropped,
/// the first maximum in row-major window order wins ties), over `planes` independent H×W planes.
public enum MaxPool2D {
    /// x: `planes × H × W`; y: `planes × ⌊H/2⌋ × ⌊W/2⌋`; argmax (same shape as y) records which of
    /// the window's four positions (0 = top-left, 1 = top-right, 2 = bottom-left, 3 = bottom-right) won.
    public static func forward(_ x: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
                               y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<UInt8>) {
        let (ho, wo) = (height / 2, width / 2)
        for p in 0..<planes {
            let src = x + p * height * width
            let dst = y + p * ho * wo, arg = argmax + p * ho * wo
            for oy in 0..<ho {
                let r0 = src + 2 * oy * width, r1 = r0 + width
                let out = dst + oy * wo, which = arg + oy * wo
                if wo >= 8 {
                    // Eight windows at a time; the last group overlaps the previous one when wo % 8 != 0.
                    var start = 0
                    while true {
                        start = min(start, wo - 8)
                        let top = UnsafeRawPointer(r0 + 2 * start).loadUnaligned(as: SIMD16<Float>.self)
                        let bottom = UnsafeRawPointer(r1 + 2 * start).loadUnaligned(as: SIMD16<Float>.self)
                        var best = top.evenHalf
                        var index = SIMD8<Int32>()
                        let b = top.oddHalf, c = bottom.evenHalf, d = bottom.oddHalf
                        var better = b .> best
                        best.replace(with: b, where: better)
                        index.replace(with: 1, where: better)
                        better = c .> best
                        best.replace(with: c, where: better)
                        index.replace(with: 2, where: better)
                        better = d .> best
                        best.replace(with: d, where: better)
                        index.replace(with: 3, where: better)
                        out.store8(best, at: start)
                        UnsafeMutableRawPointer(which + start).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: index),
                                                                          as: SIMD8<UInt8>.self)
                        if start == wo - 8 { break }
                        start += 8
                    }
                } else {
                    for ox in 0..<wo {
                        let a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1]
                        var best = a, w: UInt8 = 0
                        if b > best { best = b; w = 1 }
                        if c > best { best = c; w = 2 }
                        if d > best { best = d; w = 3 }
                        out[ox] = best
                        which[ox] = w
                    }
                }
            }
        }
    }

    /// Routes each output gradient to the input position that won. dX is overwritten (zeros elsewhere).
    public static func backward(dY: UnsafePointer<Float>, argmax: UnsafePointer<UInt8>, planes: Int, height: Int, width: Int,
                                dX: UnsafeMutablePointer<Float>) {
        let (ho, wo) = (height / 2, width / 2)
        dX.update(repeating: 0, count: planes * height * width)
        for p in 0..<planes {
            let dst = dX + p * height * width
            let g = dY + p * ho * wo, arg = argmax + p * ho * wo
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let w = Int(arg[oy * wo + ox])
                    dst[(2 * oy + (w >> 1)) * width + 2 * ox + (w & 1)] = g[oy * wo + ox]
                }
            }
        }
    }
}
