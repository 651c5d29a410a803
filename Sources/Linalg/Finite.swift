import Foundation

// The one check every library entry point that takes data runs before computing with it: NaN and
// ±∞ make comparisons false (a kNN selection then silently keeps index 0 at distance 0) and sums
// non-finite, and values so spread out that their squared distances overflow float32 turn into +∞
// distances that look like "no neighbour". Both are refused with the element's position.

extension Matrix {
    /// The first NaN or ±∞ element in row-major order, or nil when all are finite.
    ///
    /// Scans blocks with a branch-free test that vectorises (a float is NaN or ±∞ exactly when its
    /// exponent bits are all ones, and an integer maximum of the masked exponents is a reduction the
    /// compiler may reorder), and looks for the element itself only inside a block that fails: the
    /// check costs one pass at memory speed.
    public func firstNonFinite() -> (row: Int, column: Int, value: Float)? {
        let columns = self.columns
        let exponent: UInt32 = 0x7F80_0000
        return withUnsafeBufferPointer { p -> (row: Int, column: Int, value: Float)? in
            guard let base = p.baseAddress else { return nil }
            return base.withMemoryRebound(to: UInt32.self, capacity: p.count) { bits -> (row: Int, column: Int, value: Float)? in
                let block = 4096
                var start = 0
                while start < p.count {
                    let end = Swift.min(start + block, p.count)
                    var largest: UInt32 = 0
                    for k in start..<end { largest = Swift.max(largest, bits[k] & exponent) }
                    if largest == exponent {
                        for k in start..<end where (bits[k] & exponent) == exponent {
                            return (k / columns, k % columns, Float(bitPattern: bits[k]))
                        }
                    }
                    start = end
                }
                return nil
            }
        }
    }

    /// Throws `EmbedVizError.input("row 12, column 3 (0-based) is nan; …", at: name)` for the first
    /// non-finite element (the wording of `MatrixReader`'s check of input files).
    public func requireFinite(_ name: String) throws(EmbedVizError) {
        guard let bad = firstNonFinite() else { return }
        throw EmbedVizError.input("row \(bad.row), column \(bad.column) (0-based) is \(bad.value); the values must be finite numbers",
                                  at: name)
    }

    /// The sum over columns of the squared range (max − min) of the rows of all `matrices` (same
    /// column count): an upper bound of every squared distance between their rows, in Double.
    public static func squaredSpread(_ matrices: [Matrix]) -> Double {
        guard let d = matrices.first?.columns, d > 0 else { return 0 }
        var low = [Float](repeating: .infinity, count: d), high = [Float](repeating: -.infinity, count: d)
        for m in matrices {
            precondition(m.columns == d, "squaredSpread of matrices with \(d) and \(m.columns) columns")
            m.withUnsafeBufferPointer { p in
                low.withUnsafeMutableBufferPointer { low in
                    high.withUnsafeMutableBufferPointer { high in
                        for i in 0..<m.rows {
                            let row = p.baseAddress! + i * d
                            for j in 0..<d {
                                low[j] = Swift.min(low[j], row[j])
                                high[j] = Swift.max(high[j], row[j])
                            }
                        }
                    }
                }
            }
        }
        var total = 0.0
        for j in 0..<d where high[j] >= low[j] {
            let range = Double(high[j]) - Double(low[j])
            total += range * range
        }
        return total
    }

    /// The largest squared spread `requireDistanceSafe` accepts: a quarter of `Float.greatestFiniteMagnitude`,
    /// so that squared distances, squared norms of centred rows and the BLAS identity's −2a·b stay finite.
    public static let maximumSquaredSpread = Double(Float.greatestFiniteMagnitude) / 4

    /// Checks that every element of every matrix is finite (naming the first bad one, located at its
    /// matrix's name) and that squared Euclidean distances between any of their rows fit in float32:
    /// the sum of squared column ranges (over all the matrices together) is at most
    /// `maximumSquaredSpread` (≈ 8.5e37; e.g. values within ±1e18 in up to 20 columns).
    public static func requireDistanceSafe(_ matrices: [(matrix: Matrix, name: String)]) throws(EmbedVizError) {
        for (m, name) in matrices { try m.requireFinite(name) }
        let spread = squaredSpread(matrices.map(\.matrix))
        guard spread <= maximumSquaredSpread else {
            let names = matrices.map(\.name).joined(separator: ", ")
            throw EmbedVizError.input(
                String(format: "the values are too spread out for float32 distances: squared distances up to %.3g would overflow (the limit is %.3g); rescale the data",
                       spread, maximumSquaredSpread), at: names)
        }
    }

    /// `requireDistanceSafe` for one matrix.
    public func requireDistanceSafe(_ name: String) throws(EmbedVizError) {
        try Matrix.requireDistanceSafe([(self, name)])
    }
}

/// Overflow-checked size arithmetic for memory checks: the product of `factors`, or `Int.max` when
/// it overflows (or a factor is negative), so that `MemoryBudget.check` refuses it.
package func checkedProduct(_ factors: Int...) -> Int {
    var result = 1
    for f in factors {
        guard f >= 0 else { return .max }
        let (product, overflow) = result.multipliedReportingOverflow(by: f)
        if overflow { return .max }
        result = product
    }
    return result
}

/// Overflow-checked sum of sizes, saturating at `Int.max`.
package func checkedSum(_ terms: Int...) -> Int {
    var result = 0
    for t in terms {
        let (sum, overflow) = result.addingReportingOverflow(t)
        if overflow || t < 0 { return .max }
        result = sum
    }
    return result
}
