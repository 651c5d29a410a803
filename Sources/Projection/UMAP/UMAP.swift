import Datasets
import Foundation
import Linalg

/// Uniform Manifold Approximation and Projection (McInnes, Healy & Melville 2018, arXiv:1802.03426),
/// as umap-learn implements it: kNN graph → smooth kNN distances → fuzzy union → a, b from min_dist
/// and spread → spectral (or PCA, random, given) start → SGD with edge and negative sampling.
/// The SGD is deterministic with all threads in use (see LayoutSGD.swift).
public struct UMAP: Sendable {
    public var parameters: UMAPParameters

    public init(_ parameters: UMAPParameters = UMAPParameters()) { self.parameters = parameters }

    /// Maps the rows of `x` (N×D) into `parameters.dimensions`.
    /// - Throws: `EmbedVizError.input` for unusable parameters or data (non-finite values, fewer than
    ///   `neighbours` points, a zero row with the cosine metric, a given start of the wrong shape).
    ///   Its neighbour lists are the first k of `shared`'s when it serves this search (`SharedNeighbours`).
    public func fit(_ x: Matrix, initialization: UMAPInitialization = .spectral, shared: SharedNeighbours? = nil,
                    progress: (UMAPProgress) -> Void = { _ in }) throws -> UMAPResult {
        try fit(x, initialization: initialization, shared: shared, progress: progress, observe: nil)
    }

    /// `fit`, with `observe(epoch, map)` called after each epoch (tests follow the objective with it).
    func fit(_ x: Matrix, initialization: UMAPInitialization, shared: SharedNeighbours? = nil, progress: (UMAPProgress) -> Void,
             observe: ((Int, [Float]) -> Void)?) throws -> UMAPResult {
        let start = Date()
        let p = parameters
        try p.validate()
        let (n, d) = (x.rows, p.dimensions)
        guard p.neighbours <= n else {
            throw EmbedVizError.input("UMAP with \(parameter: "neighbours", of: "UMAPParameters") = \(p.neighbours) (the point itself and \(p.neighbours - 1) others) needs at least \(p.neighbours) points, and there are \(n)")
        }
        try x.requireDistanceSafe("input")
        // Neighbour lists (N·k indices and distances, twice while the graph is built) and the SGD's state.
        try MemoryBudget.check(checkedSum(checkedProduct(n, p.neighbours, 40), checkedProduct(n, d, 24)),
                               for: "UMAP of \(n) points", alternative: "use fewer \(parameter: "neighbours", of: "UMAPParameters")")
        func elapsed() -> Double { Date().timeIntervalSince(start) }
        var search = p.neighbourSearch
        search.seed = p.seed
        let (lists, neighbourReport) = try NearestNeighbours.find(x, k: p.neighbours - 1, search: search, shared: shared) { stage in
            let t = elapsed()
            progress(UMAPProgress(phase: .neighbours, done: stage.done, total: stage.total, elapsed: t,
                                  etaSeconds: t / Double(max(stage.done, 1)) * Double(stage.total - stage.done), neighbours: stage))
        }
        let secondsNeighbours = elapsed()
        progress(UMAPProgress(phase: .graph, done: 0, total: 1, elapsed: elapsed(), etaSeconds: .nan))
        let full = FuzzyGraph.fromNeighbours(lists, metric: search.metric, localConnectivity: p.localConnectivity)
        let epochs = p.epochs(points: n)
        // umap-learn drops the edges that would be sampled less than once (with few epochs, on the default's scale).
        let graph = full.pruned(below: full.maximumWeight / Float(epochs > 10 ? epochs : UMAPParameters.defaultEpochs(points: n)))
        let curve = MapCurve.fit(minDist: p.minDist, spread: p.spread)
        let secondsGraph = elapsed() - secondsNeighbours
        progress(UMAPProgress(phase: .initialisation, done: 0, total: 1, elapsed: elapsed(), etaSeconds: .nan))
        let initial = try UMAPStart.make(initialization, input: x, graph: graph, dimensions: d, seed: p.seed)
        let secondsInitialisation = elapsed() - secondsNeighbours - secondsGraph
        var y = initial.coordinates
        let sgd = LayoutSGD(curve: curve, epochs: epochs, initialLearningRate: p.learningRate, negativeSampleRate: p.negativeSampleRate,
                            repulsionStrength: p.repulsionStrength, seed: p.seed)
        let optimisationStart = Date()
        sgd.optimise(&y, dimensions: d, edges: LayoutEdges(graph), progress: { done in
            let t = Date().timeIntervalSince(optimisationStart)
            progress(UMAPProgress(phase: .optimisation, done: done, total: epochs, elapsed: elapsed(),
                                  etaSeconds: t / Double(done) * Double(epochs - done)))
        }, observe: observe)
        let secondsOptimisation = Date().timeIntervalSince(optimisationStart)
        if let bad = y.firstIndex(where: { !$0.isFinite }) {
            throw EmbedVizError(.numerical, "UMAP's optimisation diverged: point \(bad / d) has coordinate \(y[bad])")
        }
        let crossEntropy = n <= UMAPRecord.crossEntropyUpTo ? UMAPCrossEntropy.value(graph: graph, map: y, dimensions: d, curve: curve) : nil
        let embedding = Matrix(rows: n, columns: d, storage: y)
        let record = UMAPRecord(
            parameters: p, a: curve.a, b: curve.b, points: n, inputDimensions: x.columns, graphEdges: full.edges,
            graphEdgesOptimised: graph.edges, epochs: epochs, initialization: initial.used, initializationFallback: initial.fallback,
            threads: Threads.count, deterministic: neighbourReport.deterministic, crossEntropy: crossEntropy,
            secondsNeighbours: secondsNeighbours, secondsGraph: secondsGraph, secondsInitialisation: secondsInitialisation,
            secondsOptimisation: secondsOptimisation, secondsTotal: elapsed(), neighbourSearch: neighbourReport)
        var modelParameters = p
        modelParameters.neighbourSearch = search
        return UMAPResult(embedding: embedding, record: record,
                          model: UMAPModel(parameters: modelParameters, curve: curve, epochs: epochs, embedding: embedding, data: x))
    }
}
