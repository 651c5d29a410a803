import Foundation
import Linalg

/// Outlier scores from a classifier's logits (N×C), higher = more anomalous:
///
/// - maximum softmax probability (Hendrycks & Gimpel 2017, "A baseline for detecting misclassified
///   and out-of-distribution examples in neural networks", ICLR): score = −max_c softmax(f)_c;
/// - energy (Liu, Wang, Owens & Li 2020, "Energy-based out-of-distribution detection", NeurIPS):
///   E(x) = −T·log Σ_c exp(f_c / T) with T = 1 by default; score = E(x) (in-distribution inputs
///   get low energy).
///
/// Both in Double with the maximum subtracted first (log-sum-exp trick), so large logits neither
/// overflow nor lose the small terms.
public enum SoftmaxScore {
    /// −max softmax probability of every row of `logits`.
    /// - Throws: `EmbedVizError.input` for non-finite logits or fewer than 2 classes.
    public static func maximumSoftmax(_ logits: Matrix) throws(EmbedVizError) -> [Double] {
        try validate(logits)
        return rows(logits) { row in
            // max softmax = exp(f_max − logsumexp f) = 1 / Σ exp(f_c − f_max)
            -1 / sumOfExponentials(row, temperature: 1).sum
        }
    }

    /// The energy E(x) = −T·logsumexp(f/T) of every row of `logits` (temperature T > 0, default 1).
    /// - Throws: `EmbedVizError.input` for non-finite logits, fewer than 2 classes or T ≤ 0.
    public static func energy(_ logits: Matrix, temperature: Double = 1) throws(EmbedVizError) -> [Double] {
        try validate(logits)
        guard temperature > 0, temperature.isFinite else {
            throw EmbedVizError.input("the energy score's \(parameter: "temperature", of: "SoftmaxScore") must be positive, got \(temperature)")
        }
        return rows(logits) { row in
            let (sum, maximum) = sumOfExponentials(row, temperature: temperature)
            return -temperature * (maximum + log(sum))
        }
    }

    /// Σ_c exp(f_c/T − m) and m = max_c f_c/T.
    static func sumOfExponentials(_ row: ArraySlice<Float>, temperature: Double) -> (sum: Double, maximum: Double) {
        let maximum = Double(row.max()!) / temperature
        return (row.reduce(0.0) { $0 + exp(Double($1) / temperature - maximum) }, maximum)
    }

    static func rows(_ logits: Matrix, _ score: (ArraySlice<Float>) -> Double) -> [Double] {
        (0..<logits.rows).map { score(logits.row($0)) }
    }

    static func validate(_ logits: Matrix) throws(EmbedVizError) {
        guard logits.columns >= 2 else {
            throw EmbedVizError.input("\(parameter: "logits", of: "SoftmaxScore") need at least 2 classes (columns), got \(logits.columns)")
        }
        try logits.requireFinite("logits")
    }
}
