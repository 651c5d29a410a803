import Foundation

/// What the study produced for one model (trained or random weights).
public struct ModelView: Sendable {
    public var name: String
    public var embeddings: NoisyEmbeddings
    public var pca: PCAModel
    public var pca2D: Matrix
    public var pca3D: Matrix
    public var tsne2D: TSNEResult
    public var tsne3D: TSNEResult?
}

/// The key figures of a study run (written as `summary.json`).
public struct StudySummary: Sendable, Codable {
    public var quick: Bool
    public var trainingReused: Bool
    public var epochs: [EpochMetrics]
    public var bestEpoch: Int?
    public var accuracy: Double
    public var testLoss: Double
    public var explainedVarianceRatio: [Double]
    public var randomExplainedVarianceRatio: [Double]
    public var klDivergence2D: Double
    public var klDivergence3D: Double?
    public var randomKLDivergence2D: Double
    public var measurements: [StudyMeasurements]
    public var stability: StudyStability
    public var stages: [TutorialStudy.Stage]
    public var blas: BLASInfo
    public var threads: Int
    public var report: String
}

extension TutorialStudy {
    static let classNames = (0...9).map(String.init) + ["noise"]

    /// Runs every stage and writes the report; returns the key figures.
    public func run() throws -> StudySummary {
        let started = Date()
        let q = options.quick
        let (train, test) = try stage("data") { () -> ((LabeledImages, LabeledImages), String) in
            let train = try MNIST.load(.train, from: options.dataDirectory)
            var test = try MNIST.load(.test, from: options.dataDirectory)
            // Up front: the model takes 28×28 images (training, evaluation and embedding assume it).
            for (split, set) in [(MNIST.Split.train, train), (.test, test)] {
                try Evaluation.validate(set, source: try MNIST.path(of: split.imagesFile, in: options.dataDirectory))
            }
            if q { test = test.subset(0..<min(2000, test.count)) }  // fewer in a small dataset
            return ((train, test), "\(train.count) training and \(test.count) test images from \(options.dataDirectory)")
        }
        try createDirectory(out)  // after the data are known to be usable: a refused run leaves nothing
        // Train, or reuse the cached run when the data and the configuration are unchanged.
        var config = TrainingConfig()
        config.epochs = q ? 1 : options.epochs
        config.trainSize = q ? 3_000 : 55_000
        config.validationSize = q ? 500 : 5_000
        config.seed = options.seed
        config.threads = Threads.count
        let run = TrainingRun(directory: path("train"))
        let (trained, history, reused) = try stage("train") { () -> ((TutorialCNN, [EpochMetrics], Bool), String) in
            let key = try trainingCacheKey(config)
            let keyPath = path("train/cache-key.txt")
            if let saved = try? String(contentsOfFile: keyPath, encoding: .utf8), saved == key,
               let best = try? CheckpointFile.read(run.bestCheckpoint), let metrics = try? TrainingRun.readMetrics(run.metricsJSON) {
                return ((best.model, metrics.epochs, true), "reused the cached run in \(run.directory) (same data and configuration)")
            }
            let trainer = try run.train(data: train, config: config, progress: { p in
                self.progress(String(format: "\r  epoch %d/%d  step %d/%d  loss %.4f  %.0f img/s  ETA %.0f s",
                                     p.epoch, p.epochs, p.step, p.steps, p.loss, p.imagesPerSecond, p.etaSeconds))
            }, onEpoch: { m, best in
                self.progress(String(format: "  epoch %2d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.1f s%@",
                                     m.epoch, m.trainLoss, m.trainAccuracy, m.validationLoss, m.validationAccuracy, m.seconds,
                                     best ? "  *best" : ""))
            }, shouldStop: options.shouldStop)
            try OutputFile.write(key, to: keyPath)
            let best = try CheckpointFile.read(run.bestCheckpoint)
            return ((best.model, trainer.state.history, false),
                    String(format: "%d epochs, %.1f s per epoch", trainer.state.history.count,
                           trainer.state.history.map(\.seconds).reduce(0, +) / Double(max(trainer.state.history.count, 1))))
        }
        let evaluation = Evaluation.evaluate(trained, on: test)
        let bestEpoch = history.min { $0.validationLoss < $1.validationLoss }?.epoch
        let noise = q ? 200 : options.noise
        var tsne = TSNEParameters()
        if q { (tsne.iterations, tsne.earlyExaggerationIterations) = (300, 100) }
        var tsne3D = tsne
        tsne3D.dimensions = 3
        let trainedView = try view("trained model", model: trained, test: test, noise: noise, tsne: tsne, tsne3D: tsne3D,
                                   directory: "trained")
        let randomModel = TutorialCNN(seed: options.randomWeightsSeed)
        let randomView = try view("random weights", model: randomModel, test: test, noise: noise,
                                  tsne: tsne, tsne3D: nil, directory: "random")
        let measurements = [try measure(trainedView, model: trained, train: train),
                            try measure(randomView, model: randomModel, train: train)]
        let (stable, stableMaps, stableSample) = try stability(trainedView)
        try stage("figures and report") { () -> (Void, String) in
            let figures = try drawFigures(trained: trainedView, random: randomView, history: history, bestEpoch: bestEpoch,
                                          measurements: measurements, stabilityMaps: stableMaps, stabilitySample: stableSample)
            try Profile.section("explorers") { try writeExplorers(trained: trainedView, random: randomView) }
            try Profile.section("report") { try writeReport(trained: trainedView, random: randomView, history: history, bestEpoch: bestEpoch,
                            evaluation: evaluation, figures: figures, measurements: measurements, stability: stable,
                            reused: reused, started: started) }
            return ((), "\(figures.count) figures, 3 explorers, \(path("report.html"))")
        }
        let summary = StudySummary(
            quick: q, trainingReused: reused, epochs: history, bestEpoch: bestEpoch, accuracy: evaluation.accuracy,
            testLoss: evaluation.loss, explainedVarianceRatio: trainedView.pca.explainedVarianceRatio,
            randomExplainedVarianceRatio: randomView.pca.explainedVarianceRatio,
            klDivergence2D: trainedView.tsne2D.record.klDivergence, klDivergence3D: trainedView.tsne3D?.record.klDivergence,
            randomKLDivergence2D: randomView.tsne2D.record.klDivergence, measurements: measurements, stability: stable,
            stages: stages, blas: .current,
            threads: Threads.count, report: path("report.html"))
        try JSONCoding.write(summary, to: path("summary.json"))
        return summary
    }

    /// Embeds the noisy test set with `model` and projects it; files go to `directory`.
    func view(_ name: String, model: TutorialCNN, test: LabeledImages, noise: Int, tsne: TSNEParameters,
              tsne3D: TSNEParameters?, directory: String) throws -> ModelView {
        try createDirectory(path(directory))
        let embedded = try stage("embed (\(name))") { () -> (NoisyEmbeddings, String) in
            let e = try NoisyEmbeddings(model: model, data: test, noise: noise, noiseSeed: options.noiseSeed)
            _ = try EmbeddingFiles.write(e, to: path(directory))
            return (e, "\(e.features.rows)×\(e.features.columns), \(noise) noise images")
        }
        let (pca, pca3D) = try stage("PCA (\(name))") { () -> ((PCAModel, Matrix), String) in
            // Ten components for the scree plot; the maps use the first two and three.
            let fitted = try PCA(components: min(10, embedded.features.columns)).fit(embedded.features)
            let projected = fitted.transform(embedded.features).leadingColumns(3)
            try PCAFiles.write(fitted, to: path(directory + "/pca.npz"))
            try NPY.write(projected, to: path(directory + "/pca3d.npy"))
            try NPY.write(projected.leadingColumns(2), to: path(directory + "/pca2d.npy"))
            let ratios = fitted.explainedVarianceRatio.prefix(3).map { String(format: "%.3f", $0) }.joined(separator: ", ")
            return ((fitted, projected), "explained variance ratio \(ratios)")
        }
        func runTSNE(_ parameters: TSNEParameters, file: String) throws -> TSNEResult {
            try stage("t-SNE \(parameters.dimensions)D (\(name))") { () -> (TSNEResult, String) in
                let result = try TSNE(parameters).fit(embedded.features) { p in
                    self.progress("\r  t-SNE \(p.phase.rawValue) \(p.done)/\(p.total)" + (p.kl.map { String(format: "  KL %.4f", $0) } ?? ""))
                }
                try NPY.write(result.embedding, to: path(directory + "/" + file))
                try JSONCoding.write(result.record, to: path(directory + "/" + file + ".json"))
                return (result, String(format: "%@, KL %.4f", result.record.method.rawValue, result.record.klDivergence))
            }
        }
        let map2D = try runTSNE(tsne, file: "tsne2d.npy")
        let map3D = try tsne3D.map { try runTSNE($0, file: "tsne3d.npy") }
        return ModelView(name: name, embeddings: embedded, pca: pca, pca2D: pca3D.leadingColumns(2), pca3D: pca3D,
                         tsne2D: map2D, tsne3D: map3D)
    }

    /// Identifies a training run: the training data's checksums and the configuration. Threads are part
    /// of it because multithreaded results differ in rounding.
    func trainingCacheKey(_ config: TrainingConfig) throws -> String {
        var md5 = MD5()
        for name in [MNIST.Split.train.imagesFile, MNIST.Split.train.labelsFile] {
            md5.update(try InputFile.readAll(try MNIST.path(of: name, in: options.dataDirectory)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configuration = String(decoding: try encoder.encode(config), as: UTF8.self)
        return "embedviz-training-cache v1 data \(md5.finalizeHex()) config \(configuration)\n"
    }
}
