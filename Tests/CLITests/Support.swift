import Foundation

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

func scratch() -> String {
    let path = NSTemporaryDirectory() + "embedviz-cli-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func write(_ bytes: [UInt8], _ path: String) {
    try! Data(bytes).write(to: URL(fileURLWithPath: path))
}

func write(_ text: String, _ path: String) {
    try! Data(text.utf8).write(to: URL(fileURLWithPath: path))
}

/// Files in a directory, hidden ones (temporaries) included.
func contents(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

/// A float32 C-order .npy file of `rows`×`columns` values from `value(i, j)`.
func npy(_ rows: Int, _ columns: Int, _ path: String, _ value: (Int, Int) -> Float) {
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
    let total = (10 + header.utf8.count + 1 + 63) / 64 * 64
    header += String(repeating: " ", count: total - 10 - header.utf8.count - 1) + "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8((total - 10) & 0xFF), UInt8((total - 10) >> 8)] + Array(header.utf8)
    for i in 0..<rows { for j in 0..<columns { withUnsafeBytes(of: value(i, j).bitPattern.littleEndian) { bytes += $0 } } }
    write(bytes, path)
}

/// IDX bytes: magic, dimensions, uint8 payload.
func idx(_ dims: [Int], _ payload: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(dims.count)]
    for d in dims { bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return bytes + payload
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
