import Datasets
import Foundation
import Linalg
import NeuralNet
import Projection
import Testing

/// Replays every input the fuzzers ever crashed on (Fuzz/Crashes/<target>/) through the parser that
/// target exercises: each must now give a value or an EmbedVizError.
@Suite struct FuzzRegressionTests {
    static let crashes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/Crashes").path

    static func inputs(_ target: String) -> [[UInt8]] {
        let directory = crashes + "/" + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { try? Array(Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0))) }
    }

    func survives(_ body: () throws -> Void) -> Bool {
        do { try body(); return true } catch is EmbedVizError { return true } catch { return false }
    }

    @Test("every saved crash input of every parser is handled")
    func replay() {
        for bytes in Self.inputs("FuzzIDX") { #expect(survives { _ = try IDXArray.parse(bytes) }) }
        for bytes in Self.inputs("FuzzNPY") {
            #expect(survives { _ = try MatrixReader(bytes: bytes, name: "x.npy", options: ReadOptions(allowNonFinite: true)).readAll() })
            #expect(survives { _ = try NamedArray.decode(npy: bytes, source: "x.npy") })
            #expect(survives { _ = try NPZ.decode(bytes, source: "x.npz") })
        }
        for bytes in Self.inputs("FuzzCSV") where !bytes.isEmpty {
            #expect(survives { _ = try MatrixReader(bytes: Array(bytes.dropFirst()), name: "x.csv").readAll() })
        }
        for bytes in Self.inputs("FuzzCheckpoint") { #expect(survives { _ = try CheckpointFile.decode(bytes, source: "x") }) }
        for bytes in Self.inputs("FuzzPCAModel") { #expect(survives { _ = try PCAFiles.decodeModel(bytes, source: "x") }) }
    }
}
