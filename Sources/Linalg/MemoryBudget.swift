import Foundation
import Synchronization

/// The working-set budget that large dense steps (exact t-SNE, full distance matrices) check up
/// front, so they refuse with the size they would need instead of exhausting memory.
public enum MemoryBudget {
    private static let setting = Mutex<Int>(defaultBytes)

    /// Half of physical memory, at most 16 GiB; `EMBEDVIZ_MEMORY_BUDGET_MB` overrides it.
    public static var defaultBytes: Int {
        if let text = ProcessInfo.processInfo.environment["EMBEDVIZ_MEMORY_BUDGET_MB"], let mb = Int(text), mb > 0 {
            return mb << 20
        }
        return min(Int(ProcessInfo.processInfo.physicalMemory / 2), 16 << 30)
    }

    /// A budget for the current task and the tasks it creates only (see `withBudget`).
    @TaskLocal private static var scoped: Int?

    /// The budget in effect: the innermost `withBudget`, else the process-wide setting.
    public static var bytes: Int { scoped ?? setting.withLock { $0 } }
    /// Sets the process-wide budget.
    public static func set(bytes: Int) { setting.withLock { $0 = max(0, bytes) } }

    /// Runs `body` with a different budget for the current task only, leaving work that runs
    /// concurrently elsewhere (e.g. other tests in the same process) under the process-wide one.
    public static func withBudget<R>(bytes: Int, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(max(0, bytes), operation: body)
    }

    /// Throws when `bytes` exceed the budget, naming the step, the size and the alternative.
    public static func check(_ bytes: Int, for step: String, alternative: EmbedVizError.Text) throws(EmbedVizError) {
        let budget = self.bytes
        guard bytes > budget else { return }
        throw EmbedVizError.input(
            "\(step) would need \(formatBytes(bytes)) of working memory, over the budget of \(formatBytes(budget)); \(alternative)")
    }

    /// Bytes as a short human-readable size ("1.5 GiB").
    public static func formatBytes(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : "\(String(format: "%.1f", value)) \(units[unit])"
    }
}
