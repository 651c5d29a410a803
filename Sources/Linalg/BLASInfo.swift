import CSupport
import COpenBLAS
import Foundation

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
