import Datasets
import Foundation
import Linalg
import NeuralNet
import Projection

/// The reference tutorial's whole study in one call: train the CNN (or reuse a cached run), inject
/// noise images into the test set, embed them with the trained model and with random weights, then
/// the generic stages — project (PCA and t-SNE, 2-D and 3-D), measure, test t-SNE's stability, draw,
/// and write a self-contained report.
public struct TutorialStudy: Sendable {
    public struct Options: Sendable {
        public var dataDirectory = MNIST.defaultDirectory
        public var output = "runs/demo"
        /// A small, fast version (for CI): 1 epoch on 3,000 images, 2,000 test images with 200 noise,
        /// shorter t-SNE runs.
        public var quick = false
        public var epochs = 20
        public var seed: UInt64 = 1
        public var noise = 1000
        public var noiseSeed: UInt64 = 19
        public var randomWeightsSeed: UInt64 = 7
        /// Polled before every stage and after every training step (e.g. a signal flag): when it
        /// returns true, the study finishes the step in flight and throws an `.interrupted` error.
        public var shouldStop: @Sendable () -> Bool = { false }

        public init() {}
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Runs every stage and writes the report; returns the key figures (also written as `summary.json`).
    /// - Parameter events: receives each stage's start and end, and progress from training and t-SNE.
    public func run(events: @escaping (StudyEvent) -> Void = { _ in }) throws -> StudySummary {
        let started = Date()
        let q = options.quick
        let out = options.output
        func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }
        let runner = StageRunner(output: out, shouldStop: options.shouldStop, events: events)
        let terms = StudyTerms.tutorial

        let (train, test) = try runner.stage("data") { () -> ((LabeledImages, LabeledImages), String) in
            let train = try MNIST.load(.train, from: options.dataDirectory)
            var test = try MNIST.load(.test, from: options.dataDirectory)
            // Up front: the model takes 28×28 images (training, evaluation and embedding assume it).
            for (split, set) in [(MNIST.Split.train, train), (.test, test)] {
                try Evaluation.validate(set, source: try MNIST.path(of: split.imagesFile, in: options.dataDirectory))
            }
            if q { test = test.subset(0..<min(2000, test.count)) }  // fewer in a small dataset
            return ((train, test), "\(train.count) training and \(test.count) test images from \(options.dataDirectory)")
        }
        try OutputFile.createDirectory(out)  // after the data are known to be usable: a refused run leaves nothing

        var config = TrainingConfig()
        config.epochs = q ? 1 : options.epochs
        config.trainSize = q ? 3_000 : 55_000
        config.validationSize = q ? 500 : 5_000
        config.seed = options.seed
        config.threads = Threads.count
        let training = try TrainingStage(config: config, directory: path("train"), dataDirectory: options.dataDirectory)
            .run(on: train, runner: runner)
        let evaluation = Evaluation.evaluate(training.model, on: test)

        let reference = train.subset(Subsample.indices(q ? 2_000 : 10_000, of: train.count, seed: options.seed))
        let embedding = EmbeddingStage(noise: q ? 200 : options.noise, noiseSeed: options.noiseSeed, reference: reference, output: out)
        let trained = try embedding.run(training.model, name: "trained model", shortName: "trained",
                                        title: "the CNN embeddings (trained model)", directory: "trained", test: test, runner: runner)
        let random = try embedding.run(
            TutorialCNN(seed: options.randomWeightsSeed), name: "random weights", title: "the embeddings of a random-weights model",
            directory: "random",
            about: "The same architecture with freshly initialised, untrained weights (seed \(options.randomWeightsSeed)): the tutorial's control experiment.",
            test: test, runner: runner)

        var tsne = TSNEParameters()
        if q { (tsne.iterations, tsne.earlyExaggerationIterations) = (300, 100) }
        var tsne3D = tsne
        tsne3D.dimensions = 3
        let trainedMaps = try ProjectionStage(output: out, tsne: tsne, tsne3D: tsne3D).run(trained, runner: runner)
        let randomMaps = try ProjectionStage(output: out, tsne: tsne).run(random, runner: runner)
        let measurement = MeasurementStage(terms: terms)
        let sets = [
            StudyResults.AnalysedSet(embeddings: trained, projections: trainedMaps,
                                     measurements: try measurement.run(trained, projections: trainedMaps, runner: runner)),
            StudyResults.AnalysedSet(embeddings: random, projections: randomMaps,
                                     measurements: try measurement.run(random, projections: randomMaps, runner: runner)),
        ]
        let stability = try StabilityStage(sampleSize: q ? 600 : 2_000).run(trained, runner: runner)

        var results = StudyResults(
            title: "EmbedViz — what the CNN's embeddings look like, and which inputs don't belong",
            subtitle: "The reference tutorial's study on MNIST, run natively in Swift on OpenBLAS/LAPACKE\(q ? " (quick version)" : "")",
            started: started, output: out, sets: sets, training: training, evaluation: evaluation, noiseSeed: options.noiseSeed,
            stability: stability,
            settings: [("data", options.dataDirectory), ("output", out), ("training seed", String(options.seed)),
                       ("noise seed", String(options.noiseSeed))])
        try runner.stage("figures and report") { () -> (Void, String) in
            results.stages = runner.records
            results.figures = try FigureStage(terms: terms, comparisonTitle: "Trained model vs the same architecture with random weights")
                .run(results)
            results.explorers = try Profile.section("explorers") { try ExplorerStage(terms: terms).run(results) }
            let report = try Profile.section("report") { try ReportWriter(terms: terms).write(results) }
            return ((), "\(results.figures.count) figures, \(results.explorers.count) explorers, \(report)")
        }
        results.stages = runner.records
        let summary = StudySummary(results, quick: q, report: path("report.html"))
        try JSONCoding.write(summary, to: path("summary.json"))
        return summary
    }
}
