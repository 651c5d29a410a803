import Foundation
import Datasets
import Linalg

extension ExplorerColumn {
    /// Every column of a metadata table with a header row — TSV (tab-separated), or CSV (`.csv`,
    /// commas, double-quoted fields with `""` for a quote) — kept as the file has it.
    ///
    /// A column whose values all read as numbers is numeric (empty = missing), except integer
    /// columns with at most 256 distinct values, which are categories (class ids, 0/1 flags); any
    /// other column is text.
    public static func read(table path: String) throws -> [ExplorerColumn] {
        let text = String(decoding: try InputFile.readAll(path), as: UTF8.self)
        let comma = path.lowercased().hasSuffix(".csv") || path.lowercased().hasSuffix(".csv.gz")
        var rows: [[String]] = []
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            rows.append(comma ? csvFields(line) : line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init))
        }
        guard let header = rows.first, !header.isEmpty else { throw EmbedVizError.input("the table has no header row", at: path) }
        var values = [[String]](repeating: [], count: header.count)
        for (r, row) in rows.dropFirst().enumerated() {
            guard row.count == header.count else {
                throw EmbedVizError.input("row \(r + 1) has \(row.count) fields, the header \(header.count)", at: path)
            }
            for (c, field) in row.enumerated() { values[c].append(field) }
        }
        return zip(header, values).map { typed(name: $0, values: $1) }
    }

    /// The column typed by the rule above.
    static func typed(name: String, values: [String]) -> ExplorerColumn {
        var numbers = [Float](repeating: .nan, count: values.count)
        var integers = true
        var distinct = Set<Double>()
        for (i, s) in values.enumerated() where !s.isEmpty {
            guard let x = Double(s.trimmingCharacters(in: .whitespaces)) else { return ExplorerColumn(name: name, text: values) }
            numbers[i] = Float(x)
            if integers {
                if x.rounded() != x { integers = false } else if distinct.count <= 256 { distinct.insert(x) }
            }
        }
        if integers && distinct.count <= 256 && !values.isEmpty { return ExplorerColumn(name: name, text: values) }
        return ExplorerColumn(name: name, numbers: numbers)
    }

    /// The fields of one CSV line (RFC 4180 quoting; no newlines inside quotes).
    static func csvFields(_ line: Substring) -> [String] {
        var fields: [String] = [], field = "", quoted = false
        var characters = line.makeIterator()
        while let ch = characters.next() {
            if quoted {
                if ch == "\"" {
                    if let next = characters.next() {
                        if next == "\"" { field.append("\"") } else {
                            quoted = false
                            if next == "," { fields.append(field); field = "" } else { field.append(next) }
                        }
                    } else { quoted = false }
                } else { field.append(ch) }
            } else if ch == "\"" && field.isEmpty { quoted = true } else if ch == "," { fields.append(field); field = "" } else {
                field.append(ch)
            }
        }
        fields.append(field)
        return fields
    }
}
