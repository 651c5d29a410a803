/// Rectified linear unit, `y = max(x, 0)`; backward passes the gradient where the *output* is
/// positive (PyTorch's `threshold_backward`).
public enum ReLU {
    /// y = max(x, 0); x and y may be the same buffer.
    public static func forward(_ x: UnsafePointer<Float>, count: Int, y: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            let v = x.vec8(i)
            y.store8(v.replacing(with: 0, where: v .< 0), at: i)
            i += 8
        }
        while i < count { y[i] = max(x[i], 0); i += 1 }
    }

    /// dX = dY where y > 0, else 0; dY and dX may be the same buffer.
    public static func backward(dY: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int, dX: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            dX.store8(dY.vec8(i).replacing(with: 0, where: y.vec8(i) .<= 0), at: i)
            i += 8
        }
        while i < count { dX[i] = y[i] > 0 ? dY[i] : 0; i += 1 }
    }
}
