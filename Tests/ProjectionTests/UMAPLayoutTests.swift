import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

/// The optimisation and the whole fit: the objective falls, clusters separate, the map does not
/// depend on how the work is split among threads, transform lands new points where they belong.
@Suite struct UMAPLayoutTests {
    /// `count` Gaussian clusters of `perCluster` points in `dimensions`-D, centres 10 apart on the axes.
    func mixture(_ count: Int, perCluster: Int, dimensions: Int = 20, seed: UInt64) -> (Matrix, [Int]) {
        clusters(count, perCluster: perCluster, dimensions: dimensions, seed: seed)
    }

    func parameters(epochs: Int? = nil) -> UMAPParameters {
        var p = UMAPParameters()
        p.epochs = epochs
        return p
    }

    @Test("the cross-entropy the SGD descends (negative sampling's) falls: every 50 epochs below the start, at the end below half of it")
    func crossEntropyFalls() throws {
        // The paper's all-pairs cross-entropy is not what negative sampling descends (see
        // UMAPCrossEntropy): from a random start it rises here as it does in umap-learn; it is only
        // checked to stay finite.
        let (x, _) = mixture(3, perCluster: 60, seed: 11)
        let p = parameters(epochs: 200)
        let (lists, _) = try NearestNeighbours.find(x, k: p.neighbours - 1)
        let graph = FuzzyGraph.fromNeighbours(lists, metric: .euclidean)
        let curve = MapCurve.fit(minDist: p.minDist, spread: p.spread)
        var y = try UMAPStart.make(.random, input: x, graph: graph, dimensions: 2, seed: 5).coordinates
        func loss(_ map: [Float]) -> Double {
            UMAPCrossEntropy.sampledValue(graph: graph, map: map, dimensions: 2, curve: curve, negativeSampleRate: 5)
        }
        let initial = loss(y)
        var trace = [Double]()
        let sgd = LayoutSGD(curve: curve, epochs: 200, initialLearningRate: 1, negativeSampleRate: 5, repulsionStrength: 1, seed: 5)
        sgd.optimise(&y, dimensions: 2, edges: LayoutEdges(graph), observe: { epoch, map in
            if epoch % 50 == 0 { trace.append(loss(map)) }
        })
        #expect(trace.count == 4)
        #expect(trace.allSatisfy { $0 < initial }, "loss \(initial) → \(trace)")
        #expect(trace.last! < 0.5 * initial, "loss \(initial) → \(trace)")
        #expect(UMAPCrossEntropy.value(graph: graph, map: y, dimensions: 2, curve: curve).isFinite)
    }

    @Test("well-separated Gaussian clusters in 20-D map to separate clusters (10-NN accuracy 1.0), in 1-D, 2-D and 3-D",
          arguments: [1, 2, 3])
    func clustersSeparate(_ dimensions: Int) throws {
        let (x, labels) = mixture(5, perCluster: 80, seed: 21)
        var p = parameters()
        p.dimensions = dimensions
        // A PCA start (spectral is another module's; from a random start a 1-D map can trap a cluster
        // split around another, which no local step undoes).
        let result = try UMAP(p).fit(x, initialization: .pca)
        #expect(result.embedding.rows == 400 && result.embedding.columns == dimensions)
        if dimensions > 1 {
            #expect(looKNNAccuracy(result.embedding, labels) == 1)
        } else {
            // In 1-D a point that starts on the wrong side of another cluster cannot pass through it
            // (one or two of 400 stay trapped, depending on the BLAS kernel's PCA rounding): here the
            // clusters' 5th–95th percentile intervals must be disjoint.
            let intervals = (0..<5).map { c -> (Float, Float) in
                let v = (0..<400).filter { labels[$0] == c }.map { result.embedding[$0, 0] }.sorted()
                return (v[v.count / 20], v[v.count - 1 - v.count / 20])
            }.sorted { $0.0 < $1.0 }
            #expect(zip(intervals, intervals.dropFirst()).allSatisfy { $0.1 < $1.0 }, "\(intervals)")
        }
        #expect(result.record.epochs == 500)
        #expect(result.record.crossEntropy != nil)
    }

    @Test("PCA and given starts work; spectral falls back to random with a reason when the eigensolver fails")
    func starts() throws {
        let (x, labels) = mixture(3, perCluster: 50, seed: 4)
        let pca = try UMAP(parameters(epochs: 100)).fit(x, initialization: .pca)
        #expect(pca.record.initialization == "pca" && pca.record.initializationFallback == nil)
        #expect(looKNNAccuracy(pca.embedding, labels) == 1)
        let given = try UMAP(parameters(epochs: 100)).fit(x, initialization: .given(pca.embedding))
        #expect(given.record.initialization == "given")
        let spectral = try UMAP(parameters(epochs: 100)).fit(x, initialization: .spectral)
        #expect(spectral.record.initialization == "spectral" || spectral.record.initializationFallback != nil)
    }

    @Test("the SGD's map does not depend on how the heads are split (1, 2, 7 parts: bitwise equal) and a rerun is identical")
    func determinism() throws {
        let (x, _) = mixture(4, perCluster: 150, seed: 8)
        let (lists, _) = try NearestNeighbours.find(x, k: 14)
        let graph = FuzzyGraph.fromNeighbours(lists, metric: .euclidean)
        let start = try UMAPStart.make(.random, input: x, graph: graph, dimensions: 2, seed: 3).coordinates
        var maps = [[Float]]()
        for parts in [1, 2, 7, 2] {
            var sgd = LayoutSGD(curve: MapCurve(a: 1.577, b: 0.895), epochs: 60, initialLearningRate: 1, negativeSampleRate: 5,
                                repulsionStrength: 1, seed: 9)
            sgd.parts = parts
            var y = start
            sgd.optimise(&y, dimensions: 2, edges: LayoutEdges(graph))
            maps.append(y)
        }
        #expect(maps.allSatisfy { $0 == maps[0] })
        // The whole fit, twice, with all threads.
        let a = try UMAP(parameters(epochs: 80)).fit(x, initialization: .random)
        let b = try UMAP(parameters(epochs: 80)).fit(x, initialization: .random)
        #expect(a.embedding == b.embedding)
        var other = parameters(epochs: 80)
        other.seed = 43
        #expect(try UMAP(other).fit(x, initialization: .random).embedding != a.embedding)
    }

    @Test("transform places new points of a known cluster inside that cluster, without moving the map")
    func transformLandsInCluster() throws {
        let centres = (0..<4).map { c in (0..<20).map { k -> Float in k == c ? 10 : 0 } }
        let (x, labels) = gaussianBlobs(centres, perBlob: 100, seed: 31)
        let fit = try UMAP(parameters()).fit(x, initialization: .random)
        let transform = try UMAPTransform(model: fit.model)
        let (fresh, _) = gaussianBlobs([centres[2]], perBlob: 40, seed: 99)
        let placed = try transform.transform(fresh)
        #expect(placed.rows == 40 && placed.columns == 2)
        #expect(transform.model.embedding == fit.embedding)
        // Each placed point's nearest map point belongs to cluster 2, and it lies closer to cluster 2's
        // centroid than to any other cluster's.
        let map = fit.embedding
        var centroid = [[Double]](repeating: [0, 0], count: 4)
        for i in 0..<map.rows { for c in 0..<2 { centroid[labels[i]][c] += Double(map[i, c]) / 100 } }
        for i in 0..<placed.rows {
            let nearest = (0..<map.rows).min { a, b in
                let da = (0..<2).reduce(Float(0)) { $0 + pow(map[a, $1] - placed[i, $1], 2) }
                let db = (0..<2).reduce(Float(0)) { $0 + pow(map[b, $1] - placed[i, $1], 2) }
                return da < db
            }!
            #expect(labels[nearest] == 2)
            let distances = centroid.map { c in (0..<2).reduce(0.0) { $0 + pow(c[$1] - Double(placed[i, $1]), 2) } }
            #expect(distances.indices.min { distances[$0] < distances[$1] } == 2)
        }
        // Placing the same batch again gives the same positions.
        #expect(try transform.transform(fresh) == placed)
    }

    @Test("a model survives its file: UMAPFiles.write then readModel gives the same model")
    func modelFile() throws {
        let (x, _) = mixture(2, perCluster: 30, seed: 2)
        let fit = try UMAP(parameters(epochs: 20)).fit(x, initialization: .random)
        let path = scratchDirectory() + "/umap.npz"
        try UMAPFiles.write(fit.model, to: path)
        #expect(try UMAPFiles.readModel(path) == fit.model)
    }

    @Test("parameters UMAP cannot use are refused, naming the parameter")
    func validation() {
        var p = UMAPParameters()
        p.neighbours = 1
        #expect(errorMessage { try p.validate() }?.contains("`neighbours`") == true)
        p = UMAPParameters()
        p.minDist = 2
        #expect(errorMessage { try p.validate() }?.contains("`minDist`") == true)
        p = UMAPParameters()
        p.dimensions = 4
        #expect(errorMessage { try p.validate() }?.contains("`dimensions`") == true)
        let (x, _) = mixture(1, perCluster: 10, seed: 1)
        #expect(errorMessage { _ = try UMAP().fit(x) }?.contains("needs at least 15 points") == true)
    }
}
