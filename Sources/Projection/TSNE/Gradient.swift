import CSupport
import Foundation
import Linalg

/// An embedding during optimisation: N points of `dimensions` coordinates, row-major, in Double.
public struct Embedding: Sendable, Equatable {
    public let count: Int
    public let dimensions: Int
    public var coordinates: [Double]

    public init(count: Int, dimensions: Int, coordinates: [Double]) {
        precondition(coordinates.count == count * dimensions)
        self.count = count
        self.dimensions = dimensions
        self.coordinates = coordinates
    }

    public var matrix: Matrix { Matrix(rows: count, columns: dimensions, storage: coordinates.map { Float($0) }) }
}

/// How the repulsive half of the gradient is computed.
///
/// t-SNE's gradient (van der Maaten & Hinton 2008) is ∂KL/∂yᵢ = 4 Σⱼ (pᵢⱼ − qᵢⱼ) (1 + ‖yᵢ − yⱼ‖²)⁻¹ (yᵢ − yⱼ).
/// Like bhtsne, FIt-SNE and openTSNE, EmbedViz computes it without the factor 4, split into an
/// attractive term over the sparse P, Σⱼ pᵢⱼ wᵢⱼ (yᵢ − yⱼ) with wᵢⱼ = (1 + ‖yᵢ − yⱼ‖²)⁻¹, and a
/// repulsive term Σⱼ wᵢⱼ² (yᵢ − yⱼ) / Z with Z = Σ_{k≠l} w_kl, which is what the methods approximate.
/// (Learning rates are therefore on the bhtsne/openTSNE scale; scikit-learn's gradient keeps the 4.)
public protocol RepulsiveForces {
    /// Single-threaded work that depends only on the positions (e.g. building a tree), which the
    /// optimiser overlaps with the attractive forces on another thread. Optional.
    mutating func prepare(_ y: Embedding)
    /// Writes Σⱼ wᵢⱼ² (yᵢ − yⱼ) (unnormalised) into `forces` (N×d) and returns Z = Σ_{i≠j} wᵢⱼ.
    /// Uses what `prepare` made for the same positions, if it was called.
    mutating func compute(_ y: Embedding, into forces: inout [Double]) -> Double
    /// Refuses positions the method cannot work from (called before `prepare`). Default: every
    /// coordinate finite.
    func validate(_ y: Embedding) throws(EmbedVizError)
}

extension RepulsiveForces {
    public mutating func prepare(_ y: Embedding) {}

    public func validate(_ y: Embedding) throws(EmbedVizError) {
        if let bad = y.coordinates.firstIndex(where: { !$0.isFinite }) {
            throw EmbedVizError(.numerical, "t-SNE diverged: point \(bad / y.dimensions) has coordinate \(y.coordinates[bad]);"
                                + " check the input for extreme values or lower the learning rate")
        }
    }
}

extension KLDivergence {
    /// The attractive term, and the parts of the KL divergence that need P.
    public enum Attraction {
        /// Adds `exaggeration` · Σⱼ pᵢⱼ wᵢⱼ (yᵢ − yⱼ) to `gradient`. With `klTerms`, also returns
        /// Σ pᵢⱼ log(pᵢⱼ / wᵢⱼ) (over the unexaggerated P): KL = that + log Z (P sums to 1).
        /// - Parameter threads: chunks run in parallel (default: the configured thread count).
        ///   - rows: the points whose forces to add (default: all).
        public static func add(_ p: SparseAffinities, _ y: Embedding, exaggeration: Double, to gradient: inout [Double],
                               klTerms: Bool, threads: Int = Threads.count, rows: Range<Int>? = nil) -> Double {
            precondition(gradient.count == y.count * y.dimensions)
            return gradient.withUnsafeMutableBufferPointer {
                add(p, y, exaggeration: exaggeration, to: $0.baseAddress!, klTerms: klTerms, threads: threads, rows: rows)
            }
        }

        /// The same into a raw gradient buffer (N×d): several threads may fill disjoint `rows` of one
        /// buffer at once (an array cannot be shared that way: its mutable access is exclusive).
        /// - Parameter singlePrecision: `y` rounded to Float, if the caller has it (2-D and 3-D without
        ///   KL terms read it; otherwise it is made here, a pass over all N·d coordinates).
        public static func add(_ p: SparseAffinities, _ y: Embedding, exaggeration: Double, to gradient: UnsafeMutablePointer<Double>,
                               klTerms: Bool, threads: Int = Threads.count, rows: Range<Int>? = nil,
                               singlePrecision: UnsafePointer<Float>? = nil) -> Double {
            let d = y.dimensions
            let chunks = max(1, threads)
            let all = rows ?? 0..<y.count
            func part(_ c: Int) -> Range<Int> {
                let r = Threads.chunkRange(c, of: chunks, total: all.count)
                return (all.lowerBound + r.lowerBound)..<(all.lowerBound + r.upperBound)
            }
            var partial = [Double](repeating: 0, count: chunks)
            let g = UncheckedSendable(gradient)
            if (d == 2 || d == 3) && !klTerms {
                // The common case: 2-D or 3-D, no KL this iteration — eight neighbours at a time in Float
                // lanes, in C built per instruction set (tsne_attraction.c): about 3× the scalar loop.
                // Float is ample here: P itself is stored in Float, and the sum per point is accumulated
                // in lanes and finished in Double.
                func run(_ single: UnsafePointer<Float>) {
                    p.withRows { rows in
                        let y = UncheckedSendable(single)
                        Threads.forEachPart(chunks) { c in
                            let range = part(c)
                            embedviz_tsne_attraction(rows.start, rows.columns, rows.values, y.value, Int32(d), g.value,
                                                     Float(exaggeration), range.lowerBound, range.upperBound)
                        }
                    }
                }
                if let singlePrecision { run(singlePrecision) } else { y.coordinates.map { Float($0) }.withUnsafeBufferPointer { run($0.baseAddress!) } }
                return 0
            }
            p.withRows { rows in
                y.coordinates.withUnsafeBufferPointer { yb in
                    partial.withUnsafeMutableBufferPointer { pb in
                        let (y, out) = (UncheckedSendable(yb.baseAddress!), UncheckedSendable(pb.baseAddress!))
                        Threads.forEachPart(chunks) { c in
                            out.value[c] = d == 2
                                ? add2D(part(c), rows, y.value, g.value, exaggeration, klTerms)
                                : addAny(part(c), d, rows, y.value, g.value, exaggeration, klTerms)
                        }
                    }
                }
            }
            return partial.reduce(0, +)
        }

        /// The 2-D case, unrolled (the hot loop of 2-D t-SNE: every non-zero of P, every iteration).
        @inline(__always)
        static func add2D(_ rows: Range<Int>, _ p: SparseAffinities.Rows, _ y: UnsafePointer<Double>, _ g: UnsafeMutablePointer<Double>,
                          _ exaggeration: Double, _ klTerms: Bool) -> Double {
            let (start, columns, values) = (p.start, p.columns, p.values)
            var kl = 0.0
            for i in rows {
                let (xi, yi) = (y[2 * i], y[2 * i + 1])
                var (fx, fy) = (0.0, 0.0)
                for e in start[i]..<start[i + 1] {
                    let j = Int(columns[e])
                    let (dx, dy) = (xi - y[2 * j], yi - y[2 * j + 1])
                    let w = 1 / (1 + dx * dx + dy * dy)
                    let pij = Double(values[e])
                    let strength = pij * exaggeration * w
                    fx += strength * dx
                    fy += strength * dy
                    if klTerms && pij > 0 { kl += pij * log(pij / w) }
                }
                g[2 * i] += fx
                g[2 * i + 1] += fy
            }
            return kl
        }

        /// Any number of dimensions.
        static func addAny(_ rows: Range<Int>, _ d: Int, _ p: SparseAffinities.Rows, _ y: UnsafePointer<Double>,
                           _ g: UnsafeMutablePointer<Double>, _ exaggeration: Double, _ klTerms: Bool) -> Double {
            let (start, columns, values) = (p.start, p.columns, p.values)
            var kl = 0.0
            var force = [Double](repeating: 0, count: d)
            force.withUnsafeMutableBufferPointer { f in
                for i in rows {
                    let yi = y + i * d
                    for k in 0..<d { f[k] = 0 }
                    for e in start[i]..<start[i + 1] {
                        let yj = y + Int(columns[e]) * d
                        var distance = 0.0
                        for k in 0..<d { let t = yi[k] - yj[k]; distance += t * t }
                        let w = 1 / (1 + distance)
                        let pij = Double(values[e])
                        let strength = pij * exaggeration * w
                        for k in 0..<d { f[k] += strength * (yi[k] - yj[k]) }
                        if klTerms && pij > 0 { kl += pij * log(pij / w) }
                    }
                    for k in 0..<d { g[i * d + k] += f[k] }
                }
            }
            return kl
        }
    }
}

/// The exact O(N²) repulsion: every pair, computed on the fly (no N×N buffer). The reference for
/// the approximations, and the method for small N.
public struct ExactRepulsion: RepulsiveForces {
    public init() {}

    public mutating func compute(_ y: Embedding, into forces: inout [Double]) -> Double {
        let (n, d) = (y.count, y.dimensions)
        let chunks = Threads.count
        var partialZ = [Double](repeating: 0, count: chunks)
        forces.withUnsafeMutableBufferPointer { fb in
            y.coordinates.withUnsafeBufferPointer { yb in
                partialZ.withUnsafeMutableBufferPointer { zb in
                    let (f, yp, z) = (UncheckedSendable(fb.baseAddress!), UncheckedSendable(yb.baseAddress!), UncheckedSendable(zb.baseAddress!))
                    Threads.forEachPart(chunks) { c in
                        var sumW = 0.0
                        var force = [Double](repeating: 0, count: d)
                        for i in Threads.chunkRange(c, of: chunks, total: n) {
                            let yi = yp.value + i * d
                            for k in 0..<d { force[k] = 0 }
                            for j in 0..<n where j != i {
                                let yj = yp.value + j * d
                                var distance = 0.0
                                for k in 0..<d { let t = yi[k] - yj[k]; distance += t * t }
                                let w = 1 / (1 + distance)
                                sumW += w
                                let w2 = w * w
                                for k in 0..<d { force[k] += w2 * (yi[k] - yj[k]) }
                            }
                            for k in 0..<d { f.value[i * d + k] = force[k] }
                        }
                        z.value[c] = sumW
                    }
                }
            }
        }
        return partialZ.reduce(0, +)
    }
}

extension KLDivergence {
    /// KL(P‖Q) = Σ pᵢⱼ log(pᵢⱼ / qᵢⱼ) of the map `y` with the exact Z (O(N²)): the reference value the
    /// approximations' estimates are checked against, and the final value for maps of up to 20,000 points.
    public static func exact(_ p: SparseAffinities, _ y: Embedding) -> Double {
        var forces = [Double](repeating: 0, count: y.count * y.dimensions)
        var exact = ExactRepulsion()
        let z = exact.compute(y, into: &forces)
        var scratch = [Double](repeating: 0, count: y.count * y.dimensions)
        return Attraction.add(p, y, exaggeration: 1, to: &scratch, klTerms: true) + log(z)
    }
}
