import Foundation

/// One line of progress on stderr: rewritten in place on a terminal, plain lines (at most one every
/// few seconds) when stderr is a file or pipe. Silent with `--quiet`.
final class ProgressLine {
    private let quiet: Bool
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastPlain = Date.distantPast
    private var shown = false
    private let plainInterval: TimeInterval

    init(quiet: Bool, plainInterval: TimeInterval = 5) {
        self.quiet = quiet
        self.plainInterval = plainInterval
    }

    /// Shows `text` (replacing the previous line on a terminal).
    func update(_ text: String, force: Bool = false) {
        guard !quiet else { return }
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            shown = true
        } else if force || Date().timeIntervalSince(lastPlain) >= plainInterval {
            lastPlain = Date()
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    /// Ends the in-place line so that normal output continues below it.
    func finish(_ text: String? = nil) {
        guard !quiet else { return }
        if let text { update(text, force: true) }
        if isTerminal && shown { FileHandle.standardError.write(Data("\n".utf8)) }
        shown = false
    }
}

/// "1:05" / "12.3 s" style durations.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
