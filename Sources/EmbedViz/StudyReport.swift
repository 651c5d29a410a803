import Foundation

extension TutorialStudy {
    func writeReport(trained: ModelView, random: ModelView, history: [EpochMetrics], bestEpoch: Int?,
                     evaluation: EvaluationResult, figures: [DrawnFigure], measurements: [StudyMeasurements],
                     stability: StudyStability, reused: Bool, started: Date) throws {
        let blas = BLASInfo.current
        var doc = ReportDocument(
            title: "EmbedViz — what the CNN's embeddings look like, and which inputs don't belong",
            subtitle: "The reference tutorial's study on MNIST, run natively in Swift on OpenBLAS/LAPACKE\(options.quick ? " (quick version)" : "") — \(ISO8601DateFormatter().string(from: started))")
        func figure(_ name: String) {
            if let f = figures.first(where: { $0.name == name }) {
                doc.image(png: f.png, alt: name, caption: f.caption)
            }
        }
        let meta = trained.embeddings.metadata
        let noiseCount = meta.isNoise.filter { $0 }.count

        doc.heading("Training")
        doc.paragraph(String(format: "Conv2d(1→16, 3×3) → BatchNorm → ReLU → MaxPool(2) → ReLU → Linear(2704→100) (the embedding) → ReLU → Linear(100→10): %d trainable parameters, Adam (lr 1e-3), batch 32, %d epochs. Best validation loss at epoch %d; that checkpoint's test accuracy is %.2f%% (loss %.4f) on %d test images.",
                              TutorialCNN.parameterCount, history.count, bestEpoch ?? 0, evaluation.accuracy * 100, evaluation.loss, evaluation.count))
        if reused { doc.note("Training was reused from the cached run in \(path("train")): the data and the configuration are unchanged.") }
        figure("training-curves")
        doc.table(header: ["epoch", "train loss", "train accuracy", "validation loss", "validation accuracy", "seconds"],
                  rows: history.map { m in
                      [String(m.epoch) + (m.epoch == bestEpoch ? " (best)" : ""), String(format: "%.4f", m.trainLoss),
                       String(format: "%.4f", m.trainAccuracy), String(format: "%.4f", m.validationLoss),
                       String(format: "%.4f", m.validationAccuracy), String(format: "%.1f", m.seconds)]
                  }, caption: "Per-epoch figures (metrics.csv in the run directory)")
        doc.table(header: ["target \\ predicted"] + (0...9).map(String.init),
                  rows: evaluation.confusion.enumerated().map { [String($0.offset)] + $0.element.map(String.init) },
                  caption: "Confusion matrix of the best checkpoint on the test set")
        figure("samples")

        doc.heading("Injected noise")
        doc.paragraph("\(noiseCount) of the \(meta.count) test images were replaced by images of uniform noise (every pixel uniform in 0…255), at \(noiseCount) distinct random indices (seed \(options.noiseSeed)), and labelled 10. The tutorial drew its indices as uint8, so at most 256 distinct images were really replaced there.")
        figure("noise-examples")

        doc.heading("PCA")
        doc.paragraph("Principal components of the 100-d embeddings (LAPACK, covariance route). Explained-variance ratios: trained model " +
                      trained.pca.explainedVarianceRatio.prefix(5).map { String(format: "%.4f", $0) }.joined(separator: ", ") +
                      "; random weights " + random.pca.explainedVarianceRatio.prefix(5).map { String(format: "%.4f", $0) }.joined(separator: ", ") + ".")
        figure("pca-2d")
        figure("pca-scree")
        figure("pca-3d")

        doc.heading("t-SNE")
        let r = trained.tsne2D.record
        doc.paragraph(String(format: "Exact k-nearest-neighbour affinities (perplexity %.0f, %d neighbours), %@ gradient, %d iterations (early exaggeration %.0f for %d), learning rate %@, PCA initialisation. Final KL divergence %.4f (2-D)%@.",
                             r.parameters.perplexity, r.neighbours, r.method.rawValue, r.parameters.iterations, r.parameters.earlyExaggeration,
                             r.parameters.earlyExaggerationIterations, r.learningRates.map { String(format: "%.0f", $0) }.joined(separator: " then "),
                             r.klDivergence, trained.tsne3D.map { String(format: ", %.4f (3-D)", $0.record.klDivergence) } ?? ""))
        doc.html("<p>Interactive maps (hover for a point's image, click to pin, shift-drag to select): <a href=\"explorer-tsne-2d.html\">t-SNE 2-D</a>" +
                 (trained.tsne3D != nil ? " · <a href=\"explorer-tsne-3d.html\">t-SNE 3-D</a>" : "") +
                 " · <a href=\"explorer-random-tsne-2d.html\">random weights, t-SNE 2-D</a></p>")
        figure("tsne-2d")
        figure("tsne-3d")
        figure("pca-vs-tsne")

        doc.heading("Random weights")
        doc.paragraph("The same architecture with freshly initialised, untrained weights (seed \(options.randomWeightsSeed)): the tutorial's control experiment. Its embeddings still group many digits — the convolution and pooling alone carry structure — but the groups are far less separated.")
        figure("trained-vs-random")

        doc.heading("Outliers")
        let main = measurements.first?.detections.first?.quality
        doc.paragraph(String(format: "Which inputs don't belong? Scored on the 100-d embeddings, not on a picture of them: the mean distance of each test embedding to its 10 nearest embeddings of %d training images finds the injected noise with precision %.3f and recall %.3f among its top %d (AUROC %.4f). Scores computed within the test set alone fail here, and the reason is instructive: the noise images do not scatter, they form one tight group of their own, so each has close neighbours — other noise images.",
                              options.quick ? 2_000 : 10_000, main?.precision ?? .nan, main?.recall ?? .nan, main?.flagged ?? 0, main?.auroc ?? .nan))
        doc.table(header: ["model", "detector", "precision", "recall", "AUROC"],
                  rows: measurements.flatMap { m in
                      m.detections.map { [m.model, $0.method, String(format: "%.3f", $0.quality.precision),
                                          String(format: "%.3f", $0.quality.recall), String(format: "%.4f", $0.quality.auroc)] }
                  }, caption: "Finding the \(noiseCount) injected noise images: precision and recall among the top \(noiseCount) scores")
        figure("most-anomalous")
        figure("confidently-misclassified")

        doc.heading("Projection quality")
        doc.paragraph("How faithful each map is to the 100-d embeddings (k = 10; trustworthiness and continuity after Venna & Kaski, on a fixed 5,000-point subsample), how well the true classes can be read off it (leave-one-out 10-NN accuracy), and how many clusters a density-based clustering finds in it (DBSCAN with an automatic radius; adjusted Rand index against the 11 classes, noise included).")
        doc.table(header: ["model", "map", "trustworthiness", "continuity", "10-NN preserved", "10-NN accuracy", "clusters", "ARI", "noise cluster purity"],
                  rows: measurements.flatMap { m in
                      m.maps.map { [m.model, $0.name, String(format: "%.4f", $0.preservation.trustworthiness),
                                    String(format: "%.4f", $0.preservation.continuity), String(format: "%.3f", $0.preservation.knnPreservation),
                                    String(format: "%.4f", $0.knnAccuracy), String($0.clusters), String(format: "%.3f", $0.adjustedRandIndex),
                                    String(format: "%.3f", $0.noiseClusterPurity)] }
                  })
        doc.heading("Stability")
        doc.paragraph(String(format: "The tutorial advises running t-SNE several times before trusting a picture. Here the same %d points (a fixed subsample of the trained model's embeddings) were embedded with seeds %@ and random initialisation: Procrustes disparity between runs %@ (0 = identical up to rotation, scale and shift), mean 10-NN overlap %@, KL divergences %@.",
                             stability.points, stability.seeds.map(String.init).joined(separator: ", "),
                             stability.disparities.map { String(format: "%.3f", $0) }.joined(separator: ", "),
                             stability.knnOverlaps.map { String(format: "%.3f", $0) }.joined(separator: ", "),
                             stability.klDivergences.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        figure("tsne-stability")

        doc.heading("Run")
        doc.table(header: ["stage", "seconds", "detail"],
                  rows: stages.map { [$0.name, String(format: "%.1f", $0.seconds), $0.detail] } +
                        [["total", String(format: "%.1f", Date().timeIntervalSince(started)), ""]],
                  caption: "Time per stage")
        doc.table(header: ["setting", "value"], rows: [
            ["BLAS", blas.config], ["kernels", blas.coreName + (blas.replacedCore.map { " (OpenBLAS had fallen back to \($0))" } ?? "")],
            ["threads", String(Threads.count)], ["data", options.dataDirectory], ["output", out],
            ["training seed", String(options.seed)], ["noise seed", String(options.noiseSeed)],
            ["t-SNE seed", String(r.parameters.seed)],
        ], caption: "Configuration")
        try doc.write(to: path("report.html"))
    }
}
