import ArgumentParser
import EmbedViz
import Foundation

/// `embedviz report`: the whole study on anyone's embeddings.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The whole study on your own embeddings: PCA, t-SNE 2-D/3-D, UMAP 2-D, measurements, outlier detectors, figures, explorers, report.",
        discussion: """
            --embeddings is any N×D matrix the readers take (NPY/NPZ, CSV/TSV, raw float32; - for stdin). \
            --metadata is a TSV/CSV with a header and one row per embedding: its label column (--label-column, \
            default `label`, else `target`; labels may be words) colours the maps and is measured against; a \
            column of known outliers (--outlier-column, default `is_outlier`, else `is_noise`; 1/0, true/false) \
            lets every detector be scored (AUROC, FPR95, precision/recall at n). Without labels, maps are drawn \
            in one colour and nothing is said about classes.

            Detectors: kNN distance and LOF within the set; with --reference (in-distribution rows, e.g. training \
            embeddings) also the kNN distance to it, deep kNN (Sun et al. 2022, k = 50) and Mahalanobis \
            (class-agnostic; class-conditional with --reference-metadata labels); with --logits (N×C) the maximum \
            softmax probability and the energy score. The report leads with the best measured detector, or \
            without known outliers with deep kNN (the best on the measured table) or, without a reference, the \
            within-set kNN distance.

            UMAP (2-D, umap-learn's defaults, --seed, after the t-SNE maps: they are the same with \
            --no-umap) is saved as OUT/embeddings/umap2d.npy with its run record, drawn like t-SNE, measured \
            beside it and shown in the 2-D explorer's map switch; --umap-n-neighbors and --umap-min-dist \
            are `umap`'s --n-neighbors and --min-dist.

            Sizes: neighbourhood preservation on 5,000 points, t-SNE stability on 2,000, 3-D t-SNE up to \
            200,000 points, explorers with at most 200,000 points; the report says what was sampled.

            Examples:
              embedviz report --embeddings emb.npy --out runs/mine
              embedviz report --embeddings emb.npy --metadata meta.tsv --label-column species --metric cosine --out runs/mine
              embedviz report --embeddings test.npy --metadata test.tsv --reference train.npy --reference-metadata train.tsv \\
                  --logits logits.npy --images test-images.npy --outlier-column is_ood --out runs/ood
            """)

    @Option(help: ArgumentHelp("N×D embeddings: .npy/.npz, .csv, .tsv, raw float32 (needs --shape); - for stdin.", valueName: "path"))
    var embeddings: String
    @Option(help: ArgumentHelp("Shape of raw float32 embeddings: N,D or just D.", valueName: "N,D")) var shape: String?
    @Option(help: ArgumentHelp("TSV/CSV with a header, one row per embedding; every column is kept.", valueName: "path"))
    var metadata: String?
    @Option(help: ArgumentHelp("The metadata column with the labels (default: label, else target).", valueName: "name"))
    var labelColumn: String?
    @Option(help: ArgumentHelp("The metadata column marking known outliers (default: is_outlier, else is_noise).", valueName: "name"))
    var outlierColumn: String?
    @Option(help: ArgumentHelp("Images of the N points: an N×H×W or N×H×W×3 NPY (uint8, or float in 0…1 or 0…255), or an IDX file. RGB is drawn in grey.",
                               valueName: "path"))
    var images: String?
    @Option(help: ArgumentHelp("A metadata column of PNG or JPEG file paths (relative to the metadata file), one image per row, all of one size (decoded by libpng or libjpeg-turbo, drawn in grey).",
                               valueName: "name"))
    var imageColumn: String?
    @Option(help: ArgumentHelp("In-distribution embeddings (M×D, e.g. of training inputs) for the reference detectors.", valueName: "path"))
    var reference: String?
    @Option(help: ArgumentHelp("TSV/CSV with the reference rows' labels (same label column): class-conditional Mahalanobis.", valueName: "path"))
    var referenceMetadata: String?
    @Option(help: ArgumentHelp("N×C classifier logits: maximum softmax probability and energy scores, predictions. Column c is class c in the labels' order (integers: by value; words: sorted).", valueName: "path"))
    var logits: String?
    @OptionGroup var neighbourOptions: NeighbourOptions
    @Option(help: "Seed of t-SNE and UMAP (and of the HNSW graph when neighbours are approximate).") var seed: UInt64 = 42
    @OptionGroup var umapOptions: UMAPStudyOptions
    @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String
    @Option(help: "Title of the report.") var title = "EmbedViz — a study of the embeddings"
    @Option(help: ArgumentHelp("Explorers draw at most this many points, a seeded sample beyond (the report says so); above 200,000 they are written as a folder.",
                               valueName: "n"))
    var explorerPoints = EmbeddingStudy.Options().explorerPointLimit
    @OptionGroup var common: CommonOptions

    struct Summary: Encodable {
        var points: Int
        var dimensions: Int
        var classes: Int?
        var known_outliers: Int
        var metric: String
        var explained_variance_ratio: [Double]
        var kl_divergence_2d: Double
        var kl_divergence_3d: Double?
        /// How the UMAP map was made (nil with --no-umap).
        var umap_2d: UMAPRecord?
        var measurements: StudyMeasurements
        var lead_detector: String?
        var ranking_detector: String?
        var scale_notes: [String]
        var stages: [StageRecord]
        var threads: Int
        var report: String
        var seconds: Double
    }

    func validate() throws {
        if explorerPoints < 1 { throw EmbedVizError.input("must be at least 1, got \(explorerPoints)", at: "--explorer-points") }
    }

    func run() throws {
        common.apply()
        StopRequest.install()
        let start = Date()
        let umap = try umapOptions.parameters()
        var source = EmbeddingSetSource(embeddings: embeddings)
        source.metadata = metadata
        source.labelColumn = labelColumn
        source.outlierColumn = outlierColumn
        source.images = images
        source.imageColumn = imageColumn
        source.reference = reference
        source.referenceMetadata = referenceMetadata
        source.logits = logits
        source.readOptions = try InputOptions.parse(["--input", embeddings] + (shape.map { ["--shape", $0] } ?? [])).readOptions()
        let stem = ((embeddings == "-" ? "stdin" : embeddings) as NSString).lastPathComponent.components(separatedBy: ".").first ?? "embeddings"
        let set = try source.load(name: stem.isEmpty ? "embeddings" : stem)
        var options = EmbeddingStudy.Options.forPoints(set.features.rows)
        options.output = out
        options.title = title
        options.explorerPointLimit = explorerPoints
        options.subtitle = "\(set.features.rows) embeddings of \(set.features.columns) dimensions from \(embeddings)"
        options.search = neighbourOptions.search(seed: seed)
        options.tsne.seed = seed
        options.tsne3D?.seed = seed
        options.umap = umap
        options.umap?.seed = seed
        options.settings = [("embeddings", embeddings), ("metadata", metadata ?? "none"), ("reference", reference ?? "none"),
                            ("logits", logits ?? "none"), ("images", images ?? imageColumn.map { "metadata column \($0)" } ?? "none"), ("output", out), ("seed", String(seed))]
        options.shouldStop = { StopRequest.isSet }
        let line = ProgressLine(quiet: common.quiet)
        let results = try EmbeddingStudy(options: options).run(set, events: studyProgress(line, common))
        line.finish()
        let main = results.main
        let report = (out as NSString).appendingPathComponent("report.html")
        let summary = Summary(points: set.features.rows, dimensions: set.features.columns, classes: set.hasLabels ? set.classNames.count : nil,
                              known_outliers: set.outlierCount, metric: options.search.metric.rawValue,
                              explained_variance_ratio: main.projections.pca.explainedVarianceRatio,
                              kl_divergence_2d: main.projections.tsne2D.record.klDivergence,
                              kl_divergence_3d: main.projections.tsne3D?.record.klDivergence, umap_2d: main.projections.umap2D?.record,
                              measurements: main.measurements,
                              lead_detector: main.measurements.leadDetection?.method, ranking_detector: main.measurements.ranking?.name,
                              scale_notes: results.scaleNotes, stages: results.stages, threads: Threads.count, report: report,
                              seconds: Date().timeIntervalSince(start))
        try JSONCoding.write(summary, to: (out as NSString).appendingPathComponent("summary.json"))
        common.say("report: \(report)")
        try common.writeSummary(summary)
    }
}

extension ReportCommand: RenamesLibraryParameters {
    static var libraryParameterFlags: [String: String] { UMAPStudyOptions.flags }
}
