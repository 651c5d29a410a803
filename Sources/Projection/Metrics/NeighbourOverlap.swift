import Foundation
import Linalg

/// The fraction of shared k nearest neighbours between two spaces over the same points: how much
/// of each point's neighbourhood survives a projection (kNN preservation, X against Y) or a rerun
/// (stability, map of run 1 against map of run 2; cf. Lee & Verleysen 2009, "Quality assessment of
/// dimensionality reduction: rank-based criteria", whose Q_NX(k) is this mean).
public enum NeighbourOverlap {
    /// |A_k(i) ∩ B_k(i)| / k for each point i (both lists must have the same N and k).
    public static func perPoint(_ a: NearestNeighbours, _ b: NearestNeighbours) -> [Double] {
        precondition(a.count == b.count && a.k == b.k,
                     "neighbour lists disagree: \(a.count) points, k = \(a.k) vs \(b.count) points, k = \(b.k)")
        let k = a.k
        var shared = [Double](repeating: 0, count: a.count)
        shared.withUnsafeMutableBufferPointer { out in
            a.indices.withUnsafeBufferPointer { pa in
                b.indices.withUnsafeBufferPointer { pb in
                    let pointers = UncheckedSendable((out.baseAddress!, pa.baseAddress!, pb.baseAddress!))
                    Threads.parallelFor(a.count, minimumChunk: 1024) { part in
                        let (out, pa, pb) = pointers.value
                        for i in part {
                            let listB = UnsafeBufferPointer(start: pb + i * k, count: k)
                            var common = 0
                            for c in 0..<k where listB.contains(pa[i * k + c]) { common += 1 }
                            out[i] = Double(common) / Double(k)
                        }
                    }
                }
            }
        }
        return shared
    }

    /// The mean over points of `perPoint(a, b)`.
    public static func mean(_ a: NearestNeighbours, _ b: NearestNeighbours) -> Double {
        let values = perPoint(a, b)
        return values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    /// The mean overlap of the exact k nearest neighbours in `a` (N×D) and `b` (N×D′), e.g. two
    /// t-SNE maps of the same points from different seeds (default k = 10).
    /// - Throws: `EmbedVizError.input` when the row counts differ or k is not in 1..<N.
    public static func mean(_ a: Matrix, _ b: Matrix, k: Int = 10) throws(EmbedVizError) -> Double {
        guard a.rows == b.rows else {
            throw EmbedVizError.input("the two embeddings have \(a.rows) and \(b.rows) rows; they must be the same points")
        }
        return mean(try NearestNeighbours.exact(a, k: k), try NearestNeighbours.exact(b, k: k))
    }
}
