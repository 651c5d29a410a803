import Datasets
import Linalg

/// A sprite sheet: N small grey images tiled row-major from the top left into a square-ish grid,
/// for an HTML explorer (hover shows a point's image) and TensorBoard's embedding projector.
///
/// The grid has ⌈√N⌉ columns and as many rows as needed; cells past the last image stay
/// background. When the sheet would exceed `maxSide` pixels on a side (TensorBoard's limit is
/// 8192), every image is scaled down by area averaging to the largest tile that fits.
public struct ImageAtlas: Sendable {
    /// Tiles per row.
    public let columns: Int
    /// Rows of tiles.
    public let rows: Int
    /// One tile's width in pixels (the image width, or less when scaled down).
    public let tileWidth: Int
    /// One tile's height in pixels.
    public let tileHeight: Int
    /// Number of images in the sheet.
    public let count: Int
    /// The sheet's grey pixels, `height` rows of `width` bytes.
    public let pixels: [UInt8]

    /// The sheet's width in pixels (`columns × tileWidth`).
    public var width: Int { columns * tileWidth }
    /// The sheet's height in pixels (`rows × tileHeight`).
    public var height: Int { rows * tileHeight }

    /// Tiles `count × height × width` grey images (row-major, 0…255).
    /// - Parameters:
    ///   - maxSide: the largest sheet width or height in pixels (default 8192).
    ///   - invert: store 255 − value (dark digits on white); empty cells are then white.
    public init(pixels images: [UInt8], height: Int, width: Int, maxSide: Int = 8192, invert: Bool = false) {
        precondition(height > 0 && width > 0 && images.count % (height * width) == 0,
                     "pixels do not hold whole \(height)×\(width) images")
        precondition(maxSide > 0)
        let count = images.count / (height * width)
        let columns = max(1, Int(Double(count).squareRoot().rounded(.up)))
        let rows = max(1, (count + columns - 1) / columns)
        let shrink = min(1, Double(maxSide) / Double(columns * width), Double(maxSide) / Double(rows * height))
        let tileWidth = max(1, Int((Double(width) * shrink).rounded(.down)))
        let tileHeight = max(1, Int((Double(height) * shrink).rounded(.down)))
        precondition(columns * tileWidth <= maxSide && rows * tileHeight <= maxSide,
                     "\(count) images do not fit in \(maxSide)×\(maxSide) pixels even at 1 pixel each")

        let sheetWidth = columns * tileWidth
        var sheet = [UInt8](repeating: invert ? 255 : 0, count: sheetWidth * rows * tileHeight)
        let rowWeights = areaWeights(from: height, to: tileHeight)
        let columnWeights = areaWeights(from: width, to: tileWidth)
        var tile = [Float](repeating: 0, count: tileWidth * tileHeight)
        var rowsResampled = [Float](repeating: 0, count: height * tileWidth)
        for index in 0..<count {
            let base = index * height * width
            // Columns first (height × tileWidth), then rows (tileHeight × tileWidth).
            for r in 0..<height {
                for (c, weights) in columnWeights.enumerated() {
                    var sum: Float = 0
                    for (source, weight) in weights { sum += weight * Float(images[base + r * width + source]) }
                    rowsResampled[r * tileWidth + c] = sum
                }
            }
            for (r, weights) in rowWeights.enumerated() {
                for c in 0..<tileWidth {
                    var sum: Float = 0
                    for (source, weight) in weights { sum += weight * rowsResampled[source * tileWidth + c] }
                    tile[r * tileWidth + c] = sum
                }
            }
            let (gridRow, gridColumn) = index.quotientAndRemainder(dividingBy: columns)
            for r in 0..<tileHeight {
                let out = (gridRow * tileHeight + r) * sheetWidth + gridColumn * tileWidth
                for c in 0..<tileWidth {
                    let value = UInt8(min(255, max(0, tile[r * tileWidth + c].rounded())))
                    sheet[out + c] = invert ? 255 - value : value
                }
            }
        }
        self.columns = columns
        self.rows = rows
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        self.count = count
        self.pixels = sheet
    }

    /// Tiles every image of a labelled set.
    public init(_ images: LabeledImages, maxSide: Int = 8192, invert: Bool = false) {
        self.init(pixels: images.images, height: images.height, width: images.width, maxSide: maxSide, invert: invert)
    }

    /// Where image `index` sits in the sheet: its tile's top-left pixel.
    public func origin(of index: Int) -> (x: Int, y: Int) {
        let (row, column) = index.quotientAndRemainder(dividingBy: columns)
        return (column * tileWidth, row * tileHeight)
    }

    /// The sheet as an 8-bit greyscale PNG.
    public func pngData() throws -> [UInt8] {
        try PNGEncoder.grey(pixels, width: width, height: height)
    }

    /// Writes the sheet as a PNG, atomically.
    public func write(to path: String) throws {
        try OutputFile.write(pngData(), to: path)
    }
}

/// Area-averaging weights for resampling `source` pixels onto `target` pixels (target ≤ source):
/// for each target pixel, the source pixels it overlaps and the fraction of it each covers.
private func areaWeights(from source: Int, to target: Int) -> [[(Int, Float)]] {
    let ratio = Double(source) / Double(target)
    return (0..<target).map { t in
        let (start, end) = (Double(t) * ratio, Double(t + 1) * ratio)
        var weights: [(Int, Float)] = []
        var s = Int(start.rounded(.down))
        while Double(s) < end && s < source {
            let overlap = min(end, Double(s + 1)) - max(start, Double(s))
            if overlap > 1e-9 { weights.append((s, Float(overlap / ratio))) }
            s += 1
        }
        return weights
    }
}
