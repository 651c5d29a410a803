import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

/// The fraction of `exact`'s lists that `approximate` contains, over all rows.
private func fullRecall(_ approximate: NearestNeighbours, _ exact: NearestNeighbours) -> Double {
    var found = 0
    for i in 0..<exact.count {
        let truth = Set(exact.neighbours(of: i))
        found += approximate.neighbours(of: i).filter { truth.contains($0) }.count
    }
    return Double(found) / Double(exact.count * exact.k)
}

/// `count` Gaussian clusters of `perCluster` points in `dimensions`-D, centres drawn with sd 4.
private func gaussianMixture(_ count: Int, perCluster: Int, dimensions: Int, seed: UInt64) -> Matrix {
    var rng = SeededGenerator(seed: seed)
    let centres = (0..<(count * dimensions)).map { _ in Float(rng.normal()) * 4 }
    var rows = [Float]()
    rows.reserveCapacity(count * perCluster * dimensions)
    for c in 0..<count {
        for _ in 0..<perCluster {
            for j in 0..<dimensions { rows.append(centres[c * dimensions + j] + Float(rng.normal())) }
        }
    }
    return Matrix(rows: count * perCluster, columns: dimensions, storage: rows)
}

@Suite struct ApproximateNeighboursTests {
    static let mixture = gaussianMixture(12, perCluster: 250, dimensions: 20, seed: 7)

    @Test("HNSW lists find ≥ 95% of the exact 30 nearest neighbours of a 3,000-point mixture, and the report measures it")
    func recallAgainstExact() throws {
        let x = Self.mixture
        let exact = try NearestNeighbours.exact(x, k: 30)
        let (approximate, report) = try NearestNeighbours.find(x, k: 30, search: NeighbourSearch(method: .approx))
        let recall = fullRecall(approximate, exact)
        #expect(recall >= 0.95)
        #expect(report.method == .approx && report.recallRows == 500 && report.warning == nil)
        // The sampled recall estimates the full one (500 rows × 30: standard error well under 0.01).
        let sampled = try #require(report.recall)
        #expect(abs(sampled - recall) < 0.02)
        // Lists are nearest first, and their distances are the true squared distances of those pairs.
        for i in stride(from: 0, to: x.rows, by: 97) {
            let distances = approximate.squaredDistances[(i * 30)..<((i + 1) * 30)]
            #expect(zip(distances, distances.dropFirst()).allSatisfy { $0 <= $1 })
            for (j, d) in zip(approximate.neighbours(of: i), distances) {
                let truth = (0..<x.columns).map { Double(x[i, $0] - x[Int(j), $0]) }.map { $0 * $0 }.reduce(0, +)
                #expect(abs(Double(d) - truth) <= 1e-4 * max(truth, 1))
            }
            #expect(!approximate.neighbours(of: i).contains(Int32(i)))
        }
    }

    @Test("a graph built with all threads finds as much, and its report says the lists are not deterministic")
    func parallelBuild() throws {
        let x = Self.mixture
        var search = NeighbourSearch(method: .approx)
        search.parallelBuild = true
        let (approximate, report) = try NearestNeighbours.find(x, k: 30, search: search)
        #expect(fullRecall(approximate, try NearestNeighbours.exact(x, k: 30)) >= 0.95)
        #expect(report.deterministic == (Threads.count == 1))
        #expect(try NearestNeighbours.find(x, k: 30, search: NeighbourSearch(method: .approx)).1.deterministic)
    }

    @Test("cosine neighbours, exact and approximate, equal brute-force cosine neighbours; distances are 1 − cos θ")
    func cosine() throws {
        var x = randomMatrix(300, 8, seed: 3)
        // Rows of very different lengths: a Euclidean search would find other neighbours.
        x.withUnsafeMutableBufferPointer { p in for i in 0..<300 { for j in 0..<8 { p[i * 8 + j] *= Float(1 + i % 7) } } }
        let k = 10
        var truth = [[Int]](), cosines = [[Double]]()
        for i in 0..<300 {
            func dot(_ a: Int, _ b: Int) -> Double { (0..<8).map { Double(x[a, $0]) * Double(x[b, $0]) }.reduce(0, +) }
            let cos = (0..<300).map { j in dot(i, j) / (dot(i, i) * dot(j, j)).squareRoot() }
            let order = (0..<300).filter { $0 != i }.sorted { cos[$0] > cos[$1] || (cos[$0] == cos[$1] && $0 < $1) }
            truth.append(Array(order.prefix(k)))
            cosines.append(order.prefix(k).map { 1 - cos[$0] })
        }
        for method in [NeighbourSearch.Method.exact, .approx] {
            var search = NeighbourSearch(method: method, metric: .cosine)
            // ef = N: the graph search visits every point it can reach (with the default ef, recall
            // here is 0.999: the check of the next test is what measures that).
            (search.ef, search.recallSample) = (300, 300)
            let (lists, report) = try NearestNeighbours.find(x, k: k, search: search)
            #expect(report.metric == .cosine && report.method == method)
            for i in 0..<300 {
                #expect(Set(lists.neighbours(of: i).map(Int.init)) == Set(truth[i]), "row \(i), \(method)")
                let distances = lists.squaredDistances[(i * k)..<((i + 1) * k)].map(Double.init)
                #expect(maxAbsDifference(distances, cosines[i]) < 1e-5, "row \(i), \(method)")
            }
            if method == .approx { #expect(report.recall == 1) }
        }
    }

    @Test("a starved graph and search (M 2, ef_construction 2) measurably lose recall, and the report warns")
    func lowRecallIsMeasuredAndFlagged() throws {
        let x = Self.mixture
        var search = NeighbourSearch(method: .approx)
        (search.m, search.efConstruction, search.ef) = (2, 2, 1)
        let (approximate, report) = try NearestNeighbours.find(x, k: 30, search: search)
        let recall = fullRecall(approximate, try NearestNeighbours.exact(x, k: 30))
        let sampled = try #require(report.recall)
        #expect(recall < 0.95 && sampled < 0.95)
        #expect(abs(sampled - recall) < 0.03)
        #expect(report.warning?.contains("measured recall") == true)
        #expect(report.ef == 31 && report.m == 2)  // ef is raised to k + 1
        // The graph falls apart at M 2: rows whose search found fewer than 30 points got exact lists.
        #expect(report.completedExactly > 0 && approximate.indices.allSatisfy { $0 >= 0 && $0 < 3000 })
    }

    @Test("approximate lists depend on the seed only: rebuilt or searched in other chunks, they are identical")
    func deterministic() throws {
        let x = Self.mixture
        let a = try HNSWIndex(x, m: 8, efConstruction: 50, seed: 5)
        let b = try HNSWIndex(x, m: 8, efConstruction: 50, seed: 5)
        let queries = randomMatrix(400, 20, seed: 11, scale: 6)
        let whole = try a.search(queries, k: 15, ef: 20).0
        #expect(whole == (try b.search(queries, k: 15, ef: 20).0))
        // Queries split differently (as another thread count would split them) give the same lists.
        let first = try b.search(queries.rows(0..<137), k: 15, ef: 20).0
        let rest = try b.search(queries.rows(137..<400), k: 15, ef: 20).0
        #expect(first.indices + rest.indices == whole.indices && first.squaredDistances + rest.squaredDistances == whole.squaredDistances)
        let (one, _) = try NearestNeighbours.find(x, k: 20, search: NeighbourSearch(method: .approx))
        let (two, _) = try NearestNeighbours.find(x, k: 20, search: NeighbourSearch(method: .approx))
        #expect(one == two)
    }

    @Test("exact and auto (below the crossover) give the exact engine's lists bit for bit")
    func exactPath() throws {
        let x = Self.mixture
        let exact = try NearestNeighbours.exact(x, k: 12)
        for method in [NeighbourSearch.Method.exact, .auto] {
            let (lists, report) = try NearestNeighbours.find(x, k: 12, search: NeighbourSearch(method: method))
            #expect(lists == exact && report.method == .exact && report.recall == nil)
        }
        #expect(NeighbourSearch().resolvedMethod(points: NeighbourSearch.approximateFrom, dimensions: 50) == .approx)
        #expect(NeighbourSearch().resolvedMethod(points: NeighbourSearch.approximateFrom - 1, dimensions: 50) == .exact)
    }

    @Test("non-finite input, zero rows under cosine and unusable parameters are refused")
    func refusals() throws {
        var x = randomMatrix(50, 4, seed: 1)
        x[17, 2] = .nan
        for method in [NeighbourSearch.Method.exact, .approx] {
            #expect { _ = try NearestNeighbours.find(x, k: 5, search: NeighbourSearch(method: method)) } throws: { error in
                (error as? EmbedVizError)?.message.contains("row 17, column 2 (0-based) is nan") == true
            }
        }
        #expect(throws: EmbedVizError.self) { _ = try HNSWIndex(x) }
        var zero = randomMatrix(50, 4, seed: 1)
        for j in 0..<4 { zero[9, j] = 0 }
        #expect { _ = try NearestNeighbours.find(zero, k: 5, search: NeighbourSearch(method: .approx, metric: .cosine)) } throws: { error in
            (error as? EmbedVizError)?.message.contains("row 9 (0-based) is all zeros") == true
        }
        let good = randomMatrix(50, 4, seed: 1)
        var search = NeighbourSearch(method: .approx)
        search.m = 1
        #expect(throws: EmbedVizError.self) { _ = try NearestNeighbours.find(good, k: 5, search: search) }
        #expect(throws: EmbedVizError.self) { _ = try NearestNeighbours.find(good, k: 50, search: NeighbourSearch(method: .approx)) }
        let index = try HNSWIndex(good)
        #expect(throws: EmbedVizError.self) { _ = try index.search(randomMatrix(3, 5, seed: 2), k: 3, ef: 10) }
    }
}
