import CSupport
import Foundation
import Linalg

// UMAP's optimisation of the map (umap-learn's `optimize_layout_euclidean`): stochastic gradient
// descent on the fuzzy-set cross-entropy, edges sampled in proportion to their weight, negative
// samples for the repulsion (McInnes, Healy & Melville 2018, §3.2 and appendix).
//
// What each epoch n (0-based, of E) does, as umap-learn does it:
//   • edge e (head j → tail k, weight w) is sampled every max w / w epochs (`epochsPerSample`):
//     when its next sample epoch is ≤ n; edges lighter than max w / E were pruned beforehand;
//   • a sampled edge pulls the head towards the tail along the gradient of log q,
//     q = 1 / (1 + a·d^(2b)):  Δy_j = α · clip(−2ab·d^(2(b−1)) / (1 + a·d^(2b)) · (y_j − y_k)),
//     each coordinate clipped to [−4, 4];
//   • then the head is pushed away from `negativeSampleRate` (5) uniformly drawn points per
//     positive sample (umap-learn counts them with the same fractional schedule, so the number
//     varies around 5): Δy_j = α · clip(2γb / ((0.001 + d²)(1 + a·d^(2b))) · (y_j − y_s));
//   • the attraction and the negative samples of one positive sample are all evaluated at the
//     head's position before it, and their clipped steps summed (umap-learn moves the head between
//     them): their d^(2b) are then independent — the negative samples' computed 8 lanes at a time —
//     where the sequential chain of x^y evaluations was what limited the loop. MNIST 70k PCA-50,
//     2 threads, measured alternately under load: SGD 76 → 42 s for the negative samples, then
//     23 → 17 s for the attraction; trustworthiness 0.9585 → 0.9578 → 0.9593, 10-NN accuracy
//     0.9744 → 0.9737 → 0.9743 (umap-learn 0.9599 and 0.975);
//   • the learning rate is α₀ during epochs 0 and 1 and α₀·(1 − (n − 1)/E) in epoch n ≥ 1.
// The loop over a round's heads is C (`embedviz_umap_sgd_round`, CSupport/umap_sgd.c), compiled per
// instruction set with the same operations in the same order as the Swift loop it replaced: the same
// maps bit for bit (1-, 2- and 3-D fits and a transform compared with `cmp`), and the same bits on every
// CPU (scripts/test_clones.sh). In Swift at baseline x86-64 the 8 lanes of x^y were two SSE halves
// through an out-of-line call; MNIST 70k PCA-50, 2 threads: SGD 9.0 → 6.4 s. For maps of more than
// 2 MB (262,144 points in 2-D) the round walks a few sampled edges ahead and prefetches their tails
// and negative samples (reads at random that miss the cache there), computing the same bits.
//
// Determinism with all threads in use. umap-learn's parallel mode is Hogwild (threads write any
// point while others read it), so its maps differ from run to run; with a seed it runs on one
// thread. Here every epoch is one parallel pass over the heads that is independent of how the
// heads are split among threads:
//   • each point's position is written only while its own edges are processed (its CSR row: the
//     graph is stored by head), by the one thread that owns that row in this epoch;
//   • every other position read (tails, negative samples) is read from a snapshot, never from the
//     live map; the snapshot is refreshed `rounds` (8) times per epoch: in round r each head
//     processes its edges r, r + 8, … of its row, so what a point sees is at most 1/8 epoch old;
//   • the negative samples of point j in round r of epoch n come from a counter-based stream keyed
//     by (seed, 8n + r, j) (SplitMix64), not by thread or by the order of work.
// So the map after every epoch is a function of the seed and the data only: identical whatever
// `--threads` is (not merely for a fixed count), and the threads never wait on each other inside
// an epoch.
//   umap-learn's fit also moves the tail (`move_other`): edge j → k moves y_k by the opposite step.
// The graph is symmetric with exactly equal weights both ways, so edge k → j is sampled in the same
// epochs and its own head step is that move; here the head takes twice its attraction step, which
// gives each point the two pulls it gets in umap-learn per sampled pair while only ever writing the
// point that owns the row.
//   What this changes against umap-learn's sequential pass: a point sees the others where they were
// at the start of the round (a Jacobi-style sweep) rather than wherever the sweep has moved them
// (Gauss–Seidel). It matters: with one snapshot per epoch, MNIST 70k PCA-50 (random start, 200
// epochs) reached trustworthiness 0.9473 and 10-NN accuracy 0.9715, with 8 rounds 0.9568 and 0.9737
// (umap-learn 0.5.12, random start, 2 threads: 0.9613 and 0.9748); the rounds cost 1.7× in SGD time
// (measured side by side, load 8–15), when each round still read every edge's cache line (before the
// round-major `schedule`). See `Benchmarks/compare/compare.py --only umap`.
//   With the spectral start, all of the above, 2 threads (alternately with the build before these
// changes, load 3.7–4.1, so about one core free): the 70k fit 44.1 → 21.1 s, SGD 35.7 → 12.8 s,
// byte-identical for --threads 1 and 2; umap-learn in the same window 64.4 s (warm).
//   Transform uses the same pass with the reference map as the (fixed) tail positions: new points
// never interact, so no snapshot is needed and each new point moves only along its own edges.

/// The edges of the optimisation, by head: head j's edges are `tails[rowStart[j]..<rowStart[j + 1]]`
/// with their sampling period `epochsPerSample` (max weight / weight, ≥ 1).
struct LayoutEdges: Sendable {
    var rowStart: [Int]
    var tails: [Int32]
    var epochsPerSample: [Float]

    var heads: Int { rowStart.count - 1 }

    /// The edges of `graph` (already pruned), sampled every max weight / weight epochs.
    init(_ graph: FuzzyGraph) {
        rowStart = graph.rowStart
        tails = graph.columns
        let maximum = graph.maximumWeight
        epochsPerSample = graph.weights.map { maximum / $0 }
    }

    init(rowStart: [Int], tails: [Int32], epochsPerSample: [Float]) {
        self.rowStart = rowStart
        self.tails = tails
        self.epochsPerSample = epochsPerSample
    }
}

/// The SGD of the map (see the notes at the top of this file).
struct LayoutSGD: Sendable {
    var curve: MapCurve
    var epochs: Int
    var initialLearningRate: Double
    var negativeSampleRate: Int
    var repulsionStrength: Double
    var seed: UInt64
    /// Rounds per epoch of a fit: in round r each head processes its edges r, r + rounds, … (of its
    /// row), and the snapshot the others are read from is refreshed before every round, so what a
    /// point sees is at most 1/rounds of an epoch old.
    static let rounds = 8

    /// How many parts each epoch's heads are split into (nil: 4 per thread, at least 512 heads each).
    /// The map does not depend on it (the tests check that); only the balance of the work does.
    var parts: Int? = nil

    /// Optimises `head` (heads × `dimensions`, row-major) along `edges`. `tail` nil: the map is its own
    /// tail (a fit: tails read from each epoch's snapshot, attraction taken twice, a point never its
    /// own negative sample); else the fixed positions (tails × `dimensions`) of a transform's reference.
    /// `progress(epoch)` is called after each epoch with the number of epochs done; `observe`, when
    /// given, with the map after each epoch.
    func optimise(_ head: inout [Float], dimensions: Int, edges: LayoutEdges, tail: [Float]? = nil,
                  progress: (Int) -> Void = { _ in }, observe: ((Int, [Float]) -> Void)? = nil) {
        switch dimensions {
        case 1: run(&head, SIMD2<Float>.self, dimensions: 1, edges: edges, tail: tail, progress: progress, observe: observe)
        case 2: run(&head, SIMD2<Float>.self, dimensions: 2, edges: edges, tail: tail, progress: progress, observe: observe)
        case 3: run(&head, SIMD4<Float>.self, dimensions: 3, edges: edges, tail: tail, progress: progress, observe: observe)
        default: preconditionFailure("UMAP layouts have 1, 2 or 3 dimensions, not \(dimensions)")
        }
    }

    /// Positions as SIMD vectors (coordinates beyond `dimensions` zero, and they stay zero: their
    /// differences are zero, so are their steps).
    private static func pack<V: SIMD>(_ flat: [Float], _ d: Int, as _: V.Type) -> [V] where V.Scalar == Float {
        (0..<(flat.count / d)).map { i in
            var v = V()
            for c in 0..<d { v[c] = flat[i * d + c] }
            return v
        }
    }

    /// The edges' states in the order the rounds visit them: round r's edges of head j (its row's
    /// r, r + rounds, …) at `schedule[start[r·(heads + 1) + j] ..< start[r·(heads + 1) + j + 1]]`, so
    /// that a round reads one contiguous stream (a row's edges strided by `rounds` would make every
    /// round read every cache line of the edges, and push the map out of the cache).
    private static func schedule(_ edges: LayoutEdges, rounds: Int, negativeSampleRate rate: Float)
        -> (start: [Int], schedule: [embedviz_umap_edge]) {
        let heads = edges.heads
        var start = [Int](repeating: 0, count: rounds * (heads + 1))
        var schedule = [embedviz_umap_edge]()
        schedule.reserveCapacity(edges.tails.count)
        for r in 0..<rounds {
            for j in 0..<heads {
                start[r * (heads + 1) + j] = schedule.count
                for e in stride(from: edges.rowStart[j] + r, to: edges.rowStart[j + 1], by: rounds) {
                    let period = edges.epochsPerSample[e]
                    schedule.append(embedviz_umap_edge(tail: edges.tails[e], period: period, nextSample: period,
                                                       nextNegative: rate > 0 ? period / rate : 0))
                }
            }
            start[r * (heads + 1) + heads] = schedule.count
        }
        return (start, schedule)
    }

    private func run<V: SIMD>(_ head: inout [Float], _: V.Type, dimensions d: Int, edges: LayoutEdges, tail: [Float]?,
                              progress: (Int) -> Void, observe: ((Int, [Float]) -> Void)?) where V.Scalar == Float {
        let fit = tail == nil
        let heads = edges.heads
        precondition(head.count == heads * d, "\(head.count) coordinates for \(heads) heads in \(d)-D")
        var y = Self.pack(head, d, as: V.self)
        var reference = tail.map { Self.pack($0, d, as: V.self) } ?? y
        let rate = Float(negativeSampleRate)
        let (a, b) = (Float(curve.a), Float(curve.b))
        var parameters = embedviz_umap_round(a: a, b: b, attractionScale: -2 * a * b,
                                             repulsionScale: 2 * Float(repulsionStrength) * b, moves: fit ? 2 : 1,
                                             rate: rate, epoch: 0, step: 0, tailCount: reference.count,
                                             fit: fit ? 1 : 0, width: Int32(MemoryLayout<V>.stride / 4),
                                             streamKey: Self.mix(seed &+ 0x5EED_0F_0AB5_0000), streamEpoch: 0, lookAhead: -1)
        var alpha = Float(initialLearningRate)
        let parts = max(1, self.parts ?? min(4 * Threads.count, heads / 512))
        let rounds = fit ? Self.rounds : 1
        var (roundStart, schedule) = Self.schedule(edges, rounds: rounds, negativeSampleRate: rate)
        for n in 0..<epochs {
            for round in 0..<rounds {
                if fit, n + round > 0 { reference.withUnsafeMutableBufferPointer { r in y.withUnsafeBufferPointer { r.baseAddress!.update(from: $0.baseAddress!, count: $0.count) } } }
                // The negative samples of head j in this round come from a stream keyed by (seed, round of
                // the fit, j): never by thread or by the order of work.
                (parameters.streamEpoch, parameters.epoch, parameters.step) = (UInt64(n * rounds + round), Float(n), alpha)
                roundStart.withUnsafeBufferPointer { roundStart in
                    schedule.withUnsafeMutableBufferPointer { schedule in
                        reference.withUnsafeBytes { others in
                            y.withUnsafeMutableBytes { y in
                                let start = roundStart.baseAddress! + round * (heads + 1)
                                let shared = UncheckedSendable((parameters, start, schedule.baseAddress!,
                                                                others.assumingMemoryBound(to: Float.self).baseAddress!,
                                                                y.assumingMemoryBound(to: Float.self).baseAddress!))
                                Threads.forEachPart(parts) { part in
                                    let range = Threads.chunkRange(part, of: parts, total: heads)
                                    var (parameters, start, schedule, others, y) = shared.value
                                    embedviz_umap_sgd_round(&parameters, start, schedule, others, y, range.lowerBound, range.upperBound)
                                }
                            }
                        }
                    }
                }
            }
            alpha = Float(initialLearningRate * (1 - Double(n) / Double(epochs)))
            progress(n + 1)
            if let observe { observe(n + 1, Self.unpack(y, d)) }
        }
        head = Self.unpack(y, d)
    }

    private static func unpack<V: SIMD>(_ y: [V], _ d: Int) -> [Float] where V.Scalar == Float {
        var flat = [Float](repeating: 0, count: y.count * d)
        for i in y.indices {
            for c in 0..<d { flat[i * d + c] = y[i][c] }
        }
        return flat
    }

    /// x^y for x > 0 (finite, normal or subnormal) as 2^(y·log₂ x), in Float, without the
    /// special cases of `powf` (the SGD's hot loop evaluates one per sample; umap_sgd.c). log₂ x:
    /// x = 2^e·m with m in [√½, √2), ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172, to s⁷
    /// (truncation < 3e-8); 2^t: t = i + f with |f| ≤ ½, e^(f·ln 2) to the 6th power (truncation
    /// < 1.2e-7 relative). With Float rounding the relative error is below 1e-7·|y·log₂ x| + 6e-7
    /// (the tests check it; powf's is ~6e-8); beyond |y·log₂ x| > 126 it saturates to 2⁻¹²⁶ or 2¹²⁶.
    static func power(_ x: Float, _ y: Float) -> Float { embedviz_umap_power(x, y) }

    /// `power` of each lane of `x` (each lane normal and positive: no subnormal scaling), as the
    /// negative samples' 8 lanes are computed: each lane equals the scalar result bit for bit.
    static func power(_ x: SIMD8<Float>, _ y: Float) -> SIMD8<Float> {
        var lanes = x, out = SIMD8<Float>()
        withUnsafeBytes(of: &lanes) { x in
            withUnsafeMutableBytes(of: &out) { embedviz_umap_power8(x.baseAddress!.assumingMemoryBound(to: Float.self), y, $0.baseAddress!.assumingMemoryBound(to: Float.self)) }
        }
        return out
    }

    /// SplitMix64's finaliser: a bijective mix of 64 bits.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
