import Foundation
import Linalg

// Random deformations of small grey images: the distortions that make MNIST's 60,000 training
// digits into millions of plausible new ones (Simard, Steinkraus & Platt 2003, "Best practices for
// convolutional neural networks applied to visual document analysis"; Loosli, Canu & Bottou 2007,
// "Training invariant support vector machines using selective sampling" — infiMNIST / MNIST8M).
//
// Output pixel p = (x, y) (column, row) takes its value from the source image at
//
//     s = c + A⁻¹ (p − c − t) + α · (G_σ ∗ u)(p)
//
// c the image centre ((w−1)/2, (h−1)/2), A = R(θ) · Sh(k) · scale the affine part (rotation θ,
// horizontal shear x' = x + k·y, isotropic scale), t the translation in pixels, and u a field of
// independent uniform(−1, 1) displacements (one per pixel and axis) smoothed by a normalised Gaussian
// of σ pixels (truncated at 3σ, zero outside the image) and scaled by α (Simard: σ = 4, α = 34).
// Bilinear interpolation, zero (background) outside the source, rounded to the nearest 0…255.
// With θ = 0, k = 0, scale 1, t = 0 and α = 0 every s is an integer pixel: the identity, bit for bit.

/// The ranges the random deformations are drawn from (each uniformly, independently per image).
public struct DeformationParameters: Sendable, Codable, Equatable {
    /// Largest rotation in degrees: θ uniform in ±this.
    public var maximumRotation = 12.0
    /// Largest relative change of size: scale uniform in 1 ± this (both axes alike).
    public var maximumScaleChange = 0.12
    /// Largest horizontal shear factor k (x' = x + k·y): uniform in ±this.
    public var maximumShear = 0.2
    /// Largest translation per axis in pixels: uniform in ±this.
    public var maximumTranslation = 2.0
    /// Strength of the elastic distortion α, pixels per unit of the smoothed field (Simard: 34; 0: none).
    public var elasticAlpha = 34.0
    /// Smoothness of the elastic distortion σ, pixels (Simard: 4).
    public var elasticSigma = 4.0

    public init() {}

    /// Throws `EmbedVizError.input` (naming the parameter) for a value no deformation can use:
    /// non-finite or negative ranges, a scale change of 1 or more (a non-positive scale), σ ≤ 0.
    public func validate() throws(EmbedVizError) {
        func require(_ ok: Bool, _ text: EmbedVizError.Text) throws(EmbedVizError) {
            if !ok { throw EmbedVizError.input(text) }
        }
        try require(maximumRotation.isFinite && maximumRotation >= 0,
                    "\(parameter: "maximumRotation", of: "DeformationParameters") must be a finite number of degrees ≥ 0, got \(maximumRotation)")
        try require(maximumScaleChange.isFinite && maximumScaleChange >= 0 && maximumScaleChange < 1,
                    "\(parameter: "maximumScaleChange", of: "DeformationParameters") must be in [0, 1), got \(maximumScaleChange)")
        try require(maximumShear.isFinite && maximumShear >= 0,
                    "\(parameter: "maximumShear", of: "DeformationParameters") must be a finite number ≥ 0, got \(maximumShear)")
        try require(maximumTranslation.isFinite && maximumTranslation >= 0,
                    "\(parameter: "maximumTranslation", of: "DeformationParameters") must be a finite number of pixels ≥ 0, got \(maximumTranslation)")
        try require(elasticAlpha.isFinite && elasticAlpha >= 0,
                    "\(parameter: "elasticAlpha", of: "DeformationParameters") must be a finite number ≥ 0, got \(elasticAlpha)")
        try require(elasticSigma.isFinite && elasticSigma > 0 && elasticSigma <= 1_000,
                    "\(parameter: "elasticSigma", of: "DeformationParameters") must be a number of pixels in (0, 1000], got \(elasticSigma)")
    }
}

/// One drawn deformation of an `height × width` image: the affine part and the elastic
/// displacement field (in pixels, already smoothed and scaled by α).
public struct Deformation: Sendable, Equatable {
    /// Rotation θ in radians (counter-clockwise on screen is negative: rows grow downwards).
    public var rotation: Double
    /// Isotropic scale (> 0).
    public var scale: Double
    /// Horizontal shear factor k.
    public var shear: Double
    /// Translation in pixels (columns, rows).
    public var translationX: Double
    public var translationY: Double
    /// Elastic displacement per output pixel (`height × width`, row-major), pixels; empty for none.
    public var displacementX: [Float]
    public var displacementY: [Float]

    public init(rotation: Double = 0, scale: Double = 1, shear: Double = 0, translationX: Double = 0, translationY: Double = 0,
                displacementX: [Float] = [], displacementY: [Float] = []) {
        precondition(scale > 0 && scale.isFinite, "the scale must be a finite number > 0")
        precondition(displacementX.count == displacementY.count, "the displacement fields differ in size")
        self.rotation = rotation
        self.scale = scale
        self.shear = shear
        self.translationX = translationX
        self.translationY = translationY
        self.displacementX = displacementX
        self.displacementY = displacementY
    }

    /// The deformation that changes nothing.
    public static let identity = Deformation()

    /// The seed of image `index`'s own generator: every image's deformation depends on (seed,
    /// index) only, so any range of indices can be made separately, on any number of threads or
    /// machines, with the same bytes.
    public static func imageSeed(_ seed: UInt64, index: Int) -> UInt64 {
        // SplitMix64's finaliser of the index, added to the seed (SeededGenerator mixes the sum again).
        var z = UInt64(truncatingIfNeeded: index) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return seed &+ (z ^ (z >> 31))
    }

    /// Draws image `index`'s deformation for `seed` from the ranges of `parameters` (call
    /// `parameters.validate()` first): θ, scale, k, t_x, t_y, then the two fields' uniforms.
    public static func random(_ parameters: DeformationParameters, seed: UInt64, index: Int, height: Int, width: Int) -> Deformation {
        var rng = SeededGenerator(seed: imageSeed(seed, index: index))
        func symmetric(_ limit: Double) -> Double { limit * (2 * rng.nextUnitDouble() - 1) }
        let rotation = symmetric(parameters.maximumRotation) * Double.pi / 180
        let scale = 1 + symmetric(parameters.maximumScaleChange)
        let shear = symmetric(parameters.maximumShear)
        let tx = symmetric(parameters.maximumTranslation), ty = symmetric(parameters.maximumTranslation)
        guard parameters.elasticAlpha > 0 else {
            return Deformation(rotation: rotation, scale: scale, shear: shear, translationX: tx, translationY: ty)
        }
        let n = height * width
        var fx = [Float](repeating: 0, count: n), fy = [Float](repeating: 0, count: n)
        for i in 0..<n { fx[i] = 2 * rng.nextUnitFloat() - 1 }
        for i in 0..<n { fy[i] = 2 * rng.nextUnitFloat() - 1 }
        let kernel = gaussianKernel(sigma: parameters.elasticSigma), alpha = Float(parameters.elasticAlpha)
        smooth(&fx, height: height, width: width, kernel: kernel, scale: alpha)
        smooth(&fy, height: height, width: width, kernel: kernel, scale: alpha)
        return Deformation(rotation: rotation, scale: scale, shear: shear, translationX: tx, translationY: ty,
                           displacementX: fx, displacementY: fy)
    }

    /// Deforms one `height × width` image (`source`, 0…255) into `output` (same size).
    public func apply(_ source: UnsafeBufferPointer<UInt8>, height: Int, width: Int, into output: UnsafeMutableBufferPointer<UInt8>) {
        let n = height * width
        precondition(source.count >= n && output.count >= n, "the image buffers hold fewer than \(height)×\(width) pixels")
        precondition(displacementX.isEmpty || displacementX.count == n, "the displacement field is not \(height)×\(width)")
        // A⁻¹ = (1/scale) · Sh(k)⁻¹ · R(θ)⁻¹ = (1/scale) · [[c + k·s, s − k·c], [−s, c]].
        let c = cos(rotation), s = sin(rotation), k = shear, inverseScale = 1 / scale
        let a00 = (c + k * s) * inverseScale, a01 = (s - k * c) * inverseScale
        let a10 = -s * inverseScale, a11 = c * inverseScale
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        let elastic = !displacementX.isEmpty
        // Pixel (x, y) of the source, zero outside it.
        @inline(__always) func pixel(_ x: Int, _ y: Int) -> Double {
            (x >= 0 && x < width && y >= 0 && y < height) ? Double(source[y * width + x]) : 0
        }
        displacementX.withUnsafeBufferPointer { ex in
            displacementY.withUnsafeBufferPointer { ey in
                for y in 0..<height {
                    let dy = Double(y) - cy - translationY
                    for x in 0..<width {
                        let p = y * width + x
                        let dx = Double(x) - cx - translationX
                        var sx = cx + a00 * dx + a01 * dy, sy = cy + a10 * dx + a11 * dy
                        if elastic {
                            sx += Double(ex[p])
                            sy += Double(ey[p])
                        }
                        let x0 = sx.rounded(.down), y0 = sy.rounded(.down)
                        let wx = sx - x0, wy = sy - y0
                        // Far outside (or not a number): background. Keeps the Int conversion safe.
                        guard x0 > -2, x0 < Double(width), y0 > -2, y0 < Double(height) else {
                            output[p] = 0
                            continue
                        }
                        let ix = Int(x0), iy = Int(y0)
                        let top = (1 - wx) * pixel(ix, iy) + wx * pixel(ix + 1, iy)
                        let bottom = (1 - wx) * pixel(ix, iy + 1) + wx * pixel(ix + 1, iy + 1)
                        let value = (1 - wy) * top + wy * bottom
                        output[p] = UInt8(min(255, max(0, value)) + 0.5)  // value ≥ 0: rounds half up, as .rounded() would
                    }
                }
            }
        }
    }

    /// The deformed copy of one image given as an array.
    public func apply(to image: [UInt8], height: Int, width: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: height * width)
        image.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { apply(source, height: height, width: width, into: $0) }
        }
        return output
    }

    /// The normalised Gaussian of `sigma` pixels over [−⌈3σ⌉, ⌈3σ⌉] (sums to 1).
    static func gaussianKernel(sigma: Double) -> [Float] {
        let radius = Int((3 * sigma).rounded(.up))
        let weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        return weights.map { Float($0 / total) }
    }

    /// `field` (height × width) convolved with the separable `kernel` (odd length) along rows, then
    /// columns, and multiplied by `scale`; zero outside the image. Each pass runs tap by tap over
    /// a zero-padded copy, so the inner loop is a contiguous multiply-add over a row that the
    /// compiler vectorises (a sum per pixel over the taps would be one serial dependency chain).
    static func smooth(_ field: inout [Float], height: Int, width: Int, kernel: [Float], scale: Float = 1) {
        let r = kernel.count / 2, paddedWidth = width + 2 * r
        var padded = [Float](repeating: 0, count: height * paddedWidth)  // rows padded left and right
        var rows = [Float](repeating: 0, count: (height + 2 * r) * width)  // the row pass, padded above and below
        kernel.withUnsafeBufferPointer { k in
            padded.withUnsafeMutableBufferPointer { p in
                rows.withUnsafeMutableBufferPointer { q in
                    field.withUnsafeMutableBufferPointer { f in
                        for y in 0..<height {
                            for x in 0..<width { p[y * paddedWidth + r + x] = f[y * width + x] }
                        }
                        for y in 0..<height {
                            let out = q.baseAddress! + (y + r) * width, row = p.baseAddress! + y * paddedWidth
                            for t in 0..<k.count {
                                let w = k[t]
                                for x in 0..<width { out[x] += w * row[x + t] }
                            }
                        }
                        for i in 0..<(height * width) { f[i] = 0 }
                        for y in 0..<height {
                            let out = f.baseAddress! + y * width
                            for t in 0..<k.count {
                                let w = k[t], row = q.baseAddress! + (y + t) * width
                                for x in 0..<width { out[x] += w * row[x] }
                            }
                            for x in 0..<width { out[x] *= scale }
                        }
                    }
                }
            }
        }
    }
}

/// A set of deformed images made from a smaller labelled set.
public enum Deformations {
    /// Which source image deformed image `index` is made from: `index mod sourceCount` (the
    /// source set is walked again and again, each pass with fresh deformations).
    public static func sourceIndex(of index: Int, sourceCount: Int) -> Int { index % sourceCount }

    /// The deformed images `indices` of `source`: image i is `source[i mod N]` deformed by
    /// `Deformation.random(parameters, seed: seed, index: i)`, with that image's label. The result
    /// depends only on the source, the parameters, the seed and the indices (not on threads).
    ///
    /// The images are made in blocks, each spread over `Threads.count` threads; after each block
    /// `progress(imagesDone)` is called on the calling thread (it may throw to stop: a stop request).
    public static func generate(from source: LabeledImages, indices: Range<Int>, parameters: DeformationParameters,
                                seed: UInt64, progress: (Int) throws -> Void = { _ in }) throws -> LabeledImages {
        try parameters.validate()
        guard source.count > 0 else { throw EmbedVizError.input("there are no images to deform") }
        guard indices.lowerBound >= 0 else { throw EmbedVizError.input("image indices start at 0, got \(indices.lowerBound)") }
        let (h, w) = (source.height, source.width), size = source.pixelsPerImage
        try MemoryBudget.check(checkedProduct(indices.count, size), for: "\(indices.count) deformed \(h)×\(w) images",
                               alternative: "make fewer at a time")
        var images = [UInt8](repeating: 0, count: indices.count * size)
        let labels = indices.map { source.labels[sourceIndex(of: $0, sourceCount: source.count)] }
        let block = 16_384
        try source.images.withUnsafeBufferPointer { pixels in
            try images.withUnsafeMutableBufferPointer { out in
                let target = UncheckedSendable(out)
                var done = 0
                while done < indices.count {
                    let part = done..<min(done + block, indices.count)
                    Threads.parallelFor(part.count, minimumChunk: 64) { range in
                        for r in range {
                            let row = part.lowerBound + r, index = indices.lowerBound + row
                            let from = sourceIndex(of: index, sourceCount: source.count) * size
                            let deformation = Deformation.random(parameters, seed: seed, index: index, height: h, width: w)
                            deformation.apply(UnsafeBufferPointer(rebasing: pixels[from..<(from + size)]), height: h, width: w,
                                              into: UnsafeMutableBufferPointer(rebasing: target.value[(row * size)..<((row + 1) * size)]))
                        }
                    }
                    done = part.upperBound
                    try progress(done)
                }
            }
        }
        return LabeledImages(images: images, labels: labels, height: h, width: w)
    }
}
