import ArgumentParser
import Datasets
import Foundation
import Linalg
import Projection

struct PCACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pca",
        abstract: "Principal component analysis on LAPACK: fit, transform, and sharded fits.",
        discussion: """
            `embedviz pca` (= `pca project`) fits and projects in one go. For inputs larger than memory \
            or spread over machines, `pca fit` streams rows in chunks (covariance route), `--partial` \
            saves its statistics, `pca merge` combines partials into one exact model, and `pca transform` \
            projects any number of rows in constant memory. Models are .npz files (np.load opens them).

            Examples:
              embedviz pca --input embeddings.npy --components 2 --output pca2d.npy
              embedviz pca fit --input big.f32 --shape 784 --components 50 --model pca50.npz
              embedviz pca fit --input shard1.npy --partial part1.npz     # in each shard's process
              embedviz pca merge part1.npz part2.npz --components 50 --model pca50.npz
              cat rows.csv | embedviz pca transform --model pca50.npz --input - --output - > out.csv
            """,
        subcommands: [Project.self, Fit.self, Transform.self, Merge.self],
        defaultSubcommand: Project.self)

    struct Summary: Encodable {
        var components: Int
        var samples: Int
        var dimension: Int
        var solver: String
        var explained_variance: [Double]
        var explained_variance_ratio: [Double]
        var singular_values: [Double]
        var total_variance: Double
        var seconds: Double
        var output: String?
        var model: String?
        /// `pca fit`/`pca merge --partial`: the partial statistics written as well.
        var partial: String?
        /// `pca merge`: the partial files combined.
        var partials: [String]?

        init(_ m: PCAModel, seconds: Double, output: String?, model: String?, partial: String? = nil, partials: [String]? = nil) {
            components = m.componentCount
            samples = m.samples
            dimension = m.dimension
            solver = m.solver.rawValue
            explained_variance = m.explainedVariance
            explained_variance_ratio = m.explainedVarianceRatio
            singular_values = m.singularValues
            total_variance = m.totalVariance
            self.seconds = seconds
            self.output = output
            self.model = model
            self.partial = partial
            self.partials = partials
        }
    }

    /// `pca fit`/`pca merge` with --partial only: the statistics written, no model.
    struct PartialSummary: Encodable {
        var samples: Int
        var dimension: Int
        var partial: String
        var partials: [String]?
        var seconds: Double
    }

    /// `pca transform`.
    struct TransformSummary: Encodable {
        var model: String
        var input: String
        var output: String
        var rows: Int
        var columns: Int
        var seconds: Double
    }

    static func report(_ model: PCAModel, seconds: Double, common: CommonOptions, toStderr: Bool) {
        let ratios = model.explainedVarianceRatio.prefix(10).map { String(format: "%.6f", $0) }.joined(separator: " ")
        let cumulative = model.explainedVarianceRatio.reduce(0, +)
        common.say("PCA (\(model.solver.rawValue)) of \(model.samples)×\(model.dimension) in \(String(format: "%.3f", seconds)) s", stdoutCarriesData: toStderr)
        common.say("explained variance ratio: \(ratios)\(model.componentCount > 10 ? " …" : "")  (total \(String(format: "%.6f", cumulative)))",
                   stdoutCarriesData: toStderr)
    }

    struct Project: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "project", abstract: "Fit PCA on a matrix and write its projection.")

        @OptionGroup var input: InputOptions
        @OptionGroup var output: OutputOptions
        @Option(name: .shortAndLong, help: "Components to keep.") var components = 2
        @Option(help: "Solver: auto, covariance or svd (auto: covariance when N ≥ 4·D).") var solver: PCASolver = .auto
        @Flag(help: "Scale each component to unit variance.") var whiten = false
        @Option(help: ArgumentHelp("Also save the fitted model (.npz).", valueName: "path")) var model: String?
        @Option(name: .customLong("repeat"), help: ArgumentHelp(
            "Fit and transform this many times and report the median time (for benchmarks: later runs are warm).",
            valueName: "n"))
        var repeats = 1
        @OptionGroup var common: CommonOptions

        func validate() throws {
            if repeats < 1 { throw ValidationError("--repeat must be at least 1") }
        }

        func run() throws {
            common.apply()
            let reader = try input.reader()
            let x = try reader.readAll()
            var times: [Double] = []
            var result: (PCAModel, Matrix)?
            for _ in 0..<repeats {
                let start = Date()
                let fitted = try PCA(components: components, solver: solver, whiten: whiten).fit(x)
                result = (fitted, fitted.transform(x))
                times.append(Date().timeIntervalSince(start))
            }
            let (fitted, y) = result!
            let seconds = times.sorted()[times.count / 2]
            let toStdout = output.output == "-"
            if let path = output.output {
                try MatrixWriter.write(y, to: path, format: output.format(inputFormat: reader.format))
            }
            if let model { try PCAFiles.write(fitted, to: model) }
            PCACommand.report(fitted, seconds: seconds, common: common, toStderr: toStdout)
            try common.writeSummary(Summary(fitted, seconds: seconds, output: output.output, model: model), stdoutCarriesData: toStdout)
        }
    }

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit PCA by streaming rows in chunks (covariance route); save a model or partial statistics.",
            discussion: "Memory: one chunk of rows plus a D×D matrix, whatever the number of rows.")

        @OptionGroup var input: InputOptions
        @OptionGroup var statistics: StatisticsOutput
        @OptionGroup var common: CommonOptions

        func run() throws {
            common.apply()
            let start = Date()
            let reader = try input.reader()
            var accumulated = try CovarianceAccumulator(dimension: reader.columns)
            let chunk = CovarianceAccumulator.chunkRows(dimension: reader.columns)
            while var rows = try reader.next(maxRows: chunk) { accumulated.absorb(&rows) }
            try statistics.finish(accumulated, described: "partial statistics", start: start, common: common)
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Combine partial statistics from `pca fit --partial` into one model (float64 statistics, any order).")

        @Argument(help: ArgumentHelp("Partial statistics files.", valueName: "partial.npz")) var partials: [String]
        @OptionGroup var statistics: StatisticsOutput
        @OptionGroup var common: CommonOptions

        func validate() throws {
            if partials.isEmpty { throw ValidationError("give at least one partial file") }
        }

        func run() throws {
            common.apply()
            let start = Date()
            var merged: CovarianceAccumulator?
            for path in partials {
                let next = try PCAFiles.readPartial(path)
                if var current = merged {
                    guard current.dimension == next.dimension else {
                        throw EmbedVizError.input("\(next.dimension) columns, the other partials have \(current.dimension)", at: path)
                    }
                    current.merge(next)
                    merged = current
                } else {
                    merged = next
                }
            }
            try statistics.finish(merged!, described: "merged \(partials.count) partial fits: statistics", partials: partials,
                                  start: start, common: common)
        }
    }

    struct Transform: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Project rows with a saved model, streaming: constant memory for any input length.")

        @Option(help: ArgumentHelp("A model from `pca fit`, `pca merge` or `pca --model`.", valueName: "path")) var model: String
        @OptionGroup var input: InputOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Rows per chunk.") var chunkRows = 65_536
        @OptionGroup var common: CommonOptions

        func run() throws {
            common.apply()
            let start = Date()
            let fitted = try PCAFiles.readModel(model)
            let reader = try input.reader()
            guard reader.columns == fitted.dimension else {
                throw EmbedVizError.input("the input has \(reader.columns) columns, the model was fitted on \(fitted.dimension)",
                                          at: reader.displayName)
            }
            try streamTransform(reader, to: output, columns: fitted.componentCount, chunkRows: chunkRows, common: common,
                                start: start, fitted.transform) { path, seconds in
                ("projected \(reader.rowsRead) rows onto \(fitted.componentCount) components",
                 TransformSummary(model: model, input: input.input, output: path, rows: reader.rowsRead,
                                  columns: fitted.componentCount, seconds: seconds))
            }
        }
    }
}

extension PCASolver: ExpressibleByArgument {}

/// What `pca fit` and `pca merge` write: a model fitted from the statistics, the statistics
/// themselves for a later merge, or both.
struct StatisticsOutput: ParsableArguments {
    @Option(name: .shortAndLong, help: "Components to keep (with --model).") var components = 2
    @Flag(help: "Scale each component to unit variance in later transforms.") var whiten = false
    @Option(help: ArgumentHelp("Write the fitted model (.npz).", valueName: "path")) var model: String?
    @Option(help: ArgumentHelp("Write the partial statistics (count, mean, cross-product) for a later `pca merge`.",
                               valueName: "path"))
    var partial: String?

    func validate() throws {
        if model == nil && partial == nil { throw ValidationError("give --model PATH, --partial PATH, or both") }
    }

    /// Writes the statistics (`--partial`) and/or fits and writes the model (`--model`), then
    /// reports. `described` names the statistics in the line about the partial file; `partials`
    /// are the files merged, for the summary.
    func finish(_ statistics: CovarianceAccumulator, described: String, partials: [String]? = nil, start: Date,
                common: CommonOptions) throws {
        if let partial {
            try PCAFiles.write(statistics, to: partial)
            common.say("\(described) of \(statistics.count)×\(statistics.dimension) → \(partial)")
        }
        if let model {
            let fitted = try PCA(components: components, solver: .covariance, whiten: whiten).fit(statistics)
            try PCAFiles.write(fitted, to: model)
            let seconds = Date().timeIntervalSince(start)
            PCACommand.report(fitted, seconds: seconds, common: common, toStderr: false)
            try common.writeSummary(PCACommand.Summary(fitted, seconds: seconds, output: nil, model: model, partial: partial,
                                                       partials: partials))
        } else if let partial {
            try common.writeSummary(PCACommand.PartialSummary(samples: statistics.count, dimension: statistics.dimension,
                                                              partial: partial, partials: partials,
                                                              seconds: Date().timeIntervalSince(start)))
        }
    }
}
