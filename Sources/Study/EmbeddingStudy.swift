import Datasets
import Foundation
import Linalg
import Projection

/// The study on anyone's embeddings (`embedviz report`): project (PCA, t-SNE 2-D and 3-D, UMAP 2-D), measure
/// (map quality, every outlier detector the set allows), test t-SNE's stability, draw, write the
/// explorers and the report. The tutorial (`TutorialStudy`) is train + embed + these same stages.
///
/// Defaults follow the number of points N (`Options.forPoints`): the O(N²) measurements run on
/// fixed subsamples, and the report says so.
public struct EmbeddingStudy: Sendable {
    public struct Options: Sendable {
        public var output = "runs/report"
        public var title = "EmbedViz — a study of the embeddings"
        public var subtitle = "Projections, measurements and outlier detectors on the given embeddings"
        public var terms = StudyTerms()
        public var tsne = TSNEParameters()
        /// nil: no 3-D t-SNE.
        public var tsne3D: TSNEParameters?
        /// The 2-D UMAP (after the t-SNE maps, from its own seed); nil: no UMAP.
        public var umap: UMAPParameters? = UMAPParameters()
        /// How every neighbour search of the study is made — the detectors', t-SNE's and UMAP's (metric, exact
        /// or approximate, the HNSW parameters): `run` gives it to each.
        public var search = NeighbourSearch()
        /// Neighbourhood preservation on at most this many points.
        public var preservationSampleLimit = 5_000
        /// t-SNE stability on this many points (0: skipped).
        public var stabilitySampleSize = 2_000
        /// Explorers draw at most this many points (a seeded subsample beyond).
        public var explorerPointLimit = 200_000
        /// Rows of the report's configuration table.
        public var settings: [(String, String)] = []
        public var shouldStop: @Sendable () -> Bool = { false }

        public init() {}

        /// Defaults for a set of `points` rows: t-SNE 3-D up to 200,000 points, neighbourhood
        /// preservation on 5,000 (it is O(N²)), stability on 2,000 (three t-SNE runs), explorers
        /// with all points up to 200,000.
        public static func forPoints(_ points: Int) -> Options {
            var options = Options()
            if points <= 200_000 {
                var t3 = options.tsne
                t3.dimensions = 3
                options.tsne3D = t3
            }
            options.stabilitySampleSize = points >= 300 ? min(2_000, points) : 0
            return options
        }
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Runs every stage on `set` and writes the report into `options.output`; returns the results.
    public func run(_ set: EmbeddingSet, events: @escaping (StudyEvent) -> Void = { _ in }) throws -> StudyResults {
        let started = Date()
        try OutputFile.createDirectory(options.output)
        let runner = StageRunner(output: options.output, shouldStop: options.shouldStop, events: events)
        // Every neighbour search of the study is the one `search` describes (metric, method, HNSW
        // parameters, parallel build, seed): not only the detectors'.
        var tsne = options.tsne, tsne3D = options.tsne3D
        tsne.neighbourSearch = options.search
        tsne3D?.neighbourSearch = options.search
        var umap = options.umap
        umap?.neighbourSearch = options.search
        var measurement = MeasurementStage(terms: options.terms)
        measurement.search = options.search
        measurement.preservationSampleLimit = options.preservationSampleLimit
        let analysed = try Self.analyse(set, projection: ProjectionStage(output: options.output, tsne: tsne, tsne3D: tsne3D, umap: umap),
                                        measurement: measurement, runner: runner)
        let stability = options.stabilitySampleSize > 0 && set.features.rows > options.stabilitySampleSize / 2
            ? try StabilityStage(sampleSize: options.stabilitySampleSize).run(set, runner: runner) : nil
        var results = StudyResults(title: options.title, subtitle: options.subtitle, started: started, output: options.output,
                                   sets: [analysed], stability: stability,
                                   settings: options.settings + [("metric", options.search.metric.rawValue)])
        results.scaleNotes = Self.scaleNotes(points: set.features.rows, dimensions: set.features.columns, options: options, explorerLimit: options.explorerPointLimit)
        try Self.publish(&results, terms: options.terms, explorerPointLimit: options.explorerPointLimit, runner: runner)
        return results
    }

    /// Projections and measurements of one set: the part of a study between the embeddings and the pictures.
    /// The set's own neighbour lists are found once, for the largest k any map or detector asks for,
    /// and each takes its first k (`SharedNeighbours`): at a million points one search instead of three.
    public static func analyse(_ set: EmbeddingSet, projection: ProjectionStage, measurement: MeasurementStage,
                               runner: StageRunner) throws -> StudyResults.AnalysedSet {
        let points = set.features.rows
        let shared = SharedNeighbours(points: set.features, search: measurement.search,
                                      demands: projection.neighbourDemands(points: points, dimensions: set.features.columns, search: measurement.search)
                                          + measurement.neighbourDemands(set))
        let maps = try projection.run(set, shared: shared, runner: runner)
        return StudyResults.AnalysedSet(embeddings: set, projections: maps,
                                        measurements: try measurement.run(set, projections: maps, shared: shared, runner: runner))
    }

    /// Figures, explorers and the report, from the results (one stage).
    public static func publish(_ results: inout StudyResults, terms: StudyTerms, comparisonTitle: String? = nil,
                               explorerPointLimit: Int = .max, runner: StageRunner) throws {
        var published = results
        try runner.stage("figures and report") { () -> (Void, String) in
            published.stages = runner.records
            published.figures = try FigureStage(terms: terms, comparisonTitle: comparisonTitle).run(published)
            var explorers = ExplorerStage(terms: terms)
            explorers.pointLimit = explorerPointLimit
            published.explorers = try Profile.section("explorers") { try explorers.run(published) }
            let report = try Profile.section("report") { try ReportWriter(terms: terms).write(published) }
            return ((), "\(published.figures.count) figures, \(published.explorers.count) explorers, \(report)")
        }
        published.stages = runner.records
        results = published
    }

    /// What the study sampled or skipped because of the set's size, in sentences for the report.
    static func scaleNotes(points: Int, dimensions: Int, options: Options, explorerLimit: Int) -> [String] {
        var notes: [String] = []
        if points > options.preservationSampleLimit {
            notes.append("Neighbourhood preservation (trustworthiness, continuity) is O(N²): measured on a fixed subsample of \(Findings.count(options.preservationSampleLimit)) of the \(Findings.count(points)) points.")
        }
        if points > ProjectionQuality.fullAccuracyLimit && points > options.preservationSampleLimit {
            notes.append("The maps' 10-NN accuracy is that of the same \(Findings.count(options.preservationSampleLimit)) points, each voted on by its neighbours among all \(Findings.count(points)) (over every point it is an O(N²) search above \(Findings.count(ProjectionQuality.fullAccuracyLimit)) points).")
        }
        if options.tsne3D == nil {
            notes.append("No 3-D t-SNE: \(Findings.count(points)) points are more than the 200,000 up to which it runs by default.")
        }
        if options.stabilitySampleSize > 0 && points > options.stabilitySampleSize {
            notes.append("t-SNE's stability is measured on a fixed subsample of \(Findings.count(options.stabilitySampleSize)) points (three runs).")
        }
        if points > explorerLimit {
            notes.append("The explorers draw a fixed subsample of \(Findings.count(explorerLimit)) of the \(Findings.count(points)) points.")
        }
        if options.search.resolvedMethod(points: points, dimensions: dimensions) == .approx {
            let how = options.search.projects(dimensions: dimensions)
                ? "as candidates from a PCA-\(options.search.projectedDimensions) projection re-ranked in the \(dimensions) dimensions, from \(Findings.count(NeighbourSearch.projectedFrom)) points of more than \(NeighbourSearch.projectAbove) dimensions on"
                : "(HNSW) from \(Findings.count(NeighbourSearch.approximateFrom)) points on"
            notes.append("Neighbours are found approximately \(how); the run records give the measured recall.")
        }
        return notes
    }
}
