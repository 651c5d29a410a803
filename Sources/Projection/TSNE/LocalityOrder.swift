import Foundation
import Linalg

// Why t-SNE renumbers its points before optimising: the attraction reads, for every row i of P, the
// positions of i's neighbours j, and at a million points those positions (16 MB, 8 MB as the Float
// copy) no longer fit the caches — in the data's own order (MNIST's, the deformed set's: classes
// interleaved) each read is a random access. Numbered along a Morton (Z-order) curve of the starting
// map — by default the input's first two principal components, where input neighbours are close
// because a projection never moves points apart — a point's neighbours mostly have nearby numbers, so
// their positions share cache lines and pages. The optimisation is the same (P and the starting map
// are relabelled together and the result is put back in the input's order); only the order in which
// sums are accumulated changes, so maps agree to rounding, not bit for bit, with an unrenumbered run.
// After early exaggeration the points are renumbered again, along the map it made: by then clusters
// have formed, and neighbours in the map are what the FFT's spreading and interpolation visit together.
//
// Measured (1M × 50 deformed-MNIST PCA-50, 2 threads, AMD EPYC Zen 4, EMBEDVIZ_PROFILE=1; separate runs
// on a quiet machine, so ±10%): the 500 iterations after early exaggeration took 314 s in the input's
// order (a report run, 1M × 100, other builds beside it for part of the time), 253 s numbered along
// the start, 193 s renumbered again after early exaggeration (attraction 203 → 170 s and spreading
// + interpolation 128 → 89 s over all 750 iterations, between the last two). Each renumbering of 1M
// points and 134M entries of P costs about 0.25 s.

/// A numbering of points that keeps points that are close in a map close in number.
public enum LocalityOrder {
    /// The indices of `y`'s points sorted by the Morton code of their first (up to) three
    /// coordinates, each quantised over its range (ties by index): `order[r]` is the point numbered r.
    public static func morton(_ y: Embedding) -> [Int32] {
        let (n, d) = (y.count, min(y.dimensions, 3))
        guard n > 1, d >= 1 else { return (0..<Int32(n)).map { $0 } }
        let bits = 63 / d
        let cells = Double(UInt64(1) << UInt64(bits) - 1)
        var low = [Double](repeating: .infinity, count: d), high = [Double](repeating: -.infinity, count: d)
        for i in 0..<n {
            for k in 0..<d {
                low[k] = min(low[k], y.coordinates[i * y.dimensions + k])
                high[k] = max(high[k], y.coordinates[i * y.dimensions + k])
            }
        }
        var keyed = [(code: UInt64, index: Int32)](repeating: (0, 0), count: n)
        keyed.withUnsafeMutableBufferPointer { out in
            let target = UncheckedSendable(out.baseAddress!)
            y.coordinates.withUnsafeBufferPointer { c in
                let source = UncheckedSendable(c.baseAddress!)
                Threads.parallelFor(n, minimumChunk: 1 << 14) { points in
                    for i in points {
                        var code: UInt64 = 0
                        for k in 0..<d {
                            let span = high[k] - low[k]
                            let q = span > 0 ? UInt64(((source.value[i * y.dimensions + k] - low[k]) / span * cells).rounded(.down)) : 0
                            code |= spread(q, bits: bits, stride: d) << UInt64(k)
                        }
                        target.value[i] = (code, Int32(i))
                    }
                }
            }
        }
        keyed.sort { $0.code != $1.code ? $0.code < $1.code : $0.index < $1.index }
        return keyed.map(\.index)
    }

    /// The low `bits` bits of `q` placed `stride` apart (bit b at position b·stride).
    static func spread(_ q: UInt64, bits: Int, stride: Int) -> UInt64 {
        var out: UInt64 = 0
        for b in 0..<bits where q & (1 << UInt64(b)) != 0 { out |= 1 << UInt64(b * stride) }
        return out
    }

    /// The rows of `values` (`dimensions` numbers each) in `order`: row r of the result is row `order[r]`.
    public static func gather(_ values: [Double], _ order: [Int32], dimensions d: Int) -> [Double] {
        var out = values
        for (r, i) in order.enumerated() { for k in 0..<d { out[r * d + k] = values[Int(i) * d + k] } }
        return out
    }

    /// `order`'s inverse: `inverse[order[r]] = r`.
    public static func inverse(_ order: [Int32]) -> [Int32] {
        var inverse = [Int32](repeating: 0, count: order.count)
        for (r, i) in order.enumerated() { inverse[Int(i)] = Int32(r) }
        return inverse
    }
}

extension Embedding {
    /// The points in `order` (point r of the result is point `order[r]` of this map).
    public func renumbered(_ order: [Int32]) -> Embedding {
        Embedding(count: count, dimensions: dimensions, coordinates: LocalityOrder.gather(coordinates, order, dimensions: dimensions))
    }

    /// The inverse of `renumbered(order)`: back in the original numbering.
    public func restored(_ order: [Int32]) -> Embedding {
        var out = [Double](repeating: 0, count: coordinates.count)
        for (r, i) in order.enumerated() {
            for k in 0..<dimensions { out[Int(i) * dimensions + k] = coordinates[r * dimensions + k] }
        }
        return Embedding(count: count, dimensions: dimensions, coordinates: out)
    }
}

extension SparseAffinities {
    /// P with its points relabelled: row r of the result is row `order[r]`, with every column j
    /// renamed to its new number and each row's entries in ascending (new) column order.
    public func renumbered(_ order: [Int32]) -> SparseAffinities {
        precondition(order.count == count, "an order of \(order.count) points for P of \(count)")
        let inverse = LocalityOrder.inverse(order)
        var start = [Int](repeating: 0, count: count + 1)
        for r in 0..<count {
            let i = Int(order[r])
            start[r + 1] = start[r] + rowStart[i + 1] - rowStart[i]
        }
        var newColumns = [Int32](repeating: 0, count: nonZeros), newValues = [Float](repeating: 0, count: nonZeros)
        newColumns.withUnsafeMutableBufferPointer { outColumns in
            newValues.withUnsafeMutableBufferPointer { outValues in
                let out = UncheckedSendable((outColumns.baseAddress!, outValues.baseAddress!))
                withRows { p in
                    Threads.parallelFor(count, minimumChunk: 4096) { rows in
                        let (c, v) = out.value
                        var entries: [(column: Int32, value: Float)] = []
                        for r in rows {
                            let i = Int(order[r])
                            entries.removeAll(keepingCapacity: true)
                            for e in p.start[i]..<p.start[i + 1] { entries.append((inverse[Int(p.columns[e])], p.values[e])) }
                            _ = Self.writeSortedRow(&entries, columns: c + start[r], values: v + start[r])
                        }
                    }
                }
            }
        }
        return SparseAffinities(count: count, rowStart: start, columns: newColumns, values: newValues, neighbours: neighbours)
    }
}
