import Datasets
import Foundation
import Linalg

/// Which gradient approximation t-SNE uses.
public enum TSNEMethod: String, Sendable, CaseIterable, Codable {
    /// `exact` up to 1,000 points; Barnes–Hut for 2-D up to 40,000 points and for 3-D; FFT
    /// interpolation for 2-D above 40,000 and for 1-D. The crossover was measured on MNIST PCA-50
    /// subsets, 2 threads: 5k BH 4.4 s / FFT 13.1 s, 20k 23.6 / 27.3 s, 40k 38.3 / 38.3 s, 70k
    /// 78.7 / 52.0 s (FFT's grid costs the same whatever N, Barnes–Hut grows with N log N).
    case auto
    /// O(N²) exact gradient, dense affinities (all N−1 neighbours).
    case exact
    /// Barnes–Hut trees (2-D and 3-D), sparse kNN affinities.
    case bh
    /// FFT-accelerated interpolation (1-D and 2-D), sparse kNN affinities.
    case fft

    /// The method `auto` picks for N points in `dimensions`.
    public static func choose(points: Int, dimensions: Int) -> TSNEMethod {
        if points <= 1000 { return .exact }
        if dimensions == 1 { return .fft }
        return dimensions == 2 && points > 40_000 ? .fft : .bh
    }
}

/// How t-SNE starts.
public enum TSNEInitialization: Sendable, Equatable {
    /// The first principal components of the input, scaled so that the first has standard deviation
    /// 1e-4 (Kobak & Berens 2019, "The art of using t-SNE for single-cell transcriptomics").
    case pca
    /// Gaussian with standard deviation 1e-4, from the seed.
    case random
    /// These coordinates (N×d).
    case given(Matrix)

    /// How the run record names it.
    public func summary(seed: UInt64) -> String {
        switch self {
        case .pca: "pca"
        case .random: "random (seed \(seed))"
        case .given: "given"
        }
    }
}

/// t-SNE's parameters. Defaults follow openTSNE/FIt-SNE: perplexity 30, early exaggeration 12 for 250
/// iterations, 750 iterations in all, learning rate N/exaggeration (at least 50), momentum 0.5 then
/// 0.8, gains +0.2/×0.8 with floor 0.01, steps clipped to norm 5 per point, θ = 0.5.
public struct TSNEParameters: Sendable, Codable, Equatable {
    public var dimensions = 2
    public var perplexity = 30.0
    public var iterations = 750
    public var earlyExaggerationIterations = 250
    public var earlyExaggeration = 12.0
    /// Exaggeration after the early phase (1 = plain t-SNE).
    public var exaggeration = 1.0
    /// nil = auto: max(N / exaggeration, 50), on the bhtsne/openTSNE scale (scikit-learn's gradient
    /// carries a factor 4, so its equivalent rate is 4× smaller: it documents max(N / exaggeration / 4, 50)).
    public var learningRate: Double?
    public var initialMomentum = 0.5
    public var finalMomentum = 0.8
    public var minimumGain = 0.01
    /// Largest step a point may take in one iteration (openTSNE's `max_step_norm`).
    public var maximumStepNorm = 5.0
    public var theta = 0.5
    public var method = TSNEMethod.auto
    /// Seeds the random initialisation.
    public var seed: UInt64 = 42
    /// Iterations between KL divergence evaluations.
    public var klEvery = 50
    /// How the input affinities' nearest neighbours are found (exact or HNSW, Euclidean or cosine).
    public var neighbourSearch = NeighbourSearch()

    public init() {}

    public func learningRate(points: Int, exaggeration: Double) -> Double {
        learningRate ?? max(Double(points) / exaggeration, 50)
    }

    /// Throws `EmbedVizError.input` (located at the parameter's name) for a value the optimiser
    /// cannot use: non-finite numbers, perplexity with 3·perplexity < 1 (no neighbour), negative
    /// iteration counts, non-positive exaggeration, learning rate or step norm, negative θ,
    /// momentum or gain, `klEvery` < 1. (Whether the perplexity fits N is checked with the data.)
    /// The k of the neighbour lists a fit of `points` points searches: min(N − 1, ⌊3·perplexity⌋),
    /// or nil for the exact method (its dense affinities take every other point, found exactly).
    public func neighbourCount(points: Int) -> Int? {
        (method == .auto ? TSNEMethod.choose(points: points, dimensions: dimensions) : method) == .exact
            ? nil : min(points - 1, Int(3 * perplexity))
    }

    public func validate() throws(EmbedVizError) {
        func require(_ ok: Bool, _ name: String, _ rule: String, _ value: Any) throws(EmbedVizError) {
            if !ok { throw EmbedVizError.input("t-SNE's \(name) must be \(rule), got \(value)", at: name) }
        }
        try require(dimensions >= 1, "dimensions", "at least 1", dimensions)
        try require(perplexity.isFinite && 3 * perplexity >= 1, "perplexity", "a finite number with 3·perplexity ≥ 1", perplexity)
        try require(iterations >= 0, "iterations", "≥ 0", iterations)
        try require(earlyExaggerationIterations >= 0, "earlyExaggerationIterations", "≥ 0", earlyExaggerationIterations)
        try require(earlyExaggeration.isFinite && earlyExaggeration > 0, "earlyExaggeration", "a finite number > 0", earlyExaggeration)
        try require(exaggeration.isFinite && exaggeration > 0, "exaggeration", "a finite number > 0", exaggeration)
        if let learningRate {
            try require(learningRate.isFinite && learningRate > 0, "learningRate", "a finite number > 0", learningRate)
        }
        try require(initialMomentum.isFinite && initialMomentum >= 0, "initialMomentum", "a finite number ≥ 0", initialMomentum)
        try require(finalMomentum.isFinite && finalMomentum >= 0, "finalMomentum", "a finite number ≥ 0", finalMomentum)
        try require(minimumGain.isFinite && minimumGain >= 0, "minimumGain", "a finite number ≥ 0", minimumGain)
        try require(maximumStepNorm.isFinite && maximumStepNorm > 0, "maximumStepNorm", "a finite number > 0", maximumStepNorm)
        try require(theta.isFinite && theta >= 0, "theta", "a finite number ≥ 0", theta)
        try require(klEvery >= 1, "klEvery", "at least 1", klEvery)
        try neighbourSearch.validate()
    }
}

/// What a progress display needs.
public struct TSNEProgress: Sendable {
    public enum Phase: String, Sendable { case affinities, earlyExaggeration = "early exaggeration", optimisation }
    public var phase: Phase
    /// Iterations (or affinity rows) done and in total.
    public var done: Int
    public var total: Int
    /// The latest KL divergence, if evaluated.
    public var kl: Double?
    public var elapsed: Double
    public var etaSeconds: Double
    /// During the affinities phase: the neighbour search's stage (its report once done).
    public var neighbours: NeighbourProgress? = nil
}
