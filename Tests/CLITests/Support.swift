import Foundation
import TestSupport

/// The `embedviz` executable built beside this test bundle.
let embedvizPath: String = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [bundle, bundle.deletingLastPathComponent()] {
        let path = candidate.appendingPathComponent("embedviz").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/embedviz"
    return fallback
}()

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `embedviz` with `arguments` (and optional standard input), waiting for it to finish.
@discardableResult
func embedviz(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: embedvizPath)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try! process.run()
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try? input.fileHandleForWriting.close()
    }
    // Read both pipes concurrently-safe: stdout first may block if stderr fills; outputs here are small.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                         stderr: String(decoding: e, as: UTF8.self))
}

/// A small dataset in the MNIST layout (random pixels, labels 0–9).
func tinyMNIST(_ directory: String, train: Int = 64, test: Int = 40) {
    try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var state: UInt64 = 1
    func byte() -> UInt8 { state = state &* 6364136223846793005 &+ 1; return UInt8(state >> 56) }
    write(idx([train, 28, 28], (0..<(train * 784)).map { _ in byte() }), directory + "/train-images-idx3-ubyte")
    write(idx([train], (0..<train).map { UInt8($0 % 10) }), directory + "/train-labels-idx1-ubyte")
    write(idx([test, 28, 28], (0..<(test * 784)).map { _ in byte() }), directory + "/t10k-images-idx3-ubyte")
    write(idx([test], (0..<test).map { UInt8($0 % 10) }), directory + "/t10k-labels-idx1-ubyte")
}

/// Runs a case's `setup` in a fresh scratch directory, then `embedviz` with the arguments it returns:
/// the directory, its listing before the run (to check that nothing appeared) and the result.
func runInScratch(_ setup: (String) -> [String], environment: [String: String] = [:])
    -> (d: String, before: [String], result: CommandResult) {
    let d = scratchDirectory()
    let arguments = setup(d)
    let before = listing(d)
    return (d, before, embedviz(arguments, environment: environment))
}
