import Foundation
import Linalg
import Plot

/// The explorer's bytes: a small JSON manifest (names, dictionaries, sizes), binary arrays as
/// base64 parts of at most `partBytes` (coordinates Float32, text columns as Uint8/16/32 codes
/// into a dictionary, numbers Float32, neighbours Int32), and PNG sheets of image tiles.
/// One page script reads both the single-file and the folder form; only the transport differs.
struct ExplorerPage {
    /// Raw bytes per base64 part (one `<script>` element or one `data/NNNN.js` file).
    static let partBytes = 1 << 22
    /// Images per PNG sheet and tiles per sheet row; tiles are at most `maxTile` pixels a side.
    static let sheetTiles = 1024, sheetColumns = 32, maxTile = 96

    let explorer: Explorer
    /// nil: sheets travel inline as data URLs; else the folder-relative path of sheet k.
    let tilePath: ((Int) -> String)?
    private let encoded: [EncodedColumn]

    /// A column as the page stores it: text as codes into a dictionary, numbers as they are.
    struct EncodedColumn {
        var dictionary: [String]?
        var codes: [UInt32]
        var bytes: [UInt8]
        var type: String
    }

    init(_ explorer: Explorer, tilePath: ((Int) -> String)? = nil) {
        self.explorer = explorer
        self.tilePath = tilePath
        encoded = explorer.data.columns.map(Self.encode)
    }

    static func encode(_ column: ExplorerColumn) -> EncodedColumn {
        switch column.values {
        case .number(let values):
            return EncodedColumn(dictionary: nil, codes: [], bytes: values.withUnsafeBytes { Array($0) }, type: "f32")
        case .text(let values):
            var position: [String: UInt32] = [:]
            var dictionary: [String] = []
            var codes = [UInt32](repeating: 0, count: values.count)
            for (i, v) in values.enumerated() {
                if let p = position[v] { codes[i] = p } else {
                    position[v] = UInt32(dictionary.count)
                    codes[i] = UInt32(dictionary.count)
                    dictionary.append(v)
                }
            }
            // Categories in natural order (numbers by value) for the legend; free text stays in first-seen order.
            if dictionary.count <= 10_000 {
                let order = dictionary.indices.sorted { naturallyBefore(dictionary[$0], dictionary[$1]) }
                var renumber = [UInt32](repeating: 0, count: dictionary.count)
                for (new, old) in order.enumerated() { renumber[old] = UInt32(new) }
                dictionary = order.map { dictionary[$0] }
                for i in codes.indices { codes[i] = renumber[Int(codes[i])] }
            }
            let bytes: [UInt8]
            let type: String
            if dictionary.count <= 256 { bytes = codes.map { UInt8($0) }; type = "u8" } else if dictionary.count <= 65536 {
                bytes = codes.map { UInt16($0) }.withUnsafeBytes { Array($0) }; type = "u16"
            } else { bytes = codes.withUnsafeBytes { Array($0) }; type = "u32" }
            return EncodedColumn(dictionary: dictionary, codes: codes, bytes: bytes, type: type)
        }
    }

    static func naturallyBefore(_ a: String, _ b: String) -> Bool {
        if let x = Double(a), let y = Double(b), x != y { return x < y }
        return a < b
    }

    /// Whether row r of the highlight column counts as highlighted.
    private func highlighted() -> [UInt8]? {
        guard let name = explorer.data.highlightColumn, let k = explorer.data.columns.firstIndex(where: { $0.name == name }) else { return nil }
        switch explorer.data.columns[k].values {
        case .number(let v): return v.map { $0 != 0 && !$0.isNaN ? 1 : 0 }
        case .text(let v):
            let no: Set<String> = ["", "0", "false", "no", "n", "f"]
            return v.map { no.contains($0.lowercased()) ? 0 : 1 }
        }
    }

    /// Every binary array, in order: (key, element type, bytes).
    private func forEachArray(_ body: (String, String, [UInt8]) throws -> Void) throws {
        for (k, projection) in explorer.data.projections.enumerated() {
            let finite = projection.points.storage.map { $0.isFinite ? $0 : 0 }
            try body("p\(k)", "f32", finite.withUnsafeBytes { Array($0) })
        }
        for (k, column) in encoded.enumerated() { try body("c\(k)", column.type, column.bytes) }
        if let flags = highlighted() { try body("highlight", "u8", flags) }
        if let neighbours = explorer.data.neighbours { try body("nb", "i32", neighbours.indices.withUnsafeBytes { Array($0) }) }
    }

    /// Emits each array's base64 parts: (key, part number, base64 text).
    func arrays(_ emit: (String, Int, String) throws -> Void) throws {
        try forEachArray { key, _, bytes in
            var part = 0, start = 0
            repeat {
                let end = min(bytes.count, start + Self.partBytes)
                try emit(key, part, bytes[start..<end].withUnsafeBytes { Data($0) }.base64EncodedString())
                part += 1
                start = end
            } while start < bytes.count
        }
    }

    private struct TileGeometry { var width: Int, height: Int, channels: Int, perSheet: Int, columns: Int, sheets: Int }

    private var tileGeometry: TileGeometry? {
        if let images = explorer.data.images {
            let factor = max(1, (max(images.height, images.width) + Self.maxTile - 1) / Self.maxTile)
            return TileGeometry(width: images.width / factor, height: images.height / factor, channels: images.channels,
                                perSheet: Self.sheetTiles, columns: Self.sheetColumns,
                                sheets: (images.count + Self.sheetTiles - 1) / Self.sheetTiles)
        }
        if let sprite = explorer.sprite {
            return TileGeometry(width: sprite.tile, height: sprite.tile, channels: 1, perSheet: max(1, explorer.count),
                                columns: sprite.columns, sheets: 1)
        }
        return nil
    }

    /// Emits each PNG sheet: (sheet number, PNG bytes). Sheet k holds images k·1024 … k·1024+1023,
    /// 32 a row, each shrunk by an integer factor (area average) to at most `maxTile` pixels a side.
    func sheets(_ emit: (Int, [UInt8]) throws -> Void) throws {
        guard let geometry = tileGeometry else { return }
        guard let images = explorer.data.images else {
            if let sprite = explorer.sprite { try emit(0, sprite.png) }
            return
        }
        let factor = images.width / geometry.width
        let (tw, th, ch) = (geometry.width, geometry.height, images.channels)
        let imageBytes = images.height * images.width * ch
        for sheet in 0..<geometry.sheets {
            let first = sheet * geometry.perSheet, count = min(geometry.perSheet, images.count - first)
            let columns = min(geometry.columns, count), rows = (count + columns - 1) / columns
            let stride = columns * tw * ch
            var pixels = [UInt8](repeating: 255, count: rows * th * stride)
            images.pixels.withUnsafeBufferPointer { src in
                for t in 0..<count {
                    let base = (first + t) * imageBytes
                    let (row, column) = t.quotientAndRemainder(dividingBy: columns)
                    for y in 0..<th {
                        let out = (row * th + y) * stride + column * tw * ch
                        for x in 0..<tw {
                            for c in 0..<ch {
                                var sum = 0
                                for dy in 0..<factor {
                                    let line = base + ((y * factor + dy) * images.width + x * factor) * ch + c
                                    for dx in 0..<factor { sum += Int(src[line + dx * ch]) }
                                }
                                pixels[out + x * ch + c] = UInt8(sum / (factor * factor))
                            }
                        }
                    }
                }
            }
            try emit(sheet, try PNGEncoder.encode(pixels, width: columns * tw, height: rows * th, channels: ch))
        }
    }

    /// The manifest: everything the script needs to know except the arrays' contents.
    func manifest(files: [String]) -> String {
        let data = explorer.data
        var parts: [String] = []
        parts.append("\"count\":\(data.count)")
        parts.append("\"projections\":[" + data.projections.enumerated().map { k, p in
            "{\"name\":\(json(p.name)),\"dimensions\":\(p.points.columns),\"key\":\"p\(k)\"}"
        }.joined(separator: ",") + "]")
        parts.append("\"columns\":[" + data.columns.enumerated().map { k, column in
            var fields = ["\"name\":\(json(column.name))", "\"key\":\"c\(k)\"", "\"type\":\"\(encoded[k].type)\""]
            if let dictionary = encoded[k].dictionary {
                fields.append("\"kind\":\"text\"")
                fields.append("\"dictionary\":[" + dictionary.map(json).joined(separator: ",") + "]")
                if !column.colors.isEmpty {
                    fields.append("\"colors\":[" + dictionary.map { column.colors[$0].map(json) ?? "null" }.joined(separator: ",") + "]")
                }
            } else { fields.append("\"kind\":\"number\"") }
            return "{" + fields.joined(separator: ",") + "}"
        }.joined(separator: ",") + "]")
        parts.append("\"colorColumn\":" + (data.colorColumn.map(json) ?? "null"))
        parts.append("\"highlight\":" + (data.highlightColumn.map(json) ?? "null"))
        if let g = tileGeometry {
            parts.append("\"images\":{\"tileWidth\":\(g.width),\"tileHeight\":\(g.height),\"channels\":\(g.channels),\"perSheet\":\(g.perSheet),\"columns\":\(g.columns),\"sheets\":\(g.sheets),\"inline\":\(tilePath == nil)}")
        }
        if let nb = data.neighbours { parts.append("\"neighbours\":{\"k\":\(nb.k),\"about\":\(json(nb.about))}") }
        var arrays: [String] = []
        try? forEachArray { key, type, bytes in
            arrays.append("\"\(key)\":{\"type\":\"\(type)\",\"bytes\":\(bytes.count),\"parts\":\(max(1, (bytes.count + Self.partBytes - 1) / Self.partBytes))}")
        }
        parts.append("\"arrays\":{" + arrays.joined(separator: ",") + "}")
        parts.append("\"files\":[" + files.map(json).joined(separator: ",") + "]")
        return "{" + parts.joined(separator: ",") + "}"
    }

    func head() -> String {
        let title = HTML.escape(explorer.title)
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
        <style>\(Self.style)</style></head>
        <body>
        <header><h1>\(title)</h1><p>\(HTML.escape(explorer.subtitle))</p></header>
        <main>
        <div id="stage"><canvas id="map" aria-label="embedding map"></canvas><canvas id="overlay"></canvas>
        <div id="status">loading…</div></div>
        <aside>
        <div class="controls">
        <label id="projection-row">map <select id="projection"></select></label>
        <label>colour by <select id="color-by"></select></label>
        <label>search <select id="filter-column"></select></label>
        <input id="filter" type="search" placeholder="value, text, >0.5, 2..7"> <span id="filter-count"></span>
        <label><input type="checkbox" id="density"> density view</label>
        <label><input type="checkbox" id="only-selection"> only the selection</label>
        <button id="reset">reset view</button> <button id="export" disabled>export selection (CSV)</button>
        <button id="clear" disabled>clear selection</button>
        </div>
        <div id="legend"></div>
        <p class="help" id="help"></p>
        <div id="pinned"></div>
        <div id="selection"></div>
        </aside></main>
        <div id="tip"></div>
        <script>window.embedvizChunks={};window.embedvizSheets=[];
        function embedvizChunk(k,p,s){(embedvizChunks[k]||(embedvizChunks[k]=[]))[p]=s;}
        function embedvizSheet(i,u){embedvizSheets[i]=u;}</script>

        """
    }

    func tail(files: [String]) -> String {
        // `</` never appears in the manifest's strings (json() escapes `<`), so the element cannot close early.
        "<script type=\"application/json\" id=\"embedviz-manifest\">\(manifest(files: files))</script>\n<script>\(ExplorerScript.source)</script>\n</body></html>\n"
    }

    /// The single-file form, in order: head, inline arrays, inline sheets, manifest and script.
    func singleFile(_ write: (String) throws -> Void) throws {
        try write(head())
        try arrays { key, part, base64 in try write("<script>embedvizChunk(\"\(key)\",\(part),\"\(base64)\")</script>\n") }
        try sheets { sheet, png in
            try write("<script>embedvizSheet(\(sheet),\"data:image/png;base64,\(Data(png).base64EncodedString())\")</script>\n")
        }
        try write(tail(files: []))
    }

    static let style = """
    body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0;color:#222}
    header{padding:8px 16px;border-bottom:1px solid #ddd}h1{font-size:18px;margin:4px 0}header p{margin:2px 0;color:#555;font-size:13px}
    main{display:flex;height:calc(100vh - 70px)}#stage{flex:1;min-width:300px;position:relative}
    #map,#overlay{position:absolute;left:0;top:0;width:100%;height:100%}#map{cursor:crosshair}#overlay{pointer-events:none}
    #status{position:absolute;left:8px;bottom:6px;font-size:12px;color:#666;background:rgba(255,255,255,.8)}
    aside{width:340px;padding:10px;overflow:auto;border-left:1px solid #ddd;font-size:13px}
    .controls label{display:block;margin:3px 0}.controls select{max-width:200px}#filter{width:200px}
    #legend{max-height:260px;overflow:auto;margin:6px 0;border-top:1px solid #eee}
    #legend label{display:block;margin:1px 0;cursor:pointer;white-space:nowrap}.swatch{display:inline-block;width:12px;height:12px;border-radius:6px;vertical-align:middle}
    .ramp{height:12px;width:200px;display:inline-block;vertical-align:middle}.help{color:#666;font-size:12px}
    #tip{position:absolute;display:none;background:#fff;border:1px solid #999;padding:6px;font-size:12px;pointer-events:none;box-shadow:0 2px 6px rgba(0,0,0,.2);max-width:360px}
    canvas.thumb{image-rendering:pixelated;border:1px solid #ccc;vertical-align:top;margin:1px}
    .kv{font-size:12px;white-space:pre-wrap}.nb{display:inline-block;text-align:center;font-size:10px;cursor:pointer;margin:1px}
    textarea{width:100%}
    """
}

/// A JSON string literal that can sit inside a `<script>` element.
func json(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "<": out += "\\u003c"  // never close the script element early
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{2028}": out += "\\u2028"
        case "\u{2029}": out += "\\u2029"
        default:
            if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}
