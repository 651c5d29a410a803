import Foundation

/// Softmax cross-entropy on logits, averaged over the batch (PyTorch's `CrossEntropyLoss`).
public enum CrossEntropy {
    /// Row-wise softmax of logits `(B, K)` into probabilities `(B, K)`, stably (`z − max z` before
    /// `exp`, sums in Double). Returns each row's log-sum-exp, `m + log Σ exp(zᵢ − m)`.
    @discardableResult
    public static func softmax(_ logits: UnsafePointer<Float>, batch: Int, classes: Int,
                               probabilities: UnsafeMutablePointer<Float>) -> [Double] {
        var logSumExp = [Double](repeating: 0, count: batch)
        for b in 0..<batch {
            let z = logits + b * classes, p = probabilities + b * classes
            var m = z[0]
            for k in 1..<classes where z[k] > m { m = z[k] }
            var s = 0.0
            var e = [Double](repeating: 0, count: classes)
            for k in 0..<classes {
                e[k] = exp(Double(z[k] - m))
                s += e[k]
            }
            for k in 0..<classes { p[k] = Float(e[k] / s) }
            logSumExp[b] = Double(m) + log(s)
        }
        return logSumExp
    }

    /// logits: `(B, K)`; labels: `(B)` in `0..<K`; probabilities (softmax, `(B, K)`) are saved for the
    /// backward pass. Returns the mean loss `log Σ exp z − z_label` and the number of rows whose
    /// argmax (first maximum) equals the label.
    public static func forward(_ logits: UnsafePointer<Float>, labels: UnsafePointer<UInt8>, batch: Int, classes: Int,
                               probabilities: UnsafeMutablePointer<Float>) -> (loss: Double, correct: Int) {
        let logSumExp = softmax(logits, batch: batch, classes: classes, probabilities: probabilities)
        var total = 0.0
        var correct = 0
        for b in 0..<batch {
            let z = logits + b * classes
            let label = Int(labels[b])
            precondition(label < classes, "label \(label) outside the \(classes) classes")
            total += logSumExp[b] - Double(z[label])
            if argmax(z, count: classes) == label { correct += 1 }
        }
        return (total / Double(batch), correct)
    }

    /// dLogits = (softmax − onehot(label)) / B, where B is `meanOver` (the whole batch's size when
    /// these rows are one part of it; default: these rows).
    public static func backward(probabilities: UnsafePointer<Float>, labels: UnsafePointer<UInt8>, batch: Int, classes: Int,
                                meanOver: Int? = nil, dLogits: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(meanOver ?? batch)
        for b in 0..<batch {
            let p = probabilities + b * classes, d = dLogits + b * classes
            for k in 0..<classes { d[k] = p[k] * scale }
            d[Int(labels[b])] -= scale
        }
    }

    /// Index of the first maximum of `count` values.
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for k in 1..<count where x[k] > x[best] { best = k }
        return best
    }
}
