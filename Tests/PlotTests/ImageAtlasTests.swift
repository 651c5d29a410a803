import Foundation
import TestSupport
import Testing
@testable import Plot

@Suite struct ImageAtlasTests {
    /// `count` images of `size`×`size` pixels, image i filled with the value i + 1.
    func uniformImages(_ count: Int, size: Int = 28) -> [UInt8] {
        (0..<count).flatMap { [UInt8](repeating: UInt8($0 + 1), count: size * size) }
    }

    @Test("10 images: 4 columns × 3 rows, row-major from the top left, empty cells black")
    func layout() throws {
        let atlas = ImageAtlas(pixels: uniformImages(10), height: 28, width: 28)
        #expect((atlas.columns, atlas.rows, atlas.tileWidth, atlas.tileHeight) == (4, 3, 28, 28))
        #expect((atlas.width, atlas.height) == (112, 84))
        let png = try atlas.pngData()
        #expect(pngSize(png)! == (112, 84))
        let decoded = try #require(decodePNG(png))
        #expect(decoded.channels == 1)
        #expect(decoded.pixels == atlas.pixels)
        for i in 0..<10 {
            let (x, y) = atlas.origin(of: i)
            #expect((x, y) == ((i % 4) * 28, (i / 4) * 28))
            #expect(decoded.pixels[y * 112 + x] == UInt8(i + 1))
            #expect(decoded.pixels[(y + 27) * 112 + x + 27] == UInt8(i + 1))
        }
        #expect(decoded.pixels[83 * 112 + 111] == 0)  // cell 11 is empty
    }

    @Test("a known image lands pixel for pixel in its tile")
    func knownImage() throws {
        var images = [UInt8](repeating: 0, count: 5 * 784)
        for r in 0..<28 { for c in 0..<28 { images[3 * 784 + r * 28 + c] = UInt8((r * 28 + c) % 251) } }
        let atlas = ImageAtlas(pixels: images, height: 28, width: 28)
        let decoded = try #require(decodePNG(try atlas.pngData()))
        let (x0, y0) = atlas.origin(of: 3)  // 3 columns: image 3 starts row 1, column 0
        #expect((x0, y0) == (0, 28))
        for r in 0..<28 {
            for c in 0..<28 { #expect(decoded.pixels[(y0 + r) * atlas.width + x0 + c] == UInt8((r * 28 + c) % 251)) }
        }
    }

    @Test("sheets larger than maxSide are scaled down by area averaging")
    func scaledDown() throws {
        let atlas = ImageAtlas(pixels: uniformImages(100), height: 28, width: 28, maxSide: 100)
        #expect((atlas.columns, atlas.rows, atlas.tileWidth, atlas.tileHeight) == (10, 10, 10, 10))
        #expect(pngSize(try atlas.pngData())! == (100, 100))
        let (x, y) = atlas.origin(of: 57)
        #expect(atlas.pixels[(y + 5) * 100 + x + 5] == 58)

        // Left half white, right half black, halved: 7 white columns then 7 black.
        let halves = (0..<28).flatMap { _ in [UInt8](repeating: 255, count: 14) + [UInt8](repeating: 0, count: 14) }
        let small = ImageAtlas(pixels: halves, height: 28, width: 28, maxSide: 14)
        #expect((small.tileWidth, small.tileHeight) == (14, 14))
        #expect(Array(small.pixels.prefix(14)) == [UInt8](repeating: 255, count: 7) + [UInt8](repeating: 0, count: 7))
    }

    @Test("TensorBoard-sized: 10,000 MNIST-sized images fit in one 2800×2800 sheet")
    func tensorBoardSize() {
        let atlas = ImageAtlas(pixels: [UInt8](repeating: 0, count: 10_000 * 784), height: 28, width: 28)
        #expect((atlas.columns, atlas.rows, atlas.width, atlas.height) == (100, 100, 2800, 2800))
    }

    @Test("inverted sheets store 255 − value and leave empty cells white")
    func inverted() {
        let atlas = ImageAtlas(pixels: uniformImages(3), height: 28, width: 28, invert: true)
        #expect((atlas.columns, atlas.rows) == (2, 2))
        #expect(atlas.pixels[0] == 254)
        #expect(atlas.pixels[28] == 253)
        #expect(atlas.pixels.last == 255)  // the fourth cell is empty
    }

    @Test("write is atomic and produces the same bytes as pngData")
    func write() throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let atlas = ImageAtlas(pixels: uniformImages(3), height: 28, width: 28)
        try atlas.write(to: "\(directory)/sprite.png")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/sprite.png"))) == atlas.pngData())
    }
}
