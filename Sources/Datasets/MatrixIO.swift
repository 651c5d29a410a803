import Foundation
import Linalg

/// File formats for float matrices on the command line.
public enum ArrayFormat: String, Sendable, CaseIterable {
    /// NumPy `.npy` (any numeric dtype on read; float32 C-order on write).
    case npy
    /// Comma-separated text, one row per line.
    case csv
    /// Tab-separated text, one row per line.
    case tsv
    /// Raw little-endian float32, row-major; the shape comes from `ReadOptions` (`rows`, `columns`).
    case f32

    /// The format a file name implies (`.gz` is looked through), or nil.
    public static func fromExtension(_ path: String) -> ArrayFormat? {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        switch (name as NSString).pathExtension {
        case "npy": return .npy
        case "csv": return .csv
        case "tsv", "tab": return .tsv
        case "f32", "bin", "raw": return .f32
        default: return nil
        }
    }

    var delimiter: UInt8 { self == .tsv ? UInt8(ascii: "\t") : UInt8(ascii: ",") }
}

/// Whether the first line of a CSV/TSV file is a header row.
public enum HeaderMode: String, Sendable, CaseIterable {
    /// A first line in which no field is a number is a header; otherwise it is data.
    case auto
    /// The first line is a header and is skipped.
    case yes
    /// Every line is data.
    case no
}

/// How to read a matrix file.
public struct ReadOptions: Sendable {
    /// The format; nil = by extension, then by content (NPY magic, else text with a sniffed delimiter).
    public var format: ArrayFormat?
    /// Rows and columns for raw float32 input (`rows` may be nil: follows from the size).
    public var rows: Int?
    public var columns: Int?
    public var header: HeaderMode
    /// Accept NaN and ±Inf; by default they are an error naming the row and column.
    public var allowNonFinite: Bool

    public init(format: ArrayFormat? = nil, rows: Int? = nil, columns: Int? = nil,
                header: HeaderMode = .auto, allowNonFinite: Bool = false) {
        self.format = format
        self.rows = rows
        self.columns = columns
        self.header = header
        self.allowNonFinite = allowNonFinite
    }
}

/// Reads a float matrix from NPY, CSV/TSV or raw float32, from a file (plain or gzip) or standard
/// input, in chunks of rows: `next(maxRows:)` keeps memory bounded however long the input is.
public final class MatrixReader {
    public let format: ArrayFormat
    /// Columns per row.
    public let columns: Int
    /// The number of rows, when the format says so up front (NPY, raw float32 files); nil for text and streams.
    public let rows: Int?
    /// Rows handed out so far.
    public private(set) var rowsRead = 0
    public var displayName: String { file.displayName }

    private let file: InputFile
    private let options: ReadOptions
    private var decoder: Decoder
    /// Reused bytes for dtypes that need converting.
    private var scratch: [UInt8] = []
    /// Whether the header's row count was checked against the size of a plain file.
    private var sizeVerified = false

    private enum Decoder {
        case binary(dtype: NPY.DType)
        case fortran(NPY.Header)  // read whole, then transposed
        case text(TextRows)
    }

    public convenience init(path: String, options: ReadOptions = ReadOptions()) throws {
        try self.init(file: try InputFile(path: path), formatHint: ArrayFormat.fromExtension(path), options: options)
    }

    /// Reads from bytes in memory (`name` is used in messages).
    public convenience init(bytes: [UInt8], name: String, options: ReadOptions = ReadOptions()) throws {
        try self.init(file: InputFile(bytes: bytes, name: name), formatHint: ArrayFormat.fromExtension(name), options: options)
    }

    private init(file: InputFile, formatHint: ArrayFormat?, options: ReadOptions) throws {
        self.file = file
        self.options = options
        let name = file.displayName
        let format = try options.format ?? formatHint ?? Self.sniff(file)
        self.format = format
        switch format {
        case .npy:
            let header = try NPY.readHeader(from: file, at: name)
            let shape = header.matrixShape
            if header.fortranOrder && header.shape.count > 2 {
                throw EmbedVizError.input(
                    "Fortran-ordered arrays with more than 2 dimensions are not supported; save np.ascontiguousarray(x)", at: name)
            }
            rows = shape.rows
            columns = shape.columns
            decoder = header.fortranOrder && header.shape.count == 2 ? .fortran(header) : .binary(dtype: header.dtype)
            if let size = file.plainFileSize {
                sizeVerified = true
                let expected = header.dataOffset + header.count * header.dtype.size
                if size != expected {
                    let shapeText = "(" + header.shape.map(String.init).joined(separator: ", ") + ")"
                    throw EmbedVizError.input(
                        "the header says shape \(shapeText) of \(header.dtype) (\(expected - header.dataOffset) bytes of data), the file holds \(size - header.dataOffset)",
                        at: name)
                }
            }
        case .f32:
            guard let d = options.columns, d > 0 else {
                throw EmbedVizError.input("raw float32 input needs its shape: \(Self.shape)", at: name)
            }
            columns = d
            if let size = file.plainFileSize {
                guard size % (4 * d) == 0 else {
                    throw EmbedVizError.input("file size \(size) bytes is not a multiple of a row (4·\(d) = \(4 * d) bytes); check \(parameter: "columns", of: "ReadOptions")", at: name)
                }
                if let n = options.rows, n != size / (4 * d) {
                    throw EmbedVizError.input("\(n) rows were given (\(parameter: "rows", of: "ReadOptions")), the file holds \(size / (4 * d)) rows of \(d)",
                                              at: name)
                }
                rows = size / (4 * d)
                sizeVerified = true
            } else {
                rows = options.rows
            }
            decoder = .binary(dtype: .float32)
        case .csv, .tsv:
            let text = try TextRows(file: file, delimiter: format.delimiter, header: options.header,
                                    allowNonFinite: options.allowNonFinite)
            columns = text.columns
            rows = nil
            decoder = .text(text)
        }
    }

    /// Reads up to `maxRows` rows; nil when the input is exhausted.
    public func next(maxRows: Int) throws -> Matrix? {
        precondition(maxRows > 0)
        let result: Matrix?
        switch decoder {
        case .binary(let dtype):
            result = try nextBinary(maxRows: maxRows, dtype: dtype)
        case .fortran(let header):
            guard rowsRead == 0, let n = rows else { return nil }
            let count = header.count
            let expected = count * header.dtype.size
            var bytes = [UInt8]()
            while bytes.count < expected {  // bounded chunks: a lying header allocates nothing extra
                let chunk = try file.read(count: min(expected - bytes.count, 16 << 20))
                if chunk.isEmpty { break }
                bytes += chunk
            }
            guard bytes.count == expected else { throw truncated(got: bytes.count / header.dtype.size / max(columns, 1)) }
            var columnMajor = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                columnMajor.withUnsafeMutableBufferPointer { header.dtype.convert(raw.baseAddress!, count: count, into: $0.baseAddress!) }
            }
            var m = Matrix(rows: n, columns: columns)
            m.withUnsafeMutableBufferPointer { out in
                columnMajor.withUnsafeBufferPointer { transpose($0.baseAddress!, rows: columns, columns: n, into: out.baseAddress!) }
            }
            try checkFinite(m, firstRow: 0)
            result = n > 0 ? m : nil
        case .text(let text):
            result = try text.next(maxRows: maxRows)
        }
        if let result { rowsRead += result.rows }
        return result
    }

    /// Reads all remaining rows into one matrix. When the row count is vouched for by the file's
    /// size (a plain file), the rows are read in one piece; otherwise (streams, gzip, memory) in
    /// chunks of at most 16 MB, so a header that lies about the shape cannot make us allocate what
    /// isn't there.
    public func readAll() throws -> Matrix {
        if let rows, sizeVerified {
            return try next(maxRows: max(1, rows - rowsRead)) ?? Matrix(rows: 0, columns: columns)
        }
        let chunkRows = max(1, (16 << 20) / max(4 * columns, 1))
        var storage: [Float] = []
        var n = 0
        while let chunk = try next(maxRows: chunkRows) {
            storage.append(contentsOf: chunk.storage)
            n += chunk.rows
        }
        return Matrix(rows: n, columns: columns, storage: storage)
    }

    /// Reads a whole matrix file.
    public static func read(_ path: String, options: ReadOptions = ReadOptions()) throws -> Matrix {
        try MatrixReader(path: path, options: options).readAll()
    }

    private func nextBinary(maxRows: Int, dtype: NPY.DType) throws -> Matrix? {
        var want = maxRows
        if let rows { want = min(want, rows - rowsRead) }
        guard want > 0, columns > 0 else { return nil }
        let rowBytes = columns * dtype.size
        var got = 0
        let values: [Float]
        if dtype == .float32 {
            // Little-endian float32: read straight into the matrix storage.
            values = try [Float](unsafeUninitializedCapacity: want * columns) { buffer, initialized in
                got = try file.read(into: UnsafeMutableRawBufferPointer(buffer))
                initialized = got / 4
            }
        } else {
            if scratch.count < want * rowBytes { scratch = [UInt8](repeating: 0, count: want * rowBytes) }
            got = try scratch.withUnsafeMutableBytes { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<(want * rowBytes)])) }
            let count = got / dtype.size
            values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                scratch.withUnsafeBytes { dtype.convert($0.baseAddress!, count: count, into: buffer.baseAddress!) }
                initialized = count
            }
        }
        if rows != nil && got < want * rowBytes {
            throw truncated(got: rowsRead + got / rowBytes)
        }
        if got % rowBytes != 0 {
            throw EmbedVizError.input("the input ends in the middle of row \(rowsRead + got / rowBytes) (rows are \(columns) values)",
                                      at: file.displayName)
        }
        let n = got / rowBytes
        guard n > 0 else { return nil }
        let m = Matrix(rows: n, columns: columns, storage: n * columns == values.count ? values : Array(values.prefix(n * columns)))
        try checkFinite(m, firstRow: rowsRead)
        return m
    }

    private func truncated(got: Int) -> EmbedVizError {
        EmbedVizError.input("truncated: the header promises \(rows ?? 0) rows of \(columns), the data ends after \(got)",
                            at: file.displayName)
    }

    private func checkFinite(_ m: Matrix, firstRow: Int) throws {
        guard !options.allowNonFinite else { return }
        try m.withUnsafeBufferPointer { p in
            for k in 0..<p.count where !p[k].isFinite {
                throw EmbedVizError.input(
                    "row \(firstRow + k / columns), column \(k % columns) (0-based) is \(p[k]); inputs must be finite numbers",
                    at: file.displayName)
            }
        }
    }

    /// Raw float32's shape: `ReadOptions.columns`, and `rows` unless they follow from the size.
    private static let shape = EmbedVizError.Reference(
        "ReadOptions(rows:columns:)", name: "`columns`, and `rows` unless they follow from the size")

    /// Guesses the format of an input without a telling extension: NPY by its magic, else text
    /// (tab-separated if the first line has a tab, else comma-separated).
    private static func sniff(_ file: InputFile) throws -> ArrayFormat {
        let head = try file.peek(count: 4096)
        if head.starts(with: NPY.magic) { return .npy }
        if head.isEmpty { throw EmbedVizError.input("the input is empty", at: file.displayName) }
        let firstLine = head.prefix { $0 != UInt8(ascii: "\n") }
        let printable = firstLine.allSatisfy { $0 == 9 || $0 == 13 || (32...126).contains($0) }
        guard printable else {
            throw EmbedVizError.input(
                "cannot tell the format: not NPY and not text; name it with \(parameter: "format", of: "ReadOptions") (npy, csv, tsv, f32 with \(parameter: "columns", of: "ReadOptions"))",
                at: file.displayName)
        }
        return firstLine.contains(9) ? .tsv : .csv
    }
}

/// Rows of numbers from delimited text, parsed a chunk at a time.
final class TextRows {
    private(set) var columns = 0
    private let file: InputFile
    private let delimiter: UInt8
    private let allowNonFinite: Bool
    private var buffer: [UInt8] = [0]  // always ends with a NUL sentinel for strtof
    private var position = 0
    private var atEnd = false
    private var lineNumber = 0
    /// The first data line, parsed while detecting the header and the column count.
    private var pending: [Float]?

    init(file: InputFile, delimiter: UInt8, header: HeaderMode, allowNonFinite: Bool) throws {
        self.file = file
        self.delimiter = delimiter
        self.allowNonFinite = allowNonFinite
        guard let first = try nextLine() else {
            throw EmbedVizError.input("the input has no rows", at: file.displayName)
        }
        var values: [Float]?
        switch header {
        case .yes: values = nil
        case .no: values = try parseFields(first)
        case .auto:
            let fields = splitFields(first)
            let numeric = fields.filter { parseNumber($0) != nil }.count
            values = numeric == 0 ? nil : try parseFields(first)
        }
        if values == nil {
            guard let second = try nextLine() else {
                throw EmbedVizError.input("the input has a header row but no data", at: file.displayName)
            }
            values = try parseFields(second)
        }
        pending = values
        columns = values!.count
    }

    func next(maxRows: Int) throws -> Matrix? {
        var storage = [Float]()
        storage.reserveCapacity(min(maxRows, 1 << 16) * columns)
        var n = 0
        if let first = pending {
            storage.append(contentsOf: first)
            pending = nil
            n = 1
        }
        while n < maxRows, let line = try nextLine() {
            let count = storage.count
            storage.append(contentsOf: repeatElement(0, count: columns))
            try storage.withUnsafeMutableBufferPointer { out in
                try parseFields(line, into: out.baseAddress! + count)
            }
            n += 1
        }
        return n == 0 ? nil : Matrix(rows: n, columns: columns, storage: storage)
    }

    /// The next non-blank, non-comment line as a byte range of `buffer` (without the newline).
    private func nextLine() throws -> Range<Int>? {
        while true {
            let end = buffer.count - 1  // exclude the sentinel
            if let newline = buffer[position..<end].firstIndex(of: UInt8(ascii: "\n")) {
                let line = position..<newline
                position = newline + 1
                lineNumber += 1
                if let content = trimmed(line), buffer[content.lowerBound] != UInt8(ascii: "#") { return content }
                continue
            }
            if atEnd {
                guard position < end else { return nil }
                let line = position..<end
                position = end
                lineNumber += 1
                if let content = trimmed(line), buffer[content.lowerBound] != UInt8(ascii: "#") { return content }
                return nil
            }
            // Refill: keep the partial line, append the next chunk, restore the sentinel.
            buffer.removeSubrange(0..<position)
            buffer.removeLast()
            position = 0
            let chunk = try file.read(count: 1 << 20)
            if chunk.isEmpty { atEnd = true }
            buffer.append(contentsOf: chunk)
            buffer.append(0)
        }
    }

    private func trimmed(_ range: Range<Int>) -> Range<Int>? {
        var (lo, hi) = (range.lowerBound, range.upperBound)
        while lo < hi, buffer[lo] == 32 || buffer[lo] == 13 || (buffer[lo] == 9 && delimiter != 9) { lo += 1 }
        while hi > lo, buffer[hi - 1] == 32 || buffer[hi - 1] == 13 || (buffer[hi - 1] == 9 && delimiter != 9) { hi -= 1 }
        return lo < hi ? lo..<hi : nil
    }

    private func splitFields(_ line: Range<Int>) -> [Range<Int>] {
        var fields: [Range<Int>] = []
        var start = line.lowerBound
        for k in line where buffer[k] == delimiter {
            fields.append(start..<k)
            start = k + 1
        }
        fields.append(start..<line.upperBound)
        return fields
    }

    /// The number in a field (spaces and one pair of quotes trimmed), or nil.
    private func parseNumber(_ field: Range<Int>) -> Float? {
        var (lo, hi) = (field.lowerBound, field.upperBound)
        while lo < hi, buffer[lo] == 32 || buffer[lo] == 13 { lo += 1 }
        while hi > lo, buffer[hi - 1] == 32 || buffer[hi - 1] == 13 { hi -= 1 }
        if hi - lo >= 2, buffer[lo] == buffer[hi - 1], buffer[lo] == 34 || buffer[lo] == 39 {
            lo += 1
            hi -= 1
        }
        guard lo < hi else { return nil }
        return buffer.withUnsafeBufferPointer { p -> Float? in
            if let value = DecimalFloat.parse(p.baseAddress! + lo, count: hi - lo) { return value }
            let start = UnsafeMutablePointer(mutating: p.baseAddress! + lo)
            let base = UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>?
            let value = strtof(base, &end)
            guard let end, UnsafeRawPointer(end) == UnsafeRawPointer(p.baseAddress! + hi) else { return nil }
            return value
        }
    }

    /// The fast path of a data line: exactly `count` fields, each a plain decimal that
    /// `DecimalFloat` converts (optionally padded with spaces; its values are always finite). Returns
    /// false, having written garbage into `out`, when any field needs the general path (quotes,
    /// `nan`, hex, many digits, …) or the line is wrong; the caller then parses it again fully,
    /// which also finds and names any error.
    private func parsePlainFields(_ line: Range<Int>, into out: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        buffer.withUnsafeBufferPointer { p -> Bool in
            let base = p.baseAddress!
            var start = line.lowerBound
            var c = 0
            while true {
                var end = start
                while end < line.upperBound, base[end] != delimiter { end += 1 }
                guard c < count else { return false }
                var (lo, hi) = (start, end)
                while lo < hi, base[lo] == 32 { lo += 1 }
                while hi > lo, base[hi - 1] == 32 { hi -= 1 }
                guard let value = DecimalFloat.parse(base + lo, count: hi - lo) else { return false }
                out[c] = value
                c += 1
                if end == line.upperBound { break }
                start = end + 1
            }
            return c == count
        }
    }

    private func parseFields(_ line: Range<Int>) throws -> [Float] {
        let count = splitFields(line).count
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { try parseFields(line, into: $0.baseAddress!, count: count) }
        return values
    }

    private func parseFields(_ line: Range<Int>, into out: UnsafeMutablePointer<Float>, count: Int? = nil) throws {
        if parsePlainFields(line, into: out, count: count ?? columns) { return }
        let fields = splitFields(line)
        let expected = count ?? columns
        guard fields.count == expected else {
            throw EmbedVizError.input("line \(lineNumber) has \(fields.count) fields, expected \(expected) like the first row (ragged rows)",
                                      at: file.displayName)
        }
        for (c, field) in fields.enumerated() {
            guard let value = parseNumber(field) else {
                let text = String(decoding: buffer[field], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                let shown = text.isEmpty ? "an empty field" : "'\(text.prefix(40))'"
                throw EmbedVizError.input("line \(lineNumber), column \(c + 1): \(shown) is not a number", at: file.displayName)
            }
            if !allowNonFinite && !value.isFinite {
                throw EmbedVizError.input("line \(lineNumber), column \(c + 1) is \(value); inputs must be finite numbers",
                                          at: file.displayName)
            }
            out[c] = value
        }
    }
}

/// Writes a float matrix as NPY (float32, C order), CSV/TSV or raw float32, to a file
/// (atomically: all or nothing) or standard output, in chunks of rows.
public final class MatrixWriter {
    public let format: ArrayFormat
    public let columns: Int
    private let file: OutputFile
    private let declaredRows: Int?
    private var rowsWritten = 0
    /// NPY header size reserved when the row count is only known at the end.
    private static let reservedHeader = 128

    /// - Parameters:
    ///   - format: nil = by extension, else NPY.
    ///   - rows: the total row count if known; NPY to a stream needs it up front.
    public init(path: String, format: ArrayFormat? = nil, columns: Int, rows: Int? = nil) throws {
        self.format = format ?? ArrayFormat.fromExtension(path) ?? .npy
        self.columns = columns
        self.declaredRows = rows
        if self.format == .npy && rows == nil && path == "-" {
            throw EmbedVizError.input("NPY output to a stream needs the row count up front; use \(parameter: "format", of: "MatrixWriter") f32, csv or tsv for streams",
                                      at: "<stdout>")
        }
        file = try OutputFile(path: path)
        if self.format == .npy {
            let header = rows.map { NPY.encodeHeader(shape: [$0, columns]) }
                ?? NPY.encodeHeader(shape: [0, columns], length: Self.reservedHeader)
            try file.write(header)
        }
    }

    public func write(_ m: Matrix) throws {
        precondition(m.columns == columns, "writer expects \(columns) columns, got \(m.columns)")
        switch format {
        case .npy, .f32:
            try m.withUnsafeBufferPointer { try file.write(UnsafeRawBufferPointer($0)) }
        case .csv, .tsv:
            let separator = format == .tsv ? "\t" : ","
            var text = ""
            text.reserveCapacity(m.rows * columns * 12)
            m.withUnsafeBufferPointer { p in
                for i in 0..<m.rows {
                    for j in 0..<columns {
                        if j > 0 { text += separator }
                        text += p[i * columns + j].description
                    }
                    text += "\n"
                }
            }
            try file.write(text)
        }
        rowsWritten += m.rows
    }

    /// Completes the output (fixes the NPY header if the row count was not known) and moves it into place.
    public func finish() throws {
        do {
            if let declaredRows, declaredRows != rowsWritten {
                throw EmbedVizError.input("wrote \(rowsWritten) rows, \(declaredRows) were announced", at: file.displayName)
            }
            if format == .npy && declaredRows == nil {
                try file.overwrite(NPY.encodeHeader(shape: [rowsWritten, columns], length: Self.reservedHeader), at: 0)
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }

    /// Drops a partial output.
    public func abandon() { file.abandon() }

    /// Writes a whole matrix (atomically).
    public static func write(_ m: Matrix, to path: String, format: ArrayFormat? = nil) throws {
        let writer = try MatrixWriter(path: path, format: format, columns: m.columns, rows: m.rows)
        do {
            try writer.write(m)
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
    }
}
