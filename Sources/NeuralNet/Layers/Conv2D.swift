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
    /// The sums of each im2col row over the batch: `S[(ci·k + ky)·k + kx] = Σ_{b,y,x} input[b, ci, y+ky, x+kx]`
    /// (y < Ho, x < Wo), in Double, into `sums` (`Cin·k·k`). With them, an output channel's mean over
    /// the batch is `bias + Σ_j weight[j]·S[j] / (B·Ho·Wo)` without reading the output. Each row's
    /// window sums slide (add the entering value, subtract the leaving one); all values are sums of
    /// at most B·H·W inputs in Double.
    static func tapSums(_ input: UnsafePointer<Float>, batch: Int, shape s: Conv2DShape, into sums: UnsafeMutablePointer<Double>) {
        let (k, ho, wo) = (s.kernel, s.outHeight, s.outWidth)
        sums.update(repeating: 0, count: s.patch)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: s.height * k) { rowSums in
            for b in 0..<batch {
                for ci in 0..<s.inChannels {
                    let plane = input + (b * s.inChannels + ci) * s.height * s.width
                    // rowSums[r·k + kx] = Σ_{x<Wo} plane[r, x + kx]
                    for r in 0..<s.height {
                        let row = plane + r * s.width
                        var total = 0.0
                        for x in 0..<wo { total += Double(row[x]) }
                        rowSums[r * k] = total
                        for kx in 1..<k {
                            total += Double(row[kx - 1 + wo]) - Double(row[kx - 1])
                            rowSums[r * k + kx] = total
                        }
                    }
                    for kx in 0..<k {
                        var total = 0.0
                        for r in 0..<ho { total += rowSums[r * k + kx] }
                        sums[(ci * k) * k + kx] += total
                        for ky in 1..<k {
                            total += rowSums[(ky - 1 + ho) * k + kx] - rowSums[(ky - 1) * k + kx]
                            sums[(ci * k + ky) * k + kx] += total
                        }
                    }
                }
            }
        }
    }
}
