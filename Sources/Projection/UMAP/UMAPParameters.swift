import Datasets
import Foundation
import Linalg

/// How UMAP starts.
public enum UMAPInitialization: Sendable, Equatable {
    /// The smallest non-trivial eigenvectors of the fuzzy graph's normalised Laplacian
    /// (`SpectralLayout`); when the eigensolver fails, `random` (as umap-learn falls back).
    case spectral
    /// The first principal components of the input (the project's PCA).
    case pca
    /// Uniform in [−10, 10)ᵈ, from the seed.
    case random
    /// These coordinates (N×d).
    case given(Matrix)

    /// How the run record names it.
    public var name: String {
        switch self {
        case .spectral: "spectral"
        case .pca: "pca"
        case .random: "random"
        case .given: "given"
        }
    }
}

/// UMAP's parameters (McInnes, Healy & Melville 2018, arXiv:1802.03426). Defaults are umap-learn's:
/// 15 neighbours (the point itself counted), min_dist 0.1, spread 1, local connectivity 1, 5
/// negative samples per positive, repulsion strength γ = 1, learning rate 1 decayed linearly to 0,
/// epochs 500 for N ≤ 10,000 else 200.
public struct UMAPParameters: Sendable, Codable, Equatable {
    public var dimensions = 2
    /// umap-learn's `n_neighbors`: the size of each point's neighbourhood *including the point
    /// itself*, so the graph is built on the `neighbours − 1` nearest other points.
    public var neighbours = 15
    /// The smallest distance between points in the map (the curve is flat below it).
    public var minDist = 0.1
    /// The scale of the map's distances (the curve decays as exp(−(d − minDist)/spread)).
    public var spread = 1.0
    /// Epochs of SGD; nil = umap-learn's rule (`defaultEpochs(points:)`).
    public var epochs: Int?
    public var learningRate = 1.0
    /// Negative samples per positive sample.
    public var negativeSampleRate = 5
    /// Weight of the negative samples (umap-learn's `repulsion_strength`).
    public var repulsionStrength = 1.0
    /// Nearest neighbours assumed connected (umap-learn's `local_connectivity`).
    public var localConnectivity = 1.0
    /// Seeds the initialisation's noise, the random initialisation, the SGD's negative samples and
    /// the HNSW graph.
    public var seed: UInt64 = 42
    /// How the neighbours are found (exact or HNSW, Euclidean or cosine).
    public var neighbourSearch = NeighbourSearch()

    public init() {}

    /// umap-learn's epochs for a fit of N points: 500 up to 10,000, else 200.
    public static func defaultEpochs(points: Int) -> Int { points <= 10_000 ? 500 : 200 }

    public func epochs(points: Int) -> Int { epochs ?? Self.defaultEpochs(points: points) }

    /// Throws `EmbedVizError.input` (located at the parameter's name) for values UMAP cannot use.
    /// (Whether `neighbours` fits N is checked with the data.)
    public func validate() throws(EmbedVizError) {
        func require(_ ok: Bool, _ name: EmbedVizError.Reference, _ rule: String, _ value: Any) throws(EmbedVizError) {
            if !ok { throw EmbedVizError.input("UMAP's \(name) must be \(rule), got \(value)") }
        }
        try require((1...3).contains(dimensions), .parameter("dimensions", of: "UMAPParameters"), "1, 2 or 3", dimensions)
        try require(neighbours >= 2, .parameter("neighbours", of: "UMAPParameters"), "at least 2 (the point itself and one other)", neighbours)
        try require(spread.isFinite && spread > 0, .parameter("spread", of: "UMAPParameters"), "a finite number > 0", spread)
        try require(minDist.isFinite && minDist >= 0 && minDist <= spread, .parameter("minDist", of: "UMAPParameters"),
                    "a finite number between 0 and the spread (\(spread))", minDist)
        if let epochs { try require(epochs >= 0, .parameter("epochs", of: "UMAPParameters"), "≥ 0", epochs) }
        try require(learningRate.isFinite && learningRate > 0, .parameter("learningRate", of: "UMAPParameters"), "a finite number > 0",
                    learningRate)
        try require(negativeSampleRate >= 0, .parameter("negativeSampleRate", of: "UMAPParameters"), "≥ 0", negativeSampleRate)
        try require(repulsionStrength.isFinite && repulsionStrength >= 0, .parameter("repulsionStrength", of: "UMAPParameters"),
                    "a finite number ≥ 0", repulsionStrength)
        try require(localConnectivity.isFinite && localConnectivity >= 0, .parameter("localConnectivity", of: "UMAPParameters"),
                    "a finite number ≥ 0", localConnectivity)
        try neighbourSearch.validate()
    }
}

/// What a progress display needs.
public struct UMAPProgress: Sendable {
    public enum Phase: String, Sendable {
        case neighbours = "nearest neighbours"
        case graph = "fuzzy graph"
        case initialisation
        case optimisation
    }
    public var phase: Phase
    /// Epochs (or neighbour rows) done and in total.
    public var done: Int
    public var total: Int
    public var elapsed: Double
    public var etaSeconds: Double
    /// During the neighbours phase: the search's stage (its report once done).
    public var neighbours: NeighbourProgress? = nil
}
