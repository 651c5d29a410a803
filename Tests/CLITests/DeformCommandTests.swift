import Datasets
import Foundation
import TestSupport
import Testing

@Suite struct DeformCommandTests {
    @Test("deform: 100 images in the MNIST layout with their labels, a run record and a preview; same bytes for any --threads and in parts")
    func hundredImages() throws {
        let d = scratchDirectory()
        tinyMNIST(d + "/data", train: 64, test: 10)
        let result = embedviz(["deform", "--data", d + "/data", "--count", "100", "--seed", "3", "--out", d + "/a",
                               "--preview", d + "/a.png", "--threads", "2", "--json", d + "/a.json"])
        #expect(result.status == 0, "\(result.stderr)")
        let images = try IDXArray.read(d + "/a/train-images-idx3-ubyte")
        let labels = try IDXArray.read(d + "/a/train-labels-idx1-ubyte")
        #expect(images.elementType == .uint8 && images.dimensions == [100, 28, 28])
        // tinyMNIST labels image j with j mod 10; deformed image i comes from source image i mod 64.
        #expect(labels.dimensions == [100] && labels.payload == (0..<100).map { UInt8($0 % 64 % 10) })
        let source = try MNIST.load(.train, from: d + "/data")
        #expect(Array(images.payload[0..<784]) != Array(source.image(0)), "image 0 is deformed")
        // The run record says how the set was made.
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/a/deformation.json"))) as! [String: Any]
        #expect(record["count"] as? Int == 100 && record["seed"] as? Int == 3 && record["source_images"] as? Int == 64)
        let parameters = record["parameters"] as? [String: Any]
        #expect(parameters?["elastic_alpha"] as? Double == 34 && parameters?["elastic_sigma"] as? Double == 4)
        #expect(FileManager.default.fileExists(atPath: d + "/a.json"))
        let png = Array(try Data(contentsOf: URL(fileURLWithPath: d + "/a.png")))
        #expect(pngSize(png) != nil)
        // Same seed, one thread: identical bytes. Made in two parts: the same set.
        #expect(embedviz(["deform", "--data", d + "/data", "--count", "100", "--seed", "3", "--out", d + "/b", "--threads", "1", "--quiet"]).status == 0)
        #expect(try IDXArray.read(d + "/b/train-images-idx3-ubyte").payload == images.payload)
        #expect(embedviz(["deform", "--data", d + "/data", "--first", "40", "--count", "60", "--seed", "3", "--out", d + "/c", "--quiet"]).status == 0)
        #expect(try IDXArray.read(d + "/c/train-images-idx3-ubyte").payload == Array(images.payload[(40 * 784)...]))
        #expect(try IDXArray.read(d + "/c/train-labels-idx1-ubyte").payload == Array(labels.payload[40...]))
        // The output is a dataset every --data command reads.
        let embedded = embedviz(["embed", "--random-weights", "--data", d + "/a", "--split", "train", "--noise", "0", "--out", d + "/e", "--quiet"])
        #expect(embedded.status == 0, "\(embedded.stderr)")
    }

    @Test("deform: bad ranges are one-line errors naming the flag, and nothing is written")
    func badValues() {
        for (flag, value) in [("--elastic-sigma", "0"), ("--max-scale-change", "1.5"), ("--max-rotation", "inf"), ("--count", "0")] {
            let (d, before, result) = runInScratch { d in
                tinyMNIST(d + "/data", train: 8, test: 4)
                return ["deform", "--data", d + "/data", "--out", d + "/out", flag, value] + (flag == "--count" ? [] : ["--count", "10"])
            }
            #expect(result.status == 1, "\(flag) \(value): \(result.stderr)")
            #expect(result.stderr.contains(flag) && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(listing(d) == before)
        }
    }
}
