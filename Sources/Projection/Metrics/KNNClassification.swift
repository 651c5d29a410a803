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
        let n = neighbours.count
        precondition(labels.count == n, "\(labels.count) labels for \(n) points")
        return vote(neighbours, labels: labels, truth: labels)
    }

    /// Leave-one-out accuracy of the rows `queries` of `points` only, each voted on by its k nearest
    /// other rows among all rows (exact search): the same statistic as `leaveOneOut` estimated on a
    /// sample, at O(M·N) instead of O(N²) — for maps of a million points.
    public static func leaveOneOut(_ points: Matrix, labels: [Int], k: Int = 10, queries: [Int]) throws(EmbedVizError) -> KNNClassification {
        precondition(labels.count == points.rows, "\(labels.count) labels for \(points.rows) points")
        let n = points.rows
        guard k >= 1, k < n else { throw EmbedVizError.input("k = \(k) needs 1 ≤ k < \(n), the number of points") }
        let index = try NeighbourIndex(reference: points, search: NeighbourSearch(method: .exact))
        let found = try index.neighbours(of: points.rows(at: queries), k: k + 1)
        // Drop each query's own row (normally first, at distance 0; a duplicate may come first instead).
        var others = [Int32](), distances = [Float]()
        others.reserveCapacity(queries.count * k)
        for (q, row) in queries.enumerated() {
            let list = found.neighbours(of: q)
            var kept = 0
            for (e, j) in zip(list.indices, list) where Int(j) != row && kept < k {
                others.append(j)
                distances.append(found.squaredDistances[e])
                kept += 1
            }
        }
        let lists = NearestNeighbours(count: queries.count, k: k, indices: others, squaredDistances: distances)
        return vote(lists, labels: labels, truth: queries.map { labels[$0] })
    }

    /// The majority label of each list's neighbours (ties: the smaller label), and the accuracy
    /// against `truth` (one per list). `labels` are the neighbours' labels, by their index.
    static func vote(_ neighbours: NearestNeighbours, labels: [Int], truth: [Int]) -> KNNClassification {
        let (n, k) = (neighbours.count, neighbours.k)
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
        let correct = zip(predictions, truth).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        return KNNClassification(k: k, predictions: predictions, accuracy: n > 0 ? Double(correct) / Double(n) : .nan)
    }
}
