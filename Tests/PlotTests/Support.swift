import CCairo
import Foundation
import Linalg
@testable import Plot

/// Synthetic embeddings shaped like the study's: ten digit clusters of uneven sizes, plus injected
/// noise points (highlighted) of which most form their own "noise" class near the centre and the
/// rest are predicted as a digit and scattered around that digit's cluster.
struct SampleEmbedding {
    var points: Matrix
    /// Predicted class per point: 0…9 digits, 10 noise.
    var labels: [Int]
    var isNoise: [Bool]

    static let classNames = (0...9).map(String.init) + ["noise"]

    init(count: Int, dimensions: Int, noiseFraction: Double = 0.1, spread: Double = 1, seed: UInt64 = 7) {
        var random = SeededGenerator(seed: seed)
        let centres: [[Double]] = (0..<10).map { c in
            let angle = Double(c) * 2 * .pi / 10
            let height = dimensions == 3 ? (c % 2 == 0 ? 14.0 : -14.0) : 0
            return [30 * cos(angle), 30 * sin(angle), height].prefix(dimensions).map { $0 }
        }
        let sigmas = (0..<10).map { 2.5 + Double($0 % 4) * 0.8 }
        var storage: [Float] = []
        storage.reserveCapacity(count * dimensions)
        var labels: [Int] = []
        var isNoise: [Bool] = []
        for _ in 0..<count {
            let noise = random.nextUnitDouble() < noiseFraction
            var label = Int(pow(random.nextUnitDouble(), 1.15) * 10)  // uneven class sizes
            var centre = centres[label], sigma = sigmas[label] * spread
            if noise {
                if random.nextUnitDouble() < 0.6 {
                    label = 10
                    centre = [Double](repeating: 0, count: dimensions)
                    sigma = 6
                } else {
                    sigma *= 2.5
                }
            }
            for k in 0..<dimensions { storage.append(Float(centre[k] + sigma * random.normal())) }
            labels.append(label)
            isNoise.append(noise)
        }
        points = Matrix(rows: count, columns: dimensions, storage: storage)
        self.labels = labels
        self.isNoise = isNoise
    }
}

/// `count` 28×28 images: digits rendered in DejaVu Sans Bold with a little jitter, every
/// `noiseEvery`-th one uniform noise (like the study's injected images). Returns pixels and labels
/// (10 for noise).
func sampleImages(count: Int, noiseEvery: Int = 7, seed: UInt64 = 3) -> (pixels: [UInt8], labels: [Int]) {
    var random = SeededGenerator(seed: seed)
    var pixels: [UInt8] = []
    var labels: [Int] = []
    for i in 0..<count {
        if noiseEvery > 0 && i % noiseEvery == noiseEvery - 1 {
            pixels += (0..<784).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            labels.append(10)
            continue
        }
        let digit = i % 10
        let surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 28, 28)!
        let context = cairo_create(surface)!
        cairo_select_font_face(context, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD)
        cairo_set_font_size(context, 22)
        cairo_translate(context, 14 + (random.nextUnitDouble() - 0.5) * 3, 14)
        cairo_rotate(context, (random.nextUnitDouble() - 0.5) * 0.4)
        cairo_move_to(context, -7, 8)
        cairo_show_text(context, String(digit))
        cairo_destroy(context)
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        for row in 0..<28 {
            for column in 0..<28 { pixels.append(data[row * stride + column]) }
        }
        cairo_surface_destroy(surface)
        labels.append(digit)
    }
    return (pixels, labels)
}
