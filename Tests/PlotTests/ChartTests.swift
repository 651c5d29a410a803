import Foundation
import Linalg
import TestSupport
import Testing
@testable import Plot

@Suite struct ChartTests {
    @Test("10,000-point scatter renders to PNG and SVG")
    func tenThousandPoints() throws {
        let sample = SampleEmbedding(count: 10_000, dimensions: 2)
        let figure = Figure(ScatterChart(points: sample.points, labels: sample.labels, classNames: SampleEmbedding.classNames,
                                         highlight: sample.isNoise, title: "10k"))
        #expect(pngSize(try figure.pngData()) != nil)
        #expect(try figure.data(.svg).count > 10_000 * 50)
    }

    @Test("points at the extremes are drawn whole: no marker is clipped by the plot area")
    func noClipping() throws {
        let points = Matrix([[0, 0], [10, 0], [0, 5], [10, 5]])
        var chart = ScatterChart(points: points, labels: [0, 0, 0, 0], classNames: ["a"], colors: [RGB(1, 0, 0)])
        chart.markerRadius = 8
        chart.opacity = 1
        chart.showsLegend = false
        var figure = Figure(chart)
        figure.scale = 1
        let image = try #require(decodePNG(try figure.pngData()))
        var red = 0
        for i in stride(from: 0, to: image.pixels.count, by: image.channels) {
            let (r, g, b) = (image.pixels[i], image.pixels[i + 1], image.pixels[i + 2])
            if r > 200 && g < 80 && b < 80 { red += 1 }
        }
        let expected = 4 * Double.pi * pow(8, 2)  // four discs of radius 8 pt at 1 px/pt
        #expect(abs(Double(red) - expected) / expected < 0.12, "\(red) red pixels, expected about \(Int(expected))")
    }

    @Test("padded limits leave room for the marker radius")
    func paddedLimitsCoverRadius() {
        for (length, radius) in [(400.0, 1.5), (400, 6), (120, 4)] {
            let (lo, hi) = paddedLimits(-3, 7, length: length, radius: radius)
            let pointsPerUnit = length / (hi - lo)
            #expect((-3 - lo) * pointsPerUnit >= radius + 1.4)
            #expect((hi - 7) * pointsPerUnit >= radius + 1.4)
        }
    }

    @Test("legend: one entry per class present with its count, then the highlighted points")
    func scatterLegend() {
        let labels = Array(repeating: 3, count: 1010) + [0, 0, 10]
        let points = Matrix(rows: labels.count, columns: 2) { i, j in Float(i * (j + 1) % 17) }
        var highlight = Array(repeating: false, count: labels.count)
        highlight[labels.count - 1] = true
        var chart = ScatterChart(points: points, labels: labels, classNames: SampleEmbedding.classNames, highlight: highlight)
        chart.legendTitle = "Predicted class"
        let legend = chart.legend
        #expect(legend.title == "Predicted class")
        #expect(legend.entries.map(\.label) == ["0", "3", "noise", "Noise"])
        #expect(legend.entries.map(\.detail) == ["(2)", "(1,010)", "(1)", "(1)"])
        #expect(legend.entries.last?.separated == true)
        #expect(legend.removingDetails().entries.allSatisfy { $0.detail == nil })
        #expect(legend.removingDetails().entries.map(\.label) == legend.entries.map(\.label))
    }

    @Test("labels beyond the class names are named by their number")
    func extraClasses() {
        let chart = ScatterChart(points: Matrix(rows: 2, columns: 2), labels: [0, 12], classNames: ["zero"])
        #expect(chart.legend.entries.map(\.label) == ["zero", "12"])
    }

    @Test("class colours: tab10 hues first, the noise class near-black")
    func classColors() {
        let colors = Palette.classColors(for: SampleEmbedding.classNames)
        #expect(colors.count == 11)
        #expect(Array(colors.prefix(10)) == stride(from: 0, to: 20, by: 2).map { Palette.tab20[$0] })
        #expect(colors[10] == Palette.outlier)
        #expect(Palette.classColors(for: (0..<12).map(String.init))[10] == Palette.tab20[1])
    }

    /// Reference values from Python's colorsys (standard library), computed once:
    /// `[round(255 * x) for x in colorsys.hls_to_rgb(((c * 137.508) % 360) / 360, l, s)]` with
    /// l = [0.42, 0.58, 0.30][c % 3], s = [0.75, 0.55][(c // 3) % 2].
    @Test("more than 20 classes: golden-angle HSL colours (as the explorer draws them), all distinct")
    func manyClassColors() {
        func bytes(_ c: RGB) -> [Int] { [c.red, c.green, c.blue].map { Int(($0 * 255).rounded()) } }
        let reference: [Int: [Int]] = [0: [187, 27, 27], 1: [68, 228, 114], 2: [86, 19, 134], 3: [166, 151, 48],
                                       7: [74, 68, 228], 119: [34, 119, 95]]
        let colors = Palette.classColors(for: (0..<120).map { "class \($0)" })
        for (c, rgb) in reference { #expect(bytes(colors[c]) == rgb, "class \(c)") }
        #expect(Set(colors.map(bytes)).count == 120)
        #expect(Palette.classColors(for: (0..<21).map(String.init) + ["noise"]).last == Palette.outlier)
    }

    @Test("a legend of 120 classes lists the 39 largest in label order and says how many are left")
    func manyClassLegend() {
        // Class c has c + 1 points: the 39 largest are 81…119.
        let labels = (0..<120).flatMap { Array(repeating: $0, count: $0 + 1) }
        let points = Matrix(rows: labels.count, columns: 2) { i, j in Float((i * (j + 3)) % 101) }
        let legend = ScatterChart(points: points, labels: labels, classNames: (0..<120).map { "c\($0)" }).legend
        #expect(legend.entries.count == 40)
        #expect(legend.entries.prefix(39).map(\.label) == (81..<120).map { "c\($0)" })
        let rest = (0..<81).reduce(0) { $0 + $1 + 1 }  // 3,321 points in the 81 unlisted classes
        #expect(legend.entries.last?.label == "81 more classes" && legend.entries.last?.detail == "(3,321)" && rest == 3321)
    }

    @Test("ticks are nice numbers inside the limits with tidy labels")
    func ticks() {
        let axis = Axis(lower: -47.3, upper: 52.1, count: 5)
        #expect(axis.ticks == [-40, -20, 0, 20, 40])
        #expect(axis.labels == ["\u{2212}40", "\u{2212}20", "0", "20", "40"])
        #expect(Axis(lower: 0, upper: 1.06, count: 5, format: .percent).labels == ["0%", "25%", "50%", "75%", "100%"])
        #expect(Axis(lower: 0.2, upper: 1.3, count: 5).labels == ["0.25", "0.50", "0.75", "1.00", "1.25"])
        #expect(Axis(lower: 0.5, upper: 4.5, count: 8, integer: true).ticks == [1, 2, 3, 4])
        #expect(formatCount(1010) == "1,010")
        #expect(formatCount(999) == "999")
        #expect(formatCount(1_234_567) == "1,234,567")
    }

    @Test("3-D scatter, viewpoints, training curves, line, scree and image grid all render")
    func everyChartRenders() throws {
        let cloud = SampleEmbedding(count: 500, dimensions: 3)
        let scatter3D = Scatter3DChart(points: cloud.points, labels: cloud.labels, classNames: SampleEmbedding.classNames,
                                       highlight: cloud.isNoise, title: "3-D", axisLabels: ["a", "b", "c"])
        let epochs = Array(1...5)
        let figures: [Figure] = [
            Figure(scatter3D),
            Figure.viewpoints(of: scatter3D),
            Figure.viewpoints(of: scatter3D, views: [(0, 0), (90, 90), (45, -30)]),
            Figure.trainingCurves(epochs: epochs, trainLoss: [1, 0.5, 0.3, 0.2, 0.15], validationLoss: [1, 0.6, 0.4, 0.45, 0.5],
                                  trainAccuracy: [0.7, 0.8, 0.9, 0.95, 0.97], validationAccuracy: [0.7, 0.8, 0.88, 0.87, 0.86],
                                  bestEpoch: 3),
            Figure.trainingCurves(epochs: epochs, trainLoss: [1, 0.5, 0.3, 0.2, 0.15], validationLoss: []),
            Figure(LineChart(series: [LineSeries(name: "KL", x: [1, 2, 3], y: [3, .nan, 1], color: Palette.tab20[0])])),
            Figure(ScreeChart(explainedVarianceRatio: [0.5, 0.3, 0.15, 0.05])),
            Figure(ScreeChart(explainedVarianceRatio: [])),
            Figure(ImageGrid(pixels: sampleImages(count: 12).pixels, height: 28, width: 28,
                             captions: (0..<12).map { "#\($0)\np=\($0 % 10)" }, columns: 5, title: "Images")),
        ]
        for figure in figures {
            let size = try #require(pngSize(try figure.pngData()))
            #expect(size.width > 200 && size.height > 150)
        }
    }

    @Test("image grid pixels are crisp squares: one image pixel is exactly pointsPerPixel × scale device pixels")
    func crispImages() throws {
        var image = [UInt8](repeating: 0, count: 28 * 28)
        image[5 * 28 + 9] = 255  // one white pixel in MNIST's convention, black once inverted
        let grid = ImageGrid(pixels: image, height: 28, width: 28)
        let png = try #require(decodePNG(try Figure(grid).pngData()))
        var dark: [(Int, Int)] = []
        for y in 0..<png.height {
            for x in 0..<png.width where png.pixels[(y * png.width + x) * png.channels] < 100 { dark.append((x, y)) }
        }
        #expect(dark.count == 16)  // 2 points per pixel × 2 device pixels per point, squared
        let xs = Set(dark.map(\.0)), ys = Set(dark.map(\.1))
        #expect(xs.count == 4 && ys.count == 4 && xs.max()! - xs.min()! == 3 && ys.max()! - ys.min()! == 3)
        #expect(dark.allSatisfy { png.pixels[($0.1 * png.width + $0.0) * png.channels] == 0 })
    }
}
