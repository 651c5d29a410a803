import Datasets
import Foundation
import Linalg
@testable import NeuralNet
import Testing

/// Issue 14 ("promises kept"): a checkpoint whose checksum is valid but whose training state is
/// malformed (an edited or foreign file) is refused with a message, never trapped on later (an
/// empty generator state trapped in `SeededGenerator.next`, a negative step in the batch slicing,
/// Adam's step at Int.max in its increment).
@Suite struct CheckpointStateTests {
    /// A valid mid-epoch checkpoint of the default configuration (55,000 images in batches of 32:
    /// 1,719 steps per epoch): epoch 2, step 5.
    static func midEpoch() -> Checkpoint {
        var config = TrainingConfig()
        config.epochs = 3
        var state = TrainingState(seed: 1)
        state.epoch = 2
        state.step = 5
        state.runningSeen = 5 * 32
        state.runningCorrect = 100
        var adam = Adam(parameterCount: TutorialCNN.parameterCount)
        adam.step = 2 * 1719 + 5
        return Checkpoint(model: TutorialCNN(seed: 2), config: config, state: state, optimizer: adam)
    }

    static func generator(_ json: String) -> SeededGenerator {
        try! JSONDecoder().decode(SeededGenerator.self, from: Data(json.utf8))
    }

    /// What decoding the encoded checkpoint says: "accepted" or the error.
    static func decoded(_ checkpoint: Checkpoint) -> String {
        do {
            _ = try CheckpointFile.decode(try CheckpointFile.encode(checkpoint), source: "c.ckpt")
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test("a valid mid-epoch state round-trips")
    func valid() throws {
        let c = Self.midEpoch()
        #expect(Self.decoded(c) == "accepted")
        var inference = c
        inference.optimizer = nil
        inference.state.step = 0
        inference.state.runningSeen = 0
        inference.state.runningCorrect = 0
        #expect(Self.decoded(inference) == "accepted")
    }

    @Test("malformed states with a valid checksum are refused by CheckpointFile.decode, naming the field", arguments: [
        "empty generator state", "zero generator state", "negative step", "step = steps", "negative epoch", "epoch > epochs",
        "negative Adam step", "Adam step Int.max", "running counts", "batch size 0",
    ])
    func refused(_ defect: String) throws {
        let (edit, expected) = try #require(Self.defects[defect])
        var c = Self.midEpoch()
        edit(&c)
        let text = Self.decoded(c)
        #expect(text.hasPrefix("malformed training state: ") && text.contains(expected) && text.hasSuffix("(c.ckpt)"), "\(text)")
    }

    /// Each defect of `refused`: how it edits the mid-epoch checkpoint and what the refusal must name.
    static let defects: [String: (edit: @Sendable (inout Checkpoint) -> Void, expected: String)] = [
        "empty generator state": ({ $0.state.shuffleGenerator = generator(#"{"state":[]}"#) }, "shuffle generator"),
        "zero generator state": ({ $0.state.shuffleGenerator = generator(#"{"state":[0,0,0,0]}"#) }, "shuffle generator"),
        "negative step": ({ $0.state.step = -1 }, "step -1 is outside 0..<1719"),
        "step = steps": ({ $0.state.step = 1719 }, "step 1719 is outside 0..<1719"),
        "negative epoch": ({ $0.state.epoch = -1 }, "epoch -1 is outside 0…3"),
        "epoch > epochs": ({ $0.state.epoch = 4 }, "epoch 4 is outside 0…3"),
        "negative Adam step": ({ $0.optimizer!.step = -1 }, "Adam's step count -1"),
        "Adam step Int.max": ({ $0.optimizer!.step = .max }, "Adam's step count \(Int.max)"),
        "running counts": ({ $0.state.runningSeen = 7 }, "images seen"),
        "batch size 0": ({ $0.config.batchSize = 0 }, "batch size 0"),
    ]

    @Test("Trainer refuses to resume from a checkpoint whose state does not fit its configuration")
    func trainer() throws {
        let data = toyImages(120, seed: 1)
        let config = tinyConfig(epochs: 2, trainSize: 100, validationSize: 20, batchSize: 10)  // 10 steps per epoch
        func resume(_ edit: (inout Checkpoint) -> Void) -> String {
            var c = Checkpoint(model: TutorialCNN(seed: 1), config: config, state: TrainingState(seed: 1),
                               optimizer: Adam(parameterCount: TutorialCNN.parameterCount))
            edit(&c)
            do {
                _ = try Trainer(data: data, config: config, resumeFrom: c)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(resume { _ in } == "accepted")
        #expect(resume { $0.state.step = -1 }.contains("step -1 is outside 0..<10"))
        #expect(resume { $0.state.step = 10 }.contains("step 10 is outside 0..<10"))
        #expect(resume { $0.state.shuffleGenerator = Self.generator(#"{"state":[1]}"#) }.contains("shuffle generator"))
        #expect(resume { $0.optimizer!.step = .max }.contains("Adam's step count"))
        // A state valid for the checkpoint's own configuration (1,719 steps) but not for the trainer's.
        #expect(resume { c in
            c.config = TrainingConfig()
            c.state.step = 100
            c.state.runningSeen = 3200
        }.contains("step 100 is outside 0..<10"))
    }
}
