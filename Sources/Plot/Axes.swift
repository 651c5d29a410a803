import CCairo
import Foundation

// Ticks, number formats, the title block and the axes frame shared by the 2-D charts.

/// How tick values are written.
public enum TickFormat: Sendable {
    /// Plain decimals with as many digits as the tick step needs ("0.25", "−40").
    case plain
    /// Fractions shown as percentages (0.5 → "50%").
    case percent
}

/// One axis: its data limits, tick values and their labels.
struct Axis {
    var lower: Double
    var upper: Double
    var ticks: [Double]
    var labels: [String]

    /// An axis over `lower…upper` with about `count` "nice" ticks (steps of 1, 2, 2.5 or 5 × 10^k)
    /// inside it; `integer` keeps steps ≥ 1 and whole (epochs, component numbers).
    init(lower: Double, upper: Double, count: Int, format: TickFormat = .plain, integer: Bool = false) {
        self.lower = lower
        self.upper = upper
        var step = niceStep(span: upper - lower, count: count)
        if integer { step = max(1, step.rounded(.up)) }
        let first = (lower / step).rounded(.up)
        let last = (upper / step).rounded(.down)
        ticks = first <= last ? stride(from: first, through: last, by: 1).map { $0 * step } : []
        labels = ticks.map { formatTick($0, step: step, format: format) }
    }

    /// An axis with the given tick values, labelled with the decimals their spacing needs.
    init(lower: Double, upper: Double, ticks: [Double], format: TickFormat = .plain) {
        self.lower = lower
        self.upper = upper
        self.ticks = ticks
        let step = zip(ticks, ticks.dropFirst()).map { $1 - $0 }.min() ?? 1
        labels = ticks.map { formatTick($0, step: step, format: format) }
    }

    /// Where `value` falls between `start` (lower limit) and `end` (upper limit).
    func position(_ value: Double, from start: Double, to end: Double) -> Double {
        start + (value - lower) / (upper - lower) * (end - start)
    }
}

/// The nice step (1, 2, 2.5 or 5 × 10^k) that divides `span` into about `count` intervals.
func niceStep(span: Double, count: Int) -> Double {
    guard span > 0, span.isFinite else { return 1 }
    let raw = span / Double(max(count, 1))
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let mantissa = raw / magnitude
    let nice: Double = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 2.5 ? 2.5 : mantissa <= 5 ? 5 : 10
    return nice * magnitude
}

/// A tick label with just the decimals `step` needs, a true minus sign and no "−0".
func formatTick(_ value: Double, step: Double, format: TickFormat) -> String {
    let (value, step) = format == .percent ? (value * 100, step * 100) : (value, step)
    var decimals = 0
    while decimals < 6 {
        let scaled = step * pow(10, Double(decimals))
        if abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled) { break }
        decimals += 1
    }
    var text: String
    if abs(value) >= 1e6 || (abs(value) < 1e-4 && value != 0 && abs(value) > step * 1e-6) {
        text = String(format: "%.3g", value)
    } else {
        let rounded = abs(value) < step * 1e-6 ? 0 : value
        text = String(format: "%.\(decimals)f", rounded)
    }
    text = text.replacingOccurrences(of: "-", with: "\u{2212}")
    return format == .percent ? text + "%" : text
}

/// A count with thousands separators: 1010 → "1,010".
func formatCount(_ n: Int) -> String {
    let digits = String(abs(n))
    var groups: [Substring] = []
    var end = digits.endIndex
    while end > digits.startIndex {
        let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
        groups.insert(digits[start..<end], at: 0)
        end = start
    }
    return (n < 0 ? "\u{2212}" : "") + groups.joined(separator: ",")
}

/// Data limits that leave room for markers of `radius` points at the extremes of `lower…upper`
/// plotted over `length` points, plus a `fraction` of the span on each side.
func paddedLimits(_ lower: Double, _ upper: Double, length: Double, radius: Double,
                  fraction: Double = 0.04) -> (Double, Double) {
    guard lower.isFinite, upper.isFinite else { return (0, 1) }
    var span = upper - lower
    var (lo, hi) = (lower, upper)
    if span <= 0 {
        let half = lower == 0 ? 1 : abs(lower) * 0.1
        (lo, hi) = (lower - half, upper + half)
        span = hi - lo
    }
    // margin m must satisfy m / (span + 2m) · length ≥ radius + 1.5 points.
    let need = (radius + 1.5) / max(length, 1)
    let byRadius = need < 0.45 ? need * span / (1 - 2 * need) : span
    let margin = max(fraction * span, byRadius)
    return (lo - margin, hi + margin)
}

/// The minimum and maximum of the finite values, or nil when there are none.
func finiteRange<S: Sequence>(_ values: S) -> (Double, Double)? where S.Element == Double {
    var lo = Double.infinity, hi = -Double.infinity
    for v in values where v.isFinite {
        lo = min(lo, v)
        hi = max(hi, v)
    }
    return lo <= hi ? (lo, hi) : nil
}

// MARK: Title block

/// A panel's title and optional subtitle, centred over its plot area.
struct Header {
    var title: String?
    var subtitle: String?

    /// The vertical space it takes, including the panel padding above it and the gap below.
    var height: Double {
        var h = Theme.padding
        if title != nil { h += Font.title.lineHeight }
        if subtitle != nil { h += Font.subtitle.lineHeight }
        return h + (title == nil && subtitle == nil ? 0 : 8)
    }

    /// Draws the block at the top of `frame`, centred on `center` and kept inside `frame`.
    func draw(in canvas: Canvas, frame: Rect, center: Double) {
        var baseline = frame.y + Theme.padding
        let available = frame.width - 2 * Theme.padding
        for (text, font, color) in [(title, Font.title, Theme.text), (subtitle, Font.subtitle, Theme.secondaryText)] {
            guard let text else { continue }
            baseline += font.lineHeight
            let (shown, fitted) = canvas.fitting(text, font, width: available)
            let width = canvas.textWidth(shown, fitted)
            let x = min(max(center, frame.x + Theme.padding + width / 2), frame.maxX - Theme.padding - width / 2)
            canvas.text(shown, x: x, baseline: baseline - font.lineHeight * 0.25, fitted, color, align: .center)
        }
    }
}

// MARK: Axes frame

/// The box, ticks, tick labels, optional grid and axis labels around a plot area.
struct AxesFrame {
    var x: Axis
    var y: Axis
    var xLabel: String?
    var yLabel: String?
    var grid = false

    /// Space needed left of the plot area: y tick labels, ticks and the rotated y label.
    func leftMargin(_ canvas: Canvas) -> Double {
        tickLabelColumn(canvas) + Theme.tickLength + 5 + (yLabel == nil ? 0 : Font.axisLabel.lineHeight + 4)
    }

    /// The width kept for y tick labels: at least that of "−000", so that panels stacked in a
    /// figure column line up their plot areas for the usual range of labels.
    private func tickLabelColumn(_ canvas: Canvas) -> Double {
        max(canvas.maxTextWidth(y.labels, .tick), canvas.textWidth("\u{2212}000", .tick))
    }

    /// Space needed below the plot area: x tick labels, ticks and the x label.
    static func bottomMargin(hasLabel: Bool) -> Double {
        Theme.tickLength + 4 + Font.tick.lineHeight + (hasLabel ? Font.axisLabel.lineHeight + 4 : 0)
    }

    /// Grid lines, drawn before the data.
    func drawGrid(in canvas: Canvas, plot: Rect) {
        guard grid else { return }
        for value in y.ticks {
            let py = y.position(value, from: plot.maxY, to: plot.y)
            canvas.line(from: (plot.x, py), to: (plot.maxX, py), Theme.grid, width: 0.8)
        }
    }

    /// Box, ticks and labels, drawn after the data.
    func draw(in canvas: Canvas, plot: Rect) {
        canvas.stroke(plot, Theme.spine, width: Theme.spineWidth)
        let tickTop = plot.maxY + Theme.tickLength + 3 + canvas.capHeight(.tick)
        // X tick labels are thinned so that neighbours keep a gap of at least 8 points.
        var lastRight = -Double.infinity
        for (value, label) in zip(x.ticks, x.labels) {
            let px = x.position(value, from: plot.x, to: plot.maxX)
            canvas.line(from: (px, plot.maxY), to: (px, plot.maxY + Theme.tickLength), Theme.spine, width: Theme.spineWidth)
            let half = canvas.textWidth(label, .tick) / 2
            guard px - half >= lastRight + 8 else { continue }
            canvas.text(label, x: px, baseline: tickTop, .tick, Theme.text, align: .center)
            lastRight = px + half
        }
        for (value, label) in zip(y.ticks, y.labels) {
            let py = y.position(value, from: plot.maxY, to: plot.y)
            canvas.line(from: (plot.x - Theme.tickLength, py), to: (plot.x, py), Theme.spine, width: Theme.spineWidth)
            canvas.text(label, x: plot.x - Theme.tickLength - 4, centerY: py, .tick, Theme.text, align: .right)
        }
        if let xLabel {
            let baseline = tickTop + Font.tick.lineHeight * 0.35 + Font.axisLabel.lineHeight
            let (shown, font) = canvas.fitting(xLabel, .axisLabel, width: plot.width)
            canvas.text(shown, x: plot.midX, baseline: baseline, font, Theme.text, align: .center)
        }
        if let yLabel {
            let labelsWidth = tickLabelColumn(canvas)
            let center = plot.x - Theme.tickLength - 5 - labelsWidth - 4 - Font.axisLabel.lineHeight / 2
            let (shown, font) = canvas.fitting(yLabel, .axisLabel, width: plot.height)
            canvas.verticalText(shown, x: center, centerY: plot.midY, font)
        }
    }

    /// A tick count for an axis of `length` points whose labels are about `labelExtent` points
    /// long along it.
    static func tickCount(length: Double, labelExtent: Double) -> Int {
        max(2, min(8, Int(length / max(labelExtent + 24, 60))))
    }
}
