import Foundation
import Linalg
import Projection

/// Run-to-run variation of t-SNE: the same input embedded with several seeds (random initialisation).
public struct StudyStability: Sendable, Codable {
    public var points: Int
    public var seeds: [UInt64]
    /// Procrustes disparity of each pair of runs (after optimal translation, scaling and rotation).
    public var disparities: [Double]
    /// Mean fraction of shared 10 nearest neighbours between each pair of runs.
    public var knnOverlaps: [Double]
    public var klDivergences: [Double]
}

/// What the stability stage found, with the maps for its figure.
public struct StabilityResult: Sendable {
    public var stability: StudyStability
    /// Which set the subsample was drawn from, and of how many points.
    public var setName: String
    public var setPoints: Int
    /// The rows of the set embedded (ascending).
    public var sample: [Int]
    /// One map per seed, each Procrustes-aligned onto the first.
    public var alignedMaps: [Matrix]
}

/// t-SNE of a fixed subsample of a set with several seeds and random initialisation, and how much
/// the runs agree.
public struct StabilityStage: Sendable {
    public var sampleSize = 2_000
    public var seeds: [UInt64] = [1, 2, 3]
    /// Seeds the subsample.
    public var sampleSeed: UInt64 = 77

    public init(sampleSize: Int = 2_000) { self.sampleSize = sampleSize }

    public func run(_ set: EmbeddingSet, runner: StageRunner) throws -> StabilityResult {
        try runner.stage("t-SNE stability (\(seeds.count) seeds)") { () -> (StabilityResult, String) in
            let sample = Subsample.indices(sampleSize, of: set.features.rows, seed: sampleSeed)
            let x = set.features.rows(at: sample)
            var maps: [Matrix] = [], kl: [Double] = []
            for seed in seeds {
                var parameters = TSNEParameters()
                parameters.seed = seed
                parameters.perplexity = min(30, Affinities.maximumPerplexity(points: x.rows))
                let result = try TSNE(parameters).fit(x, initialization: .random)
                maps.append(result.embedding)
                kl.append(result.record.klDivergence)
            }
            var disparities: [Double] = [], overlaps: [Double] = []
            for a in 0..<maps.count {
                for b in (a + 1)..<maps.count {
                    disparities.append(try Procrustes.align(maps[b], onto: maps[a]).disparity)
                    overlaps.append(try NeighbourOverlap.mean(maps[a], maps[b], k: 10))
                }
            }
            let aligned = try [maps[0]] + maps.dropFirst().map { try Procrustes.align($0, onto: maps[0]).aligned }
            let stability = StudyStability(points: x.rows, seeds: seeds, disparities: disparities, knnOverlaps: overlaps,
                                           klDivergences: kl)
            return (StabilityResult(stability: stability, setName: set.name, setPoints: set.features.rows, sample: sample,
                                    alignedMaps: aligned),
                    String(format: "%d points: Procrustes disparity %@, 10-NN overlap %@", x.rows,
                           disparities.map { String(format: "%.3f", $0) }.joined(separator: "/"),
                           overlaps.map { String(format: "%.3f", $0) }.joined(separator: "/")))
        }
    }
}
