import Linalg

/// Everything measured about one map (projection) of an input: neighbourhood preservation, and,
/// when labels are known, how well the map separates them — leave-one-out kNN accuracy and the
/// DBSCAN clusters of the map (automatic ε) with their adjusted Rand index against the labels.
/// One definition for the study's report and `embedviz metrics`.
public struct ProjectionQuality: Sendable {
    public var preservation: NeighbourhoodPreservation
    /// Leave-one-out k-NN accuracy of the labels in the map (nil without labels).
    public var knnAccuracy: Double?
    /// DBSCAN of the map (nil without labels, or for maps of more than 3 dimensions).
    public var clusters: DBSCANResult?
    /// Adjusted Rand index of `clusters` against the labels (DBSCAN's noise is one more group).
    public var adjustedRandIndex: Double?

    /// Above this many points (and with a `sampleSize`), the kNN accuracy is that of the seeded
    /// sample's rows voted on by their neighbours among all rows: leave-one-out over every point of a
    /// million-point map is an O(N²) search (more than an hour on 2 cores). Up to it, every point votes.
    public static let fullAccuracyLimit = 200_000

    /// - Parameters: `k` neighbours for preservation and accuracy; preservation on a seeded
    ///   `sampleSize` subsample when given (see `NeighbourhoodPreservation.measure`), and the kNN
    ///   accuracy too above `fullAccuracyLimit` points.
    public static func measure(input: Matrix, projection: Matrix, labels: [Int]?, k: Int = 10, sampleSize: Int? = nil,
                               seed: UInt64 = 0) throws(EmbedVizError) -> ProjectionQuality {
        let preservation = try NeighbourhoodPreservation.measure(input: input, projection: projection, k: k,
                                                                 sampleSize: sampleSize, seed: seed)
        var quality = ProjectionQuality(preservation: preservation)
        guard let labels else { return quality }
        if let sampleSize, projection.rows > fullAccuracyLimit, sampleSize < projection.rows {
            let queries = NeighbourhoodPreservation.sampleIndices(count: projection.rows, size: sampleSize, seed: seed)
            quality.knnAccuracy = try KNNClassification.leaveOneOut(projection, labels: labels, k: k, queries: queries).accuracy
        } else {
            quality.knnAccuracy = try KNNClassification.leaveOneOut(projection, labels: labels, k: k).accuracy
        }
        if projection.columns <= 3 {
            let clusters = try DBSCAN.automatic(for: projection).fit(projection)
            quality.clusters = clusters
            quality.adjustedRandIndex = AdjustedRandIndex.score(clusters.labels, labels)
        }
        return quality
    }
}
