import Linalg
@testable import Projection
import Testing

/// The parallel machinery of the FFT repulsion and the optimiser: the interval buckets the spreading
/// is split by, buffer reuse between iterations, and the block-wise centring.
@Suite struct FFTInterpolationTests {
    static func cloud(_ n: Int, spread: Double, seed: UInt64) -> Embedding {
        var rng = SeededGenerator(seed: seed)
        return Embedding(count: n, dimensions: 2, coordinates: (0..<(2 * n)).map { _ in spread * rng.normal() })
    }

    @Test("points are bucketed by first-axis interval in a stable order, and the bands cover every interval once")
    func buckets() {
        let y = Self.cloud(20_000, spread: 30, seed: 4)
        let (low, high, _) = FFTRepulsion.bounds(y.coordinates)
        let layout = GridLayout(low: low, width: (high - low) / 97, boxes: 97, p: 3)
        var buckets = IntervalBuckets()
        buckets.sort(y, layout)
        let box = (0..<y.count).map { layout.box(y.coordinates[2 * $0]) }
        // The definition: indices sorted by (interval, index).
        let expected = (0..<y.count).sorted { (box[$0], $0) < (box[$1], $1) }
        #expect(buckets.order.map(Int.init) == expected)
        for b in 0..<97 {
            #expect(buckets.order[buckets.start[b]..<buckets.start[b + 1]].allSatisfy { box[Int($0)] == b })
        }
        for count in [1, 3, 8, 200] {
            let bands = buckets.bands(count)
            #expect(bands.first?.lowerBound == 0 && bands.last?.upperBound == 97 && bands.count <= count)
            #expect(zip(bands, bands.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound && !$0.isEmpty })
        }
    }

    /// The grids and per-point buffers are reused: nothing of one iteration may leak into the next,
    /// whether the grid shrinks, grows within its buffers' headroom, or outgrows them.
    @Test("a reused FFT repulsion gives the same bits as a fresh one, across grid sizes", arguments: [1, 2])
    func reuse(_ dimensions: Int) {
        func map(_ spread: Double, seed: UInt64) -> Embedding {
            var rng = SeededGenerator(seed: seed)
            return Embedding(count: 3000, dimensions: dimensions, coordinates: (0..<(3000 * dimensions)).map { _ in spread * rng.normal() })
        }
        var reused = FFTRepulsion()
        var scratch = [Double](repeating: 0, count: 3000 * dimensions)
        for (spread, seed) in [(40.0, 1), (3.0, 2), (42.0, 3), (90.0, 4), (5.0, 5)] as [(Double, UInt64)] {
            let y = map(spread, seed: seed)
            var fresh = FFTRepulsion()
            var a = scratch, b = scratch
            let zReused = reused.compute(y, into: &a), zFresh = fresh.compute(y, into: &b)
            #expect(a == b && zReused == zFresh, "spread \(spread)")
            scratch = a
        }
    }

    @Test("centring subtracts each coordinate's mean (to rounding), the same bits in every block split")
    func centre() {
        var y = Self.cloud(70_001, spread: 50, seed: 8)
        for i in 0..<y.count { y.coordinates[2 * i] += 1000 }
        let original = y
        GradientDescent.centre(&y)
        // Rounding bound: a Double sum of n values of magnitude ≤ M = 1250 (the cloud is within
        // ±5 sd = ±250 around 1000) is off by ≤ n·u·M (u = 2⁻⁵³), for our mean and for the test's own;
        // the subtraction adds ≤ u·M per point. Twice n·u·M covers both sums.
        let bound = 2 * Double(y.count) * (Double.ulpOfOne / 2) * 1250
        for k in 0..<2 {
            let mean = (0..<y.count).map { y.coordinates[2 * $0 + k] }.reduce(0, +) / Double(y.count)
            #expect(abs(mean) <= bound, "coordinate \(k): mean \(mean)")
            // Against the definition, point by point: y − mean(y), the mean summed in point order.
            let truth = (0..<original.count).map { original.coordinates[2 * $0 + k] }.reduce(0, +) / Double(original.count)
            #expect((0..<y.count).allSatisfy { abs(y.coordinates[2 * $0 + k] - (original.coordinates[2 * $0 + k] - truth)) <= bound })
        }
    }
}

@Suite struct FixedMapFieldTests {
    /// The field replaces the Barnes–Hut walk (θ = 0.5) in placing points on 2-D maps; at every new
    /// position it must be at least as close to the exact sums. (Measured here: largest relative
    /// errors of Z 1.7% vs Barnes–Hut's 5.7%, of the force 2.9% vs 14.7%; RMS force error 1.0%, within
    /// the 2.5% the FFT repulsion's own test states for this configuration.)
    @Test("a fixed map's field is closer to the exact repulsion and Z at new positions than Barnes–Hut θ = 0.5")
    func fieldMatchesExactSums() throws {
        var rng = SeededGenerator(seed: 31)
        // Six clusters spread over ±25 (the FFT test's second case), and new positions anywhere in the box.
        var coordinates: [Double] = []
        for _ in 0..<6 {
            let centre = (0..<2).map { _ in (rng.nextUnitDouble() - 0.5) * 50 }
            for _ in 0..<200 { for k in 0..<2 { coordinates.append(centre[k] + rng.normal()) } }
        }
        let map = Embedding(count: coordinates.count / 2, dimensions: 2, coordinates: coordinates)
        let (low, high, _) = FFTRepulsion.bounds(coordinates)
        var fft = FFTRepulsion()
        let field = fft.field(of: map, margin: 2)
        let tree = BarnesHutRepulsion.Tree(map), list = BarnesHutRepulsion.InteractionList()
        var largest = (fieldZ: 0.0, fieldForce: 0.0, treeZ: 0.0, treeForce: 0.0)
        var squaredError = 0.0, squaredNorm = 0.0
        for _ in 0..<400 {
            let u = low - 2 + rng.nextUnitDouble() * (high - low + 4), v = low - 2 + rng.nextUnitDouble() * (high - low + 4)
            var force = SIMD2<Double>(), z = 0.0
            for j in 0..<map.count {
                let delta = SIMD2(u - coordinates[2 * j], v - coordinates[2 * j + 1])
                let w = 1 / (1 + (delta * delta).sum())
                force += w * w * delta
                z += w
            }
            let found = try #require(field.at(u, v))
            let (walked, walkedZ) = BarnesHutRepulsion.repulsion(at: SIMD4<Float>(Float(u), Float(v), 0, 0), tree: tree,
                                                                 thetaSquared: 0.25, list: list)
            func relative(_ a: SIMD2<Double>) -> Double { ((a - force) * (a - force)).sum().squareRoot() / (force * force).sum().squareRoot() }
            largest.fieldZ = max(largest.fieldZ, abs(found.z - z) / z)
            largest.treeZ = max(largest.treeZ, abs(walkedZ - z) / z)
            largest.fieldForce = max(largest.fieldForce, relative(found.force))
            largest.treeForce = max(largest.treeForce, relative(SIMD2(walked[0], walked[1])))
            squaredError += ((found.force - force) * (found.force - force)).sum()
            squaredNorm += (force * force).sum()
        }
        #expect(largest.fieldZ <= largest.treeZ && largest.fieldForce <= largest.treeForce, "\(largest)")
        #expect((squaredError / squaredNorm).squareRoot() < 2.5e-2)
        #expect(field.at(low - 2.5, 0) == nil && field.at(0, high + 2.5) == nil)
    }
}
