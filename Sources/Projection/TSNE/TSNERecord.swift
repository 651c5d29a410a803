import Datasets
import Foundation
import Linalg

/// A record of how an embedding was made, saved beside it as JSON.
public struct TSNERecord: Sendable, Codable {
    public struct KLPoint: Sendable, Codable {
        public var iteration: Int
        public var kl: Double
    }

    public var parameters: TSNEParameters
    public var method: TSNEMethod
    public var points: Int
    public var inputDimensions: Int
    public var neighbours: Int
    public var affinityNonZeros: Int
    public var threads: Int
    public var initialization: String
    public var learningRates: [Double]
    /// KL divergence every `klEvery` iterations (with the method's estimate of Z; early-exaggeration
    /// values are of the unexaggerated P).
    public var klTrace: [KLPoint]
    public var klDivergence: Double
    /// Whether the final KL used the exact Z (done for N ≤ 20,000) or the method's estimate.
    public var klExact: Bool
    public var secondsAffinities: Double
    public var secondsEarlyExaggeration: Double
    public var secondsOptimisation: Double
    public var secondsTotal: Double
    /// How the neighbours were found: exact or approximate (HNSW parameters, measured recall, warning).
    public var neighbourSearch: NeighbourReport?
}

public struct TSNEResult: Sendable {
    public var embedding: Matrix
    public var record: TSNERecord
}
