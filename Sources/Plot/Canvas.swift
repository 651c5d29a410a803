import CCairo
import Foundation

/// A cairo context that charts draw into, in points (1/72 inch), origin top left, y down.
///
/// The figure owns the surface; a chart receives a canvas and the rectangle it may fill. Charts
/// of this module use the canvas's text and shape helpers; a chart written elsewhere can draw
/// anything through `context` (`import CCairo`).
public final class Canvas {
    /// The underlying `cairo_t *`.
    public let context: OpaquePointer
    /// Device pixels per point for raster output (2 for the default PNG), nil for SVG/PDF.
    public let pixelsPerPoint: Double?

    init(context: OpaquePointer, pixelsPerPoint: Double?) {
        self.context = context
        self.pixelsPerPoint = pixelsPerPoint
        // Unhinted metrics: text measures the same in PNG, SVG and PDF, so layouts agree.
        let options = cairo_font_options_create()
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        cairo_set_font_options(context, options)
        cairo_font_options_destroy(options)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
    }

    /// A canvas on a 1×1 image surface, for measuring text before anything is drawn.
    static func measuring<R>(_ body: (Canvas) throws -> R) rethrows -> R {
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)
        let context = cairo_create(surface)!
        defer {
            cairo_destroy(context)
            cairo_surface_destroy(surface)
        }
        return try body(Canvas(context: context, pixelsPerPoint: 1))
    }
}

/// Font sizes, colours and line widths shared by every chart, so panels side by side match.
enum Theme {
    static let fontFamily = "DejaVu Sans"
    static let titleSize = 15.0
    static let subtitleSize = 11.5
    static let figureTitleSize = 17.0
    static let axisLabelSize = 12.0
    static let tickLabelSize = 10.5
    static let legendSize = 11.0
    static let captionSize = 10.0

    static let text = RGB(hex: 0x222222)
    static let secondaryText = RGB(hex: 0x5a5a5a)
    static let spine = RGB(hex: 0x4d4d4d)
    static let grid = RGB(hex: 0xe5e5e5)
    static let background = RGB(1, 1, 1)

    static let spineWidth = 0.8
    static let tickLength = 4.0
    /// Blank border inside every panel.
    static let padding = 12.0
}

/// Horizontal placement of a text run relative to its anchor.
enum TextAlignment {
    case left, center, right
}

/// A font choice for the toy text API.
struct Font {
    var size: Double
    var bold = false

    static let title = Font(size: Theme.titleSize, bold: true)
    static let subtitle = Font(size: Theme.subtitleSize)
    static let figureTitle = Font(size: Theme.figureTitleSize, bold: true)
    static let axisLabel = Font(size: Theme.axisLabelSize)
    static let tick = Font(size: Theme.tickLabelSize)
    static let legend = Font(size: Theme.legendSize)
    static let legendTitle = Font(size: Theme.legendSize, bold: true)
    static let caption = Font(size: Theme.captionSize)

    /// Distance from one baseline to the next.
    var lineHeight: Double { size * 1.3 }
}

extension Canvas {
    // MARK: Colour and lines

    func setColor(_ color: RGB, alpha: Double = 1) {
        cairo_set_source_rgba(context, color.red, color.green, color.blue, alpha)
    }

    func fill(_ rect: Rect, _ color: RGB, alpha: Double = 1) {
        setColor(color, alpha: alpha)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(context)
    }

    func stroke(_ rect: Rect, _ color: RGB, width: Double) {
        setColor(color)
        cairo_set_line_width(context, width)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_stroke(context)
    }

    /// A straight segment; `dash` is the on/off pattern in points (solid when empty).
    func line(from a: (Double, Double), to b: (Double, Double), _ color: RGB, width: Double,
              dash: [Double] = [], alpha: Double = 1) {
        setColor(color, alpha: alpha)
        cairo_set_line_width(context, width)
        setDash(dash)
        cairo_move_to(context, a.0, a.1)
        cairo_line_to(context, b.0, b.1)
        cairo_stroke(context)
        setDash([])
    }

    /// A polyline through `points`; non-finite points break the line.
    func polyline(_ points: [(Double, Double)], _ color: RGB, width: Double, dash: [Double] = []) {
        setColor(color)
        cairo_set_line_width(context, width)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_ROUND)
        setDash(dash)
        var drawing = false
        for (x, y) in points {
            guard x.isFinite && y.isFinite else { drawing = false; continue }
            if drawing { cairo_line_to(context, x, y) } else { cairo_move_to(context, x, y) }
            drawing = true
        }
        cairo_stroke(context)
        setDash([])
        cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
    }

    func setDash(_ dash: [Double]) {
        dash.withUnsafeBufferPointer { cairo_set_dash(context, $0.baseAddress, Int32($0.count), 0) }
    }

    /// A filled disc, optionally with an outline.
    func disc(x: Double, y: Double, radius: Double, _ color: RGB, alpha: Double = 1,
              edge: RGB? = nil, edgeWidth: Double = 0.8) {
        cairo_new_path(context)
        cairo_arc(context, x, y, radius, 0, 2 * Double.pi)
        setColor(color, alpha: alpha)
        if let edge {
            cairo_fill_preserve(context)
            setColor(edge)
            cairo_set_line_width(context, edgeWidth)
            cairo_stroke(context)
        } else {
            cairo_fill(context)
        }
    }

    func withClip<R>(_ rect: Rect, _ body: () -> R) -> R {
        cairo_save(context)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(context)
        defer { cairo_restore(context) }
        return body()
    }

    // MARK: Text

    func setFont(_ font: Font) {
        cairo_select_font_face(context, Theme.fontFamily, CAIRO_FONT_SLANT_NORMAL,
                               font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, font.size)
    }

    /// The advance width of `text` in `font`.
    func textWidth(_ text: String, _ font: Font) -> Double {
        setFont(font)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, text, &extents)
        return extents.x_advance
    }

    /// The widest of `texts` in `font` (0 for none).
    func maxTextWidth<S: Sequence>(_ texts: S, _ font: Font) -> Double where S.Element == String {
        texts.reduce(0) { max($0, textWidth($1, font)) }
    }

    /// Draws one line of text with its baseline at `baseline`.
    func text(_ text: String, x: Double, baseline: Double, _ font: Font, _ color: RGB = Theme.text,
              align: TextAlignment = .left) {
        setFont(font)
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, text, &extents)
        let left = switch align {
        case .left: x
        case .center: x - extents.x_advance / 2
        case .right: x - extents.x_advance
        }
        setColor(color)
        cairo_move_to(context, left, baseline)
        cairo_show_text(context, text)
        cairo_new_path(context)
    }

    /// Draws one line of text vertically centred on `y` (by the height of digits and capitals).
    func text(_ text: String, x: Double, centerY y: Double, _ font: Font, _ color: RGB = Theme.text,
              align: TextAlignment = .left) {
        self.text(text, x: x, baseline: y + capHeight(font) / 2, font, color, align: align)
    }

    /// Draws text rotated a quarter turn counter-clockwise (reading bottom to top), centred on
    /// (`x`, `y`) along its length, with its baseline at `x` + cap height / 2.
    func verticalText(_ text: String, x: Double, centerY y: Double, _ font: Font, _ color: RGB = Theme.text) {
        cairo_save(context)
        cairo_translate(context, x, y)
        cairo_rotate(context, -Double.pi / 2)
        self.text(text, x: 0, centerY: 0, font, color, align: .center)
        cairo_restore(context)
    }

    /// The height of capitals and digits in `font` (DejaVu Sans: 0.73 em).
    func capHeight(_ font: Font) -> Double { font.size * 0.73 }

    /// `text` in `font`, shortened with an ellipsis if wider than `width`; the font shrinks first
    /// (down to `minimumSize`).
    func fitting(_ text: String, _ font: Font, width: Double, minimumSize: Double = 8) -> (String, Font) {
        var font = font
        while textWidth(text, font) > width && font.size > minimumSize {
            font.size = max(minimumSize, font.size - 0.5)
        }
        guard textWidth(text, font) > width else { return (text, font) }
        var characters = Array(text)
        while !characters.isEmpty && textWidth(String(characters) + "…", font) > width {
            characters.removeLast()
        }
        return (String(characters) + "…", font)
    }
}
