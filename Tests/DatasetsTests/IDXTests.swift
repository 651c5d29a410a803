@testable import Datasets
import Foundation
import Linalg
import TestSupport
import Testing

@Suite struct IDXTests {
    @Test("reads NumPy-made IDX fixtures, plain and gzip, every element type converted")
    func fixtures() throws {
        for name in ["u8.idx", "u8.idx.gz"] {
            let a = try IDXArray.read(fixture(name))
            #expect(a.elementType == .uint8 && a.dimensions == [2, 3, 2])
            #expect(a.payload == (0..<12).map(UInt8.init))
        }
        let i16 = try IDXArray.read(fixture("i16.idx"))
        #expect(i16.elementType == .int16 && i16.floatValues() == [-3, -2, -1])
        let f64 = try IDXArray.read(fixture("f64.idx"))
        #expect(f64.floatValues() == [-3, -2.5, -2, -1.5])
    }

    @Test("serialize and parse round-trip")
    func roundTrip() throws {
        let a = IDXArray(elementType: .int32, dimensions: [2, 2], payload: [0, 0, 0, 1, 0, 0, 0, 2, 255, 255, 255, 255, 0, 0, 1, 0])
        let b = try IDXArray.parse(a.serialized())
        #expect(b.dimensions == [2, 2] && b.floatValues() == [1, 2, -1, 256])
    }

    @Test("bad headers are rejected with errors that say what is wrong",
          arguments: [
            ([UInt8]([0, 0]), "shorter than the 4-byte header"),
            ([1, 0, 8, 1, 0, 0, 0, 1, 5], "an IDX file starts with 0x00 0x00"),
            ([0, 0, 0x07, 1, 0, 0, 0, 1, 5], "unknown IDX element type 0x07"),
            ([0, 0, 8, 0], "announces 0 dimensions"),
            ([0, 0, 8, 3, 0, 0, 0, 2], "truncated IDX header: 3 dimensions announced, 1 present"),
            ([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3], "truncated: the header promises 2×3 uint8 elements (6 bytes of data), the file has 3"),
            ([0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3], "trailing bytes after the 2 uint8 elements"),
            ([0, 0, 0x0E, 4, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255], "more data than any real file holds"),
          ])
    func badHeaders(_ c: ([UInt8], String)) {
        let message = errorMessage { _ = try IDXArray.parse(c.0, source: "x.idx") }
        #expect(message?.contains(c.1) == true, "\(message ?? "no error")")
        #expect(message?.hasSuffix("(x.idx)") == true)
    }

    @Test("a truncated gzip file is an error naming the file, not a short read")
    func truncatedGzip() throws {
        let dir = scratchDirectory()
        let bytes = try InputFile(path: fixture("u8.idx.gz")).readAll()  // decompressed
        #expect(bytes.count == 28)
        let compressed = try Array(Data(contentsOf: URL(fileURLWithPath: fixture("u8.idx.gz"))))
        let path = dir + "/cut.idx.gz"
        try Data(compressed.prefix(compressed.count - 12)).write(to: URL(fileURLWithPath: path))
        let message = errorMessage { _ = try IDXArray.read(path) }
        #expect(message != nil && message!.contains(path), "\(message ?? "no error")")
    }

    @Test("MD5 of the RFC 1321 test vectors")
    func md5() {
        #expect(MD5.hex([]) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8))
                == "57edf4a22be3c955ac49da2e2107b67a")
        var incremental = MD5()
        for chunk in stride(from: 0, to: 1000, by: 37) {
            incremental.update(Array(repeating: UInt8(ascii: "a"), count: min(37, 1000 - chunk)))
        }
        #expect(incremental.finalizeHex() == MD5.hex(Array(repeating: UInt8(ascii: "a"), count: 1000)))
    }
}

@Suite struct MNISTTests {
    /// `make test` runs `make data` first, so the real files are there.
    static let directory = MNIST.defaultDirectory

    @Test("the real MNIST files load with their shapes and class counts")
    func realData() throws {
        let train = try MNIST.load(.train, from: Self.directory)
        let test = try MNIST.load(.test, from: Self.directory)
        #expect(train.count == 60000 && train.height == 28 && train.width == 28)
        #expect(test.count == 10000)
        #expect(train.classCounts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        #expect(test.classCounts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
        #expect(test.labels.prefix(5) == [7, 2, 1, 0, 4])
    }

    @Test("the real files match the published MD5s")
    func checksums() {
        let result = MNIST.verifyChecksums(in: Self.directory)
        #expect(result.count == 4 && result.values.allSatisfy { $0 })
    }

    @Test("any directory in the MNIST layout loads, gzip files too; checksums are not required")
    func otherDataset() throws {
        let dir = scratchDirectory()
        let images = IDXArray(elementType: .uint8, dimensions: [3, 2, 2], payload: (0..<12).map(UInt8.init))
        let labels = IDXArray(elementType: .uint8, dimensions: [3], payload: [1, 0, 9])
        for split in MNIST.Split.allCases {
            try OutputFile.write(images.serialized(), to: "\(dir)/\(split.imagesFile)")
            try OutputFile.write(labels.serialized(), to: "\(dir)/\(split.labelsFile)")
        }
        #expect(shell("gzip \(dir)/t10k-images-idx3-ubyte").status == 0)
        let loaded = try MNIST.load(.test, from: dir)
        #expect(loaded.count == 3 && loaded.height == 2 && Array(loaded.image(2)) == [8, 9, 10, 11])
        #expect(loaded.classCounts == [1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(MNIST.verifyChecksums(in: dir).values.allSatisfy { !$0 })
    }

    @Test("a missing directory and mismatched labels are clear errors")
    func errors() throws {
        let message = errorMessage { _ = try MNIST.load(.train, from: "/nonexistent/mnist") }
        #expect(message?.contains("run `make data`") == true)
        let dir = scratchDirectory()
        let images = IDXArray(elementType: .uint8, dimensions: [2, 1, 1], payload: [0, 1])
        try OutputFile.write(images.serialized(), to: "\(dir)/train-images-idx3-ubyte")
        try OutputFile.write(IDXArray(elementType: .uint8, dimensions: [3], payload: [1, 2, 3]).serialized(),
                             to: "\(dir)/train-labels-idx1-ubyte")
        #expect(errorMessage { _ = try MNIST.load(.train, from: dir) }?.contains("3 labels for 2 images") == true)
        try OutputFile.write(IDXArray(elementType: .uint8, dimensions: [2], payload: [1, 12]).serialized(),
                             to: "\(dir)/train-labels-idx1-ubyte")
        #expect(errorMessage { _ = try MNIST.load(.train, from: dir) }?.contains("label 12 at index 1 is outside 0…9") == true)
    }
}
