import Datasets
import Foundation
import Linalg
import NeuralNet
import Projection

/// The reference tutorial's whole study in one call: train the CNN (or reuse a cached run), inject
/// noise images into the test set, embed them with the trained model and with random weights, then
/// the generic stages — project (PCA and t-SNE, 2-D and 3-D; UMAP 2-D of the trained model's
/// embeddings), measure, test t-SNE's stability, draw, and write a self-contained report.
public struct TutorialStudy: Sendable {
    public struct Options: Sendable {
        public var dataDirectory = MNIST.defaultDirectory
        public var output = "runs/demo"
        /// A small, fast version (for CI): 1 epoch on 3,000 images, 2,000 test images with 200 noise,
        /// shorter t-SNE runs, and UMAP with 200 epochs unless `umap` gives them (the report says so).
        public var quick = false
        public var epochs = 20
        public var seed: UInt64 = 1
        public var noise = 1000
        public var noiseSeed: UInt64 = 19
        public var randomWeightsSeed: UInt64 = 7
        /// The trained model's 2-D UMAP (after its t-SNE maps, from its own seed); nil: no UMAP.
        public var umap: UMAPParameters? = UMAPParameters()
        /// Images the model never saw (28×28 grey, e.g. a near-out-of-distribution set in the MNIST
        /// file layout): the detectors are also measured on them, against clean test images, and
        /// the report shows both tables side by side.
        public var nearOOD: NearOODImages?
        /// Polled before every stage and after every training step (e.g. a signal flag): when it
        /// returns true, the study finishes the step in flight and throws an `.interrupted` error.
        public var shouldStop: @Sendable () -> Bool = { false }

        public init() {}
    }

    /// A second image set for the detector table, named for the report.
    public struct NearOODImages: Sendable {
        public var name: String
        public var images: LabeledImages

        public init(name: String, images: LabeledImages) {
            self.name = name
            self.images = images
        }
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
        var umap = options.umap
        if q, umap?.epochs == nil { umap?.epochs = 200 }
        let measurement = MeasurementStage(terms: terms)
        let sets = [
            try EmbeddingStudy.analyse(trained, projection: ProjectionStage(output: out, tsne: tsne, tsne3D: tsne3D, umap: umap),
                                       measurement: measurement, runner: runner),
            try EmbeddingStudy.analyse(random, projection: ProjectionStage(output: out, tsne: tsne), measurement: measurement,
                                       runner: runner),
        ]
        let stability = try StabilityStage(sampleSize: q ? 600 : 2_000).run(trained, runner: runner)

        var results = StudyResults(
            title: "EmbedViz — what the CNN's embeddings look like, and which inputs don't belong",
            subtitle: "The reference tutorial's study on MNIST, run natively in Swift on OpenBLAS/LAPACKE\(q ? " (quick version)" : "")",
            started: started, output: out, sets: sets, training: training, evaluation: evaluation, noiseSeed: options.noiseSeed,
            stability: stability,
            settings: [("data", options.dataDirectory), ("output", out), ("training seed", String(options.seed)),
                       ("noise seed", String(options.noiseSeed))])
        if let nearOOD = options.nearOOD {
            results.detectorTables.append(try runner.stage("detectors on \(nearOOD.name)") { () -> (DetectorTable, String) in
                let table = try nearOODTable(nearOOD, model: training.model, test: test, trained: trained)
                return (table, table.lead.map { "lead: \($0)" } ?? "")
            })
        }
        try EmbeddingStudy.publish(&results, terms: terms, comparisonTitle: "Trained model vs the same architecture with random weights",
                                   runner: runner)
        let summary = StudySummary(results, quick: q, report: path("report.html"))
        try JSONCoding.write(summary, to: path("summary.json"))
        return summary
    }

    /// The detectors on the injected noise (the trained set as studied) and on the near-OOD images:
    /// the clean test images (those not replaced by noise) as in-distribution, the near-OOD images
    /// as outliers, embedded and scored with the same model and reference.
    func nearOODTable(_ nearOOD: NearOODImages, model: TutorialCNN, test: LabeledImages, trained: EmbeddingSet) throws -> DetectorTable {
        let clean = trained.metadata.index.indices.filter { !trained.metadata.isNoise[$0] }
        let outside = Evaluation.outputs(model, on: nearOOD.images)
        let outsideLogits = Evaluation.outputs(model, on: nearOOD.images, layer: .fc2).features
        let features = Matrix(rows: clean.count + outside.features.rows, columns: trained.features.columns,
                              storage: trained.features.rows(at: clean).storage + outside.features.storage)
        let logits = trained.logits.map { l in
            Matrix(rows: features.rows, columns: l.columns, storage: l.rows(at: clean).storage + outsideLogits.storage)
        }
        func inputs(_ x: Matrix, _ l: Matrix?) -> DetectorInputs {
            DetectorInputs(features: x, reference: trained.reference, referenceLabels: trained.referenceLabels, logits: l)
        }
        return try DetectorTable.compare([
            .init(name: "injected noise", inputs: inputs(trained.features, trained.logits), isNoise: trained.metadata.isNoise),
            .init(name: nearOOD.name, inputs: inputs(features, logits),
                  isNoise: Array(repeating: false, count: clean.count) + Array(repeating: true, count: outside.features.rows)),
        ])
    }
}
