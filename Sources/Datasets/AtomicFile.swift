import Foundation
import Synchronization
import Linalg

/// An output that appears completely or not at all.
///
/// Bytes go to a temporary file in the destination's directory (`.NAME.tmp-XXXXXX`), which is
/// flushed and renamed over the destination by `commit()`; any failure or an abandoned writer
/// removes the temporary file, so no half-written output is ever left under the real name.
/// Standard output (`-`) and destinations that are not regular files (a pipe, `/dev/null`,
/// `/dev/full`) are written directly: there is nothing to rename there.
public final class OutputFile {
    public let path: String
    private let temporaryPath: String?
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var committed = false
    private static let bufferSize = 1 << 20

    public var displayName: String { path == "-" ? "<stdout>" : path }

    public init(path: String) throws {
        self.path = path
        buffer.reserveCapacity(Self.bufferSize)
        if path == "-" {
            fd = STDOUT_FILENO
            temporaryPath = nil
            return
        }
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw EmbedVizError.input("is a directory, expected a file name", at: path)
            }
            if (info.st_mode & S_IFMT) != S_IFREG {
                fd = open(path, O_WRONLY | O_CLOEXEC)
                temporaryPath = nil
                if fd < 0 { throw Self.systemError("cannot open for writing", path: path) }
                return
            }
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var template = Array("\(directory)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        fd = mkstemp(&template)
        if fd < 0 {
            let code = errno
            let reason = code == ENOENT ? "the directory does not exist" : String(cString: strerror(code))
            throw EmbedVizError.environment("cannot write: \(reason)", at: path)
        }
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fchmod(fd, 0o644)
        TemporaryFiles.register(temporaryPath!)
    }

    deinit {
        if !committed { abandon() }
    }

    /// Appends bytes (buffered).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > Self.bufferSize { try flush() }
        if bytes.count >= Self.bufferSize {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes buffered bytes to the file.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Rewrites bytes at an absolute offset (for headers whose content is known only at the end).
    /// Only for regular files.
    public func overwrite(_ bytes: [UInt8], at offset: Int) throws {
        try flush()
        guard temporaryPath != nil else {
            throw EmbedVizError.input("cannot rewrite a header on a stream", at: displayName)
        }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        if written != bytes.count { throw Self.systemError("write failed", path: path) }
    }

    /// Flushes, syncs and renames the file into place; after this the output exists under `path`.
    public func commit() throws {
        guard !committed else { return }
        do {
            try flush()
            if let temporaryPath {
                if fsync(fd) != 0 { throw Self.systemError("write failed", path: path) }
                if close(fd) != 0 { fd = -1; throw Self.systemError("write failed", path: path) }
                fd = -1
                if rename(temporaryPath, path) != 0 { throw Self.systemError("cannot rename into place", path: path) }
                TemporaryFiles.unregister(temporaryPath)
            } else if fd != STDOUT_FILENO {
                close(fd)
                fd = -1
            }
            committed = true
        } catch {
            abandon()
            throw error
        }
    }

    /// Drops the output: closes and removes the temporary file.
    public func abandon() {
        committed = true
        if fd >= 0 && fd != STDOUT_FILENO { close(fd) }
        fd = -1
        if let temporaryPath {
            unlink(temporaryPath)
            TemporaryFiles.unregister(temporaryPath)
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Self.systemError("write failed", path: path)
            }
            offset += n
        }
    }

    static func systemError(_ what: String, path: String) -> EmbedVizError {
        let code = errno
        let reason = code == ENOSPC ? "no space left on device" : String(cString: strerror(code))
        return EmbedVizError.environment("\(what): \(reason)", at: path == "-" ? "<stdout>" : path)
    }

    /// Writes `body`'s output atomically to `path`: all of it, or nothing if `body` throws.
    public static func write(to path: String, _ body: (OutputFile) throws -> Void) throws {
        let file = try OutputFile(path: path)
        do {
            try body(file)
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }

    /// Writes `bytes` atomically to `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { try $0.write(bytes) }
    }

    /// Writes `text` (UTF-8) atomically to `path`.
    public static func write(_ text: String, to path: String) throws {
        try write(to: path) { try $0.write(text) }
    }
}

/// Temporary files currently being written, so that a signal handler can remove them before the
/// process exits (see `TemporaryFiles.removeAll`, which is async-signal-tolerant: it only unlinks).
public enum TemporaryFiles {
    private static let paths = Mutex<Set<String>>([])

    static func register(_ path: String) { paths.withLock { _ = $0.insert(path) } }
    static func unregister(_ path: String) { paths.withLock { _ = $0.remove(path) } }

    /// Removes every temporary file still open; call when the process is about to exit abnormally.
    public static func removeAll() {
        let all = paths.withLock { set -> Set<String> in
            let copy = set
            set.removeAll()
            return copy
        }
        for path in all { unlink(path) }
    }
}

extension OutputFile {
    /// Creates `path` and its parents if needed, with a clear error when that is impossible.
    public static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw EmbedVizError.environment("cannot create the directory", at: path)
        }
        guard access(path, W_OK) == 0 else {
            throw EmbedVizError.environment("the directory is not writable", at: path)
        }
    }
}
