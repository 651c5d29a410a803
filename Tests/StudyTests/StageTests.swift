import Datasets
import Foundation
import Linalg
@testable import NeuralNet
@testable import Projection
@testable import Study
import TestSupport
import Testing

/// The generic stages — project, measure, stability, figures, explorers, report — on embeddings
/// that no CNN made: the shape of a future `embedviz report` over any embeddings.
@Suite struct StageTests {
    /// Short t-SNE and UMAP runs: the tests check what the stages return and write, not the maps' quality.
    static func projectionStage(_ out: String, threeD: Bool = false, umap: Bool = false) -> ProjectionStage {
        var tsne = TSNEParameters()
        (tsne.iterations, tsne.earlyExaggerationIterations, tsne.perplexity) = (250, 100, 15)
        var tsne3D = tsne
        tsne3D.dimensions = 3
        var umapParameters = UMAPParameters()
        umapParameters.epochs = 100
        return ProjectionStage(output: out, tsne: tsne, tsne3D: threeD ? tsne3D : nil, umap: umap ? umapParameters : nil)
    }

    /// Runs every generic stage on `sets` and returns the results (figures and explorers included).
    /// `umap`: the first set gets a UMAP map too (as in the tutorial: the studied set, not its controls).
    static func study(_ sets: [EmbeddingSet], out: String, training: TrainedModel? = nil, preservationLimit: Int = 5_000,
                      umap: Bool = true, events: @escaping (StudyEvent) -> Void = { _ in }) throws -> StudyResults {
        let runner = StageRunner(output: out, events: events)
        var measure = MeasurementStage()
        measure.preservationSampleLimit = preservationLimit
        let analysed = try sets.enumerated().map { k, set in
            let maps = try projectionStage(out, threeD: k == 0, umap: umap && k == 0).run(set, runner: runner)
            return StudyResults.AnalysedSet(embeddings: set, projections: maps,
                                            measurements: try measure.run(set, projections: maps, runner: runner))
        }
        var stabilityStage = StabilityStage(sampleSize: 60)
        stabilityStage.seeds = [1, 2]
        let stability = try stabilityStage.run(sets[0], runner: runner)
        var results = StudyResults(title: "A study of synthetic embeddings", subtitle: "test", started: Date(), output: out,
                                   sets: analysed, training: training, stability: stability, stages: runner.records)
        results.figures = try FigureStage().run(results)
        results.explorers = try ExplorerStage().run(results)
        return results
    }

    @Test("stages return their values, write their files and report typed events in order")
    func stagesOnAnyEmbeddings() throws {
        let out = scratchDirectory()
        let set = syntheticSet()
        var events: [String] = []
        let results = try Self.study([set], out: out) { event in
            switch event {
            case .stageStarted(let name): events.append("start " + name)
            case .stageFinished(let record): events.append("end " + record.name)
            case .tsneProgress(_, let label), .umapProgress(_, let label):
                if events.last != "progress " + label { events.append("progress " + label) }
            case .trainingProgress, .epochFinished: events.append("training")
            }
        }
        #expect(events.prefix(4) == ["start PCA (synthetic)", "end PCA (synthetic)", "start t-SNE 2D (synthetic)",
                                     "progress t-SNE 2D (synthetic)"], "\(events)")
        #expect(!events.contains("training"))
        #expect(results.stages.map(\.name) == ["PCA (synthetic)", "t-SNE 2D (synthetic)", "t-SNE 3D (synthetic)", "UMAP 2D (synthetic)",
                                                "metrics (synthetic)", "t-SNE stability (2 seeds)"])
        #expect(events.contains("progress UMAP 2D (synthetic)"), "\(events)")
        let maps = results.main.projections
        #expect(maps.pca2D.rows == set.features.rows && maps.pca2D.columns == 2 && maps.pca3D.columns == 3)
        #expect(maps.tsne2D.embedding.rows == set.features.rows && maps.tsne3D?.embedding.columns == 3)
        #expect(maps.umap2D?.embedding.rows == set.features.rows && maps.umap2D?.embedding.columns == 2)
        for file in ["pca.npz", "pca2d.npy", "pca3d.npy", "tsne2d.npy", "tsne2d.npy.json", "tsne3d.npy", "umap2d.npy", "umap2d.npy.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/synthetic/" + file), "\(file)")
        }
        // The reference detector comes first and uses the set's reference embeddings: it finds the
        // far-away group; the within-set kNN distance does not (each outlier has close neighbours).
        let detections = results.main.measurements.detections
        // Then the literature's detectors against the reference: deep kNN and the class-agnostic
        // Mahalanobis distance (no reference labels, no logits here).
        #expect(detections.map(\.scope) == [.reference, .withinSet, .withinSet, .reference, .reference])
        #expect(detections.map(\.detector) == [.knnDistanceToReference(k: 10), .knnDistanceWithinSet(k: 10), .localOutlierFactor(k: 20),
                                                .deepKNN(k: 50), .mahalanobis])
        #expect(detections[0].quality.recall == 1 && detections[0].quality.flagged == set.outlierCount)
        // The lead is the best measured, the earliest among equals: here the reference kNN distance.
        let lead = try #require(results.main.measurements.lead)
        #expect(detections[lead].quality.auroc == detections.map(\.quality.auroc).max())
        #expect(results.main.measurements.ranking == detections[lead].detector)
        #expect(detections[1].quality.auroc < 0.5, "\(detections[1].quality)")
        #expect(results.figures.map(\.name).contains("tsne-stability") && !results.figures.map(\.name).contains("training-curves"))
        #expect(results.explorers.map(\.file) == ["explorer-tsne-2d.html", "explorer-tsne-3d.html"])
    }

    @Test("UMAP goes through every stage beside t-SNE: its map and record, measurements, figure, explorer view, report section")
    func umapThroughTheStages() throws {
        let out = scratchDirectory()
        var results = try Self.study([syntheticSet()], out: out)
        let umap = try #require(results.main.projections.umap2D)
        let saved = try NPY.read(out + "/synthetic/umap2d.npy")
        #expect(saved.storage == umap.embedding.storage)
        let record = try JSONCoding.decoder().decode(UMAPRecord.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/synthetic/umap2d.npy.json")))
        #expect(record.parameters == umap.record.parameters && record.epochs == 100)
        let measured = results.main.measurements.maps.map(\.name)
        #expect(measured == ["PCA 2-D", "t-SNE 2-D", "t-SNE 3-D", "UMAP 2-D"])
        let umapMap = try #require(results.main.measurements.maps.last)
        #expect(umapMap.preservation.trustworthiness > 0.5 && umapMap.knnAccuracy > 0.5, "\(umapMap)")
        #expect(results.figures.map(\.name).contains("umap-2d"))
        // The 2-D explorer's map switch: t-SNE first (shown at first), then UMAP.
        let explorer = try String(contentsOfFile: out + "/explorer-tsne-2d.html", encoding: .utf8)
        #expect(explorer.contains(#"{"name":"t-SNE","dimensions":2,"key":"p0"},{"name":"UMAP","dimensions":2,"key":"p1"}"#))
        #expect(results.explorers.first?.label == "t-SNE and UMAP 2-D")
        try ReportWriter().write(results)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("id=\"umap\">UMAP</h2>") && html.contains("100 epochs (fewer than the 500 of umap-learn's rule"))
        #expect(html.contains("Against t-SNE's 2-D map of the same points") && html.contains("UMAP 2-D") && html.contains("UMAP seed"))

        // Without UMAP: none of it, and the t-SNE map is the same.
        let without = scratchDirectory()
        results = try Self.study([syntheticSet()], out: without, umap: false)
        #expect(results.main.projections.umap2D == nil && !FileManager.default.fileExists(atPath: without + "/synthetic/umap2d.npy"))
        #expect(try NPY.read(without + "/synthetic/tsne2d.npy").storage == NPY.read(out + "/synthetic/tsne2d.npy").storage)
        #expect(!results.main.measurements.maps.map(\.name).contains("UMAP 2-D") && !results.figures.map(\.name).contains("umap-2d"))
        let single = try String(contentsOfFile: without + "/explorer-tsne-2d.html", encoding: .utf8)
        #expect(!single.contains(#""name":"UMAP""#) && results.explorers.first?.label == "t-SNE 2-D")
        try ReportWriter().write(results)
        #expect(try !String(contentsOfFile: without + "/report.html", encoding: .utf8).contains("UMAP"))
    }

    @Test("without reference embeddings only the within-set detectors run, and the most anomalous follow the first")
    func noReference() throws {
        var set = syntheticSet()
        set.reference = nil
        let measurements = try MeasurementStage().measure(set, projections: Self.projectionStage(scratchDirectory()).run(
            set, runner: StageRunner(output: "")))
        #expect(measurements.detections.map(\.scope) == [.withinSet, .withinSet])
        #expect(measurements.mostAnomalous.count == 32)
    }

    @Test("the report is written from the results: findings follow the numbers of this run")
    func report() throws {
        let out = scratchDirectory()
        let rising = trainedModel(epochs(validation: [0.4, 0.2, 0.25, 0.3]))
        var results = try Self.study([syntheticSet(), syntheticSet(name: "control", directory: "control", spread: 6)], out: out,
                                     training: rising, preservationLimit: 100)
        try ReportWriter().write(results)
        var html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        let points = results.main.embeddings.features.rows
        #expect(html.contains("over-fitting after epoch 2"))
        #expect(html.contains("on a fixed subsample of 100 of the \(points) points"))
        #expect(html.contains(Findings.pcaSolver(results.main.projections.pca.solver)))
        #expect(html.contains("Control") && html.contains("with control"), "the control's section is missing")
        #expect(html.contains("the 5 classes of the targets, the known outliers one of them"))
        #expect(!html.contains("5,000-point") && !html.contains("Adam (lr 1e-3)"))

        results.training = trainedModel(epochs(validation: [0.4]))
        results.sets[0].measurements.maps = results.sets[0].measurements.maps.map { m in
            var m = m
            m.preservation.points = points
            return m
        }
        results.figures = try FigureStage().run(results)  // the training curves' caption states the finding too
        try ReportWriter().write(results)
        html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(!html.contains("over-fitting after") && html.contains("One epoch"))
        #expect(html.contains("on all \(points) points"))
    }

    @Test("a stop request before a stage throws .interrupted without running it")
    func interruption() throws {
        let runner = StageRunner(output: "/tmp/x", shouldStop: { true })
        var ran = false
        let error = #expect(throws: EmbedVizError.self) {
            try runner.stage("first") { () -> (Void, String) in ran = true; return ((), "") }
        }
        #expect(error?.kind == .interrupted && error?.message.contains("before the first stage") == true, "\(String(describing: error))")
        #expect(!ran && runner.records.isEmpty)
    }
}
