import ArgumentParser
import Datasets
import Foundation
import Linalg
import Projection

/// `embedviz metrics`: what the eye would have to guess, measured. Outlier scores of the input's rows
/// (and how well they find the known outliers), and the quality of a projection of it.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Outlier detection on a matrix, and the quality of a projection of it.",
        discussion: """
            Outliers: every row of --input gets a kNN-distance score (mean distance to its k nearest \
            rows of --reference when given, else of the input itself) and a local outlier factor \
            (within the input). With --metadata whose is_noise (or target 10) marks known outliers, \
            each detector is scored: precision and recall of its top n (n = the number of outliers \
            unless --flag), AUROC. A reference set of in-distribution rows (e.g. training \
            embeddings) matters when the outliers form a tight group of their own, as injected noise \
            does: within one set, their nearest neighbours are each other.

            Projection (--projection, same rows in the same order): trustworthiness and continuity \
            (Venna & Kaski; equal to scikit-learn's trustworthiness), kNN preservation, and with \
            --metadata the leave-one-out kNN accuracy of the targets and DBSCAN clusters with their \
            adjusted Rand index against the targets (maps of 1–3 dimensions).

            Examples:
              embedviz metrics --input runs/demo/trained/embeddings.npy --metadata runs/demo/trained/metadata.tsv
              embedviz metrics --input emb.npy --projection tsne2d.npy --metadata metadata.tsv --json m.json
              embedviz metrics --input test.npy --reference train.npy --scores scores.csv
            """)

    @OptionGroup var input: InputOptions
    @Option(help: ArgumentHelp("A projection of the input (N×d) to measure.", valueName: "path")) var projection: String?
    @Option(help: ArgumentHelp("metadata.tsv with a target column (and optionally prediction, confidence, is_noise).",
                               valueName: "path"))
    var metadata: String?
    @Option(help: ArgumentHelp("In-distribution rows (same columns) for the kNN-distance score.", valueName: "path"))
    var reference: String?
    @Option(help: "Neighbours for the kNN-distance score, trustworthiness, continuity and kNN accuracy.") var k = 10
    @Option(help: "Neighbours for the local outlier factor.") var lofK = 20
    @OptionGroup var neighbourOptions: NeighbourOptions
    @Option(help: "Compute the projection metrics on this many randomly drawn rows when N is larger (0: all).")
    var sample = 5_000
    @Option(help: "Top-scored rows counted as flagged (default: the number of known outliers).") var flag: Int?
    @Option(help: "Rows to list in the tables of the most anomalous and most confidently misclassified.") var top = 10
    @Option(help: ArgumentHelp("Write the per-row scores as an N×2 matrix (kNN distance, LOF), format by extension; - for CSV on stdout.",
                               valueName: "path"))
    var scores: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard k >= 1, lofK >= 1 else { throw ValidationError("--k and --lof-k must be at least 1") }
        guard sample >= 0, top >= 0 else { throw ValidationError("--sample and --top cannot be negative") }
        if let flag, flag < 1 { throw ValidationError("--flag must be at least 1") }
    }

    struct Detection: Encodable {
        var method: String
        var quality: OutlierDetectionQuality?
    }

    struct Ranked: Encodable {
        var rank: Int
        var row: Int
        var score: Double
        var index: Int?
        var target: Int?
        var prediction: Int?
        var confidence: Float?
    }

    struct MapQuality: Encodable {
        var dimensions: Int
        var preservation: NeighbourhoodPreservation
        var knn_accuracy: Double?
        var clusters: Int?
        var cluster_noise_points: Int?
        var adjusted_rand_index: Double?
    }

    struct Summary: Encodable {
        var rows: Int
        var columns: Int
        var reference_rows: Int?
        var k: Int
        var detections: [Detection]
        var most_anomalous: [Ranked]
        var most_confidently_misclassified: [Ranked]?
        var projection: MapQuality?
        /// How the outlier scores' neighbours were found: within the input, and among the reference.
        var neighbour_search: NeighbourReport
        var reference_neighbour_search: NeighbourReport?
        var seconds: Double
    }

    func run() throws {
        common.apply()
        let start = Date()
        let toStdout = scores == "-"
        let x = try input.readAll()
        let source = input.input == "-" ? "<stdin>" : input.input
        let meta = try metadata.map { try EmbeddingMetadata.read($0) }
        if let meta, meta.count != x.rows {
            throw EmbedVizError.input("the metadata has \(meta.count) rows, the input \(x.rows)", at: metadata!)
        }
        let referenceMatrix = try reference.map { try MatrixReader.read($0) }
        if let referenceMatrix, referenceMatrix.columns != x.columns {
            throw EmbedVizError.input("the reference has \(referenceMatrix.columns) columns, the input \(x.columns)", at: reference!)
        }
        let map = try projection.map { try MatrixReader.read($0) }
        if let map, map.rows != x.rows {
            throw EmbedVizError.input("the projection has \(map.rows) rows, the input \(x.rows)", at: projection!)
        }
        let maximumK = x.rows - 1
        guard k < (referenceMatrix?.rows ?? x.rows), lofK <= maximumK, k <= maximumK else {
            throw EmbedVizError.input("--k \(k) and --lof-k \(lofK) need more rows than that (the input has \(x.rows))", at: source)
        }

        // Outlier scores.
        let knnMethod = referenceMatrix == nil ? "kNN distance within the input (k = \(k))"
                                                : "kNN distance to the reference (k = \(k))"
        // One search within the input serves both scores (the first k or lof-k of each list).
        let search = neighbourOptions.search(seed: 42)
        let (within, withinReport) = try NearestNeighbours.find(x, k: max(lofK, referenceMatrix == nil ? k : 1), search: search)
        var referenceReport: NeighbourReport?
        let knnScores: [Double]
        if let referenceMatrix {
            let index = try NeighbourIndex(reference: referenceMatrix, search: search)
            knnScores = KNNDistanceScore.scores(try index.neighbours(of: x, k: k))
            referenceReport = index.report
        } else {
            knnScores = KNNDistanceScore.scores(within.prefix(k))
        }
        let lofScores = LocalOutlierFactor.scores(within.prefix(lofK))
        for report in [withinReport, referenceReport].compactMap({ $0 }) {
            if let warning = report.warning { common.say("warning: \(warning)", stdoutCarriesData: true) }
        }
        let known = meta.map { $0.isNoise.contains(true) } ?? false
        func quality(_ s: [Double]) throws -> OutlierDetectionQuality? {
            guard let meta, known || flag != nil else { return nil }
            return try OutlierDetectionQuality.evaluate(scores: s, isNoise: meta.isNoise, flagged: flag.map { min($0, x.rows) })
        }
        let detections = [Detection(method: knnMethod, quality: try quality(knnScores)),
                          Detection(method: "local outlier factor within the input (k = \(lofK))", quality: try quality(lofScores))]
        let anomalous = RankedSamples.mostAnomalous(scores: knnScores, count: top) { $0 }.map { r in
            Ranked(rank: r.rank, row: r.index, score: r.score, index: meta?.index[r.index], target: meta?.target[r.index],
                   prediction: meta?.prediction[r.index], confidence: meta?.confidence[r.index])
        }
        let misclassified = meta.map { m in
            RankedSamples.mostConfidentlyMisclassified(targets: m.target, predictions: m.prediction,
                                                       confidences: m.confidence.map(Double.init), count: top,
                                                       exclude: m.isNoise).map { r in
                Ranked(rank: r.rank, row: r.index, score: r.score, index: m.index[r.index], target: r.metadata.target,
                       prediction: r.metadata.prediction, confidence: m.confidence[r.index])
            }
        }

        // Projection quality.
        var mapQuality: MapQuality?
        if let map {
            let q = try ProjectionQuality.measure(input: x, projection: map, labels: meta?.target, k: k,
                                                  sampleSize: sample > 0 && sample < x.rows ? sample : nil, seed: 0)
            mapQuality = MapQuality(dimensions: map.columns, preservation: q.preservation, knn_accuracy: q.knnAccuracy,
                                    clusters: q.clusters?.clusterCount, cluster_noise_points: q.clusters?.noiseCount,
                                    adjusted_rand_index: q.adjustedRandIndex)
        }

        if let scores {
            var columns = Matrix(rows: x.rows, columns: 2)
            for i in 0..<x.rows {
                columns[i, 0] = Float(knnScores[i])
                columns[i, 1] = Float(lofScores[i])
            }
            try MatrixWriter.write(columns, to: scores, format: ArrayFormat.fromExtension(scores) ?? (toStdout ? .csv : .npy))
        }
        let summary = Summary(rows: x.rows, columns: x.columns, reference_rows: referenceMatrix?.rows, k: k,
                              detections: detections, most_anomalous: anomalous, most_confidently_misclassified: misclassified,
                              projection: mapQuality, neighbour_search: withinReport, reference_neighbour_search: referenceReport,
                              seconds: Date().timeIntervalSince(start))
        printTable(summary, stdoutCarriesData: toStdout)
        try common.writeSummary(summary, stdoutCarriesData: toStdout)
    }

    func printTable(_ s: Summary, stdoutCarriesData: Bool) {
        let say = { (line: String) in common.say(line, stdoutCarriesData: stdoutCarriesData) }
        say("\(s.rows) rows × \(s.columns) columns" + (s.reference_rows.map { ", reference \($0) rows" } ?? "")
            + String(format: "  (%.2f s)", s.seconds))
        say("neighbours: \(s.neighbour_search.summary)" + (s.reference_neighbour_search.map { "; among the reference: \($0.summary)" } ?? ""))
        say("outlier detection:")
        for d in s.detections {
            if let q = d.quality {
                say("  " + d.method.padding(toLength: max(48, d.method.count), withPad: " ", startingAt: 0)
                    + String(format: " precision %.3f  recall %.3f  (top %d of %d, %d known)  AUROC %.4f",
                             q.precision, q.recall, q.flagged, q.points, q.outliers, q.auroc))
            } else {
                say("  \(d.method)  " + (metadata == nil ? "(give --metadata with is_noise to score it against known outliers)"
                                                         : "(no known outliers in the metadata to score it against)"))
            }
        }
        if !s.most_anomalous.isEmpty {
            say("most anomalous (kNN distance):")
            say("  rank    row     score   index  target  prediction  confidence")
            for r in s.most_anomalous { say(rankedLine(r)) }
        }
        if let wrong = s.most_confidently_misclassified, !wrong.isEmpty {
            say("most confidently misclassified:")
            say("  rank    row     score   index  target  prediction  confidence")
            for r in wrong { say(rankedLine(r)) }
        }
        if let p = s.projection {
            say(String(format: "projection (%d-D) on %d points, k = %d: trustworthiness %.4f  continuity %.4f  kNN preservation %.4f",
                       p.dimensions, p.preservation.points, p.preservation.k, p.preservation.trustworthiness,
                       p.preservation.continuity, p.preservation.knnPreservation))
            if let accuracy = p.knn_accuracy { say(String(format: "  leave-one-out %d-NN accuracy of the targets: %.4f", s.k, accuracy)) }
            if let clusters = p.clusters, let ari = p.adjusted_rand_index {
                say(String(format: "  DBSCAN: %d clusters (%d points unclustered), adjusted Rand index vs targets %.4f",
                           clusters, p.cluster_noise_points ?? 0, ari))
            }
        }
    }

    func rankedLine(_ r: Ranked) -> String {
        // Right-aligned to the header's columns ("%7@" does not pad on Linux Foundation).
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let field = { (v: Int?) in v.map(String.init) ?? "–" }
        return String(format: "  %4d %6d %9.4f", r.rank, r.row, r.score) + pad(field(r.index), 8) + pad(field(r.target), 8)
            + pad(field(r.prediction), 12) + pad(r.confidence.map { String(format: "%.4f", $0) } ?? "–", 12)
    }
}
