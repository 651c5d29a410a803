import Linalg

/// One map of the explorer's points: N×2 or N×3 coordinates (row r = point r) and its name.
public struct ExplorerProjection: Sendable {
    public var name: String
    public var points: Matrix

    public init(name: String, points: Matrix) {
        precondition(points.columns == 2 || points.columns == 3, "the explorer draws 2-D or 3-D maps, not \(points.columns)-D")
        self.name = name
        self.points = points
    }
}

/// One metadata column: a value per point, shown in the tooltip, searchable, and usable as the colour.
public struct ExplorerColumn: Sendable {
    public enum Values: Sendable {
        /// Categories or free text (labels, file names); the page stores each distinct value once.
        case text([String])
        /// Numbers (NaN = missing); coloured on a continuous scale.
        case number([Float])
    }

    public var name: String
    public var values: Values
    /// CSS colours for some text values (e.g. the tutorial's class colours); others get the page's palette.
    public var colors: [String: String]

    public init(name: String, values: Values, colors: [String: String] = [:]) {
        self.name = name
        self.values = values
        self.colors = colors
    }

    public init(name: String, text: [String], colors: [String: String] = [:]) {
        self.init(name: name, values: .text(text), colors: colors)
    }

    public init(name: String, numbers: [Float]) {
        self.init(name: name, values: .number(numbers))
    }

    public var count: Int {
        switch values {
        case .text(let v): v.count
        case .number(let v): v.count
        }
    }
}

/// The points' images, one per point in row order: `count × height × width × channels` bytes
/// (channels 1 = grey, 3 = RGB), 0…255.
public struct ExplorerImages: Sendable {
    public var pixels: [UInt8]
    public var count: Int
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(pixels: [UInt8], count: Int, height: Int, width: Int, channels: Int = 1) {
        precondition(channels == 1 || channels == 3, "images are grey (1 channel) or RGB (3 channels), not \(channels)")
        precondition(height > 0 && width > 0 && pixels.count == count * height * width * channels,
                     "\(pixels.count) bytes are not \(count) images of \(height)×\(width)×\(channels)")
        (self.pixels, self.count, self.height, self.width, self.channels) = (pixels, count, height, width, channels)
    }
}

/// Precomputed nearest neighbours in the original (embedding) space: `k` per point, row-major
/// (`indices[r * k + j]` is point r's (j+1)-th neighbour; −1 where there is none).
public struct ExplorerNeighbours: Sendable {
    public var k: Int
    public var indices: [Int32]
    /// How they were found, shown above the list ("exact euclidean, 128-D embeddings").
    public var about: String

    public init(k: Int, indices: [Int32], about: String = "") {
        precondition(k > 0 && indices.count % k == 0, "\(indices.count) neighbour indices are not rows of k = \(k)")
        (self.k, self.indices, self.about) = (k, indices, about)
    }
}

/// A general description of what the explorer shows: N points in one or more projections, zero or
/// more metadata columns (one of them optionally the colour), optional images, optional neighbours.
/// Nothing is invented: a page with no columns shows row numbers only.
public struct ExplorerData: Sendable {
    public var projections: [ExplorerProjection]
    public var columns: [ExplorerColumn]
    /// The column the page colours by at first (nil: one colour; the user can pick any column).
    public var colorColumn: String?
    /// A column whose non-zero / non-empty / not "0" / not "false" rows are drawn ringed (known outliers).
    public var highlightColumn: String?
    public var images: ExplorerImages?
    public var neighbours: ExplorerNeighbours?

    public var count: Int { projections.first?.points.rows ?? 0 }

    public init(projections: [ExplorerProjection], columns: [ExplorerColumn] = [], colorColumn: String? = nil,
                highlightColumn: String? = nil, images: ExplorerImages? = nil, neighbours: ExplorerNeighbours? = nil) {
        precondition(!projections.isEmpty, "the explorer needs at least one projection")
        let n = projections[0].points.rows
        precondition(projections.allSatisfy { $0.points.rows == n }, "every projection has one row per point (\(n))")
        precondition(columns.allSatisfy { $0.count == n }, "every column has one value per point (\(n))")
        precondition(colorColumn.map { name in columns.contains { $0.name == name } } ?? true, "no column \(colorColumn ?? "")")
        precondition(highlightColumn.map { name in columns.contains { $0.name == name } } ?? true, "no column \(highlightColumn ?? "")")
        precondition(images.map { $0.count == n } ?? true, "\(images?.count ?? 0) images for \(n) points")
        precondition(neighbours.map { $0.indices.count == n * $0.k } ?? true, "neighbours for a different number of points")
        self.projections = projections
        self.columns = columns
        self.colorColumn = colorColumn
        self.highlightColumn = highlightColumn
        self.images = images
        self.neighbours = neighbours
    }
}
