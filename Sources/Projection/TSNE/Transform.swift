import Datasets
import Foundation
import Linalg

/// Places new points into an existing t-SNE map without moving it (openTSNE's `transform`, Poličar,
/// Stražar & Zupan 2019, "openTSNE: a modular Python library for t-SNE dimensionality reduction and
/// embedding"): each new point gets affinities to its nearest *reference* points only (a low
/// perplexity, rows normalised per point), starts at the median of its nearest reference points'
/// positions, and is optimised against the fixed reference embedding — new points do not interact,
/// so any number can be processed in chunks with constant memory.
public struct TSNETransform: Sendable {
    public struct Parameters: Sendable, Codable, Equatable {
        public var perplexity = 5.0
        /// Reference neighbours whose median position initialises a new point.
        public var initialNeighbours = 25
        public var learningRate = 0.1
        public var exaggeration = 1.5
        public var iterations = 250
        public var momentum = 0.8
        /// Per-point gradient norm limit (openTSNE's `max_grad_norm` for transforms).
        public var maximumGradientNorm = 0.25
        public var minimumGain = 0.01
        /// Barnes–Hut accuracy of the repulsion for 3-D maps (and for points that leave a 2-D map's field).
        public var theta = 0.5
        /// How the new points' nearest reference points are found (`auto` resolves on the
        /// reference's size; use the metric the map was made with).
        public var neighbourSearch = NeighbourSearch()

        public init() {}

        /// Throws `EmbedVizError.input` (located at the parameter's name) for values the
        /// optimisation cannot use: non-finite numbers, 3·perplexity < 1, negative iterations, no
        /// initial neighbours, non-positive learning rate, exaggeration or gradient norm, negative
        /// momentum, gain or θ.
        public func validate() throws(EmbedVizError) {
            func require(_ ok: Bool, _ name: String, _ rule: String, _ value: Any) throws(EmbedVizError) {
                if !ok { throw EmbedVizError.input("the t-SNE transform's \(name) must be \(rule), got \(value)", at: name) }
            }
            try require(perplexity.isFinite && 3 * perplexity >= 1, "perplexity", "a finite number with 3·perplexity ≥ 1", perplexity)
            try require(initialNeighbours >= 1, "initialNeighbours", "at least 1", initialNeighbours)
            try require(learningRate.isFinite && learningRate > 0, "learningRate", "a finite number > 0", learningRate)
            try require(exaggeration.isFinite && exaggeration > 0, "exaggeration", "a finite number > 0", exaggeration)
            try require(iterations >= 0, "iterations", "≥ 0", iterations)
            try require(momentum.isFinite && momentum >= 0, "momentum", "a finite number ≥ 0", momentum)
            try require(maximumGradientNorm.isFinite && maximumGradientNorm > 0, "maximumGradientNorm", "a finite number > 0",
                        maximumGradientNorm)
            try require(minimumGain.isFinite && minimumGain >= 0, "minimumGain", "a finite number ≥ 0", minimumGain)
            try require(theta.isFinite && theta >= 0, "theta", "a finite number ≥ 0", theta)
            try neighbourSearch.validate()
        }

        /// The reference neighbours each new point needs: max(⌊3·perplexity⌋, initialNeighbours),
        /// or nil when that is not below `points` (call after `validate`).
        func neighbours(points: Int) -> Int? {
            guard 3 * perplexity < Double(points), initialNeighbours < points else { return nil }
            return max(Int(3 * perplexity), initialNeighbours)
        }
    }

    public var parameters: Parameters
    public let referenceInput: Matrix
    public let referenceEmbedding: Matrix
    private let tree: BarnesHutRepulsion.Tree
    /// A 2-D map's repulsion, precomputed on the FFT grid (nil for 3-D maps: Barnes–Hut).
    private let field: FixedMapField?
    /// The reference input prepared for neighbour search (its HNSW graph for approximate search).
    public let neighbourIndex: NeighbourIndex

    /// - Parameters:
    ///   - referenceInput: the N×D data the map was made from.
    ///   - referenceEmbedding: its N×d map (d = 2 or 3).
    public init(referenceInput: Matrix, referenceEmbedding: Matrix, parameters: Parameters = Parameters()) throws {
        guard referenceInput.rows == referenceEmbedding.rows else {
            throw EmbedVizError.input("the reference input has \(referenceInput.rows) rows, its embedding \(referenceEmbedding.rows)")
        }
        guard referenceEmbedding.columns == 2 || referenceEmbedding.columns == 3 else {
            throw EmbedVizError.input("adding points supports 2-D and 3-D maps, this one has \(referenceEmbedding.columns) dimensions")
        }
        try parameters.validate()
        guard parameters.neighbours(points: referenceInput.rows) != nil else {
            let needed = max(3 * parameters.perplexity, Double(parameters.initialNeighbours)).rounded(.down)
            throw EmbedVizError.input("the reference has \(referenceInput.rows) points; perplexity \(parameters.perplexity) needs more than "
                                      + (needed < 1e15 ? String(Int(needed)) : "\(needed)"))
        }
        try Matrix.requireDistanceSafe([(referenceInput, "reference input")])
        try referenceEmbedding.requireDistanceSafe("reference embedding")
        neighbourIndex = try NeighbourIndex(reference: referenceInput, search: parameters.neighbourSearch)
        self.parameters = parameters
        self.referenceInput = referenceInput
        self.referenceEmbedding = referenceEmbedding
        let map = Embedding(count: referenceEmbedding.rows, dimensions: referenceEmbedding.columns,
                            coordinates: referenceEmbedding.storage.map(Double.init))
        tree = BarnesHutRepulsion.Tree(map)
        if map.dimensions == 2 {
            // Placed points start at their reference neighbours' median and move little; a margin of
            // 5% of the extent (at least one unit) around the map holds them, the rest use the tree.
            // A map too wide for a grid within the memory budget is placed with the tree alone.
            let (low, high, _) = FFTRepulsion.bounds(map.coordinates)
            let margin = max(1, 0.05 * (high - low))
            var fft = FFTRepulsion()
            let widened = Embedding(count: 2, dimensions: 2, coordinates: [low - margin, low - margin, high + margin, high + margin])
            field = (try? fft.requireGrid(for: widened)) == nil ? nil : fft.field(of: map, margin: margin)
        } else {
            field = nil
        }
    }

    /// Embeds the rows of `x` (M×D, same columns as the reference input) into the map.
    public func transform(_ x: Matrix) throws -> Matrix {
        guard x.columns == referenceInput.columns else {
            throw EmbedVizError.input("the new points have \(x.columns) columns, the reference input \(referenceInput.columns)")
        }
        guard x.rows > 0 else { return Matrix(rows: 0, columns: referenceEmbedding.columns) }
        let p = parameters
        try p.validate()  // `parameters` may have changed since init
        guard let neighbours = p.neighbours(points: referenceInput.rows) else {
            throw EmbedVizError.input("the reference has \(referenceInput.rows) points, too few for perplexity \(p.perplexity)")
        }
        try Matrix.requireDistanceSafe([(x, "new points"), (referenceInput, "reference input")])
        let d = referenceEmbedding.columns
        let m = x.rows
        let k = Int(3 * p.perplexity)
        try MemoryBudget.check(checkedProduct(m, checkedSum(checkedProduct(neighbours, 8), checkedProduct(k, 8), checkedProduct(d, 40))),
                               for: "placing \(m) points", alternative: "pass fewer rows at a time")
        guard p.neighbourSearch == neighbourIndex.search else {
            throw EmbedVizError.input("the transform's neighbour search parameters changed after its index was built; make a new TSNETransform")
        }
        let lists = try neighbourIndex.neighbours(of: x, k: neighbours)
        let (indices, distances) = (lists.indices, lists.squaredDistances)
        // Affinities over the k nearest (the first k of the nearest `neighbours`), rows summing to 1.
        var nearest = [Float](repeating: 0, count: m * k), nearestIndex = [Int32](repeating: 0, count: m * k)
        for i in 0..<m {
            for j in 0..<k {
                nearest[i * k + j] = distances[i * neighbours + j]
                nearestIndex[i * k + j] = indices[i * neighbours + j]
            }
        }
        let affinity = Affinities.conditionalProbabilities(squaredDistances: nearest, k: k, perplexity: p.perplexity)
        // Start at the median position of the nearest reference points.
        var y = [Double](repeating: 0, count: m * d)
        let reference = referenceEmbedding.storage.map(Double.init)
        for i in 0..<m {
            for c in 0..<d {
                var values = (0..<p.initialNeighbours).map { reference[Int(indices[i * neighbours + $0]) * d + c] }
                values.sort()
                let h = values.count / 2
                y[i * d + c] = values.count % 2 == 1 ? values[h] : (values[h - 1] + values[h]) / 2
            }
        }
        var objective = Placement(reference: reference, tree: tree, field: field, dimensions: d, k: k, neighbours: nearestIndex,
                                  affinities: affinity, thetaSquared: Float(p.theta * p.theta),
                                  maximumGradientNorm: p.maximumGradientNorm)
        let descent = GradientDescent(
            phases: [.init(name: .optimisation, iterations: p.iterations, exaggeration: p.exaggeration, momentum: p.momentum,
                           learningRate: p.learningRate)],
            minimumGain: p.minimumGain, maximumStepNorm: nil, recentre: false, evaluateEvery: nil)
        var placed = Embedding(count: m, dimensions: d, coordinates: y)
        _ = try descent.run(&objective, from: &placed)
        y = placed.coordinates
        // Never hand back a non-finite map (the optimiser checks its KL; this loop has none).
        if let bad = y.firstIndex(where: { !Float($0).isFinite }) {
            throw EmbedVizError(.numerical, "t-SNE transform diverged: new point \(bad / d) has coordinate \(y[bad])")
        }
        return Matrix(rows: m, columns: d, storage: y.map { Float($0) })
    }
}

/// The objective of placing new points into a fixed map (openTSNE's transform): each new point is
/// attracted to its nearest reference points (affinities over k, rows summing to 1) and repelled by
/// the whole reference — a 2-D map's field interpolated from its FFT grid, made once (`FixedMapField`;
/// Barnes–Hut over the reference's tree for 3-D maps and outside the field's box) — normalised per point; new points do
/// not interact, so every point's gradient is its own, computed by one thread. Gradients are
/// clipped to `maximumGradientNorm` per point (openTSNE's `max_grad_norm`). It has no value to report.
struct Placement: TSNEObjective {
    let reference: [Double]
    let tree: BarnesHutRepulsion.Tree
    let field: FixedMapField?
    let dimensions: Int
    /// Affinities per new point: `k` reference neighbours (`neighbours`, M×k) with weights `affinities`.
    let k: Int
    let neighbours: [Int32]
    let affinities: [Float]
    let thetaSquared: Float
    let maximumGradientNorm: Double

    mutating func gradient(at y: Embedding, exaggeration: Double, evaluate: Bool,
                           into gradient: UnsafeMutableBufferPointer<Double>) throws(EmbedVizError) -> Double? {
        let (m, d, k) = (y.count, dimensions, self.k)
        let objective = self
        let g = UncheckedSendable(gradient.baseAddress!)
        Threads.parallelFor(m, minimumChunk: 64) { range in
            let list = BarnesHutRepulsion.InteractionList()
            for i in range {
                var yi = SIMD4<Double>()
                for c in 0..<d { yi[c] = y.coordinates[i * d + c] }
                // Repulsion from the reference, normalised per point.
                let (force, z): (SIMD4<Double>, Double)
                if let field = objective.field, let found = field.at(yi[0], yi[1]) {
                    (force, z) = (SIMD4(found.force[0], found.force[1], 0, 0), found.z)
                } else {
                    (force, z) = BarnesHutRepulsion.repulsion(at: SIMD4<Float>(yi), tree: objective.tree,
                                                              thetaSquared: objective.thetaSquared, list: list)
                }
                var total = SIMD4<Double>()
                for e in 0..<k {
                    let j = Int(objective.neighbours[i * k + e])
                    var delta = SIMD4<Double>()
                    for c in 0..<d { delta[c] = yi[c] - objective.reference[j * d + c] }
                    let w = 1 / (1 + (delta * delta).sum())
                    total += (exaggeration * Double(objective.affinities[i * k + e]) * w) * delta
                }
                total -= force / max(z, .leastNormalMagnitude)
                let norm = (total * total).sum().squareRoot()
                if norm > objective.maximumGradientNorm { total *= objective.maximumGradientNorm / norm }
                for c in 0..<d { g.value[i * d + c] = total[c] }
            }
        }
        return nil
    }
}
