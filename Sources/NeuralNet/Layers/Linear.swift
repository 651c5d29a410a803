import Linalg

/// Fully connected layer `y = x·Wᵀ + b` with PyTorch's weight layout `(out, in)`.
public enum Linear {
    /// x: `(B, in)`; weight: `(out, in)`; bias: `(out)`; y: `(B, out)`.
    public static func forward(_ x: UnsafePointer<Float>, batch: Int, inFeatures: Int, outFeatures: Int,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        for b in 0..<batch {
            (y + b * outFeatures).update(from: bias, count: outFeatures)
        }
        BLAS.gemm(.none, .transposed, m: batch, n: outFeatures, k: inFeatures, alpha: 1, a: x, lda: inFeatures,
                  b: weight, ldb: inFeatures, beta: 1, c: y, ldc: outFeatures)
    }

    /// dWeight `(out, in)` = dYᵀ·x and dBias `(out)` = Σ_b dY (both overwritten); dX `(B, in)` = dY·W
    /// when given.
    public static func backward(dY: UnsafePointer<Float>, x: UnsafePointer<Float>, batch: Int, inFeatures: Int, outFeatures: Int,
                                weight: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                                dBias: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>?) {
        BLAS.gemm(.transposed, .none, m: outFeatures, n: inFeatures, k: batch, alpha: 1, a: dY, lda: outFeatures,
                  b: x, ldb: inFeatures, beta: 0, c: dWeight, ldc: inFeatures)
        dBias.update(repeating: 0, count: outFeatures)
        for b in 0..<batch {
            let row = dY + b * outFeatures
            for o in 0..<outFeatures { dBias[o] += row[o] }
        }
        if let dX {
            BLAS.gemm(.none, .none, m: batch, n: inFeatures, k: outFeatures, alpha: 1, a: dY, lda: outFeatures,
                      b: weight, ldb: inFeatures, beta: 0, c: dX, ldc: inFeatures)
        }
    }

    /// The backward pass without the weight gradient (computed elsewhere): dBias `(out)` = Σ_b dY
    /// (overwritten) and dX `(B, in)` = dY·W.
    static func inputAndBiasGradients(dY: UnsafePointer<Float>, batch: Int, inFeatures: Int, outFeatures: Int,
                                      weight: UnsafePointer<Float>, dBias: UnsafeMutablePointer<Float>,
                                      dX: UnsafeMutablePointer<Float>) {
        dBias.update(repeating: 0, count: outFeatures)
        for b in 0..<batch {
            let row = dY + b * outFeatures
            for o in 0..<outFeatures { dBias[o] += row[o] }
        }
        BLAS.gemm(.none, .none, m: batch, n: inFeatures, k: outFeatures, alpha: 1, a: dY, lda: outFeatures,
                  b: weight, ldb: inFeatures, beta: 0, c: dX, ldc: inFeatures)
    }
}
