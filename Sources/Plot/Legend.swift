import CCairo

/// A list of labelled markers explaining a chart's colours.
public struct Legend: Sendable {
    /// How an entry's marker looks.
    public enum Marker: Sendable {
        /// A filled disc (a scatter class).
        case dot(RGB)
        /// A highlighted scatter point: grey disc with a dark ring, as drawn over the data.
        case highlighted
        /// A line segment (a line-chart series), dashed or solid, with an optional dot on it.
        case line(RGB, dashed: Bool, dot: Bool)
        /// A filled square (a bar series).
        case swatch(RGB)
        /// No marker (a note in the list, e.g. how many classes are not listed).
        case none
    }

    /// One row of the legend.
    public struct Entry: Sendable {
        /// The entry's text (e.g. the class name).
        public var label: String
        /// Secondary text after the label, in grey (e.g. the count "(1,010)").
        public var detail: String?
        /// The symbol drawn before the label.
        public var marker: Marker
        /// Leaves a small gap above this entry (to set it apart from the class list).
        public var separated: Bool

        /// An entry; `separated` leaves a small gap above it.
        public init(_ label: String, detail: String? = nil, marker: Marker, separated: Bool = false) {
            self.label = label
            self.detail = detail
            self.marker = marker
            self.separated = separated
        }
    }

    /// A bold heading above the entries (e.g. "Predicted class").
    public var title: String?
    /// The rows, top to bottom (wrapping into further columns when they do not fit).
    public var entries: [Entry]

    /// A legend of `entries` under an optional bold `title`.
    public init(title: String? = nil, entries: [Entry]) {
        self.title = title
        self.entries = entries
    }

    /// The same legend without the grey details: for a legend shared by panels whose counts
    /// differ (e.g. the predicted classes of a trained and of a random-weights model).
    public func removingDetails() -> Legend {
        Legend(title: title, entries: entries.map { entry in
            var entry = entry
            entry.detail = nil
            return entry
        })
    }

    // MARK: Layout

    static let rowHeight = Font.legend.lineHeight * 1.2
    static let markerWidth = 18.0
    static let columnGap = 14.0
    static let separation = 6.0

    /// Entries per column so that the legend fits in `maxHeight` points (all in one column if it can).
    func rowsPerColumn(maxHeight: Double) -> Int {
        let titleHeight = title == nil ? 0 : Legend.rowHeight
        let available = max(maxHeight - titleHeight, Legend.rowHeight)
        let fitting = available / (Legend.rowHeight + 1)
        return fitting >= Double(entries.count) ? max(entries.count, 1) : max(1, Int(fitting))
    }

    private func entryWidth(_ entry: Entry, _ canvas: Canvas) -> Double {
        var width = Legend.markerWidth + canvas.textWidth(entry.label, .legend)
        if let detail = entry.detail { width += canvas.textWidth(" " + detail, .legend) }
        return width
    }

    /// The legend's size when laid out within `maxHeight` points.
    func size(_ canvas: Canvas, maxHeight: Double = .infinity) -> Size {
        guard !entries.isEmpty else { return Size(width: 0, height: 0) }
        let perColumn = rowsPerColumn(maxHeight: maxHeight)
        var width = 0.0
        var height = 0.0
        for start in stride(from: 0, to: entries.count, by: perColumn) {
            let column = entries[start..<min(start + perColumn, entries.count)]
            width += column.reduce(0) { max($0, entryWidth($1, canvas)) } + (start > 0 ? Legend.columnGap : 0)
            let separations = column.dropFirst().filter(\.separated).count
            height = max(height, Double(column.count) * Legend.rowHeight + Double(separations) * Legend.separation)
        }
        if let title {
            width = max(width, canvas.textWidth(title, .legendTitle))
            height += Legend.rowHeight
        }
        return Size(width: width, height: height)
    }

    /// Draws the legend with its top-left corner at `origin`; `boxed` puts it on a white panel
    /// with a light border (for legends inside a plot area).
    func draw(in canvas: Canvas, at origin: (x: Double, y: Double), maxHeight: Double = .infinity, boxed: Bool = false) {
        guard !entries.isEmpty else { return }
        if boxed {
            let size = size(canvas, maxHeight: maxHeight)
            let box = Rect(x: origin.x - 6, y: origin.y - 4, width: size.width + 12, height: size.height + 8)
            canvas.fill(box, Theme.background, alpha: 0.9)
            canvas.stroke(box, RGB(hex: 0xcccccc), width: 0.6)
        }
        var top = origin.y
        if let title {
            canvas.text(title, x: origin.x, centerY: top + Legend.rowHeight / 2, .legendTitle)
            top += Legend.rowHeight
        }
        let perColumn = rowsPerColumn(maxHeight: maxHeight)
        var left = origin.x
        for start in stride(from: 0, to: entries.count, by: perColumn) {
            let column = entries[start..<min(start + perColumn, entries.count)]
            var y = top
            for (offset, entry) in column.enumerated() {
                if entry.separated && offset > 0 { y += Legend.separation }
                let center = y + Legend.rowHeight / 2
                drawMarker(entry.marker, in: canvas, x: left + 6, y: center)
                let textX = left + Legend.markerWidth
                canvas.text(entry.label, x: textX, centerY: center, .legend)
                if let detail = entry.detail {
                    let labelWidth = canvas.textWidth(entry.label, .legend)
                    canvas.text(" " + detail, x: textX + labelWidth, centerY: center, .legend, Theme.secondaryText)
                }
                y += Legend.rowHeight
            }
            left += column.reduce(0) { max($0, entryWidth($1, canvas)) } + Legend.columnGap
        }
    }

    private func drawMarker(_ marker: Marker, in canvas: Canvas, x: Double, y: Double) {
        switch marker {
        case .dot(let color):
            canvas.disc(x: x, y: y, radius: 4.5, color)
        case .highlighted:
            drawHighlight(in: canvas, x: x, y: y, radius: 4.5, fill: RGB(hex: 0xbbbbbb), alpha: 1)
        case .line(let color, let dashed, let dot):
            canvas.line(from: (x - 7, y), to: (x + 7, y), color, width: 2, dash: dashed ? [4, 2.5] : [])
            if dot { canvas.disc(x: x, y: y, radius: 2.8, color) }
        case .swatch(let color):
            canvas.fill(Rect(x: x - 5, y: y - 5, width: 10, height: 10), color, alpha: 0.85)
        case .none:
            break
        }
    }
}

/// The marker of a highlighted scatter point (e.g. an injected noise image): its class colour
/// with a dark ring, drawn over the other points.
func drawHighlight(in canvas: Canvas, x: Double, y: Double, radius: Double, fill: RGB, alpha: Double) {
    canvas.disc(x: x, y: y, radius: radius, fill, alpha: alpha, edge: RGB(hex: 0x111111),
                edgeWidth: min(1.2, max(0.55, radius * 0.22)))
}

/// Picks the place for a legend inside a plot area where it covers the fewest data points,
/// trying matplotlib's "best" candidates in its order (upper right first).
/// - Parameters:
///   - size: the legend's size; `samples`: data positions in points; `obstacles`: other labels.
/// - Returns: the legend's top-left corner.
func bestLegendOrigin(size: Size, plot: Rect, samples: [(Double, Double)], obstacles: [Rect] = []) -> (x: Double, y: Double) {
    let inset = 10.0
    let (w, h) = (size.width, size.height)
    let left = plot.x + inset + 6, right = plot.maxX - inset - 6 - w
    let top = plot.y + inset + 4, bottom = plot.maxY - inset - 4 - h
    let midX = plot.midX - w / 2, midY = plot.midY - h / 2
    let candidates: [(Double, Double)] = [
        (right, top), (left, top), (left, bottom), (right, bottom), (right, midY),
        (left, midY), (midX, bottom), (midX, top), (midX, midY),
    ]
    var best = candidates[0]
    var bestCost = Int.max
    for (x, y) in candidates {
        let box = Rect(x: x - 8, y: y - 6, width: w + 16, height: h + 12)
        var cost = samples.reduce(0) { $0 + (box.contains(x: $1.0, y: $1.1) ? 1 : 0) }
        cost += obstacles.reduce(0) { $0 + ($1.intersects(box) ? 1000 : 0) }
        if cost < bestCost {
            bestCost = cost
            best = (x, y)
        }
    }
    return best
}
