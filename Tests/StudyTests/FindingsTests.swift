import Datasets
import Linalg
@testable import NeuralNet
@testable import Projection
@testable import Study
import Testing

/// Each finding the report states follows the numbers it is about.
@Suite struct FindingsTests {
    @Test("a validation loss that rises after epoch k while the training loss falls: over-fitting after epoch k")
    func overFitting() {
        let history = epochs(validation: [0.30, 0.20, 0.12, 0.14, 0.16, 0.19])
        let text = Findings.validationCurve(history)
        #expect(text.contains("over-fitting after epoch 3"), "\(text)")
        #expect(text.contains("lowest at epoch 3 (0.1200)") && text.contains("epoch 6 (0.1900)"), "\(text)")
        #expect(text.contains("checkpoint of epoch 3 is kept"), "\(text)")
    }

    @Test("one epoch: too few to tell, and no over-fitting claimed")
    func oneEpoch() {
        let text = Findings.validationCurve(epochs(validation: [0.35]))
        #expect(!text.contains("over-fitting"), "\(text)")
        #expect(text.contains("One epoch"), "\(text)")
    }

    @Test("lowest at the last epoch: no sign of over-fitting")
    func stillFalling() {
        let text = Findings.validationCurve(epochs(validation: [0.3, 0.2, 0.15, 0.1]))
        #expect(text.contains("no sign of over-fitting within 4 epochs"), "\(text)")
        #expect(!text.contains("over-fitting after"), "\(text)")
    }

    @Test("a final loss within the tolerance of the lowest levels off; a rise with a rising training loss is not over-fitting")
    func levelsOffOrWorse() {
        let flat = Findings.validationCurve(epochs(validation: [0.3, 0.100, 0.102, 0.103]))
        #expect(flat.contains("levels off") && !flat.contains("over-fitting after"), "\(flat)")
        let worse = Findings.validationCurve(epochs(validation: [0.3, 0.1, 0.2, 0.4], train: [0.3, 0.1, 0.2, 0.4]))
        #expect(worse.contains("training got worse after epoch 2") && !worse.contains("over-fitting after"), "\(worse)")
    }

    @Test("the training sentence states the configuration used, not the tutorial's defaults")
    func trainingSetup() {
        let text = Findings.trainingSetup(trainedModel(epochs(validation: [0.3, 0.2]), learningRate: 0.01, batchSize: 64))
        #expect(text.contains("learning rate 0.01)") && text.contains("batch 64") && text.contains("for 2 epochs"), "\(text)")
        let one = Findings.trainingSetup(trainedModel(epochs(validation: [0.3])))
        #expect(one.contains("learning rate 0.001") && one.contains("batch 32") && one.contains("for 1 epoch on"), "\(one)")
    }

    @Test("the t-SNE affinities sentence says how the neighbours were found: exact, or approximate with the measured recall")
    func tsneNeighbours() throws {
        var rng = SeededGenerator(seed: 3)
        let x = Matrix(rows: 1_200, columns: 5, storage: (0..<6_000).map { _ in Float(rng.normal()) })
        var parameters = TSNEParameters()
        parameters.iterations = 20
        parameters.earlyExaggerationIterations = 10
        parameters.method = .bh
        var record = try TSNE(parameters).fit(x).record
        let exact = Findings.tsneAffinities(record)
        #expect(exact.hasPrefix("Exact k-nearest-neighbour affinities (perplexity 30, 90 neighbours; exact kNN"), "\(exact)")
        record.neighbourSearch?.method = .approx
        record.neighbourSearch?.recall = 0.9912
        record.neighbourSearch?.recallRows = 500
        let approximate = Findings.tsneAffinities(record)
        #expect(approximate.hasPrefix("Approximate k-nearest-neighbour affinities") && approximate.contains("recall 0.9912 on 500 rows"),
                "\(approximate)")
    }

    @Test("the PCA sentence names the solver that ran")
    func pcaSolver() {
        #expect(Findings.pcaSolver(.covariance).contains("covariance route"))
        #expect(Findings.pcaSolver(.svd).contains("SVD") && !Findings.pcaSolver(.svd).contains("covariance"))
        let mixed = Findings.pcaSolvers([("a", .covariance), ("b", .svd)])
        #expect(mixed.contains("a: covariance") && mixed.contains("b: thin SVD"), "\(mixed)")
        #expect(Findings.pcaSolvers([("a", .svd), ("b", .svd)]) == Findings.pcaSolver(.svd))
    }

    @Test("the sampling sentence matches the sample: all points in the quick run, a subsample in the full one")
    func sampling() {
        #expect(Findings.preservationScope(points: 2_000, of: 2_000) == "on all 2,000 points")
        #expect(Findings.preservationScope(points: 5_000, of: 10_000) == "on a fixed subsample of 5,000 of the 10,000 points")
    }

    @Test("the control's comparison: far less separated only when the adjusted Rand index says so")
    func control() throws {
        let trained = measurements("trained model", maps: [map("PCA 2-D", knnAccuracy: 0.6, ari: 0.1),
                                                           map("t-SNE 2-D", knnAccuracy: 0.98, ari: 0.95)])
        let random = measurements("random weights", maps: [map("PCA 2-D", knnAccuracy: 0.4, ari: 0.05),
                                                           map("t-SNE 2-D", knnAccuracy: 0.94, ari: 0.66)])
        let far = try #require(Findings.comparison(main: trained, control: random, mainName: "trained model",
                                                   controlName: "random weights", majorityShare: 0.11))
        #expect(far.map == "t-SNE 2-D")
        #expect(far.sentence.contains("still group most points by class") && far.sentence.contains("but the groups are far less separated"),
                "\(far.sentence)")
        #expect(far.sentence.contains("0.940") && far.sentence.contains("0.660") && far.sentence.contains("0.950"), "\(far.sentence)")

        let alike = measurements("random weights", maps: [map("t-SNE 2-D", knnAccuracy: 0.97, ari: 0.93)])
        let same = try #require(Findings.comparison(main: trained, control: alike, mainName: "trained model",
                                                    controlName: "random weights", majorityShare: 0.11))
        #expect(same.separation == "about as well separated" && !same.sentence.contains("less separated"), "\(same.sentence)")

        let chance = measurements("random weights", maps: [map("t-SNE 2-D", knnAccuracy: 0.12, ari: 0.0)])
        let none = try #require(Findings.comparison(main: trained, control: chance, mainName: "trained model",
                                                    controlName: "random weights", majorityShare: 0.11))
        #expect(none.grouping == "hardly group the points by class", "\(none.sentence)")
    }

    @Test("outliers: 'fail here' and the tight-group reason only when the within-set scores fail and rank the outliers low")
    func outliers() {
        var terms = StudyTerms.tutorial
        terms.set = "the test set"
        let failing = measurements("trained model", detections: [
            detection("kNN distance to training embeddings (k = 10)", .reference, recall: 1, auroc: 1),
            detection("kNN distance within the test set (k = 10)", .withinSet, recall: 0, auroc: 0.15),
            detection("local outlier factor within the test set (k = 20)", .withinSet, recall: 0.02, auroc: 0.36),
        ], maps: [])
        let text = Findings.outliers(failing, referencePoints: 2_000, dimensions: 100, terms: terms, tsnePurity: 1)
        #expect(text.contains("2,000 training embeddings finds the injected noise"), "\(text)")
        #expect(text.contains("alone fail here") && text.contains("recall 0.020"), "\(text)")
        #expect(text.contains("tight group") && text.contains("AUROC 0.1500"), "\(text)")

        let working = measurements("random weights", detections: [
            detection("kNN distance to training embeddings (k = 10)", .reference, recall: 1, auroc: 1),
            detection("kNN distance within the test set (k = 10)", .withinSet, recall: 0.9, auroc: 0.97),
            detection("local outlier factor within the test set (k = 20)", .withinSet, recall: 0.1, auroc: 0.4),
        ], maps: [])
        let found = Findings.outliers(working, referencePoints: 2_000, dimensions: 100, terms: terms, tsnePurity: nil)
        #expect(found.contains("find it too") && !found.contains("fail") && !found.contains("tight group"), "\(found)")

        let partial = measurements("random weights", detections: [
            detection("kNN distance to training embeddings (k = 10)", .reference, recall: 0.5, auroc: 0.9),
            detection("kNN distance within the test set (k = 10)", .withinSet, recall: 0.47, auroc: 0.93),
        ], maps: [])
        let some = Findings.outliers(partial, referencePoints: 10_000, dimensions: 100, terms: terms, tsnePurity: nil)
        #expect(some.contains("finds part of the injected noise") && some.contains("find only part of it"), "\(some)")
    }

    @Test("what the model makes of the outliers is counted, not assumed")
    func outlierPredictions() throws {
        let meta = EmbeddingMetadata(index: Array(0..<6), target: [0, 1, 10, 10, 10, 10], prediction: [0, 1, 8, 8, 8, 3],
                                     confidence: [1, 1, 0.9, 0.7, 0.8, 0.6], isNoise: [false, false, true, true, true, true])
        let text = try #require(Findings.outlierPredictions(meta, classNames: (0...9).map(String.init) + ["noise"]))
        #expect(text.contains("most of them (3 of 4) to class 8") && text.contains("0.75"), "\(text)")
        let none = EmbeddingMetadata(index: [0], target: [0], prediction: [0], confidence: [1], isNoise: [false])
        #expect(Findings.outlierPredictions(none, classNames: ["0"]) == nil)
    }

    @Test("UMAP against t-SNE: each verdict follows the two maps' numbers, within the stated tolerance")
    func umapVersusTSNE() throws {
        func maps(umapTrust: Double, tsneTrust: Double, umapAccuracy: Double, umapARI: Double) -> StudyMeasurements {
            var u = map("UMAP 2-D", knnAccuracy: umapAccuracy, ari: umapARI, clusters: 9), t = map("t-SNE 2-D", knnAccuracy: 0.95, ari: 0.8)
            (u.preservation.trustworthiness, t.preservation.trustworthiness) = (umapTrust, tsneTrust)
            return measurements("trained", maps: [map("PCA 2-D", knnAccuracy: 0.5, ari: 0.1), t, u])
        }
        let behind = try #require(Findings.umapVersusTSNE(maps(umapTrust: 0.94, tsneTrust: 0.96, umapAccuracy: 0.953, umapARI: 0.9),
                                                          umapSeconds: 5, tsneSeconds: 20))
        #expect(behind.contains("trustworthiness 0.9400 vs 0.9600 (t-SNE keeps the embeddings' neighbourhoods better)"), "\(behind)")
        #expect(behind.contains("10-NN accuracy 0.9530 vs 0.9500 (the classes read off both about equally)"), "\(behind)")
        #expect(behind.contains("9 clusters vs 10") && behind.contains("UMAP's groups are the more separated"), "\(behind)")
        #expect(behind.contains("UMAP took 5.0 s, t-SNE 20.0 s (UMAP was the faster)"), "\(behind)")
        let ahead = try #require(Findings.umapVersusTSNE(maps(umapTrust: 0.97, tsneTrust: 0.96, umapAccuracy: 0.9, umapARI: 0.78),
                                                         umapSeconds: 20, tsneSeconds: 19))
        #expect(ahead.contains("UMAP keeps the embeddings' neighbourhoods better") && ahead.contains("the classes read off t-SNE's map better")
                && ahead.contains("about as well separated") && ahead.contains("about the same time"), "\(ahead)")
        // Without labels nothing is said about classes or clusters; without a UMAP map, nothing at all.
        let unlabelled = try #require(Findings.umapVersusTSNE(maps(umapTrust: 0.96, tsneTrust: 0.962, umapAccuracy: .nan, umapARI: .nan),
                                                              umapSeconds: 1, tsneSeconds: 2))
        #expect(unlabelled.contains("about equally") && !unlabelled.contains("accuracy") && !unlabelled.contains("DBSCAN"), "\(unlabelled)")
        #expect(Findings.umapVersusTSNE(measurements("trained", maps: [map("t-SNE 2-D", knnAccuracy: 0.9, ari: 0.8)]),
                                        umapSeconds: 1, tsneSeconds: 1) == nil)
    }

    @Test("counts and small numbers are written out")
    func formatting() {
        #expect(Findings.count(271_702) == "271,702" && Findings.count(600) == "600" && Findings.count(1_000) == "1,000")
        #expect(Findings.word(3) == "three" && Findings.word(12) == "12")
    }
}
