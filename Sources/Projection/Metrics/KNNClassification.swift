import Foundation
import Linalg

/// Leave-one-out k-nearest-neighbour classification of labels in an embedding or map: how well the
/// picture separates the classes (Cover & Hart 1967, "Nearest neighbor pattern classification").
///
/// Each point is predicted by a majority vote of its k nearest *other* points (uniform weights).
/// Tie rule: among labels with the same number of votes, the smallest label wins — what
/// scikit-learn's `KNeighborsClassifier(n_neighbors=k)` does (its vote is a mode over the sorted
/// classes), so the accuracy equals fitting that classifier on all points but i and predicting i.
/// Neighbours at equal distance are taken in index order (`NearestNeighbours`).
public struct KNNClassification: Sendable, Equatable {
    public var k: Int
    /// The predicted label of every point.
    public var predictions: [Int]
    /// The fraction of points whose prediction equals their label.
    public var accuracy: Double

    /// Classifies every row of `points` (N×d) by its k nearest other rows (default k = 10).
    /// - Throws: `EmbedVizError.input` when k is not in 1..<N.
    public static func leaveOneOut(_ points: Matrix, labels: [Int], k: Int = 10) throws(EmbedVizError) -> KNNClassification {
        precondition(labels.count == points.rows, "\(labels.count) labels for \(points.rows) points")
        return leaveOneOut(try NearestNeighbours.exact(points, k: k), labels: labels)
    }

    /// The same from precomputed neighbour lists (all k of them vote).
    public static func leaveOneOut(_ neighbours: NearestNeighbours, labels: [Int]) -> KNNClassification {
        let (n, k) = (neighbours.count, neighbours.k)
        precondition(labels.count == n, "\(labels.count) labels for \(n) points")
        var predictions = [Int](repeating: 0, count: n)
        predictions.withUnsafeMutableBufferPointer { out in
            let target = UncheckedSendable(out.baseAddress!)
            Threads.parallelFor(n, minimumChunk: 1024) { part in
                var votes: [(label: Int, count: Int)] = []
                votes.reserveCapacity(k)
                for i in part {
                    votes.removeAll(keepingCapacity: true)
                    for j in neighbours.neighbours(of: i) {
                        let label = labels[Int(j)]
                        if let v = votes.firstIndex(where: { $0.label == label }) {
                            votes[v].count += 1
                        } else {
                            votes.append((label, 1))
                        }
                    }
                    var best = votes[0]
                    for v in votes.dropFirst() where v.count > best.count || (v.count == best.count && v.label < best.label) {
                        best = v
                    }
                    target.value[i] = best.label
                }
            }
        }
        let correct = zip(predictions, labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        return KNNClassification(k: k, predictions: predictions, accuracy: n > 0 ? Double(correct) / Double(n) : .nan)
    }
}
