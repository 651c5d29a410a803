import Foundation
import Linalg
import TestSupport
import Testing
@testable import embedviz

/// Issue 15: the library speaks in its own terms. Its errors name library parameters and carry no
/// exit codes; `ErrorBoundary` gives them the CLI's flags and exit codes.
@Suite struct ErrorBoundaryTests {
    /// Sources/<module>/**/*.swift of every library module (everything but the CLI): path → text.
    static let librarySources: [(path: String, text: String)] = {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        var files: [(String, String)] = []
        let modules = (try? FileManager.default.contentsOfDirectory(atPath: sources.path)) ?? []
        for module in modules.sorted() where module != "embedviz" {
            let root = sources.appendingPathComponent(module)
            for case let relative as String in FileManager.default.enumerator(atPath: root.path) ?? .init()
            where relative.hasSuffix(".swift") {
                let path = root.appendingPathComponent(relative).path
                if let text = try? String(contentsOfFile: path, encoding: .utf8) { files.append(("\(module)/\(relative)", text)) }
            }
        }
        return files
    }()

    @Test("no string literal in a library module names a CLI flag or an `embedviz` command")
    func noFlagsInTheLibrary() throws {
        #expect(Self.librarySources.count > 20, "found \(Self.librarySources.count) library source files")
        let flag = try Regex(#"(^|[^\w-])--[a-z]"#)
        let command = try Regex(#"\bembedviz [a-z]"#)
        var offending: [String] = []
        for (path, text) in Self.librarySources {
            for literal in SwiftLiterals.strings(in: text) where literal.contains(flag) || literal.contains(command) {
                offending.append("\(path): \"\(literal)\"")
            }
        }
        #expect(offending.isEmpty, "library strings naming the CLI:\n\(offending.joined(separator: "\n"))")
    }

    @Test("the scanner finds literals, skips comments and interpolated code")
    func scanner() {
        let source = #"""
            // "--comment"
            let a = "use \(x ? "--inner" : "b") --flag" /* "--block" */
            let b = """
                multi --line
                """
            """#
        #expect(SwiftLiterals.strings(in: source) == ["use ", "--inner", "b", " --flag", "\n    multi --line\n    "])
    }

    @Test("every library parameter or call an error can name has a CLI name in ErrorBoundary's table")
    func everyReferenceHasACLIName() throws {
        let parameter = try Regex(#"parameter(?::\s*|\(\s*)"(\w+)",\s*of:\s*"([^"]+)""#)
        let call = try Regex(#"call(?::\s*|\(\s*)"([^"]+)""#)
        let reference = try Regex(#"Reference\(\s*"([^"]+)",\s*name:"#)
        var declarations: Set<String> = []
        for (path, text) in Self.librarySources where !path.hasSuffix("EmbedVizError.swift") {  // its doc comments show examples
            let code = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
            for m in code.matches(of: parameter) { declarations.insert("\(m.output[2].substring!).\(m.output[1].substring!)") }
            for m in code.matches(of: call) { declarations.insert(String(m.output[1].substring!)) }
            for m in code.matches(of: reference) { declarations.insert(String(m.output[1].substring!)) }
        }
        #expect(declarations.count >= 10, "\(declarations.sorted())")
        let missing = declarations.filter { ErrorBoundary.names[$0] == nil && !ErrorBoundary.unexposed.contains($0) }
        #expect(missing.isEmpty, "no CLI name for \(missing.sorted()): add its flag to ErrorBoundary.names (or, without one, to .unexposed)")
        #expect(ErrorBoundary.unexposed.isDisjoint(with: ErrorBoundary.names.keys))
        let unused = Set(ErrorBoundary.names.keys).union(ErrorBoundary.unexposed).subtracting(declarations)
        #expect(unused.isEmpty, "table entries no library error names: \(unused.sorted())")
    }

    @Test("an error naming a library parameter is rendered with the flag; the library's own wording names the parameter")
    func rendering() {
        let error = EmbedVizError(.numerical, "diverged; try a smaller \(parameter: "learningRate", of: "TrainingConfig")", at: "runs/a")
        #expect(error.description == "diverged; try a smaller `learningRate` (runs/a)")
        #expect(ErrorBoundary.line(for: error) == "diverged; try a smaller --learning-rate (runs/a)")
        let resume = EmbedVizError(.interrupted, "continue with \(call: "TrainingRun.train(resume: true)", argument: "runs/a")")
        #expect(resume.message == "continue with `TrainingRun.train(resume: true)`")
        #expect(ErrorBoundary.line(for: resume) == "continue with `embedviz train --resume --out runs/a`")
        let unknown = EmbedVizError.input("set \(parameter: "novel", of: "Nowhere")")
        #expect(ErrorBoundary.line(for: unknown) == "set `novel`")
    }

    @Test("a command's own flag for a library parameter wins: the study's --umap-min-dist, umap's --min-dist")
    func commandsOwnNames() throws {
        let error = EmbedVizError.input("UMAP's \(parameter: "minDist", of: "UMAPParameters") must be small; \(parameter: "spread", of: "UMAPParameters")")
        #expect(ErrorBoundary.line(for: error) == "UMAP's --min-dist must be small; --spread")
        let report = try ReportCommand.parse(["--embeddings", "x.npy", "--out", "o"])
        #expect(ErrorBoundary.line(for: error, in: report) == "UMAP's --umap-min-dist must be small; --spread")
        #expect(ErrorBoundary.line(for: error, in: try Demo.parse([])) == "UMAP's --umap-min-dist must be small; --spread")
        #expect(ErrorBoundary.line(for: error, in: try UMAPFit.parse(["--input", "x.npy"])) == "UMAP's --min-dist must be small; --spread")
    }

    @Test("exit codes belong to the CLI: input and numerical 1, environment 2, interrupted 130")
    func exitCodes() {
        #expect(ErrorBoundary.exitCode(for: .input) == 1)
        #expect(ErrorBoundary.exitCode(for: .numerical) == 1)
        #expect(ErrorBoundary.exitCode(for: .environment) == 2)
        #expect(ErrorBoundary.exitCode(for: .interrupted) == 130)
    }

    @Test("end to end: raw float32 without a shape names --shape, streamed NPY names --output-format")
    func endToEnd() {
        let d = scratchDirectory()
        write(Array(repeating: 0, count: 48), d + "/x.f32")
        let shape = embedviz(["pca", "--input", d + "/x.f32", "--output", d + "/OUT.npy"])
        #expect(shape.status == 1)
        #expect(shape.stderr == "error: raw float32 input needs its shape: --shape N,D (or --shape D) (\(d)/x.f32)\n")
        npy(60, 5, d + "/x.npy") { i, j in Float((i * 7 + j * 13) % 23) + Float(j) * 0.1 }
        npy(60, 2, d + "/map.npy") { i, j in Float((i * 5 + j * 11) % 17) }
        let stream = embedviz(["tsne", "transform", "--reference", d + "/map.npy", "--reference-input", d + "/x.npy",
                               "--input", "-", "--format", "csv", "--output", "-", "--output-format", "npy", "--quiet"],
                              stdin: Data("1,2,3,4,5\n".utf8))
        #expect(stream.status == 1)
        #expect(stream.stderr == "error: NPY output to a stream needs the row count up front; use --output-format f32, csv or tsv for streams (<stdout>)\n")
    }
}

/// The contents of the string literals in Swift source: comments skipped, interpolated code left
/// out (its own literals are listed separately), single-line, multi-line and raw strings.
enum SwiftLiterals {
    static func strings(in source: String) -> [String] {
        var scanner = Scanner(characters: Array(source.unicodeScalars))
        scanner.code(nested: false)
        return scanner.literals
    }

    struct Scanner {
        let characters: [Unicode.Scalar]
        var i = 0
        var literals: [String] = []

        init(characters: [Unicode.Scalar]) { self.characters = characters }

        func at(_ k: Int, _ text: String) -> Bool {
            let t = Array(text.unicodeScalars)
            return k + t.count <= characters.count && Array(characters[k..<(k + t.count)]) == t
        }

        /// Code up to the end, or (nested in an interpolation) up to its closing parenthesis.
        mutating func code(nested: Bool) {
            var depth = 0
            while i < characters.count {
                if at(i, "//") {
                    while i < characters.count && characters[i] != "\n" { i += 1 }
                } else if at(i, "/*") {
                    var level = 0
                    repeat {
                        if at(i, "/*") { level += 1; i += 2 } else if at(i, "*/") { level -= 1; i += 2 } else { i += 1 }
                    } while level > 0 && i < characters.count
                } else if characters[i] == "#" || characters[i] == "\"" {
                    var hashes = 0
                    while at(i + hashes, "#") { hashes += 1 }
                    guard at(i + hashes, "\"") else { i += max(hashes, 1); continue }
                    i += hashes
                    let multiline = at(i, "\"\"\"")
                    i += multiline ? 3 : 1
                    literal(multiline: multiline, hashes: hashes)
                } else {
                    if characters[i] == "(" { depth += 1 }
                    if characters[i] == ")" {
                        if nested && depth == 0 { i += 1; return }
                        depth -= 1
                    }
                    i += 1
                }
            }
        }

        mutating func literal(multiline: Bool, hashes: Int) {
            let close = (multiline ? "\"\"\"" : "\"") + String(repeating: "#", count: hashes)
            let escape = "\\" + String(repeating: "#", count: hashes)
            var current = String.UnicodeScalarView()
            while i < characters.count {
                if at(i, close) { i += close.unicodeScalars.count; break }
                if !multiline && characters[i] == "\n" { break }
                if at(i, escape) {
                    let next = i + escape.unicodeScalars.count
                    if next < characters.count && characters[next] == "(" {
                        literals.append(String(current))
                        current = String.UnicodeScalarView()
                        i = next + 1
                        code(nested: true)
                        continue
                    }
                    current.append(contentsOf: characters[i..<min(next + 1, characters.count)])
                    i = next + 1
                    continue
                }
                current.append(characters[i])
                i += 1
            }
            literals.append(String(current))
        }
    }
}
