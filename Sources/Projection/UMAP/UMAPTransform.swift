import Foundation
import Linalg

/// A fitted UMAP map and what placing new points into it needs: the parameters, the curve, the
/// reference map and the data it was made from (its neighbour index is rebuilt from the data, so the
/// model's size is that of the data plus the map).
public struct UMAPModel: Sendable, Equatable {
    /// The fit's parameters (`neighbourSearch` as used, seed included).
    public var parameters: UMAPParameters
    public var curve: MapCurve
    /// The epochs the fit ran.
    public var epochs: Int
    /// The reference map (N×d).
    public var embedding: Matrix
    /// The reference data (N×D).
    public var data: Matrix

    public init(parameters: UMAPParameters, curve: MapCurve, epochs: Int, embedding: Matrix, data: Matrix) {
        self.parameters = parameters
        self.curve = curve
        self.epochs = epochs
        self.embedding = embedding
        self.data = data
    }
}

/// Places new points into a fitted UMAP map without moving it (umap-learn's `UMAP.transform`): each
/// new point's `neighbours` nearest reference points, their memberships from smooth kNN distances
/// (local connectivity one less than the fit's: ρ = 0 at the default, so a new point is not assumed
/// to touch its nearest reference point), a start at the membership-weighted mean of those points'
/// positions (or exactly at a reference point it coincides with), then the SGD with the reference
/// fixed: attraction along the new point's own edges, negative samples from the reference,
/// learning rate a quarter of the fit's, epochs 100 for batches up to 10,000 points, else 30 (a
/// third of the fit's when the fit's were given). New points never interact: a batch's result is
/// deterministic and the same for any thread count.
public struct UMAPTransform: Sendable {
    public struct Parameters: Sendable, Codable, Equatable {
        /// nil = umap-learn's rule (see the type's description).
        public var epochs: Int?
        /// nil = the fit's learning rate / 4.
        public var learningRate: Double?
        /// Seeds the negative samples (nil = the fit's seed).
        public var seed: UInt64?

        public init() {}
    }

    public let model: UMAPModel
    public var parameters: Parameters
    /// The reference data prepared for neighbour search (its HNSW graph for approximate search).
    public let neighbourIndex: NeighbourIndex

    /// - Throws: `EmbedVizError.input` for a model whose parts disagree or hold non-finite values.
    public init(model: UMAPModel, parameters: Parameters = Parameters()) throws {
        guard model.data.rows == model.embedding.rows, model.embedding.rows >= 1 else {
            throw EmbedVizError.input("the UMAP model's data has \(model.data.rows) rows, its map \(model.embedding.rows)")
        }
        guard (1...3).contains(model.embedding.columns) else {
            throw EmbedVizError.input("the UMAP model's map has \(model.embedding.columns) dimensions, expected 1, 2 or 3")
        }
        try model.parameters.validate()
        try model.embedding.requireFinite("reference map")
        if let epochs = parameters.epochs, epochs < 0 {
            throw EmbedVizError.input("the UMAP transform's \(parameter: "epochs", of: "UMAPTransform.Parameters") must be ≥ 0, got \(epochs)")
        }
        if let rate = parameters.learningRate, !(rate.isFinite && rate > 0) {
            throw EmbedVizError.input("the UMAP transform's \(parameter: "learningRate", of: "UMAPTransform.Parameters") must be a finite number > 0, got \(rate)")
        }
        self.model = model
        self.parameters = parameters
        neighbourIndex = try NeighbourIndex(reference: model.data, search: model.parameters.neighbourSearch)
    }

    /// The epochs for a batch of `count` new points.
    public func epochs(count: Int) -> Int {
        if let epochs = parameters.epochs { return epochs }
        if let fit = model.parameters.epochs { return fit / 3 }
        return count <= 10_000 ? 100 : 30
    }

    /// Places the rows of `x` (M×D, the reference data's columns) into the map: an M×d matrix.
    public func transform(_ x: Matrix) throws -> Matrix {
        let reference = model.embedding
        let (m, d, n) = (x.rows, reference.columns, reference.rows)
        guard x.columns == model.data.columns else {
            throw EmbedVizError.input("the new points have \(x.columns) columns, the UMAP model's data \(model.data.columns)")
        }
        guard m > 0 else { return Matrix(rows: 0, columns: d) }
        let k = min(model.parameters.neighbours, n)
        try MemoryBudget.check(checkedProduct(m, checkedSum(checkedProduct(k, 24), checkedProduct(d, 16))),
                               for: "placing \(m) points", alternative: "pass fewer rows at a time")
        let lists = try neighbourIndex.neighbours(of: x, k: k)
        let metric = model.parameters.neighbourSearch.metric
        let distances = lists.squaredDistances.map { metric == .euclidean ? max($0, 0).squareRoot() : max($0, 0) }
        let (rho, sigma) = SmoothKNN.calibrate(distances: distances, rows: m, k: k,
                                               localConnectivity: max(0, model.parameters.localConnectivity - 1))
        var weights = [Float](repeating: 0, count: m * k)
        for i in 0..<m {
            for j in 0..<k { weights[i * k + j] = SmoothKNN.membership(distance: distances[i * k + j], rho: rho[i], sigma: sigma[i]) }
        }
        // Start: at a coinciding reference point (membership 1), else at the weighted mean.
        var y = [Float](repeating: 0, count: m * d)
        for i in 0..<m {
            let row = (i * k)..<((i + 1) * k)
            if let exact = row.first(where: { weights[$0] == 1 }) {
                for c in 0..<d { y[i * d + c] = reference[Int(lists.indices[exact]), c] }
                continue
            }
            let total = row.reduce(0.0) { $0 + Double(weights[$1]) }
            guard total > 0 else { continue }
            for c in 0..<d {
                var sum = 0.0
                for e in row { sum += Double(weights[e]) * Double(reference[Int(lists.indices[e]), c]) }
                y[i * d + c] = Float(sum / total)
            }
        }
        let epochs = self.epochs(count: m)
        // Edges by new point, without those sampled less than once (umap-learn prunes below max / epochs).
        let maximum = weights.max() ?? 0
        let threshold = epochs > 0 ? maximum / Float(epochs) : 0
        var rowStart = [Int](repeating: 0, count: m + 1), tails = [Int32](), periods = [Float]()
        for i in 0..<m {
            for e in (i * k)..<((i + 1) * k) where weights[e] > 0 && weights[e] >= threshold {
                tails.append(lists.indices[e])
                periods.append(maximum / weights[e])
            }
            rowStart[i + 1] = tails.count
        }
        let sgd = LayoutSGD(curve: model.curve, epochs: epochs,
                            initialLearningRate: parameters.learningRate ?? model.parameters.learningRate / 4,
                            negativeSampleRate: model.parameters.negativeSampleRate, repulsionStrength: model.parameters.repulsionStrength,
                            seed: parameters.seed ?? model.parameters.seed)
        sgd.optimise(&y, dimensions: d, edges: LayoutEdges(rowStart: rowStart, tails: tails, epochsPerSample: periods),
                     tail: reference.storage)
        if let bad = y.firstIndex(where: { !$0.isFinite }) {
            throw EmbedVizError(.numerical, "UMAP transform diverged: new point \(bad / d) has coordinate \(y[bad])")
        }
        return Matrix(rows: m, columns: d, storage: y)
    }
}
