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
        forEachPart(chunks) { c in body(chunkRange(c, of: chunks, total: n)) }
    }

    /// Runs `body(k)` for `k` in `0..<parts`, one task per part, on up to `Threads.count` threads (with
    /// one thread: in order, on the caller).
    public static func forEachPart(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            if parts == 1 { body(0) }
            return
        }
        let mode = embedviz_get_float_mode(), member = embedviz_in_blas_section()
        // The persistent workers when they are free (see WorkerPool), else GCD.
        if WorkerPool.shared.run(parts: parts, helpers: min(parts, count) - 1, mode: mode, member: member, body) { return }
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
