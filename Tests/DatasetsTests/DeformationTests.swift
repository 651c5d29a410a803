@testable import Datasets
import Foundation
import Linalg
import TestSupport
import Testing

@Suite struct DeformationTests {
    /// `count` random 28×28 images with labels 0–9 in turn.
    func randomImages(_ count: Int, seed: UInt64) -> LabeledImages {
        var rng = SeededGenerator(seed: seed)
        return LabeledImages(images: (0..<(count * 784)).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) },
                             labels: (0..<count).map { UInt8($0 % 10) }, height: 28, width: 28)
    }

    /// Ranges of zero: nothing moves.
    var noDeformation: DeformationParameters {
        var p = DeformationParameters()
        (p.maximumRotation, p.maximumScaleChange, p.maximumShear, p.maximumTranslation, p.elasticAlpha) = (0, 0, 0, 0, 0)
        return p
    }

    @Test("same seed and index → the same bytes; another index or seed → other bytes")
    func deterministic() throws {
        let source = randomImages(7, seed: 3)
        let p = DeformationParameters()
        let a = try Deformations.generate(from: source, indices: 0..<20, parameters: p, seed: 5)
        let b = try Deformations.generate(from: source, indices: 0..<20, parameters: p, seed: 5)
        #expect(a.images == b.images && a.labels == b.labels)
        #expect(Deformation.random(p, seed: 5, index: 3, height: 28, width: 28) == Deformation.random(p, seed: 5, index: 3, height: 28, width: 28))
        // Index 0 and index 7 deform the same source image, differently.
        #expect(a.image(0) != a.image(7))
        let other = try Deformations.generate(from: source, indices: 0..<20, parameters: p, seed: 6)
        #expect((0..<20).allSatisfy { other.image($0) != a.image($0) })
        // Labels follow the source image: i mod 7.
        #expect(a.labels == (0..<20).map { source.labels[$0 % 7] })
    }

    @Test("a set made in two ranges equals the set made at once (each image depends on (seed, index) only)")
    func rangesConcatenate() throws {
        let source = randomImages(5, seed: 8)
        let whole = try Deformations.generate(from: source, indices: 0..<40, parameters: DeformationParameters(), seed: 1)
        let head = try Deformations.generate(from: source, indices: 0..<17, parameters: DeformationParameters(), seed: 1)
        let tail = try Deformations.generate(from: source, indices: 17..<40, parameters: DeformationParameters(), seed: 1)
        #expect(head.images + tail.images == whole.images && head.labels + tail.labels == whole.labels)
    }

    @Test("pixels stay in 0…max(source): bilinear weights are convex, zero outside the image")
    func pixelRange() throws {
        // Source pixels in 0…200: any output above 200 would be an overshoot.
        var rng = SeededGenerator(seed: 11)
        let source = LabeledImages(images: (0..<(30 * 784)).map { _ in UInt8(rng.next() % 201) }, labels: [UInt8](repeating: 1, count: 30),
                                   height: 28, width: 28)
        var strong = DeformationParameters()
        (strong.maximumRotation, strong.maximumScaleChange, strong.maximumShear, strong.maximumTranslation, strong.elasticAlpha) = (40, 0.5, 0.8, 6, 80)
        for p in [DeformationParameters(), strong] {
            let out = try Deformations.generate(from: source, indices: 0..<300, parameters: p, seed: 2)
            #expect(out.images.max()! <= 200)
        }
        // A white image stays white where the sample falls inside the image (the middle, for small moves).
        let white = LabeledImages(images: [UInt8](repeating: 255, count: 784), labels: [0], height: 28, width: 28)
        var mild = DeformationParameters()
        (mild.maximumRotation, mild.maximumTranslation, mild.elasticAlpha) = (5, 1, 0)
        let out = try Deformations.generate(from: white, indices: 0..<10, parameters: mild, seed: 4)
        #expect((0..<10).allSatisfy { i in (10..<18).allSatisfy { y in (10..<18).allSatisfy { x in out.images[i * 784 + y * 28 + x] == 255 } } })
    }

    @Test("the identity parameters reproduce the input exactly")
    func identity() throws {
        let source = randomImages(6, seed: 9)
        let out = try Deformations.generate(from: source, indices: 0..<15, parameters: noDeformation, seed: 3)
        #expect(out.images == (0..<15).flatMap { Array(source.image($0 % 6)) })
        #expect(Deformation.identity.apply(to: Array(source.image(2)), height: 28, width: 28) == Array(source.image(2)))
    }

    @Test("a translation by whole pixels shifts exactly, zero fills in (hand case)")
    func wholePixelTranslation() {
        // 3 rows × 4 columns; t = (+1 column, +1 row): output(x, y) = source(x − 1, y − 1).
        let source: [UInt8] = [1, 2, 3, 4,
                               5, 6, 7, 8,
                               9, 10, 11, 12]
        let shifted = Deformation(translationX: 1, translationY: 1).apply(to: source, height: 3, width: 4)
        #expect(shifted == [0, 0, 0, 0,
                            0, 1, 2, 3,
                            0, 5, 6, 7])
        let back = Deformation(translationX: -2, translationY: 0).apply(to: source, height: 3, width: 4)
        #expect(back == [3, 4, 0, 0,
                         7, 8, 0, 0,
                         11, 12, 0, 0])
    }

    @Test("a rotation by +90° turns the image clockwise on screen (rows grow downwards; hand case)")
    func quarterTurn() {
        // cos(π/2) ≈ 6e-17: the samples sit 1e-16 px off the pixels, which rounding absorbs.
        let source: [UInt8] = [1, 2, 3,
                               4, 5, 6,
                               7, 8, 9]
        #expect(Deformation(rotation: Double.pi / 2).apply(to: source, height: 3, width: 3) == [7, 4, 1,
                                                                                                8, 5, 2,
                                                                                                9, 6, 3])
    }

    @Test("half-pixel translation averages neighbours (bilinear), rounding half away from zero")
    func halfPixel() {
        let source: [UInt8] = [10, 21, 40]
        // output(x) = (source(x − 0.5) ) = (source(x−1) + source(x)) / 2, zero left of the image.
        #expect(Deformation(translationX: 0.5).apply(to: source, height: 1, width: 3) == [5, 16, 31])
    }

    @Test("the Gaussian kernel sums to 1 and spans ±⌈3σ⌉; smoothing keeps a constant field constant away from the border")
    func smoothing() {
        for sigma in [1.0, 4.0, 5.5] {
            let kernel = Deformation.gaussianKernel(sigma: sigma)
            #expect(kernel.count == 2 * Int((3 * sigma).rounded(.up)) + 1)
            // 2r + 1 float32 roundings of terms ≤ 1 and their sum: well under 1e-5.
            #expect(abs(kernel.reduce(0, +) - 1) < 1e-5)
            #expect(kernel.first! == kernel.last! && kernel[kernel.count / 2] == kernel.max()!)
        }
        let (h, w) = (40, 40), kernel = Deformation.gaussianKernel(sigma: 2)  // radius 6
        var field = [Float](repeating: 0.5, count: h * w)
        Deformation.smooth(&field, height: h, width: w, kernel: kernel, scale: 3)
        // Interior (≥ 6 from every edge): 1.5 · (sum of weights)², two passes of 13 float32 products each.
        for y in 6..<(h - 6) { for x in 6..<(w - 6) { #expect(abs(field[y * w + x] - 1.5) < 1e-5) } }
        // The corner sees a quarter of the kernel in each pass: about 1.5 · (1/2 + w₀/2)², well below 1.5.
        #expect(field[0] < 0.6)
    }

    @Test("the elastic field's size follows α and σ: displacements RMS ≈ α · √(1/3) · Σ wₖ² in the interior")
    func elasticMagnitude() {
        // For i.i.d. uniform(−1, 1) (variance 1/3) and a separable kernel w, an interior value of the
        // smoothed field has variance (1/3)·(Σ wₖ²)². One central pixel per field (σ = 2, radius 6:
        // pixel (13, 13) sees the whole kernel), 2,000 images × 2 independent axes = 4,000 samples of a
        // near-Gaussian variable: the sample variance's standard error is √(2/4000) ≈ 2.2%, so 3 of
        // them bound the RMS's relative error by ≈ 3.4% (tolerance 4%).
        var p = DeformationParameters()
        (p.maximumRotation, p.maximumScaleChange, p.maximumShear, p.maximumTranslation, p.elasticAlpha, p.elasticSigma) = (0, 0, 0, 0, 10, 2)
        let kernel = Deformation.gaussianKernel(sigma: 2).map(Double.init)
        let expected = 10 * (1.0 / 3).squareRoot() * kernel.map { $0 * $0 }.reduce(0, +)
        var sum = 0.0, n = 0
        for index in 0..<2_000 {
            let d = Deformation.random(p, seed: 1, index: index, height: 28, width: 28)
            for v in [d.displacementX[13 * 28 + 13], d.displacementY[13 * 28 + 13]] {
                sum += Double(v) * Double(v)
                n += 1
            }
        }
        let rms = (sum / Double(n)).squareRoot()
        #expect(abs(rms / expected - 1) < 0.04, "RMS \(rms), expected \(expected)")
    }

    @Test("ranges no deformation can use are refused, naming the parameter")
    func validation() {
        var p = DeformationParameters()
        p.elasticSigma = 0
        #expect(errorMessage { try p.validate() }?.contains("elasticSigma") == true)
        p = DeformationParameters()
        p.maximumScaleChange = 1
        #expect(errorMessage { try p.validate() }?.contains("maximumScaleChange") == true)
        p = DeformationParameters()
        p.maximumRotation = .nan
        #expect(errorMessage { _ = try Deformations.generate(from: randomImages(1, seed: 1), indices: 0..<1, parameters: p, seed: 0) }?
            .contains("maximumRotation") == true)
    }
}
