import Datasets
import Foundation
import Linalg

/// Images for the explorer's hover and selection views: a PNG sprite sheet of equal square tiles,
/// row-major from the top-left, tile `i` holding the image of *row* `i` of the map and its metadata
/// (one image per row, in row order — the order `embedviz embed` writes images-idx3-ubyte in, also
/// with `--sample`, and the rule `export projector` follows). The metadata's `index` column (the
/// sample's index in its split) is shown as a label only; it does not pick the tile.
public struct SpriteSheet: Sendable {
    public var png: [UInt8]
    public var tile: Int
    public var columns: Int

    public init(png: [UInt8], tile: Int, columns: Int) {
        self.png = png
        self.tile = tile
        self.columns = columns
    }
}

/// A self-contained interactive map of an embedding: one HTML file with the data, the images and
/// the script inline — no server, no external URLs.
public struct Explorer: Sendable {
    public var points: Matrix
    public var metadata: EmbeddingMetadata
    public var classNames: [String]
    /// CSS colours, one per class (index = class).
    public var colors: [String]
    public var sprite: SpriteSheet?
    public var title: String
    public var subtitle: String
    /// The class each point is coloured (and filtered in the legend) by: the prediction by default.
    public var colorLabels: [Int]

    public init(points: Matrix, metadata: EmbeddingMetadata, classNames: [String], colors: [String],
                sprite: SpriteSheet?, title: String, subtitle: String = "", colorLabels: [Int]? = nil) {
        precondition(points.rows == metadata.count, "\(points.rows) points, \(metadata.count) metadata rows")
        precondition(points.columns >= 1 && points.columns <= 3, "the explorer draws 1-, 2- or 3-D maps")
        self.points = points
        self.metadata = metadata
        self.classNames = classNames
        self.colors = colors
        self.sprite = sprite
        self.title = title
        self.subtitle = subtitle
        self.colorLabels = colorLabels ?? metadata.prediction
        precondition(self.colorLabels.count == points.rows)
    }

    /// The page's data as JSON (coordinates rounded to 5 significant digits).
    func dataJSON() -> String {
        var out = "{\"dimensions\":\(points.columns),\"points\":["
        out.reserveCapacity(points.count * 10 + metadata.count * 30)
        for (k, v) in points.storage.enumerated() {
            if k > 0 { out += "," }
            out += v.isFinite ? String(format: "%.5g", Double(v)) : "0"
        }
        func list<T>(_ name: String, _ values: [T], _ render: (T) -> String) -> String {
            ",\"\(name)\":[" + values.map(render).joined(separator: ",") + "]"
        }
        out += "]"
        out += list("index", metadata.index) { String($0) }
        out += list("target", metadata.target) { String($0) }
        out += list("prediction", metadata.prediction) { String($0) }
        out += list("colorLabel", colorLabels) { String($0) }
        out += list("confidence", metadata.confidence) { String(format: "%.4f", Double($0)) }
        out += list("isNoise", metadata.isNoise) { $0 ? "1" : "0" }
        out += list("classNames", classNames) { Self.jsonString($0) }
        out += list("colors", colors) { Self.jsonString($0) }
        if let sprite {
            out += ",\"sprite\":{\"image\":\"data:image/png;base64,\(Data(sprite.png).base64EncodedString())\",\"tile\":\(sprite.tile),\"columns\":\(sprite.columns)}"
        }
        return out + "}"
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "<": out += "\\u003c"  // never close the script element early
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The complete page.
    public func html() -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title))</title>
        <style>\(Self.style)</style></head>
        <body>
        <header><h1>\(HTML.escape(title))</h1><p>\(HTML.escape(subtitle))</p></header>
        <main>
        <canvas id="map" aria-label="embedding map"></canvas>
        <aside>
        <div class="controls"><label><input type="checkbox" id="only-noise"> only injected noise</label>
        <label><input type="checkbox" id="only-wrong"> only misclassified digits</label>
        <button id="reset">reset view</button></div>
        <div id="legend"></div>
        <p class="help">Hover: a point's image and labels · click: pin it · drag: \(points.columns == 3 ? "rotate" : "pan") ·
        wheel: zoom · shift+drag: select a box · legend: show/hide a class</p>
        <div id="pinned"></div>
        <div id="selection"></div>
        </aside></main>
        <div id="tip"></div>
        <script type="application/json" id="embedviz-data">\(dataJSON())</script>
        <script>\(ExplorerScript.source)</script>
        </body></html>
        """
    }

    /// Writes the page atomically.
    public func write(to path: String) throws {
        try OutputFile.write(html(), to: path)
    }

    static let style = """
    body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0;color:#222}
    header{padding:8px 16px;border-bottom:1px solid #ddd}h1{font-size:18px;margin:4px 0}header p{margin:2px 0;color:#555;font-size:13px}
    main{display:flex;height:calc(100vh - 70px)}#map{flex:1;min-width:300px;height:100%;cursor:crosshair}
    aside{width:320px;padding:10px;overflow:auto;border-left:1px solid #ddd;font-size:13px}
    #legend label{display:block;margin:2px 0;cursor:pointer}.swatch{display:inline-block;width:12px;height:12px;border-radius:6px;vertical-align:middle}
    .controls label{display:block}.help{color:#666;font-size:12px}
    #tip{position:absolute;display:none;background:#fff;border:1px solid #999;padding:6px;font-size:12px;pointer-events:none;box-shadow:0 2px 6px rgba(0,0,0,.2)}
    #pinned canvas,#tip canvas{image-rendering:pixelated;border:1px solid #ccc}
    .grid canvas{image-rendering:pixelated;margin:1px;border:1px solid #eee}textarea{width:100%}
    """
}

/// HTML text helpers.
public enum HTML {
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
