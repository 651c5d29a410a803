import CCairo
import Linalg

/// A 2-D scatter of labelled points (e.g. a PCA or t-SNE projection), coloured by class, with
/// highlighted points (e.g. injected noise images) ringed and drawn on top, axis ticks, and a
/// legend with each class's count to the right of the plot, where it covers no points.
///
/// Points are filled one by one, so overlaps blend; marker size and opacity adapt to the number
/// of points (10,000 points stay separable). Non-finite points are skipped.
public struct ScatterChart: Chart {
    /// N × 2 coordinates.
    public let points: Matrix
    var classes: PointClasses
    /// Panel title, e.g. "t-SNE of the trained model's embeddings".
    public var title: String?
    /// A second line under the title, e.g. the method's parameters.
    public var subtitle: String?
    /// X axis name (e.g. "t-SNE 1", "PC 1 (12.4%)").
    public var xLabel: String?
    /// Y axis name.
    public var yLabel: String?
    /// The legend's heading (e.g. "Predicted class").
    public var legendTitle: String?
    /// Whether to draw the legend (off for small multiples with a figure-level legend).
    public var showsLegend = true
    /// Marker radius in points; nil adapts it to the number of points.
    public var markerRadius: Double?
    /// Marker opacity 0…1; nil adapts it to the number of points.
    public var opacity: Double?
    /// One data unit has the same length on both axes (the limits of the shorter axis grow).
    public var equalAspect = false

    /// - Parameters:
    ///   - points: N × 2 coordinates.
    ///   - labels: the class of each point (0-based; the index into `classNames`).
    ///   - classNames: the name of each class; labels beyond it are named by their number.
    ///   - highlight: N flags; flagged points get a dark ring and are drawn last.
    ///   - highlightName: the legend entry for highlighted points.
    ///   - colors: one colour per class; default `Palette.classColors(for: classNames)`.
    public init(points: Matrix, labels: [Int], classNames: [String], highlight: [Bool]? = nil,
                highlightName: String = "Noise", colors: [RGB]? = nil, title: String? = nil,
                subtitle: String? = nil, xLabel: String? = nil, yLabel: String? = nil) {
        precondition(points.columns == 2, "a 2-D scatter needs N×2 points, got \(points.rows)×\(points.columns)")
        precondition(labels.count == points.rows, "\(labels.count) labels for \(points.rows) points")
        self.points = points
        self.classes = PointClasses(labels: labels, classNames: classNames, colors: colors,
                                    highlight: highlight, highlightName: highlightName)
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The legend this chart draws: classes with their counts, then the highlighted points.
    public var legend: Legend { classes.legend(title: legendTitle) }

    /// About 460 × 440 points of plot area plus title, axes and legend.
    public var preferredSize: Size {
        let legendWidth = showsLegend ? Canvas.measuring { legend.size($0).width } + 22 : 0
        let header = Header(title: title, subtitle: subtitle).height
        return Size(width: 70 + (yLabel == nil ? 0 : 20) + 460 + legendWidth + Theme.padding,
                    height: header + 440 + AxesFrame.bottomMargin(hasLabel: xLabel != nil) + Theme.padding)
    }

    /// Draws title, axes, points and legend into `frame`.
    public func draw(in canvas: Canvas, frame: Rect) {
        let header = Header(title: title, subtitle: subtitle)
        let legend = showsLegend ? self.legend : nil
        let top = frame.y + header.height
        let bottom = frame.maxY - Theme.padding - AxesFrame.bottomMargin(hasLabel: xLabel != nil)
        let legendSize = legend?.size(canvas, maxHeight: bottom - top) ?? Size(width: 0, height: 0)
        let right = frame.maxX - Theme.padding - (legend == nil ? 0 : legendSize.width + 22)

        let xs = (0..<points.rows).lazy.map { Double(self.points[$0, 0]) }
        let ys = (0..<points.rows).lazy.map { Double(self.points[$0, 1]) }
        let xRange = finiteRange(xs) ?? (0, 1), yRange = finiteRange(ys) ?? (0, 1)

        // Axes: the plot's height is known first; its width depends on the y tick labels.
        let approximateArea = (right - frame.x - 70) * (bottom - top)
        let radius = markerRadius ?? PointClasses.markerRadius(count: points.rows, area: approximateArea)
        let highlightRadius = PointClasses.highlightRadius(markerRadius: radius)
        let edge = classes.highlightedCount > 0 ? highlightRadius + 1 : radius
        var yLimits = paddedLimits(yRange.0, yRange.1, length: bottom - top, radius: edge)
        var yAxis = Axis(lower: yLimits.0, upper: yLimits.1,
                         count: AxesFrame.tickCount(length: bottom - top, labelExtent: 14))
        var axes = AxesFrame(x: yAxis, y: yAxis, xLabel: xLabel, yLabel: yLabel)
        let left = frame.x + Theme.padding + axes.leftMargin(canvas) + 4
        var plot = Rect(x: left, y: top, width: max(10, right - left), height: max(10, bottom - top))
        var xLimits = paddedLimits(xRange.0, xRange.1, length: plot.width, radius: edge)
        if equalAspect {
            let unitsPerPoint = max((xLimits.1 - xLimits.0) / plot.width, (yLimits.1 - yLimits.0) / plot.height)
            let (cx, cy) = ((xLimits.0 + xLimits.1) / 2, (yLimits.0 + yLimits.1) / 2)
            xLimits = (cx - unitsPerPoint * plot.width / 2, cx + unitsPerPoint * plot.width / 2)
            yLimits = (cy - unitsPerPoint * plot.height / 2, cy + unitsPerPoint * plot.height / 2)
            yAxis = Axis(lower: yLimits.0, upper: yLimits.1, count: AxesFrame.tickCount(length: plot.height, labelExtent: 14))
        }
        let xProbe = Axis(lower: xLimits.0, upper: xLimits.1, count: 6)
        let xAxis = Axis(lower: xLimits.0, upper: xLimits.1,
                         count: AxesFrame.tickCount(length: plot.width, labelExtent: canvas.maxTextWidth(xProbe.labels, .tick)))
        axes = AxesFrame(x: xAxis, y: yAxis, xLabel: xLabel, yLabel: yLabel)
        plot.x = frame.x + Theme.padding + axes.leftMargin(canvas) + 4
        plot.width = max(10, right - plot.x)

        // Data → points: px = x0 + x·sx, py = y0 + y·sy.
        let sx = plot.width / (xAxis.upper - xAxis.lower), sy = -plot.height / (yAxis.upper - yAxis.lower)
        let x0 = plot.x - xAxis.lower * sx, y0 = plot.maxY - yAxis.lower * sy
        let alpha = opacity ?? PointClasses.opacity(count: points.rows)
        let colors = classes.colors, labels = classes.labels
        let highlight = classes.highlight
        canvas.withClip(plot) {
            points.withUnsafeBufferPointer { p in
                for i in 0..<points.rows where highlight?[i] != true {
                    let (x, y) = (Double(p[2 * i]), Double(p[2 * i + 1]))
                    guard x.isFinite && y.isFinite else { continue }
                    canvas.disc(x: x0 + x * sx, y: y0 + y * sy, radius: radius, colors[labels[i]], alpha: alpha)
                }
                guard let highlight else { return }
                for i in 0..<points.rows where highlight[i] {
                    let (x, y) = (Double(p[2 * i]), Double(p[2 * i + 1]))
                    guard x.isFinite && y.isFinite else { continue }
                    drawHighlight(in: canvas, x: x0 + x * sx, y: y0 + y * sy, radius: highlightRadius,
                                  fill: colors[labels[i]], alpha: 0.9)
                }
            }
        }
        axes.draw(in: canvas, plot: plot)
        header.draw(in: canvas, frame: frame, center: plot.midX)
        legend?.draw(in: canvas, at: (plot.maxX + 22, plot.y), maxHeight: plot.height)
    }
}
