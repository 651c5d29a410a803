import ArgumentParser
import Datasets
import Foundation
import Linalg
import Projection

struct UMAPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "umap",
        abstract: "UMAP of any float matrix; `umap transform` adds new points to a fitted map.",
        discussion: """
            `embedviz umap` (= `umap fit`) makes a map and can save its model; `embedviz umap transform` \
            places new points into it without moving it. See `embedviz umap fit --help` and \
            `embedviz umap transform --help`.
            """,
        subcommands: [UMAPFit.self, UMAPTransformCommand.self],
        defaultSubcommand: UMAPFit.self)
}

struct UMAPFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "UMAP (McInnes, Healy & Melville 2018) of any float matrix, as umap-learn computes it; 1-, 2- or 3-D.",
        discussion: """
            Defaults are umap-learn's: 15 neighbours (--n-neighbors counts the point itself, as \
            umap-learn's n_neighbors does; --neighbors chooses how they are found, as on every \
            command), min_dist 0.1, spread 1, spectral initialisation (random when the eigensolver \
            fails), 500 epochs up to 10,000 points and 200 above, learning rate 1 decayed linearly, \
            5 negative samples per positive. A run record (parameters, a and b, graph size, seed, \
            threads, time per phase, the neighbour search) is written beside the output as OUTPUT.json.

            Deterministic with all threads: each of an epoch's 8 rounds reads the other points where \
            they were at the round's start, and every point's negative samples come from a stream keyed \
            by (seed, round, point), so the same input, parameters and seed give the same map for any --threads \
            (with --hnsw-parallel-build the neighbour lists, and so the map, vary).

            --model saves what `umap transform` needs (.npz: the map, the data, a, b and the \
            parameters; 4·N·(D + d) bytes).

            Examples:
              embedviz umap --input embeddings.npy --output umap2d.npy --model umap.npz
              embedviz umap --input embeddings.npy --dimensions 3 --metric cosine --output umap3d.npy --threads 2
              embedviz umap --input x.csv --n-neighbors 30 --min-dist 0.5 --init pca --output - > y.csv
            """)

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions
    @Option(name: .shortAndLong, help: "Output dimensions: 1, 2 or 3.") var dimensions = 2
    @Option(help: "Neighbourhood size, the point itself included (umap-learn's n_neighbors).") var nNeighbors = 15
    @Option(help: "Smallest distance between points in the map.") var minDist = 0.1
    @Option(help: "Scale of the map's distances.") var spread = 1.0
    @Option(help: ArgumentHelp("Epochs of SGD (default: 500 for N ≤ 10,000, else 200).", valueName: "n")) var epochs: Int?
    @Option(help: "Initial learning rate (decayed linearly to 0).") var learningRate = 1.0
    @Option(help: "Negative samples per positive sample.") var negativeSampleRate = 5
    @Option(help: "Weight of the negative samples (umap-learn's repulsion_strength).") var repulsionStrength = 1.0
    @Option(help: "Nearest neighbours assumed connected (umap-learn's local_connectivity).") var localConnectivity = 1.0
    @Option(help: ArgumentHelp("Initialisation: spectral, pca, random, or a path to an N×d matrix.", valueName: "spectral|pca|random|path"))
    var `init` = "spectral"
    @Option(help: "Seed for the initialisation, the negative samples, the HNSW graph and the recall sample.") var seed: UInt64 = 42
    @Option(help: ArgumentHelp("Also save the fitted model for `umap transform` (.npz).", valueName: "path")) var model: String?
    @OptionGroup var neighbourOptions: NeighbourOptions
    @OptionGroup var common: CommonOptions

    func parameters() -> UMAPParameters {
        var p = UMAPParameters()
        p.dimensions = dimensions
        p.neighbours = nNeighbors
        p.minDist = minDist
        p.spread = spread
        p.epochs = epochs
        p.learningRate = learningRate
        p.negativeSampleRate = negativeSampleRate
        p.repulsionStrength = repulsionStrength
        p.localConnectivity = localConnectivity
        p.seed = seed
        p.neighbourSearch = neighbourOptions.search(seed: seed)
        return p
    }

    func run() throws {
        common.apply()
        try parameters().validate()  // here, not in validate(): its errors then name the flags (ErrorBoundary)
        let reader = try input.reader()
        let x = try reader.readAll()
        let initialization = try parseInitialization(self.`init`, named: ["spectral": UMAPInitialization.spectral, "pca": .pca,
                                                                          "random": .random],
                                                     given: UMAPInitialization.given)
        let toStdout = output.output == "-"
        let line = ProgressLine(quiet: common.quiet)
        let result = try UMAP(parameters()).fit(x, initialization: initialization) { p in
            if let neighbours = p.neighbours {
                showNeighbourProgress(neighbours, label: "UMAP neighbours", elapsed: p.elapsed, on: line, common: common)
                return
            }
            guard p.phase == .optimisation else {
                line.update("UMAP \(p.phase.rawValue)  \(formatDuration(p.elapsed))")
                return
            }
            line.update("UMAP epoch \(p.done)/\(p.total)  \(formatDuration(p.elapsed)), ETA \(formatDuration(p.etaSeconds))")
        }
        line.finish()
        let r = result.record
        if let fallback = r.initializationFallback { common.warn(fallback) }
        try output.write(map: result.embedding, record: r, inputFormat: reader.format)
        if let model { try UMAPFiles.write(result.model, to: model) }
        common.say(String(format: "UMAP of %d×%d → %dD: %d epochs, %d graph edges, %@ start, a %.4f b %.4f, in %.1f s (neighbours %.1f s, graph %.1f s, start %.1f s, optimisation %.1f s); %@",
                          r.points, r.inputDimensions, dimensions, r.epochs, r.graphEdgesOptimised, r.initialization, r.a, r.b,
                          r.secondsTotal, r.secondsNeighbours, r.secondsGraph, r.secondsInitialisation, r.secondsOptimisation,
                          r.neighbourSearch.summary),
                   stdoutCarriesData: toStdout)
        try common.writeSummary(Summary(record: r, output: output.output, model: model), stdoutCarriesData: toStdout)
    }

    struct Summary: Encodable {
        var record: UMAPRecord
        var output: String?
        var model: String?
        var a: Double
        var b: Double
        var crossEntropy: Double?
        /// The approximate neighbours' measured recall (nil for exact search).
        var neighbourRecall: Double?
        init(record: UMAPRecord, output: String?, model: String?) {
            self.record = record
            self.output = output
            self.model = model
            (a, b) = (record.a, record.b)
            crossEntropy = record.crossEntropy
            neighbourRecall = record.neighbourSearch.recall
        }
    }
}

struct UMAPTransformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transform",
        abstract: "Add new points to a fitted UMAP map without moving it (umap-learn's transform).",
        discussion: """
            Each new point gets memberships to its nearest reference points (the model's \
            n_neighbors, metric and neighbour search), starts at their weighted mean position, and \
            is optimised against the fixed map: learning rate a quarter of the fit's, 100 epochs for \
            up to 10,000 new points and 30 above (a third of the fit's epochs if those were given). \
            New points don't interact, so the input is streamed in chunks of --chunk-rows; the \
            epochs follow the whole input's length when it is known.

            Example:
              embedviz umap --input embeddings.npy --output umap2d.npy --model umap.npz
              embedviz umap transform --model umap.npz --input new_embeddings.npy --output new2d.npy
            """)

    @Option(help: ArgumentHelp("A model saved by `umap --model`.", valueName: "path")) var model: String
    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Epochs (default: umap-learn's rule, see above).", valueName: "n")) var epochs: Int?
    @Option(help: "Rows per chunk.") var chunkRows = 10_000
    @Option(help: "Seed for the negative samples (default: the fit's).") var seed: UInt64?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let epochs, epochs < 0 { throw EmbedVizError.input("the epochs must be ≥ 0, got \(epochs)", at: "--epochs") }
        if chunkRows < 1 { throw EmbedVizError.input("the rows per chunk must be at least 1, got \(chunkRows)", at: "--chunk-rows") }
    }

    func run() throws {
        common.apply()
        var parameters = UMAPTransform.Parameters()
        parameters.seed = seed
        let reader = try input.reader()
        var transformer = try UMAPTransform(model: try UMAPFiles.readModel(model), parameters: parameters)
        // The epoch rule is umap-learn's for one batch: apply it to the whole input when its length is known.
        transformer.parameters.epochs = epochs ?? reader.rows.map { transformer.epochs(count: $0) }
        let map = transformer.model.embedding
        try streamTransform(reader, to: output, columns: map.columns, chunkRows: chunkRows, common: common,
                            neighbours: transformer.neighbourIndex, transformer.transform) { path, seconds in
            let neighbours = transformer.neighbourIndex.report
            return (String(format: "placed %d points into the %d-point UMAP map in %.1f s; %@", reader.rowsRead, map.rows, seconds,
                           neighbours.summary),
                    Summary(model: model, referencePoints: map.rows, input: input.input, output: path, rows: reader.rowsRead,
                            columns: map.columns, epochs: transformer.parameters.epochs, seconds: seconds, neighbourSearch: neighbours))
        }
    }

    struct Summary: Encodable {
        var model: String
        var referencePoints: Int
        var input: String
        var output: String
        var rows: Int
        var columns: Int
        /// nil: umap-learn's rule per chunk (the input's length was not known).
        var epochs: Int?
        var seconds: Double
        var neighbourSearch: NeighbourReport
    }
}
