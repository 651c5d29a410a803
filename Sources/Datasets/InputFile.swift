import CZlib
import Foundation
import Linalg

/// A file (or standard input, path `-`) read sequentially, gzip-compressed or plain alike.
///
/// zlib's `gzread` decompresses `.gz` streams and passes plain bytes through unchanged, so every
/// reader in this module accepts both without asking. Errors name the path.
public final class InputFile: ByteSource {
    /// The path as given (`-` for standard input).
    public let path: String
    private var handle: gzFile?
    /// Bytes looked at by `peek` and not yet consumed.
    private var pushback: [UInt8] = []

    /// How the path is shown in messages.
    public var displayName: String { path == "-" ? "<stdin>" : path }

    public init(path: String) throws {
        self.path = path
        if path == "-" {
            handle = gzdopen(dup(STDIN_FILENO), "rb")
        } else {
            var info = stat()
            if stat(path, &info) != 0 {
                let code = errno
                throw EmbedVizError(code == ENOENT ? .input : .environment,
                                    code == ENOENT ? "no such file" : "cannot open: \(String(cString: strerror(code)))",
                                    at: path)
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw EmbedVizError.input("is a directory, expected a file", at: path)
            }
            handle = gzopen(path, "rb")
        }
        guard let handle else {
            throw EmbedVizError.environment("cannot open: \(String(cString: strerror(errno)))", at: displayName)
        }
        gzbuffer(handle, 1 << 18)
    }

    /// Bytes in memory read like a file (no decompression): for parsers under test and fuzzing.
    public init(bytes: [UInt8], name: String) {
        path = name
        handle = nil
        pushback = bytes
    }

    deinit {
        if let handle { gzclose(handle) }
    }

    /// Reads up to `buffer.count` bytes; returns how many were read (0 only at the end).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        var total = 0
        if !pushback.isEmpty {
            total = min(pushback.count, buffer.count)
            pushback.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: total) }
            pushback.removeFirst(total)
        }
        guard let handle else { return total }
        while total < buffer.count {
            let want = UInt32(min(buffer.count - total, 1 << 30))
            let got = gzread(handle, buffer.baseAddress! + total, want)
            if got < 0 {
                var code: Int32 = 0
                let message = String(cString: gzerror(handle, &code))
                throw EmbedVizError.input("read failed: \(message)", at: displayName)
            }
            if got == 0 {
                // gzread returns 0 both at a clean end and for a truncated gzip stream.
                var code: Int32 = 0
                let message = String(cString: gzerror(handle, &code))
                if code != Z_OK && code != Z_STREAM_END {
                    throw EmbedVizError.input("corrupt or truncated gzip stream: \(message)", at: displayName)
                }
                break
            }
            total += Int(got)
        }
        return total
    }

    /// The next `count` bytes (fewer at the end), without consuming them.
    public func peek(count: Int) throws -> [UInt8] {
        let bytes = try read(count: count)
        pushback = bytes + pushback
        return bytes
    }

    /// Whether the file is a regular, uncompressed file, and its size (for formats whose row
    /// count follows from the size); nil for standard input, pipes and gzip streams.
    public var plainFileSize: Int? {
        guard path != "-", let handle, gzdirect(handle) == 1 else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Reads exactly `count` bytes, or fewer only when the file ends first.
    public func read(count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0) }
        if got < count { bytes.removeLast(count - got) }
        return bytes
    }

    /// Reads everything that is left.
    public func readAll() throws -> [UInt8] {
        var bytes = [UInt8]()
        var chunk = 1 << 20
        while true {
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: chunk))
            let got = try bytes.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
            bytes.removeLast(chunk - got)
            if got < chunk { return bytes }
            chunk = min(chunk * 2, 1 << 28)
        }
    }

    /// Reads all of `path` (plain or gzip).
    public static func readAll(_ path: String) throws -> [UInt8] {
        try InputFile(path: path).readAll()
    }
}

/// Something bytes are read from sequentially: a file, standard input, or memory.
public protocol ByteSource: AnyObject {
    /// Reads exactly `count` bytes, or fewer only when the source ends first.
    func read(count: Int) throws -> [UInt8]
}

/// Bytes in memory, read like a file (for parsers that take either).
public final class MemoryBytes: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(count: Int) throws -> [UInt8] {
        let end = min(bytes.count, offset + count)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// CRC-32 (zlib's): the checksum of checkpoint files and NPZ members.
public enum CRC32 {
    /// The CRC-32 of `bytes`, continuing from `previous`.
    public static func of(_ bytes: UnsafeRawBufferPointer, previous: UInt32 = 0) -> UInt32 {
        var crc = UInt(previous)
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, UInt32(n))
            offset += n
        }
        return UInt32(crc)
    }
}
