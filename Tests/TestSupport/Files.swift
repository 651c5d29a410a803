import Foundation

/// A fresh, empty scratch directory for one test, under the temporary directory.
public func scratchDirectory() -> String {
    let path = NSTemporaryDirectory() + "embedviz-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The files in `directory`, sorted, hidden ones (leftover temporaries) included; empty if it cannot
/// be read.
public func listing(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

/// Writes `bytes` to `path` (replacing it).
public func write(_ bytes: [UInt8], _ path: String) {
    try! Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Writes `text` as UTF-8 to `path` (replacing it).
public func write(_ text: String, _ path: String) {
    try! Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// Runs `executable` with `arguments` and waits for it: its exit status and standard output.
/// Standard error goes to the test's own unless `discardingStandardError`.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], discardingStandardError: Bool = false)
    -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    if discardingStandardError { process.standardError = FileHandle.nullDevice }
    try! process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs a `/bin/sh -c` command: its exit status and standard output.
@discardableResult
public func shell(_ command: String) -> (status: Int32, output: String) {
    runProcess("/bin/sh", ["-c", command])
}
