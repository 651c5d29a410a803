/// The words a study uses for its points, their reference and their known outliers: the
/// tutorial's ("test images", "training embeddings", "injected noise") or a generic caller's.
public struct StudyTerms: Sendable {
    /// The points, plural: "test images".
    public var points = "points"
    /// The points in a figure title: "test samples".
    public var samples = "samples"
    /// What each point shows, plural: "digits".
    public var items = "samples"
    /// The points as a whole: "the test set".
    public var set = "the set"
    /// The reference embeddings: "training embeddings".
    public var reference = "reference embeddings"
    /// The known outliers in prose, without article: "injected noise".
    public var outliers = "known outliers"
    /// The known outliers in a legend: "Injected noise".
    public var outlierLegend = "Known outliers"
    /// The known outliers in one word: "noise".
    public var outlierWord = "outliers"

    public init() {}

    /// The reference tutorial's: MNIST test images, some replaced by uniform noise, scored against
    /// embeddings of training images.
    public static let tutorial: StudyTerms = {
        var terms = StudyTerms()
        terms.points = "test images"
        terms.samples = "test samples"
        terms.items = "digits"
        terms.set = "the test set"
        terms.reference = "training embeddings"
        terms.outliers = "injected noise"
        terms.outlierLegend = "Injected noise"
        terms.outlierWord = "noise"
        return terms
    }()
}
