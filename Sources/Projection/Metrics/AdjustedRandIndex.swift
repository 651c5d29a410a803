import Foundation

/// Agreement of two partitions of the same points, corrected for chance (Hubert & Arabie 1985,
/// "Comparing partitions", Journal of Classification 2): 1 for identical partitions (up to
/// renaming the labels), about 0 for independent ones, negative when worse than chance.
public enum AdjustedRandIndex {
    /// The adjusted Rand index of two labellings; labels are arbitrary integers (DBSCAN's noise
    /// label −1 is one more cluster, as in scikit-learn).
    ///
    /// Computed from the pair-confusion counts as scikit-learn's `adjusted_rand_score` does:
    /// ARI = 2(TP·TN − FN·FP) / ((TP + FN)(FN + TN) + (TP + FP)(FP + TN)), and 1 when FN = FP = 0
    /// (e.g. both labellings put every point in one cluster, or fewer than two points).
    public static func score(_ a: [Int], _ b: [Int]) -> Double {
        precondition(a.count == b.count, "labellings of \(a.count) and \(b.count) points")
        let n = a.count
        var contingency: [SIMD2<Int>: Int] = [:]
        var rowSums: [Int: Int] = [:], columnSums: [Int: Int] = [:]
        for (x, y) in zip(a, b) {
            contingency[SIMD2(x, y), default: 0] += 1
            rowSums[x, default: 0] += 1
            columnSums[y, default: 0] += 1
        }
        // Ordered pairs (i ≠ j), as scikit-learn's pair_confusion_matrix counts them.
        let sumSquares = contingency.values.reduce(0) { $0 + $1 * $1 }
        let sameBoth = sumSquares - n
        let sameInA = rowSums.values.reduce(0) { $0 + $1 * $1 } - sumSquares
        let sameInB = columnSums.values.reduce(0) { $0 + $1 * $1 } - sumSquares
        let differentBoth = n * n - sameInA - sameInB - sumSquares
        let (tp, fn, fp, tn) = (Double(sameBoth), Double(sameInA), Double(sameInB), Double(differentBoth))
        if fn == 0 && fp == 0 { return 1 }
        return 2 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))
    }
}
