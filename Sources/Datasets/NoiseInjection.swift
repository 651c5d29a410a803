import Linalg

/// The tutorial's outlier experiment: some test images replaced by uniform noise, labelled 10.
public enum NoiseInjection {
    /// The label given to injected noise images.
    public static let noiseLabel: UInt8 = 10

    /// Replaces the images at `count` *distinct* random indices with noise (every pixel uniform in
    /// 0…255) and labels them 10. (The tutorial cast its random indices to uint8, so at most 256
    /// distinct images were really replaced; here `count` distinct images are.)
    /// - Returns: the new dataset and the sorted indices that now hold noise.
    public static func inject(into data: LabeledImages, count: Int, seed: UInt64) throws -> (LabeledImages, [Int]) {
        guard count >= 0, count <= data.count else {
            throw EmbedVizError.input("cannot inject \(count) noise images into \(data.count) images")
        }
        var rng = SeededGenerator(seed: seed)
        let indices = rng.distinctIndices(count, from: data.count).sorted()
        var result = data
        let size = data.pixelsPerImage
        for i in indices {
            for k in 0..<size { result.images[i * size + k] = UInt8(truncatingIfNeeded: rng.next() >> 56) }
            result.labels[i] = noiseLabel
        }
        return (result, indices)
    }
}
