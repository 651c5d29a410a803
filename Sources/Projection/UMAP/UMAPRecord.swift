import Foundation
import Linalg

/// A record of how a UMAP map was made, saved beside it as JSON.
public struct UMAPRecord: Sendable, Codable {
    public var parameters: UMAPParameters
    /// The fitted curve 1 / (1 + a·d^(2b)).
    public var a: Double
    public var b: Double
    public var points: Int
    public var inputDimensions: Int
    /// Directed edges of the fuzzy graph (each undirected edge twice), before and after the edges
    /// sampled less than once in `epochs` were dropped.
    public var graphEdges: Int
    public var graphEdgesOptimised: Int
    public var epochs: Int
    /// What the map started from ("spectral", "pca", "random", "given"), after any fallback.
    public var initialization: String
    /// Why the requested initialisation was replaced, if it was (spectral → random).
    public var initializationFallback: String?
    public var threads: Int
    /// Whether the same input, parameters and seed give the same map (false only when the
    /// neighbours came from an HNSW graph built in parallel). The SGD itself is the same for any
    /// thread count.
    public var deterministic: Bool
    /// The fuzzy-set cross-entropy of the final map (computed for N ≤ `crossEntropyUpTo` only).
    public var crossEntropy: Double?
    public var secondsNeighbours: Double
    public var secondsGraph: Double
    public var secondsInitialisation: Double
    public var secondsOptimisation: Double
    public var secondsTotal: Double
    public var neighbourSearch: NeighbourReport

    /// The cross-entropy is O(N²): reported up to this many points.
    public static let crossEntropyUpTo = 5_000
}

public struct UMAPResult: Sendable {
    public var embedding: Matrix
    public var record: UMAPRecord
    /// What `UMAPTransform` needs to place new points into this map (`UMAPFiles.write` saves it).
    public var model: UMAPModel
}
