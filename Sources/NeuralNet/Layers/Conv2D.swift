import Linalg

/// 2-D convolution (stride 1, no padding) as im2col + one `sgemm` per batch.
///
/// Layout: activations of a convolution are kept channel-major over the whole batch, "CNHW":
/// `out[c, b·Ho·Wo + y·Wo + x]`. Then one GEMM covers the batch, and batch norm finds each channel's
/// values contiguous. Weights are PyTorch's `(Cout, Cin, k, k)`, row-major, i.e. `Cout × (Cin·k·k)`.
public struct Conv2DShape: Sendable, Equatable {
    public var inChannels: Int, outChannels: Int, kernel: Int, height: Int, width: Int

    public init(inChannels: Int, outChannels: Int, kernel: Int, height: Int, width: Int) {
        (self.inChannels, self.outChannels, self.kernel, self.height, self.width) = (inChannels, outChannels, kernel, height, width)
    }

    public var outHeight: Int { height - kernel + 1 }
    public var outWidth: Int { width - kernel + 1 }
    /// Rows of the im2col matrix: `Cin·k·k`.
    public var patch: Int { inChannels * kernel * kernel }
    public var inputSize: Int { inChannels * height * width }
    public var outputPlane: Int { outHeight * outWidth }
}

public enum Conv2D {
    /// Unfolds a batch into columns. input: `(B, Cin, H, W)`; col: `(Cin·k·k) × (B·Ho·Wo)`.
    public static func im2col(_ input: UnsafePointer<Float>, batch: Int, shape s: Conv2DShape,
                              col: UnsafeMutablePointer<Float>) {
        let (k, ho, wo) = (s.kernel, s.outHeight, s.outWidth)
        let ld = batch * ho * wo
        for ci in 0..<s.inChannels {
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = col + ((ci * k + ky) * k + kx) * ld
                    for b in 0..<batch {
                        let plane = input + (b * s.inChannels + ci) * s.height * s.width
                        let dst = row + b * ho * wo
                        for y in 0..<ho {
                            let src = plane + (y + ky) * s.width + kx
                            let d = dst + y * wo
                            for x in 0..<wo { d[x] = src[x] }
                        }
                    }
                }
            }
        }
    }

    /// Folds column gradients back onto the input (the adjoint of `im2col`, summing overlaps).
    /// dCol: `(Cin·k·k) × (B·Ho·Wo)`; dInput: `(B, Cin, H, W)`, overwritten.
    public static func col2im(_ dCol: UnsafePointer<Float>, batch: Int, shape s: Conv2DShape,
                              dInput: UnsafeMutablePointer<Float>) {
        let (k, ho, wo) = (s.kernel, s.outHeight, s.outWidth)
        let ld = batch * ho * wo
        dInput.update(repeating: 0, count: batch * s.inputSize)
        for ci in 0..<s.inChannels {
            for ky in 0..<k {
                for kx in 0..<k {
                    let row = dCol + ((ci * k + ky) * k + kx) * ld
                    for b in 0..<batch {
                        let plane = dInput + (b * s.inChannels + ci) * s.height * s.width
                        let src = row + b * ho * wo
                        for y in 0..<ho {
                            let d = plane + (y + ky) * s.width + kx
                            let g = src + y * wo
                            for x in 0..<wo { d[x] += g[x] }
                        }
                    }
                }
            }
        }
    }

    /// out `(Cout, B·Ho·Wo)` = weight `(Cout, Cin·k·k)` · col + bias.
    public static func forward(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, col: UnsafePointer<Float>,
                               batch: Int, shape s: Conv2DShape, out: UnsafeMutablePointer<Float>) {
        let n = batch * s.outputPlane
        for c in 0..<s.outChannels {
            (out + c * n).update(repeating: bias[c], count: n)
        }
        BLAS.gemm(.none, .none, m: s.outChannels, n: n, k: s.patch, alpha: 1, a: weight, lda: s.patch,
                  b: col, ldb: n, beta: 1, c: out, ldc: n)
    }

    /// Gradients of the weights and bias (overwritten), and of the columns when `dCol` is given
    /// (only needed when something before the convolution learns; the tutorial's input does not).
    /// dOut: `(Cout, B·Ho·Wo)`; dWeight: `(Cout, Cin·k·k)`; dCol: `(Cin·k·k, B·Ho·Wo)`.
    public static func backward(dOut: UnsafePointer<Float>, col: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                batch: Int, shape s: Conv2DShape, dWeight: UnsafeMutablePointer<Float>,
                                dBias: UnsafeMutablePointer<Float>, dCol: UnsafeMutablePointer<Float>?) {
        let n = batch * s.outputPlane
        BLAS.gemm(.none, .transposed, m: s.outChannels, n: s.patch, k: n, alpha: 1, a: dOut, lda: n,
                  b: col, ldb: n, beta: 0, c: dWeight, ldc: s.patch)
        for c in 0..<s.outChannels {
            dBias[c] = sum(dOut + c * n, count: n)
        }
        if let dCol {
            BLAS.gemm(.transposed, .none, m: s.patch, n: n, k: s.outChannels, alpha: 1, a: weight, lda: s.patch,
                      b: dOut, ldb: n, beta: 0, c: dCol, ldc: n)
        }
    }
}
