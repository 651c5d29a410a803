import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Linalg
import TestSupport
import Testing
@testable import Plot

@Suite struct FigureOutputTests {
    let sample = SampleEmbedding(count: 400, dimensions: 2)

    var chart: ScatterChart {
        ScatterChart(points: sample.points, labels: sample.labels, classNames: SampleEmbedding.classNames,
                     highlight: sample.isNoise, title: "Blobs", subtitle: "400 points", xLabel: "x", yLabel: "y")
    }

    @Test("PNG: signature, IHDR first, IEND last, CRCs valid, size = points × scale")
    func png() throws {
        let figure = Figure(title: "Two panels", charts: [chart, chart])
        let bytes = try figure.pngData()
        let chunks = try #require(pngChunks(bytes))
        #expect(chunks.first?.type == "IHDR")
        #expect(chunks.last?.type == "IEND")
        #expect(chunks.contains { $0.type == "IDAT" })
        let size = try #require(pngSize(bytes))
        #expect(size.width == Int((figure.size.width * 2).rounded(.up)))
        #expect(size.height == Int((figure.size.height * 2).rounded(.up)))
        #expect(size.width > 1500 && size.width < 4000 && size.height > 800 && size.height < 2000)
    }

    @Test("SVG parses as XML with an <svg> root sized in points")
    func svg() throws {
        let bytes = try Figure(chart).data(.svg)
        let delegate = RootElement()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = delegate
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(delegate.name == "svg")
        #expect(delegate.attributes["width"]?.hasSuffix("pt") == true)
        #expect(delegate.elements > 400)  // at least one element per point
    }

    @Test("PDF starts with %PDF- and ends with %%EOF")
    func pdf() throws {
        let bytes = try Figure(chart).data(.pdf)
        #expect(bytes.starts(with: Array("%PDF-".utf8)))
        let tail = String(decoding: bytes.suffix(16), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(tail.hasSuffix("%%EOF"))
    }

    @Test("write picks the format by extension and replaces the file atomically")
    func write() throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let figure = Figure(chart)
        for (name, magic) in [("a.png", [UInt8]([0x89, 0x50, 0x4E, 0x47])), ("b.SVG", Array("<?xml".utf8)),
                              ("c.pdf", Array("%PDF".utf8)), ("d", [0x89, 0x50, 0x4E, 0x47])] {
            try figure.write(to: "\(directory)/\(name)")
            let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)")))
            #expect(written.starts(with: magic), "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["a.png", "b.SVG", "c.pdf", "d"])
    }

    @Test("a failed write leaves no file and no temporary behind")
    func failedWrite() throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var figure = Figure(chart)
        // Unsupported extension: refused before anything is written.
        #expect(throws: EmbedVizError.self) { try figure.write(to: "\(directory)/figure.jpg") }
        // A PNG beyond cairo's 32,767-pixel limit.
        figure.scale = 100
        do {
            try figure.write(to: "\(directory)/huge.png")
            Issue.record("expected an error")
        } catch let error as EmbedVizError {
            #expect(error.kind == .input)
            #expect(error.message.contains("32,767"))
            #expect(error.location == "\(directory)/huge.png")
        }
        // A missing directory.
        #expect(throws: EmbedVizError.self) { try Figure(chart).write(to: "\(directory)/missing/figure.svg") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)

        // A failed rewrite keeps the previous file as it was.
        let path = "\(directory)/kept.png"
        try Figure(chart).write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: EmbedVizError.self) { try figure.write(to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["kept.png"])
    }

    @Test("format from path", arguments: [("a.png", FigureFormat.png), ("a.PDF", .pdf), ("x/y.svg", .svg), ("-", .png), ("plot", .png)])
    func formatFromPath(path: String, format: FigureFormat) throws {
        #expect(try FigureFormat(path: path) == format)
    }

    @Test("grid layout: columns as wide as their widest chart, ragged last row, title on top")
    func layout() {
        let charts: [any Chart] = [chart, chart, chart]
        let figure = Figure(title: "T", charts: charts, columns: 2)
        #expect(figure.rows.map(\.count) == [2, 1])
        let one = chart.preferredSize
        #expect(abs(figure.size.width - 2 * one.width) < 1e-9)
        #expect(figure.size.height > 2 * one.height)
    }
}

/// Records the root element's name and attributes and counts elements.
private final class RootElement: NSObject, XMLParserDelegate {
    var name: String?
    var attributes: [String: String] = [:]
    var elements = 0

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String]) {
        elements += 1
        if name == nil {
            name = elementName
            self.attributes = attributes
        }
    }
}
