import Datasets
import Foundation
import Linalg

/// Images for the explorer's hover and selection views: a PNG sprite sheet of equal square tiles,
/// row-major from the top-left, tile `i` holding the image of *row* `i` of the map and its metadata
/// (one image per row, in row order — the order `embedviz embed` writes images-idx3-ubyte in, also
/// with `--sample`, and the rule `export projector` follows). The metadata's `index` column (the
/// sample's index in its split) is shown as a label only; it does not pick the tile.
public struct SpriteSheet: Sendable {
    public var png: [UInt8]
    public var tile: Int
    public var columns: Int

    public init(png: [UInt8], tile: Int, columns: Int) {
        self.png = png
        self.tile = tile
        self.columns = columns
    }
}

/// An interactive map of an embedding, drawn with WebGL2 (one draw call per frame), with no
/// server, no external URLs and no libraries: it opens from `file://`.
///
/// Up to `singleFileLimit` points it is one self-contained HTML file (coordinates and metadata as
/// base64 binary arrays, images as PNG tile sheets inline). Beyond that `write(to:)` writes a
/// folder — `index.html`, `data/*.js` (binary chunks in `<script>` files, which Chromium loads
/// from `file://` where `fetch` is refused) and `tiles/*.png` (1024 images a sheet, loaded when a
/// point is hovered) — plus a small page at the requested path that opens it.
public struct Explorer: Sendable {
    public var data: ExplorerData
    public var title: String
    public var subtitle: String
    /// A ready-made sprite (the legacy input) used when `data.images` is nil.
    public var sprite: SpriteSheet?

    /// Points up to which `write(to:)` writes one HTML file (about 2.7 bytes of HTML per coordinate
    /// plus the metadata and ~0.3 KB per 28×28 image); above it, a folder.
    public static let singleFileLimit = 200_000

    public init(_ data: ExplorerData, title: String, subtitle: String = "") {
        self.data = data
        self.title = title
        self.subtitle = subtitle
    }

    /// The tutorial's map: targets, predictions, confidences and the injected-noise flag of
    /// `metadata`, class names for the labels, coloured by `colorLabels` (the prediction by default).
    public init(points: Matrix, metadata: EmbeddingMetadata, classNames: [String], colors: [String],
                sprite: SpriteSheet?, title: String, subtitle: String = "", colorLabels: [Int]? = nil) {
        precondition(points.rows == metadata.count, "\(points.rows) points, \(metadata.count) metadata rows")
        precondition(points.columns == 2 || points.columns == 3, "the explorer draws 2- or 3-D maps")
        func name(_ c: Int) -> String { classNames.indices.contains(c) ? classNames[c] : String(c) }
        let palette = Dictionary(classNames.indices.filter { colors.indices.contains($0) }.map { (classNames[$0], colors[$0]) },
                                 uniquingKeysWith: { a, _ in a })
        var columns = [
            ExplorerColumn(name: "index", numbers: metadata.index.map(Float.init)),
            ExplorerColumn(name: "target", text: metadata.target.map(name), colors: palette),
            ExplorerColumn(name: "prediction", text: metadata.prediction.map(name), colors: palette),
            ExplorerColumn(name: "confidence", numbers: metadata.confidence),
        ]
        var colorColumn = "prediction"
        if let colorLabels, colorLabels != metadata.prediction {
            if colorLabels == metadata.target { colorColumn = "target" } else {
                columns.append(ExplorerColumn(name: "class", text: colorLabels.map(name), colors: palette))
                colorColumn = "class"
            }
        }
        var highlight: String?
        if metadata.isNoise.contains(true) {
            columns.append(ExplorerColumn(name: "injected noise", text: metadata.isNoise.map { $0 ? "yes" : "no" }))
            highlight = "injected noise"
        }
        self.init(ExplorerData(projections: [ExplorerProjection(name: "map", points: points)], columns: columns,
                               colorColumn: colorColumn, highlightColumn: highlight),
                  title: title, subtitle: subtitle)
        self.sprite = sprite
    }

    public var count: Int { data.count }

    /// Where `write(to:)` put the explorer.
    public enum Layout: Sendable, Equatable {
        case file(String)
        /// The folder's `index.html`, and the page at the requested path that opens it.
        case folder(index: String, opener: String)
    }

    /// Writes one HTML file at `path` up to `singleFileLimit` points; beyond, the folder
    /// `path` without its `.html` (e.g. `map/` for `map.html`) and at `path` a page that opens it.
    @discardableResult
    public func write(to path: String) throws -> Layout {
        if count <= Self.singleFileLimit || path == "-" {
            try writeFile(to: path)
            return .file(path)
        }
        let folder = path.hasSuffix(".html") ? String(path.dropLast(5)) : path + ".explorer"
        try writeFolder(to: folder)
        let relative = (folder as NSString).lastPathComponent + "/index.html"
        try OutputFile.write("""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title))</title>
            <meta http-equiv="refresh" content="0; url=\(HTML.escape(relative))"></head>
            <body><p>\(count) points: the explorer is the folder <a href="\(HTML.escape(relative))">\(HTML.escape(relative))</a>.</p></body></html>
            """, to: path)
        return .folder(index: folder + "/index.html", opener: path)
    }

    /// Writes one self-contained HTML file (any size; `write(to:)` chooses a folder for large maps).
    public func writeFile(to path: String) throws {
        try OutputFile.write(to: path) { file in try ExplorerPage(self).singleFile { try file.write($0) } }
    }

    /// Writes the folder form: `folder/index.html`, `folder/data/NNNN.js`, `folder/tiles/NNNNN.png`.
    /// It is built under a temporary name beside `folder` and renamed into place when complete.
    public func writeFolder(to folder: String) throws {
        let url = URL(fileURLWithPath: folder)
        let parent = url.deletingLastPathComponent().path
        let staging = parent + "/.\(url.lastPathComponent).tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        try OutputFile.createDirectory(staging + "/data")
        do {
            let page = ExplorerPage(self, tilePath: { String(format: "tiles/%05d.png", $0) })
            var files: [String] = []
            try page.arrays { key, part, base64 in
                let name = String(format: "data/%04d.js", files.count)
                try OutputFile.write(to: staging + "/" + name) { file in
                    try file.write("embedvizChunk(\"\(key)\",\(part),\"")
                    try file.write(base64)
                    try file.write("\");\n")
                }
                files.append(name)
            }
            var madeTiles = false
            try page.sheets { sheet, png in
                if !madeTiles { try OutputFile.createDirectory(staging + "/tiles"); madeTiles = true }
                try OutputFile.write(png, to: staging + "/" + String(format: "tiles/%05d.png", sheet))
            }
            try OutputFile.write(page.head() + page.tail(files: files), to: staging + "/index.html")
            if FileManager.default.fileExists(atPath: folder) { try FileManager.default.removeItem(atPath: folder) }
            try FileManager.default.moveItem(atPath: staging, toPath: folder)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            if error is EmbedVizError { throw error }
            throw EmbedVizError.environment("cannot write the explorer folder: \(error.localizedDescription)", at: folder)
        }
    }

    /// The complete single-file page as text (small maps and tests).
    public func html() -> String {
        var out = ""
        try? ExplorerPage(self).singleFile { out += $0 }
        return out
    }
}

/// HTML text helpers.
public enum HTML {
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
