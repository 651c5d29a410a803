import ArgumentParser
import EmbedViz
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole tutorial study: train, inject noise, embed, PCA, t-SNE, UMAP, random-weights control, report.",
        discussion: """
            Stages: data → train the CNN (20 epochs; a cached run in OUT/train is reused when the data \
            and configuration are unchanged) → replace 1000 test images with uniform noise → embed → \
            PCA 2-D/3-D → t-SNE 2-D/3-D → UMAP 2-D (after t-SNE, from its own seed; --no-umap skips it and \
            leaves everything else as it was) → PCA and t-SNE 2-D for a random-weights model → figures \
            (PNG, plus SVG for charts and PDF for point clouds), interactive explorers (UMAP in the 2-D \
            one's map switch) and a self-contained report.html. --quick runs a small version.

            Examples:
              embedviz demo                       # the full study into runs/demo
              embedviz demo --quick --out /tmp/q  # a 20-second version
            """)

    @OptionGroup var data: DataOptions
    @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out = "runs/demo"
    @Flag(help: "A small, fast version (1 epoch on 3,000 images, 2,000 test images, shorter t-SNE, 200 UMAP epochs).") var quick = false
    @Option(help: "Training epochs.") var epochs = 20
    @Option(help: ArgumentHelp("A second image set the model never saw, in the MNIST file layout (28×28 grey; `make near-ood` fetches Animal-Shape): every detector is also measured on it (clean test images vs these), in a table beside the injected noise.",
                               valueName: "dir"))
    var nearOOD: String?
    @Option(help: "The near-OOD set's name in the report.") var nearOODName = "Animal-Shape (near-OOD)"
    @OptionGroup var umapOptions: UMAPStudyOptions
    @OptionGroup var common: CommonOptions

    func run() throws {
        common.apply()
        StopRequest.install()
        var options = TutorialStudy.Options()
        options.dataDirectory = data.data
        options.output = out
        options.quick = quick
        options.epochs = epochs
        options.umap = try umapOptions.parameters()
        options.shouldStop = { StopRequest.isSet }
        if let nearOOD {
            let images = try MNIST.load(.test, from: nearOOD)
            try Evaluation.validate(images, source: try MNIST.path(of: MNIST.Split.test.imagesFile, in: nearOOD))
            options.nearOOD = .init(name: nearOODName, images: images)
        }
        let line = ProgressLine(quiet: common.quiet)
        let summary = try TutorialStudy(options: options).run(events: studyProgress(line, common))
        line.finish()
        common.say(String(format: "test accuracy %.2f%%, t-SNE KL %.3f (2-D)%@; total %.1f s",
                          summary.accuracy * 100, summary.klDivergence2D,
                          summary.klDivergence3D.map { String(format: ", %.3f (3-D)", $0) } ?? "",
                          summary.stages.map(\.seconds).reduce(0, +)))
        common.say("report: \(summary.report)")
        try common.writeSummary(summary)
    }
}

/// Prints a study's events: each stage's start and end, training, t-SNE and UMAP progress (with ETA).
func studyProgress(_ line: ProgressLine, _ common: CommonOptions) -> (StudyEvent) -> Void {
    { event in
        switch event {
        case .stageStarted(let name):
            line.finish()
            common.say("▶ \(name)")
        case .stageFinished(let stage):
            line.finish()
            common.say(String(format: "✓ %@ (%.1f s)%@", stage.name, stage.seconds, stage.detail.isEmpty ? "" : " — " + stage.detail))
        case .trainingProgress(let p):
            line.update(String(format: "  epoch %d/%d  step %d/%d  loss %.4f  %.0f img/s  ETA %.0f s",
                               p.epoch, p.epochs, p.step, p.steps, p.loss, p.imagesPerSecond, p.etaSeconds))
        case .epochFinished(let m, let isBest):
            line.finish()
            common.say(String(format: "  epoch %2d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.1f s%@",
                              m.epoch, m.trainLoss, m.trainAccuracy, m.validationLoss, m.validationAccuracy, m.seconds,
                              isBest ? "  *best" : ""))
        case .tsneProgress(let p, _):
            line.update("  t-SNE \(p.phase.rawValue) \(p.done)/\(p.total)" + (p.kl.map { String(format: "  KL %.4f", $0) } ?? "")
                        + "  ETA " + formatDuration(p.etaSeconds))
        case .umapProgress(let p, _):
            line.update(p.phase == .optimisation ? "  UMAP epoch \(p.done)/\(p.total)  ETA " + formatDuration(p.etaSeconds)
                        : "  UMAP \(p.phase.rawValue)" + (p.neighbours.map { ": " + neighbourProgressText($0) } ?? ""))
        }
    }
}

extension Demo: RenamesLibraryParameters {
    static var libraryParameterFlags: [String: String] { UMAPStudyOptions.flags }
}
