import CSupport

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
