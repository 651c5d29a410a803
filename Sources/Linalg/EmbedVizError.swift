/// The one error type EmbedViz's modules throw for anything a user can cause or fix.
///
/// It speaks in the library's terms: what is wrong, where, and what would be right, naming the
/// library's own parameters and calls (`TSNEParameters.method`), never a command-line flag or an
/// exit code. A front end restates it in its own terms: `description(naming:)` names the front
/// end's equivalent of each `Reference` in the text (the CLI: its flags), and the front end maps
/// `kind` to its own outcome (the CLI: exit codes). Programmer errors (mismatched shapes passed
/// between our own modules) are preconditions, not thrown errors.
public struct EmbedVizError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The input is malformed, inconsistent or out of range.
        case input
        /// The machine or its files are in the way: I/O failure, no space, no permission.
        case environment
        /// A numerical routine failed (LAPACK `info != 0`, a diverged optimisation).
        case numerical
        /// Work was interrupted on request (SIGINT/SIGTERM) after saving what could be saved.
        case interrupted
    }

    public var kind: Kind
    /// What is wrong, and where it helps, what would be right.
    public var text: Text
    /// Where: a file path, `path:line:column`, a routine name, a parameter.
    public var location: String?

    /// `text` in the library's terms.
    public var message: String { text.description }

    // The `String` forms are for messages built elsewhere; a literal is always a `Text` (so that a
    // `Text` or a reference interpolated into it keeps its references).
    @_disfavoredOverload
    public init(_ kind: Kind, _ message: String, at location: String? = nil) {
        self.init(kind, Text(message), at: location)
    }

    public init(_ kind: Kind, _ text: Text, at location: String? = nil) {
        self.kind = kind
        self.text = text
        self.location = location
    }

    @_disfavoredOverload
    public static func input(_ message: String, at location: String? = nil) -> EmbedVizError {
        EmbedVizError(.input, message, at: location)
    }

    public static func input(_ text: Text, at location: String? = nil) -> EmbedVizError {
        EmbedVizError(.input, text, at: location)
    }

    @_disfavoredOverload
    public static func environment(_ message: String, at location: String? = nil) -> EmbedVizError {
        EmbedVizError(.environment, message, at: location)
    }

    public static func environment(_ text: Text, at location: String? = nil) -> EmbedVizError {
        EmbedVizError(.environment, text, at: location)
    }

    /// The one-line form, `<what> (<where>)`, in the library's terms.
    public var description: String { description(naming: { _ in nil }) }

    /// The one-line form, `<what> (<where>)`, with each reference in the text named by `name`
    /// (a front end's flag for a library parameter); where `name` returns nil, the library's name.
    public func description(naming name: (Reference) -> String?) -> String {
        let what = text.rendered(naming: name)
        guard let location else { return what }
        return "\(what) (\(location))"
    }

    /// The same error with a location attached when it had none (e.g. the file a parser was reading).
    public func located(at location: String) -> EmbedVizError {
        var copy = self
        if copy.location == nil { copy.location = location }
        return copy
    }
}

extension EmbedVizError {
    /// A part of the library's API that an error's text names (a parameter, or a call), kept apart
    /// from the prose so that a front end can name its own equivalent instead: the CLI says
    /// `--learning-rate` where the library says `learningRate`.
    public struct Reference: Hashable, Sendable {
        /// The declaration, qualified by the type that declares it: `TSNEParameters.method` (a
        /// property), `TSNE.initialization` (an argument of one of its methods),
        /// `TrainingRun.train(resume: true)` (a call). Front ends look it up by this.
        public var declaration: String
        /// How the library's text names it: "`method`".
        public var name: String
        /// A value the reference needs to be complete (the directory of a run to resume).
        public var argument: String?

        public init(_ declaration: String, name: String, argument: String? = nil) {
            self.declaration = declaration
            self.name = name
            self.argument = argument
        }

        /// The parameter `name` of `owner` (a type's property, or an argument of its methods).
        public static func parameter(_ name: String, of owner: String) -> Reference {
            Reference("\(owner).\(name)", name: "`\(name)`")
        }

        /// A call of the library's API, named in full (`CovarianceAccumulator.merge(_:)`).
        public static func call(_ declaration: String, argument: String? = nil) -> Reference {
            Reference(declaration, name: "`\(declaration)`", argument: argument)
        }
    }

    /// An error's words: prose with `Reference`s in it, written as a string literal whose
    /// interpolations may name them:
    /// `"not \(p.dimensions); use \(parameter: "method", of: "TSNEParameters") exact"`.
    public struct Text: Equatable, Sendable, CustomStringConvertible, ExpressibleByStringInterpolation {
        public enum Part: Equatable, Sendable {
            case prose(String)
            case reference(Reference)
        }

        /// Prose and references in order; adjacent prose is kept as one part, so that equal texts
        /// are equal values.
        public private(set) var parts: [Part] = []

        public init(_ prose: String) { append(prose) }

        public init(stringLiteral value: String) { self.init(value) }

        public init(stringInterpolation: StringInterpolation) { self = stringInterpolation.text }

        /// The library parameters and calls the text names.
        public var references: [Reference] {
            parts.compactMap { if case .reference(let r) = $0 { r } else { nil } }
        }

        /// The text with each reference named by `name`, or where that returns nil, by the library's name.
        public func rendered(naming name: (Reference) -> String?) -> String {
            parts.map { part in
                switch part {
                case .prose(let prose): prose
                case .reference(let reference): name(reference) ?? reference.name
                }
            }.joined()
        }

        /// The text in the library's terms.
        public var description: String { rendered(naming: { _ in nil }) }

        public mutating func append(_ prose: String) {
            guard !prose.isEmpty else { return }
            if case .prose(let last)? = parts.last {
                parts[parts.count - 1] = .prose(last + prose)
            } else {
                parts.append(.prose(prose))
            }
        }

        public mutating func append(_ reference: Reference) { parts.append(.reference(reference)) }

        public mutating func append(_ other: Text) {
            for part in other.parts {
                switch part {
                case .prose(let prose): append(prose)
                case .reference(let reference): append(reference)
                }
            }
        }

        public static func + (lhs: Text, rhs: Text) -> Text {
            var text = lhs
            text.append(rhs)
            return text
        }

        public struct StringInterpolation: StringInterpolationProtocol {
            var text = Text("")

            public init(literalCapacity: Int, interpolationCount: Int) {}

            public mutating func appendLiteral(_ literal: String) { text.append(literal) }

            public mutating func appendInterpolation<T>(_ value: T) { text.append(String(describing: value)) }

            public mutating func appendInterpolation(_ reference: Reference) { text.append(reference) }

            public mutating func appendInterpolation(_ other: Text) { text.append(other) }

            /// `\(parameter: "learningRate", of: "TrainingConfig")`: see `Reference.parameter(_:of:)`.
            public mutating func appendInterpolation(parameter name: String, of owner: String) {
                text.append(.parameter(name, of: owner))
            }

            /// `\(call: "CovarianceAccumulator.merge(_:)")`: see `Reference.call(_:argument:)`.
            public mutating func appendInterpolation(call declaration: String, argument: String? = nil) {
                text.append(.call(declaration, argument: argument))
            }
        }
    }
}
