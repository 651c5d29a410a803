import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

/// `rows` points in `dimensions`-D, standard normal, from `seed`.
private func gaussian(_ rows: Int, _ dimensions: Int, seed: UInt64) -> Matrix {
    var rng = SeededGenerator(seed: seed)
    return Matrix(rows: rows, columns: dimensions, storage: (0..<(rows * dimensions)).map { _ in Float(rng.normal()) })
}

@Suite struct SharedNeighboursTests {
    @Test("exact shared lists serve each declared k the very lists a search for that k finds, then let go")
    func exactPrefixes() throws {
        let x = gaussian(400, 6, seed: 3)
        let search = NeighbourSearch(method: .exact)
        let shared = SharedNeighbours(points: x, search: search, demands: [30, 30, 7, 12])
        #expect(shared.capacity == 30)
        for k in [30, 7, 30, 12] {
            #expect(shared.serves(x, k: k, search: search))
            let (served, report) = try NearestNeighbours.find(x, k: k, search: search, shared: shared)
            let (own, _) = try NearestNeighbours.find(x, k: k, search: search)
            #expect(served == own)
            #expect(report.k == k && report.prefixOf == (k < 30 ? 30 : nil))
        }
        // Every demand served: the lists are gone, and a further search is not served from them.
        #expect(shared.capacity == 0)
        #expect(!shared.serves(x, k: 7, search: search))
    }

    @Test("the lists narrow to the largest k still declared")
    func narrowing() throws {
        let x = gaussian(200, 4, seed: 5)
        let shared = SharedNeighbours(points: x, search: NeighbourSearch(method: .exact), demands: [40, 10, 20])
        _ = try shared.lists(k: 40)
        #expect(shared.capacity == 20)
        _ = try shared.lists(k: 20)
        #expect(shared.capacity == 10)
        #expect(!shared.serves(x, k: 20, search: NeighbourSearch(method: .exact)))
    }

    @Test("other points, another metric, method or HNSW graph, or a wider candidate list are not served")
    func servesOnlyTheSameSearch() throws {
        let x = gaussian(300, 5, seed: 9)
        var search = NeighbourSearch(method: .approx)
        search.ef = 40
        let shared = SharedNeighbours(points: x, search: search, demands: [20])
        #expect(shared.serves(x, k: 20, search: search))
        var reseeded = search
        reseeded.seed = 7
        #expect(shared.serves(x, k: 10, search: reseeded))
        #expect(!shared.serves(gaussian(300, 5, seed: 10), k: 10, search: search))
        #expect(!shared.serves(x, k: 21, search: search))
        var other = search
        other.metric = .cosine
        #expect(!shared.serves(x, k: 10, search: other))
        other = search
        other.method = .exact
        #expect(!shared.serves(x, k: 10, search: other))
        other = search
        other.m = 8
        #expect(!shared.serves(x, k: 10, search: other))
        other = search
        other.ef = 41
        #expect(!shared.serves(x, k: 20, search: other))
    }

    @Test("an approximate prefix has its recall measured at its own k, and only the searching request counts the search's time")
    func approximatePrefixReport() throws {
        let x = gaussian(2_000, 8, seed: 11)
        let search = NeighbourSearch(method: .approx)
        let shared = SharedNeighbours(points: x, search: search, demands: [30, 10])
        let (full, fullReport) = try shared.lists(k: 30)
        let (prefix, prefixReport) = try shared.lists(k: 10)
        #expect(prefix == full.prefix(10))
        #expect(fullReport.prefixOf == nil && prefixReport.prefixOf == 30 && prefixReport.k == 10)
        #expect(fullReport.secondsBuild > 0 && prefixReport.secondsBuild == 0 && prefixReport.secondsSearch == 0)
        // The recall of the first 10 on the sampled rows, counted here against exact lists.
        let check = try NeighbourRecall.measure(prefix, points: x, sample: search.recallSample, seed: search.seed)
        #expect(prefixReport.recall == check.recall && prefixReport.recallRows == check.rows)
        #expect(prefixReport.summary.contains("shared: the first 10 of 30"))
    }

    @Test("a t-SNE map and a UMAP map made from shared exact lists equal the maps that search for themselves")
    func mapsUnchanged() throws {
        let x = gaussian(1_500, 10, seed: 13)
        var tsne = TSNEParameters()
        tsne.perplexity = 10
        tsne.iterations = 60
        tsne.earlyExaggerationIterations = 20
        var umap = UMAPParameters()
        umap.epochs = 20
        let demands = [try #require(tsne.neighbourCount(points: x.rows)), umap.neighbours - 1]
        #expect(demands == [30, 14])
        let shared = SharedNeighbours(points: x, search: NeighbourSearch(), demands: demands)
        let tsneShared = try TSNE(tsne).fit(x, shared: shared)
        let umapShared = try UMAP(umap).fit(x, shared: shared)
        #expect(shared.capacity == 0)
        #expect(tsneShared.embedding == (try TSNE(tsne).fit(x)).embedding)
        #expect(umapShared.embedding == (try UMAP(umap).fit(x)).embedding)
        #expect(umapShared.record.neighbourSearch.prefixOf == 30)
    }
}
