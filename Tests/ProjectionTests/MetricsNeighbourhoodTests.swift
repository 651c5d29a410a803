import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

@Suite struct MetricsNeighbourhoodTests {
    /// The X and Y of the scikit-learn references: X = table(rows, 5, seed) − 0.5 and
    /// Y = X[:, :2] + 0.25 · table(rows, 2, seed + 1) (see MetricsSupport.swift); all values exact in Float.
    static func referenceCase(rows: Int, seed: UInt32) -> (Matrix, Matrix) {
        let x: [[Double]] = hashTable(rows, 5, seed: seed).map { row in row.map { $0 - 0.5 } }
        let noise = hashTable(rows, 2, seed: seed + 1)
        let y: [[Double]] = (0..<rows).map { i in (0..<2).map { c in x[i][c] + 0.25 * noise[i][c] } }
        return (Matrix(doubles: x), Matrix(doubles: y))
    }

    /// scikit-learn 1.9.1 / NumPy 2.4.6, float64 copies of the same values:
    ///   X = table(60, 5, 1) - 0.5;  Y = X[:, :2] + 0.25 * table(60, 2, 2)
    ///   trustworthiness(X, Y, n_neighbors=k), trustworthiness(Y, X, n_neighbors=k) for k = 5, 10;
    ///   kNN preservation: a, b = NearestNeighbors(n_neighbors=k).fit(X or Y).kneighbors(return_distance=False),
    ///   np.mean([len(set(a[i]) & set(b[i])) / k for i in range(60)]).
    /// (Smallest gap between two distances from one point: 4.1e-6 in X, 2.3e-5 in Y, far above Float rounding.)
    @Test("trustworthiness, continuity and kNN preservation match scikit-learn (N = 60)",
          arguments: [(5, 0.7471153846153846, 0.8212820512820513, 0.25),
                      (10, 0.7706367041198502, 0.827940074906367, 0.395)])
    func scikitLearnSmall(_ k: Int, _ trust: Double, _ continuity: Double, _ preservation: Double) throws {
        let (x, y) = Self.referenceCase(rows: 60, seed: 1)
        let m = try NeighbourhoodPreservation.measure(input: x, projection: y, k: k)
        #expect(abs(m.trustworthiness - trust) < 1e-12)
        #expect(abs(m.continuity - continuity) < 1e-12)
        #expect(abs(m.knnPreservation - preservation) < 1e-12)
        #expect(m.k == k && m.points == 60)
        #expect(try NeighbourhoodPreservation.trustworthiness(input: x, projection: y, k: k) == m.trustworthiness)
        #expect(try NeighbourhoodPreservation.continuity(input: x, projection: y, k: k) == m.continuity)
    }

    /// The same calls on X = table(1500, 5, 40) - 0.5, Y = X[:, :2] + 0.25 * table(1500, 2, 41), k = 10:
    /// 1500 points need two blocks of distance rows. Tolerance 1e-6: one pair of near-tied
    /// distances ranked differently by Float and float64 would move the value by ~1e-8.
    @Test("the same on 1,500 points, more than one block of distance rows")
    func scikitLearnTwoBlocks() throws {
        let (x, y) = Self.referenceCase(rows: 1500, seed: 40)
        let m = try NeighbourhoodPreservation.measure(input: x, projection: y, k: 10)
        #expect(abs(m.trustworthiness - 0.7371138205905468) < 1e-6)
        #expect(abs(m.continuity - 0.9027715729201752) < 1e-6)
        #expect(abs(m.knnPreservation - 0.052333333333333336) < 1e-6)
    }

    @Test("an isometry (rotation, scaling, translation) keeps every neighbourhood: all three are 1")
    func isometry() throws {
        // 3-D data in 6 columns (BLAS kernel), its rotated, scaled and shifted copy in 3 (plain differences).
        let base = randomMatrix(300, 3, seed: 3)
        let x = Matrix(rows: 300, columns: 6) { i, j in j < 3 ? base[i, j] : 0 }
        let q = try LAPACK.svd(randomMatrix(3, 3, seed: 4)).u
        var y = BLAS.gemm(base, .none, q, .none, alpha: 7)
        y.withUnsafeMutableBufferPointer { p in for e in 0..<p.count { p[e] += 5 } }
        let m = try NeighbourhoodPreservation.measure(input: x, projection: y, k: 10)
        #expect(m.trustworthiness == 1 && m.continuity == 1 && m.knnPreservation == 1)
    }

    @Test("a permuted projection scores low, near chance")
    func permuted() throws {
        let x = randomMatrix(400, 8, seed: 5)
        var rng = SeededGenerator(seed: 6)
        let y = x.leadingColumns(2).rows(at: rng.permutation(400))
        let m = try NeighbourhoodPreservation.measure(input: x, projection: y, k: 10)
        #expect(m.trustworthiness < 0.6 && m.continuity < 0.6)  // a random map scores ≈ 0.5
        #expect(m.knnPreservation < 0.1)  // chance: k/(N − 1) ≈ 0.025
        let good = try NeighbourhoodPreservation.measure(input: x, projection: x.leadingColumns(2), k: 10)
        #expect(good.trustworthiness > m.trustworthiness + 0.15)  // keeping 2 of 8 uniform coordinates: ≈ 0.69
    }

    /// An input full of exact ties. scikit-learn 1.9.1 gives 0.9382462686567165 (`trustworthiness(G, GY,
    /// n_neighbors=4)`) and 0.953544776119403 (swapped): its `np.argsort(dist_X)` (quicksort) orders
    /// tied distances arbitrarily. Its own code with `np.argsort(..., kind="stable")` for both rankings
    /// gives 0.9457089552238807 and 0.9557835820895523 (NumPy 2.4.6), the values of the definition
    /// with ties in index order, which we implement; brute force checks the same.
    @Test("exact ties are ranked in index order, as scikit-learn's code with a stable argsort does")
    func ties() throws {
        let g = Matrix(rows: 40, columns: 3) { i, j in Float([i % 5, i / 5, (i * 7) % 3][j]) }
        let gy = Matrix(rows: 40, columns: 2) { i, j in Float([i % 5, i / 5 + i % 2][j]) }
        let m = try NeighbourhoodPreservation.measure(input: g, projection: gy, k: 4)
        #expect(abs(m.trustworthiness - 0.9457089552238807) < 1e-12)
        #expect(abs(m.continuity - 0.9557835820895523) < 1e-12)
        #expect(abs(m.trustworthiness - bruteForceTrustworthiness(g, gy, k: 4)) < 1e-12)
        #expect(abs(m.continuity - bruteForceTrustworthiness(gy, g, k: 4)) < 1e-12)
    }

    @Test("a subsample is measured as its own dataset, reproducibly")
    func subsample() throws {
        let (x, y) = Self.referenceCase(rows: 500, seed: 7)
        let m = try NeighbourhoodPreservation.measure(input: x, projection: y, k: 5, sampleSize: 120, seed: 9)
        let rows = NeighbourhoodPreservation.sampleIndices(count: 500, size: 120, seed: 9)
        #expect(rows.count == 120 && Set(rows).count == 120 && rows == rows.sorted())
        #expect(rows == NeighbourhoodPreservation.sampleIndices(count: 500, size: 120, seed: 9))
        #expect(rows != NeighbourhoodPreservation.sampleIndices(count: 500, size: 120, seed: 10))
        let direct = try NeighbourhoodPreservation.measure(input: x.rows(at: rows), projection: y.rows(at: rows), k: 5)
        #expect(m == direct && m.points == 120)
        #expect(NeighbourhoodPreservation.sampleIndices(count: 50, size: 80, seed: 1) == Array(0..<50))
    }

    @Test("k must be below N/2 and the row counts must agree")
    func errors() {
        let x = randomMatrix(20, 4, seed: 1)
        #expect(throws: EmbedVizError.self) { _ = try NeighbourhoodPreservation.measure(input: x, projection: x, k: 10) }
        #expect(throws: EmbedVizError.self) { _ = try NeighbourhoodPreservation.measure(input: x, projection: x, k: 0) }
        #expect(throws: EmbedVizError.self) {
            _ = try NeighbourhoodPreservation.measure(input: x, projection: x.rows(0..<19), k: 3)
        }
        #expect(throws: EmbedVizError.self) { _ = try NearestNeighbours.exact(x, k: 20) }
    }

    @Test("exact neighbours: both kernels agree with brute force across blocks, nearest first, self excluded",
          arguments: [2, 3, 7])
    func neighbours(_ d: Int) throws {
        let x = randomMatrix(1500, d, seed: 11)
        let knn = try NearestNeighbours.exact(x, k: 6)
        for i in [0, 700, 1449, 1499] {
            var distances = [(Float, Int)]()
            for j in 0..<1500 where j != i {
                var s: Float = 0
                for c in 0..<d { s += (x[i, c] - x[j, c]) * (x[i, c] - x[j, c]) }
                distances.append((s, j))
            }
            let expected = distances.sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }.prefix(6)
            #expect(knn.neighbours(of: i).map(Int.init) == expected.map(\.1))
            #expect(zip(knn.squaredDistances[(i * 6)..<(i * 6 + 6)], expected).allSatisfy { abs($0 - $1.0) <= 1e-5 })
        }
        let three = knn.prefix(3)
        #expect(three.k == 3 && three.neighbours(of: 700) == knn.neighbours(of: 700).prefix(3))
    }

    /// Rows of one matrix are searched computing each pair once (`symmetricTiled`: a tile's columns
    /// feed the later points' lists, on any thread, in any order). On the 5⁵ points of {0…4}⁵,
    /// shuffled, every distance is a small integer computed exactly in Float (column means 2, centred
    /// coordinates −2…2) and almost every list ends in a tie: the lists must be the first k of the other
    /// points sorted by (distance, index), across 13 row blocks and two column tiles.
    @Test("exact neighbours of a lattice: every tie resolved by index, whatever order the lists were filled in")
    func latticeTies() throws {
        let points = (0..<3125).map { p in (0..<5).map { c in Float(p / [1, 5, 25, 125, 625][c] % 5) } }
        var rng = SeededGenerator(seed: 21)
        let x = Matrix(rng.permutation(3125).map { points[$0] })
        let k = 20
        let knn = try NearestNeighbours.exact(x, k: k)
        var wrong = 0
        for i in stride(from: 0, to: x.rows, by: 7) {  // every 7th list (the truths cost N log N each)
            let truth = (0..<x.rows).filter { $0 != i }.map { j in
                (d: (0..<5).reduce(0) { $0 + (x[i, $1] - x[j, $1]) * (x[i, $1] - x[j, $1]) }, j: j)
            }.sorted { ($0.d, $0.j) < ($1.d, $1.j) }.prefix(k)
            if knn.neighbours(of: i).map(Int.init) != truth.map(\.j)
                || Array(knn.squaredDistances[(i * k)..<((i + 1) * k)]) != truth.map(\.d) { wrong += 1 }
        }
        #expect(wrong == 0, "\(wrong) of 447 lists differ from the (distance, index) order")
    }

    @Test("kNN overlap: 1 for a copy up to similarity, near chance for a shuffled copy")
    func overlap() throws {
        let a = randomMatrix(500, 2, seed: 12)
        let b = Matrix(rows: 500, columns: 2) { i, j in j == 0 ? 3 * a[i, 1] + 1 : -3 * a[i, 0] }
        #expect(try NeighbourOverlap.mean(a, b, k: 10) == 1)
        var rng = SeededGenerator(seed: 13)
        let shuffled = a.rows(at: rng.permutation(500))
        #expect(try NeighbourOverlap.mean(a, shuffled, k: 10) < 0.1)
        let na = try NearestNeighbours.exact(a, k: 10)
        let perPoint = NeighbourOverlap.perPoint(na, try NearestNeighbours.exact(shuffled, k: 10))
        #expect(perPoint.count == 500 && perPoint.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("leave-one-out kNN accuracy: separated classes 1, brute force agreement, smallest label wins a tie")
    func classification() throws {
        let (blobs, labels) = gaussianBlobs([[0, 0], [20, 0], [0, 20]], perBlob: 50, seed: 14)
        #expect(try KNNClassification.leaveOneOut(blobs, labels: labels, k: 10).accuracy == 1)

        let x = randomMatrix(200, 2, seed: 15)
        let random = (0..<200).map { Int(hashed(16, $0) % 3) }
        let result = try KNNClassification.leaveOneOut(x, labels: random, k: 5)
        let knn = try NearestNeighbours.exact(x, k: 5)
        for i in 0..<200 {
            var votes = [0, 0, 0]
            for j in knn.neighbours(of: i) { votes[random[Int(j)]] += 1 }
            #expect(result.predictions[i] == votes.firstIndex(of: votes.max()!)!)
        }
        #expect(result.accuracy == Double(zip(result.predictions, random).filter { $0 == $1 }.count) / 200)

        // Point 0's two neighbours vote 7 and 3 once each: 3 wins.
        let line = Matrix([[0], [1], [-1.5], [10], [11], [12]])
        let tie = try KNNClassification.leaveOneOut(line, labels: [1, 7, 3, 5, 5, 5], k: 2)
        #expect(tie.predictions[0] == 3)
    }

    @Test("kNN accuracy of sampled queries among all points: the same votes as leave-one-out over every point")
    func sampledClassification() throws {
        let x = randomMatrix(300, 2, seed: 17)
        let labels = (0..<300).map { Int(hashed(18, $0) % 4) }
        let all = try KNNClassification.leaveOneOut(x, labels: labels, k: 7)
        let queries = [0, 5, 17, 42, 99, 150, 299]
        let sampled = try KNNClassification.leaveOneOut(x, labels: labels, k: 7, queries: queries)
        #expect(sampled.predictions == queries.map { all.predictions[$0] })
        #expect(sampled.accuracy == Double(queries.filter { all.predictions[$0] == labels[$0] }.count) / Double(queries.count))
        // Every row as a query: exactly leave-one-out's accuracy.
        #expect(try KNNClassification.leaveOneOut(x, labels: labels, k: 7, queries: Array(0..<300)).accuracy == all.accuracy)
    }
}
