import Datasets
import Foundation
import Linalg
import NeuralNet
import Projection

/// The report's findings: every sentence that states one is computed here from the numbers it is
/// about, and says only what they show. (Descriptions of what was done are the report writer's.)
enum Findings {
    // MARK: - Training

    /// A final validation loss more than this fraction above the lowest counts as rising.
    static let riseTolerance = 0.05

    /// The validation curve: over-fitting when the lowest validation loss comes before the last
    /// epoch, the last is more than `riseTolerance` above it, and the training loss fell meanwhile.
    static func validationCurve(_ history: [EpochMetrics]) -> String {
        guard let best = history.min(by: { $0.validationLoss < $1.validationLoss }), let last = history.last else {
            return "No epoch was trained."
        }
        if history.count == 1 {
            return String(format: "One epoch: a single validation loss (%.4f), too few to tell whether the model over-fits; its checkpoint is kept.",
                          best.validationLoss)
        }
        if best.epoch == last.epoch {
            return String(format: "The validation loss is lowest at the last epoch, %d (%.4f): no sign of over-fitting within %d epochs; that checkpoint is kept.",
                          last.epoch, last.validationLoss, history.count)
        }
        let rise = best.validationLoss > 0 ? last.validationLoss / best.validationLoss - 1 : (last.validationLoss > 0 ? .infinity : 0)
        let curve = String(format: "The validation loss is lowest at epoch %d (%.4f)", best.epoch, best.validationLoss)
        let kept = String(format: "; the checkpoint of epoch %d is kept.", best.epoch)
        if rise <= riseTolerance {
            return curve + String(format: " and ends within %.0f%% of it (%.4f at epoch %d): it levels off rather than rising",
                                  riseTolerance * 100, last.validationLoss, last.epoch) + kept
        }
        let rising = String(format: " and %.0f%% higher by epoch %d (%.4f)", rise * 100, last.epoch, last.validationLoss)
        if last.trainLoss < best.trainLoss {
            return curve + rising + String(format: " while the training loss falls from %.4f to %.4f: over-fitting after epoch %d",
                                           best.trainLoss, last.trainLoss, best.epoch) + kept
        }
        return curve + rising + String(format: ", and the training loss does not fall either (%.4f to %.4f): training got worse after epoch %d rather than over-fitting",
                                       best.trainLoss, last.trainLoss, best.epoch) + kept
    }

    /// How the model was trained, from the configuration and the epochs run.
    static func trainingSetup(_ training: TrainedModel) -> String {
        let c = training.config
        let epochs = training.history.count
        return String(format: "trained with Adam (learning rate %g), batch %d, for %d %@ on %@ training images (%@ more held out for validation)",
                      Double(c.learningRate), c.batchSize, epochs, epochs == 1 ? "epoch" : "epochs",
                      count(c.trainSize), count(c.validationSize))
    }

    // MARK: - Injected noise

    /// What the model makes of the known outliers: the class it assigns most of them, and how sure it is.
    static func outlierPredictions(_ metadata: EmbeddingMetadata, classNames: [String]) -> String? {
        let rows = metadata.index.indices.filter { metadata.isNoise[$0] }
        guard !rows.isEmpty else { return nil }
        var counts: [Int: Int] = [:]
        for r in rows { counts[metadata.prediction[r], default: 0] += 1 }
        // The most frequent class; the smallest class among equals.
        var top = 0, n = 0
        for (label, k) in counts where k > n || (k == n && label < top) { (top, n) = (label, k) }
        let confidence = rows.map { Double(metadata.confidence[$0]) }.reduce(0, +) / Double(rows.count)
        let name = top < classNames.count ? classNames[top] : String(top)
        return String(format: "the model assigns %@ of them (%d of %d) to class %@, with a mean confidence of %.2f",
                      n == rows.count ? "all" : (2 * n > rows.count ? "most" : "the largest share"), n, rows.count, name, confidence)
    }

    // MARK: - PCA

    /// The route the solver took.
    static func pcaSolver(_ solver: PCASolver) -> String {
        switch solver {
        case .covariance: "covariance route: the D×D cross-product of the centred data, eigen-decomposed by LAPACK's dsyevd"
        case .svd: "thin SVD of the centred data by LAPACK's sgesdd"
        case .auto: "solver chosen automatically"
        }
    }

    /// The solver of each set, named once when they agree.
    static func pcaSolvers(_ sets: [(name: String, solver: PCASolver)]) -> String {
        let distinct = Set(sets.map(\.solver))
        if distinct.count == 1 { return pcaSolver(sets[0].solver) }
        return sets.map { "\($0.name): \(pcaSolver($0.solver))" }.joined(separator: "; ")
    }

    // MARK: - t-SNE

    /// How P was made, from the run record: dense, or over k neighbours found as its neighbour report says.
    static func tsneAffinities(_ r: TSNERecord) -> String {
        if r.method == .exact {
            return String(format: "Dense affinities over all %d other points (perplexity %.0f)", r.points - 1, r.parameters.perplexity)
        }
        let found = r.neighbourSearch?.method == .approx ? "Approximate" : "Exact"
        let how = r.neighbourSearch.map { "; \($0.summary)" } ?? ""
        return String(format: "%@ k-nearest-neighbour affinities (perplexity %.0f, %d neighbours%@)",
                      found, r.parameters.perplexity, r.neighbours, how)
    }

    static func tsneInitialisation(_ r: TSNERecord) -> String {
        switch r.initialization {
        case "pca": "PCA initialisation"
        case "random": "random initialisation (seed \(r.parameters.seed))"
        default: "\(r.initialization) initialisation"
        }
    }

    // MARK: - UMAP

    /// How the UMAP map was made, from its run record: the graph, the curve, the start, the epochs
    /// (and whether they follow umap-learn's rule for this size), and whether the map is reproducible.
    static func umapMethod(_ r: UMAPRecord) -> String {
        let p = r.parameters
        let rule = UMAPParameters.defaultEpochs(points: r.points)
        let epochs = r.epochs == rule ? "\(r.epochs) epochs (umap-learn's rule for \(count(r.points)) points)"
            : "\(r.epochs) epochs (\(r.epochs < rule ? "fewer" : "more") than the \(rule) of umap-learn's rule for \(count(r.points)) points)"
        let start = r.initializationFallback.map { "\(r.initialization) initialisation (\($0))" } ?? "\(r.initialization) initialisation"
        var text = String(format: "A fuzzy graph of each point's %d nearest neighbours (the point itself counted, as in umap-learn's n_neighbors; %@), %@ directed edges of which %@ are optimised; the curve 1/(1 + a·d^2b) fitted to min_dist %g and spread %g (a = %.3f, b = %.3f); %@; SGD for %@, learning rate %g decayed linearly, %d negative samples per positive, seed %llu.",
                              p.neighbours, r.neighbourSearch.summary, count(r.graphEdges), count(r.graphEdgesOptimised), p.minDist, p.spread,
                              r.a, r.b, start, epochs, p.learningRate, p.negativeSampleRate, p.seed)
        if let crossEntropy = r.crossEntropy { text += String(format: " Final fuzzy-set cross-entropy %.1f.", crossEntropy) }
        text += r.deterministic ? " The same input, parameters and seed give the same map for any number of threads."
            : " The neighbour lists came from an HNSW graph built in parallel: another run can give another map."
        return text
    }

    /// UMAP's 2-D map against t-SNE's, by the measures both got on the same points: trustworthiness
    /// (differences within `umapTolerance` count as equal), and with labels the 10-NN accuracy and
    /// DBSCAN's agreement with the classes; and what each took.
    static func umapVersusTSNE(_ m: StudyMeasurements, umapSeconds: Double, tsneSeconds: Double) -> String? {
        guard let u = m.maps.first(where: { $0.name == "UMAP 2-D" }), let t = m.maps.first(where: { $0.name == "t-SNE 2-D" }) else {
            return nil
        }
        func side(_ a: Double, _ b: Double, tolerance: Double, higher: String, lower: String, equal: String) -> String {
            abs(a - b) <= tolerance ? equal : a > b ? higher : lower
        }
        var parts = [String(format: "trustworthiness %.4f vs %.4f (%@)", u.preservation.trustworthiness, t.preservation.trustworthiness,
                            side(u.preservation.trustworthiness, t.preservation.trustworthiness, tolerance: umapTolerance,
                                 higher: "UMAP keeps the embeddings' neighbourhoods better", lower: "t-SNE keeps the embeddings' neighbourhoods better",
                                 equal: "both keep the neighbourhoods about equally"))]
        if !u.knnAccuracy.isNaN && !t.knnAccuracy.isNaN {
            parts.append(String(format: "10-NN accuracy %.4f vs %.4f (%@)", u.knnAccuracy, t.knnAccuracy,
                                side(u.knnAccuracy, t.knnAccuracy, tolerance: umapTolerance, higher: "the classes read off UMAP's map better",
                                     lower: "the classes read off t-SNE's map better", equal: "the classes read off both about equally")))
        }
        if !u.adjustedRandIndex.isNaN && !t.adjustedRandIndex.isNaN {
            parts.append(String(format: "DBSCAN finds %d clusters vs %d, matching the classes with an adjusted Rand index of %.3f vs %.3f (%@)",
                                u.clusters, t.clusters, u.adjustedRandIndex, t.adjustedRandIndex,
                                side(u.adjustedRandIndex, t.adjustedRandIndex, tolerance: 0.05, higher: "UMAP's groups are the more separated",
                                     lower: "t-SNE's groups are the more separated", equal: "about as well separated")))
        }
        let time = side(umapSeconds, tsneSeconds, tolerance: 0.1 * max(umapSeconds, tsneSeconds),
                        higher: "UMAP was the slower", lower: "UMAP was the faster", equal: "about the same time")
        return "Against t-SNE's 2-D map of the same points, measured the same way (UMAP first): " + parts.joined(separator: "; ")
            + String(format: ". UMAP took %.1f s, t-SNE %.1f s (%@).", umapSeconds, tsneSeconds, time)
    }

    /// Differences in trustworthiness and 10-NN accuracy up to this count as equal (issue 18 holds
    /// UMAP to umap-learn within it).
    static let umapTolerance = 0.005

    // MARK: - Control

    /// How a control set's map compares with the studied set's, in the first map both have
    /// (t-SNE 2-D first): whether its classes still group (leave-one-out 10-NN accuracy against the
    /// majority-class share), and how separated its groups are (difference in DBSCAN's adjusted Rand index).
    struct Comparison {
        var map: String
        var grouping: String
        var separation: String
        var sentence: String
        var caption: String
    }

    static func comparison(main: StudyMeasurements, control: StudyMeasurements, mainName: String, controlName: String,
                           majorityShare: Double) -> Comparison? {
        let names = ["t-SNE 2-D"] + main.maps.map(\.name)
        guard let name = names.first(where: { n in main.maps.contains { $0.name == n } && control.maps.contains { $0.name == n } }),
              let m = main.maps.first(where: { $0.name == name }), let c = control.maps.first(where: { $0.name == name })
        else { return nil }
        let grouping = c.knnAccuracy >= 0.5 && c.knnAccuracy >= 2 * majorityShare ? "still group most points by class"
            : c.knnAccuracy >= 2 * majorityShare ? "group some points by class" : "hardly group the points by class"
        let d = m.adjustedRandIndex - c.adjustedRandIndex
        let separation = d >= 0.25 ? "far less separated" : d >= 0.05 ? "less separated" : d > -0.05 ? "about as well separated"
            : "better separated"
        let contrast = (d >= 0.05) == (c.knnAccuracy >= 0.5)
        let sentence = String(format: "In the %@ maps, the embeddings with %@ %@ (a point's class is read off its 10 nearest neighbours with accuracy %.3f; %.3f with the %@)%@ the groups are %@: DBSCAN's clusters match the classes with an adjusted Rand index of %.3f (%d clusters; %.3f and %d clusters with the %@).",
                              name, controlName, grouping, c.knnAccuracy, m.knnAccuracy, mainName, contrast ? ", but" : ", and",
                              separation, c.adjustedRandIndex, c.clusters, m.adjustedRandIndex, m.clusters, mainName)
        let caption = String(format: "The control: with %@ the embeddings %@%@ the groups are %@ (%@: 10-NN accuracy %.3f vs %.3f, adjusted Rand index %.3f vs %.3f).",
                             controlName, grouping, contrast ? ", but" : ", and", separation, name, c.knnAccuracy, m.knnAccuracy,
                             c.adjustedRandIndex, m.adjustedRandIndex)
        return Comparison(map: name, grouping: grouping, separation: separation, sentence: sentence, caption: caption)
    }

    // MARK: - Outliers

    /// "finds", "finds part of", "fails to find" the outliers, by the recall among the top-scored.
    static func detectionVerb(recall: Double) -> String {
        recall >= 0.8 ? "finds" : recall >= 0.2 ? "finds part of" : "fails to find"
    }

    /// The outlier paragraph's findings for the studied set: the reference detector's result, what
    /// the detectors that look only within the set achieve, and — when their kNN distances rank the
    /// outliers below the other points (AUROC < 0.5) — why.
    static func outliers(_ m: StudyMeasurements, referencePoints: Int?, dimensions: Int, terms: StudyTerms,
                         tsnePurity: Double?) -> String {
        var text = "Which inputs don't belong? Scored on the \(dimensions)-d embeddings, not on a picture of them: "
        let reference = m.detections.first { $0.scope == .reference }
        let within = m.detections.filter { $0.scope == .withinSet }
        if let reference, let referencePoints {
            let q = reference.quality
            text += String(format: "the mean distance of each embedding to its 10 nearest of %@ %@ %@ the %@ with precision %.3f and recall %.3f among its top %d (AUROC %.4f).",
                           count(referencePoints), terms.reference, detectionVerb(recall: q.recall), terms.outliers,
                           q.precision, q.recall, q.flagged, q.auroc)
        }
        guard let best = within.max(by: { $0.quality.recall < $1.quality.recall }) else { return text }
        let bestText = String(format: "best: %@, recall %.3f, AUROC %.4f", best.method, best.quality.recall, best.quality.auroc)
        let referenceWorks = (reference?.quality.recall ?? 0) >= 0.8
        let prefix = reference == nil ? "" : " "
        switch best.quality.recall {
        case 0.8...: text += prefix + "Scores computed within \(terms.set) alone find it too (\(bestText))."
        case 0.2..<0.8: text += prefix + "Scores computed within \(terms.set) alone find only part of it (\(bestText))."
        default: text += prefix + "Scores computed within \(terms.set) alone fail\(referenceWorks ? " here" : "") (\(bestText))."
        }
        if let knn = within.first(where: { $0.method.hasPrefix("kNN distance") }), knn.quality.auroc < 0.5 {
            text += String(format: " The reason is instructive: the %@ does not scatter. Its 10 nearest neighbours within %@ are closer than those of the other points (the kNN distance ranks it with AUROC %.4f, below the 0.5 of a random order)",
                           terms.outliers, terms.set, knn.quality.auroc)
            if let tsnePurity, tsnePurity >= 0.9 {
                text += String(format: " and the t-SNE map gives it a cluster of its own (purity %.3f)", tsnePurity)
            }
            text += ": it forms one tight group, so each has close neighbours — other \(terms.outlierWord) points."
        }
        return text
    }

    /// What the maps' colours show.
    static func colouring(_ set: EmbeddingSet) -> String {
        set.hasPredictions ? "coloured by predicted class" : set.hasLabels ? "coloured by label" : "in one colour (the set has no labels)"
    }

    /// What ranked the most anomalous samples, and why that detector.
    static func ranking(_ m: StudyMeasurements, terms: StudyTerms) -> String {
        guard let ranking = m.ranking else { return "No detector could score these points." }
        if let lead = m.leadDetection {
            return String(format: "Ranked by %@: of the detectors measured, it finds the %@ best (AUROC %.4f, FPR95 %.4f).",
                          lead.method, terms.outliers, lead.quality.auroc, lead.quality.fprAt95)
        }
        return "Ranked by \(ranking.name); no known \(terms.outliers) to measure it with, so this is the default: " +
            (ranking.basis == .withinSet ? "without reference embeddings, the mean distance to the nearest neighbours within \(terms.set)."
                : "the first detector these inputs allow in the order measured on the tutorial's injected noise and a near-out-of-distribution image set (mean AUROC: class-conditional Mahalanobis 0.984, deep kNN 0.982, class-agnostic Mahalanobis 0.977, kNN distance to the reference 0.960).")
    }

    /// The detector table's lead, in a sentence: which is best by the numbers, and by how much.
    static func leadDetector(_ m: StudyMeasurements, terms: StudyTerms) -> String? {
        guard let lead = m.leadDetection else { return nil }
        let others = m.detections.enumerated().filter { $0.offset != m.lead }.map(\.element)
        var text = String(format: "The report leads with %@: the highest AUROC of the %d detectors measured (%.4f; FPR95 %.4f, precision %.3f among its top %d)",
                          lead.method, m.detections.count, lead.quality.auroc, lead.quality.fprAt95, lead.quality.precision, lead.quality.flagged)
        if let next = others.max(by: { $0.quality.auroc < $1.quality.auroc || ($0.quality.auroc == $1.quality.auroc && $0.quality.fprAt95 > $1.quality.fprAt95) }) {
            text += next.quality.auroc == lead.quality.auroc
                ? String(format: ", tied with %@ on AUROC and ahead of it on FPR95 or by its place in the list", next.method)
                : String(format: "; next: %@ (AUROC %.4f, FPR95 %.4f)", next.method, next.quality.auroc, next.quality.fprAt95)
        }
        if let worst = others.min(by: { $0.quality.auroc < $1.quality.auroc }), worst.quality.auroc < 0.6 {
            text += String(format: "; weakest: %@ (AUROC %.4f)", worst.method, worst.quality.auroc)
        }
        return text + "."
    }

    // MARK: - Projection quality and stability

    /// On how many points neighbourhood preservation was measured.
    static func preservationScope(points: Int, of total: Int) -> String {
        points < total ? "on a fixed subsample of \(count(points)) of the \(count(total)) points" : "on all \(count(total)) points"
    }

    /// The classes the adjusted Rand index compares with.
    static func classesCompared(_ metadata: EmbeddingMetadata, terms: StudyTerms, hasLabels: Bool = true) -> String {
        guard hasLabels else { return "nothing: the set has no labels, so accuracy, clusters and ARI are not measured" }
        let classes = Set(metadata.target).count
        // Whether the known outliers are a class of their own: one target that no other point has.
        let outlierTargets = Set(metadata.target.indices.filter { metadata.isNoise[$0] }.map { metadata.target[$0] })
        let outliers = outlierTargets.count == 1
            && !metadata.target.indices.contains { !metadata.isNoise[$0] && outlierTargets.contains(metadata.target[$0]) }
        return "the \(classes) classes of the targets" + (outliers ? ", the \(terms.outliers) one of them" : "")
    }

    static func stabilitySample(_ s: StabilityResult) -> String {
        s.stability.points < s.setPoints
            ? "a fixed subsample of the \(s.setName)'s \(count(s.setPoints)) embeddings"
            : "all of the \(s.setName)'s embeddings"
    }

    // MARK: - Formatting

    /// 12345 → "12,345".
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (k, c) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// 3 → "three" (two to ten), else digits.
    static func word(_ n: Int) -> String {
        let words = [2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"]
        return words[n] ?? String(n)
    }
}
