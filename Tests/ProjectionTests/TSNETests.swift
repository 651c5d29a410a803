import Datasets
import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

/// Gaussian clusters in `dimensions`-D, `perCluster` points each, centres 10 apart on the axes.
func clusters(_ count: Int, perCluster: Int, dimensions: Int, seed: UInt64) -> (Matrix, [Int]) {
    let centres = (0..<count).map { c in (0..<dimensions).map { k -> Float in k == c ? 10 : 0 } }
    return gaussianBlobs(centres, perBlob: perCluster, seed: seed)
}

/// Leave-one-out k-NN classification accuracy of labels in an embedding (brute force, for tests).
func looKNNAccuracy(_ y: Matrix, _ labels: [Int], k: Int = 10) -> Double {
    let d = PairwiseDistances.squared(y)
    var correct = 0
    for i in 0..<y.rows {
        let nearest = (0..<y.rows).filter { $0 != i }.sorted { d[i, $0] < d[i, $1] }.prefix(k)
        var votes: [Int: Int] = [:]
        for j in nearest { votes[labels[j], default: 0] += 1 }
        if votes.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key == labels[i] { correct += 1 }
    }
    return Double(correct) / Double(y.rows)
}

@Suite struct AffinityTests {
    @Test("calibrated conditional distributions hit the target perplexity")
    func perplexity() {
        let x = randomMatrix(200, 5, seed: 1)
        let k = 90
        let distances = try! NearestNeighbours.exact(x, k: k).squaredDistances
        for target in [5.0, 30.0] {
            let p = Affinities.conditionalProbabilities(squaredDistances: distances, k: k, perplexity: target)
            for i in stride(from: 0, to: 200, by: 7) {
                let row = p[(i * k)..<((i + 1) * k)]
                #expect(abs(row.reduce(0, +) - 1) < 1e-5)
                let entropy = -row.reduce(0.0) { $0 + ($1 > 0 ? Double($1) * log(Double($1)) : 0) }
                #expect(abs(exp(entropy) - target) / target < 1e-3, "perplexity \(exp(entropy)) for \(target)")
            }
        }
    }

    @Test("exact neighbours match a brute-force sort, nearest first, self excluded")
    func neighbours() {
        let x = randomMatrix(150, 4, seed: 2)
        let lists = try! NearestNeighbours.exact(x, k: 7)
        let (indices, distances) = (lists.indices, lists.squaredDistances)
        let full = PairwiseDistances.squared(x)
        for i in [0, 17, 149] {
            let expected = (0..<150).filter { $0 != i }.sorted { full[i, $0] < full[i, $1] || (full[i, $0] == full[i, $1] && $0 < $1) }.prefix(7)
            #expect(indices[(i * 7)..<((i + 1) * 7)].map(Int.init) == Array(expected))
            #expect(zip(distances[(i * 7)..<((i + 1) * 7)], expected.map { full[i, $0] }).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, $1) })
        }
    }

    @Test("symmetrised P is (P_cond + P_condᵀ)/2N entry for entry, each row in ascending column order")
    func symmetrizeDefinition() {
        var rng = SeededGenerator(seed: 17)
        let (n, k) = (300, 7)
        var indices = [Int32](), conditional = [Float]()
        var expected = [[Int32: Float]](repeating: [:], count: n)
        for i in 0..<n {
            var chosen = Set<Int32>()
            while chosen.count < k { let j = Int32(Int.random(in: 0..<n, using: &rng)); if j != Int32(i) { chosen.insert(j) } }
            for j in chosen.sorted() {
                let v = Float(rng.nextUnitDouble())
                indices.append(j)
                conditional.append(v)
            }
        }
        let scale = 1 / Float(2 * n)
        for i in 0..<n {
            for e in (i * k)..<((i + 1) * k) {
                let j = Int(indices[e]), v = conditional[e] * scale
                expected[i][Int32(j), default: 0] += v
                expected[j][Int32(i), default: 0] += v
            }
        }
        let p = Affinities.symmetrize(indices: indices, conditional: conditional, k: k)
        for i in 0..<n {
            let row = Array(p.columns[p.rowStart[i]..<p.rowStart[i + 1]])
            #expect(row == expected[i].keys.sorted())
            // Each value is one or two products summed: the same Float whichever is added first.
            for e in p.rowStart[i]..<p.rowStart[i + 1] { #expect(p.values[e] == expected[i][p.columns[e]]) }
        }
    }

    @Test("P is symmetric, non-negative and sums to 1")
    func symmetric() throws {
        let x = randomMatrix(120, 6, seed: 3)
        let p = try Affinities.compute(x, perplexity: 10)
        var total = 0.0
        for i in 0..<p.count {
            for e in p.rowStart[i]..<p.rowStart[i + 1] {
                let j = Int(p.columns[e])
                #expect(j != i && p.values[e] > 0)
                #expect(abs(p.values[e] - p.value(j, i)) < 1e-9)
                total += Double(p.values[e])
            }
        }
        #expect(abs(total - 1) < 1e-5)
    }

    @Test("a perplexity too large for the data names the maximum")
    func tooFewPoints() {
        let x = randomMatrix(40, 3, seed: 4)
        #expect(throws: EmbedVizError.input("perplexity 30.0 is too large for 40 points (3·perplexity neighbours are needed); the maximum is 13")) {
            _ = try Affinities.compute(x, perplexity: 30)
        }
    }
}

@Suite struct GradientTests {
    func smallProblem(dimensions: Int) throws -> (SparseAffinities, Embedding) {
        let x = randomMatrix(60, 5, seed: 5)
        let p = try Affinities.compute(x, perplexity: 8, neighbours: 59)
        var rng = SeededGenerator(seed: 6)
        let y = Embedding(count: 60, dimensions: dimensions, coordinates: (0..<(60 * dimensions)).map { _ in rng.normal() * 2 })
        return (p, y)
    }

    func gradient(_ p: SparseAffinities, _ y: Embedding, _ method: inout some RepulsiveForces) -> ([Double], Double) {
        var repulsion = [Double](repeating: 0, count: y.coordinates.count)
        let z = method.compute(y, into: &repulsion)
        var g = [Double](repeating: 0, count: y.coordinates.count)
        _ = KLDivergence.Attraction.add(p, y, exaggeration: 1, to: &g, klTerms: false)
        for k in g.indices { g[k] -= repulsion[k] / z }
        return (g, z)
    }

    @Test("the exact gradient (×4) matches finite differences of the KL divergence", arguments: [2, 3])
    func exactGradient(_ dimensions: Int) throws {
        let (p, y) = try smallProblem(dimensions: dimensions)
        var exact = ExactRepulsion()
        let (g, _) = gradient(p, y, &exact)
        let h = 1e-5
        for k in [0, 7, 33, 100, y.coordinates.count - 1] {
            var plus = y, minus = y
            plus.coordinates[k] += h
            minus.coordinates[k] -= h
            let numeric = (KLDivergence.exact(p, plus) - KLDivergence.exact(p, minus)) / (2 * h)
            #expect(abs(numeric - 4 * g[k]) < 1e-6 + 1e-4 * abs(numeric), "coordinate \(k): \(numeric) vs \(4 * g[k])")
        }
    }

    /// Stated error at θ = 0.5: repulsive forces and Z within 1% (relative L2 / relative), the whole
    /// gradient within 2% (attraction minus repulsion cancels partly, which inflates the relative error).
    @Test("Barnes–Hut with θ = 0 is the exact repulsion (to Float rounding); θ = 0.5 stays within the stated error",
          arguments: [2, 3])
    func barnesHut(_ dimensions: Int) throws {
        let (p, y) = try smallProblem(dimensions: dimensions)
        var exact = ExactRepulsion(), bh0 = BarnesHutRepulsion(theta: 0), bh5 = BarnesHutRepulsion(theta: 0.5)
        let (ge, ze) = gradient(p, y, &exact)
        let (g0, z0) = gradient(p, y, &bh0)
        // θ = 0 opens every cell: the exact sum, in the tree's Float arithmetic (hence 1e-6, not 1e-12).
        let scale = ge.map(abs).max()!
        #expect(abs(z0 - ze) < 1e-6 * ze)
        #expect(zip(ge, g0).allSatisfy { abs($0 - $1) < 1e-5 * scale })
        let (g5, z5) = gradient(p, y, &bh5)
        func relative(_ a: [Double], _ b: [Double]) -> Double {
            zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / a.map { $0 * $0 }.reduce(0, +).squareRoot()
        }
        #expect(relative(ge, g5) < 0.02 && abs(z5 - ze) / ze < 0.01, "relative gradient error \(relative(ge, g5))")
        var exactForces = [Double](repeating: 0, count: y.coordinates.count), bhForces = exactForces
        _ = exact.compute(y, into: &exactForces)
        _ = bh5.compute(y, into: &bhForces)
        #expect(relative(exactForces, bhForces) < 0.01, "relative repulsion error \(relative(exactForces, bhForces))")
    }

    /// Stated error of the interpolation (p = 3, one interval per unit of extent, at least 50, float32
    /// FFTs), relative to the exact values, in 1-D and 2-D: a compact cloud (extent ~8, so intervals of
    /// ~0.16) within 1e-4 for the forces (relative L2) and Z; clusters spread over ±25 (intervals of
    /// ~1, FIt-SNE's default resolution) within 2.5% for the forces and 0.1% for Z — the same
    /// resolution openTSNE's FFT method uses. (Measured: 3.6e-5 and 1.6–1.7%.)
    @Test("FFT interpolation matches the exact repulsion within the stated error", arguments: [1, 2])
    func fftInterpolation(_ dimensions: Int) throws {
        var rng = SeededGenerator(seed: 12)
        for (clusters, spread, forceBound, zBound) in [(1, 1.0, 1e-4, 1e-4), (6, 25.0, 2.5e-2, 1e-3)] {
            var coordinates: [Double] = []
            for c in 0..<clusters {
                let centre = (0..<dimensions).map { _ in (rng.nextUnitDouble() - 0.5) * spread * 2 }
                for _ in 0..<(1200 / clusters) { for k in 0..<dimensions { coordinates.append(centre[k] + rng.normal()) } }
                _ = c
            }
            let y = Embedding(count: coordinates.count / dimensions, dimensions: dimensions, coordinates: coordinates)
            var exact = ExactRepulsion(), fft = FFTRepulsion()
            var a = [Double](repeating: 0, count: y.coordinates.count), b = a
            let ze = exact.compute(y, into: &a), zf = fft.compute(y, into: &b)
            let error = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / a.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(error < forceBound && abs(zf - ze) / ze < zBound, "\(clusters) clusters: force error \(error), Z \(zf) vs \(ze)")
        }
    }

    /// Regression: the SIMD sum read eight lanes at a time and zeroed only the masses of the lanes
    /// past the end, so a NaN left in that (reused, uninitialised) memory made 0 × NaN = NaN and the
    /// whole embedding NaN — seen about once in five test runs, when tests ran concurrently.
    @Test("the interaction list's padding lanes never leak into the sum")
    func paddingLanes() {
        let list = BarnesHutRepulsion.InteractionList()
        for _ in 0..<16 { list.append(SIMD4<Float>(repeating: .nan), mass: 1) }
        list.reset()
        list.append(SIMD4<Float>(1, 0, 0, 0), mass: 2)
        let (force, z) = list.sum(at: SIMD4<Float>())
        // One body of mass 2 at distance 1: w = 1/2, Σ m·w = 1, Σ m·w²·(p − q) = 2 · 1/4 · (−1, 0, 0).
        #expect(z == 1 && force == SIMD4<Double>(-0.5, 0, 0, 0))
    }

    @Test("coincident points do not break the tree")
    func duplicates() {
        let y = Embedding(count: 5, dimensions: 2, coordinates: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
        var bh = BarnesHutRepulsion(theta: 0.5), exact = ExactRepulsion()
        var a = [Double](repeating: 0, count: 10), b = a
        #expect(abs(bh.compute(y, into: &a) - exact.compute(y, into: &b)) < 1e-6)
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}

@Suite struct TSNETests {
    @Test("well-separated Gaussian clusters in 50-D map to separate clusters (10-NN accuracy 1.0)", arguments: [TSNEMethod.exact, .bh, .fft])
    func clustersSeparate(_ method: TSNEMethod) throws {
        let (x, labels) = clusters(5, perCluster: 60, dimensions: 50, seed: 7)
        var p = TSNEParameters()
        p.method = method
        p.iterations = 500
        p.perplexity = 20
        let result = try TSNE(p).fit(x)
        #expect(looKNNAccuracy(result.embedding, labels) == 1.0)
        #expect(result.record.klDivergence > 0 && result.record.klTrace.count == 10)
    }

    @Test("3-D embeddings work with both methods")
    func threeDimensions() throws {
        let (x, labels) = clusters(4, perCluster: 50, dimensions: 20, seed: 8)
        for method in [TSNEMethod.exact, .bh] {
            var p = TSNEParameters()
            p.dimensions = 3
            p.method = method
            p.iterations = 400
            p.perplexity = 15
            let result = try TSNE(p).fit(x, initialization: .random)
            #expect(result.embedding.columns == 3)
            #expect(looKNNAccuracy(result.embedding, labels) == 1.0)
        }
    }

    @Test("same input, parameters, seed and threads give bit-identical output")
    func determinism() throws {
        let (x, _) = clusters(3, perCluster: 70, dimensions: 10, seed: 9)
        var p = TSNEParameters()
        p.iterations = 300
        p.method = .bh
        let a = try TSNE(p).fit(x, initialization: .random), b = try TSNE(p).fit(x, initialization: .random)
        #expect(a.embedding == b.embedding)
        p.seed = 43
        let c = try TSNE(p).fit(x, initialization: .random)
        #expect(c.embedding != a.embedding)
    }

    @Test("the exact method refuses sizes over the memory budget, naming the alternative")
    func memoryGuard() {
        // A budget for this test's task only: other tests run exact t-SNE concurrently.
        MemoryBudget.withBudget(bytes: 1 << 20) {
            var p = TSNEParameters()
            p.method = .exact
            #expect(throws: EmbedVizError.input(
                "exact t-SNE of 500 points would need 5.7 MiB of working memory, over the budget of 1.0 MiB; use \(parameter: "method", of: "TSNEParameters") bh")) {
                _ = try TSNE(p).fit(randomMatrix(500, 3, seed: 1))
            }
        }
    }

    @Test("PCA initialisation: first coordinate has standard deviation 1e-4")
    func pcaInitialisation() throws {
        let x = randomMatrix(300, 8, seed: 10)
        let y = try TSNE().initialEmbedding(x, .pca)
        let first = (0..<300).map { y.coordinates[$0 * 2] }
        let mean = first.reduce(0, +) / 300
        let sd = (first.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 300).squareRoot()
        #expect(abs(sd - 1e-4) < 1e-9)
    }
}

@Suite struct TSNETransformTests {
    /// Four clusters in 20 dimensions and their Barnes–Hut t-SNE map (the reference a transform places new points in).
    static func clusteredMap(perCluster: Int, seed: UInt64, iterations: Int, perplexity: Double) throws
        -> (x: Matrix, labels: [Int], reference: Matrix) {
        let (x, labels) = clusters(4, perCluster: perCluster, dimensions: 20, seed: seed)
        var p = TSNEParameters()
        p.iterations = iterations
        p.perplexity = perplexity
        p.method = .bh
        return (x, labels, try TSNE(p).fit(x).embedding)
    }

    @Test("new points drawn from a known cluster land inside it in the existing map")
    func newPointsLandInTheirCluster() throws {
        let (x, labels, reference) = try Self.clusteredMap(perCluster: 80, seed: 21, iterations: 400, perplexity: 20)
        let (fresh, freshLabels) = clusters(4, perCluster: 10, dimensions: 20, seed: 22)
        let placed = try TSNETransform(referenceInput: x, referenceEmbedding: reference).transform(fresh)
        #expect(placed.rows == 40 && placed.columns == 2)
        let d = PairwiseDistances.squared(placed, reference)
        for i in 0..<40 {
            let nearest = (0..<x.rows).sorted { d[i, $0] < d[i, $1] }.prefix(10)
            let votes = Dictionary(grouping: nearest, by: { labels[$0] }).mapValues(\.count)
            #expect(votes.max { $0.value < $1.value }!.key == freshLabels[i], "point \(i) landed among \(votes)")
        }
    }

    @Test("a 2-D map whose FFT grid would exceed the memory budget is placed into with the Barnes–Hut tree instead")
    func wideMapFallsBackToTheTree() throws {
        let (x, labels, reference) = try Self.clusteredMap(perCluster: 80, seed: 21, iterations: 400, perplexity: 20)
        let (fresh, freshLabels) = clusters(4, perCluster: 10, dimensions: 20, seed: 22)
        // The grid of this map (≥ 50 intervals of 3 nodes, 5 FFT buffers of 300²) needs ≈ 3.6 MB.
        let placed = try MemoryBudget.withBudget(bytes: 1 << 20) {
            try TSNETransform(referenceInput: x, referenceEmbedding: reference).transform(fresh)
        }
        let d = PairwiseDistances.squared(placed, reference)
        for i in 0..<40 {
            let nearest = (0..<x.rows).sorted { d[i, $0] < d[i, $1] }.prefix(10)
            let votes = Dictionary(grouping: nearest, by: { labels[$0] }).mapValues(\.count)
            #expect(votes.max { $0.value < $1.value }!.key == freshLabels[i], "point \(i) landed among \(votes)")
        }
        #expect(FFTRepulsion().gridBytes(intervals: 50, dimensions: 2) > 1 << 20)
    }

    /// Replaces a check that compared the reference a transformer was just given with itself (no
    /// transform in between). Here the bits are copied *before* `transform` (into a new array, so a
    /// write into the transformer's own storage would not reach the copy) and compared after it,
    /// and a second transform must give the same points (nothing the map's repulsion uses moved).
    @Test("transform leaves the reference bit-identical and puts new points next to their cluster's reference points")
    func referenceDoesNotMove() throws {
        let (x, labels, reference) = try Self.clusteredMap(perCluster: 60, seed: 23, iterations: 300, perplexity: 15)
        let transformer = try TSNETransform(referenceInput: x, referenceEmbedding: reference)
        let before = transformer.referenceEmbedding.storage.map(\.bitPattern)
        #expect(before == reference.storage.map(\.bitPattern))
        let (fresh, freshLabels) = clusters(4, perCluster: 10, dimensions: 20, seed: 24)
        let placed = try transformer.transform(fresh)
        let after = transformer.referenceEmbedding.storage.map(\.bitPattern)
        let moved = zip(after, before).filter { $0 != $1 }.count
        #expect(after.count == before.count && moved == 0, "transform moved \(moved) reference coordinates")
        #expect(transformer.referenceEmbedding.rows == reference.rows && transformer.referenceEmbedding.columns == reference.columns)
        let again = try transformer.transform(fresh).storage.map(\.bitPattern)
        #expect(again == placed.storage.map(\.bitPattern), "a second transform of the same points differs")
        // Each new point's nearest reference point in the map belongs to its cluster (≥ 90% of them).
        let d = PairwiseDistances.squared(placed, reference)
        let hits = (0..<placed.rows).filter { i in labels[(0..<x.rows).min { d[i, $0] < d[i, $1] }!] == freshLabels[i] }.count
        #expect(placed.rows == 40 && hits >= 36, "\(hits) of 40 new points next to a reference point of their cluster")
    }

    @Test("bad reference shapes are refused")
    func refusals() {
        let x = randomMatrix(50, 4, seed: 1)
        #expect(throws: EmbedVizError.self) { _ = try TSNETransform(referenceInput: x, referenceEmbedding: randomMatrix(49, 2, seed: 2)) }
        #expect(throws: EmbedVizError.self) { _ = try TSNETransform(referenceInput: x, referenceEmbedding: randomMatrix(50, 4, seed: 2)) }
        #expect(throws: EmbedVizError.self) {
            _ = try TSNETransform(referenceInput: x, referenceEmbedding: randomMatrix(50, 2, seed: 2)).transform(randomMatrix(3, 5, seed: 3))
        }
    }
}
