import Foundation
import Linalg

/// The gains-and-momentum update of bhtsne, FIt-SNE and openTSNE (Jacobs 1988's adaptive gains):
/// a coordinate's gain grows by 0.2 while its gradient keeps pointing against the last update and
/// shrinks ×0.8 when it flips; the step is momentum·last step − rate·gain·gradient, optionally
/// clipped to a largest norm per point. Element-wise, so any split across threads gives the same bits.
public struct GainsMomentum: Sendable {
    public private(set) var update: [Double]
    public private(set) var gains: [Double]
    public let minimumGain: Double
    /// Largest step a point may take (openTSNE's `max_step_norm`); nil = unclipped.
    public let maximumStepNorm: Double?

    public init(count: Int, minimumGain: Double, maximumStepNorm: Double?) {
        update = [Double](repeating: 0, count: count)
        gains = [Double](repeating: 1, count: count)
        self.minimumGain = minimumGain
        self.maximumStepNorm = maximumStepNorm
    }

    /// The state relabelled with the points (point r becomes point `order[r]`; d values per point).
    public mutating func renumber(_ order: [Int32], dimensions d: Int) {
        update = LocalityOrder.gather(update, order, dimensions: d)
        gains = LocalityOrder.gather(gains, order, dimensions: d)
    }

    /// Moves `y` (N×d) one step down `gradient`.
    public mutating func step(_ y: inout Embedding, gradient: [Double], rate: Double, momentum: Double) {
        let (n, d) = (y.count, y.dimensions)
        let (minimumGain, maximumStepNorm) = (self.minimumGain, self.maximumStepNorm)
        update.withUnsafeMutableBufferPointer { u in
            gains.withUnsafeMutableBufferPointer { g in
                y.coordinates.withUnsafeMutableBufferPointer { c in
                    gradient.withUnsafeBufferPointer { dy in
                        let shared = UncheckedSendable((u: u, g: g, c: c, dy: dy))
                        Threads.parallelFor(n, minimumChunk: 4096) { points in
                            let (u, g, c, dy) = shared.value
                            for k in (points.lowerBound * d)..<(points.upperBound * d) {
                                let flipped = (dy[k] > 0) != (u[k] > 0)
                                g[k] = max(flipped ? g[k] + 0.2 : g[k] * 0.8, minimumGain)
                                u[k] = momentum * u[k] - rate * g[k] * dy[k]
                            }
                            for i in points {
                                if let limit = maximumStepNorm {
                                    var norm = 0.0
                                    for k in 0..<d { norm += u[i * d + k] * u[i * d + k] }
                                    norm = norm.squareRoot()
                                    if norm > limit {
                                        let scale = limit / norm
                                        for k in 0..<d { u[i * d + k] *= scale }
                                    }
                                }
                                for k in 0..<d { c[i * d + k] += u[i * d + k] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One gradient-descent loop for t-SNE's fit and transform (openTSNE's `gradient_descent`): phases
/// of fixed exaggeration, momentum and learning rate; the objective's value checked when evaluated;
/// the map re-centred after each step only when no reference is fixed (fit: the objective is
/// translation-invariant; transform: the reference map stays where it is).
public struct GradientDescent {
    public struct Phase: Sendable {
        public var name: TSNEProgress.Phase
        public var iterations: Int
        public var exaggeration: Double
        public var momentum: Double
        public var learningRate: Double

        public init(name: TSNEProgress.Phase, iterations: Int, exaggeration: Double, momentum: Double, learningRate: Double) {
            (self.name, self.iterations, self.exaggeration, self.momentum, self.learningRate) = (name, iterations, exaggeration, momentum, learningRate)
        }
    }

    /// What the loop saw: the objective's values, and each phase's seconds.
    public struct Trace: Sendable {
        public var values: [TSNERecord.KLPoint] = []
        public var lastValue: Double?
        public var phaseSeconds: [Double] = []
        /// When the points were renumbered: point r of the final map is point `order[r]` of the
        /// start (nil: never renumbered).
        public var order: [Int32]?
    }

    public var phases: [Phase]
    public var minimumGain: Double
    public var maximumStepNorm: Double?
    public var recentre: Bool
    /// Iterations between evaluations of the objective (and the last iteration); nil = never.
    public var evaluateEvery: Int?

    public init(phases: [Phase], minimumGain: Double, maximumStepNorm: Double?, recentre: Bool, evaluateEvery: Int?) {
        (self.phases, self.minimumGain, self.maximumStepNorm) = (phases, minimumGain, maximumStepNorm)
        (self.recentre, self.evaluateEvery) = (recentre, evaluateEvery)
    }

    /// Runs every phase from `y`; `progress` gets the phase, iterations done and in total, the last value.
    /// - Parameter renumber: called before every phase with the map so far; the points (map,
    ///   optimiser state and objective) are renumbered by the order it returns, when the objective
    ///   can be (`TSNEObjective.renumber`). The trace's `order` says where each went.
    public func run<Objective: TSNEObjective>(_ objective: inout Objective, from y: inout Embedding,
                                              progress: (TSNEProgress) -> Void = { _ in },
                                              renumber: ((Embedding) -> [Int32])? = nil) throws(EmbedVizError) -> Trace {
        let (n, d) = (y.count, y.dimensions)
        var step = GainsMomentum(count: n * d, minimumGain: minimumGain, maximumStepNorm: maximumStepNorm)
        var gradient = [Double](repeating: 0, count: n * d)
        var trace = Trace()
        let total = phases.map(\.iterations).reduce(0, +)
        let start = Date()
        var iteration = 0
        for phase in phases {
            if let renumber {
                let order = Profile.section("t-SNE renumber") { renumber(y) }
                if objective.renumber(order) {
                    y = y.renumbered(order)
                    step.renumber(order, dimensions: d)
                    trace.order = trace.order.map { before in order.map { before[Int($0)] } } ?? order
                }
            }
            let phaseStart = Date()
            for _ in 0..<phase.iterations {
                let evaluate = evaluateEvery.map { (iteration + 1) % $0 == 0 || iteration == total - 1 } ?? false
                let value: Double?
                do {
                    value = try gradient.withUnsafeMutableBufferPointer { g throws(EmbedVizError) in
                        try objective.gradient(at: y, exaggeration: phase.exaggeration, evaluate: evaluate, into: g)
                    }
                } catch { throw error.located(at: "t-SNE iteration \(iteration + 1)") }
                if let value {
                    guard value.isFinite else {
                        throw EmbedVizError(.numerical, "t-SNE diverged: the KL divergence is \(value)"
                                            + "; check the input for extreme values or lower the learning rate",
                                            at: "t-SNE iteration \(iteration + 1)")
                    }
                    trace.values.append(.init(iteration: iteration + 1, kl: value))
                    trace.lastValue = value
                }
                Profile.section("t-SNE step") {
                    step.step(&y, gradient: gradient, rate: phase.learningRate, momentum: phase.momentum)
                }
                if recentre { Profile.section("t-SNE centre") { Self.centre(&y) } }
                iteration += 1
                if evaluate || iteration % 10 == 0 {
                    let elapsed = Date().timeIntervalSince(start)
                    progress(TSNEProgress(phase: phase.name, done: iteration, total: total, kl: trace.lastValue,
                                          elapsed: elapsed, etaSeconds: elapsed / Double(iteration) * Double(total - iteration)))
                }
            }
            trace.phaseSeconds.append(Date().timeIntervalSince(phaseStart))
        }
        return trace
    }

    /// Subtracts each coordinate's mean. The sums run in parallel over fixed blocks of points and are
    /// added in block order, so the result does not depend on the thread count.
    static func centre(_ y: inout Embedding) {
        let (n, d) = (y.count, y.dimensions)
        guard n > 0 else { return }
        let blocks = FixedBlocks(count: n, size: 1 << 14)
        var sums = [Double](repeating: 0, count: blocks.count * d)
        y.coordinates.withUnsafeMutableBufferPointer { c in
            sums.withUnsafeMutableBufferPointer { partial in
                let shared = UncheckedSendable((c: c.baseAddress!, partial: partial.baseAddress!))
                blocks.forEach { block, points in
                    let (c, partial) = shared.value
                    for i in points { for k in 0..<d { partial[block * d + k] += c[i * d + k] } }
                }
                var mean = [Double](repeating: 0, count: d)
                for block in 0..<blocks.count { for k in 0..<d { mean[k] += partial[block * d + k] } }
                for k in 0..<d { mean[k] /= Double(n) }
                let means = UncheckedSendable(mean)
                blocks.forEach { _, points in
                    let (c, mean) = (shared.value.c, means.value)
                    for i in points { for k in 0..<d { c[i * d + k] -= mean[k] } }
                }
            }
        }
    }
}
