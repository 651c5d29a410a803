import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

/// The fuzzy graph and the curve: each against its definition, a hand case, or umap-learn's values.
@Suite struct UMAPGraphTests {
    /// Σ_{j ≥ 1} exp(−max(0, d_j − ρ) / σ), the sum smooth kNN calibrates (in Double).
    func membershipSum(_ row: [Float], rho: Float, sigma: Float) -> Double {
        row.dropFirst().reduce(0.0) { $0 + (Double($1 - rho) > 0 ? exp(-Double($1 - rho) / Double(sigma)) : 1) }
    }

    @Test("smooth kNN: ρ is the nearest non-zero distance and Σ exp(−(d − ρ)/σ) = log₂ k to the bisection's tolerance")
    func calibration() {
        var rng = SeededGenerator(seed: 7)
        for k in [5, 15, 40] {
            let rows = 50
            var distances = [Float]()
            for i in 0..<rows {
                // Self first (0), sometimes a duplicate point (another 0), then increasing distances.
                var row = (1..<k).map { _ in Float(rng.uniform(0.1, 3)) }.sorted()
                if i % 7 == 0 { row[0] = 0 }
                distances += [0] + row
            }
            let (rho, sigma) = SmoothKNN.calibrate(distances: distances, rows: rows, k: k)
            for i in 0..<rows {
                let row = Array(distances[(i * k)..<((i + 1) * k)])
                #expect(rho[i] == row.first { $0 > 0 }!)
                // The bisection stops within 1e-5 of the target; σ's Float rounding (relative 6e-8)
                // moves the sum by at most Σ (x/σ)e^(−x/σ)·6e-8 ≤ k·e⁻¹·6e-8 < 1e-6.
                let sum = membershipSum(row, rho: rho[i], sigma: sigma[i])
                #expect(abs(sum - log2(Double(k))) < 1e-5 + 1e-6, "row \(i), k \(k): Σ = \(sum)")
            }
        }
    }

    @Test("smooth kNN: σ is at least 1e-3 × the row's mean distance (umap-learn's MIN_K_DIST_SCALE), or the overall mean when ρ = 0")
    func minimumScale() {
        // Row 0: all neighbours at the same distance: every term is 1, the sum (k − 1) exceeds log₂ k
        // for any σ, so the bisection drives σ towards 0 and the floor holds it.
        // Row 1: all at distance 0 (duplicates): ρ = 0, the floor is of the mean over all rows.
        let k = 6
        let distances: [Float] = [0, 2, 2, 2, 2, 2] + [0, 0, 0, 0, 0, 0]
        let (rho, sigma) = SmoothKNN.calibrate(distances: distances, rows: 2, k: k)
        #expect(rho == [2, 0])
        #expect(sigma[0] == Float(1e-3 * 10.0 / 6))
        #expect(sigma[1] == Float(1e-3 * 10.0 / 12))
    }

    @Test("fuzzy union A + Aᵀ − A∘Aᵀ on a hand case: symmetric, one-sided edges kept, self entries and zeros dropped")
    func fuzzyUnion() {
        // Local sets (k = 2 entries per point): A[0,1] = 0.5, A[0,2] = 1; A[1,0] = 0.2, A[1,1] = self;
        // A[2,1] = 0.4, A[2,0] = 0 (underflowed).
        let graph = FuzzyGraph.fuzzyUnion(count: 3, k: 2, indices: [1, 2, 0, 1, 1, 0], memberships: [0.5, 1, 0.2, 0.9, 0.4, 0])
        let a: Float = 0.5, b: Float = 0.2
        #expect(graph.weight(0, 1) == (a + b) - a * b)  // 0.6
        #expect(abs(graph.weight(0, 1) - 0.6) < 1e-7)
        #expect(graph.weight(0, 2) == 1)
        #expect(graph.weight(1, 2) == 0.4)
        for i in 0..<3 {
            #expect(graph.weight(i, i) == 0)
            for j in 0..<3 { #expect(graph.weight(i, j) == graph.weight(j, i)) }
        }
        #expect(graph.edges == 6)
        #expect(graph.rowStart == [0, 2, 4, 6] && graph.columns == [1, 2, 0, 2, 0, 1])
    }

    @Test("the graph of real neighbour lists is exactly symmetric, and each point's nearest neighbour has membership 1 before the union")
    func graphFromNeighbours() throws {
        let x = randomMatrix(300, 8, seed: 3)
        let (lists, _) = try NearestNeighbours.find(x, k: 14)
        let graph = FuzzyGraph.fromNeighbours(lists, metric: .euclidean)
        for i in 0..<x.rows {
            for e in graph.rowStart[i]..<graph.rowStart[i + 1] {
                let j = Int(graph.columns[e])
                #expect(j != i && graph.weights[e] > 0 && graph.weights[e] <= 1)
                #expect(graph.weight(j, i) == graph.weights[e])
            }
            // Union with membership 1 is 1: (a + 1) − a·1, up to the rounding of a + 1 in [1, 2) and
            // of the difference (half an ulp of 1 each: 2⁻²⁴ + 2⁻²⁴).
            #expect(abs(graph.weight(i, Int(lists.neighbours(of: i).first!)) - 1) <= 0x1p-23)
        }
    }

    // Reference: umap-learn 0.5.12 (SciPy 1.17.1, NumPy 2.4.6), computed once with
    //   from umap.umap_ import find_ab_params
    //   for md, sp in [(0.1, 1.0), (0.5, 1.0), (0.0, 2.0)]: print(md, sp, *find_ab_params(sp, md))
    // Both fits minimise the same sum of squares on the same grid; curve_fit stops at a relative
    // change of 1.5e-8, far inside 1e-3.
    @Test("a, b for min_dist 0.1 / spread 1 (and two other settings) equal umap-learn's find_ab_params to 1e-3",
          arguments: UMAPGraphTests.abReference)
    func curve(_ reference: (minDist: Double, spread: Double, a: Double, b: Double)) {
        let curve = MapCurve.fit(minDist: reference.minDist, spread: reference.spread)
        #expect(abs(curve.a - reference.a) < 1e-3, "a = \(curve.a), umap-learn \(reference.a)")
        #expect(abs(curve.b - reference.b) < 1e-3, "b = \(curve.b), umap-learn \(reference.b)")
    }

    static let abReference: [(minDist: Double, spread: Double, a: Double, b: Double)] = [
        (0.1, 1.0, 1.5769434602697652, 0.8950608778515733),
        (0.5, 1.0, 0.5830300203414425, 1.3341669924314914),
        (0.0, 2.0, 0.6460466719525826, 0.7904944906889044),
    ]
}

@Suite struct UMAPPowerTests {
    @Test("the SGD's x^y is within 1e-7·|y·log₂ x| + 6e-7 (relative) of Double pow for the curve's exponents, d² in [1e-20, 1e6]")
    func power() {
        // Bound, with t = y·log₂ x: the Float roundings of e + log₂ m and of the product with y are
        // each ≤ 2⁻²⁴·|t| in t, and an error δ in t is a relative error ln 2·δ in 2^t: 0.7·2·6e-8·|t|
        // < 1e-7·|t|. Independent of t: the 2^f series (1.2e-7), the atanh series (3e-8·1.44·y)
        // and about five Float roundings (6e-8 each): < 6e-7.
        for y in [Float(0.5), 0.7905, 0.8951, 1.3342, 1.5] {
            var x: Float = 1e-20
            while x < 1e6 {
                let exact = pow(Double(x), Double(y))
                let error = abs(Double(LayoutSGD.power(x, y)) - exact) / exact
                let bound = 1e-7 * abs(Double(y) * log2(Double(x))) + 6e-7
                if error > bound { Issue.record("x \(x), y \(y): relative error \(error) > \(bound)") }
                x *= 1.0137
            }
        }
    }

    @Test("the SGD's 8-lane x^y (the negative samples') equals the scalar one bit for bit, lane by lane")
    func powerLanes() {
        for y in [Float(0.5), 0.7905, 0.8951, 1.3342, 1.5] {
            var x: Float = 1e-30
            while x < 1e8 {
                let lanes = SIMD8<Float>((0..<8).map { x * (1 + Float($0) * 0.37) })
                let vector = LayoutSGD.power(lanes, y)
                for l in 0..<8 where vector[l].bitPattern != LayoutSGD.power(lanes[l], y).bitPattern {
                    Issue.record("x \(lanes[l]), y \(y): lane \(vector[l]), scalar \(LayoutSGD.power(lanes[l], y))")
                }
                x *= 1.29
            }
        }
    }
}
