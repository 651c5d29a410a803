/// The one error type EmbedViz's modules throw for anything a user can cause or fix.
///
/// It renders as the CLI's one-line format, `<what> (<where>)`, and carries the exit code the
/// CLI uses: 1 for bad input or usage, 2 for the environment (missing library, unwritable
/// directory, full disk). Programmer errors (mismatched shapes passed between our own modules)
/// are preconditions, not thrown errors.
public struct EmbedVizError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The input is malformed, inconsistent or out of range (exit code 1).
        case input
        /// The machine or its files are in the way: I/O failure, no space, no permission (exit code 2).
        case environment
        /// A numerical routine failed (LAPACK `info != 0`, a diverged optimisation) (exit code 1).
        case numerical
        /// Work was interrupted on request (SIGINT/SIGTERM) after saving what could be saved (exit code 130).
        case interrupted
    }

    public var kind: Kind
    /// What is wrong, and where it helps, what would be right.
    public var message: String
    /// Where: a file path, `path:line:column`, a routine name, an option.
    public var location: String?

    public init(_ kind: Kind, _ message: String, at location: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public static func input(_ message: String, at location: String? = nil) -> EmbedVizError {
        EmbedVizError(.input, message, at: location)
    }

    public static func environment(_ message: String, at location: String? = nil) -> EmbedVizError {
        EmbedVizError(.environment, message, at: location)
    }

    public var description: String {
        guard let location else { return message }
        return "\(message) (\(location))"
    }

    /// The process exit code the CLI uses for this error.
    public var exitCode: Int32 {
        switch kind {
        case .input, .numerical: 1
        case .environment: 2
        case .interrupted: 130
        }
    }

    /// The same error with a location attached when it had none (e.g. the file a parser was reading).
    public func located(at location: String) -> EmbedVizError {
        var copy = self
        if copy.location == nil { copy.location = location }
        return copy
    }
}
