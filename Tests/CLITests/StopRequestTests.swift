import Foundation
import TestSupport
import Testing

/// Ctrl-C and SIGTERM as the README promises: the first finishes the step in flight, removes the
/// temporaries and exits 130; a second exits at once and still removes them.
@Suite struct StopRequestTests {
    /// A running `embedviz` whose standard input stays open and whose output is collected.
    final class Running: @unchecked Sendable {
        let process = Process()
        let input = Pipe(), output = Pipe(), errors = Pipe()
        private let lock = NSLock()
        private var collected = Data()

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: embedvizPath)
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            for pipe in [output, errors] {
                pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                    let data = handle.availableData
                    guard let self else { return }
                    self.lock.lock()
                    self.collected.append(data)
                    self.lock.unlock()
                }
            }
            try process.run()
        }

        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: collected, as: UTF8.self) }

        /// Waits up to `seconds` for `condition`; false on time-out or when the process ended first.
        func wait(seconds: Double, for condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                if !process.isRunning { return condition() }
                usleep(20_000)
            }
            return false
        }

        func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

        func finish() -> Int32 {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            // The handlers may not have run for the last bytes yet: stop them, then read what is left
            // (the writer has exited, so the reads end), or a last line such as "error: …" can be lost.
            for pipe in [output, errors] {
                pipe.fileHandleForReading.readabilityHandler = nil
                let rest = pipe.fileHandleForReading.readDataToEndOfFile()
                lock.lock()
                collected.append(rest)
                lock.unlock()
            }
            return process.terminationStatus
        }
    }

    /// Temporary files anywhere below `directory` (OutputFile names them `.NAME.tmp-XXXXXX`).
    func temporaries(_ directory: String) -> [String] {
        let all = FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []
        return all.filter { ($0 as NSString).lastPathComponent.contains(".tmp-") }
    }

    func rows(_ count: Int, columns: Int) -> Data {
        var data = Data()
        for i in 0..<(count * columns) { withUnsafeBytes(of: Float(i % 7).bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// A PCA model of 4 columns, from a small NPY.
    func model(in d: String) {
        npy(50, 4, d + "/fit.npy") { i, j in Float((i * 7 + j * 3) % 11) + Float(j) }
        let fit = embedviz(["pca", "fit", "--input", d + "/fit.npy", "--components", "2", "--model", d + "/m.npz"])
        #expect(fit.status == 0, "\(fit.stderr)")
    }

    @Test("pca transform: the first SIGINT stops at the next chunk, exit 130, no output and no temporary file")
    func streamedFirstSignal() throws {
        let d = scratchDirectory()
        model(in: d)
        let run = try Running(["pca", "transform", "--model", d + "/m.npz", "--input", "-", "--format", "f32", "--shape", "4",
                               "--chunk-rows", "10", "--output", d + "/out.npy"])
        run.input.fileHandleForWriting.write(rows(10, columns: 4))
        #expect(run.wait(seconds: 20) { !temporaries(d).isEmpty }, "no temporary output appeared: \(run.text)")
        run.signal(SIGINT)
        #expect(run.wait(seconds: 10) { run.text.contains("stopping after the current step") }, "\(run.text)")
        run.input.fileHandleForWriting.write(rows(10, columns: 4))  // the next chunk: the loop looks at the flag
        let status = run.finish()
        #expect(status == 130, "\(run.text)")
        #expect(run.text.contains("error: interrupted"), "\(run.text)")
        #expect(temporaries(d).isEmpty && !FileManager.default.fileExists(atPath: d + "/out.npy"), "\(listing(d))")
    }

    @Test("tsne transform: a second SIGTERM while blocked on input exits at once, still without temporaries")
    func streamedSecondSignal() throws {
        let d = scratchDirectory()
        npy(60, 4, d + "/ref.npy") { i, j in Float(i % 3) * 10 + Float((i * 5 + j) % 4) }
        npy(60, 2, d + "/map.npy") { i, j in Float(i % 3) * 20 + Float(j) + Float(i % 5) * 0.1 }
        let run = try Running(["tsne", "transform", "--reference", d + "/map.npy", "--reference-input", d + "/ref.npy",
                               "--input", "-", "--format", "f32", "--shape", "4", "--chunk-rows", "8",
                               "--output", d + "/new.npy"])
        run.input.fileHandleForWriting.write(rows(8, columns: 4))
        #expect(run.wait(seconds: 20) { !temporaries(d).isEmpty }, "no temporary output appeared: \(run.text)")
        run.signal(SIGTERM)
        #expect(run.wait(seconds: 10) { run.text.contains("stopping after the current step") }, "\(run.text)")
        run.signal(SIGTERM)
        #expect(run.wait(seconds: 10) { !run.process.isRunning })
        let status = run.finish()
        #expect(status == 130, "\(run.text)")
        #expect(temporaries(d).isEmpty && !FileManager.default.fileExists(atPath: d + "/new.npy"), "\(listing(d))")
    }

    @Test("demo: the first SIGINT finishes the step in flight, exits 130 and leaves no temporary file")
    func demoFirstSignal() throws {
        let d = scratchDirectory()
        let data = DemoTests.realData ? "data/mnist" : d + "/data"
        if !DemoTests.realData { tinyMNIST(data, train: 3_500, test: 2_000) }
        let run = try Running(["demo", "--quick", "--data", data, "--out", d + "/demo"])
        #expect(run.wait(seconds: 120) { run.text.contains("▶ train") }, "\(run.text)")
        run.signal(SIGINT)
        let status = run.finish()
        #expect(status == 130, "\(run.text)")
        #expect(run.text.contains("error:") && run.text.contains("interrupted"), "\(run.text)")
        #expect(!run.text.contains("report:"), "the study ran to the end: \(run.text)")
        #expect(temporaries(d).isEmpty, "\(temporaries(d))")
    }
}
