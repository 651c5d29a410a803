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
    /// Writes Σⱼ wᵢⱼ² (yᵢ − yⱼ) (unnormalised) into `forces` (N×d) and returns Z = Σ_{i≠j} wᵢⱼ.
    mutating func compute(_ y: Embedding, into forces: inout [Double]) -> Double
}

/// The attractive term, and the parts of the KL divergence that need P.
public enum Attraction {
    /// Adds `exaggeration` · Σⱼ pᵢⱼ wᵢⱼ (yᵢ − yⱼ) to `gradient`. With `klTerms`, also returns
    /// Σ pᵢⱼ log(pᵢⱼ / wᵢⱼ) (over the unexaggerated P): KL = that + log Z (P sums to 1).
    public static func add(_ p: SparseAffinities, _ y: Embedding, exaggeration: Double, to gradient: inout [Double],
                           klTerms: Bool) -> Double {
        let d = y.dimensions
        let partials = gradient.withUnsafeMutableBufferPointer { gb in
            y.coordinates.withUnsafeBufferPointer { yb in
                let (g, yp) = (UncheckedSendable(gb.baseAddress!), UncheckedSendable(yb.baseAddress!))
                let chunks = Threads.count
                var partial = [Double](repeating: 0, count: chunks)
                partial.withUnsafeMutableBufferPointer { pb in
                    let out = UncheckedSendable(pb.baseAddress!)
                    Threads.forEachPart(chunks) { c in
                        var kl = 0.0
                        var force = [Double](repeating: 0, count: d)
                        for i in Threads.chunkRange(c, of: chunks, total: y.count) {
                            let yi = yp.value + i * d
                            for k in 0..<d { force[k] = 0 }
                            for e in p.rowStart[i]..<p.rowStart[i + 1] {
                                let yj = yp.value + Int(p.columns[e]) * d
                                var distance = 0.0
                                for k in 0..<d { let t = yi[k] - yj[k]; distance += t * t }
                                let w = 1 / (1 + distance)
                                let pij = Double(p.values[e])
                                let strength = pij * exaggeration * w
                                for k in 0..<d { force[k] += strength * (yi[k] - yj[k]) }
                                if klTerms && pij > 0 { kl += pij * log(pij / w) }
                            }
                            for k in 0..<d { g.value[i * d + k] += force[k] }
                        }
                        out.value[c] = kl
                    }
                }
                return partial
            }
        }
        return partials.reduce(0, +)
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

/// The exact KL divergence KL(P‖Q) = Σ pᵢⱼ log(pᵢⱼ / qᵢⱼ) of an embedding (O(N²) for Z).
public func klDivergence(_ p: SparseAffinities, _ y: Embedding) -> Double {
    var forces = [Double](repeating: 0, count: y.count * y.dimensions)
    var exact = ExactRepulsion()
    let z = exact.compute(y, into: &forces)
    var scratch = [Double](repeating: 0, count: y.count * y.dimensions)
    return Attraction.add(p, y, exaggeration: 1, to: &scratch, klTerms: true) + log(z)
}
