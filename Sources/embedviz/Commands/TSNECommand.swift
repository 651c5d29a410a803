import ArgumentParser
import Datasets
import Foundation
import Linalg
import Projection

struct TSNECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsne",
        abstract: "t-SNE of any float matrix; `tsne transform` adds new points to an existing map.",
        discussion: """
            `embedviz tsne` (= `tsne fit`) makes a map; `embedviz tsne transform` places new points into \
            one without moving it. See `embedviz tsne fit --help` and `embedviz tsne transform --help`.
            """,
        subcommands: [TSNEFit.self, TSNETransformCommand.self],
        defaultSubcommand: TSNEFit.self)
}

struct TSNEFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "t-SNE of any float matrix: exact (BLAS) or approximate (HNSW) kNN affinities; exact, Barnes–Hut or FFT gradients; 1-, 2- or 3-D.",
        discussion: """
            Defaults follow openTSNE/FIt-SNE: perplexity 30, PCA initialisation (first component scaled \
            to standard deviation 1e-4), early exaggeration 12 for 250 iterations, 750 iterations in all, \
            learning rate max(N / exaggeration, 50) (the bhtsne/openTSNE scale; scikit-learn's is 4× \
            smaller for the same step), momentum 0.5 then 0.8. The KL divergence is reported every 50 \
            iterations; a run record (parameters, seed, threads, KL trace, time per phase) is written \
            beside the output as OUTPUT.json. Same input, parameters, seed and --threads → identical output.

            Neighbours (--neighbors): exact below \(NeighbourSearch.approximateFrom) points, else hnswlib's HNSW graph, built \
            serially (deterministic) and searched with all threads; rows of more than \(NeighbourSearch.projectAbove) \
            columns are searched approximately from \(NeighbourSearch.projectedFrom) points on, as candidates from a \
            PCA-50 projection re-ranked exactly (--approx-pca, --approx-candidates); every approximate run checks its \
            lists on --recall-sample rows against exact search, prints the recall and records it in \
            OUTPUT.json (a recall below 0.95 is a warning). Exact t-SNE (--method exact) uses all N−1 \
            neighbours, found exactly whatever --neighbors says.

            Examples:
              embedviz tsne --input embeddings.npy --output tsne2d.npy
              embedviz tsne --input embeddings.npy --dimensions 3 --output tsne3d.npy --threads 2
              embedviz tsne --input x.csv --perplexity 10 --method exact --init random --seed 3 --output - > y.csv
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions
    @Option(name: .shortAndLong, help: "Output dimensions (2 or 3 for Barnes–Hut).") var dimensions = 2
    @Option(help: "Perplexity: the effective number of neighbours (at most (N−1)/3).") var perplexity = 30.0
    @Option(help: "Iterations in all, early exaggeration included.") var iterations = 750
    @Option(help: "Early exaggeration factor.") var earlyExaggeration = 12.0
    @Option(help: "Iterations of early exaggeration.") var earlyExaggerationIterations = 250
    @Option(help: "Learning rate, or 'auto' = max(N / exaggeration, 50).") var learningRate = "auto"
    @Option(help: "Gradient: auto (exact up to 1,000 points; bh for 2-D up to 40,000 and for 3-D; fft above and for 1-D), exact, bh or fft.")
    var method: TSNEMethod = .auto
    @Option(help: "Barnes–Hut accuracy: 0 is exact, larger is faster.") var theta = 0.5
    @Option(help: ArgumentHelp("Initialisation: pca, random, or a path to an N×d matrix.", valueName: "pca|random|path"))
    var `init` = "pca"
    @Option(help: "Seed for the random initialisation, the HNSW graph and the recall sample.") var seed: UInt64 = 42
    @OptionGroup var neighbourOptions: NeighbourOptions
    @OptionGroup var common: CommonOptions

    func parameters() throws -> TSNEParameters {
        var p = TSNEParameters()
        p.dimensions = dimensions
        p.perplexity = perplexity
        p.iterations = iterations
        p.earlyExaggeration = earlyExaggeration
        p.earlyExaggerationIterations = earlyExaggerationIterations
        if learningRate != "auto" {
            guard let rate = Double(learningRate), rate.isFinite, rate > 0 else {
                throw EmbedVizError.input("--learning-rate takes a positive number or 'auto', got '\(learningRate)'")
            }
            p.learningRate = rate
        }
        p.method = method
        p.theta = theta
        p.seed = seed
        p.neighbourSearch = neighbourOptions.search(seed: seed)
        return p
    }

    func validate() throws {
        if dimensions < 1 { throw ValidationError("--dimensions must be at least 1") }
        if iterations < 1 { throw ValidationError("--iterations must be at least 1") }
        // Value errors: one `error: … (--option)` line, no usage.
        if !perplexity.isFinite || 3 * perplexity < 1 {
            throw EmbedVizError.input("the perplexity must be a finite number of at least 1/3 (3·perplexity neighbours), got \(perplexity)",
                                      at: "--perplexity")
        }
        if !theta.isFinite || theta < 0 { throw EmbedVizError.input("θ must be a finite number ≥ 0, got \(theta)", at: "--theta") }
        if !earlyExaggeration.isFinite || earlyExaggeration <= 0 {
            throw EmbedVizError.input("the early exaggeration must be a finite number > 0, got \(earlyExaggeration)", at: "--early-exaggeration")
        }
        if earlyExaggerationIterations < 0 {
            throw EmbedVizError.input("must be ≥ 0, got \(earlyExaggerationIterations)", at: "--early-exaggeration-iterations")
        }
        if learningRate != "auto", !(Double(learningRate).map { $0.isFinite && $0 > 0 } ?? false) {
            throw EmbedVizError.input("the learning rate must be a finite positive number or 'auto', got '\(learningRate)'", at: "--learning-rate")
        }
    }

    func run() throws {
        common.apply()
        let reader = try input.reader()
        let x = try reader.readAll()
        let initialization = try parseInitialization(self.`init`, named: ["pca": TSNEInitialization.pca, "random": .random],
                                                     given: TSNEInitialization.given)
        let toStdout = output.output == "-"
        let line = ProgressLine(quiet: common.quiet)
        let result = try TSNE(try parameters()).fit(x, initialization: initialization) { p in
            if let neighbours = p.neighbours {
                showNeighbourProgress(neighbours, label: "t-SNE affinities", elapsed: p.elapsed, on: line, common: common)
                return
            }
            let kl = p.kl.map { String(format: "  KL %.4f", $0) } ?? ""
            line.update("t-SNE \(p.phase.rawValue) \(p.done)/\(p.total)\(kl)  \(formatDuration(p.elapsed)), ETA \(formatDuration(p.etaSeconds))")
        }
        line.finish()
        let r = result.record
        try output.write(map: result.embedding, record: r, inputFormat: reader.format)
        common.say(String(format: "t-SNE (%@) of %d×%d → %dD: KL %.4f%@ in %.1f s (affinities %.1f s, early exaggeration %.1f s, optimisation %.1f s); %@",
                          r.method.rawValue, r.points, r.inputDimensions, dimensions, r.klDivergence, r.klExact ? "" : " (estimated Z)",
                          r.secondsTotal, r.secondsAffinities, r.secondsEarlyExaggeration, r.secondsOptimisation,
                          r.neighbourSearch?.summary ?? "exact kNN"),
                   stdoutCarriesData: toStdout)
        try common.writeSummary(Summary(record: r, output: output.output), stdoutCarriesData: toStdout)
    }

    struct Summary: Encodable {
        var record: TSNERecord
        var output: String?
        var kl_divergence: Double
        /// The approximate neighbours' measured recall (nil for exact search).
        var neighbour_recall: Double?
        init(record: TSNERecord, output: String?) {
            self.record = record
            self.output = output
            kl_divergence = record.klDivergence
            neighbour_recall = record.neighbourSearch?.recall
        }
    }
}

extension TSNEMethod: ExpressibleByArgument {}

struct TSNETransformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transform",
        abstract: "Add new points to an existing t-SNE map without moving it (openTSNE's approach).",
        discussion: """
            Each new point gets affinities to its nearest reference points (perplexity 5), starts at the \
            median of its 25 nearest reference points' positions, and is optimised against the fixed \
            map (learning rate 0.1, exaggeration 1.5, 250 iterations, gradient norm ≤ 0.25). New points \
            don't interact, so the input is streamed in chunks: constant memory for any length.

            Example:
              embedviz tsne transform --reference tsne2d.npy --reference-input embeddings.npy \\
                  --input new_embeddings.npy --output new2d.npy
            """)

    @Option(help: ArgumentHelp("The existing map (N×2 or N×3).", valueName: "path")) var reference: String
    @Option(help: ArgumentHelp("The N×D data the map was made from.", valueName: "path")) var referenceInput: String
    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Perplexity of the new points' affinities to the reference.") var perplexity = 5.0
    @Option(help: "Iterations.") var iterations = 250
    @Option(help: "Rows per chunk.") var chunkRows = 4096
    @Option(help: "Seed for the HNSW graph and the recall sample (approximate neighbours).") var seed: UInt64 = 42
    @OptionGroup var neighbourOptions: NeighbourOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if !perplexity.isFinite || 3 * perplexity < 1 {
            throw EmbedVizError.input("the perplexity must be a finite number of at least 1/3 (3·perplexity neighbours), got \(perplexity)",
                                      at: "--perplexity")
        }
        if iterations < 0 { throw EmbedVizError.input("the iterations must be ≥ 0, got \(iterations)", at: "--iterations") }
        if chunkRows < 1 { throw EmbedVizError.input("the rows per chunk must be at least 1, got \(chunkRows)", at: "--chunk-rows") }
    }

    func run() throws {
        common.apply()
        var parameters = TSNETransform.Parameters()
        parameters.perplexity = perplexity
        parameters.iterations = iterations
        parameters.neighbourSearch = neighbourOptions.search(seed: seed)
        let transformer = try TSNETransform(referenceInput: try MatrixReader.read(referenceInput),
                                            referenceEmbedding: try MatrixReader.read(reference), parameters: parameters)
        let reader = try input.reader()
        let map = transformer.referenceEmbedding
        try streamTransform(reader, to: output, columns: map.columns, chunkRows: chunkRows, common: common,
                            neighbours: transformer.neighbourIndex, transformer.transform) { path, seconds in
            let neighbours = transformer.neighbourIndex.report
            return (String(format: "placed %d points into the %d-point map in %.1f s; %@", reader.rowsRead, map.rows, seconds,
                           neighbours.summary),
                    Summary(reference: reference, referenceInput: referenceInput, referencePoints: map.rows,
                            input: input.input, output: path, rows: reader.rowsRead, columns: map.columns,
                            perplexity: perplexity, iterations: iterations, seconds: seconds, neighbourSearch: neighbours))
        }
    }

    struct Summary: Encodable {
        var reference: String
        var referenceInput: String
        var referencePoints: Int
        var input: String
        var output: String
        var rows: Int
        var columns: Int
        var perplexity: Double
        var iterations: Int
        var seconds: Double
        var neighbourSearch: NeighbourReport
    }
}
