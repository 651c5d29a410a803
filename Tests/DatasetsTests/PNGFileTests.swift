import Datasets
import Foundation
import Linalg
import TestSupport
import Testing

/// libpng decoding of files written by the tests' own minimal PNG writer.
@Suite struct PNGFileTests {
    @Test("grey and RGB files decode to their grey values; R = G = B keeps its value; sizes are checked")
    func decode() throws {
        let d = scratchDirectory()
        let grey: [UInt8] = [0, 50, 100, 150, 200, 255]
        write(pngFile(grey, width: 3, height: 2, channels: 1), d + "/g.png")
        let g = try PNGFile.readGrey(d + "/g.png")
        #expect(g.pixels == grey && g.width == 3 && g.height == 2)
        write(pngFile(grey.flatMap { [$0, $0, $0] }, width: 3, height: 2, channels: 3), d + "/rgb.png")
        #expect(try PNGFile.readGrey(d + "/rgb.png").pixels == grey)
        write(pngFile([1, 2], width: 1, height: 2, channels: 1), d + "/other.png")
        #expect(throws: EmbedVizError.self) { _ = try ImageFiles.readAll(["g.png", "other.png"], relativeTo: d) }
        let both = try ImageFiles.readAll(["g.png", d + "/rgb.png"], relativeTo: d)
        #expect(both.count == 2 && both.images == grey + grey)
        write(Array("no png".utf8), d + "/bad.png")
        #expect(throws: EmbedVizError.self) { _ = try PNGFile.readGrey(d + "/bad.png") }
    }
}
