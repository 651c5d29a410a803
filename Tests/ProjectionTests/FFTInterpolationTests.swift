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
