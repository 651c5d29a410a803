import Foundation
import NeuralNet
import TestSupport
import Testing

@Suite struct InterruptTests {
    /// Ctrl-C during training: the step in flight finishes, last.ckpt is written, exit code 130;
    /// `--resume` then ends with exactly the weights of an uninterrupted run (same seed and threads).
    @Test("SIGINT during training saves last.ckpt; --resume reaches the uninterrupted run's weights bit for bit",
          arguments: [SIGINT, SIGTERM])
    func interruptAndResume(_ signal: Int32) throws {
        let d = scratchDirectory()
        tinyMNIST(d + "/data", train: 600, test: 40)
        let common = ["--data", d + "/data", "--epochs", "15", "--train-size", "500", "--validation-size", "100",
                      "--threads", "2", "--seed", "9", "--quiet"]
        #expect(embedviz(["train", "--out", d + "/straight"] + common).status == 0)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: embedvizPath)
        process.arguments = ["train", "--out", d + "/interrupted"] + common
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Interrupt once the first epoch is on disk: the second is then in progress (or done).
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: d + "/interrupted/metrics.csv") && Date() < deadline && process.isRunning {
            usleep(2_000)
        }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let saved = try CheckpointFile.read(d + "/interrupted/last.ckpt")
        #expect(saved.state.epoch < 15, "training had already finished; the interrupt came too late")
        #expect(!listing(d + "/interrupted").contains { $0.contains(".tmp-") }, "a temporary file was left behind")

        #expect(embedviz(["train", "--out", d + "/interrupted", "--resume"] + common).status == 0)
        let straight = try CheckpointFile.read(d + "/straight/last.ckpt")
        let resumed = try CheckpointFile.read(d + "/interrupted/last.ckpt")
        #expect(resumed.model.parameters == straight.model.parameters)
        #expect(resumed.model.runningMean == straight.model.runningMean && resumed.model.runningVar == straight.model.runningVar)
        #expect(resumed.optimizer == straight.optimizer)
        let best = try CheckpointFile.read(d + "/interrupted/best.ckpt"), bestStraight = try CheckpointFile.read(d + "/straight/best.ckpt")
        #expect(best.model.parameters == bestStraight.model.parameters)
    }
}
