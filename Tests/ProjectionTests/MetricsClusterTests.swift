import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

@Suite struct MetricsClusterTests {
    @Test("two well-separated blobs: DBSCAN finds 2 clusters, ARI 1, with a given and an automatic ε")
    func twoBlobs() throws {
        let (x, truth) = gaussianBlobs([[0, 0], [30, 0]], perBlob: 300, seed: 31)
        for result in [try DBSCAN(epsilon: 1.5, minPoints: 10).fit(x), try DBSCAN.automatic(for: x).fit(x)] {
            #expect(result.clusterCount == 2)
            let clustered = result.labels.indices.filter { result.labels[$0] >= 0 }
            #expect(clustered.count > 560, "\(clustered.count) of 600 points clustered")  // the blobs' tails are noise
            #expect(AdjustedRandIndex.score(clustered.map { truth[$0] }, clustered.map { result.labels[$0] }) == 1)
        }
        let eps = try DBSCAN.automaticEpsilon(x)
        #expect(eps > 0.3 && eps < 3)  // the blobs have unit spread, their centres are 30 apart
    }

    @Test("3-D blobs and scattered noise points")
    func threeDimensional() throws {
        var (x, truth) = gaussianBlobs([[0, 0, 0], [20, 0, 0], [0, 20, 0], [0, 0, 20]], perBlob: 150, seed: 32)
        let far = Matrix(rows: 5, columns: 3) { i, j in Float(100 + 40 * i + 7 * j) }
        x = Matrix(rows: 605, columns: 3, storage: x.storage + far.storage)
        truth += [Int](repeating: -1, count: 5)
        let result = try DBSCAN.automatic(for: x, minPoints: 10).fit(x)
        #expect(result.clusterCount == 4)
        #expect(result.labels.suffix(5).allSatisfy { $0 == -1 })
        #expect(AdjustedRandIndex.score(truth, result.labels) > 0.98)
        #expect(result.clusterSizes.reduce(0, +) + result.noiseCount == 605)
    }

    /// scikit-learn 1.9.1: three unit squares of 30 points at (0, 0), (3, 0), (0, 3) and 10 points
    /// spread over [−2, 6)², P = [[cx + unit(20 + c, 2i), cy + unit(20 + c, 2i + 1)] …] +
    /// [[−2 + 8·unit(30, 2i), −2 + 8·unit(30, 2i + 1)] for i < 10]; DBSCAN(eps=0.3, min_samples=5).fit(P):
    /// 3 clusters, 10 noise points, 77 core samples, labels as below.
    @Test("DBSCAN matches scikit-learn: clusters, noise, core points and labels")
    func scikitLearnDBSCAN() throws {
        var rows: [[Double]] = []
        for (c, centre) in [(0.0, 0.0), (3, 0), (0, 3)].enumerated() {
            for i in 0..<30 { rows.append([centre.0 + hashUnit(UInt32(20 + c), 2 * i), centre.1 + hashUnit(UInt32(20 + c), 2 * i + 1)]) }
        }
        for i in 0..<10 { rows.append([-2 + 8 * hashUnit(30, 2 * i), -2 + 8 * hashUnit(30, 2 * i + 1)]) }
        let result = try DBSCAN(epsilon: 0.3, minPoints: 5).fit(Matrix(doubles: rows))
        let expected = [Int](repeating: 0, count: 30) + [Int](repeating: 1, count: 30)
            + [2, 2, 2, -1] + [Int](repeating: 2, count: 26) + [-1, -1, -1, -1, 2, -1, -1, -1, -1, -1]
        #expect(result.clusterCount == 3 && result.noiseCount == 10 && result.isCore.filter { $0 }.count == 77)
        #expect(result.labels == expected)
    }

    @Test("the grid finds exactly the ε-neighbours brute force finds", arguments: [0.05, 0.2, 1.0, 5.0])
    func gridAgainstBruteForce(_ epsilon: Double) throws {
        let x = randomMatrix(400, 2, seed: 33)
        let result = try DBSCAN(epsilon: epsilon, minPoints: 6).fit(x)
        for i in 0..<400 {
            var count = 0
            for j in 0..<400 {
                let (dx, dy) = (Double(x[i, 0]) - Double(x[j, 0]), Double(x[i, 1]) - Double(x[j, 1]))
                if dx * dx + dy * dy <= epsilon * epsilon { count += 1 }
            }
            #expect(result.isCore[i] == (count >= 6))
        }
        // Noise = neither core nor within ε of a core point.
        for i in 0..<400 where result.labels[i] == -1 { #expect(!result.isCore[i]) }
    }

    @Test("bad DBSCAN requests are clear errors")
    func errors() {
        let x = randomMatrix(50, 4, seed: 34)
        #expect(throws: EmbedVizError.self) { _ = try DBSCAN(epsilon: 1).fit(x) }  // 4-D
        #expect(throws: EmbedVizError.self) { _ = try DBSCAN(epsilon: 0).fit(x.leadingColumns(2)) }
        #expect(throws: EmbedVizError.self) { _ = try DBSCAN(epsilon: 1, minPoints: 0).fit(x.leadingColumns(2)) }
        #expect(throws: EmbedVizError.self) { _ = try DBSCAN.automaticEpsilon(x.rows(0..<5), minPoints: 10) }
        let nan = Matrix([[0, 0], [Float.nan, 1]])
        #expect(throws: EmbedVizError.self) { _ = try DBSCAN(epsilon: 1).fit(nan) }
    }

    /// scikit-learn 1.9.1: a = [h(key(8, i)) % 4 …], b = [h(key(9, i)) % 3 …] for i < 50,
    /// c = [a[i] if i % 7 else (a[i] + 1) % 4 …]; adjusted_rand_score(a, b), adjusted_rand_score(a, c).
    @Test("the adjusted Rand index matches scikit-learn and is invariant to renaming labels")
    func adjustedRandIndex() {
        let a = (0..<50).map { Int(hashed(8, $0) % 4) }
        let b = (0..<50).map { Int(hashed(9, $0) % 3) }
        let c = (0..<50).map { $0 % 7 != 0 ? a[$0] : (a[$0] + 1) % 4 }
        #expect(abs(AdjustedRandIndex.score(a, b) - -0.002784829039790311) < 1e-12)
        #expect(abs(AdjustedRandIndex.score(a, c) - 0.672049561531465) < 1e-12)
        #expect(AdjustedRandIndex.score(a, b) == AdjustedRandIndex.score(b, a))
        #expect(AdjustedRandIndex.score(a, a.map { 10 - 3 * $0 }) == 1)
        #expect(AdjustedRandIndex.score([1, 1, 1], [5, 5, 5]) == 1)
        #expect(AdjustedRandIndex.score([], []) == 1)
    }
}
