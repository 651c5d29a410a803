import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

@Suite struct MetricsOutlierTests {
    /// 200 points in a 10-d cube and one far away (index 57).
    static func oneFarOutlier() -> (Matrix, [Bool]) {
        var x = randomMatrix(200, 10, seed: 21)
        for j in 0..<10 { x[57, j] += 30 }
        return (x, (0..<200).map { $0 == 57 })
    }

    @Test("an obvious far outlier: top kNN-distance score and LOF, AUROC 1, precision and recall 1",
          arguments: KNNDistanceScore.Statistic.allCases)
    func farOutlier(_ statistic: KNNDistanceScore.Statistic) throws {
        let (x, isNoise) = Self.oneFarOutlier()
        for scores in [try KNNDistanceScore.scores(x, k: 10, statistic: statistic), try LocalOutlierFactor.scores(x, k: 20)] {
            #expect(RankedSamples.order(scores, top: 1) == [57])
            let quality = try OutlierDetectionQuality.evaluate(scores: scores, isNoise: isNoise)
            #expect(quality.auroc == 1 && quality.precision == 1 && quality.recall == 1)
            #expect(quality.flagged == 1 && quality.outliers == 1 && quality.truePositives == 1 && quality.points == 200)
        }
    }

    @Test("kNN distance scores on a line: the mean and the k-th distance")
    func lineScores() throws {
        let x = Matrix(rows: 6, columns: 1) { i, _ in Float([0, 1, 2, 3, 4, 10][i]) }
        let knn = try NearestNeighbours.exact(x, k: 2)
        #expect(KNNDistanceScore.scores(knn, statistic: .kth) == [2, 1, 1, 1, 2, 7])
        #expect(KNNDistanceScore.scores(knn, statistic: .mean) == [1.5, 1, 1, 1, 1.5, 6.5])
        #expect(try KNNDistanceScore.scores(x, k: 2) == [1.5, 1, 1, 1, 1.5, 6.5])  // mean is the default
        #expect(throws: EmbedVizError.self) { _ = try KNNDistanceScore.scores(x, k: 6) }
    }

    /// scikit-learn 1.9.1 (NumPy 2.4.6): L = table(40, 3, 5); L[0] += 3; L[1] -= 2;
    /// LocalOutlierFactor(n_neighbors=10).fit(L).negative_outlier_factor_ (smallest distance gap 1.2e-5).
    static let scikitLearnNegativeOutlierFactor: [Double] = [
        -9.670020801803677, -7.134379940059867, -1.0193175687949283, -1.331647828991952, -1.1994521104502993,
        -1.0317113841024304, -1.0411385084409146, -1.0379287402927555, -1.1167960609026009, -0.9639397568651209,
        -0.9898356628282039, -0.9702649077542411, -0.9960324483692349, -0.9628587321100197, -0.9701228277663272,
        -1.0068239545965334, -1.16884688993273, -1.019147259712439, -1.0950534799412153, -1.077131897006903,
        -0.9740719073175447, -1.0016837753862182, -1.0061147716709549, -1.0322536434081904, -1.0031351158365187,
        -1.1435757023325483, -1.020864334076758, -1.0616548864831592, -1.055798345790747, -0.9399246958754659,
        -0.9562817135500993, -1.0133762884719304, -1.021522612495505, -1.1362689231521288, -1.037672675933317,
        -1.259982170646464, -0.9467666764399547, -1.1320223398486948, -0.96713872301869, -1.0013212872961659,
    ]

    @Test("LOF matches scikit-learn's negative_outlier_factor_ (negated), to 1e-6 relative")
    func scikitLearnLOF() throws {
        var rows = hashTable(40, 3, seed: 5)
        rows[0] = rows[0].map { $0 + 3 }
        rows[1] = rows[1].map { $0 - 2 }
        let lof = try LocalOutlierFactor.scores(Matrix(doubles: rows), k: 10)
        for (ours, theirs) in zip(lof, Self.scikitLearnNegativeOutlierFactor) {
            #expect(abs(ours + theirs) < 1e-6 * abs(theirs), "LOF \(ours) vs −\(theirs)")
        }
        // The same from longer lists cut down to k = 10.
        let knn = try NearestNeighbours.exact(Matrix(doubles: rows), k: 15)
        #expect(LocalOutlierFactor.scores(knn.prefix(10)) == lof)
    }

    /// scikit-learn 1.9.1: s = [h(key(6, i)) >> 29 for i in range(50)] (eight levels, many ties),
    /// y = [h(key(7, i)) % 3 == 0 for i in range(50)] (15 positives); roc_auc_score(y, s).
    @Test("AUROC with tied scores matches scikit-learn's roc_auc_score (average ranks)")
    func scikitLearnAUROC() {
        let scores = (0..<50).map { Double(hashed(6, $0) >> 29) }
        let isNoise = (0..<50).map { hashed(7, $0) % 3 == 0 }
        #expect(isNoise.filter { $0 }.count == 15)
        #expect(abs(OutlierDetectionQuality.auroc(scores: scores, isNoise: isNoise) - 0.5123809523809524) < 1e-12)
    }

    @Test("AUROC, precision and recall on constructed cases")
    func detectionQuality() throws {
        let isNoise = [true, false, true, false, false, false]
        #expect(OutlierDetectionQuality.auroc(scores: [9, 1, 8, 2, 3, 4], isNoise: isNoise) == 1)
        #expect(OutlierDetectionQuality.auroc(scores: [0, 1, 0, 2, 3, 4], isNoise: isNoise) == 0)
        #expect(OutlierDetectionQuality.auroc(scores: [1, 1, 1, 1, 1, 1], isNoise: isNoise) == 0.5)
        // One of the two outliers beats all four inliers, the other beats two and ties one: (4 + 2.5) / 8.
        #expect(OutlierDetectionQuality.auroc(scores: [9, 1, 3, 2, 3, 4], isNoise: isNoise) == 6.5 / 8)
        #expect(OutlierDetectionQuality.auroc(scores: [1, 2], isNoise: [false, false]).isNaN)

        let scores: [Double] = [9, 1, 3, 2, 7, 4]  // top 2: 0 (outlier), 4 (inlier)
        let q = try OutlierDetectionQuality.evaluate(scores: scores, isNoise: isNoise)
        #expect(q.flagged == 2 && q.truePositives == 1 && q.precision == 0.5 && q.recall == 0.5)
        let q4 = try OutlierDetectionQuality.evaluate(scores: scores, isNoise: isNoise, flagged: 4)
        #expect(q4.truePositives == 2 && q4.precision == 0.5 && q4.recall == 1)
        #expect(try OutlierDetectionQuality.precision(at: 1, scores: scores, isNoise: isNoise) == 1)
        #expect(try OutlierDetectionQuality.precision(at: 3, scores: scores, isNoise: isNoise) == 1.0 / 3)
        // Ties at the cut are taken in index order: of the three 5s only index 1 makes the top 2.
        #expect(try OutlierDetectionQuality.precision(at: 2, scores: [6, 5, 5, 5], isNoise: [false, false, true, true]) == 0)
        #expect(throws: EmbedVizError.self) { _ = try OutlierDetectionQuality.precision(at: 7, scores: scores, isNoise: isNoise) }
        #expect(throws: EmbedVizError.self) {
            _ = try OutlierDetectionQuality.evaluate(scores: scores, isNoise: [Bool](repeating: false, count: 6))
        }
    }

    @Test("ranked tables carry the caller's metadata; misclassifications by confidence")
    func rankedTables() {
        let scores: [Double] = [0.5, 3, .nan, 3, 1]
        let targets = [1, 2, 3, 4, 5]
        let rows = RankedSamples.mostAnomalous(scores: scores, count: 3) { i in "target \(targets[i])" }
        #expect(rows.map(\.index) == [1, 3, 4] && rows.map(\.rank) == [1, 2, 3])
        #expect(rows.map(\.metadata) == ["target 2", "target 4", "target 5"] && rows[0].score == 3)
        #expect(RankedSamples.order(scores, top: 10) == [1, 3, 4, 0, 2])  // NaN last

        let wrong = RankedSamples.mostConfidentlyMisclassified(
            targets: [0, 1, 2, 3, 10, 5], predictions: [0, 7, 2, 8, 4, 6], confidences: [0.99, 0.6, 0.9, 0.95, 0.99, 0.7],
            count: 2, exclude: [false, false, false, false, true, false])
        #expect(wrong.map(\.index) == [3, 5] && wrong.map(\.score) == [0.95, 0.7])
        #expect(wrong[0].metadata == Misclassification(target: 3, prediction: 8))
    }
}
