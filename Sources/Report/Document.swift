import Datasets
import Foundation

/// A self-contained HTML document built from sections: headings, paragraphs, tables, and images
/// embedded as data URLs (no external files or URLs).
public struct ReportDocument: Sendable {
    public enum Block: Sendable {
        case heading(String, id: String)
        case paragraph(String)
        /// Raw HTML, for small pieces the builder doesn't cover (links, lists).
        case html(String)
        case table(header: [String], rows: [[String]], caption: String?)
        case image(png: [UInt8], alt: String, caption: String?)
        case note(String)
    }

    public var title: String
    public var subtitle: String
    public private(set) var blocks: [Block] = []

    public init(title: String, subtitle: String = "") {
        self.title = title
        self.subtitle = subtitle
    }

    public mutating func heading(_ text: String) {
        let id = text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce("") { $0 + String($1) }
        blocks.append(.heading(text, id: id))
    }

    public mutating func paragraph(_ text: String) { blocks.append(.paragraph(text)) }
    public mutating func html(_ raw: String) { blocks.append(.html(raw)) }
    public mutating func note(_ text: String) { blocks.append(.note(text)) }
    public mutating func table(header: [String], rows: [[String]], caption: String? = nil) {
        blocks.append(.table(header: header, rows: rows, caption: caption))
    }
    public mutating func image(png: [UInt8], alt: String, caption: String? = nil) {
        blocks.append(.image(png: png, alt: alt, caption: caption))
    }

    /// The complete page.
    public func html() -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title))</title>
        <style>\(Self.style)</style></head><body>
        <header><h1>\(HTML.escape(title))</h1><p>\(HTML.escape(subtitle))</p></header>
        <nav>
        """
        for case .heading(let text, let id) in blocks { out += "<a href=\"#\(id)\">\(HTML.escape(text))</a>" }
        out += "</nav><main>"
        for block in blocks {
            switch block {
            case .heading(let text, let id): out += "<h2 id=\"\(id)\">\(HTML.escape(text))</h2>\n"
            case .paragraph(let text): out += "<p>\(HTML.escape(text))</p>\n"
            case .html(let raw): out += raw + "\n"
            case .note(let text): out += "<p class=\"note\">\(HTML.escape(text))</p>\n"
            case .table(let header, let rows, let caption):
                out += "<table>"
                if let caption { out += "<caption>\(HTML.escape(caption))</caption>" }
                out += "<tr>" + header.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr>"
                for row in rows { out += "<tr>" + row.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>" }
                out += "</table>\n"
            case .image(let png, let alt, let caption):
                out += "<figure><img alt=\"\(HTML.escape(alt))\" src=\"data:image/png;base64,\(Data(png).base64EncodedString())\">"
                if let caption { out += "<figcaption>\(HTML.escape(caption))</figcaption>" }
                out += "</figure>\n"
            }
        }
        return out + "</main></body></html>\n"
    }

    /// Writes the page atomically.
    public func write(to path: String) throws {
        try OutputFile.write(html(), to: path)
    }

    static let style = """
    body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0;color:#222;line-height:1.45}
    header{padding:16px 32px;background:#f6f7f9;border-bottom:1px solid #ddd}h1{margin:0 0 4px;font-size:24px}
    header p{margin:0;color:#555}nav{padding:8px 32px;border-bottom:1px solid #eee;font-size:13px}
    nav a{margin-right:14px;color:#1f5fa8;text-decoration:none}main{padding:8px 32px 48px;max-width:1300px}
    h2{margin-top:36px;border-bottom:1px solid #eee;padding-bottom:4px}figure{margin:16px 0}
    img{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#555;font-size:13px;margin-top:4px}
    table{border-collapse:collapse;margin:12px 0;font-size:13px}caption{text-align:left;color:#555;padding:4px 0}
    td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f6f7f9}
    td:first-child,th:first-child{text-align:left}.note{color:#666;font-size:13px}
    """
}
