import Foundation

extension TutorialStudy {
    /// A drawn figure: where it was written and its PNG bytes (for the report).
    struct DrawnFigure {
        var name: String
        var png: [UInt8]
        var caption: String
    }

    /// Scatter of a 2-D map coloured by predicted class, the injected noise ringed.
    func scatter(_ points: Matrix, _ view: ModelView, title: String, subtitle: String) -> ScatterChart {
        let meta = view.embeddings.metadata
        return ScatterChart(points: points, labels: meta.prediction, classNames: Self.classNames, highlight: meta.isNoise,
                            highlightName: "Injected noise", title: title, subtitle: subtitle)
    }

    func scatter3D(_ points: Matrix, _ view: ModelView, title: String, subtitle: String) -> Scatter3DChart {
        let meta = view.embeddings.metadata
        return Scatter3DChart(points: points, labels: meta.prediction, classNames: Self.classNames, highlight: meta.isNoise,
                              highlightName: "Injected noise", title: title, subtitle: subtitle)
    }

    func drawFigures(trained: ModelView, random: ModelView, history: [EpochMetrics], bestEpoch: Int?,
                     measurements: [StudyMeasurements], stabilityMaps: [Matrix], stabilitySample: [Int]) throws -> [DrawnFigure] {
        let directory = path("figures")
        try createDirectory(directory)
        var drawn: [DrawnFigure] = []
        /// Vector copies beside the PNGs: SVG for charts and grids; PDF for 2-D point clouds (cairo
        /// writes every point as its own SVG path: a 10k-point panel is ~3 MB as SVG, ~0.4 MB as PDF);
        /// none for 3-D clouds (40,000 translucent depth-shaded points took cairo's PDF backend 3.4 s
        /// per figure, and viewers stall on the result).
        enum Vector { case svg, pdf, none }
        var jobs: [(name: String, figure: Figure, caption: String, vector: Vector)] = []
        func emit(_ name: String, _ figure: Figure, _ caption: String, points: Bool = false, vector: Vector? = nil) throws {
            jobs.append((name, figure, caption, vector ?? (points ? .pdf : .svg)))
        }
        let meta = trained.embeddings.metadata
        let images = trained.embeddings.images
        func ratios(_ m: PCAModel, _ k: Int) -> String {
            m.explainedVarianceRatio.prefix(k).map { String(format: "%.1f%%", $0 * 100) }.joined(separator: " + ")
        }
        try emit("training-curves",
                 Figure.trainingCurves(epochs: history.map(\.epoch), trainLoss: history.map(\.trainLoss),
                                          validationLoss: history.map(\.validationLoss),
                                          trainAccuracy: history.map(\.trainAccuracy),
                                          validationAccuracy: history.map(\.validationAccuracy), bestEpoch: bestEpoch),
                 "Loss and accuracy per epoch. The validation loss bottoms out early and rises after: over-fitting; the checkpoint with the lowest validation loss is kept.")
        let first = Array(0..<min(32, meta.count))
        try emit("samples",
                 Figure(ImageGrid(images: images, indices: first,
                                  captions: first.map { "#\($0) pred \(meta.prediction[$0])" + (meta.isNoise[$0] ? " (noise)" : "") },
                                  columns: 8, title: "The first 32 test images and their predicted labels")),
                 "The tutorial's sanity check: the trained model's predictions on the first test images.")
        let noise = Array(meta.index.filter { meta.isNoise[$0] }.prefix(16))
        try emit("noise-examples",
                 Figure(ImageGrid(images: images, indices: noise,
                                  captions: noise.map { String(format: "#%d → %d (%.2f)", $0, meta.prediction[$0], meta.confidence[$0]) },
                                  columns: 8, title: "Injected noise images, with the class the model assigns and its confidence")),
                 "Uniform-noise images replace \(meta.isNoise.filter { $0 }.count) test images (label 10); the model still assigns each a digit.")
        try emit("pca-2d", Figure(scatter(trained.pca2D, trained, title: "PCA of the embeddings (trained model)",
                                          subtitle: "first two components: \(ratios(trained.pca, 2)) of the variance")),
                 "PCA of the 100-d embeddings, coloured by predicted class; injected noise ringed.", points: true)
        try emit("pca-scree", Figure(ScreeChart(explainedVarianceRatio: trained.pca.explainedVarianceRatio,
                                                title: "Explained variance (trained model)")),
                 "Explained-variance ratio per component and cumulative.")
        try emit("pca-3d", Figure.viewpoints(of: scatter3D(trained.pca3D, trained, title: "PCA 3-D",
                                                                   subtitle: ratios(trained.pca, 3)),
                                                     title: "PCA of the embeddings in 3-D, four viewpoints"),
                 "The first three principal components from four viewpoints.", vector: Vector.none)
        let r2 = trained.tsne2D.record
        try emit("tsne-2d", Figure(scatter(trained.tsne2D.embedding, trained, title: "t-SNE of the embeddings (trained model)",
                                           subtitle: String(format: "%@, perplexity %.0f, %d iterations, KL %.3f", r2.method.rawValue,
                                                            r2.parameters.perplexity, r2.parameters.iterations, r2.klDivergence))),
                 "t-SNE (2-D) of the embeddings, coloured by predicted class; injected noise ringed.", points: true)
        if let t3 = trained.tsne3D {
            try emit("tsne-3d", Figure.viewpoints(of: scatter3D(t3.embedding, trained, title: "t-SNE 3-D",
                                                                        subtitle: String(format: "KL %.3f", t3.record.klDivergence)),
                                                          title: "t-SNE of the embeddings in 3-D, four viewpoints"),
                     "t-SNE in three dimensions from four viewpoints.", vector: Vector.none)
        }
        var panels = [scatter(trained.pca2D, trained, title: "PCA — trained", subtitle: ratios(trained.pca, 2)),
                      scatter(random.pca2D, random, title: "PCA — random weights", subtitle: ratios(random.pca, 2)),
                      scatter(trained.tsne2D.embedding, trained, title: "t-SNE — trained",
                              subtitle: String(format: "KL %.3f", trained.tsne2D.record.klDivergence)),
                      scatter(random.tsne2D.embedding, random, title: "t-SNE — random weights",
                              subtitle: String(format: "KL %.3f", random.tsne2D.record.klDivergence))]
        let legend = panels[0].legend.removingDetails()  // counts differ between the models' panels
        for k in panels.indices { panels[k].showsLegend = false }
        try emit("trained-vs-random", Figure(title: "Trained model vs the same architecture with random weights",
                                             rows: [[panels[0], panels[1]], [panels[2], panels[3]]], legend: legend),
                 "The tutorial's control: a model with random weights still maps digits into groups, but far less cleanly.", points: true)
        try emit("pca-vs-tsne", Figure(title: "PCA vs t-SNE (trained model)", rows: [[panels[0], panels[2]]], legend: legend),
                 "The same embeddings, linear and non-linear projections side by side.", points: true)
        let wrong = meta.index.filter { !meta.isNoise[$0] && meta.prediction[$0] != meta.target[$0] }
            .sorted { meta.confidence[$0] > meta.confidence[$1] }.prefix(24)
        if !wrong.isEmpty {
            try emit("confidently-misclassified",
                     Figure(ImageGrid(images: images, indices: Array(wrong),
                                      captions: wrong.map { String(format: "#%d t=%d p=%d %.2f", $0, meta.target[$0], meta.prediction[$0],
                                                                   meta.confidence[$0]) },
                                      columns: 8, title: "The most confidently misclassified digits")),
                     "Digits the model got wrong with the highest confidence (t: target, p: prediction).")
        }
        if let top = measurements.first?.mostAnomalous, !top.isEmpty {
            try emit("most-anomalous",
                     Figure(ImageGrid(images: images, indices: top,
                                      captions: top.map { "#\($0) " + (meta.isNoise[$0] ? "noise" : "t=\(meta.target[$0])") + " p=\(meta.prediction[$0])" },
                                      columns: 8, title: "The most anomalous test samples: farthest from the training embeddings")),
                     "Ranked by the mean distance of each test embedding to its 10 nearest training embeddings.")
        }
        if stabilityMaps.count > 1 {
            let sampleMeta = meta.subset(stabilitySample)
            var runs = stabilityMaps.enumerated().map { k, map in
                ScatterChart(points: map, labels: sampleMeta.prediction, classNames: Self.classNames, highlight: sampleMeta.isNoise,
                             highlightName: "Injected noise", title: "seed \(k + 1)" + (k > 0 ? " (aligned onto seed 1)" : ""))
            }
            let legend = runs[0].legend.removingDetails()
            for k in runs.indices { runs[k].showsLegend = false }
            try emit("tsne-stability", Figure(title: "t-SNE of the same \(stabilitySample.count) points with three seeds (random initialisation)",
                                              rows: [runs], legend: legend),
                     "Runs side by side, each Procrustes-aligned onto the first.", points: true)
        }
        // Render the figures two at a time (cairo surfaces are independent; each job writes its own files).
        var results = [DrawnFigure?](repeating: nil, count: jobs.count)
        var failure: Error?
        let lock = NSLock()
        results.withUnsafeMutableBufferPointer { out in
            let slots = UncheckedSendable(out.baseAddress!)
            Threads.parallelFor(jobs.count) { range in
                for k in range {
                    let job = jobs[k]
                    do {
                        let png = try Profile.section("figure \(job.name)") { try job.figure.pngData() }
                        try OutputFile.write(png, to: directory + "/" + job.name + ".png")
                        var files = "figures/\(job.name).png"
                        switch job.vector {
                        case .svg: try job.figure.write(to: directory + "/" + job.name + ".svg"); files += ", .svg"
                        case .pdf: try job.figure.write(to: directory + "/" + job.name + ".pdf"); files += ", .pdf"
                        case .none: break
                        }
                        slots.value[k] = DrawnFigure(name: job.name, png: png, caption: job.caption + " (\(files))")
                    } catch {
                        lock.lock()
                        failure = failure ?? error
                        lock.unlock()
                    }
                }
            }
        }
        if let failure { throw failure }
        drawn = results.compactMap { $0 }
        return drawn
    }

    /// Interactive maps: trained t-SNE 2-D and 3-D, random-weights t-SNE 2-D.
    func writeExplorers(trained: ModelView, random: ModelView) throws {
        let atlas = ImageAtlas(trained.embeddings.images)
        let sprite = SpriteSheet(png: try atlas.pngData(), tile: atlas.tileWidth, columns: atlas.columns)
        let colors = Palette.classColors(for: Self.classNames).map(\.css)
        func explorer(_ points: Matrix, _ view: ModelView, _ title: String, _ file: String) throws {
            try Explorer(points: points, metadata: view.embeddings.metadata, classNames: Self.classNames, colors: colors,
                         sprite: sprite, title: title,
                         subtitle: "\(points.rows) test images (\(view.embeddings.metadata.isNoise.filter { $0 }.count) injected noise), coloured by predicted class")
                .write(to: path(file))
        }
        try explorer(trained.tsne2D.embedding, trained, "t-SNE of the CNN embeddings (trained model)", "explorer-tsne-2d.html")
        if let t3 = trained.tsne3D {
            try explorer(t3.embedding, trained, "t-SNE 3-D of the CNN embeddings (trained model)", "explorer-tsne-3d.html")
        }
        try explorer(random.tsne2D.embedding, random, "t-SNE of the embeddings of a random-weights model", "explorer-random-tsne-2d.html")
    }
}

