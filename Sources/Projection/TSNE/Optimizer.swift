import Datasets
import Foundation
import Linalg

/// t-distributed stochastic neighbour embedding (van der Maaten & Hinton 2008), with the exact and
/// Barnes–Hut gradients (van der Maaten 2014) and the optimiser of bhtsne/FIt-SNE/openTSNE.
public struct TSNE: Sendable {
    public var parameters: TSNEParameters

    public init(_ parameters: TSNEParameters = TSNEParameters()) { self.parameters = parameters }

    /// Embeds the rows of `x`; its neighbour lists are the first k of `shared`'s when it serves
    /// this search (`SharedNeighbours`: one search for every map of a study), found here otherwise.
    public func fit(_ x: Matrix, initialization: TSNEInitialization = .pca, shared: SharedNeighbours? = nil,
                    progress: (TSNEProgress) -> Void = { _ in }) throws -> TSNEResult {
        let start = Date()
        let n = x.rows
        let p = parameters
        try p.validate()
        try x.requireDistanceSafe("input")
        if case .given(let y) = initialization { try y.requireFinite("initial embedding") }
        let method = p.method == .auto ? TSNEMethod.choose(points: n, dimensions: p.dimensions) : p.method
        if method == .bh && !(p.dimensions == 2 || p.dimensions == 3) {
            throw EmbedVizError.input("Barnes–Hut t-SNE supports 2 or 3 dimensions, not \(p.dimensions); use \(parameter: "method", of: "TSNEParameters") exact")
        }
        if method == .fft && p.dimensions > 2 {
            throw EmbedVizError.input("FFT-interpolation t-SNE supports 1 or 2 dimensions, not \(p.dimensions); use \(parameter: "method", of: "TSNEParameters") bh")
        }
        if method == .exact {
            // P with N−1 neighbours per row: indices and values, twice during symmetrization, plus kNN results.
            try MemoryBudget.check(checkedProduct(24, n, n), for: "exact t-SNE of \(n) points", alternative: "use \(parameter: "method", of: "TSNEParameters") bh")
        }
        // The optimiser's N×d arrays: coordinates, update, gains, gradient, repulsion, and a copy per iteration.
        try MemoryBudget.check(checkedProduct(6 * 8, n, p.dimensions), for: "t-SNE of \(n) points in \(p.dimensions) dimensions",
                               alternative: "use fewer \(parameter: "dimensions", of: "TSNEParameters")")
        let neighbours = method == .exact ? n - 1 : nil
        let (lists, neighbourReport) = try Affinities.nearestNeighbours(x, perplexity: p.perplexity, neighbours: neighbours,
                                                                         search: p.neighbourSearch, shared: shared) { stage in
            let elapsed = Date().timeIntervalSince(start)
            progress(TSNEProgress(phase: .affinities, done: stage.done, total: stage.total, kl: nil, elapsed: elapsed,
                                  etaSeconds: elapsed / Double(max(stage.done, 1)) * Double(stage.total - stage.done),
                                  neighbours: stage))
        }
        let affinities = Affinities.fromNeighbours(lists, perplexity: p.perplexity)
        let secondsAffinities = Date().timeIntervalSince(start)
        let initial = try initialEmbedding(x, initialization)
        let result = try optimise(affinities, initial: initial, method: method, progress: progress)
        let phases = result.trace.phaseSeconds
        let record = TSNERecord(
            parameters: p, method: method, points: n, inputDimensions: x.columns, neighbours: affinities.neighbours,
            affinityNonZeros: affinities.nonZeros, threads: Threads.count, initialization: initialization.summary(seed: p.seed),
            learningRates: result.learningRates, klTrace: result.trace.values, klDivergence: result.finalKL,
            klExact: result.klExact, secondsAffinities: secondsAffinities,
            secondsEarlyExaggeration: p.earlyExaggerationIterations > 0 ? phases.first ?? 0 : 0,
            secondsOptimisation: p.iterations > p.earlyExaggerationIterations ? phases.last ?? 0 : 0,
            secondsTotal: Date().timeIntervalSince(start), neighbourSearch: neighbourReport)
        return TSNEResult(embedding: result.embedding.matrix, record: record)
    }

    /// The starting coordinates for `x`.
    public func initialEmbedding(_ x: Matrix, _ initialization: TSNEInitialization) throws -> Embedding {
        let (n, d) = (x.rows, parameters.dimensions)
        switch initialization {
        case .given(let y):
            guard y.rows == n, y.columns == d else {
                throw EmbedVizError.input("the initial embedding is \(y.rows)×\(y.columns), expected \(n)×\(d)")
            }
            return Embedding(count: n, dimensions: d, coordinates: y.storage.map(Double.init))
        case .random:
            var rng = SeededGenerator(seed: parameters.seed)
            return Embedding(count: n, dimensions: d, coordinates: (0..<(n * d)).map { _ in rng.normal() * 1e-4 })
        case .pca:
            guard d <= min(n, x.columns) else {
                throw EmbedVizError.input("PCA initialisation needs at least \(d) input columns and points; use \(parameter: "initialization", of: "TSNE") random")
            }
            let projected = try PCA(components: d).fit(x).transform(x)
            let first = (0..<n).map { Double(projected[$0, 0]) }
            let mean = first.reduce(0, +) / Double(n)
            let sd = (first.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
            let scale = sd > 0 ? 1e-4 / sd : 1
            return Embedding(count: n, dimensions: d, coordinates: projected.storage.map { Double($0) * scale })
        }
    }

    /// Gradient descent from `initial` on the affinities `p`: the early-exaggeration phase, then
    /// the plain one, against the KL divergence with `method`'s repulsion.
    /// - Throws: `EmbedVizError` (numerical) when the map stops being finite, instead of returning NaNs.
    /// - Parameter renumber: run on points renumbered by `LocalityOrder.morton` — of the start, and again
    ///   of the map after early exaggeration (the result is in the input's order either way). Tests
    ///   compare with `false`.
    func optimise(_ p: SparseAffinities, initial: Embedding, method: TSNEMethod, renumber: Bool = true,
                  progress: (TSNEProgress) -> Void = { _ in }) throws(EmbedVizError) -> Optimisation {
        let parameters = self.parameters
        let n = initial.count
        let forces: any RepulsiveForces = switch method {
        case .exact: ExactRepulsion()
        case .fft: FFTRepulsion()
        case .bh, .auto: BarnesHutRepulsion(theta: parameters.theta)
        }
        var objective = KLDivergence(p, forces: forces)
        let early = min(parameters.earlyExaggerationIterations, parameters.iterations)
        let phases = [
            GradientDescent.Phase(name: .earlyExaggeration, iterations: early, exaggeration: parameters.earlyExaggeration,
                                  momentum: parameters.initialMomentum,
                                  learningRate: parameters.learningRate(points: n, exaggeration: parameters.earlyExaggeration)),
            GradientDescent.Phase(name: .optimisation, iterations: parameters.iterations - early, exaggeration: parameters.exaggeration,
                                  momentum: parameters.finalMomentum,
                                  learningRate: parameters.learningRate(points: n, exaggeration: parameters.exaggeration)),
        ].filter { $0.iterations > 0 }
        let descent = GradientDescent(phases: phases, minimumGain: parameters.minimumGain,
                                      maximumStepNorm: parameters.maximumStepNorm, recentre: true, evaluateEvery: parameters.klEvery)
        var y = initial
        // Points renumbered along a Morton curve of the start, and again of the map early exaggeration
        // made (clusters have formed; LocalityOrder.swift); put back in the input's order at the end.
        let trace = try descent.run(&objective, from: &y, progress: progress, renumber: renumber ? { LocalityOrder.morton($0) } : nil)
        if let order = trace.order { y = y.restored(order) }
        // The final KL with the exact Z where that is affordable; else the method's last estimate.
        let exact = n <= 20_000
        let finalKL = Profile.section("t-SNE final KL") { exact ? KLDivergence.exact(p, y) : (trace.lastValue ?? .nan) }
        let rates = phases.map(\.learningRate).reduce(into: [Double]()) { if $0.last != $1 { $0.append($1) } }
        return Optimisation(embedding: y, trace: trace, learningRates: rates, finalKL: finalKL, klExact: exact)
    }

    /// What `optimise` found.
    struct Optimisation {
        var embedding: Embedding
        var trace: GradientDescent.Trace
        var learningRates: [Double]
        var finalKL: Double
        var klExact: Bool
    }
}
