import Foundation

/// The reference tutorial's whole study in one call: train the CNN (or reuse a cached run), inject
/// noise images into the test set, embed, project with PCA and t-SNE in 2-D and 3-D, repeat for a
/// model with random weights, measure, draw, and write a self-contained report.
public final class TutorialStudy {
    public struct Options: Sendable {
        public var dataDirectory = MNIST.defaultDirectory
        public var output = "runs/demo"
        /// A small, fast version (for CI): 1 epoch on 3,000 images, 2,000 test images with 200 noise,
        /// shorter t-SNE runs.
        public var quick = false
        public var epochs = 20
        public var seed: UInt64 = 1
        public var noise = 1000
        public var noiseSeed: UInt64 = 19
        public var randomWeightsSeed: UInt64 = 7
        /// Polled before every stage and after every training step (e.g. a signal flag): when it
        /// returns true, the study finishes the step in flight and throws an `.interrupted` error.
        public var shouldStop: @Sendable () -> Bool = { false }

        public init() {}
    }

    /// One timed stage of the study.
    public struct Stage: Sendable, Codable {
        public var name: String
        public var seconds: Double
        public var detail: String
    }

    public let options: Options
    public private(set) var stages: [Stage] = []
    let progress: (String) -> Void

    /// - Parameter progress: receives a line at the start and end of every stage, and progress lines
    ///   from training and t-SNE (prefixed with "\r" when they update in place).
    public init(options: Options, progress: @escaping (String) -> Void = { _ in }) {
        self.options = options
        self.progress = progress
    }

    var out: String { options.output }
    func path(_ name: String) -> String { (out as NSString).appendingPathComponent(name) }

    /// Runs `body` as a named stage, timing it; stops before it when a stop was requested.
    @discardableResult
    func stage<T>(_ name: String, _ body: () throws -> (T, String)) throws -> T {
        if options.shouldStop() {
            let done = stages.last.map { "after '\($0.name)'" } ?? "before the first stage"
            throw EmbedVizError(.interrupted, "interrupted: the study stopped \(done); its finished files are in \(out)")
        }
        progress("▶ \(name)")
        let start = Date()
        let (value, detail) = try body()
        let seconds = Date().timeIntervalSince(start)
        stages.append(Stage(name: name, seconds: seconds, detail: detail))
        progress(String(format: "✓ %@ (%.1f s)%@", name, seconds, detail.isEmpty ? "" : " — " + detail))
        return value
    }
}
