import ArgumentParser
import EmbedViz
import Foundation

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a 2-D or 3-D map (PNG, SVG or PDF), an interactive HTML explorer, or training curves.",
        discussion: """
            Points are coloured by the predicted class from --metadata (or by the target with \
            --color-by target); injected noise (is_noise) is ringed. A 3-D map is drawn from four \
            viewpoints. --explorer also writes a self-contained HTML page (hover shows each point's \
            image when --images is given).

            Examples:
              embedviz plot --input tsne2d.npy --metadata metadata.tsv --output tsne2d.png
              embedviz plot --input tsne3d.npy --metadata metadata.tsv --output tsne3d.pdf --color-by target
              embedviz plot --input tsne2d.npy --metadata metadata.tsv --explorer map.html --images images-idx3-ubyte
              embedviz plot --training runs/cnn/metrics.json --output curves.svg
            """)

    enum ColorBy: String, ExpressibleByArgument, CaseIterable { case prediction, target }

    @Option(name: .shortAndLong, help: ArgumentHelp("An N×2 or N×3 map (NPY, CSV/TSV).", valueName: "path")) var input: String?
    @Option(help: ArgumentHelp("metadata.tsv for the points (from `embedviz embed`).", valueName: "path")) var metadata: String?
    @Option(help: "Colour by the predicted class or by the target.") var colorBy: ColorBy = .prediction
    @Option(name: .shortAndLong, help: ArgumentHelp("The figure: .png, .svg or .pdf.", valueName: "path")) var output: String?
    @Option(help: ArgumentHelp("Also write an interactive HTML explorer.", valueName: "path")) var explorer: String?
    @Option(help: ArgumentHelp("The points' images for the explorer (IDX, N×H×W uint8, image r for row r: embed's images-idx3-ubyte).", valueName: "path")) var images: String?
    @Option(help: ArgumentHelp("Training curves from a run's metrics.json instead of a map.", valueName: "path")) var training: String?
    @Option(help: "Figure title.") var title: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if (input == nil) == (training == nil) { throw ValidationError("give either --input MAP or --training metrics.json") }
        if output == nil && explorer == nil { throw ValidationError("give --output PATH and/or --explorer PATH") }
        if training != nil && explorer != nil { throw ValidationError("--explorer draws maps, not training curves") }
    }

    struct Summary: Encodable {
        var input: String?
        var training: String?
        var metadata: String?
        /// Points of a map, epochs of training curves.
        var points: Int?
        var dimensions: Int?
        var epochs: Int?
        var bestEpoch: Int?
        var colorBy: String?
        var output: String?
        var explorer: String?
        var seconds: Double
    }

    func run() throws {
        common.apply()
        let start = Date()
        if let training {
            let (epochs, best) = try TrainingRun.readMetrics(training)
            try Figure.trainingCurves(epochs: epochs.map(\.epoch), trainLoss: epochs.map(\.trainLoss),
                                      validationLoss: epochs.map(\.validationLoss), trainAccuracy: epochs.map(\.trainAccuracy),
                                      validationAccuracy: epochs.map(\.validationAccuracy), bestEpoch: best,
                                      title: title ?? "Training curves").write(to: output!)
            common.say("wrote \(output!)")
            try common.writeSummary(Summary(training: training, epochs: epochs.count, bestEpoch: best, output: output,
                                            seconds: Date().timeIntervalSince(start)))
            return
        }
        let points = try MatrixReader.read(input!)
        guard points.columns == 2 || points.columns == 3 else {
            throw EmbedVizError.input("maps have 2 or 3 columns, this one has \(points.columns)", at: input!)
        }
        // The figure needs the tutorial's labels; the explorer alone takes any table (its own reader below).
        let meta = try metadata.flatMap { output == nil ? nil : try EmbeddingMetadata.read($0) } ?? EmbeddingMetadata(
            index: Array(0..<points.rows), target: Array(repeating: 0, count: points.rows),
            prediction: Array(repeating: 0, count: points.rows), confidence: Array(repeating: 1, count: points.rows),
            isNoise: Array(repeating: false, count: points.rows))
        guard meta.count == points.rows else {
            throw EmbedVizError.input("\(meta.count) metadata rows for \(points.rows) points", at: metadata!)
        }
        // Labels index the palette and the legend: kept as they are up to 255; larger (sparse) ids
        // are renumbered in order, each still named by its id, so a huge label allocates nothing by its value.
        var labels = colorBy == .prediction ? meta.prediction : meta.target
        let largest = labels.max() ?? 0
        let names: [String]
        if largest < 256 {
            names = (0..<max(11, largest + 1)).map { $0 == 10 ? "noise" : String($0) }
        } else {
            let ids = Set(labels).sorted()
            let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            labels = labels.map { position[$0]! }
            names = ids.map { $0 == 10 ? "noise" : String($0) }
        }
        let highlight = meta.isNoise.contains(true) ? meta.isNoise : nil
        let heading = title ?? "\((input! as NSString).lastPathComponent), coloured by \(colorBy.rawValue)"
        if let output {
            let figure: Figure
            if points.columns == 2 {
                figure = Figure(ScatterChart(points: points, labels: labels, classNames: names, highlight: highlight,
                                             highlightName: "Injected noise", title: heading))
            } else {
                figure = Figure.viewpoints(of: Scatter3DChart(points: points, labels: labels, classNames: names, highlight: highlight,
                                                              highlightName: "Injected noise", title: heading), title: heading)
            }
            try figure.write(to: output)
            common.say("wrote \(output)")
        }
        if let explorer {
            var pictures: ExplorerImages?
            if let images {
                let array = try IDXArray.read(images)
                // One rule (as `export projector`): image r is the image of row r of the map, so the file
                // holds one image per row, in row order — what `embed` writes, with or without --sample.
                let rgb = array.dimensions.count == 4 && array.dimensions[3] == 3
                guard array.elementType == .uint8, array.dimensions.count == 3 || rgb else {
                    throw EmbedVizError.input("expected N×height×width (grey) or N×height×width×3 (RGB) uint8 images", at: images)
                }
                guard array.dimensions[0] == points.rows else {
                    throw EmbedVizError.input("\(array.dimensions[0]) images for \(points.rows) points: the explorer shows image r for row r, so it needs one image per row, in row order (the images-idx3-ubyte that `embedviz embed` wrote with the embeddings)", at: images)
                }
                pictures = ExplorerImages(pixels: array.payload, count: points.rows, height: array.dimensions[1],
                                          width: array.dimensions[2], channels: rgb ? 3 : 1)
            }
            // Every column of the metadata file as it is (nothing invented: no file, row numbers only).
            let columns = try metadata.map { try ExplorerColumn.read(table: $0) } ?? []
            if let metadata, let first = columns.first, first.count != points.rows {
                throw EmbedVizError.input("\(first.count) metadata rows for \(points.rows) points", at: metadata)
            }
            let names = columns.map(\.name)
            let colorColumn = names.contains(colorBy.rawValue) ? colorBy.rawValue
                : columns.first { if case .text = $0.values { return true } else { return false } }?.name
            let highlight = ["is_noise", "is_outlier", "outlier"].first { names.contains($0) }
            var page = Explorer(ExplorerData(projections: [ExplorerProjection(name: "map", points: points)], columns: columns,
                                             colorColumn: colorColumn, highlightColumn: highlight),
                                title: title ?? "\((input! as NSString).lastPathComponent)" + (colorColumn.map { ", coloured by \($0)" } ?? ""),
                                subtitle: "\(points.rows) points" + (colorColumn.map { ", coloured by \($0)" } ?? (metadata == nil ? " (no metadata)" : "")))
            page.data.images = pictures
            try page.write(to: explorer)
            common.say("wrote \(explorer)")
        }
        try common.writeSummary(Summary(input: input, metadata: metadata, points: points.rows, dimensions: points.columns,
                                        colorBy: colorBy.rawValue, output: output, explorer: explorer,
                                        seconds: Date().timeIntervalSince(start)))
    }
}
