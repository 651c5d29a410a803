import Foundation
import Linalg

/// A metadata table as users write it: TSV or CSV with a header row, any columns, values kept as
/// text (labels may be words). One row per embedding, in order.
///
/// Separator: tab for `.tsv`/`.tab`, comma for `.csv`, otherwise a tab if the header has one,
/// else a comma. CSV fields may be double-quoted (RFC 4180: `""` inside quotes is a quote; quoted
/// fields may hold separators, not line breaks).
public struct MetadataTable: Sendable, Equatable {
    /// Column names, in file order.
    public var columns: [String]
    /// values[c][r]: column c, row r.
    public var values: [[String]]

    public var rowCount: Int { values.first?.count ?? 0 }

    public init(columns: [String], values: [[String]]) {
        precondition(columns.count == values.count && Set(values.map(\.count)).count <= 1, "ragged metadata table")
        self.columns = columns
        self.values = values
    }

    /// The values of the column named `name` (exact match first, then case-insensitive).
    public func column(_ name: String) -> [String]? {
        let c = columns.firstIndex(of: name) ?? columns.firstIndex { $0.lowercased() == name.lowercased() }
        return c.map { values[$0] }
    }

    /// The rows at `rows`, in that order.
    public func subset(_ rows: [Int]) -> MetadataTable {
        MetadataTable(columns: columns, values: values.map { v in rows.map { v[$0] } })
    }

    /// Reads a TSV/CSV file (plain or gzip; `-` for stdin).
    /// - Throws: `EmbedVizError.input` for an empty file, a duplicate or empty column name, or a row
    ///   with another number of fields than the header, naming the line.
    public static func read(_ path: String) throws -> MetadataTable {
        let text = String(decoding: try InputFile.readAll(path), as: UTF8.self)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let headerLine = lines.first, !headerLine.isEmpty else { throw EmbedVizError.input("the metadata file is empty", at: path) }
        let lower = path.lowercased().replacingOccurrences(of: ".gz", with: "")
        let separator: Character = lower.hasSuffix(".tsv") || lower.hasSuffix(".tab") ? "\t"
            : lower.hasSuffix(".csv") ? "," : headerLine.contains("\t") ? "\t" : ","
        let header = try fields(headerLine, separator: separator, line: 1, path: path).map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        for name in header {
            guard !name.isEmpty else { throw EmbedVizError.input("the metadata header has an empty column name", at: path) }
            guard seen.insert(name).inserted else { throw EmbedVizError.input("the metadata header names column '\(name)' twice", at: path) }
        }
        var values = [[String]](repeating: [], count: header.count)
        for (n, line) in lines.dropFirst().enumerated() {
            let lineNumber = n + 2
            if line.isEmpty && header.count > 1 {
                throw EmbedVizError.input("line \(lineNumber) is empty; every embedding needs a metadata row", at: path)
            }
            let row = try fields(line, separator: separator, line: lineNumber, path: path)
            guard row.count == header.count else {
                throw EmbedVizError.input("line \(lineNumber) has \(row.count) fields, the header has \(header.count)", at: path)
            }
            for c in row.indices { values[c].append(row[c]) }
        }
        return MetadataTable(columns: header, values: values)
    }

    /// The fields of one line; double quotes group (CSV only).
    static func fields(_ line: String, separator: Character, line number: Int, path: String) throws -> [String] {
        guard separator == ",", line.contains("\"") else {
            return line.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        }
        var out: [String] = [], field = "", quoted = false, wasQuoted = false
        var chars = Array(line)[...]
        while let ch = chars.popFirst() {
            if quoted {
                if ch == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.append(ch)
                }
            } else if ch == "\"" && field.isEmpty && !wasQuoted {
                quoted = true
                wasQuoted = true
            } else if ch == separator {
                out.append(field)
                (field, wasQuoted) = ("", false)
            } else {
                field.append(ch)
            }
        }
        guard !quoted else { throw EmbedVizError.input("line \(number) has an unclosed double quote", at: path) }
        out.append(field)
        return out
    }
}

/// Labels as text, turned into classes: class names in a stable order (numerically when every
/// label is an integer, else lexicographically) and each row's class index.
public struct LabelClasses: Sendable, Equatable {
    public var names: [String]
    /// Per row, an index into `names`.
    public var classes: [Int]

    public init(labels: [String]) {
        let distinct = Set(labels)
        let integers = distinct.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        names = integers.count == distinct.count
            ? distinct.sorted { Int($0.trimmingCharacters(in: .whitespaces))! < Int($1.trimmingCharacters(in: .whitespaces))! }
            : distinct.sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        classes = labels.map { index[$0]! }
    }

    /// Classes for labels of another set (e.g. the reference's), in these names; labels not among
    /// them get new classes after the known ones.
    public func classes(of labels: [String]) -> (classes: [Int], names: [String]) {
        var names = self.names
        var index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let classes = labels.map { label -> Int in
            if let c = index[label] { return c }
            names.append(label)
            index[label] = names.count - 1
            return names.count - 1
        }
        return (classes, names)
    }
}

/// Truth values as users write them in an outlier column: 1/0, true/false, yes/no (any case); an
/// empty field is false.
public enum TruthValue {
    /// - Throws: `EmbedVizError.input` naming the row of the first value that is none of these.
    public static func parse(_ values: [String], column: String) throws(EmbedVizError) -> [Bool] {
        var out: [Bool] = []
        out.reserveCapacity(values.count)
        for (r, v) in values.enumerated() {
            switch v.trimmingCharacters(in: .whitespaces).lowercased() {
            case "1", "true", "yes", "y", "t": out.append(true)
            case "0", "false", "no", "n", "f", "": out.append(false)
            default:
                throw EmbedVizError.input("row \(r + 1) of column '\(column)': '\(v)' is not a truth value (1/0, true/false, yes/no)")
            }
        }
        return out
    }
}
