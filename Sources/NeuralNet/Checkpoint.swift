import Datasets
import Foundation
import Linalg

/// Everything needed to use a trained model, and to resume training exactly where it stopped.
public struct Checkpoint: Sendable {
    public var model: TutorialCNN
    public var config: TrainingConfig
    public var state: TrainingState
    /// Adam's moments (present in checkpoints written during training).
    public var optimizer: Adam?

    public init(model: TutorialCNN, config: TrainingConfig, state: TrainingState, optimizer: Adam?) {
        self.model = model
        self.config = config
        self.state = state
        self.optimizer = optimizer
    }

    /// Refuses a checkpoint whose training state cannot be resumed, with a message naming the
    /// field: a valid checksum proves the file is what was written, not that what was written (or
    /// edited) makes sense. Checks the configuration (positive sizes, a finite positive learning
    /// rate, ≥ 1 thread), and the state against `config` (default: the checkpoint's own): 0 ≤ epoch
    /// (≤ epochs for the checkpoint's own configuration), 0 ≤ step < steps per epoch, the running
    /// counts of that many full batches, finite running figures, a usable shuffle generator state;
    /// and Adam's step count (at most one per step taken), moment sizes and hyperparameters.
    public func validate(against config: TrainingConfig? = nil) throws(EmbedVizError) {
        func fail(_ message: String) -> EmbedVizError { EmbedVizError.input("malformed training state: " + message) }
        for c in [self.config] + (config.map { [$0] } ?? []) {
            guard c.epochs >= 1, c.batchSize >= 1, c.trainSize >= 1, c.validationSize >= 1, c.threads >= 1 else {
                throw fail("epochs \(c.epochs), batch size \(c.batchSize), train size \(c.trainSize), validation size \(c.validationSize)"
                           + " and threads \(c.threads) must all be positive")
            }
            guard c.learningRate.isFinite, c.learningRate > 0 else { throw fail("the learning rate is \(c.learningRate)") }
        }
        let c = config ?? self.config
        let steps = c.trainSize / c.batchSize + (c.trainSize % c.batchSize == 0 ? 0 : 1)
        let s = state
        guard s.epoch >= 0, config != nil || s.epoch <= c.epochs else {
            throw fail("epoch \(s.epoch) is outside 0…\(c.epochs)")
        }
        guard s.step >= 0, s.step < steps else {
            throw fail("step \(s.step) is outside 0..<\(steps) (the steps of an epoch of \(c.trainSize) images in batches of \(c.batchSize))")
        }
        guard s.runningSeen == s.step * c.batchSize, s.runningCorrect >= 0, s.runningCorrect <= s.runningSeen else {
            throw fail("\(s.runningCorrect) correct of \(s.runningSeen) images seen do not fit step \(s.step) of batches of \(c.batchSize)")
        }
        guard s.runningLoss.isFinite, s.epochSeconds.isFinite else {
            throw fail("the running loss (\(s.runningLoss)) and the epoch's seconds (\(s.epochSeconds)) must be finite")
        }
        guard s.shuffleGenerator.isValid else {
            throw fail("the shuffle generator's state \(s.shuffleGenerator.state) is not a xoshiro256 state (4 words, not all 0)")
        }
        if let adam = optimizer {
            let (perEpoch, o1) = s.epoch.multipliedReportingOverflow(by: steps)
            let (taken, o2) = perEpoch.addingReportingOverflow(s.step)
            guard !o1, !o2, adam.step >= 0, adam.step <= taken else {
                throw fail("Adam's step count \(adam.step) is outside 0…\(o1 || o2 ? "(overflow)" : String(taken)), the steps taken by epoch \(s.epoch), step \(s.step)")
            }
            guard adam.m.count == TutorialCNN.parameterCount, adam.v.count == TutorialCNN.parameterCount else {
                throw fail("Adam's moments have \(adam.m.count) and \(adam.v.count) values for \(TutorialCNN.parameterCount) parameters")
            }
            let h = [adam.learningRate, adam.beta1, adam.beta2, adam.epsilon]
            guard h.allSatisfy(\.isFinite), adam.learningRate > 0, (0..<1).contains(adam.beta1), (0..<1).contains(adam.beta2),
                  adam.epsilon > 0 else {
                throw fail("Adam's hyperparameters (lr, β₁, β₂, ε) = \(h) are out of range")
            }
        }
    }
}

/// The checkpoint file format, version 1.
///
///     8 bytes   magic "EVZCKPT\0"
///     UInt32 LE format version (1)
///     UInt32 LE header length H
///     H bytes   header, UTF-8 JSON: architecture, tensor names/shapes/offsets, training config and state
///     4·N bytes the tensors, little-endian Float32, at the header's offsets
///     UInt32 LE CRC-32 (zlib) of everything before it
///
/// Written atomically; reading checks the magic, version, architecture, every tensor's shape, the
/// length and the checksum, and refuses a file that does not match with a message saying which.
public enum CheckpointFile {
    public static let magic: [UInt8] = Array("EVZCKPT".utf8) + [0]
    public static let version: UInt32 = 1

    struct Header: Codable {
        var architecture: String
        var tensors: [TensorSpec]
        var payloadFloats: Int
        var config: TrainingConfig
        var state: TrainingState
        var adamStep: Int?
        var adamHyperparameters: [Float]?
        var embedvizFormat: String = "EmbedViz checkpoint v1"
    }

    /// The tensors a checkpoint holds, in file order.
    static func tensorLayout(withOptimizer: Bool) -> TensorLayout {
        var entries = TutorialCNN.layout.tensors.map { ($0.name, $0.shape) }
        entries += [("bn.running_mean", [16]), ("bn.running_var", [16])]
        if withOptimizer {
            entries += TutorialCNN.layout.tensors.map { ("adam.m/" + $0.name, $0.shape) }
            entries += TutorialCNN.layout.tensors.map { ("adam.v/" + $0.name, $0.shape) }
        }
        return TensorLayout(entries)
    }

    public static func encode(_ checkpoint: Checkpoint) throws -> [UInt8] {
        let layout = tensorLayout(withOptimizer: checkpoint.optimizer != nil)
        var payload = checkpoint.model.parameters + checkpoint.model.runningMean + checkpoint.model.runningVar
        if let adam = checkpoint.optimizer { payload += adam.m + adam.v }
        precondition(payload.count == layout.count)
        let header = Header(architecture: TutorialCNN.architecture, tensors: layout.tensors, payloadFloats: payload.count,
                            config: checkpoint.config, state: checkpoint.state, adamStep: checkpoint.optimizer?.step,
                            adamHyperparameters: checkpoint.optimizer.map { [$0.learningRate, $0.beta1, $0.beta2, $0.epsilon] })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = [UInt8](try encoder.encode(header))
        var bytes = magic
        appendLE(version, to: &bytes)
        appendLE(UInt32(json.count), to: &bytes)
        bytes += json
        payload.withUnsafeBytes { bytes += $0 }  // little-endian on every platform Swift runs this on
        let checksum = bytes.withUnsafeBytes { CRC32.of($0) }
        appendLE(checksum, to: &bytes)
        return bytes
    }

    /// Writes a checkpoint atomically.
    public static func write(_ checkpoint: Checkpoint, to path: String) throws {
        try OutputFile.write(try encode(checkpoint), to: path)
    }

    public static func read(_ path: String) throws -> Checkpoint {
        let bytes = try InputFile.readAll(path)
        return try decode(bytes, source: path)
    }

    public static func decode(_ bytes: [UInt8], source: String) throws -> Checkpoint {
        func fail(_ message: String) -> EmbedVizError { EmbedVizError.input(message, at: source) }
        guard bytes.count >= 20, Array(bytes[0..<8]) == magic else {
            throw fail("not an EmbedViz checkpoint (wrong magic bytes)")
        }
        let version = readLE(bytes, at: 8)
        guard version == Self.version else {
            throw fail("checkpoint format version \(version) is not supported (this version of EmbedViz reads version \(Self.version))")
        }
        let headerLength = Int(readLE(bytes, at: 12))
        guard headerLength <= bytes.count - 20 else {
            throw fail("truncated checkpoint: the header claims \(headerLength) bytes, the file has \(bytes.count)")
        }
        let stored = readLE(bytes, at: bytes.count - 4)
        let computed = bytes.withUnsafeBytes { CRC32.of(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + headerLength)]))
        } catch {
            throw fail(stored != computed ? "checksum mismatch: the file is corrupted or truncated" : "unreadable checkpoint header")
        }
        guard header.architecture == TutorialCNN.architecture else {
            throw fail("the checkpoint is for another architecture (\(header.architecture)); this model is \(TutorialCNN.architecture)")
        }
        let hasOptimizer = header.adamStep != nil
        let layout = tensorLayout(withOptimizer: hasOptimizer)
        guard header.tensors == layout.tensors, header.payloadFloats == layout.count else {
            let mismatch = zip(header.tensors, layout.tensors).first { $0 != $1 }
                .map { "tensor \($0.0.name) has shape \($0.0.shape), expected \($0.1.name) \($0.1.shape)" } ?? "tensor list differs"
            throw fail("the checkpoint's tensors do not match the model: \(mismatch)")
        }
        let expectedLength = 16 + headerLength + 4 * layout.count + 4
        guard bytes.count == expectedLength else {
            throw fail("truncated checkpoint: \(bytes.count) bytes, the header describes \(expectedLength)")
        }
        guard stored == computed else {
            throw fail("checksum mismatch: the file is corrupted (stored CRC-32 \(hex(stored)), computed \(hex(computed)))")
        }
        let payload: [Float] = bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + 16 + headerLength
            return (0..<layout.count).map { Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        // A valid checksum proves the file is what was written, not that the run was healthy.
        if let bad = payload.firstIndex(where: { !$0.isFinite }) {
            let tensor = layout.tensors.first { bad >= $0.offset && bad < $0.offset + $0.count }
            throw fail("the checkpoint holds a non-finite value (\(payload[bad])) in tensor \(tensor?.name ?? "?")"
                       + " at element \(bad - (tensor?.offset ?? 0)): it comes from a diverged run")
        }
        func slice(_ name: String) -> [Float] { Array(payload[layout[name].range]) }
        let parameterCount = TutorialCNN.layout.count
        let model = TutorialCNN(parameters: Array(payload[0..<parameterCount]),
                                runningMean: slice("bn.running_mean"), runningVar: slice("bn.running_var"))
        var optimizer: Adam?
        if let step = header.adamStep {
            var adam = Adam(parameterCount: parameterCount)
            let start = layout["adam.m/conv.weight"].offset
            adam.m = Array(payload[start..<(start + parameterCount)])
            adam.v = Array(payload[(start + parameterCount)..<(start + 2 * parameterCount)])
            adam.step = step
            if let h = header.adamHyperparameters, h.count == 4 {
                (adam.learningRate, adam.beta1, adam.beta2, adam.epsilon) = (h[0], h[1], h[2], h[3])
            }
            optimizer = adam
        }
        let checkpoint = Checkpoint(model: model, config: header.config, state: header.state, optimizer: optimizer)
        do { try checkpoint.validate() } catch { throw error.located(at: source) }
        return checkpoint
    }

    private static func appendLE(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private static func readLE(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    private static func hex(_ v: UInt32) -> String { String(format: "%08x", v) }
}
