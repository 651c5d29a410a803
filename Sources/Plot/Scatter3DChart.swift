import CCairo
import Foundation
import Linalg

/// A 3-D scatter of labelled points seen in perspective from a given azimuth and elevation.
///
/// Coordinates are scaled into a cube (each axis to its own range, like matplotlib's 3-D axes,
/// unless `equalAspect`), whose twelve edges are drawn lightly as a frame. Points are sorted by
/// depth and drawn far to near; farther points are smaller, paler and more transparent, so the
/// depth reads without rotation. Highlighted points are ringed and drawn after all others.
/// Classes, colours and legend are those of `ScatterChart`.
public struct Scatter3DChart: Chart {
    /// N × 3 coordinates.
    public let points: Matrix
    var classes: PointClasses
    /// Panel title.
    public var title: String?
    /// A second line under the title (e.g. the method's parameters).
    public var subtitle: String?
    /// Names of the three axes, written beside the cube's edges (e.g. "PC1", "PC2", "PC3").
    public var axisLabels: [String]
    /// Degrees around the vertical (third) axis, measured from the first axis; matplotlib's
    /// default is −60.
    public var azimuth: Double
    /// Degrees above the plane of the first two axes (90 looks straight down).
    public var elevation: Double
    /// Camera distance from the cube's centre in half-edges; smaller exaggerates perspective.
    public var cameraDistance = 5.0
    /// The legend's heading (e.g. "Predicted class").
    public var legendTitle: String?
    /// Whether to draw the legend (off for small multiples with a figure-level legend).
    public var showsLegend = true
    /// Marker radius in points at the cube's centre; nil adapts it to the number of points.
    public var markerRadius: Double?
    /// Opacity of the nearest points 0…1; nil adapts it to the number of points.
    public var opacity: Double?
    /// Scale all axes alike (the cube becomes a box of the data's proportions in its largest axis).
    public var equalAspect = false

    /// - Parameters: as for `ScatterChart`, with `points` N × 3, and the viewpoint in degrees.
    public init(points: Matrix, labels: [Int], classNames: [String], highlight: [Bool]? = nil,
                highlightName: String = "Noise", colors: [RGB]? = nil, title: String? = nil,
                subtitle: String? = nil, axisLabels: [String] = ["x", "y", "z"],
                azimuth: Double = -60, elevation: Double = 30) {
        precondition(points.columns == 3, "a 3-D scatter needs N×3 points, got \(points.rows)×\(points.columns)")
        precondition(labels.count == points.rows, "\(labels.count) labels for \(points.rows) points")
        precondition(axisLabels.count == 3, "three axis labels")
        self.points = points
        self.classes = PointClasses(labels: labels, classNames: classNames, colors: colors,
                                    highlight: highlight, highlightName: highlightName)
        self.title = title
        self.subtitle = subtitle
        self.axisLabels = axisLabels
        self.azimuth = azimuth
        self.elevation = elevation
    }

    /// The legend this chart draws: classes with their counts, then the highlighted points.
    public var legend: Legend { classes.legend(title: legendTitle) }

    /// 440 points wide for the cube and its axis names, as tall as the cube's outline needs from
    /// this viewpoint, plus title and legend.
    public var preferredSize: Size {
        Canvas.measuring { canvas in
            let legendSize = showsLegend ? legend.size(canvas) : Size(width: 0, height: 0)
            let header = Header(title: title, subtitle: subtitle).height
            let (labelWidth, labelHeight) = labelRoom(canvas)
            let outline = cubeOutline
            let cubeWidth = 440 - 2 * labelWidth
            let height = max(cubeWidth * (outline.maxY - outline.minY) / (outline.maxX - outline.minX) + 2 * labelHeight,
                             legendSize.height + 10, 200)
            return Size(width: 2 * Theme.padding + 440 + (showsLegend ? legendSize.width + 22 : 0),
                        height: header + height + Theme.padding)
        }
    }

    /// Room kept on each side of the cube's outline for the axis names.
    private func labelRoom(_ canvas: Canvas) -> (width: Double, height: Double) {
        (canvas.maxTextWidth(axisLabels, .axisLabel) + 12, Font.axisLabel.lineHeight + 12)
    }

    /// The cube's eight corners (coordinates ±1).
    private static let corners = (0..<8).map {
        SIMD3<Double>($0 & 1 == 0 ? -1 : 1, $0 & 2 == 0 ? -1 : 1, $0 & 4 == 0 ? -1 : 1)
    }

    /// The bounds of the projected cube, in cube units (y up).
    private var cubeOutline: (minX: Double, maxX: Double, minY: Double, maxY: Double) {
        let projected = Self.corners.map(project)
        let (minX, maxX) = finiteRange(projected.map(\.x))!
        let (minY, maxY) = finiteRange(projected.map(\.y))!
        return (minX, maxX, minY, maxY)
    }

    /// The view: camera direction `d`, screen right `r` and up `u` (unit vectors, data in the cube).
    private var basis: (d: SIMD3<Double>, r: SIMD3<Double>, u: SIMD3<Double>) {
        let az = azimuth * .pi / 180, el = elevation * .pi / 180
        return (SIMD3(cos(el) * cos(az), cos(el) * sin(az), sin(el)),
                SIMD3(-sin(az), cos(az), 0),
                SIMD3(-sin(el) * cos(az), -sin(el) * sin(az), cos(el)))
    }

    /// Perspective projection of a cube point: screen offset (x right, y up, in cube units at the
    /// centre's depth), its distance from the camera, and the perspective factor.
    private func project(_ p: SIMD3<Double>) -> (x: Double, y: Double, depth: Double, factor: Double) {
        let (d, r, u) = basis
        let depth = cameraDistance - (p * d).sum()
        let factor = cameraDistance / depth
        return ((p * r).sum() * factor, (p * u).sum() * factor, depth, factor)
    }

    /// Draws title, cube, points, axis names and legend into `frame`.
    public func draw(in canvas: Canvas, frame: Rect) {
        let header = Header(title: title, subtitle: subtitle)
        let legend = showsLegend ? self.legend : nil
        let top = frame.y + header.height
        let bottom = frame.maxY - Theme.padding
        let legendSize = legend?.size(canvas, maxHeight: bottom - top) ?? Size(width: 0, height: 0)
        let right = frame.maxX - Theme.padding - (legend == nil ? 0 : legendSize.width + 22)
        let area = Rect(x: frame.x + Theme.padding, y: top, width: max(10, right - frame.x - Theme.padding),
                        height: max(10, bottom - top))

        // Cube normalisation: coordinate c ↦ (c − centre) / half-range.
        var centre = SIMD3<Double>(0, 0, 0), half = SIMD3<Double>(1, 1, 1)
        for k in 0..<3 {
            let (lo, hi) = finiteRange((0..<points.rows).lazy.map { Double(self.points[$0, k]) }) ?? (-1, 1)
            centre[k] = (lo + hi) / 2
            half[k] = hi > lo ? (hi - lo) / 2 : 1
        }
        if equalAspect { half = SIMD3(repeating: half.max()) }

        // Fit the projected cube, with room for the axis labels around it.
        let projected = Self.corners.map(project)
        let (minX, maxX, minY, maxY) = cubeOutline
        let room = labelRoom(canvas)
        let scale = min((area.width - 2 * room.width) / (maxX - minX), (area.height - 2 * room.height) / (maxY - minY))
        let cx = area.midX - scale * (minX + maxX) / 2, cy = area.midY + scale * (minY + maxY) / 2
        func screen(_ p: (x: Double, y: Double, depth: Double, factor: Double)) -> (Double, Double) {
            (cx + p.x * scale, cy - p.y * scale)
        }

        // The cube's edges: pairs of corners that differ in one coordinate.
        let edgeColor = RGB(hex: 0xb0b0b0)
        var edgesByAxis: [[(Int, Int)]] = [[], [], []]
        for a in 0..<8 {
            for k in 0..<3 where a & (1 << k) == 0 { edgesByAxis[k].append((a, a | (1 << k))) }
        }
        for (a, b) in edgesByAxis.joined() {
            canvas.line(from: screen(projected[a]), to: screen(projected[b]), edgeColor, width: 0.7)
        }

        // Points far to near, highlighted ones among them (a near cluster hides a far outlier).
        let n = points.rows
        var screenX = [Double](repeating: .nan, count: n), screenY = screenX, depth = screenX, factor = screenX
        points.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let v = (SIMD3(Double(p[3 * i]), Double(p[3 * i + 1]), Double(p[3 * i + 2])) - centre) / half
                guard v.x.isFinite && v.y.isFinite && v.z.isFinite else { continue }
                let q = project(v)
                (screenX[i], screenY[i]) = screen(q)
                (depth[i], factor[i]) = (q.depth, q.factor)
            }
        }
        let highlight = classes.highlight
        let order = (0..<n).filter { depth[$0].isFinite }.sorted { depth[$0] > depth[$1] }
        let (near, far) = finiteRange(depth) ?? (0, 1)
        let radius = markerRadius ?? PointClasses.markerRadius(count: n, area: scale * scale * 3.2)
        let alpha = opacity ?? PointClasses.opacity(count: n)
        let white = RGB(1, 1, 1)
        for i in order {
            let t = far > near ? (depth[i] - near) / (far - near) : 0  // 0 nearest … 1 farthest
            let base = classes.colors[classes.labels[i]]
            let fade = 0.5 * t
            let color = RGB(base.red + (white.red - base.red) * fade, base.green + (white.green - base.green) * fade,
                            base.blue + (white.blue - base.blue) * fade)
            if highlight?[i] == true {
                drawHighlight(in: canvas, x: screenX[i], y: screenY[i],
                              radius: PointClasses.highlightRadius(markerRadius: radius) * factor[i],
                              fill: color, alpha: 0.9 - 0.3 * t)
            } else {
                canvas.disc(x: screenX[i], y: screenY[i], radius: radius * factor[i], color, alpha: alpha * (1 - 0.4 * t))
            }
        }

        // Axis names beside one outline edge each (the lowest on screen for the two horizontal
        // axes, the leftmost for the vertical one), outside the cube and clear of each other.
        let corners2D = projected.map(screen)
        var placed: [Rect] = []
        for k in 0..<3 {
            let label = axisLabels[k]
            let (halfWidth, halfHeight) = (canvas.textWidth(label, .axisLabel) / 2, canvas.capHeight(.axisLabel) / 2 + 2)
            var candidates: [(x: Double, y: Double, score: Double)] = []
            for (a, b) in edgesByAxis[k] {
                let (p, q) = (corners2D[a], corners2D[b])
                let (ex, ey) = (q.0 - p.0, q.1 - p.1)
                let length = (ex * ex + ey * ey).squareRoot()
                guard length > 1 else { continue }
                // An outline edge has every other corner on one side; its normal points away from them.
                let sides = corners2D.indices.filter { $0 != a && $0 != b }.map { c -> Double in
                    ex * (corners2D[c].1 - p.1) - ey * (corners2D[c].0 - p.0)
                }
                guard sides.allSatisfy({ $0 <= 1e-6 }) || sides.allSatisfy({ $0 >= -1e-6 }) else { continue }
                let inside = sides.reduce(0, +) > 0 ? 1.0 : -1.0
                let (nx, ny) = (inside * ey / length, -inside * ex / length)
                let push = 8 + abs(nx) * halfWidth + abs(ny) * halfHeight
                let (mx, my) = ((p.0 + q.0) / 2 + nx * push, (p.1 + q.1) / 2 + ny * push)
                candidates.append((mx, my, k == 2 ? -mx : my))
            }
            let boxes = candidates.sorted { $0.score > $1.score }.map {
                Rect(x: $0.x - halfWidth - 3, y: $0.y - halfHeight - 3, width: 2 * halfWidth + 6, height: 2 * halfHeight + 6)
            }
            guard let box = boxes.first(where: { box in !placed.contains { $0.intersects(box) } }) ?? boxes.first else { continue }
            placed.append(box)
            canvas.text(label, x: box.midX, centerY: box.midY, .axisLabel, Theme.secondaryText, align: .center)
        }
        header.draw(in: canvas, frame: frame, center: area.midX)
        legend?.draw(in: canvas, at: (right + 22, top), maxHeight: bottom - top)
    }
}

extension Figure {
    /// Small multiples of one 3-D scatter from several viewpoints, with one shared legend.
    /// - Parameters:
    ///   - chart: the scatter; its title becomes the figure's title unless `title` is given.
    ///   - views: (azimuth, elevation) in degrees; 3–4 read best.
    ///   - columns: panels per row; default 2 for four views, else all in one row.
    public static func viewpoints(
        of chart: Scatter3DChart,
        views: [(azimuth: Double, elevation: Double)] = [(-60, 30), (30, 30), (120, 30), (-60, 75)],
        columns: Int? = nil, title: String? = nil
    ) -> Figure {
        let panels: [any Chart] = views.map { view in
            var panel = chart
            panel.azimuth = view.azimuth
            panel.elevation = view.elevation
            panel.showsLegend = false
            panel.title = "azimuth \(formatAngle(view.azimuth)), elevation \(formatAngle(view.elevation))"
            panel.subtitle = nil
            return panel
        }
        var figure = Figure(title: title ?? chart.title, charts: panels,
                            columns: columns ?? (views.count == 4 ? 2 : views.count), legend: chart.legend)
        if let subtitle = chart.subtitle, figure.title != nil { figure.title! += " — " + subtitle }
        return figure
    }
}

private func formatAngle(_ degrees: Double) -> String {
    (degrees == degrees.rounded() ? String(Int(degrees)) : String(format: "%.1f", degrees))
        .replacingOccurrences(of: "-", with: "\u{2212}") + "°"
}
