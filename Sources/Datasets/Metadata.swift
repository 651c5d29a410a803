import Foundation
import Linalg

/// Per-row facts about an embedding matrix: which sample it is, its label, the model's prediction.
/// On disk: `metadata.tsv` with a header row `index target prediction confidence is_noise`.
public struct EmbeddingMetadata: Sendable, Equatable {
    /// Index of the row's sample in its source set.
    public var index: [Int]
    /// 0–9, or 10 for injected noise.
    public var target: [Int]
    public var prediction: [Int]
    /// The predicted class's softmax probability.
    public var confidence: [Float]
    public var isNoise: [Bool]

    public var count: Int { index.count }
    public static let columns = ["index", "target", "prediction", "confidence", "is_noise"]

    public init(index: [Int], target: [Int], prediction: [Int], confidence: [Float], isNoise: [Bool]) {
        precondition([target.count, prediction.count, confidence.count, isNoise.count].allSatisfy { $0 == index.count })
        (self.index, self.target, self.prediction, self.confidence, self.isNoise) = (index, target, prediction, confidence, isNoise)
    }

    /// The rows at `rows`, in that order.
    public func subset(_ rows: [Int]) -> EmbeddingMetadata {
        EmbeddingMetadata(index: rows.map { index[$0] }, target: rows.map { target[$0] }, prediction: rows.map { prediction[$0] },
                          confidence: rows.map { confidence[$0] }, isNoise: rows.map { isNoise[$0] })
    }

    public func tsv() -> String {
        var text = Self.columns.joined(separator: "\t") + "\n"
        for i in 0..<count {
            text += "\(index[i])\t\(target[i])\t\(prediction[i])\t\(confidence[i])\t\(isNoise[i] ? 1 : 0)\n"
        }
        return text
    }

    public func write(to path: String) throws {
        try OutputFile.write(tsv(), to: path)
    }

    /// Reads a metadata TSV. Columns are found by name; `prediction`, `confidence` and `is_noise` are
    /// optional (defaults: the target, 1, target == 10), so a file with only `target` works too.
    public static func read(_ path: String) throws -> EmbeddingMetadata {
        let bytes = try InputFile.readAll(path)
        let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        guard let headerLine = lines.first else { throw EmbedVizError.input("the metadata file is empty", at: path) }
        let header = headerLine.split(separator: "\t", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard let targetColumn = header.firstIndex(of: "target") ?? header.firstIndex(of: "label") else {
            throw EmbedVizError.input("the metadata header has no 'target' (or 'label') column; found: \(header.joined(separator: ", "))",
                                      at: path)
        }
        let column = { (name: String) in header.firstIndex(of: name) }
        var result = EmbeddingMetadata(index: [], target: [], prediction: [], confidence: [], isNoise: [])
        for (n, line) in lines.dropFirst().enumerated() where !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let lineNumber = n + 2
            guard fields.count == header.count else {
                throw EmbedVizError.input("line \(lineNumber) has \(fields.count) fields, the header has \(header.count)", at: path)
            }
            func integer(_ c: Int, _ name: String) throws -> Int {
                guard let v = Int(fields[c].trimmingCharacters(in: .whitespaces)) else {
                    throw EmbedVizError.input("line \(lineNumber), column \(c + 1) (\(name)): '\(fields[c])' is not an integer", at: path)
                }
                // Indices and class labels index arrays (images, colours): never negative.
                guard v >= 0 || name == "is_noise" else {
                    throw EmbedVizError.input("line \(lineNumber), column \(c + 1) (\(name)): \(v) is negative (it must be 0 or more)", at: path)
                }
                return v
            }
            let target = try integer(targetColumn, "target")
            result.target.append(target)
            result.index.append(try column("index").map { try integer($0, "index") } ?? n)
            result.prediction.append(try column("prediction").map { try integer($0, "prediction") } ?? target)
            if let c = column("confidence") {
                guard let v = Float(fields[c]) else {
                    throw EmbedVizError.input("line \(lineNumber), column \(c + 1) (confidence): '\(fields[c])' is not a number", at: path)
                }
                result.confidence.append(v)
            } else {
                result.confidence.append(1)
            }
            if let c = column("is_noise") {
                result.isNoise.append(try integer(c, "is_noise") != 0)
            } else {
                result.isNoise.append(target == Int(NoiseInjection.noiseLabel))
            }
        }
        return result
    }
}
