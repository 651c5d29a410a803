import Foundation

/// A dense, row-major matrix of `Float` with value semantics.
///
/// Element `(i, j)` lives at `storage[i * columns + j]`; copies share storage until one of them
/// is written (copy-on-write through `Array`). Shapes are fixed at creation; hot loops should use
/// `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer` rather than the subscript.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    @usableFromInline var elements: [Float]

    /// A `rows × columns` matrix filled with `value` (zeros by default).
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative")
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        precondition(!overflow, "Matrix shape \(rows)×\(columns) overflows")
        self.rows = rows
        self.columns = columns
        self.elements = Array(repeating: value, count: count)
    }

    /// A matrix over existing row-major storage; `storage.count` must equal `rows * columns`.
    public init(rows: Int, columns: Int, storage: [Float]) {
        precondition(rows >= 0 && columns >= 0 && storage.count == rows * columns,
                     "storage of \(storage.count) elements does not fit \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.elements = storage
    }

    /// A matrix from nested rows (for tests and small literals); all rows must have the same length.
    public init(_ rowArrays: [[Float]]) {
        let columns = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == columns }, "ragged rows")
        self.init(rows: rowArrays.count, columns: columns, storage: rowArrays.flatMap { $0 })
    }

    /// A matrix whose elements are produced by `body(i, j)`.
    public init(rows: Int, columns: Int, _ body: (Int, Int) throws -> Float) rethrows {
        var storage = [Float]()
        storage.reserveCapacity(rows * columns)
        for i in 0..<rows {
            for j in 0..<columns { storage.append(try body(i, j)) }
        }
        self.init(rows: rows, columns: columns, storage: storage)
    }

    /// The row-major elements.
    @inlinable public var storage: [Float] { elements }

    @inlinable public var count: Int { elements.count }
    @inlinable public var shape: (rows: Int, columns: Int) { (rows, columns) }

    @inlinable public subscript(row: Int, column: Int) -> Float {
        get { elements[row * columns + column] }
        set { elements[row * columns + column] = newValue }
    }

    /// Row `i` as a slice of the storage.
    @inlinable public func row(_ i: Int) -> ArraySlice<Float> {
        elements[(i * columns)..<((i + 1) * columns)]
    }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(rows: range.count, columns: columns,
               storage: Array(elements[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// The rows at `indices`, in that order (a gather).
    public func rows<C: Collection>(at indices: C) -> Matrix where C.Element == Int {
        var storage = [Float]()
        storage.reserveCapacity(indices.count * columns)
        for i in indices { storage.append(contentsOf: row(i)) }
        return Matrix(rows: indices.count, columns: columns, storage: storage)
    }

    /// The first `k` columns as a new matrix.
    public func leadingColumns(_ k: Int) -> Matrix {
        precondition(k >= 0 && k <= columns)
        return Matrix(rows: rows, columns: k) { i, j in self[i, j] }
    }

    /// The transpose, copied in cache-sized tiles.
    public func transposed() -> Matrix {
        var result = Matrix(rows: columns, columns: rows)
        let (r, c) = (rows, columns)
        withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                transpose(src.baseAddress!, rows: r, columns: c, into: dst.baseAddress!)
            }
        }
        return result
    }

    @inlinable public func withUnsafeBufferPointer<R>(
        _ body: (UnsafeBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try elements.withUnsafeBufferPointer(body)
    }

    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try elements.withUnsafeMutableBufferPointer(body)
    }

    /// Gives up the storage without copying (for handing results to arrays and files).
    public consuming func intoStorage() -> [Float] { elements }

    /// The mean of each column, accumulated in Double.
    public func columnMeans() -> [Double] {
        var sums = [Double](repeating: 0, count: columns)
        withUnsafeBufferPointer { x in
            for i in 0..<rows {
                let row = x.baseAddress! + i * columns
                for j in 0..<columns { sums[j] += Double(row[j]) }
            }
        }
        let n = Double(max(rows, 1))
        return sums.map { $0 / n }
    }

    /// A copy with `means` (one per column) subtracted from every row, in Float: `x − mean`.
    /// One pass writing the copy, rows split among the threads (a 70,000 × 784 copy-then-subtract was
    /// half a second, most of a recall check's time).
    public func centred(by means: [Float]) -> Matrix {
        precondition(means.count == columns, "\(means.count) means for \(columns) columns")
        guard count > 0 else { return self }
        let d = columns
        let out = [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            elements.withUnsafeBufferPointer { x in
                means.withUnsafeBufferPointer { m in
                    let shared = UncheckedSendable((x.baseAddress!, m.baseAddress!, buffer.baseAddress!))
                    Threads.parallelFor(rows, minimumChunk: max(1, 65_536 / max(d, 1))) { part in
                        let (x, m, y) = shared.value
                        for i in part {
                            for j in 0..<d { y[i * d + j] = x[i * d + j] - m[j] }
                        }
                    }
                }
            }
            initialised = count
        }
        return Matrix(rows: rows, columns: columns, storage: out)
    }

    /// A copy with its own column means (`columnMeans()`, rounded to Float) subtracted.
    public func centred() -> Matrix { centred(by: columnMeans().map { Float($0) }) }
}

/// Copies a `rows × columns` row-major block into its transpose (`columns × rows`), in 32×32 tiles
/// so that both sides stay in cache.
package func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int,
                      into destination: UnsafeMutablePointer<Float>) {
    let tile = 32
    var i0 = 0
    while i0 < rows {
        let i1 = min(i0 + tile, rows)
        var j0 = 0
        while j0 < columns {
            let j1 = min(j0 + tile, columns)
            for i in i0..<i1 {
                for j in j0..<j1 { destination[j * rows + i] = source[i * columns + j] }
            }
            j0 = j1
        }
        i0 = i1
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = min(rows, 6)
        var lines = ["Matrix \(rows)×\(columns)"]
        for i in 0..<shown {
            let values = row(i).prefix(8).map { String(format: "%10.4g", Double($0)) }
            lines.append("  " + values.joined(separator: " ") + (columns > 8 ? " …" : ""))
        }
        if rows > shown { lines.append("  …") }
        return lines.joined(separator: "\n")
    }
}
