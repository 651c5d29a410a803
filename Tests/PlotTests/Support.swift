import CCairo
import CZlib
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

/// A fresh scratch directory for one test.
func scratchDirectory() -> String {
    let path = NSTemporaryDirectory() + "embedviz-plot-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The chunks of a PNG: (type, data), or nil when the signature is wrong or a chunk is cut off or
/// fails its CRC.
func pngChunks(_ bytes: [UInt8]) -> [(type: String, data: [UInt8])]? {
    guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
    var chunks: [(String, [UInt8])] = []
    var offset = 8
    func uint32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    while offset + 12 <= bytes.count {
        let length = uint32(offset)
        guard offset + 12 + length <= bytes.count else { return nil }
        let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
        let body = Array(bytes[offset + 4..<offset + 8 + length])
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        guard Int(crc) == uint32(offset + 8 + length) else { return nil }
        chunks.append((type, Array(body.dropFirst(4))))
        offset += 12 + length
    }
    return offset == bytes.count ? chunks : nil
}

/// Width and height from a PNG's IHDR.
func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    guard let ihdr = pngChunks(bytes)?.first, ihdr.type == "IHDR", ihdr.data.count == 13 else { return nil }
    func uint32(_ at: Int) -> Int { ihdr.data[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (uint32(0), uint32(4))
}

/// The pixels of a non-interlaced 8-bit PNG (grey, RGB or RGBA; any filter) and its channel count.
func decodePNG(_ bytes: [UInt8]) -> (pixels: [UInt8], width: Int, height: Int, channels: Int)? {
    guard let chunks = pngChunks(bytes), let size = pngSize(bytes) else { return nil }
    let header = chunks[0].data
    guard header[8] == 8, header[12] == 0 else { return nil }
    let channels: Int
    switch header[9] {
    case 0: channels = 1
    case 2: channels = 3
    case 6: channels = 4
    default: return nil
    }
    let compressed = chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
    let rowBytes = size.width * channels
    var length = uLongf(size.height * (rowBytes + 1))
    var raw = [UInt8](repeating: 0, count: Int(length))
    guard uncompress(&raw, &length, compressed, uLong(compressed.count)) == Z_OK,
          Int(length) == raw.count else { return nil }
    var pixels = [UInt8](repeating: 0, count: rowBytes * size.height)
    for row in 0..<size.height {
        let filter = raw[row * (rowBytes + 1)]
        for i in 0..<rowBytes {
            let x = raw[row * (rowBytes + 1) + 1 + i]
            let a = i >= channels ? Int(pixels[row * rowBytes + i - channels]) : 0
            let b = row > 0 ? Int(pixels[(row - 1) * rowBytes + i]) : 0
            let c = i >= channels && row > 0 ? Int(pixels[(row - 1) * rowBytes + i - channels]) : 0
            let predictor: Int
            switch filter {
            case 0: predictor = 0
            case 1: predictor = a
            case 2: predictor = b
            case 3: predictor = (a + b) / 2
            case 4:
                let p = a + b - c
                let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
                predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
            default: return nil
            }
            pixels[row * rowBytes + i] = x &+ UInt8(truncatingIfNeeded: predictor)
        }
    }
    return (pixels, size.width, size.height, channels)
}
