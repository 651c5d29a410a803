import CCairo
import Foundation

/// A scree plot: the explained-variance ratio of each principal component as bars, the
/// cumulative ratio as a line over them, and a dotted guide where the cumulative ratio first
/// reaches `threshold` (e.g. "90% with 23 components").
public struct ScreeChart: Chart {
    /// Fraction of the total variance per component, largest first (PCA's `explainedVarianceRatio`).
    public var explainedVarianceRatio: [Double]
    /// Panel title.
    public var title: String?
    /// A second line under the title (e.g. what was fitted).
    public var subtitle: String?
    /// Cumulative fraction to mark with a guide line; nil for none.
    public var threshold: Double? = 0.9
    /// Value labels on the bars when there is room for them.
    public var showsValues = true

    /// A scree plot of `explainedVarianceRatio` (fractions, largest first).
    public init(explainedVarianceRatio: [Double], title: String? = "Explained variance", subtitle: String? = nil) {
        self.explainedVarianceRatio = explainedVarianceRatio
        self.title = title
        self.subtitle = subtitle
    }

    /// About 440 × 300 points of plot area plus title and axes.
    public var preferredSize: Size {
        Size(width: 70 + 20 + 440 + Theme.padding + 8,
             height: Header(title: title, subtitle: subtitle).height + 300 + AxesFrame.bottomMargin(hasLabel: true) + Theme.padding)
    }

    /// Draws title, axes, bars, cumulative line, guide and legend into `frame`.
    public func draw(in canvas: Canvas, frame: Rect) {
        let ratios = explainedVarianceRatio.map { $0.isFinite ? max(0, $0) : 0 }
        let k = ratios.count
        var cumulative: [Double] = []
        for r in ratios { cumulative.append((cumulative.last ?? 0) + r) }
        let header = Header(title: title, subtitle: subtitle)
        let top = frame.y + header.height
        let bottom = frame.maxY - Theme.padding - AxesFrame.bottomMargin(hasLabel: true)
        let upper = max(1, cumulative.last ?? 1) * 1.06
        var axes = AxesFrame(x: Axis(lower: 0, upper: 1, count: 1),
                             y: Axis(lower: 0, upper: upper, count: AxesFrame.tickCount(length: bottom - top, labelExtent: 14),
                                     format: .percent),
                             xLabel: "Principal component", yLabel: "Explained variance", grid: true)
        let left = frame.x + Theme.padding + axes.leftMargin(canvas) + 4
        let plot = Rect(x: left, y: top, width: max(10, frame.maxX - Theme.padding - 8 - left), height: max(10, bottom - top))
        let slot = plot.width / (Double(max(k, 1)) + 0.2)
        axes.x = k <= 12
            ? Axis(lower: 0.4, upper: Double(k) + 0.6, ticks: (0..<k).map { Double($0 + 1) })
            : Axis(lower: 0.4, upper: Double(k) + 0.6, count: AxesFrame.tickCount(length: plot.width, labelExtent: 20), integer: true)
        func px(_ component: Double) -> Double { axes.x.position(component, from: plot.x, to: plot.maxX) }
        func py(_ value: Double) -> Double { axes.y.position(value, from: plot.maxY, to: plot.y) }

        axes.drawGrid(in: canvas, plot: plot)
        let barColor = Palette.tab20[0], lineColor = Palette.tab20[2]
        let barWidth = slot * 0.78
        for (i, r) in ratios.enumerated() {
            let x = px(Double(i + 1))
            canvas.fill(Rect(x: x - barWidth / 2, y: py(r), width: barWidth, height: plot.maxY - py(r)), barColor, alpha: 0.85)
        }
        var obstacles: [Rect] = []
        if let threshold, let reached = cumulative.firstIndex(where: { $0 >= threshold - 1e-12 }) {
            let y = py(threshold)
            canvas.line(from: (plot.x, y), to: (plot.maxX, y), Theme.secondaryText, width: 0.9, dash: [1.5, 2.5])
            let count = reached + 1
            let label = "\(formatTick(threshold, step: 0.01, format: .percent)) with \(count) component\(count == 1 ? "" : "s")"
            let width = canvas.textWidth(label, .tick)
            // Left above the line unless the cumulative curve already rises through it there, then
            // right below it (bars are shortest on the right).
            let labelEnd = plot.x + 6 + width
            let crossesLeft = cumulative.indices.contains { px(Double($0 + 1)) <= labelEnd + 6 && py(cumulative[$0]) < y + 2 }
            let baseline = crossesLeft ? y + 4 + canvas.capHeight(.tick) : y - 5
            let x = crossesLeft ? plot.maxX - 6 - width : plot.x + 6
            canvas.fill(Rect(x: x - 2, y: baseline - canvas.capHeight(.tick) - 2, width: width + 4, height: canvas.capHeight(.tick) + 5),
                        Theme.background, alpha: 0.85)
            canvas.text(label, x: x, baseline: baseline, .tick, Theme.secondaryText)
            obstacles.append(Rect(x: x - 2, y: baseline - 12, width: width + 4, height: 16))
        }
        let cumulativePoints = cumulative.enumerated().map { (px(Double($0.offset + 1)), py($0.element)) }
        canvas.polyline(cumulativePoints, lineColor, width: 1.8)
        if k <= 40 {
            for (x, y) in cumulativePoints { canvas.disc(x: x, y: y, radius: 2.8, lineColor) }
        }

        // Bar values: inside the bar's top in white when they fit, else above it when the
        // cumulative line (which never dips below a bar: ratios come largest first) leaves room,
        // else left out.
        if showsValues {
            let font = Font(size: 9)
            let labels = ratios.map { formatTick($0, step: $0 >= 0.01 ? 0.001 : 0.0001, format: .percent) }
            let fitsAbove = canvas.maxTextWidth(labels, font) + 4 <= slot
            for (i, r) in ratios.enumerated() where r > 0 {
                let (x, barTop) = (px(Double(i + 1)), py(r))
                let width = canvas.textWidth(labels[i], font)
                let cap = canvas.capHeight(font)
                if width + 4 <= barWidth && plot.maxY - barTop >= cap + 8 {
                    canvas.text(labels[i], x: x, baseline: barTop + 4 + cap, font, Theme.background, align: .center)
                } else if fitsAbove {
                    // The line's lowest point over the label: at the label's left end (it only rises).
                    let previous = i > 0 ? cumulative[i - 1] : cumulative[i]
                    let t = min(1, (width / 2 + 2) / max(px(Double(i + 1)) - px(Double(i)), 1))
                    let lineAtLeft = py(cumulative[i] - (cumulative[i] - previous) * t)
                    let labelTop = barTop - 4 - cap
                    let clear = labelTop - 3 > lineAtLeft + 1.8 + (k <= 40 ? 2.8 : 0)
                    if clear && labelTop > plot.y + 2 {
                        canvas.text(labels[i], x: x, baseline: barTop - 4, font, Theme.text, align: .center)
                    }
                }
            }
        }
        axes.draw(in: canvas, plot: plot)
        header.draw(in: canvas, frame: frame, center: plot.midX)

        let legend = Legend(entries: [Legend.Entry("per component", marker: .swatch(barColor)),
                                      Legend.Entry("cumulative", marker: .line(lineColor, dashed: false, dot: k <= 40))])
        var samples = cumulativePoints
        for (i, r) in ratios.enumerated() {
            let x = px(Double(i + 1))
            var y = plot.maxY
            while y > py(r) { samples.append((x, y)); y -= 4 }
        }
        let size = legend.size(canvas)
        legend.draw(in: canvas, at: bestLegendOrigin(size: size, plot: plot, samples: samples, obstacles: obstacles), boxed: true)
    }
}
