import Foundation
import Linalg

/// Grey images with one label each: the data contract between datasets and models.
public struct LabeledImages: Sendable {
    /// `count × height × width` pixels, row-major, 0…255.
    public var images: [UInt8]
    /// One label per image.
    public var labels: [UInt8]
    public var height: Int
    public var width: Int

    public var count: Int { labels.count }
    public var pixelsPerImage: Int { height * width }

    public init(images: [UInt8], labels: [UInt8], height: Int, width: Int) {
        precondition(images.count == labels.count * height * width, "images and labels disagree")
        self.images = images
        self.labels = labels
        self.height = height
        self.width = width
    }

    /// The pixels of image `i`.
    public func image(_ i: Int) -> ArraySlice<UInt8> {
        images[(i * pixelsPerImage)..<((i + 1) * pixelsPerImage)]
    }

    /// The images at `indices`, in that order.
    public func subset<C: Collection>(_ indices: C) -> LabeledImages where C.Element == Int {
        var images = [UInt8]()
        images.reserveCapacity(indices.count * pixelsPerImage)
        for i in indices { images.append(contentsOf: image(i)) }
        return LabeledImages(images: images, labels: indices.map { labels[$0] }, height: height, width: width)
    }

    /// How many images carry each label (index = label).
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: Int(labels.max() ?? 0) + 1)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }

    /// Pixels divided by `scale` (255 for the tutorial's model), as an `N × (height·width)` matrix.
    public func pixelMatrix(scale: Float = 255) -> Matrix {
        let inverse = 1 / scale
        return Matrix(rows: count, columns: pixelsPerImage, storage: images.map { Float($0) * inverse })
    }
}

/// The MNIST files: names, published checksums, and a loader for any directory in that layout.
public enum MNIST {
    public enum Split: String, Sendable, CaseIterable {
        case train, test

        public var imagesFile: String { self == .train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte" }
        public var labelsFile: String { self == .train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte" }
    }

    /// Where `make data` puts the files (relative to the working directory).
    public static let defaultDirectory = "data/mnist"

    /// MD5 of each uncompressed file as published with the dataset.
    public static let checksums: [String: String] = [
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    ]

    /// The path of `name` in `directory`: the plain file if present, else `name.gz`.
    public static func path(of name: String, in directory: String) throws -> String {
        let plain = (directory as NSString).appendingPathComponent(name)
        for candidate in [plain, plain + ".gz"] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw EmbedVizError.input(
            "\(name) (or \(name).gz) not found; run `make data` for MNIST, or point \(parameter: "directory", of: "MNIST") at a directory in the MNIST file layout",
            at: directory)
    }

    /// Loads one split from a directory in the MNIST layout (plain or `.gz` files).
    ///
    /// Checks that the images are a 3-D uint8 IDX array, the labels a 1-D uint8 array of the same
    /// length with values 0–9. Checksums are not verified here (any dataset of this shape loads);
    /// `verifyChecksums` does that for MNIST itself.
    public static func load(_ split: Split, from directory: String = defaultDirectory) throws -> LabeledImages {
        let imagesPath = try path(of: split.imagesFile, in: directory)
        let labelsPath = try path(of: split.labelsFile, in: directory)
        let images = try IDXArray.read(imagesPath)
        let labels = try IDXArray.read(labelsPath)
        guard images.elementType == .uint8, images.dimensions.count == 3 else {
            throw EmbedVizError.input(
                "expected uint8 images of shape N×height×width, found \(images.elementType) \(images.dimensions.map(String.init).joined(separator: "×"))",
                at: imagesPath)
        }
        guard labels.elementType == .uint8, labels.dimensions.count == 1 else {
            throw EmbedVizError.input("expected a 1-D uint8 label array, found \(labels.elementType) with \(labels.dimensions.count) dimensions",
                                      at: labelsPath)
        }
        guard labels.dimensions[0] == images.dimensions[0] else {
            throw EmbedVizError.input("\(labels.dimensions[0]) labels for \(images.dimensions[0]) images", at: labelsPath)
        }
        if let bad = labels.payload.firstIndex(where: { $0 > 9 }) {
            throw EmbedVizError.input("label \(labels.payload[bad]) at index \(bad) is outside 0…9", at: labelsPath)
        }
        return LabeledImages(images: images.payload, labels: labels.payload,
                             height: images.dimensions[1], width: images.dimensions[2])
    }

    /// Compares the MD5 of each of the four files (uncompressed) with the published checksum.
    /// - Returns: file name → whether it matches; files that are absent are reported as `false`.
    public static func verifyChecksums(in directory: String = defaultDirectory) -> [String: Bool] {
        var result: [String: Bool] = [:]
        for (name, expected) in checksums {
            guard let path = try? path(of: name, in: directory), let bytes = try? InputFile.readAll(path) else {
                result[name] = false
                continue
            }
            result[name] = MD5.hex(bytes) == expected
        }
        return result
    }
}
