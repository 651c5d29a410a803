import Datasets
import NeuralNet

/// Checkpoint reader: magic, version, JSON header, tensor table, payload, checksum.
///
/// Each input is decoded twice: as it is (which mostly exercises the checksum), and with its
/// CRC-32 recomputed, so mutations of the header and payload reach the checks behind the checksum
/// (tensor table, lengths, non-finite values). run.sh allows inputs of a whole checkpoint's size.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let checkpoint = try? CheckpointFile.decode(bytes, source: "fuzz.ckpt") {
        precondition(checkpoint.model.parameters.count == TutorialCNN.parameterCount)
    }
    guard bytes.count >= 20 else { return 0 }
    let crc = bytes.withUnsafeBytes { CRC32.of(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
    withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((bytes.count - 4)..<bytes.count, with: $0) }
    if let checkpoint = try? CheckpointFile.decode(bytes, source: "fuzz.ckpt") {
        precondition(checkpoint.model.parameters.count == TutorialCNN.parameterCount)
        precondition(checkpoint.model.parameters.allSatisfy(\.isFinite))
    }
    return 0
}
