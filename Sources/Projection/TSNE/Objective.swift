import Dispatch
import Foundation
import Linalg

/// What the t-SNE optimiser minimises: it asks for the gradient at a position (and the objective's
/// value when due); how the work is split across threads is the objective's business.
/// (openTSNE's `kl_divergence_bh(...) -> (kl, gradient)` contract.)
public protocol TSNEObjective {
    /// Writes the gradient at `y` (N×d, without t-SNE's conventional factor 4) into `gradient` and,
    /// with `evaluate`, returns the objective's value (nil when it has none, e.g. a placement).
    /// - Throws: when the positions are unusable (non-finite, or too large a map for the method).
    mutating func gradient(at y: Embedding, exaggeration: Double, evaluate: Bool,
                           into gradient: UnsafeMutableBufferPointer<Double>) throws(EmbedVizError) -> Double?

    /// Relabels the objective's points (point r becomes point `order[r]` of before); false when the
    /// objective cannot (then the optimiser keeps the numbering).
    mutating func renumber(_ order: [Int32]) -> Bool
}

extension TSNEObjective {
    public mutating func renumber(_ order: [Int32]) -> Bool { false }
}

/// The KL divergence of a map from the input affinities P, with its gradient: the attractive term
/// over the sparse P, and the repulsive term from one of the approximations (`RepulsiveForces`).
///
/// Threads: the repulsion's position-only preparation (the Barnes–Hut tree, the FFT grid set-up)
/// runs on the first thread while every other thread computes attractive forces; the first joins
/// the attraction when it is done. Its share of the rows follows the measured costs so that all
/// finish together; the result does not depend on the split (each row is summed by one thread, in
/// one order). Then the repulsion runs with every thread.
public struct KLDivergence: TSNEObjective {
    public private(set) var p: SparseAffinities
    public private(set) var forces: any RepulsiveForces
    private var repulsion: [Double] = []
    /// The positions rounded to Float, for the attraction's SIMD lanes (made once per iteration, in parallel).
    private var single: [Float] = []
    /// The first thread's share of the attraction rows (it also prepares the repulsion).
    private var preparedShare = 0.25

    public init(_ p: SparseAffinities, forces: any RepulsiveForces) {
        self.p = p
        self.forces = forces
    }

    /// P relabelled (`SparseAffinities.renumbered`); the repulsion keeps nothing of the numbering
    /// between iterations (its tree or buckets are made from each iteration's positions).
    public mutating func renumber(_ order: [Int32]) -> Bool {
        p = p.renumbered(order)
        return true
    }

    public mutating func gradient(at y: Embedding, exaggeration: Double, evaluate: Bool,
                                  into gradient: UnsafeMutableBufferPointer<Double>) throws(EmbedVizError) -> Double? {
        // Before any grid or tree is made from the positions.
        try forces.validate(y)
        let (n, d) = (y.count, y.dimensions)
        Threads.parallelFor(n * d, minimumChunk: 1 << 14) { range in
            for k in range { gradient[k] = 0 }
        }
        let klTerms = Profile.section("t-SNE prepare + attraction") {
            prepareAndAttract(y, exaggeration: exaggeration, evaluate: evaluate, into: gradient.baseAddress!)
        }
        if repulsion.count != n * d { repulsion = [Double](repeating: 0, count: n * d) }
        let z = Profile.section("t-SNE repulsion") { forces.compute(y, into: &repulsion) }
        let inverseZ = 1 / max(z, .leastNormalMagnitude)
        repulsion.withUnsafeBufferPointer { r in
            Threads.parallelFor(n * d, minimumChunk: 1 << 14) { range in
                for k in range { gradient[k] -= r[k] * inverseZ }
            }
        }
        return evaluate ? klTerms + log(z) : nil
    }

    /// `forces.prepare(y)` overlapped with the attraction; returns the attraction's KL terms.
    private mutating func prepareAndAttract(_ y: Embedding, exaggeration: Double, evaluate: Bool,
                                            into gradient: UnsafeMutablePointer<Double>) -> Double {
        let parts = Threads.count
        // The SIMD attraction (2-D, 3-D, no KL terms) reads Float positions: rounded once, in parallel.
        guard (y.dimensions == 2 || y.dimensions == 3) && !evaluate else {
            return attract(y, exaggeration: exaggeration, evaluate: evaluate, into: gradient, parts: parts, single: nil)
        }
        if single.count != y.coordinates.count { single = [Float](repeating: 0, count: y.coordinates.count) }
        single.withUnsafeMutableBufferPointer { s in
            let out = UncheckedSendable(s.baseAddress!)
            y.coordinates.withUnsafeBufferPointer { c in
                let input = UncheckedSendable(c.baseAddress!)
                Threads.parallelFor(c.count, minimumChunk: 1 << 15) { range in
                    for k in range { out.value[k] = Float(input.value[k]) }
                }
            }
        }
        return single.withUnsafeBufferPointer { s in
            attract(y, exaggeration: exaggeration, evaluate: evaluate, into: gradient, parts: parts, single: s.baseAddress!)
        }
    }

    private mutating func attract(_ y: Embedding, exaggeration: Double, evaluate: Bool, into gradient: UnsafeMutablePointer<Double>,
                                  parts: Int, single: UnsafePointer<Float>?) -> Double {
        let n = y.count
        guard parts > 1 else {
            forces.prepare(y)
            return Attraction.add(p, y, exaggeration: exaggeration, to: gradient, klTerms: evaluate, threads: 1, singlePrecision: single)
        }
        // Part 0 prepares, then takes the first `split` rows; the others share the rest equally.
        let split = min(n, max(0, Int(Double(n) * preparedShare)))
        var terms = [Double](repeating: 0, count: parts), seconds = [Double](repeating: 0, count: parts)
        let p = self.p
        withUnsafeMutablePointer(to: &forces) { forcesPointer in
            terms.withUnsafeMutableBufferPointer { t in
                seconds.withUnsafeMutableBufferPointer { s in
                    let shared = UncheckedSendable((forces: forcesPointer, gradient: gradient, terms: t, seconds: s, single: single))
                    Threads.forEachPart(parts) { part in
                        let single = shared.value.single
                        let start = DispatchTime.now().uptimeNanoseconds
                        if part == 0 { shared.value.forces.pointee.prepare(y) }
                        let prepared = DispatchTime.now().uptimeNanoseconds
                        let others = Threads.chunkRange(max(part - 1, 0), of: parts - 1, total: n - split)
                        let rows = part == 0 ? 0..<split : (split + others.lowerBound)..<(split + others.upperBound)
                        shared.value.terms[part] = Attraction.add(p, y, exaggeration: exaggeration, to: shared.value.gradient,
                                                                  klTerms: evaluate, threads: 1, rows: rows, singlePrecision: single)
                        let end = DispatchTime.now().uptimeNanoseconds
                        shared.value.seconds[part] = Double(part == 0 ? prepared - start : end - start) / 1e9
                    }
                }
            }
        }
        // Attraction time per row from the other parts; give part 0 what is left after preparing:
        // P + s·A = (1 − s)·A/(T − 1)  ⇒  s = (A − P·(T − 1)) / (A·T), A the whole attraction's time.
        let perRow = seconds[1...].reduce(0, +) / Double(max(n - split, 1))
        let whole = perRow * Double(n), t = Double(parts)
        let target = max(0, whole - seconds[0] * (t - 1)) / max(whole * t, 1e-12)
        preparedShare = 0.7 * preparedShare + 0.3 * target
        return terms.reduce(0, +)
    }
}
