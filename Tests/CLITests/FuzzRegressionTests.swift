import Datasets
import Foundation
import Linalg
import NeuralNet
import Projection
import Testing

/// Replays every input the fuzzers ever crashed on (Fuzz/Crashes/<target>/) and their
/// coverage-minimised corpus (Fuzz/Corpus/<target>/: one input per behaviour they found, from
/// 10-minute runs per target) through the parser that target exercises: each must give a value or
/// an EmbedVizError, and the corpus must reach both outcomes.
@Suite struct FuzzRegressionTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz").path

    static func inputs(_ target: String) -> [[UInt8]] {
        ["Crashes", "Corpus"].flatMap { folder -> [[UInt8]] in
            let directory = fuzz + "/" + folder + "/" + target
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return names.sorted().compactMap { try? Array(Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0))) }
        }
    }

    /// Counts of inputs parsed and refused; a Swift error other than EmbedVizError is a failure.
    struct Outcomes {
        var parsed = 0, refused = 0

        mutating func run(_ body: () throws -> Void) {
            do {
                try body()
                parsed += 1
            } catch is EmbedVizError {
                refused += 1
            } catch {
                Issue.record("not an EmbedVizError: \(error)")
            }
        }
    }

    @Test("every saved fuzz input of every parser is handled", arguments: ["FuzzIDX", "FuzzNPY", "FuzzCSV", "FuzzCheckpoint", "FuzzPCAModel"])
    func replay(_ target: String) {
        let inputs = Self.inputs(target)
        #expect(inputs.count >= 20, "the corpus of \(target) is missing (Fuzz/Corpus/\(target))")
        var outcomes = Outcomes()
        for bytes in inputs {
            switch target {
            case "FuzzIDX": outcomes.run { _ = try IDXArray.parse(bytes) }
            case "FuzzNPY":
                outcomes.run { _ = try MatrixReader(bytes: bytes, name: "x.npy", options: ReadOptions(allowNonFinite: true)).readAll() }
                outcomes.run { _ = try NamedArray.decode(npy: bytes, source: "x.npy") }
                outcomes.run { _ = try NPZ.decode(bytes, source: "x.npz") }
            case "FuzzCSV" where !bytes.isEmpty:
                // As the target reads it: the first byte picks the format, header mode and NaN policy.
                let options = ReadOptions(format: bytes[0] & 1 == 0 ? .csv : .tsv, header: [.auto, .yes, .no][Int(bytes[0] >> 1) % 3],
                                          allowNonFinite: bytes[0] & 0x80 != 0)
                outcomes.run { _ = try MatrixReader(bytes: Array(bytes.dropFirst()), name: "x.csv", options: options).readAll() }
            case "FuzzCheckpoint": outcomes.run { _ = try CheckpointFile.decode(bytes, source: "x") }
            case "FuzzPCAModel": outcomes.run { _ = try PCAFiles.decodeModel(bytes, source: "x") }
            default: break
            }
        }
        // Checkpoints: a valid one is ~1 MB, beyond the fuzzer's 64 KiB inputs, so all are refused.
        #expect(outcomes.refused > 0 && (outcomes.parsed > 0 || target == "FuzzCheckpoint"),
                "\(target): \(outcomes.parsed) parsed, \(outcomes.refused) refused")
    }
}
