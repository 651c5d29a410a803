import Datasets
import Foundation
import Linalg

/// Which gradient approximation t-SNE uses.
public enum TSNEMethod: String, Sendable, CaseIterable, Codable {
    /// `exact` up to 1,000 points; Barnes–Hut for 2-D up to 40,000 points and for 3-D; FFT
    /// interpolation for 2-D above 40,000 and for 1-D. The crossover was measured on MNIST PCA-50
    /// subsets, 2 threads: 5k BH 4.4 s / FFT 13.1 s, 20k 23.6 / 27.3 s, 40k 38.3 / 38.3 s, 70k
    /// 78.7 / 52.0 s (FFT's grid costs the same whatever N, Barnes–Hut grows with N log N).
    case auto
    /// O(N²) exact gradient, dense affinities (all N−1 neighbours).
    case exact
    /// Barnes–Hut trees (2-D and 3-D), sparse kNN affinities.
    case bh
    /// FFT-accelerated interpolation (1-D and 2-D), sparse kNN affinities.
    case fft

    /// The method `auto` picks for N points in `dimensions`.
    public static func choose(points: Int, dimensions: Int) -> TSNEMethod {
        if points <= 1000 { return .exact }
        if dimensions == 1 { return .fft }
        return dimensions == 2 && points > 40_000 ? .fft : .bh
    }
}

/// How t-SNE starts.
public enum TSNEInitialization: Sendable, Equatable {
    /// The first principal components of the input, scaled so that the first has standard deviation
    /// 1e-4 (Kobak & Berens 2019, "The art of using t-SNE for single-cell transcriptomics").
    case pca
    /// Gaussian with standard deviation 1e-4, from the seed.
    case random
    /// These coordinates (N×d).
    case given(Matrix)
}

/// t-SNE's parameters. Defaults follow openTSNE/FIt-SNE: perplexity 30, early exaggeration 12 for 250
/// iterations, 750 iterations in all, learning rate N/exaggeration (at least 50), momentum 0.5 then
/// 0.8, gains +0.2/×0.8 with floor 0.01, steps clipped to norm 5 per point, θ = 0.5.
public struct TSNEParameters: Sendable, Codable, Equatable {
    public var dimensions = 2
    public var perplexity = 30.0
    public var iterations = 750
    public var earlyExaggerationIterations = 250
    public var earlyExaggeration = 12.0
    /// Exaggeration after the early phase (1 = plain t-SNE).
    public var exaggeration = 1.0
    /// nil = auto: max(N / exaggeration, 50), on the bhtsne/openTSNE scale (scikit-learn's gradient
    /// carries a factor 4, so its equivalent rate is 4× smaller: it documents max(N / exaggeration / 4, 50)).
    public var learningRate: Double?
    public var initialMomentum = 0.5
    public var finalMomentum = 0.8
    public var minimumGain = 0.01
    /// Largest step a point may take in one iteration (openTSNE's `max_step_norm`).
    public var maximumStepNorm = 5.0
    public var theta = 0.5
    public var method = TSNEMethod.auto
    /// Seeds the random initialisation.
    public var seed: UInt64 = 42
    /// Iterations between KL divergence evaluations.
    public var klEvery = 50

    public init() {}

    public func learningRate(points: Int, exaggeration: Double) -> Double {
        learningRate ?? max(Double(points) / exaggeration, 50)
    }

    /// Throws `EmbedVizError.input` (located at the parameter's name) for a value the optimiser
    /// cannot use: non-finite numbers, perplexity with 3·perplexity < 1 (no neighbour), negative
    /// iteration counts, non-positive exaggeration, learning rate or step norm, negative θ,
    /// momentum or gain, `klEvery` < 1. (Whether the perplexity fits N is checked with the data.)
    public func validate() throws(EmbedVizError) {
        func require(_ ok: Bool, _ name: String, _ rule: String, _ value: Any) throws(EmbedVizError) {
            if !ok { throw EmbedVizError.input("t-SNE's \(name) must be \(rule), got \(value)", at: name) }
        }
        try require(dimensions >= 1, "dimensions", "at least 1", dimensions)
        try require(perplexity.isFinite && 3 * perplexity >= 1, "perplexity", "a finite number with 3·perplexity ≥ 1", perplexity)
        try require(iterations >= 0, "iterations", "≥ 0", iterations)
        try require(earlyExaggerationIterations >= 0, "earlyExaggerationIterations", "≥ 0", earlyExaggerationIterations)
        try require(earlyExaggeration.isFinite && earlyExaggeration > 0, "earlyExaggeration", "a finite number > 0", earlyExaggeration)
        try require(exaggeration.isFinite && exaggeration > 0, "exaggeration", "a finite number > 0", exaggeration)
        if let learningRate {
            try require(learningRate.isFinite && learningRate > 0, "learningRate", "a finite number > 0", learningRate)
        }
        try require(initialMomentum.isFinite && initialMomentum >= 0, "initialMomentum", "a finite number ≥ 0", initialMomentum)
        try require(finalMomentum.isFinite && finalMomentum >= 0, "finalMomentum", "a finite number ≥ 0", finalMomentum)
        try require(minimumGain.isFinite && minimumGain >= 0, "minimumGain", "a finite number ≥ 0", minimumGain)
        try require(maximumStepNorm.isFinite && maximumStepNorm > 0, "maximumStepNorm", "a finite number > 0", maximumStepNorm)
        try require(theta.isFinite && theta >= 0, "theta", "a finite number ≥ 0", theta)
        try require(klEvery >= 1, "klEvery", "at least 1", klEvery)
    }
}

/// What a progress display needs.
public struct TSNEProgress: Sendable {
    public enum Phase: String, Sendable { case affinities, earlyExaggeration = "early exaggeration", optimisation }
    public var phase: Phase
    /// Iterations (or affinity rows) done and in total.
    public var done: Int
    public var total: Int
    /// The latest KL divergence, if evaluated.
    public var kl: Double?
    public var elapsed: Double
    public var etaSeconds: Double
}

/// A record of how an embedding was made, saved beside it as JSON.
public struct TSNERecord: Sendable, Codable {
    public struct KLPoint: Sendable, Codable {
        public var iteration: Int
        public var kl: Double
    }

    public var parameters: TSNEParameters
    public var method: TSNEMethod
    public var points: Int
    public var inputDimensions: Int
    public var neighbours: Int
    public var affinityNonZeros: Int
    public var threads: Int
    public var initialization: String
    public var learningRates: [Double]
    /// KL divergence every `klEvery` iterations (with the method's estimate of Z; early-exaggeration
    /// values are of the unexaggerated P).
    public var klTrace: [KLPoint]
    public var klDivergence: Double
    /// Whether the final KL used the exact Z (done for N ≤ 20,000) or the method's estimate.
    public var klExact: Bool
    public var secondsAffinities: Double
    public var secondsEarlyExaggeration: Double
    public var secondsOptimisation: Double
    public var secondsTotal: Double
}

public struct TSNEResult: Sendable {
    public var embedding: Matrix
    public var record: TSNERecord
}

/// t-distributed stochastic neighbour embedding (van der Maaten & Hinton 2008), with the exact and
/// Barnes–Hut gradients (van der Maaten 2014) and the optimiser of bhtsne/FIt-SNE/openTSNE.
public struct TSNE: Sendable {
    public var parameters: TSNEParameters

    public init(_ parameters: TSNEParameters = TSNEParameters()) { self.parameters = parameters }

    /// Embeds the rows of `x`.
    public func fit(_ x: Matrix, initialization: TSNEInitialization = .pca,
                    progress: (TSNEProgress) -> Void = { _ in }) throws -> TSNEResult {
        let start = Date()
        let n = x.rows
        let p = parameters
        try p.validate()
        try x.requireDistanceSafe("input")
        if case .given(let y) = initialization { try y.requireFinite("initial embedding") }
        let method = p.method == .auto ? TSNEMethod.choose(points: n, dimensions: p.dimensions) : p.method
        if method == .bh && !(p.dimensions == 2 || p.dimensions == 3) {
            throw EmbedVizError.input("Barnes–Hut t-SNE supports 2 or 3 dimensions, not \(p.dimensions); use --method exact")
        }
        if method == .fft && p.dimensions > 2 {
            throw EmbedVizError.input("FFT-interpolation t-SNE supports 1 or 2 dimensions, not \(p.dimensions); use --method bh")
        }
        if method == .exact {
            // P with N−1 neighbours per row: indices and values, twice during symmetrization, plus kNN results.
            try MemoryBudget.check(checkedProduct(24, n, n), for: "exact t-SNE of \(n) points", alternative: "use --method bh")
        }
        // The optimiser's N×d arrays: coordinates, update, gains, gradient, repulsion, and a copy per iteration.
        try MemoryBudget.check(checkedProduct(6 * 8, n, p.dimensions), for: "t-SNE of \(n) points in \(p.dimensions) dimensions",
                               alternative: "use fewer --dimensions")
        let neighbours = method == .exact ? n - 1 : nil
        let affinities = try Affinities.compute(x, perplexity: p.perplexity, neighbours: neighbours) { done in
            let elapsed = Date().timeIntervalSince(start)
            progress(TSNEProgress(phase: .affinities, done: done, total: n, kl: nil, elapsed: elapsed,
                                  etaSeconds: elapsed / Double(max(done, 1)) * Double(n - done)))
        }
        let secondsAffinities = Date().timeIntervalSince(start)
        let initial = try initialEmbedding(x, initialization)
        var result = try optimise(affinities, initial: initial, method: method, progress: progress)
        result.record.inputDimensions = x.columns
        result.record.secondsAffinities = secondsAffinities
        result.record.secondsTotal = Date().timeIntervalSince(start)
        result.record.initialization = {
            switch initialization {
            case .pca: "pca"
            case .random: "random (seed \(p.seed))"
            case .given: "given"
            }
        }()
        return result
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
                throw EmbedVizError.input("PCA initialisation needs at least \(d) input columns and points; use --init random")
            }
            let projected = try PCA(components: d).fit(x).transform(x)
            let first = (0..<n).map { Double(projected[$0, 0]) }
            let mean = first.reduce(0, +) / Double(n)
            let sd = (first.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
            let scale = sd > 0 ? 1e-4 / sd : 1
            return Embedding(count: n, dimensions: d, coordinates: projected.storage.map { Double($0) * scale })
        }
    }

    /// Gradient descent from `initial` on the affinities `p`.
    /// - Throws: `EmbedVizError` (numerical) when the KL divergence stops being finite, instead of
    ///   returning a map of NaNs.
    public func optimise(_ p: SparseAffinities, initial: Embedding, method: TSNEMethod,
                         progress: (TSNEProgress) -> Void = { _ in }) throws(EmbedVizError) -> TSNEResult {
        let parameters = self.parameters
        try parameters.validate()
        let start = Date()
        let (n, d) = (initial.count, initial.dimensions)
        var y = initial
        var update = [Double](repeating: 0, count: n * d)
        var gains = [Double](repeating: 1, count: n * d)
        var gradient = [Double](repeating: 0, count: n * d)
        var repulsion = [Double](repeating: 0, count: n * d)
        var forces: any RepulsiveForces = switch method {
        case .exact: ExactRepulsion()
        case .fft: FFTRepulsion()
        case .bh, .auto: BarnesHutRepulsion(theta: parameters.theta)
        }
        var trace: [TSNERecord.KLPoint] = []
        var lastKL: Double?
        var phaseEnd = Date()
        var secondsEarly = 0.0
        var rates: [Double] = []
        let total = parameters.iterations
        /// The share of the attraction rows given to the thread that also prepares the repulsion.
        var preparedShare = 0.25
        for iteration in 0..<total {
            let early = iteration < parameters.earlyExaggerationIterations
            if iteration == parameters.earlyExaggerationIterations {
                secondsEarly = Date().timeIntervalSince(start)
                phaseEnd = Date()
            }
            let exaggeration = early ? parameters.earlyExaggeration : parameters.exaggeration
            let momentum = early ? parameters.initialMomentum : parameters.finalMomentum
            let rate = parameters.learningRate(points: n, exaggeration: exaggeration)
            if rates.last != rate { rates.append(rate) }
            let evaluate = (iteration + 1) % parameters.klEvery == 0 || iteration == total - 1
            // Before any grid or tree is made from the positions: they must be finite, and FFT's
            // grid (which grows with the map's extent) must fit the memory budget.
            if let fft = forces as? FFTRepulsion {
                do { try fft.requireGrid(for: y) } catch { throw error.located(at: "t-SNE iteration \(iteration + 1)") }
            } else if let bad = y.coordinates.firstIndex(where: { !$0.isFinite }) {
                throw EmbedVizError(.numerical, "t-SNE diverged: point \(bad / d) has coordinate \(y.coordinates[bad]) at iteration \(iteration + 1)"
                                    + " (method \(method.rawValue)); check the input for extreme values or lower the learning rate")
            }
            // Position-only preparation of the repulsion (the Barnes–Hut tree) runs on one thread
            // while the attractive forces run on the other; then the repulsion uses every thread.
            for k in 0..<(n * d) { gradient[k] = 0 }
            var klTerms = 0.0
            if Threads.count > 1 {
                let current = y
                var terms = [0.0, 0.0]
                // Thread 0 prepares, then takes the first `split` rows of the attraction; thread 1 the
                // rest. The split follows the measured costs so that both finish together.
                let split = min(n, max(0, Int(Double(n) * preparedShare)))
                var seconds = [0.0, 0.0]
                Profile.section("t-SNE prepare + attraction") {
                    withUnsafeMutablePointer(to: &forces) { forcesPointer in
                        gradient.withUnsafeMutableBufferPointer { gradientBuffer in
                            let gradientPointer = gradientBuffer.baseAddress!
                            terms.withUnsafeMutableBufferPointer { t in
                                seconds.withUnsafeMutableBufferPointer { sb in
                                    let shared = UncheckedSendable((forces: forcesPointer, gradient: gradientPointer,
                                                                    out: t.baseAddress!, seconds: sb.baseAddress!))
                                    Threads.forEachPart(2) { part in
                                        let start = DispatchTime.now().uptimeNanoseconds
                                        if part == 0 {
                                            shared.value.forces.pointee.prepare(current)
                                            shared.value.seconds[0] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                                        }
                                        let rows = part == 0 ? 0..<split : split..<n
                                        shared.value.out[part] = Attraction.add(p, current, exaggeration: exaggeration,
                                                                                to: shared.value.gradient, klTerms: evaluate,
                                                                                threads: 1, rows: rows)
                                        if part == 1 {
                                            shared.value.seconds[1] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                klTerms = terms[0] + terms[1]
                // Attraction per row, from thread 1's share; give thread 0 what is left after preparing.
                let perRow = seconds[1] / Double(max(n - split, 1))
                let total = perRow * Double(n)
                let target = max(0, (total - seconds[0]) / 2) / max(total, 1e-12)
                preparedShare = 0.7 * preparedShare + 0.3 * target
            } else {
                forces.prepare(y)
                klTerms = Attraction.add(p, y, exaggeration: exaggeration, to: &gradient, klTerms: evaluate)
            }
            let z = Profile.section("t-SNE repulsion (\(method.rawValue))") { forces.compute(y, into: &repulsion) }
            let inverseZ = 1 / max(z, .leastNormalMagnitude)
            for k in 0..<(n * d) { gradient[k] -= repulsion[k] * inverseZ }
            if evaluate {
                lastKL = klTerms + log(z)
                guard lastKL!.isFinite else {
                    throw EmbedVizError(.numerical, "t-SNE diverged: the KL divergence is \(lastKL!) at iteration \(iteration + 1)"
                                        + " (method \(method.rawValue)); check the input for extreme values or lower the learning rate")
                }
                trace.append(.init(iteration: iteration + 1, kl: lastKL!))
            }
            // Gains (Jacobs 1988, as in bhtsne): grow where the gradient keeps its direction against
            // the last update, shrink where it flips.
            for k in 0..<(n * d) {
                let flipped = (gradient[k] > 0) != (update[k] > 0)
                gains[k] = max(flipped ? gains[k] + 0.2 : gains[k] * 0.8, parameters.minimumGain)
                update[k] = momentum * update[k] - rate * gains[k] * gradient[k]
            }
            for i in 0..<n {
                var norm = 0.0
                for k in 0..<d { norm += update[i * d + k] * update[i * d + k] }
                norm = norm.squareRoot()
                if norm > parameters.maximumStepNorm {
                    let scale = parameters.maximumStepNorm / norm
                    for k in 0..<d { update[i * d + k] *= scale }
                }
                for k in 0..<d { y.coordinates[i * d + k] += update[i * d + k] }
            }
            // Keep the embedding centred (the objective is translation-invariant).
            for k in 0..<d {
                var mean = 0.0
                for i in 0..<n { mean += y.coordinates[i * d + k] }
                mean /= Double(n)
                for i in 0..<n { y.coordinates[i * d + k] -= mean }
            }
            if evaluate || iteration % 10 == 9 {
                let elapsed = Date().timeIntervalSince(start)
                progress(TSNEProgress(phase: early ? .earlyExaggeration : .optimisation, done: iteration + 1, total: total,
                                      kl: lastKL, elapsed: elapsed,
                                      etaSeconds: elapsed / Double(iteration + 1) * Double(total - iteration - 1)))
            }
        }
        if total <= parameters.earlyExaggerationIterations { secondsEarly = Date().timeIntervalSince(start) }
        let exact = n <= 20_000
        let finalKL = Profile.section("t-SNE final KL") { exact ? klDivergence(p, y) : (lastKL ?? .nan) }
        let record = TSNERecord(parameters: parameters, method: method, points: n, inputDimensions: 0,
                                neighbours: p.count > 0 ? (p.rowStart[1] - p.rowStart[0]) : 0, affinityNonZeros: p.nonZeros,
                                threads: Threads.count, initialization: "", learningRates: rates, klTrace: trace,
                                klDivergence: finalKL, klExact: exact, secondsAffinities: 0, secondsEarlyExaggeration: secondsEarly,
                                secondsOptimisation: Date().timeIntervalSince(phaseEnd), secondsTotal: 0)
        return TSNEResult(embedding: y.matrix, record: record)
    }
}
