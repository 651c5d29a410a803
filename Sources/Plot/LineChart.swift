import CCairo

/// One line of a `LineChart`.
public struct LineSeries: Sendable {
    /// The legend label.
    public var name: String
    /// X values (e.g. epochs), in order.
    public var x: [Double]
    /// Y values, one per x; non-finite values break the line.
    public var y: [Double]
    /// Line and marker colour.
    public var color: RGB
    /// Dashed instead of solid.
    public var dashed: Bool
    /// Dots at the data points; nil shows them when the series has at most 40 points.
    public var showsMarkers: Bool?

    /// A series; `x` and `y` must have the same length.
    public init(name: String, x: [Double], y: [Double], color: RGB, dashed: Bool = false, showsMarkers: Bool? = nil) {
        precondition(x.count == y.count, "series \(name): \(x.count) x values for \(y.count) y values")
        self.name = name
        self.x = x
        self.y = y
        self.color = color
        self.dashed = dashed
        self.showsMarkers = showsMarkers
    }

    var markersShown: Bool { showsMarkers ?? (x.count <= 40) }
}

/// A vertical dashed line at `x` with a label above the plot (e.g. "best epoch 7"), where it
/// cannot cover data; optionally each series' value at `x` gets a ring.
public struct VerticalMarker: Sendable {
    /// Where the line is, in data units.
    public var x: Double
    /// The text above the plot at the line.
    public var label: String
    /// Ring each series' value at `x` (the best epoch's losses and accuracies).
    public var marksValues: Bool

    /// A marker at `x` labelled `label`.
    public init(x: Double, label: String, marksValues: Bool = true) {
        self.x = x
        self.label = label
        self.marksValues = marksValues
    }
}

/// Lines over a shared x axis (loss per epoch, KL divergence per iteration), with a legend inside
/// the plot where it covers the fewest data points, and light horizontal grid lines.
public struct LineChart: Chart {
    /// The lines, drawn in order (later on top).
    public var series: [LineSeries]
    /// Panel title.
    public var title: String?
    /// A second line under the title.
    public var subtitle: String?
    /// X axis name.
    public var xLabel: String?
    /// Y axis name.
    public var yLabel: String?
    /// Vertical reference lines (e.g. the best epoch).
    public var markers: [VerticalMarker]
    /// Whole-number x ticks only (epochs, iterations, component numbers).
    public var integerX: Bool
    /// How y tick labels are written (`.percent` for accuracies given as fractions).
    public var yFormat: TickFormat = .plain
    /// Fixed y limits; nil fits the data with a small margin.
    public var yRange: ClosedRange<Double>?
    /// Whether to draw the legend (only when there are two or more series by default).
    public var showsLegend: Bool

    /// A chart of `series`; the legend is shown when there are two or more.
    public init(series: [LineSeries], title: String? = nil, subtitle: String? = nil, xLabel: String? = nil,
                yLabel: String? = nil, markers: [VerticalMarker] = [], integerX: Bool = false) {
        self.series = series
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.markers = markers
        self.integerX = integerX
        self.showsLegend = series.count > 1
    }

    /// About 440 × 300 points of plot area plus title and axes.
    public var preferredSize: Size {
        let header = Header(title: title, subtitle: subtitle).height + (markers.isEmpty ? 0 : 18)
        return Size(width: 70 + (yLabel == nil ? 0 : 20) + 440 + Theme.padding + 8,
                    height: header + 300 + AxesFrame.bottomMargin(hasLabel: xLabel != nil) + Theme.padding)
    }

    /// Draws title, axes, lines, markers and legend into `frame`.
    public func draw(in canvas: Canvas, frame: Rect) {
        let header = Header(title: title, subtitle: subtitle)
        let top = frame.y + header.height + (markers.isEmpty ? 0 : 18)
        let bottom = frame.maxY - Theme.padding - AxesFrame.bottomMargin(hasLabel: xLabel != nil)
        let right = frame.maxX - Theme.padding - 8
        let markerRadius = 2.8

        let xRange = finiteRange(series.flatMap(\.x) + markers.map(\.x)) ?? (0, 1)
        var yLimits: (Double, Double)
        if let yRange {
            yLimits = (yRange.lowerBound, yRange.upperBound)
        } else {
            let (lo, hi) = finiteRange(series.flatMap(\.y)) ?? (0, 1)
            yLimits = paddedLimits(lo, hi, length: bottom - top, radius: markerRadius, fraction: 0.06)
        }
        let yAxis = Axis(lower: yLimits.0, upper: yLimits.1,
                         count: AxesFrame.tickCount(length: bottom - top, labelExtent: 14), format: yFormat)
        var axes = AxesFrame(x: yAxis, y: yAxis, xLabel: xLabel, yLabel: yLabel, grid: true)
        let left = frame.x + Theme.padding + axes.leftMargin(canvas) + 4
        let plot = Rect(x: left, y: top, width: max(10, right - left), height: max(10, bottom - top))
        let xLimits = paddedLimits(xRange.0, xRange.1, length: plot.width, radius: markerRadius, fraction: 0.03)
        let xProbe = Axis(lower: xLimits.0, upper: xLimits.1, count: 6, integer: integerX)
        axes.x = Axis(lower: xLimits.0, upper: xLimits.1,
                      count: AxesFrame.tickCount(length: plot.width, labelExtent: canvas.maxTextWidth(xProbe.labels, .tick)),
                      integer: integerX)

        func position(_ x: Double, _ y: Double) -> (Double, Double) {
            (axes.x.position(x, from: plot.x, to: plot.maxX), axes.y.position(y, from: plot.maxY, to: plot.y))
        }

        axes.drawGrid(in: canvas, plot: plot)
        var obstacles: [Rect] = []
        for marker in markers {
            let px = position(marker.x, 0).0
            canvas.line(from: (px, plot.y - 5), to: (px, plot.maxY), Theme.secondaryText, width: 1, dash: [4, 3])
            let width = canvas.textWidth(marker.label, .tick)
            let x = min(max(px, frame.x + Theme.padding + width / 2), frame.maxX - Theme.padding - width / 2)
            canvas.text(marker.label, x: x, baseline: plot.y - 8, .tick, Theme.text, align: .center)
        }
        canvas.withClip(plot.inset(by: -markerRadius - 1)) {
            for line in series {
                let points = zip(line.x, line.y).map { position($0, $1) }
                canvas.polyline(points, line.color, width: 1.8, dash: line.dashed ? [6, 3.5] : [])
                if line.markersShown {
                    for (x, y) in points where x.isFinite && y.isFinite {
                        canvas.disc(x: x, y: y, radius: markerRadius, line.color)
                    }
                }
            }
            for marker in markers where marker.marksValues {
                for line in series {
                    guard let i = line.x.firstIndex(of: marker.x), line.y[i].isFinite else { continue }
                    let (x, y) = position(line.x[i], line.y[i])
                    canvas.disc(x: x, y: y, radius: 4.8, Theme.background, edge: line.color, edgeWidth: 1.8)
                    obstacles.append(Rect(x: x - 5, y: y - 5, width: 10, height: 10))
                }
            }
        }
        axes.draw(in: canvas, plot: plot)
        header.draw(in: canvas, frame: frame, center: plot.midX)

        if showsLegend && !series.isEmpty {
            let legend = Legend(entries: series.map {
                Legend.Entry($0.name, marker: .line($0.color, dashed: $0.dashed, dot: $0.markersShown))
            })
            // Sample each line densely enough that a legend box cannot sit between two samples.
            var samples: [(Double, Double)] = []
            for line in series {
                let points = zip(line.x, line.y).map { position($0, $1) }.filter { $0.0.isFinite && $0.1.isFinite }
                for (a, b) in zip(points, points.dropFirst()) {
                    let steps = max(1, Int(max(abs(b.0 - a.0), abs(b.1 - a.1)) / 4))
                    for s in 0..<steps {
                        let t = Double(s) / Double(steps)
                        samples.append((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t))
                    }
                }
                if let last = points.last { samples.append(last) }
            }
            let size = legend.size(canvas)
            legend.draw(in: canvas, at: bestLegendOrigin(size: size, plot: plot, samples: samples, obstacles: obstacles),
                        boxed: true)
        }
    }
}
