import Dispatch
import Foundation
import Synchronization

/// Wall-clock time per named section, for performance work: off unless the environment variable
/// `EMBEDVIZ_PROFILE=1` is set, in which case `Profile.report()` (called by the CLI at exit) prints
/// each section's total and call count to stderr. When off, a section costs one atomic load.
public enum Profile {
    public static let enabled = ProcessInfo.processInfo.environment["EMBEDVIZ_PROFILE"] == "1"
    private static let table = Mutex<[String: (seconds: Double, calls: Int)]>([:])

    /// Runs `body`, adding its duration to `name` when profiling is on.
    @inlinable
    public static func section<R, E: Error>(_ name: @autoclosure () -> String, _ body: () throws(E) -> R) throws(E) -> R {
        guard enabled else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer { record(name(), Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
        return try body()
    }

    public static func record(_ name: String, _ seconds: Double) {
        table.withLock { t in
            let old = t[name] ?? (0, 0)
            t[name] = (old.seconds + seconds, old.calls + 1)
        }
    }

    /// The sections so far, longest first.
    public static func summary() -> [(name: String, seconds: Double, calls: Int)] {
        table.withLock { $0.map { ($0.key, $0.value.seconds, $0.value.calls) }.sorted { $0.seconds > $1.seconds } }
    }

    /// Prints the sections to stderr (when profiling is on).
    public static func report() {
        guard enabled else { return }
        var text = "profile (wall-clock seconds per section):\n"
        for s in summary() { text += String(format: "  %9.3f s  %7d×  %@\n", s.seconds, s.calls, s.name) }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
