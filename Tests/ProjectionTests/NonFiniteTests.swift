import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

/// Issue 14 ("promises kept"), library side: NaN, ±∞ and values whose squared distances overflow
/// float32 are refused by every entry point with the element's position, never computed with
/// (a NaN is never below the k-th distance, so a kNN selection used to keep index 0 at distance 0
/// silently); parameters t-SNE cannot use are refused instead of trapping.
@Suite struct NonFiniteTests {
    /// 40 points in 5 dimensions with `value` at (row, column).
    static func points(_ value: Float, row: Int = 12, column: Int = 3, columns: Int = 5) -> Matrix {
        var x = randomMatrix(40, columns, seed: 3)
        x[row, column] = value
        return x
    }

    /// The message of the `EmbedVizError` that `body` throws, or "no error".
    static func message(_ body: () throws -> Void) -> String { errorMessage(body) ?? "no error" }

    @Test("Matrix.requireFinite names the first non-finite element, row-major, 0-based")
    func helper() {
        #expect(Self.points(1).firstNonFinite() == nil)
        let bad = Self.points(.nan).firstNonFinite()
        #expect(bad?.row == 12 && bad?.column == 3 && bad?.value.isNaN == true)
        #expect(Self.message { try Self.points(.nan).requireFinite("input") }.hasPrefix("row 12, column 3 (0-based) is nan;"))
        #expect(Self.message { try Self.points(.infinity).requireFinite("input") }.hasSuffix("(input)"))
        #expect(Self.message { try Self.points(-.infinity).requireFinite("input") }.contains("is -inf"))
    }

    @Test("PCA.fit refuses NaN and ∞ (both solvers), and a covariance that overflows", arguments: [PCASolver.covariance, .svd])
    func pca(_ solver: PCASolver) {
        let fit = { (x: Matrix) in { () throws -> Void in _ = try PCA(components: 2, solver: solver).fit(x) } }
        let nan = Self.message(fit(Self.points(.nan)))
        #expect(nan.contains("row 12, column 3 (0-based) is nan") && nan.hasSuffix("(input)"), "\(nan)")
        #expect(Self.message(fit(Self.points(.infinity))).contains("row 12, column 3 (0-based) is inf"))
        // Squares of 3e30 overflow float32 in ssyrk; the SVD scales internally and copes.
        if solver == .covariance { #expect(Self.message(fit(Self.points(3e30))).contains("too large")) }
    }

    @Test("TSNE.fit refuses a non-finite input or initial embedding, and values too spread out for float32 distances")
    func tsne() {
        var p = TSNEParameters()
        p.perplexity = 5
        p.iterations = 5
        let fit = { (x: Matrix, initialization: TSNEInitialization) in
            { () throws -> Void in _ = try TSNE(p).fit(x, initialization: initialization) }
        }
        #expect(Self.message(fit(Self.points(.nan), .random)).contains("row 12, column 3 (0-based) is nan"))
        #expect(Self.message(fit(Self.points(1e20), .random)).contains("too spread out for float32 distances"))
        var start = randomMatrix(40, 2, seed: 5)
        start[7, 1] = .infinity
        #expect(Self.message(fit(Self.points(1), .given(start))).contains("row 7, column 1 (0-based) is inf; the values must be finite numbers (initial embedding)"))
    }

    @Test("t-SNE parameters it cannot use are refused, not trapped on", arguments: [
        "perplexity 0.2", "perplexity nan", "perplexity inf", "theta nan", "theta -1", "learningRate inf", "earlyExaggeration 0",
        "klEvery 0", "iterations -1",
    ])
    func tsneParameters(_ setting: String) {
        let parts = setting.split(separator: " ").map(String.init)
        var p = TSNEParameters()
        p.perplexity = 5
        p.iterations = 5
        let value = Double(parts[1])!
        switch parts[0] {
        case "perplexity": p.perplexity = value
        case "theta": p.theta = value
        case "learningRate": p.learningRate = value
        case "earlyExaggeration": p.earlyExaggeration = value
        case "klEvery": p.klEvery = Int(value)
        default: p.iterations = Int(value)
        }
        p.method = .bh
        let text = Self.message { _ = try TSNE(p).fit(randomMatrix(40, 5, seed: 1), initialization: .random) }
        #expect(text.contains("must be") && text.hasSuffix("(\(parts[0]))"), "\(text)")
    }

    @Test("TSNETransform refuses unusable parameters, non-finite reference data and non-finite new points")
    func transform() throws {
        let input = randomMatrix(60, 5, seed: 2), map = randomMatrix(60, 2, seed: 4, scale: 10)
        for perplexity in [0.2, -1, .nan, .infinity, 1e300] {
            var parameters = TSNETransform.Parameters()
            parameters.perplexity = perplexity
            let text = Self.message { _ = try TSNETransform(referenceInput: input, referenceEmbedding: map, parameters: parameters) }
            #expect(text.contains("perplexity"), "perplexity \(perplexity): \(text)")
        }
        var parameters = TSNETransform.Parameters()
        parameters.iterations = -3
        #expect(Self.message { _ = try TSNETransform(referenceInput: input, referenceEmbedding: map, parameters: parameters) }
            .contains("(iterations)"))
        var badMap = map
        badMap[2, 0] = .nan
        #expect(Self.message { _ = try TSNETransform(referenceInput: input, referenceEmbedding: badMap) }
            .hasSuffix("row 2, column 0 (0-based) is nan; the values must be finite numbers (reference embedding)"))
        var transformer = try TSNETransform(referenceInput: input, referenceEmbedding: map)
        var new = randomMatrix(6, 5, seed: 9)
        new[4, 1] = .nan
        #expect(Self.message { _ = try transformer.transform(new) }.hasSuffix("is nan; the values must be finite numbers (new points)"))
        // Parameters changed after init are checked when used.
        transformer.parameters.perplexity = 0.1
        #expect(Self.message { _ = try transformer.transform(randomMatrix(6, 5, seed: 9)) }.contains("(perplexity)"))
    }

    @Test("kNN refuses NaN instead of keeping index 0 at distance 0, in both kernels (D ≤ 3 and D > 3)", arguments: [2, 5])
    func nearestNeighbours(_ columns: Int) {
        let x = Self.points(.nan, row: 12, column: 1, columns: columns)
        #expect(Self.message { _ = try NearestNeighbours.exact(x, k: 3) }
            == "row 12, column 1 (0-based) is nan; the values must be finite numbers (input)")
        #expect(Self.message { _ = try NearestNeighbours.exact(x, among: randomMatrix(20, columns, seed: 1), k: 3) }
            .contains("(queries)"))
        #expect(Self.message { _ = try NearestNeighbours.exact(randomMatrix(5, columns, seed: 1), among: x, k: 3) }
            .contains("(reference)"))
        // Finite but so large that squared distances overflow to +∞ (which reads as "no neighbour").
        let huge = Self.points(2e19, row: 12, column: 1, columns: columns)
        #expect(Self.message { _ = try NearestNeighbours.exact(huge, k: 3) }.contains("too spread out for float32 distances"))
        // Large but safe values still work.
        #expect(throws: Never.self) { _ = try NearestNeighbours.exact(Self.points(1e15, row: 12, column: 1, columns: columns), k: 3) }
    }

    @Test("metrics and DBSCAN refuse non-finite maps (automatic ε used to read distances[-1])")
    func metrics() {
        let map = Self.points(.nan, row: 12, column: 1, columns: 2)
        #expect(Self.message { _ = try DBSCAN.automaticEpsilon(map, minPoints: 5) }.hasSuffix("row 12, column 1 (0-based) is nan; the values must be finite numbers (map)"))
        #expect(Self.message { _ = try DBSCAN(epsilon: 1, minPoints: 5).fit(map) }.contains("(map)"))
        #expect(Self.message { _ = try KNNDistanceScore.scores(map, k: 3) }.contains("is nan"))
        #expect(Self.message { _ = try LocalOutlierFactor.scores(map, k: 3) }.contains("is nan"))
        #expect(Self.message {
            _ = try NeighbourhoodPreservation.measure(input: randomMatrix(40, 5, seed: 1), projection: map, k: 3)
        }.contains("(projection)"))
        #expect(Self.message { _ = try Procrustes.align(map, onto: randomMatrix(40, 2, seed: 1)) }.contains("(moving)"))
        // Coincident far outliers: the selection finds nothing below +∞ and must not read slot −1.
        let selection = NearestSelection(k: 2)
        var row: [Float] = [.infinity, .infinity, .infinity]
        row.withUnsafeMutableBufferPointer { selection.select($0.baseAddress!, count: 3) }
        #expect(selection.farthest == .infinity)
    }

    @Test("FFT interpolation refuses a non-finite or huge map before making its grid")
    func fftGrid() {
        let fft = FFTRepulsion()
        let nan = Embedding(count: 3, dimensions: 2, coordinates: [0, 0, 1, .nan, 2, 2])
        #expect(Self.message { try fft.requireGrid(for: nan) }.contains("not finite"))
        let far = Embedding(count: 2, dimensions: 2, coordinates: [0, 0, 1e30, 1e30])
        #expect(Self.message { try fft.requireGrid(for: far) }.contains("would need"))
        let wide = Embedding(count: 2, dimensions: 2, coordinates: [0, 0, 5e5, 1])
        #expect(Self.message { try fft.requireGrid(for: wide) }.contains("would need"))
        #expect(throws: Never.self) { try fft.requireGrid(for: Embedding(count: 2, dimensions: 2, coordinates: [0, 0, 30, 30])) }
        // Through the optimiser: a given initialisation 10⁶ units wide.
        var p = TSNEParameters()
        p.perplexity = 5
        p.iterations = 3
        p.method = .fft
        var start = randomMatrix(40, 2, seed: 5)
        start[0, 0] = 1e6
        #expect(Self.message { _ = try TSNE(p).fit(randomMatrix(40, 5, seed: 1), initialization: .given(start)) }
            .contains("FFT interpolation over a map spanning"))
    }

    @Test("a PCA accumulator over 10⁸ columns is refused before it allocates 80 PB")
    func covarianceBudget() {
        #expect(Self.message { _ = try CovarianceAccumulator(dimension: 100_000_000) }.contains("would need"))
        #expect(Self.message { _ = try CovarianceAccumulator(dimension: Int.max / 2) }.contains("would need"))
        #expect(throws: Never.self) { _ = try CovarianceAccumulator(dimension: 10) }
    }
}
