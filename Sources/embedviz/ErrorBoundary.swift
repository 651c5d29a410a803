import ArgumentParser
import Linalg

/// Where library errors become the CLI's: an exit code for each kind, and the CLI's own name for
/// each library parameter or call an error's text refers to. The library never names a flag or an
/// exit code (swift-argument-parser's boundary: commands map errors to exit codes).
enum ErrorBoundary {
    /// The process exit code for an error of `kind`: 1 bad input or usage (and failed numerics),
    /// 2 the environment (missing library, unwritable directory, full disk), 130 interrupted.
    static func exitCode(for kind: EmbedVizError.Kind) -> Int32 {
        switch kind {
        case .input, .numerical: 1
        case .environment: 2
        case .interrupted: 130
        }
    }

    /// The error's one line, `<what> (<where>)`, with the CLI's flags and commands for the library's
    /// names: `command`'s own flags first (`RenamesLibraryParameters`), then the table's.
    static func line(for error: EmbedVizError, in command: ParsableCommand? = nil) -> String {
        let own = (command as? RenamesLibraryParameters).map { type(of: $0).libraryParameterFlags } ?? [:]
        return error.description { own[$0.declaration] ?? cliName(for: $0) }
    }

    /// The CLI's name for `reference`, or nil (the library's name stands) when it has none.
    static func cliName(for reference: EmbedVizError.Reference) -> String? {
        names[reference.declaration]?(reference.argument)
    }

    /// The one table from the library's terms to the CLI's: each `Reference.declaration` a library
    /// error can name → the flag or command line that sets it here (given the reference's argument).
    /// `ErrorBoundaryTests` checks that every reference in the library's sources has an entry here
    /// or in `unexposed`.
    static let names: [String: @Sendable (_ argument: String?) -> String] = [
        // Datasets
        "ReadOptions(rows:columns:)": { _ in "--shape N,D (or --shape D)" },
        "ReadOptions.rows": flag("--shape"),
        "ReadOptions.columns": flag("--shape"),
        "ReadOptions.format": flag("--format"),
        "MatrixWriter.format": flag("--output-format"),
        "MNIST.directory": flag("--data"),
        "DeformationParameters.maximumRotation": flag("--max-rotation"),
        "DeformationParameters.maximumScaleChange": flag("--max-scale-change"),
        "DeformationParameters.maximumShear": flag("--max-shear"),
        "DeformationParameters.maximumTranslation": flag("--max-translation"),
        "DeformationParameters.elasticAlpha": flag("--elastic-alpha"),
        "DeformationParameters.elasticSigma": flag("--elastic-sigma"),
        // NeuralNet
        "Evaluation.data": flag("--sample"),
        "Evaluation.layer": flag("--layer"),
        "TrainingConfig.learningRate": flag("--learning-rate"),
        "TrainingRun.train(resume: true)": { directory in "`embedviz train --resume --out \(directory ?? "DIR")`" },
        // Projection
        "PCA.solver": flag("--solver"),
        "CovarianceAccumulator.merge(_:)": flag("`embedviz pca merge`"),
        "PCAFiles.write(_:CovarianceAccumulator,to:)": flag("`embedviz pca fit --partial`"),
        "TSNE.initialization": flag("--init"),
        "TSNEParameters.method": flag("--method"),
        "TSNEParameters.dimensions": flag("--dimensions"),
        "UMAP.initialization": flag("--init"),
        "UMAPParameters.dimensions": flag("--dimensions"),
        "UMAPParameters.neighbours": flag("--n-neighbors"),
        "UMAPParameters.minDist": flag("--min-dist"),
        "UMAPParameters.spread": flag("--spread"),
        "UMAPParameters.epochs": flag("--epochs"),
        "UMAPParameters.learningRate": flag("--learning-rate"),
        "UMAPParameters.negativeSampleRate": flag("--negative-sample-rate"),
        "UMAPParameters.repulsionStrength": flag("--repulsion-strength"),
        "UMAPParameters.localConnectivity": flag("--local-connectivity"),
        "UMAPTransform.Parameters.epochs": flag("--epochs"),
        "NeighbourSearch.m": flag("--hnsw-m"),
        "NeighbourSearch.efConstruction": flag("--hnsw-ef-construction"),
        "NeighbourSearch.ef": flag("--hnsw-ef"),
        "NeighbourSearch.metric": flag("--metric"),
        "NeighbourSearch.recallSample": flag("--recall-sample"),
        "NeighbourSearch.projectedDimensions": flag("--approx-pca"),
        "NeighbourSearch.candidateFactor": flag("--approx-candidates"),
        "MahalanobisScore.reference": flag("--reference"),
        "MahalanobisScore.labels": flag("--reference-metadata"),
        "DetectorInputs.reference": flag("--reference"),
        "DetectorInputs.referenceLabels": flag("--reference-metadata"),
        "DetectorInputs.logits": flag("--logits"),
        "SoftmaxScore.logits": flag("--logits"),
    ]

    /// Library parameters an error can name that no flag sets (yet): their errors keep the
    /// library's names. A flag added for one moves it to `names`.
    static let unexposed: Set<String> = [
        "NeighbourSearch.recallWarningBelow",
        // `umap transform` has no learning-rate flag: a quarter of the fit's, as umap-learn.
        "UMAPTransform.Parameters.learningRate",
        // The energy score runs at T = 1 (Liu et al. 2020's default); no flag sets another temperature.
        "SoftmaxScore.temperature",
    ]

    private static func flag(_ name: String) -> @Sendable (String?) -> String { { _ in name } }
}

/// A command that sets some library parameters under flags of its own (the study's `--umap-min-dist`
/// where `umap` has `--min-dist`): in its errors these names win over `ErrorBoundary.names`.
protocol RenamesLibraryParameters {
    /// `Reference.declaration` → this command's flag.
    static var libraryParameterFlags: [String: String] { get }
}
