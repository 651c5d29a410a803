import Datasets
import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

@Suite struct PCATests {
    @Test("points on a line: one component along it, explaining all the variance", arguments: PCASolver.allCases)
    func line(_ solver: PCASolver) throws {
        let u: [Float] = [0.6, 0, -0.8, 0, 0]  // unit vector; largest |entry| is negative → flipped to +0.8
        let x = Matrix(rows: 40, columns: 5) { i, j in Float(i - 20) * 0.25 * u[j] + Float(j) }
        let model = try PCA(components: 2, solver: solver).fit(x)
        let c = model.components
        #expect(abs(c[0, 0] + 0.6) < 1e-5 && abs(c[0, 2] - 0.8) < 1e-5)
        #expect(abs(model.explainedVarianceRatio[0] - 1) < 1e-6 && model.explainedVarianceRatio[1] < 1e-6)
        // Variance of t·0.25 for t = −20…19 (ddof 1): 0.0625 · Σ(t − mean)²/39.
        let t = (0..<40).map { Double($0 - 20) }, tm = t.reduce(0, +) / 40
        let expected = 0.0625 * t.map { ($0 - tm) * ($0 - tm) }.reduce(0, +) / 39
        #expect(abs(model.explainedVariance[0] - expected) < 1e-5 * expected)
        #expect(maxAbsDifference(model.mean, [0, 1, 2, 3, 4].map { Double($0) + Double(-0.125) * Double(u[$0]) }) < 1e-5)
    }

    @Test("a known covariance: variances 9, 4, 1, 0.25 along orthonormal axes")
    func knownCovariance() throws {
        let x = anisotropic(20_000, sd: [3, 2, 1, 0.5], seed: 3)
        let model = try PCA(components: 4).fit(x)
        for (got, want) in zip(model.explainedVariance, [9.0, 4, 1, 0.25]) {
            #expect(abs(got - want) < 0.05 * want, "variance \(got) vs \(want)")
        }
        #expect(abs(model.totalVariance - 14.25) < 0.03 * 14.25)
    }

    @Test("components are orthonormal, ratios in [0, 1] summing to at most 1, sign convention holds",
          arguments: PCASolver.allCases)
    func invariants(_ solver: PCASolver) throws {
        let x = anisotropic(300, sd: [5, 3, 2, 1, 1, 0.5, 0.1], seed: 7)
        let model = try PCA(components: 5, solver: solver).fit(x)
        let gram = BLAS.gemm(model.components, .none, model.components, .transposed)
        for i in 0..<5 { for j in 0..<5 { #expect(abs(gram[i, j] - (i == j ? 1 : 0)) < 1e-5) } }
        #expect(model.explainedVarianceRatio.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(model.explainedVarianceRatio.reduce(0, +) <= 1 + 1e-12)
        #expect(zip(model.explainedVariance, model.explainedVariance.dropFirst()).allSatisfy { $0 >= $1 })
        for r in 0..<5 {
            let row = Array(model.components.row(r))
            #expect(row[row.indices.max { abs(row[$0]) < abs(row[$1]) }!] > 0)
        }
    }

    @Test("the covariance and SVD solvers agree")
    func solversAgree() throws {
        let x = anisotropic(500, sd: [4, 2, 1.5, 1, 0.3, 0.2], seed: 11)
        let a = try PCA(components: 4, solver: .covariance).fit(x)
        let b = try PCA(components: 4, solver: .svd).fit(x)
        #expect(maxAbsDifference(a.explainedVariance, b.explainedVariance) < 1e-4 * a.explainedVariance[0])
        #expect(maxAbsDifference(a.explainedVarianceRatio, b.explainedVarianceRatio) < 1e-5)
        #expect(abs(a.totalVariance - b.totalVariance) < 1e-4 * a.totalVariance)
        let difference = zip(a.components.storage, b.components.storage).map { abs($0 - $1) }.max()!
        #expect(difference < 1e-3)
        let ya = a.transform(x), yb = b.transform(x)
        #expect(zip(ya.storage, yb.storage).map { abs($0 - $1) }.max()! < 2e-3)
    }

    @Test("whitening gives unit variance; inverse transform reconstructs")
    func whitening() throws {
        let x = anisotropic(2_000, sd: [3, 1, 0.2], seed: 13, offset: 5)
        let model = try PCA(components: 3, whiten: true).fit(x)
        let y = model.transform(x)
        for j in 0..<3 {
            let column = (0..<y.rows).map { Double(y[$0, j]) }
            let mean = column.reduce(0, +) / Double(y.rows)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(y.rows - 1)
            #expect(abs(variance - 1) < 1e-3 && abs(mean) < 1e-4)
        }
        let back = model.inverseTransform(y)
        #expect(zip(back.storage, x.storage).map { abs($0 - $1) }.max()! < 1e-3)
    }

    /// Shards centre on their own means, so their float32 Gram matrices round differently: equality
    /// holds to float32 precision (1e-6 relative), not bit for bit.
    @Test("shards merged from separate accumulators equal the one-pass fit")
    func mergedShards() throws {
        let x = anisotropic(3_001, sd: [2, 1, 0.5, 0.25], seed: 17, offset: 100)
        var whole = try CovarianceAccumulator(dimension: 4)
        whole.add(x)
        var merged = try CovarianceAccumulator(dimension: 4)
        for range in [0..<1000, 1000..<1001, 1001..<2500, 2500..<3001] {
            var shard = try CovarianceAccumulator(dimension: 4)
            shard.add(x.rows(range))
            merged.merge(shard)
        }
        #expect(merged.count == whole.count)
        #expect(maxAbsDifference(merged.mean, whole.mean) < 1e-9 * 100)
        #expect(maxAbsDifference(merged.symmetrised, whole.symmetrised) < 1e-6 * whole.symmetrised.map(abs).max()!)
        let a = try PCA(components: 3).fit(whole), b = try PCA(components: 3).fit(merged)
        #expect(maxAbsDifference(a.explainedVarianceRatio, b.explainedVarianceRatio) < 1e-6)
        #expect(zip(a.components.storage, b.components.storage).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("a large common offset does not cost precision")
    func largeOffset() throws {
        let base = anisotropic(5_000, sd: [1, 0.5, 0.1], seed: 19)
        var shifted = base
        shifted.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] += 10_000 } }
        let a = try PCA(components: 3, solver: .covariance).fit(base)
        let b = try PCA(components: 3, solver: .covariance).fit(shifted)
        // float32 spacing at 1e4 is ~1e-3, so the shifted data itself carries that rounding; the
        // ratios must agree to what that rounding allows, not collapse.
        #expect(maxAbsDifference(a.explainedVarianceRatio, b.explainedVarianceRatio) < 1e-4)
        #expect(abs(b.mean[0] - (a.mean[0] + 10_000)) < 1e-2)
    }

    /// Reference values computed once with scikit-learn 1.9.1 (NumPy 2.4.6, float64 input):
    ///   X = np.array([[2.5,2.4,0.5],[0.5,0.7,1.5],[2.2,2.9,0.3],[1.9,2.2,0.9],[3.1,3.0,0.1],
    ///                 [2.3,2.7,0.6],[2.0,1.6,1.2],[1.0,1.1,1.1],[1.5,1.6,1.0],[1.1,0.9,1.4]])
    ///   p = PCA(n_components=2).fit(X); p.components_, p.explained_variance_, p.explained_variance_ratio_,
    ///   p.singular_values_, p.transform(X)[:2]
    @Test("a small case matches scikit-learn's output")
    func scikitLearnReference() throws {
        let x = Matrix([[2.5, 2.4, 0.5], [0.5, 0.7, 1.5], [2.2, 2.9, 0.3], [1.9, 2.2, 0.9], [3.1, 3.0, 0.1],
                        [2.3, 2.7, 0.6], [2.0, 1.6, 1.2], [1.0, 1.1, 1.1], [1.5, 1.6, 1.0], [1.1, 0.9, 1.4]])
        for solver in PCASolver.allCases {
            let model = try PCA(components: 2, solver: solver).fit(x)
            let reference = SKLearnReference.small
            #expect(zip(model.components.storage, reference.components).allSatisfy { abs(Double($0) - $1) < 1e-5 })
            #expect(maxAbsDifference(model.explainedVariance, reference.explainedVariance) < 1e-5)
            #expect(maxAbsDifference(model.explainedVarianceRatio, reference.explainedVarianceRatio) < 1e-6)
            #expect(maxAbsDifference(model.singularValues, reference.singularValues) < 1e-5)
            let y = model.transform(x)
            #expect(zip(y.storage.prefix(4), reference.firstTwoRows).allSatisfy { abs(Double($0) - $1) < 1e-5 })
        }
    }

    @Test("models and partial fits round-trip through .npz files; the wrong kind is refused")
    func files() throws {
        let dir = scratchDirectory()
        let x = anisotropic(400, sd: [3, 1, 0.5], seed: 23)
        let model = try PCA(components: 2, whiten: true).fit(x)
        try PCAFiles.write(model, to: dir + "/m.npz")
        let back = try PCAFiles.readModel(dir + "/m.npz")
        #expect(back == model)
        var partial = try CovarianceAccumulator(dimension: 3)
        partial.add(x)
        try PCAFiles.write(partial, to: dir + "/p.npz")
        let restored = try PCAFiles.readPartial(dir + "/p.npz")
        #expect(restored.count == partial.count && restored.mean == partial.mean && restored.symmetrised == partial.symmetrised)
        #expect(throws: EmbedVizError.self) { _ = try PCAFiles.readModel(dir + "/p.npz") }
        #expect(throws: EmbedVizError.self) { _ = try PCAFiles.readPartial(dir + "/m.npz") }
    }

    @Test("bad requests are clear errors", arguments: [(5, 3, 4), (1, 3, 1), (4, 6, 0)])
    func errors(_ c: (Int, Int, Int)) {
        #expect(throws: EmbedVizError.self) { _ = try PCA(components: c.2).fit(randomMatrix(c.0, c.1, seed: 1)) }
    }

    /// Reference: NumPy 2.4.6 in float64 on all 70,000 MNIST images (train + test, pixels as read),
    /// eigenvalues of the centred covariance (`np.linalg.eigvalsh`) divided by its trace:
    /// 0.09746115922494729, 0.0715544458687871, 0.06149530980723029.
    @Test("MNIST 70000×784: the first three explained-variance ratios within 1e-6 of float64")
    func mnistAccuracy() throws {
        let train = try MNIST.load(.train, from: MNIST.defaultDirectory)
        let test = try MNIST.load(.test, from: MNIST.defaultDirectory)
        let pixels = Matrix(rows: 70_000, columns: 784, storage: (train.images + test.images).map { Float($0) })
        let model = try PCA(components: 3).fit(pixels)
        #expect(model.solver == .covariance)
        let reference = [0.09746115922494729, 0.0715544458687871, 0.06149530980723029]
        #expect(maxAbsDifference(model.explainedVarianceRatio, reference) < 1e-6, "\(model.explainedVarianceRatio)")
    }
}
