import NeuralNet

/// Checkpoint reader: magic, version, JSON header, tensor table, payload, checksum.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let checkpoint = try? CheckpointFile.decode(bytes, source: "fuzz.ckpt") {
        precondition(checkpoint.model.parameters.count == TutorialCNN.parameterCount)
    }
    return 0
}
