import Datasets
import Foundation
import Linalg
import NeuralNet
import Projection
import Report

/// Writes `report.html` from one results value: descriptions of what was done, and findings
/// computed from the measured numbers (`Findings`).
public struct ReportWriter: Sendable {
    public var terms: StudyTerms

    public init(terms: StudyTerms = StudyTerms()) { self.terms = terms }

    /// Writes the report into the results' output directory; returns its path.
    @discardableResult
    public func write(_ results: StudyResults) throws -> String {
        let path = results.path("report.html")
        try document(results).write(to: path)
        return path
    }

    func document(_ results: StudyResults) -> ReportDocument {
        var doc = ReportDocument(title: results.title,
                                 subtitle: results.subtitle + " — " + ISO8601DateFormatter().string(from: results.started))
        func figure(_ name: String) {
            if let f = results.figures.first(where: { $0.name == name }) {
                doc.image(png: f.png, alt: name, caption: f.caption)
            }
        }
        let main = results.main.embeddings, maps = results.main.projections
        let meta = main.metadata

        if let training = results.training {
            doc.heading("Training")
            let architecture = TutorialCNN.architecture.split(separator: " ").joined(separator: " → ")
            var text = String(format: "%@ (the embedding is the output of the first Linear layer, %d values): %@ trainable parameters, %@.",
                              architecture, main.features.columns, Findings.count(TutorialCNN.parameterCount),
                              Findings.trainingSetup(training))
            if let best = training.bestEpoch, let evaluation = results.evaluation {
                text += String(format: " Best validation loss at epoch %d; that checkpoint's test accuracy is %.2f%% (loss %.4f) on %d test images.",
                               best, evaluation.accuracy * 100, evaluation.loss, evaluation.count)
            }
            doc.paragraph(text)
            if training.reused {
                doc.note("Training was reused from the cached run in \(training.directory): the data and the configuration are unchanged.")
            }
            figure("training-curves")
            let best = training.bestEpoch
            doc.table(header: ["epoch", "train loss", "train accuracy", "validation loss", "validation accuracy", "seconds"],
                      rows: training.history.map { m in
                          [String(m.epoch) + (m.epoch == best ? " (best)" : ""), String(format: "%.4f", m.trainLoss),
                           String(format: "%.4f", m.trainAccuracy), String(format: "%.4f", m.validationLoss),
                           String(format: "%.4f", m.validationAccuracy), String(format: "%.1f", m.seconds)]
                      }, caption: "Per-epoch figures (metrics.csv in the run directory)")
        }
        if let evaluation = results.evaluation {
            doc.table(header: ["target \\ predicted"] + (0..<evaluation.confusion.count).map(String.init),
                      rows: evaluation.confusion.enumerated().map { [String($0.offset)] + $0.element.map(String.init) },
                      caption: "Confusion matrix of the best checkpoint on the test set")
        }
        figure("samples")

        if let seed = results.noiseSeed {
            let n = main.outlierCount
            doc.heading("Injected noise")
            doc.paragraph("\(n) of the \(meta.count) \(terms.points) were replaced by images of uniform noise (every pixel uniform in 0…255), at \(n) distinct random indices (seed \(seed)), and labelled 10. The tutorial drew its indices as uint8, so at most 256 distinct images were really replaced there.")
            figure("noise-examples")
        }

        doc.heading("PCA")
        let solvers = Findings.pcaSolvers(results.sets.map { ($0.embeddings.name, $0.projections.pca.solver) })
        doc.paragraph("Principal components of the \(main.features.columns)-d embeddings (\(solvers)). Explained-variance ratios: " +
                      results.sets.map { s in
                          s.embeddings.name + " " + s.projections.pca.explainedVarianceRatio.prefix(5).map { String(format: "%.4f", $0) }
                              .joined(separator: ", ")
                      }.joined(separator: "; ") + ".")
        figure("pca-2d")
        figure("pca-scree")
        figure("pca-3d")

        doc.heading("t-SNE")
        let r = maps.tsne2D.record
        doc.paragraph(String(format: "%@, %@ gradient, %d iterations (early exaggeration %.0f for %d), learning rate %@, %@. Final KL divergence %.4f (2-D)%@.",
                             Findings.tsneAffinities(r), r.method.rawValue, r.parameters.iterations, r.parameters.earlyExaggeration,
                             r.parameters.earlyExaggerationIterations, r.learningRates.map { String(format: "%.0f", $0) }.joined(separator: " then "),
                             Findings.tsneInitialisation(r), r.klDivergence,
                             maps.tsne3D.map { String(format: ", %.4f (3-D)", $0.record.klDivergence) } ?? ""))
        if !results.explorers.isEmpty {
            doc.html("<p>Interactive maps (hover for a point's image, click to pin, shift-drag to select): " +
                     results.explorers.map { "<a href=\"\($0.file)\">\($0.label)</a>" }.joined(separator: " · ") + "</p>")
        }
        figure("tsne-2d")
        figure("tsne-3d")
        figure("pca-vs-tsne")

        for control in results.sets.dropFirst() {
            let name = control.embeddings.name
            doc.heading(name.prefix(1).uppercased() + name.dropFirst())
            let comparison = Findings.comparison(main: results.main.measurements, control: control.measurements,
                                                 mainName: main.name, controlName: name,
                                                 majorityShare: FigureStage.majorityShare(meta.target))
            doc.paragraph([control.embeddings.about, comparison?.sentence].compactMap { $0 }.joined(separator: " "))
        }
        figure("trained-vs-random")

        doc.heading("Outliers")
        let tsnePurity = results.main.measurements.maps.first { $0.name == "t-SNE 2-D" }?.noiseClusterPurity
        doc.paragraph(Findings.outliers(results.main.measurements, referencePoints: main.reference?.rows,
                                        dimensions: main.features.columns, terms: terms, tsnePurity: tsnePurity))
        let flagged = main.outlierCount
        doc.table(header: ["model", "detector", "precision", "recall", "AUROC"],
                  rows: results.sets.flatMap { s in
                      s.measurements.detections.map { [s.measurements.model, $0.method, String(format: "%.3f", $0.quality.precision),
                                                       String(format: "%.3f", $0.quality.recall), String(format: "%.4f", $0.quality.auroc)] }
                  }, caption: "Finding the \(flagged) \(terms.outliers) images: precision and recall among the top \(flagged) scores")
        figure("most-anomalous")
        figure("confidently-misclassified")

        doc.heading("Projection quality")
        let preserved = results.main.measurements.maps.first?.preservation.points ?? meta.count
        doc.paragraph("How faithful each map is to the \(main.features.columns)-d embeddings (k = 10; trustworthiness and continuity after Venna & Kaski, \(Findings.preservationScope(points: preserved, of: meta.count))), how well the true classes can be read off it (leave-one-out 10-NN accuracy), and how many clusters a density-based clustering finds in it (DBSCAN with an automatic radius; adjusted Rand index against \(Findings.classesCompared(meta, terms: terms))).")
        doc.table(header: ["model", "map", "trustworthiness", "continuity", "10-NN preserved", "10-NN accuracy", "clusters", "ARI", "noise cluster purity"],
                  rows: results.sets.flatMap { s in
                      s.measurements.maps.map { [s.measurements.model, $0.name, String(format: "%.4f", $0.preservation.trustworthiness),
                                                 String(format: "%.4f", $0.preservation.continuity), String(format: "%.3f", $0.preservation.knnPreservation),
                                                 String(format: "%.4f", $0.knnAccuracy), String($0.clusters), String(format: "%.3f", $0.adjustedRandIndex),
                                                 String(format: "%.3f", $0.noiseClusterPurity)] }
                  })

        if let s = results.stability {
            let stability = s.stability
            doc.heading("Stability")
            doc.paragraph(String(format: "The tutorial advises running t-SNE several times before trusting a picture. Here the same %d points (%@) were embedded with seeds %@ and random initialisation: Procrustes disparity between runs %@ (0 = identical up to rotation, scale and shift), mean 10-NN overlap %@, KL divergences %@.",
                                 stability.points, Findings.stabilitySample(s), stability.seeds.map(String.init).joined(separator: ", "),
                                 stability.disparities.map { String(format: "%.3f", $0) }.joined(separator: ", "),
                                 stability.knnOverlaps.map { String(format: "%.3f", $0) }.joined(separator: ", "),
                                 stability.klDivergences.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
            figure("tsne-stability")
        }

        doc.heading("Run")
        doc.table(header: ["stage", "seconds", "detail"],
                  rows: results.stages.map { [$0.name, String(format: "%.1f", $0.seconds), $0.detail] } +
                        [["total", String(format: "%.1f", Date().timeIntervalSince(results.started)), ""]],
                  caption: "Time per stage")
        let blas = results.blas
        doc.table(header: ["setting", "value"], rows: [
            ["BLAS", blas.config], ["kernels", blas.coreName + (blas.replacedCore.map { " (OpenBLAS had fallen back to \($0))" } ?? "")],
            ["threads", String(results.threads)],
        ] + results.settings.map { [$0.0, $0.1] } + [["t-SNE seed", String(r.parameters.seed)]], caption: "Configuration")
        return doc
    }
}
