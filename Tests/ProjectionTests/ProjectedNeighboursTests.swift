import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

/// ‖x_i − y_j‖² in Double: the independent truth for listed distances.
private func squaredDistance(_ x: Matrix, _ i: Int, _ y: Matrix, _ j: Int) -> Double {
    (0..<x.columns).map { Double(x[i, $0]) - Double(y[j, $0]) }.map { $0 * $0 }.reduce(0, +)
}

/// N rows of `dimensions` columns that lie in a random `rank`-dimensional subspace, plus `noise`.
private func lowRank(_ n: Int, rank: Int, dimensions: Int, noise: Float, seed: UInt64) -> Matrix {
    var rng = SeededGenerator(seed: seed)
    let basis = (0..<(rank * dimensions)).map { _ in Float(rng.normal()) }
    let latent = (0..<(n * rank)).map { _ in Float(rng.normal()) }
    return Matrix(rows: n, columns: dimensions) { i, j in
        (0..<rank).reduce(Float(0)) { $0 + latent[i * rank + $1] * basis[$1 * dimensions + j] } + noise * Float(rng.normal())
    }
}

/// Checks that `lists` are nearest first, hold the true full-space squared distances of their pairs
/// (the re-rank's 16 partial sums of exact squared differences: relative error ≪ 1e-5), and that
/// each row's distances are those of the exact lists (sorted, to the exact lists' own BLAS-identity
/// rounding, bounded here by 1e-4 of the row's scale): the same neighbours, up to near-ties.
private func expectListsMatchExact(_ lists: NearestNeighbours, queries: Matrix, reference: Matrix, exact: NearestNeighbours,
                                   rows: some Sequence<Int>) -> Int {
    var mismatched = 0
    for i in rows {
        let found = lists.neighbours(of: i).map { squaredDistance(queries, i, reference, Int($0)) }
        let listed = lists.squaredDistances[(i * lists.k)..<((i + 1) * lists.k)].map(Double.init)
        #expect(zip(listed, listed.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(zip(listed, found).allSatisfy { abs($0 - $1) <= 1e-5 * max($1, 1e-3) })
        let truth = exact.neighbours(of: i).map { squaredDistance(queries, i, reference, Int($0)) }.sorted()
        let scale = truth.last ?? 1
        if !zip(found.sorted(), truth).allSatisfy({ abs($0 - $1) <= 1e-4 * scale }) { mismatched += 1 }
    }
    return mismatched
}

@Suite struct ProjectedNeighboursTests {
    @Test("re-ranking keeps the k nearest candidates by full-space distance, equal distances in index order")
    func rerankHandCase() {
        // Reference points on a line in 17-D (a tail after the 16-lane blocks): distances from the
        // query at 0 are 0, 1, 4, 4, 9 for rows 0…4 (rows 2 and 3 both at distance 2).
        let reference = Matrix(rows: 5, columns: 17) { i, j in j == 16 ? [0, 1, 2, -2, 3][i] : 0 }
        let query = Matrix(rows: 1, columns: 17)
        let candidates = NearestNeighbours(count: 1, k: 5, indices: [4, 3, 1, 2, 0], squaredDistances: [0, 0, 0, 0, 0])
        let top = NearestNeighbours.reranked(candidates, queries: query, reference: reference, k: 4)
        #expect(top.indices == [0, 1, 2, 3])
        #expect(top.squaredDistances == [0, 1, 4, 4])
    }

    @Test("rows in a 20-dimensional subspace of 200: the projected search finds the exact lists")
    func subspaceIsExact() throws {
        let x = lowRank(1500, rank: 20, dimensions: 200, noise: 0, seed: 3)
        let exact = try NearestNeighbours.exact(x, k: 15)
        let (lists, report) = try NearestNeighbours.find(x, k: 15, search: NeighbourSearch(method: .approx))
        #expect(report.method == .approx && report.projectedDimensions == 50 && report.candidates == 60)
        #expect(report.m == nil && report.deterministic)
        #expect(try #require(report.recall) >= 0.999)
        #expect(expectListsMatchExact(lists, queries: x, reference: x, exact: exact, rows: 0..<x.rows) == 0)
        for i in 0..<x.rows { #expect(!lists.neighbours(of: i).contains(Int32(i))) }
    }

    @Test("a full-rank 300-D mixture: recall ≥ 0.95 against exact search, measured by the report's sample")
    func fullRankRecall() throws {
        let x = lowRank(3000, rank: 30, dimensions: 300, noise: 1.5, seed: 5)
        let exact = try NearestNeighbours.exact(x, k: 10)
        var search = NeighbourSearch(method: .approx)
        search.recallSample = 3000
        let (lists, report) = try NearestNeighbours.find(x, k: 10, search: search)
        var found = 0
        for i in 0..<x.rows { found += Set(exact.neighbours(of: i)).intersection(lists.neighbours(of: i)).count }
        let recall = Double(found) / Double(x.rows * 10)
        #expect(recall >= 0.95)
        // Every row sampled: the report's recall is the full one.
        #expect(abs(try #require(report.recall) - recall) < 1e-9)
        #expect(report.summary.contains("40 candidates from PCA-50 by exact search, re-ranked"))
        // More candidates per neighbour never lose recall here (the candidates are nested).
        search.candidateFactor = 8
        let wider = try NearestNeighbours.find(x, k: 10, search: search).1
        #expect(try #require(wider.recall) >= recall)
    }

    @Test("the cosine metric through the projection: 1 − cos θ of the listed pairs, the exact cosine lists")
    func cosine() throws {
        let x = lowRank(1200, rank: 12, dimensions: 150, noise: 0, seed: 9)
        let cosine = NeighbourSearch(method: .exact, metric: .cosine)
        let exact = try NearestNeighbours.find(x, k: 8, search: cosine).0
        var projected = cosine
        projected.method = .approx
        let (lists, report) = try NearestNeighbours.find(x, k: 8, search: projected)
        #expect(report.projectedDimensions == 50 && report.metric == .cosine)
        let units = try NearestNeighbours.unitRows(x)
        var mismatched = 0
        for i in 0..<x.rows {
            for (j, d) in zip(lists.neighbours(of: i), lists.squaredDistances[(i * 8)..<((i + 1) * 8)]) {
                let truth = 0.5 * squaredDistance(units, i, units, Int(j))
                #expect(abs(Double(d) - truth) <= 1e-5)
            }
            if Set(lists.neighbours(of: i)) != Set(exact.neighbours(of: i)) { mismatched += 1 }
        }
        // Rank 12 < 50: the candidates hold the true lists; only a near-tie at the 8th may swap.
        #expect(mismatched <= 2)
    }

    @Test("an index over high-dimensional reference rows places queries through the projection")
    func indexQueries() throws {
        let all = lowRank(1700, rank: 16, dimensions: 180, noise: 0, seed: 11)
        let reference = Matrix(rows: 1500, columns: 180, storage: Array(all.storage[0..<(1500 * 180)]))
        let queries = Matrix(rows: 200, columns: 180, storage: Array(all.storage[(1500 * 180)...]))
        let index = try NeighbourIndex(reference: reference, search: NeighbourSearch(method: .approx))
        let lists = try index.neighbours(of: queries, k: 12)
        let exact = try NearestNeighbours.exact(queries, among: reference, k: 12)
        #expect(expectListsMatchExact(lists, queries: queries, reference: reference, exact: exact, rows: 0..<queries.rows) == 0)
        let report = index.report
        #expect(report.method == .approx && report.projectedDimensions == 50 && report.candidates == 48)
        #expect(try #require(report.recall) >= 0.999 && report.recallRows == 200)
    }

    @Test("auto: exact below 20,000 points or up to 128 columns; the projection from there")
    func autoResolution() {
        let search = NeighbourSearch()
        #expect(search.resolvedMethod(points: NeighbourSearch.projectedFrom, dimensions: 784) == .approx)
        #expect(search.resolvedMethod(points: NeighbourSearch.projectedFrom - 1, dimensions: 784) == .exact)
        #expect(search.resolvedMethod(points: NeighbourSearch.projectedFrom, dimensions: NeighbourSearch.projectAbove) == .exact)
        var off = search
        off.projectedDimensions = 0
        #expect(!off.projects(dimensions: 784))
        #expect(off.resolvedMethod(points: NeighbourSearch.projectedFrom, dimensions: 784) == .exact)
        // Projecting onto as many components as there are columns saves nothing: HNSW instead.
        var wide = search
        wide.projectedDimensions = 200
        #expect(!wide.projects(dimensions: 200) && wide.projects(dimensions: 201))
    }

    @Test("a search written before the projection's fields existed decodes with their defaults")
    func decodesOlderRecords() throws {
        let old = #"{"method":"approx","metric":"cosine","m":24,"efConstruction":100,"seed":7,"parallelBuild":false,"recallSample":300,"recallWarningBelow":0.9}"#
        let search = try JSONDecoder().decode(NeighbourSearch.self, from: Data(old.utf8))
        #expect(search.method == .approx && search.metric == .cosine && search.m == 24 && search.efConstruction == 100)
        #expect(search.seed == 7 && search.recallSample == 300 && search.recallWarningBelow == 0.9 && search.ef == nil)
        #expect(search.projectedDimensions == 50 && search.candidateFactor == 4)
        var changed = search
        (changed.projectedDimensions, changed.candidateFactor) = (32, 6)
        let again = try JSONDecoder().decode(NeighbourSearch.self, from: try JSONEncoder().encode(changed))
        #expect(again == changed)
    }

    @Test("bad projection parameters are refused with their names")
    func validation() {
        var search = NeighbourSearch(method: .approx)
        search.candidateFactor = 0
        #expect(throws: EmbedVizError.self) { try search.validate() }
        search.candidateFactor = 4
        search.projectedDimensions = -1
        #expect(throws: EmbedVizError.self) { try search.validate() }
    }
}
