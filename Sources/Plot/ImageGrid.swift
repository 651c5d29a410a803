import CCairo
import Datasets

/// Small grey images (MNIST digits) in a grid, each with a caption under it ("pred 7",
/// "#123 t=7 p=1"), drawn with nearest-neighbour scaling so every pixel stays a crisp square.
///
/// Digits are drawn dark on white by default (`invert`), which prints and reads better on a page
/// than MNIST's white on black; each tile has a hairline border so blank images still show.
public struct ImageGrid: Chart {
    /// The shown images only, `count × imageHeight × imageWidth`, row-major, 0…255.
    var pixels: [UInt8]
    /// Height of each image in pixels.
    public let imageHeight: Int
    /// Width of each image in pixels.
    public let imageWidth: Int
    /// One caption per image (lines separated by "\n"), or none.
    public var captions: [String]
    /// Caption colours per image (e.g. red for misclassified); nil for all dark.
    public var captionColors: [RGB]?
    /// Images per row.
    public var columns: Int
    /// Title above the grid.
    public var title: String?
    /// A second line under the title.
    public var subtitle: String?
    /// Draw 255 as black on white (true) or as white on black, MNIST's own convention (false).
    public var invert = true
    /// Size of one image pixel in points (2: a 28×28 digit is 56 points wide, 112 pixels in the PNG).
    public var pointsPerPixel = 2.0

    /// The images at `indices` of a labelled set.
    public init(images: LabeledImages, indices: [Int], captions: [String] = [], columns: Int = 10,
                title: String? = nil, subtitle: String? = nil) {
        self.init(pixels: images.images, height: images.height, width: images.width, indices: indices,
                  captions: captions, columns: columns, title: title, subtitle: subtitle)
    }

    /// The images at `indices` (all of them when nil) of raw `count × height × width` pixels.
    public init(pixels: [UInt8], height: Int, width: Int, indices: [Int]? = nil, captions: [String] = [],
                columns: Int = 10, title: String? = nil, subtitle: String? = nil) {
        let size = height * width
        precondition(size > 0 && pixels.count % size == 0, "pixels do not hold whole \(height)×\(width) images")
        let available = pixels.count / size
        let indices = indices ?? Array(0..<available)
        precondition(indices.allSatisfy { (0..<available).contains($0) }, "image index out of range 0..<\(available)")
        precondition(captions.isEmpty || captions.count == indices.count, "\(captions.count) captions for \(indices.count) images")
        var selected = [UInt8]()
        selected.reserveCapacity(indices.count * size)
        for i in indices { selected.append(contentsOf: pixels[(i * size)..<((i + 1) * size)]) }
        self.pixels = selected
        self.imageHeight = height
        self.imageWidth = width
        self.captions = captions
        self.columns = max(1, columns)
        self.title = title
        self.subtitle = subtitle
    }

    /// Number of images shown.
    public var count: Int { pixels.count / (imageHeight * imageWidth) }

    private var tileSize: Size { Size(width: Double(imageWidth) * pointsPerPixel, height: Double(imageHeight) * pointsPerPixel) }
    private var captionLines: Int { captions.map { $0.split(separator: "\n", omittingEmptySubsequences: false).count }.max() ?? 0 }

    private func cellSize(_ canvas: Canvas) -> Size {
        let widest = captions.flatMap { $0.split(separator: "\n").map(String.init) }
            .reduce(0) { max($0, canvas.textWidth($1, .caption)) }
        let captionHeight = captionLines == 0 ? 0 : 3 + Double(captionLines) * Font.caption.lineHeight
        return Size(width: max(tileSize.width, widest) + 14, height: tileSize.height + captionHeight + 12)
    }

    private var rows: Int { (count + columns - 1) / columns }

    /// The grid's size: `columns` cells across, as many rows as needed, plus the title.
    public var preferredSize: Size {
        let cell = Canvas.measuring(cellSize)
        let header = Header(title: title, subtitle: subtitle)
        return Size(width: 2 * Theme.padding + Double(min(columns, max(count, 1))) * cell.width,
                    height: header.height + Double(rows) * cell.height + Theme.padding)
    }

    /// Draws the title and the grid, centred horizontally in `frame`.
    public func draw(in canvas: Canvas, frame: Rect) {
        let header = Header(title: title, subtitle: subtitle)
        let cell = cellSize(canvas)
        let shownColumns = min(columns, max(count, 1))
        let left = frame.midX - Double(shownColumns) * cell.width / 2
        let top = frame.y + header.height
        let tile = tileSize
        // Raster output: one source pixel per image pixel, scaled with the NEAREST filter. Vector
        // output: pixels replicated 4× first, so viewers that smooth embedded images anyway
        // (most SVG renderers) still show sharp pixel edges.
        let replicate = canvas.pixelsPerPoint == nil ? 4 : 1
        for index in 0..<count {
            let (row, column) = index.quotientAndRemainder(dividingBy: columns)
            let x = left + Double(column) * cell.width + (cell.width - tile.width) / 2
            let y = top + Double(row) * cell.height + 2
            drawImage(index, in: canvas, at: (x, y), size: tile, replicate: replicate)
            canvas.stroke(Rect(x: x, y: y, width: tile.width, height: tile.height), RGB(hex: 0xc8c8c8), width: 0.5)
            guard index < captions.count else { continue }
            let color = captionColors.map { $0[index % $0.count] } ?? Theme.text
            var baseline = y + tile.height + 3 + Font.caption.lineHeight * 0.8
            for line in captions[index].split(separator: "\n", omittingEmptySubsequences: false) {
                canvas.text(String(line), x: x + tile.width / 2, baseline: baseline, .caption, color, align: .center)
                baseline += Font.caption.lineHeight
            }
        }
        header.draw(in: canvas, frame: frame, center: frame.midX)
    }

    private func drawImage(_ index: Int, in canvas: Canvas, at origin: (Double, Double), size: Size, replicate: Int) {
        let (w, h) = (imageWidth * replicate, imageHeight * replicate)
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(w), Int32(h)) else { return }
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else { return }
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = cairo_image_surface_get_data(surface)!
        let base = index * imageWidth * imageHeight
        for row in 0..<h {
            let line = UnsafeMutableRawPointer(data + row * stride).assumingMemoryBound(to: UInt32.self)
            for column in 0..<w {
                let value = pixels[base + (row / replicate) * imageWidth + column / replicate]
                let grey = UInt32(invert ? 255 - value : value)
                line[column] = (grey << 16) | (grey << 8) | grey
            }
        }
        cairo_surface_mark_dirty(surface)
        let context = canvas.context
        cairo_save(context)
        cairo_translate(context, origin.0, origin.1)
        cairo_scale(context, size.width / Double(w), size.height / Double(h))
        cairo_set_source_surface(context, surface, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
        cairo_rectangle(context, 0, 0, Double(w), Double(h))
        cairo_fill(context)
        cairo_restore(context)
    }
}
