import Linalg

/// The largest absolute elementwise difference (0 for empty input; extra elements of the longer
/// array are ignored).
public func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// The largest absolute elementwise difference (0 for empty input; extra elements of the longer
/// array are ignored).
public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// The largest absolute elementwise difference of two matrices of the same shape.
public func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Float {
    precondition(a.rows == b.rows && a.columns == b.columns)
    return maxAbsDifference(a.storage, b.storage)
}
