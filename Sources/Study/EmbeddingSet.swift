import Datasets
import Linalg

/// Embeddings to study: N×D features, one metadata row per point, and what else is known about
/// them. The projection, measurement, figure and report stages take nothing else, whatever model
/// made the embeddings.
public struct EmbeddingSet: Sendable {
    /// Names the set in stage names, titles and tables ("trained model").
    public var name: String
    /// Names it in a panel title ("trained").
    public var shortName: String
    /// Describes its embeddings in an explorer's title ("the CNN embeddings (trained model)").
    public var title: String
    /// The subdirectory of the study's output that receives this set's files ("trained").
    public var directory: String
    /// N×D.
    public var features: Matrix
    /// Targets, predictions and the known outliers (`isNoise`) of the N points.
    public var metadata: EmbeddingMetadata
    /// Names of the classes in the metadata's targets and predictions (index = class).
    public var classNames: [String]
    /// The N inputs when they are images (for image grids and the explorers' hover pictures).
    public var images: LabeledImages?
    /// In-distribution embeddings (M×D, e.g. of training images): outlier scores measure the
    /// distance to them.
    public var reference: Matrix?
    /// Class labels of the reference rows (class-conditional Mahalanobis), indices into `classNames`.
    public var referenceLabels: [Int]?
    /// N×C classifier logits of the points (maximum softmax probability and energy scores).
    public var logits: Matrix?
    /// Whether the metadata's targets are real labels (false: every target is 0 and means nothing;
    /// label-dependent measures are skipped and nothing is said about classes).
    public var hasLabels = true
    /// Whether predictions and confidences are a model's (false: they repeat the targets and 1).
    public var hasPredictions = true
    /// The user's metadata table as read (every column kept), when there was one.
    public var table: MetadataTable?
    /// One sentence on where the set came from, for the report (no findings: those are measured).
    public var about: String?

    public init(name: String, shortName: String? = nil, title: String? = nil, directory: String, features: Matrix,
                metadata: EmbeddingMetadata, classNames: [String], images: LabeledImages? = nil, reference: Matrix? = nil,
                about: String? = nil) {
        precondition(metadata.count == features.rows, "\(metadata.count) metadata rows for \(features.rows) embeddings")
        precondition(images.map { $0.count == features.rows } ?? true, "\(images?.count ?? 0) images for \(features.rows) embeddings")
        self.name = name
        self.shortName = shortName ?? name
        self.title = title ?? "the embeddings (\(name))"
        self.directory = directory
        self.features = features
        self.metadata = metadata
        self.classNames = classNames
        self.images = images
        self.reference = reference
        self.about = about
    }

    /// Points marked as known outliers.
    public var outlierCount: Int { metadata.isNoise.filter { $0 }.count }

    /// The labels maps are coloured by: the model's predictions when there are any, else the targets.
    public var colourLabels: [Int] { hasPredictions ? metadata.prediction : metadata.target }
}

/// Seeded subsamples: the same indices for the same count, total and seed.
public enum Subsample {
    /// `count` distinct indices of `0..<total` (all of them when `count ≥ total`), ascending.
    public static func indices(_ count: Int, of total: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed &+ 101)
        return rng.distinctIndices(min(count, total), from: total).sorted()
    }
}
