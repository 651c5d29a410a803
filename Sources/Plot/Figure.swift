import CCairo
import Datasets
import Foundation
import Linalg

/// One panel of a figure: something that draws itself into a rectangle of a canvas.
///
/// Charts are values: build one, put it in a `Figure`, write the figure. A chart draws into
/// whatever rectangle it is given (its plot area takes the space its labels leave); the figure
/// gives it at least its preferred size.
public protocol Chart: Sendable {
    /// The size the chart is designed for, in points.
    var preferredSize: Size { get }
    /// Draws the chart into `frame` (points) of `canvas`. The background is already white.
    func draw(in canvas: Canvas, frame: Rect)
}

/// The file formats a figure can be written in.
public enum FigureFormat: String, Sendable, CaseIterable {
    /// Raster, at `Figure.scale` pixels per point.
    case png
    /// Vector; text as glyph outlines, sizes in points.
    case svg
    /// Vector, one page of the figure's size.
    case pdf

    /// The format a path's extension names: `.png`, `.svg` or `.pdf` (any case); PNG when the path
    /// has no extension or is `-` (standard output).
    public init(path: String) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        if ext.isEmpty || path == "-" {
            self = .png
        } else if let format = FigureFormat(rawValue: ext) {
            self = format
        } else {
            throw EmbedVizError.input("unsupported figure format .\(ext); use .png, .svg or .pdf", at: path)
        }
    }
}

/// A grid of charts (rows × columns) with an optional overall title and shared legend: a single
/// panel, or a comparison such as PCA beside t-SNE or a trained beside an untrained model.
///
/// Each column is as wide as its widest chart's preferred width and each row as tall as its
/// tallest chart's preferred height; a row may have fewer charts than the others (cells stay blank).
public struct Figure: Sendable {
    /// A title over the whole grid (charts keep their own titles too).
    public var title: String?
    /// The charts, row by row.
    public var rows: [[any Chart]]
    /// A legend shared by all panels, drawn to the right of the grid (for small multiples whose
    /// charts leave theirs out).
    public var legend: Legend?
    /// PNG pixels per point: 2 (the default) renders a 640×560-point panel as 1280×1120 pixels.
    public var scale: Double = 2

    /// A figure of a single chart.
    public init(_ chart: any Chart) {
        self.init(rows: [[chart]])
    }

    /// A figure of `rows` of charts.
    public init(title: String? = nil, rows: [[any Chart]], legend: Legend? = nil) {
        self.title = title
        self.rows = rows
        self.legend = legend
    }

    /// A figure of `charts` laid out row-major in `columns` columns (all in one row by default).
    public init(title: String? = nil, charts: [any Chart], columns: Int? = nil, legend: Legend? = nil) {
        let columns = max(1, columns ?? charts.count)
        let rows = stride(from: 0, to: charts.count, by: columns).map { Array(charts[$0..<min($0 + columns, charts.count)]) }
        self.init(title: title, rows: rows, legend: legend)
    }

    // MARK: Layout

    private var columnWidths: [Double] {
        let count = rows.map(\.count).max() ?? 0
        return (0..<count).map { column in
            rows.compactMap { column < $0.count ? $0[column].preferredSize.width : nil }.max() ?? 0
        }
    }

    private var rowHeights: [Double] {
        rows.map { row in row.map(\.preferredSize.height).max() ?? 0 }
    }

    private var titleHeight: Double {
        title == nil ? 0 : Theme.padding + Font.figureTitle.lineHeight + 2
    }

    private func legendSize(_ canvas: Canvas) -> Size {
        guard let legend else { return Size(width: 0, height: 0) }
        let size = legend.size(canvas, maxHeight: rowHeights.reduce(0, +) - 2 * Theme.padding)
        return Size(width: size.width + 2 * Theme.padding, height: size.height)
    }

    /// The figure's size in points.
    public var size: Size {
        let legendWidth = Canvas.measuring { legendSize($0).width }
        let width = columnWidths.reduce(0, +) + legendWidth
        let height = titleHeight + rowHeights.reduce(0, +)
        return Size(width: max(width, 1), height: max(height, 1))
    }

    /// Draws the whole figure at the origin of `canvas`.
    public func draw(in canvas: Canvas) {
        let size = self.size
        canvas.fill(Rect(x: 0, y: 0, width: size.width, height: size.height), Theme.background)
        if let title {
            let (shown, font) = canvas.fitting(title, .figureTitle, width: size.width - 2 * Theme.padding)
            canvas.text(shown, x: size.width / 2, baseline: Theme.padding + Font.figureTitle.lineHeight * 0.8,
                        font, align: .center)
        }
        let widths = columnWidths
        let heights = rowHeights
        var y = titleHeight
        for (row, height) in zip(rows, heights) {
            var x = 0.0
            for (chart, width) in zip(row, widths) {
                let frame = Rect(x: x, y: y, width: width, height: height)
                cairo_save(canvas.context)
                chart.draw(in: canvas, frame: frame)
                cairo_restore(canvas.context)
                x += width
            }
            y += height
        }
        if let legend {
            let gridHeight = heights.reduce(0, +)
            let legendHeight = legendSize(canvas).height
            let top = titleHeight + max(Theme.padding, (gridHeight - legendHeight) / 2)
            legend.draw(in: canvas, at: (widths.reduce(0, +) + Theme.padding, top),
                        maxHeight: gridHeight - 2 * Theme.padding)
        }
    }

    // MARK: Output

    /// The figure encoded as `format`, in memory.
    /// - Throws: `EmbedVizError`: input when a PNG would exceed cairo's 32,767-pixel limit,
    ///   environment when cairo cannot create the surface or encode it.
    public func data(_ format: FigureFormat) throws -> [UInt8] {
        let size = self.size
        let sink = ByteSink()
        // Retained until the surface is gone: destroying an unfinished SVG/PDF surface still writes.
        let retained = Unmanaged.passRetained(sink)
        let closure = retained.toOpaque()
        let surface: OpaquePointer
        switch format {
        case .png:
            let (width, height) = ((size.width * scale).rounded(.up), (size.height * scale).rounded(.up))
            guard scale > 0, width <= 32_767, height <= 32_767 else {
                throw EmbedVizError.input(
                    "a \(Int(size.width))×\(Int(size.height))-point figure at scale \(scale) exceeds PNG rendering's 32,767-pixel limit; lower the scale or write SVG/PDF")
            }
            surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
        case .svg:
            surface = cairo_svg_surface_create_for_stream(appendToSink, closure, size.width, size.height)
            cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PT)
        case .pdf:
            surface = cairo_pdf_surface_create_for_stream(appendToSink, closure, size.width, size.height)
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "EmbedViz")
            if let title { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title) }
        }
        defer {
            cairo_surface_destroy(surface)
            retained.release()
        }
        try check(cairo_surface_status(surface), "cannot create the \(format.rawValue.uppercased()) surface (\(Int(size.width))×\(Int(size.height)) pt)")

        let context = cairo_create(surface)!
        if format == .png { cairo_scale(context, scale, scale) }
        draw(in: Canvas(context: context, pixelsPerPoint: format == .png ? scale : nil))
        let drawing = cairo_status(context)
        cairo_destroy(context)
        try check(drawing, "drawing failed")

        if format == .png {
            try check(cairo_surface_write_to_png_stream(surface, appendToSink, closure), "PNG encoding failed")
        } else {
            cairo_surface_finish(surface)
            try check(cairo_surface_status(surface), "\(format.rawValue.uppercased()) output failed")
        }
        return sink.bytes
    }

    /// The figure as PNG bytes (for embedding in HTML as a data URL).
    public func pngData() throws -> [UInt8] {
        try data(.png)
    }

    /// Writes the figure atomically to `path` in the format its extension names (`.png`,
    /// `.svg`, `.pdf`; PNG without one or for `-`, standard output).
    public func write(to path: String) throws {
        let format = try FigureFormat(path: path)
        let bytes: [UInt8]
        do {
            bytes = try data(format)
        } catch let error as EmbedVizError {
            throw error.located(at: path)
        }
        try OutputFile.write(bytes, to: path)
    }
}

/// Bytes collected from cairo's stream callbacks.
final class ByteSink {
    var bytes: [UInt8] = []
}

/// cairo's write callback: appends to the `ByteSink` passed as the closure pointer.
private func appendToSink(_ closure: UnsafeMutableRawPointer?, _ data: UnsafePointer<UInt8>?,
                          _ length: UInt32) -> cairo_status_t {
    guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    return CAIRO_STATUS_SUCCESS
}

/// Turns a cairo status into an environment error.
func check(_ status: cairo_status_t, _ what: String) throws {
    guard status != CAIRO_STATUS_SUCCESS else { return }
    throw EmbedVizError.environment("cairo: \(what): \(String(cString: cairo_status_to_string(status)))")
}
