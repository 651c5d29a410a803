import Datasets
import Foundation
import Linalg
import NeuralNet
import Plot
import Projection

/// Draws the study's figures into `figures/` under the results' output directory (PNG, plus SVG
/// for charts and grids, PDF for 2-D point clouds) and returns them with their report captions.
/// What is drawn follows what the results hold: training curves only with a training, image grids
/// only with images, the comparison only with a control set.
public struct FigureStage: Sendable {
    public var terms: StudyTerms
    /// Title of the studied-vs-control figure; nil: "<studied> vs <control>".
    public var comparisonTitle: String?

    public init(terms: StudyTerms = StudyTerms(), comparisonTitle: String? = nil) {
        self.terms = terms
        self.comparisonTitle = comparisonTitle
    }

    /// Vector copies beside the PNGs: SVG for charts and grids; PDF for 2-D point clouds (cairo
    /// writes every point as its own SVG path: a 10k-point panel is ~3 MB as SVG, ~0.4 MB as PDF);
    /// none for 3-D clouds (40,000 translucent depth-shaded points took cairo's PDF backend 3.4 s
    /// per figure, and viewers stall on the result).
    enum Vector { case svg, pdf, none }

    struct Job {
        var name: String
        var figure: Figure
        var caption: String
        var vector: Vector
    }

    public func run(_ results: StudyResults) throws -> [DrawnFigure] {
        let directory = results.path("figures")
        try OutputFile.createDirectory(directory)
        return try render(jobs(results), into: directory)
    }

    /// Scatter of a 2-D map coloured by predicted class, the known outliers ringed.
    func scatter(_ points: Matrix, _ set: EmbeddingSet, title: String, subtitle: String) -> ScatterChart {
        ScatterChart(points: points, labels: set.colourLabels, classNames: set.classNames, highlight: set.metadata.isNoise,
                     highlightName: terms.outlierLegend, title: title, subtitle: subtitle)
    }

    func scatter3D(_ points: Matrix, _ set: EmbeddingSet, title: String, subtitle: String) -> Scatter3DChart {
        Scatter3DChart(points: points, labels: set.colourLabels, classNames: set.classNames, highlight: set.metadata.isNoise,
                       highlightName: terms.outlierLegend, title: title, subtitle: subtitle)
    }

    func jobs(_ results: StudyResults) -> [Job] {
        var jobs: [Job] = []
        func emit(_ name: String, _ figure: Figure, _ caption: String, points: Bool = false, vector: Vector? = nil) {
            jobs.append(Job(name: name, figure: figure, caption: caption, vector: vector ?? (points ? .pdf : .svg)))
        }
        let main = results.main.embeddings, maps = results.main.projections
        let meta = main.metadata
        func className(_ c: Int) -> String { c < main.classNames.count ? main.classNames[c] : String(c) }
        func label(_ i: Int) -> String {
            main.hasPredictions ? " pred \(className(meta.prediction[i]))" : main.hasLabels ? " \(className(meta.target[i]))" : ""
        }
        let colouring = Findings.colouring(main)
        let ringed = main.outlierCount > 0 ? "; \(terms.outliers) ringed" : ""
        func ratios(_ m: PCAModel, _ k: Int) -> String {
            m.explainedVarianceRatio.prefix(k).map { String(format: "%.1f%%", $0 * 100) }.joined(separator: " + ")
        }
        if let training = results.training {
            let history = training.history
            emit("training-curves",
                 Figure.trainingCurves(epochs: history.map(\.epoch), trainLoss: history.map(\.trainLoss),
                                       validationLoss: history.map(\.validationLoss),
                                       trainAccuracy: history.map(\.trainAccuracy),
                                       validationAccuracy: history.map(\.validationAccuracy), bestEpoch: training.bestEpoch),
                 "Loss and accuracy per epoch. " + Findings.validationCurve(history))
        }
        if let images = main.images {
            let first = Array(0..<min(32, meta.count))
            emit("samples",
                 Figure(ImageGrid(images: images, indices: first,
                                  captions: first.map { "#\($0)" + label($0) + (meta.isNoise[$0] ? " (\(terms.outlierWord))" : "") },
                                  columns: 8, title: "The first \(first.count) \(terms.points)" + (main.hasPredictions ? " and their predicted labels"
                                                                                                : main.hasLabels ? " and their labels" : ""))),
                 results.training != nil ? "The tutorial's sanity check: the \(main.name)'s predictions on the first \(terms.points)."
                     : "The first \(first.count) \(terms.points)" + (main.hasPredictions ? ", with the class the logits predict." : "."))
            let outliers = Array(meta.index.indices.filter { meta.isNoise[$0] }.prefix(16))
            if !outliers.isEmpty {
                let assigned = Findings.outlierPredictions(meta, classNames: main.classNames).map { "; " + $0 } ?? ""
                emit("noise-examples",
                     Figure(ImageGrid(images: images, indices: outliers,
                                      captions: outliers.map { main.hasPredictions ? String(format: "#%d → %@ (%.2f)", $0, className(meta.prediction[$0]), meta.confidence[$0]) : "#\($0)" },
                                      columns: 8, title: main.hasPredictions ? "\(terms.outlierLegend) images, with the class the model assigns and its confidence"
                                                                             : "\(terms.outlierLegend)")),
                     results.noiseSeed != nil
                        ? "Uniform-noise images replace \(main.outlierCount) \(terms.points) (label 10)\(assigned)."
                        : "The \(main.outlierCount) \(terms.outliers)\(assigned).")
            }
        }
        emit("pca-2d", Figure(scatter(maps.pca2D, main, title: "PCA of the embeddings (\(main.name))",
                                      subtitle: "first two components: \(ratios(maps.pca, 2)) of the variance")),
             "PCA of the \(main.features.columns)-d embeddings, \(colouring)\(ringed).", points: true)
        emit("pca-scree", Figure(ScreeChart(explainedVarianceRatio: maps.pca.explainedVarianceRatio,
                                            title: "Explained variance (\(main.name))")),
             "Explained-variance ratio per component and cumulative.")
        emit("pca-3d", Figure.viewpoints(of: scatter3D(maps.pca3D, main, title: "PCA 3-D", subtitle: ratios(maps.pca, 3)),
                                         title: "PCA of the embeddings in 3-D, four viewpoints"),
             "The first three principal components from four viewpoints.", vector: Vector.none)
        let r2 = maps.tsne2D.record
        emit("tsne-2d", Figure(scatter(maps.tsne2D.embedding, main, title: "t-SNE of the embeddings (\(main.name))",
                                       subtitle: String(format: "%@, perplexity %.0f, %d iterations, KL %.3f", r2.method.rawValue,
                                                        r2.parameters.perplexity, r2.parameters.iterations, r2.klDivergence))),
             "t-SNE (2-D) of the embeddings, \(colouring)\(ringed).", points: true)
        if let t3 = maps.tsne3D {
            emit("tsne-3d", Figure.viewpoints(of: scatter3D(t3.embedding, main, title: "t-SNE 3-D",
                                                            subtitle: String(format: "KL %.3f", t3.record.klDivergence)),
                                              title: "t-SNE of the embeddings in 3-D, four viewpoints"),
                 "t-SNE in three dimensions from four viewpoints.", vector: Vector.none)
        }
        if let u = maps.umap2D {
            let r = u.record
            emit("umap-2d", Figure(scatter(u.embedding, main, title: "UMAP of the embeddings (\(main.name))",
                                           subtitle: String(format: "%d neighbours, min_dist %g, %d epochs, %@ start", r.parameters.neighbours,
                                                            r.parameters.minDist, r.epochs, r.initialization))),
                 "UMAP (2-D) of the embeddings, \(colouring)\(ringed).", points: true)
        }
        let short = main.shortName
        var panels = [scatter(maps.pca2D, main, title: "PCA — \(short)", subtitle: ratios(maps.pca, 2)),
                      scatter(maps.tsne2D.embedding, main, title: "t-SNE — \(short)",
                              subtitle: String(format: "KL %.3f", maps.tsne2D.record.klDivergence))]
        if let control = results.control {
            let c = control.embeddings, cmaps = control.projections
            panels.insert(scatter(cmaps.pca2D, c, title: "PCA — \(c.shortName)", subtitle: ratios(cmaps.pca, 2)), at: 1)
            panels.append(scatter(cmaps.tsne2D.embedding, c, title: "t-SNE — \(c.shortName)",
                                  subtitle: String(format: "KL %.3f", cmaps.tsne2D.record.klDivergence)))
        }
        let legend = panels[0].legend.removingDetails()  // counts differ between the sets' panels
        for k in panels.indices { panels[k].showsLegend = false }
        if let control = results.control {
            let comparison = Findings.comparison(main: results.main.measurements, control: control.measurements,
                                                 mainName: main.name, controlName: control.embeddings.name,
                                                 majorityShare: Self.majorityShare(meta.target))
            emit("trained-vs-random", Figure(title: comparisonTitle ?? "\(main.name) vs \(control.embeddings.name)",
                                             rows: [[panels[0], panels[1]], [panels[2], panels[3]]], legend: legend),
                 comparison?.caption ?? "The studied set and the control side by side.", points: true)
            panels = [panels[0], panels[2]]
        }
        emit("pca-vs-tsne", Figure(title: "PCA vs t-SNE (\(main.name))", rows: [[panels[0], panels[1]]], legend: legend),
             "The same embeddings, linear and non-linear projections side by side.", points: true)
        if let images = main.images {
            let wrong = !(main.hasPredictions && main.hasLabels) ? [] : meta.index.indices.filter { !meta.isNoise[$0] && meta.prediction[$0] != meta.target[$0] }
                .sorted { meta.confidence[$0] > meta.confidence[$1] }.prefix(24)
            if !wrong.isEmpty {
                emit("confidently-misclassified",
                     Figure(ImageGrid(images: images, indices: Array(wrong),
                                      captions: wrong.map { String(format: "#%d t=%@ p=%@ %.2f", $0, className(meta.target[$0]), className(meta.prediction[$0]),
                                                                   meta.confidence[$0]) },
                                      columns: 8, title: "The most confidently misclassified \(terms.items)")),
                     "\(terms.items.prefix(1).uppercased() + terms.items.dropFirst()) the model got wrong with the highest confidence (t: target, p: prediction).")
            }
            let top = results.main.measurements.mostAnomalous
            if !top.isEmpty {
                let basis = results.main.measurements.ranking?.basis
                emit("most-anomalous",
                     Figure(ImageGrid(images: images, indices: top,
                                      captions: top.map { "#\($0)" + (meta.isNoise[$0] ? " " + terms.outlierWord : main.hasLabels ? " t=\(className(meta.target[$0]))" : "")
                                                              + (main.hasPredictions ? " p=\(className(meta.prediction[$0]))" : "") },
                                      columns: 8, title: "The most anomalous \(terms.samples): " + (basis == .reference ? "farthest from the \(terms.reference)"
                                                                                    : basis == .logits ? "the model's least confident"
                                                                                    : "farthest from their neighbours"))),
                     Findings.ranking(results.main.measurements, terms: terms))
            }
        }
        if let stability = results.stability, stability.alignedMaps.count > 1 {
            let sampleMeta = meta.subset(stability.sample)
            let seeds = stability.stability.seeds
            var runs = stability.alignedMaps.enumerated().map { k, map in
                ScatterChart(points: map, labels: main.hasPredictions ? sampleMeta.prediction : sampleMeta.target, classNames: main.classNames, highlight: sampleMeta.isNoise,
                             highlightName: terms.outlierLegend, title: "seed \(seeds[k])" + (k > 0 ? " (aligned onto seed \(seeds[0]))" : ""))
            }
            let legend = runs[0].legend.removingDetails()
            for k in runs.indices { runs[k].showsLegend = false }
            emit("tsne-stability", Figure(title: "t-SNE of the same \(stability.sample.count) points with \(Findings.word(seeds.count)) seeds (random initialisation)",
                                          rows: [runs], legend: legend),
                 "Runs side by side, each Procrustes-aligned onto the first.", points: true)
        }
        return jobs
    }

    /// The share of the most frequent target: what a classifier that ignores the map achieves.
    static func majorityShare(_ targets: [Int]) -> Double {
        var counts: [Int: Int] = [:]
        for t in targets { counts[t, default: 0] += 1 }
        return Double(counts.values.max() ?? 0) / Double(max(targets.count, 1))
    }

    /// Renders the figures two at a time (cairo surfaces are independent; each job writes its own files).
    func render(_ jobs: [Job], into directory: String) throws -> [DrawnFigure] {
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
        return results.compactMap { $0 }
    }
}
