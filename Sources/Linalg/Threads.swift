import CSupport
import COpenBLAS
import Dispatch
import Foundation
import Synchronization

/// The number of threads EmbedViz uses, for OpenBLAS and for its own parallel loops.
///
/// One explicit setting instead of hidden globals: `Threads.set(n)` tells OpenBLAS
/// (`openblas_set_num_threads`) and sizes `Threads.parallelFor`. Use one level of parallelism at a
/// time: big GEMMs with BLAS threads and serial Swift around them; many small GEMMs or pure-Swift
/// kernels with `withBLASThreads(1)` around a `parallelFor`. Multithreaded BLAS is not
/// bit-reproducible across thread counts, so determinism holds for a fixed count.
///
/// **Concurrent callers.** OpenBLAS's thread count is one process-wide setting, so it has one owner
/// at a time: a *BLAS section* (`withBLASThreads`) holds a process-wide lock while it runs with its
/// count, and the worker threads of the parallel loops it starts belong to it. Every BLAS and
/// LAPACK call of `Linalg` runs inside a section (its caller's, or one of the configured count), so
/// library calls made concurrently from several threads never see each other's setting: their BLAS
/// work takes turns, each part with the thread count it asked for. Code that calls OpenBLAS
/// directly, beside EmbedViz, should do so inside `Threads.withBLASThreads` too.
public enum Threads {
    /// Initialised from OpenBLAS's count at load time, not at first use (which may come inside a
    /// section that runs OpenBLAS with fewer threads).
    private static let setting = Mutex<Int>(Int(embedviz_openblas_initial_threads()))
    /// Held by the BLAS section in progress (its thread count is OpenBLAS's).
    private static let sectionLock = NSLock()

    /// The configured thread count (default: OpenBLAS's, i.e. the cores or `OPENBLAS_NUM_THREADS`).
    public static var count: Int { setting.withLock { $0 } }

    /// Sets the thread count for OpenBLAS and EmbedViz's own loops; clamped to 1…1024.
    public static func set(_ n: Int) {
        let n = min(max(1, n), 1024)
        withBLASSection {
            setting.withLock { $0 = n }
            openblas_set_num_threads(Int32(n))
        }
    }

    /// Runs `body` as a BLAS section with OpenBLAS limited to `n` threads, then restores the count.
    /// Use `n = 1` around Swift-level parallel loops that call BLAS from several threads. Inside a
    /// section (or a worker of one) this only changes the count for `body`; elsewhere it first waits
    /// for the section in progress on another thread, if any, to end.
    public static func withBLASThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        try withBLASSection {
            let previous = openblas_get_num_threads(), wanted = Int32(min(max(1, n), 1024))
            if previous == wanted { return try body() }
            openblas_set_num_threads(wanted)
            defer { openblas_set_num_threads(previous) }
            return try body()
        }
    }

    /// Runs `body` inside a BLAS section: at once when the calling thread belongs to one, else
    /// holding the section lock, with OpenBLAS at the configured count. Every BLAS/LAPACK wrapper
    /// of Linalg goes through here.
    @inlinable
    public static func withBLASSection<R>(_ body: () throws -> R) rethrows -> R {
        if embedviz_in_blas_section() != 0 { return try body() }
        return try enterBLASSection(body)
    }

    @usableFromInline
    static func enterBLASSection<R>(_ body: () throws -> R) rethrows -> R {
        sectionLock.lock()
        embedviz_set_in_blas_section(1)
        defer {
            embedviz_set_in_blas_section(0)
            sectionLock.unlock()
        }
        return try body()
    }

    /// Splits `0..<n` into at most `Threads.count` contiguous chunks and runs `body(range)` for each
    /// chunk in parallel; the partition depends only on `n` and the thread count, so work that is
    /// deterministic per chunk stays deterministic. Worker tasks run in the caller's `FloatMode`.
    public static func parallelFor(_ n: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(count, n / max(1, minimumChunk)))
        if chunks == 1 || n <= 1 {
            if n > 0 { body(0..<n) }
            return
        }
        let mode = embedviz_get_float_mode(), member = embedviz_in_blas_section()
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                asWorker(mode: mode, inBLASSection: member) { box.value(chunkRange(c, of: chunks, total: n)) }
            }
        }
    }

    /// Runs `body(k)` for `k` in `0..<parts`, in parallel when `parts > 1` (one task per part).
    public static func forEachPart(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            if parts == 1 { body(0) }
            return
        }
        let mode = embedviz_get_float_mode(), member = embedviz_in_blas_section()
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { k in
                asWorker(mode: mode, inBLASSection: member) { box.value(k) }
            }
        }
    }

    /// Runs a parallel loop's task in its caller's floating-point mode and BLAS section (a worker may
    /// be the calling thread itself: its own state is restored afterwards).
    private static func asWorker(mode: UInt32, inBLASSection member: Int32, _ body: () -> Void) {
        let wasMember = embedviz_in_blas_section()
        embedviz_set_in_blas_section(member)
        defer { embedviz_set_in_blas_section(wasMember) }
        FloatMode.with(mode, body)
    }

    /// `body(k)` for `k` in `0..<parts`, computed in parallel, results in order.
    public static func mapParts<T>(_ parts: Int, _ body: (Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: parts)
        results.withUnsafeMutableBufferPointer { out in
            let slots = UncheckedSendable(out)
            forEachPart(parts) { k in slots.value[k] = body(k) }
        }
        return results.map { $0! }
    }

    /// The `c`-th of `chunks` contiguous, nearly equal parts of `0..<total`.
    public static func chunkRange(_ c: Int, of chunks: Int, total: Int) -> Range<Int> {
        let base = total / chunks, extra = total % chunks
        let start = c * base + min(c, extra)
        return start..<(start + base + (c < extra ? 1 : 0))
    }
}

/// Wraps a value whose concurrent use the caller has made safe (disjoint writes, read-only sharing).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// What OpenBLAS reports about itself: the proof of which BLAS is linked and how it runs.
public struct BLASInfo: Sendable, Codable, Equatable {
    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".
    public var config: String
    /// `openblas_get_corename()`: the kernel set chosen for this CPU, e.g. "SkylakeX".
    public var coreName: String
    /// Threads OpenBLAS uses now.
    public var threads: Int
    /// Processors OpenBLAS sees.
    public var processors: Int
    /// "sequential", "pthreads" or "openmp".
    public var parallelism: String
    /// The generic kernel set OpenBLAS had fallen back to before EmbedViz selected the CPU's own
    /// (e.g. "Prescott" on CPUs newer than its tables), or nil when OpenBLAS's choice was kept.
    public var replacedCore: String?

    public static var current: BLASInfo {
        let mode: String
        switch openblas_get_parallel() {
        case 0: mode = "sequential"
        case 1: mode = "pthreads"
        case 2: mode = "openmp"
        default: mode = "unknown"
        }
        let replaced = String(cString: embedviz_openblas_original_core())
        return BLASInfo(config: String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces),
                        coreName: String(cString: openblas_get_corename()),
                        threads: Threads.withBLASSection { Int(openblas_get_num_threads()) },
                        processors: Int(openblas_get_num_procs()),
                        parallelism: mode,
                        replacedCore: replaced.isEmpty ? nil : replaced)
    }
}

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
    public static func check(_ bytes: Int, for step: String, alternative: String) throws(EmbedVizError) {
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

/// The floating-point mode of the calling thread: whether subnormal numbers are flushed to zero.
///
/// Training loops run with flushing on: Adam's moments and many gradients decay into the subnormal
/// range, where x86 arithmetic is slow (an epoch of the tutorial's CNN took 40% longer without it).
/// Nothing a float32 model can resolve lives there. Parallel loops carry the mode into their tasks.
public enum FloatMode {
    /// Runs `body` with subnormals flushed to zero (FTZ and DAZ), restoring the mode afterwards.
    public static func flushingDenormals<R>(_ body: () throws -> R) rethrows -> R {
        try with(embedviz_flushing_mode(embedviz_get_float_mode()), body)
    }

    static func with<R>(_ mode: UInt32, _ body: () throws -> R) rethrows -> R {
        let previous = embedviz_get_float_mode()
        if previous == mode { return try body() }
        embedviz_set_float_mode(mode)
        defer { embedviz_set_float_mode(previous) }
        return try body()
    }
}
