import Dispatch

/// Where one training step's time goes: wall-clock nanoseconds per stage, for the step-breakdown
/// benchmark (`TutorialCNN.trainingStep(…, profile:)`). Off (nil) in training, where it costs one
/// branch per stage.
///
/// The step runs in parallel regions (every part of the batch on its own thread) separated by the
/// batch-norm exchanges. A stage inside a region is timed on each part, and its figure is the mean
/// over the parts; `synchronisation` is what a region's wall time has beyond its parts' mean work —
/// waking the threads, waiting for the slower part, the barrier. So the stages, the exchanges and
/// the synchronisation add up to the step's wall time.
public final class StepProfile: @unchecked Sendable {
    public enum Stage: Int, CaseIterable, Sendable {
        /// The statistics pass: the split input and each part's Σ (x − μ)² of the convolution's maps
        /// (direct convolutions; the mean comes from the input's tap sums in the exchange).
        case batchNormStatistics
        /// Serial between the regions: the whole batch's mean, variance, running estimates, and the
        /// means of dy and dy·x̂ in the backward pass.
        case batchNormExchange
        /// Convolution, batch norm, ReLU, max-pool, ReLU, flatten (fused).
        case normalisePoolForward
        case fc1Forward
        /// ReLU, fc2, softmax and the loss.
        case fc2LossForward
        /// The loss's gradient, fc2 backward, ReLU backward.
        case lossFc2Backward
        /// fc1's weight and input gradients.
        case fc1Backward
        /// Unflatten, ReLU, max-pool and ReLU backward, with the batch-norm gradient sums.
        case poolBackward
        /// Batch-norm input gradient and from it the convolution's weight and bias gradients (fused).
        case convolutionBackward
        /// Adam: fc1's weights by blocks of rows in the last region, the rest serially after it.
        case adam
        /// Region wall time beyond the parts' mean work (see the type's summary).
        case synchronisation

        public var name: String {
            switch self {
            case .batchNormStatistics: "conv+BN statistics"
            case .batchNormExchange: "BN exchange (serial)"
            case .normalisePoolForward: "conv+BN+ReLU+pool forward"
            case .fc1Forward: "fc1 forward"
            case .fc2LossForward: "fc2+loss forward"
            case .lossFc2Backward: "loss+fc2 backward"
            case .fc1Backward: "fc1 backward"
            case .poolBackward: "pool+ReLU backward, BN sums"
            case .convolutionBackward: "BN+conv backward"
            case .adam: "Adam"
            case .synchronisation: "synchronisation/waiting"
            }
        }
    }

    public static let maximumParts = 64
    private let slots: UnsafeMutablePointer<UInt64>  // [stage][part]: ns inside regions (per part) or serial (part 0)
    private let regionWork: UnsafeMutablePointer<UInt64>  // [part]: ns of work in the current region
    private var parts = 1
    /// Steps recorded since the last `reset()`.
    public private(set) var steps = 0

    public init() {
        let count = Stage.allCases.count * Self.maximumParts
        slots = .allocate(capacity: count)
        slots.initialize(repeating: 0, count: count)
        regionWork = .allocate(capacity: Self.maximumParts)
        regionWork.initialize(repeating: 0, count: Self.maximumParts)
    }

    deinit {
        slots.deallocate()
        regionWork.deallocate()
    }

    public func reset() {
        slots.update(repeating: 0, count: Stage.allCases.count * Self.maximumParts)
        steps = 0
    }

    /// Nanoseconds per step spent in `stage` (mean over the parts for stages inside regions).
    public func nanosecondsPerStep(_ stage: Stage) -> Double {
        var total: UInt64 = 0
        for k in 0..<parts { total += slots[stage.rawValue * Self.maximumParts + k] }
        let perPart = stage == .batchNormExchange || stage == .synchronisation ? 1 : parts
        return Double(total) / Double(perPart) / Double(max(steps, 1))
    }

    // MARK: Recording (called by the training step)

    func beginStep(parts: Int) {
        precondition(parts <= Self.maximumParts)
        self.parts = parts
    }

    func endStep() { steps += 1 }

    /// Times `body` as part of `stage` on part `k` (inside a region) or serially (k = 0).
    @inline(__always)
    func time<R>(_ stage: Stage, part k: Int, _ body: () -> R) -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        slots[stage.rawValue * Self.maximumParts + k] += elapsed
        regionWork[k] += elapsed
        return result
    }

    /// Times `body`, serial work between the regions that every part waits for, as part of `stage`
    /// on every part.
    func timeSerial<R>(_ stage: Stage, _ body: () -> R) -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        for k in 0..<parts { slots[stage.rawValue * Self.maximumParts + k] += elapsed }
        return result
    }

    /// Times a parallel region: what its wall time has beyond the parts' mean work is synchronisation.
    func region(_ body: () -> Void) {
        regionWork.update(repeating: 0, count: parts)
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        let wall = DispatchTime.now().uptimeNanoseconds - start
        var work: UInt64 = 0
        for k in 0..<parts { work += regionWork[k] }
        let mean = work / UInt64(parts)
        slots[Stage.synchronisation.rawValue * Self.maximumParts] += wall > mean ? wall - mean : 0
    }
}

extension Optional where Wrapped == StepProfile {
    /// `body`, timed when profiling.
    @inline(__always)
    func time<R>(_ stage: StepProfile.Stage, part k: Int, _ body: () -> R) -> R {
        guard let profile = self else { return body() }
        return profile.time(stage, part: k, body)
    }

    @inline(__always)
    func timeSerial<R>(_ stage: StepProfile.Stage, _ body: () -> R) -> R {
        guard let profile = self else { return body() }
        return profile.timeSerial(stage, body)
    }

    @inline(__always)
    func region(_ body: () -> Void) {
        guard let profile = self else { return body() }
        profile.region(body)
    }
}
