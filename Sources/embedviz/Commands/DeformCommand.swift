import ArgumentParser
import Datasets
import Foundation
import Linalg
import Plot

struct DeformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deform",
        abstract: "Make many new digits from MNIST's: random affine and elastic deformations (Simard et al. 2003, infiMNIST).",
        discussion: """
            Image i (i = --first … --first + --count − 1) is source image i mod N of --split, deformed by a \
            rotation, scale, horizontal shear and translation drawn uniformly from the ranges below, plus an \
            elastic distortion: a field of uniform(−1, 1) displacements smoothed by a Gaussian of \
            --elastic-sigma pixels and scaled by --elastic-alpha (bilinear resampling, zero outside). Each \
            image's random numbers come from (--seed, i) alone: the same seed gives the same bytes for any \
            --threads, and any range of indices can be made separately (--first) and concatenated.

            Writes OUT in the MNIST file layout, so every command that takes --data reads it:
              train-images-idx3-ubyte  --count×28×28 uint8 (t10k-… with --split test)
              train-labels-idx1-ubyte  the source images' labels
              deformation.json         the run record: parameters, seed, source, rule, time
            and with --preview a PNG grid of the first 100 deformed images.

            Examples:
              embedviz deform --count 1000000 --seed 0 --out runs/million/deformed --preview runs/million/deformed.png
              embedviz embed --checkpoint runs/demo/train/best.ckpt --data runs/million/deformed --split train --noise 0 --out runs/million/embed
            """)

    @OptionGroup var data: DataOptions
    @Option(help: "Which split's images to deform.") var split: MNIST.Split = .train
    @Option(help: "Deformed images to make.") var count: Int
    @Option(help: "Index of the first image to make (for a set made in parts).") var first = 0
    @Option(help: "Seed of the deformations.") var seed: UInt64 = 0
    @Option(help: "Largest rotation, degrees.") var maxRotation = DeformationParameters().maximumRotation
    @Option(help: "Largest relative change of size (scale in 1 ± this).") var maxScaleChange = DeformationParameters().maximumScaleChange
    @Option(help: "Largest horizontal shear factor k (x' = x + k·y).") var maxShear = DeformationParameters().maximumShear
    @Option(help: "Largest translation per axis, pixels.") var maxTranslation = DeformationParameters().maximumTranslation
    @Option(help: "Elastic strength α, pixels (0: no elastic distortion).") var elasticAlpha = DeformationParameters().elasticAlpha
    @Option(help: "Elastic smoothness σ, pixels.") var elasticSigma = DeformationParameters().elasticSigma
    @Option(help: ArgumentHelp("Output directory (MNIST file layout).", valueName: "dir")) var out: String
    @Option(help: ArgumentHelp("Also draw the first 100 deformed images into this figure (.png, .svg or .pdf).", valueName: "path"))
    var preview: String?
    @OptionGroup var common: CommonOptions

    /// The run record written beside the images.
    struct Record: Encodable {
        var source: String
        var sourceImages: Int
        var rule = "image i is source image (i mod source_images), deformed with the generator seeded from (seed, i)"
        var first: Int
        var count: Int
        var seed: UInt64
        var parameters: DeformationParameters
        var images: String
        var labels: String
        var preview: String?
        var threads: Int
        var seconds: Double
        var imagesPerSecond: Double
        var version = EmbedVizCommand.version
    }

    func parameters() -> DeformationParameters {
        var p = DeformationParameters()
        p.maximumRotation = maxRotation
        p.maximumScaleChange = maxScaleChange
        p.maximumShear = maxShear
        p.maximumTranslation = maxTranslation
        p.elasticAlpha = elasticAlpha
        p.elasticSigma = elasticSigma
        return p
    }

    func validate() throws {
        if count < 1 { throw EmbedVizError.input("must be at least 1, got \(count)", at: "--count") }
        if first < 0 { throw EmbedVizError.input("must be ≥ 0, got \(first)", at: "--first") }
        if let preview { _ = try FigureFormat(path: preview) }
    }

    func run() throws {
        common.apply()
        try parameters().validate()  // here, not in validate(): the error boundary names the flags of run()'s errors
        let source = try MNIST.load(split, from: data.data)
        let sourcePath = try MNIST.path(of: split.imagesFile, in: data.data)
        try OutputFile.createDirectory(out)
        StopRequest.install()
        let line = ProgressLine(quiet: common.quiet)
        let start = Date()
        let deformed = try Deformations.generate(from: source, indices: first..<(first + count), parameters: parameters(),
                                                 seed: seed) { done in
            try StopRequest.check("nothing was written to \(out)")
            let elapsed = Date().timeIntervalSince(start)
            let eta = elapsed / Double(done) * Double(count - done)
            line.update("deform: \(done.formatted())/\(count.formatted()) images  \(formatDuration(elapsed)), ETA \(formatDuration(eta))")
        }
        let seconds = Date().timeIntervalSince(start)
        line.finish()
        let images = out + "/" + split.imagesFile, labels = out + "/" + split.labelsFile
        try IDXArray.write(deformed.images, dimensions: [deformed.count, deformed.height, deformed.width], to: images)
        try IDXArray.write(deformed.labels, dimensions: [deformed.count], to: labels)
        if let preview {
            let shown = Array(0..<min(100, deformed.count))
            let captions = shown.map { "#\(first + $0) ← \(Deformations.sourceIndex(of: first + $0, sourceCount: source.count))" }
            var grid = ImageGrid(images: deformed, indices: shown, captions: captions, columns: 10,
                                 title: "Deformed MNIST digits (seed \(seed))",
                                 subtitle: String(format: "rotation ±%g°, scale 1 ± %g, shear ±%g, translation ±%g px, elastic α %g, σ %g px",
                                                  maxRotation, maxScaleChange, maxShear, maxTranslation, elasticAlpha, elasticSigma))
            grid.pointsPerPixel = 1.5
            try Figure(grid).write(to: preview)
        }
        let record = Record(source: sourcePath, sourceImages: source.count, first: first, count: count, seed: seed,
                            parameters: parameters(), images: images, labels: labels, preview: preview, threads: Threads.count,
                            seconds: seconds, imagesPerSecond: Double(count) / max(seconds, 1e-9))
        try JSONCoding.write(record, to: out + "/deformation.json")
        common.say(String(format: "%@ deformed %d×%d images of %@ in %.1f s (%.0f images/s, %d threads)", count.formatted(),
                          deformed.height, deformed.width, sourcePath, seconds, record.imagesPerSecond, Threads.count))
        common.say("wrote \(images), \(labels), \(out)/deformation.json\(preview.map { ", " + $0 } ?? "")")
        try common.writeSummary(record)
    }
}
