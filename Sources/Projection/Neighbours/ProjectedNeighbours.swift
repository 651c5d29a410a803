import CSupport
import Foundation
import Linalg

// Approximate neighbours of high-dimensional rows: candidates found among the rows projected onto
// their leading principal components, then re-ranked by exact distances in the full space.
//
// Why: exact search costs N²·D and an HNSW graph's every distance costs D, so both pay the full
// dimension (MNIST pixels, 70,000 × 784: exact 40–90 s, HNSW 109 s; see NeighbourSearch.swift).
// A projection onto orthonormal directions never lengthens a difference (‖P(a − b)‖ ≤ ‖a − b‖), and
// the leading components carry most of a difference's length, so a point's true neighbours are
// among the nearest few multiples of k in the projection. Measured on MNIST 70k × 784 (1,000 random
// query rows, k = 14, each row's candidates re-ranked in 784-D against its true 14; NumPy, PCA of
// the centred pixels):
//
//   candidates per neighbour     1       2       3       4       6
//   PCA-32 (74% of variance)   0.657   0.874   0.945   0.973   0.990
//   PCA-50 (83%)               0.755   0.951   0.988   0.996   0.999
//   PCA-64 (86%)               0.799   0.975   0.996   0.999   1.000
//   PCA-100 (91%)              0.862   0.996   1.000   1.000   1.000
//
// hence the defaults PCA-50 and 4 candidates per neighbour. The candidates are found by the same
// engine as any search of N rows of 50 columns (exact below `NeighbourSearch.approximateFrom`,
// HNSW from there); the re-rank costs N·4k·D flops. Recall is measured on sampled rows against exact
// search in the full space, as for every approximate run.

/// The projection the candidates are searched in: a PCA of the reference rows (as searched: unit rows
/// for the cosine metric).
struct CandidateProjection: Sendable {
    let model: PCAModel

    init(reference: Matrix, dimensions: Int) throws(EmbedVizError) {
        do {
            model = try PCA(components: dimensions).fit(reference)
        } catch let error as EmbedVizError {
            throw error
        } catch {
            throw EmbedVizError.input("the PCA of the candidate search failed: \(error)")
        }
    }

    func project(_ x: Matrix) -> Matrix { model.transform(x) }

    /// The search of the projected rows for the candidates: exact or HNSW by the number of points,
    /// with the HNSW parameters of `search`, unprojected and unchecked (the re-ranked lists are).
    static func candidateSearch(_ search: NeighbourSearch, points: Int) -> NeighbourSearch {
        var inner = search
        inner.method = points >= NeighbourSearch.approximateFrom ? .approx : .exact
        inner.metric = .euclidean
        inner.projectedDimensions = 0
        inner.recallSample = 0
        return inner
    }
}

extension NearestNeighbours {
    /// The `k` nearest of each query row's candidates by exact squared Euclidean distances between
    /// the full rows (`queries` M×D, `reference` N×D, `candidates` M lists of indices into
    /// `reference`), nearest first, equal distances in index order. Rows in parallel.
    static func reranked(_ candidates: NearestNeighbours, queries: Matrix, reference: Matrix, k: Int) -> NearestNeighbours {
        precondition(candidates.count == queries.rows && k <= candidates.k && queries.columns == reference.columns,
                     "re-ranking \(candidates.count)×\(candidates.k) candidates of \(queries.rows) rows for k = \(k)")
        let (m, c, d) = (queries.rows, candidates.k, queries.columns)
        var indices = [Int32](repeating: 0, count: m * k)
        var distances = [Float](repeating: 0, count: m * k)
        queries.withUnsafeBufferPointer { q in
            reference.withUnsafeBufferPointer { r in
                candidates.indices.withUnsafeBufferPointer { cand in
                    indices.withUnsafeMutableBufferPointer { ib in
                        distances.withUnsafeMutableBufferPointer { db in
                            let (q, r, cand) = (UncheckedSendable(q.baseAddress!), UncheckedSendable(r.baseAddress!),
                                                UncheckedSendable(cand.baseAddress!))
                            let (outIndex, outDistance) = (UncheckedSendable(ib.baseAddress!), UncheckedSendable(db.baseAddress!))
                            Threads.parallelFor(m, minimumChunk: 64) { part in
                                var rowDistances = [Float](repeating: 0, count: c)
                                var order = [(Float, Int32)](repeating: (0, 0), count: c)
                                for i in part {
                                    let listed = cand.value + i * c
                                    rowDistances.withUnsafeMutableBufferPointer {
                                        embedviz_listed_squared_distances(q.value + i * d, r.value, d, listed, c, $0.baseAddress!)
                                    }
                                    for e in 0..<c { order[e] = (rowDistances[e], listed[e]) }
                                    order.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                                    for e in 0..<k {
                                        outIndex.value[i * k + e] = order[e].1
                                        outDistance.value[i * k + e] = order[e].0
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return NearestNeighbours(count: m, k: k, indices: indices, squaredDistances: distances)
    }
}
