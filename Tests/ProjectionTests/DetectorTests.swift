import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

/// The literature's detectors and the shared evaluation, against `DetectorReference` (scikit-learn)
/// and hand cases. u = 2⁻²⁴ is float32's unit roundoff; tolerances come from the bounds stated.
@Suite struct DetectorTests {
    typealias Ref = DetectorReference
    static let u = Double(Float.ulpOfOne) / 2
    var reference: Matrix { Matrix(doubles: Ref.reference) }
    var queries: Matrix { Matrix(doubles: Ref.queries) }
    var logits: Matrix { Matrix(doubles: Ref.logits) }

    @Test("AUROC and FPR95 equal scikit-learn's roc_auc_score and roc_curve, ties included (exact rationals)")
    func evaluation() throws {
        let q = try OutlierDetectionQuality.evaluate(scores: Ref.scores, isNoise: Ref.isNoise)
        #expect(abs(q.auroc - Ref.auroc) < 1e-12)
        #expect(abs(q.fprAt95 - Ref.fprAt95) < 1e-12)
        // Hand case: inliers 1…20, outliers above all of them but one equal to the 19th inlier.
        let scores = (1...20).map(Double.init) + [19, 25, 30]
        let isNoise = (0..<23).map { $0 >= 20 }
        // 95% of 20 inliers = 19: threshold 19 accepts the outlier tied with it (1 of 3).
        #expect(OutlierDetectionQuality.falsePositiveRate(atInlierRate: 0.95, scores: scores, isNoise: isNoise) == 1.0 / 3)
        #expect(OutlierDetectionQuality.falsePositiveRate(atInlierRate: 0.95, scores: [1, 2], isNoise: [false, false]).isNaN)
    }

    /// The exact search works on unit rows in float32: normalising costs ≤ u per element, and
    /// ‖â‖² + ‖b̂‖² − 2â·b̂ over D terms ≤ (4D + 4)u in all; halved for 1 − cos θ: (2D + 2)u ≈ 6e-7 at D = 4.
    static let cosineTolerance = (2.0 * 4 + 2) * u

    /// Row i's cosine distances 1 − cos θ (what cosine lists hold in `squaredDistances`).
    static func cosine(_ lists: NearestNeighbours, _ i: Int) -> [Double] {
        lists.squaredDistances[(i * lists.k)..<((i + 1) * lists.k)].map(Double.init)
    }

    @Test("cosine neighbours to a reference equal NearestNeighbors(metric=\"cosine\")", arguments: [NeighbourSearch.Method.exact, .approx])
    func cosineToReference(_ method: NeighbourSearch.Method) throws {
        let index = try NeighbourIndex(reference: reference, search: NeighbourSearch(method: method, metric: .cosine))
        let lists = try index.neighbours(of: queries, k: 3)
        for i in 0..<queries.rows {
            #expect(Array(lists.neighbours(of: i)) == Ref.cosineIndices[i], "row \(i)")
            #expect(maxAbsDifference(Self.cosine(lists, i), Ref.cosineDistances[i]) <= Self.cosineTolerance, "row \(i)")
        }
    }

    @Test("cosine neighbours within a set, kNN-distance and LOF scores equal scikit-learn's metric=\"cosine\"")
    func cosineWithinSet() throws {
        let search = NeighbourSearch(method: .exact, metric: .cosine)
        let (lists, _) = try NearestNeighbours.find(queries, k: 3, search: search)
        for i in 0..<queries.rows {
            #expect(Array(lists.neighbours(of: i)) == Ref.cosineWithinIndices[i], "row \(i)")
            #expect(maxAbsDifference(Self.cosine(lists, i), Ref.cosineWithinDistances[i]) <= Self.cosineTolerance, "row \(i)")
        }
        // LOF is a ratio of means of distances ≥ 0.22: each relative error ≤ tolerance / 0.22, the
        // ratio of two means of reach distances at most four such errors.
        let lof = try OutlierDetector.localOutlierFactor(k: 3).scores(DetectorInputs(features: queries, search: search))
        for (ours, theirs) in zip(lof, Ref.lofCosine) {
            #expect(abs(ours - theirs) <= 4 * Self.cosineTolerance / 0.22 * theirs, "LOF \(ours) vs \(theirs)")
        }
        let knn = try OutlierDetector.knnDistanceWithinSet(k: 3).scores(DetectorInputs(features: queries, search: search))
        for i in 0..<queries.rows {
            let mean = Ref.cosineWithinDistances[i].reduce(0, +) / 3
            #expect(abs(knn[i] - mean) <= Self.cosineTolerance)
        }
    }

    @Test("deep kNN: k-th distance between L2-normalised features, equal to NumPy/scikit-learn")
    func deepKNN() throws {
        // chord = √(2(1 − cos θ)): an error δ in 1 − cos θ moves it by ≤ δ / chord, chords ≥ 0.63.
        let scores = try DeepKNNScore.scores(queries, reference: reference, k: 5)
        #expect(maxAbsDifference(scores, Ref.deepKNN5) <= Self.cosineTolerance / 0.63)
        // The same through the detector, whatever search the caller set (it is always cosine).
        let viaDetector = try OutlierDetector.deepKNN(k: 5).scores(DetectorInputs(features: queries, reference: reference))
        #expect(viaDetector == scores)
        #expect(throws: EmbedVizError.self) { _ = try DeepKNNScore.scores(queries, reference: reference, k: 19) }
    }

    /// The covariance comes from float32 products of 18 shifted rows with Double sums: each entry
    /// within (M + 2)u relative of the scatter's norm; a relative perturbation ε of Σ moves xᵀΣ⁻¹x
    /// by ≤ κ(Σ)·ε/(1 − κε) relative, κ ≤ 7.5 here (NumPy's `cond`): ≤ 7.5·20u ≈ 9e-6; doubled for margin.
    static let mahalanobisTolerance = 2 * 7.5 * 20 * u

    @Test("Mahalanobis, class-conditional with a tied covariance and class-agnostic, equal to EmpiricalCovariance")
    func mahalanobis() throws {
        let tied = try MahalanobisScore(reference: reference, labels: Ref.referenceLabels).scores(queries)
        for (ours, theirs) in zip(tied, Ref.mahalanobisClassConditional) {
            #expect(abs(ours - theirs) <= Self.mahalanobisTolerance * theirs, "\(ours) vs \(theirs)")
        }
        let agnostic = try MahalanobisScore(reference: reference).scores(queries)
        for (ours, theirs) in zip(agnostic, Ref.mahalanobis) {
            #expect(abs(ours - theirs) <= Self.mahalanobisTolerance * theirs, "\(ours) vs \(theirs)")
        }
    }

    @Test("Mahalanobis: a feature that never varies carries no distance (pseudo-inverse), a constant reference is refused")
    func mahalanobisDegenerate() throws {
        // Column 2 is constant: the distance is that of the first two columns alone.
        let r = Matrix(doubles: [[0, 0, 5], [2, 0, 5], [0, 2, 5], [2, 2, 5]])
        // Mean (1, 1), covariance diag(1, 1) (1/M scaling): (3, 1) is at squared distance 4 + 0.
        let d = try MahalanobisScore(reference: r).scores(Matrix(doubles: [[3, 1, 5], [3, 1, 9]]))
        #expect(abs(d[0] - 4) < 1e-5 && abs(d[1] - 4) < 1e-5)
        #expect(throws: EmbedVizError.self) { _ = try MahalanobisScore(reference: Matrix(doubles: [[1, 1], [1, 1]])) }
        #expect(throws: EmbedVizError.self) { _ = try MahalanobisScore(reference: r, labels: [0, 1]) }
    }

    /// Double arithmetic on float32 logits that both sides share: error ~ C·ε₆₄ ≪ 1e-12.
    @Test("energy and maximum softmax probability equal SciPy's −logsumexp and −max softmax")
    func logitScores() throws {
        #expect(maxAbsDifference(try SoftmaxScore.energy(logits), Ref.energy) < 1e-12)
        #expect(maxAbsDifference(try SoftmaxScore.maximumSoftmax(logits), Ref.maximumSoftmax) < 1e-12)
        // Large logits neither overflow nor underflow: E = −(1000 + log 2) for two equal ones.
        let big = try SoftmaxScore.energy(Matrix(doubles: [[1000, 1000]]))
        #expect(abs(big[0] + 1000 + log(2.0)) < 1e-9)
        #expect(throws: EmbedVizError.self) { _ = try SoftmaxScore.energy(logits, temperature: 0) }
        #expect(throws: EmbedVizError.self) { _ = try SoftmaxScore.maximumSoftmax(Matrix(doubles: [[1], [2]])) }
    }

    @Test("one mechanism: the detectors the inputs allow, each scored and evaluated the same way; the lead by AUROC")
    func evaluateAll() throws {
        // Far rows: the last two queries are moved far from the reference.
        var x = queries
        for j in 0..<4 { x[8, j] += 20; x[9, j] -= 20 }
        let isNoise = (0..<10).map { $0 >= 8 }
        let inputs = DetectorInputs(features: x, reference: reference, referenceLabels: Ref.referenceLabels, logits: logits)
        let detectors = OutlierDetector.available(for: inputs, k: 3, lofNeighbours: 3, deepK: 5)
        #expect(detectors == [.knnDistanceToReference(k: 3), .knnDistanceWithinSet(k: 3), .localOutlierFactor(k: 3), .deepKNN(k: 5),
                              .mahalanobisClassConditional, .mahalanobis, .maximumSoftmax, .energy])
        let results = try OutlierDetector.evaluate(detectors, on: inputs, isNoise: isNoise)
        #expect(results.count == detectors.count)
        for r in results where r.detector == .knnDistanceToReference(k: 3) || r.detector == .mahalanobis {
            #expect(r.quality?.auroc == 1 && r.quality?.fprAt95 == 0, "\(r.detector.name)")
        }
        let lead = try #require(OutlierDetector.lead(results))
        #expect(results[lead].quality!.auroc == results.compactMap { $0.quality?.auroc }.max())
        #expect(lead == 0)  // kNN to the reference reaches AUROC 1 first
        // Without reference and logits only the within-set detectors remain; without known outliers no quality.
        let plain = DetectorInputs(features: x)
        #expect(OutlierDetector.available(for: plain) == [.knnDistanceWithinSet(k: 9), .localOutlierFactor(k: 9)])
        let unmeasured = try OutlierDetector.evaluate(OutlierDetector.available(for: plain), on: plain, isNoise: nil)
        #expect(unmeasured.allSatisfy { $0.quality == nil } && OutlierDetector.lead(unmeasured) == nil)
    }

    @Test("the within-set detectors share one search (for the largest k): scores equal those of a search per detector")
    func sharedWithinSetSearch() throws {
        var generator = SeededGenerator(seed: 5)
        let x = Matrix(rows: 300, columns: 6) { _, _ in Float(generator.normal()) }
        let inputs = DetectorInputs(features: x)
        let detectors: [OutlierDetector] = [.knnDistanceWithinSet(k: 5), .localOutlierFactor(k: 12)]
        let shared = try OutlierDetector.evaluate(detectors, on: inputs, isNoise: nil)
        for (detector, result) in zip(detectors, shared) {
            #expect(result.scores == (try detector.scores(inputs)), "\(detector.name)")  // no lists given: its own search
        }
    }
}
