import Foundation
import Linalg
import Testing
@testable import Plot

/// Where the gallery goes: `EMBEDVIZ_PLOT_GALLERY=/some/dir swift test --filter Gallery` writes
/// one file of every figure kind there, to be looked at; without the variable it is skipped.
let galleryDirectory = ProcessInfo.processInfo.environment["EMBEDVIZ_PLOT_GALLERY"]

@Suite(.enabled(if: galleryDirectory != nil)) struct Gallery {
    let directory = galleryDirectory ?? "/tmp"

    func time(_ what: String, _ body: () throws -> Void) rethrows {
        let start = Date()
        try body()
        print(String(format: "gallery: %@ %.0f ms", what, Date().timeIntervalSince(start) * 1000))
    }

    func tsneLike(_ sample: SampleEmbedding, title: String = "t-SNE of the CNN embeddings") -> ScatterChart {
        var chart = ScatterChart(points: sample.points, labels: sample.labels, classNames: SampleEmbedding.classNames,
                                 highlight: sample.isNoise, title: title,
                                 subtitle: "perplexity 30, exaggeration 12 → 1, 750 iterations, KL 1.84",
                                 xLabel: "t-SNE 1", yLabel: "t-SNE 2")
        chart.legendTitle = "Predicted class"
        return chart
    }

    @Test func scatter2D() throws {
        let sample = SampleEmbedding(count: 10_000, dimensions: 2)
        let figure = Figure(tsneLike(sample))
        for format in FigureFormat.allCases {
            _ = try figure.data(format)  // warm-up: fonts, cairo's caches
            try time("10k scatter \(format) in memory") { _ = try figure.data(format) }
        }
        var oneX = figure
        oneX.scale = 1
        try time("10k scatter png at scale 1 in memory") { _ = try oneX.data(.png) }
        var hidden = sample
        hidden.points = Matrix(rows: 10_000, columns: 2, repeating: .nan)
        let empty = tsneLike(hidden)
        try time("axes and legend only, png in memory") { _ = try Figure(empty).data(.png) }
        for format in ["png", "svg", "pdf"] {
            try time("10k scatter \(format)") { try figure.write(to: "\(directory)/scatter2d.\(format)") }
        }
        let small = SampleEmbedding(count: 300, dimensions: 2, seed: 11)
        try Figure(tsneLike(small, title: "300 points")).write(to: "\(directory)/scatter2d_small.png")
    }

    @Test func comparison() throws {
        let trained = SampleEmbedding(count: 10_000, dimensions: 2)
        let random = SampleEmbedding(count: 10_000, dimensions: 2, spread: 5, seed: 9)
        var pca = tsneLike(random, title: "PCA")
        pca.subtitle = "PC1 12.4%, PC2 9.1% of variance"
        pca.xLabel = "PC 1"
        pca.yLabel = "PC 2"
        pca.equalAspect = true
        let tsne = tsneLike(trained, title: "t-SNE")
        try time("comparison png") {
            try Figure(title: "Trained model: PCA vs t-SNE", charts: [pca, tsne]).write(to: "\(directory)/comparison.png")
        }
        // Four panels sharing one legend, as the study's trained-vs-random figure.
        var panels = [tsne, pca, tsneLike(random, title: "t-SNE — random weights"), pca]
        for k in panels.indices { panels[k].showsLegend = false }
        try Figure(title: "Trained model vs random weights", rows: [[panels[0], panels[1]], [panels[2], panels[3]]],
                   legend: tsne.legend.removingDetails()).write(to: "\(directory)/grid.png")
    }

    @Test func scatter3D() throws {
        let sample = SampleEmbedding(count: 10_000, dimensions: 3)
        var chart = Scatter3DChart(points: sample.points, labels: sample.labels, classNames: SampleEmbedding.classNames,
                                   highlight: sample.isNoise, title: "t-SNE (3-D) of the CNN embeddings",
                                   subtitle: "perplexity 30", axisLabels: ["t-SNE 1", "t-SNE 2", "t-SNE 3"])
        chart.legendTitle = "Predicted class"
        try time("10k 3-D png") { try Figure(chart).write(to: "\(directory)/scatter3d.png") }
        try time("3-D viewpoints png") { try Figure.viewpoints(of: chart).write(to: "\(directory)/viewpoints.png") }
        try Figure.viewpoints(of: chart, views: [(-60, 30), (30, 20), (120, 60)]).write(to: "\(directory)/viewpoints3.png")
    }

    @Test func trainingCurves() throws {
        let epochs = Array(1...15)
        let trainLoss = epochs.map { 0.9 * exp(-Double($0) / 3) + 0.02 }
        let validationLoss = epochs.map { 0.85 * exp(-Double($0) / 3) + 0.05 + 0.004 * pow(max(0, Double($0) - 6), 1.6) }
        let trainAccuracy = epochs.map { 1 - 0.25 * exp(-Double($0) / 2.5) - 0.003 }
        let validationAccuracy = epochs.map { 0.985 - 0.22 * exp(-Double($0) / 2.5) - 0.0007 * max(0, Double($0) - 6) }
        try Figure.trainingCurves(epochs: epochs, trainLoss: trainLoss, validationLoss: validationLoss,
                                  trainAccuracy: trainAccuracy, validationAccuracy: validationAccuracy, bestEpoch: 7,
                                  title: "Tutorial CNN on MNIST (with 1,000 noise images)")
            .write(to: "\(directory)/training.png")
        let kl = (1...750).map { Double($0) }
        let trace = kl.map { $0 <= 250 ? 4 - 1.6 * (1 - exp(-$0 / 60)) : 1.9 - 0.1 * (1 - exp(-($0 - 250) / 150)) }
        let trace2 = trace.map { $0 * 1.05 + 0.02 }
        try Figure(LineChart(series: [LineSeries(name: "Barnes–Hut θ=0.5", x: kl, y: trace, color: Palette.tab20[0]),
                                      LineSeries(name: "exact", x: kl, y: trace2, color: Palette.tab20[2], dashed: true)],
                             title: "t-SNE optimisation", subtitle: "KL divergence per iteration",
                             xLabel: "Iteration", yLabel: "KL divergence",
                             markers: [VerticalMarker(x: 250, label: "exaggeration off", marksValues: false)], integerX: true))
            .write(to: "\(directory)/kl.png")
    }

    @Test func screePlots() throws {
        let ratios = (1...100).map { 0.14 * pow(Double($0), -0.9) }
        let total = ratios.reduce(0, +) * 1.02
        let normalised = ratios.map { $0 / total }
        try Figure(title: "PCA of the 100-d embeddings", charts: [
            ScreeChart(explainedVarianceRatio: Array(normalised.prefix(10)), title: "First 10 components"),
            ScreeChart(explainedVarianceRatio: normalised, title: "All 100 components"),
        ]).write(to: "\(directory)/scree.png")
    }

    @Test func imageGrids() throws {
        let images = sampleImages(count: 40)
        let captions = images.labels.enumerated().map { i, t in "#\(i * 37) t=\(t == 10 ? "n" : String(t)) p=\((t + i % 3) % 10)" }
        let colors = images.labels.enumerated().map { i, _ in i % 3 == 0 ? Theme.text : Palette.tab20[6] }
        var grid = ImageGrid(pixels: images.pixels, height: 28, width: 28, indices: Array(0..<20),
                             captions: Array(captions.prefix(20)), columns: 10, title: "Most outlying test images",
                             subtitle: "red: prediction ≠ target")
        grid.captionColors = Array(colors.prefix(20))
        for format in ["png", "svg", "pdf"] { try Figure(grid).write(to: "\(directory)/images.\(format)") }
        var plain = ImageGrid(pixels: images.pixels, height: 28, width: 28, indices: Array(0..<16),
                              captions: images.labels.prefix(16).map { "pred \($0)" }, columns: 8, title: "Predictions")
        plain.invert = false
        try Figure(plain).write(to: "\(directory)/images_dark.png")
        let atlas = ImageAtlas(pixels: sampleImages(count: 1000, noiseEvery: 10).pixels, height: 28, width: 28)
        try atlas.write(to: "\(directory)/atlas.png")
    }
}
