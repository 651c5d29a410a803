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

        if !results.scaleNotes.isEmpty {
            doc.note("Sized to the set: " + results.scaleNotes.joined(separator: " "))
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

        if let umap = maps.umap2D {
            doc.heading("UMAP")
            doc.paragraph(Findings.umapMethod(umap.record))
            if let comparison = Findings.umapVersusTSNE(results.main.measurements, umapSeconds: umap.record.secondsTotal,
                                                        tsneSeconds: r.secondsTotal) {
                doc.paragraph(comparison)
            }
            figure("umap-2d")
        }

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
        let flagged = main.outlierCount
        if results.main.measurements.detections.isEmpty {
            doc.paragraph("No points are marked as known \(terms.outliers), so no detector can be measured here. " +
                          Findings.ranking(results.main.measurements, terms: terms))
        } else {
            doc.paragraph(Findings.outliers(results.main.measurements, referencePoints: main.reference?.rows,
                                            dimensions: main.features.columns, terms: terms, tsnePurity: tsnePurity))
            if let lead = Findings.leadDetector(results.main.measurements, terms: terms) { doc.paragraph(lead) }
            doc.table(header: ["model", "detector", "precision", "recall", "AUROC", "FPR95"],
                      rows: results.sets.flatMap { s in
                          s.measurements.detections.enumerated().map { k, d in
                              [s.measurements.model, d.method + (k == s.measurements.lead ? " (lead)" : ""), String(format: "%.3f", d.quality.precision),
                               String(format: "%.3f", d.quality.recall), String(format: "%.4f", d.quality.auroc), String(format: "%.4f", d.quality.fprAt95)]
                          }
                      }, caption: "Finding the \(flagged) \(terms.outliers): precision and recall among the top \(flagged) scores; FPR95 = share of them still accepted when 95% of the other points are")
        }
        for table in results.detectorTables {
            doc.paragraph(table.about)
            doc.table(header: ["detector"] + table.columns.flatMap { ["AUROC (\($0))", "FPR95 (\($0))"] },
                      rows: table.rows.map { row in [row.detector + (row.detector == table.lead ? " (lead)" : "")] +
                          row.values.flatMap { [String(format: "%.4f", $0.auroc), String(format: "%.4f", $0.fprAt95)] } },
                      caption: table.caption)
        }
        figure("most-anomalous")
        figure("confidently-misclassified")

        doc.heading("Projection quality")
        let preserved = results.main.measurements.maps.first?.preservation.points ?? meta.count
        doc.paragraph("How faithful each map is to the \(main.features.columns)-d embeddings (k = 10; trustworthiness and continuity after Venna & Kaski, \(Findings.preservationScope(points: preserved, of: meta.count))), how well the true classes can be read off it (leave-one-out 10-NN accuracy), and how many clusters a density-based clustering finds in it (DBSCAN with an automatic radius; adjusted Rand index against \(Findings.classesCompared(meta, terms: terms, hasLabels: main.hasLabels))).")
        doc.table(header: ["model", "map", "trustworthiness", "continuity", "10-NN preserved", "10-NN accuracy", "clusters", "ARI", "noise cluster purity"],
                  rows: results.sets.flatMap { s in
                      s.measurements.maps.map { [s.measurements.model, $0.name, String(format: "%.4f", $0.preservation.trustworthiness),
                                                 String(format: "%.4f", $0.preservation.continuity), String(format: "%.3f", $0.preservation.knnPreservation),
                                                 Self.measured("%.4f", $0.knnAccuracy), $0.clusters > 0 ? String($0.clusters) : "—",
                                                 Self.measured("%.3f", $0.adjustedRandIndex), Self.measured("%.3f", $0.noiseClusterPurity)] }
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
        ] + results.settings.map { [$0.0, $0.1] } + [["t-SNE seed", String(r.parameters.seed)]]
          + (maps.umap2D.map { [["UMAP seed", String($0.record.parameters.seed)]] } ?? []), caption: "Configuration")
        return doc
    }

    /// A number, or a dash where it was not measured (NaN: no labels, no known outliers).
    static func measured(_ format: String, _ value: Double) -> String { value.isNaN ? "—" : String(format: format, value) }
}
