@testable import Datasets
import Foundation
import Linalg
import TestSupport
import Testing

/// value(k) of make_fixtures.py for element k in C order.
func fixtureFloats(_ count: Int) -> [Float] { (0..<count).map { Float($0) * 0.5 - 3 } }

@Suite struct NPYTests {
    static let numpyCases: [(String, Int, Int, [Float])] = [
            ("f4_c.npy", 3, 4, fixtureFloats(12)),
            ("f4_c.npy.gz", 3, 4, fixtureFloats(12)),
            ("f8_fortran.npy", 3, 4, fixtureFloats(12)),
            ("f4_big_endian.npy", 3, 4, fixtureFloats(12)),
            ("f2.npy", 2, 3, fixtureFloats(6)),
            ("i2.npy", 3, 4, (0..<12).map { Float($0 - 3) }),
            ("i8_big_endian.npy", 3, 4, (0..<12).map { Float($0 - 3) }),
            ("u1.npy", 3, 4, (0..<12).map(Float.init)),
            ("bool.npy", 2, 3, [0, 1, 0, 1, 0, 1]),
            ("f4_1d.npy", 5, 1, fixtureFloats(5)),
            ("f4_3d.npy", 2, 12, fixtureFloats(24)),
            ("f4_v2.npy", 3, 4, fixtureFloats(12)),
            ("f4_v3.npy", 3, 4, fixtureFloats(12)),
    ]

    @Test("NumPy-written files of every supported dtype and layout read back exactly", arguments: numpyCases)
    func numpyFixtures(_ c: (String, Int, Int, [Float])) throws {
        let m = try NPY.read(fixture(c.0))
        #expect(m.rows == c.1 && m.columns == c.2)
        #expect(m.storage == c.3)
    }

    @Test("an empty (0, 3) array reads as a 0×3 matrix")
    func empty() throws {
        let reader = try MatrixReader(path: fixture("f4_empty.npy"))
        #expect(reader.rows == 0 && reader.columns == 3)
        let all = try reader.readAll()
        #expect(all.rows == 0)
    }

    @Test("unsupported dtypes are refused with advice", arguments: [
        ("object.npy", "object arrays are not supported"),
        ("complex.npy", "unsupported dtype '<c8'"),
        ("structured.npy", "structured (record) dtypes are not supported"),
    ])
    func unsupported(_ c: (String, String)) {
        let message = errorMessage { _ = try NPY.read(fixture(c.0)) }
        #expect(message?.contains(c.1) == true, "\(message ?? "no error")")
    }

    @Test("a header that lies about the shape is caught")
    func lyingHeader() throws {
        let dir = scratchDirectory()
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: fixture("f4_c.npy"))))
        bytes.removeLast(8)
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/short.npy"))
        let message = errorMessage { _ = try NPY.read(dir + "/short.npy") }
        #expect(message?.contains("the header says shape (3, 4) of <f4 (48 bytes of data), the file holds 40") == true, "\(message ?? "")")
        // The same through a pipe, where the size is not known up front.
        let piped = shell("cat \(dir)/short.npy | gzip > \(dir)/short.npy.gz")
        #expect(piped.status == 0)
        let gz = errorMessage { _ = try NPY.read(dir + "/short.npy.gz") }
        #expect(gz?.contains("truncated") == true, "\(gz ?? "")")
    }

    @Test("garbled headers are errors, never crashes", arguments: [
        NPY.magic + [1, 0, 10, 0] + Array("{'descr': ".utf8),
        [0x93] + Array("NUMPX".utf8),
        NPY.magic + [1, 0, 200, 0] + Array("{'descr': '<f4'}".utf8),
        [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 9, 0, 0, 0],
        [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 20, 0] + Array("{'shape': (-1, 2)}  \n".utf8),
    ])
    func garbled(_ bytes: [UInt8]) {
        #expect(throws: EmbedVizError.self) { _ = try NPY.readHeader(from: MemoryBytes(bytes), at: "g.npy") }
    }

    @Test("our NPY files load in NumPy with the same values")
    func loadsInNumPy() throws {
        let dir = scratchDirectory()
        let m = Matrix([[1.5, -2, 3.25], [4, 5e-8, -6e10]])
        try NPY.write(m, to: dir + "/ours.npy")
        let check = shell("""
            python3 -c "import numpy as np; a = np.load('\(dir)/ours.npy'); \
            assert a.dtype == np.float32 and a.shape == (2, 3), (a.dtype, a.shape); \
            assert (a == np.array([[1.5, -2, 3.25], [4, 5e-8, -6e10]], dtype=np.float32)).all(); print('ok')"
            """)
        #expect(check.status == 0 && check.output.contains("ok"), "\(check)")
        // Header: 64-byte aligned, as NumPy writes it.
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/ours.npy")))
        #expect((bytes.count - 24) % 64 == 0)
    }
}

@Suite struct TextAndRawTests {
    func write(_ text: String, _ name: String) -> String {
        let path = scratchDirectory() + "/" + name
        try! Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("CSV and TSV parse, with comments, blank lines, CRLF, quotes and an auto-detected header")
    func parse() throws {
        let csv = write("# made by hand\na,b,c\n1,2.5,-3e2\r\n\n\"4\", 5 ,6\n", "x.csv")
        #expect(try MatrixReader.read(csv) == Matrix([[1, 2.5, -300], [4, 5, 6]]))
        let tsv = write("1\t2\n3\t4", "x.tsv")
        #expect(try MatrixReader.read(tsv) == Matrix([[1, 2], [3, 4]]))
        let sniffed = write("1\t2\n3\t4\n", "noextension")
        let reader = try MatrixReader(path: sniffed)
        let all = try reader.readAll()
        #expect(reader.format == .tsv && all == Matrix([[1, 2], [3, 4]]))
    }

    @Test("errors name the line and column", arguments: [
        ("1,2\n3,x\n", "line 2, column 2: 'x' is not a number"),
        ("1,2\n3\n", "line 2 has 1 fields, expected 2 like the first row (ragged rows)"),
        ("1,2\n3,,\n", "line 2 has 3 fields"),
        ("1,2\n3,\n", "line 2, column 2: an empty field is not a number"),
        ("1,2\nnan,4\n", "line 2, column 1 is nan; inputs must be finite numbers"),
        ("1,hello\n", "line 1, column 2: 'hello' is not a number"),
        ("a,b\n", "has a header row but no data"),
        ("", "the input has no rows"),
    ])
    func errors(_ c: (String, String)) {
        let path = write(c.0, "bad.csv")
        let message = errorMessage { _ = try MatrixReader.read(path) }
        #expect(message?.contains(c.1) == true, "\(message ?? "no error")")
        #expect(message?.hasSuffix("(\(path))") == true)
    }

    @Test("header modes: yes skips a numeric first line, no refuses a text one")
    func headerModes() throws {
        let path = write("1,2\n3,4\n", "h.csv")
        #expect(try MatrixReader.read(path, options: .init(header: .yes)) == Matrix([[3, 4]]))
        let text = write("a,b\n3,4\n", "t.csv")
        #expect(errorMessage { _ = try MatrixReader.read(text, options: .init(header: .no)) }?.contains("'a' is not a number") == true)
    }

    @Test("NaN is accepted only when asked for")
    func nonFinite() throws {
        let path = write("1,inf\n", "n.csv")
        let m = try MatrixReader.read(path, options: .init(allowNonFinite: true))
        #expect(m[0, 1] == .infinity)
        let dir = scratchDirectory()
        try NPY.write(Matrix([[1, 2], [3, .nan]]), to: dir + "/nan.npy")
        #expect(errorMessage { _ = try NPY.read(dir + "/nan.npy") }?.contains("row 1, column 1 (0-based) is nan") == true)
    }

    @Test("raw float32 needs a shape that fits the file")
    func raw() throws {
        let dir = scratchDirectory()
        let m = Matrix([[1, 2, 3], [4, 5, 6]])
        try MatrixWriter.write(m, to: dir + "/m.f32")
        #expect(try MatrixReader.read(dir + "/m.f32", options: .init(columns: 3)) == m)
        #expect(errorMessage { _ = try MatrixReader.read(dir + "/m.f32") }?.contains("needs its shape") == true)
        #expect(errorMessage { _ = try MatrixReader.read(dir + "/m.f32", options: .init(columns: 4)) }?
            .contains("not a multiple of a row") == true)
        #expect(errorMessage { _ = try MatrixReader.read(dir + "/m.f32", options: .init(rows: 3, columns: 3)) }?
            .contains("3 rows were given (`rows`), the file holds 2") == true)
    }

    @Test("chunked reading equals reading all, for every format", arguments: ArrayFormat.allCases)
    func chunks(_ format: ArrayFormat) throws {
        let dir = scratchDirectory()
        let m = Matrix(rows: 23, columns: 3) { i, j in Float(i * 3 + j) / 7 }
        let path = dir + "/m.\(format.rawValue)"
        try MatrixWriter.write(m, to: path)
        let reader = try MatrixReader(path: path, options: .init(columns: 3))
        var rows: [Float] = []
        while let chunk = try reader.next(maxRows: 5) {
            #expect(chunk.rows <= 5)
            rows += chunk.storage
        }
        #expect(rows == m.storage)
    }

    @Test("NPY with an unknown row count gets its header fixed at the end")
    func streamingNPY() throws {
        let dir = scratchDirectory()
        let writer = try MatrixWriter(path: dir + "/s.npy", columns: 2)
        try writer.write(Matrix([[1, 2]]))
        try writer.write(Matrix([[3, 4], [5, 6]]))
        try writer.finish()
        #expect(try NPY.read(dir + "/s.npy") == Matrix([[1, 2], [3, 4], [5, 6]]))
        #expect(throws: EmbedVizError.self) { _ = try MatrixWriter(path: "-", format: .npy, columns: 2) }
    }
}

@Suite struct AtomicFileTests {
    @Test("a failed write leaves neither the file nor a temporary behind")
    func failure() {
        let dir = scratchDirectory()
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try OutputFile.write(to: dir + "/out.npy") { file in
                try file.write([1, 2, 3])
                throw Boom()
            }
        }
        #expect(listing(dir).isEmpty)
    }

    @Test("a successful write replaces the destination in one step")
    func success() throws {
        let dir = scratchDirectory()
        try OutputFile.write("old", to: dir + "/f.txt")
        try OutputFile.write("new", to: dir + "/f.txt")
        #expect(listing(dir) == ["f.txt"])
        #expect(try String(contentsOfFile: dir + "/f.txt", encoding: .utf8) == "new")
    }

    @Test("a full disk and a missing directory are environment errors naming the path")
    func environment() {
        #expect(errorMessage { try OutputFile.write(Array(repeating: 0, count: 1 << 21), to: "/dev/full") }
            == "write failed: no space left on device (/dev/full)")
        let missing = errorMessage { try OutputFile.write("x", to: "/nonexistent-dir/out.txt") }
        #expect(missing == "cannot write: the directory does not exist (/nonexistent-dir/out.txt)")
    }
}

/// The fast decimal path of the CSV reader against glibc's `strtof` (correctly rounded), bit for bit.
@Suite struct DecimalFloatTests {
    func strtofValue(_ text: String) -> Float? {
        text.withCString { base -> Float? in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtof(base, &end)
            return end.map { $0 - UnsafeMutablePointer(mutating: base) } == text.utf8.count ? value : nil
        }
    }

    func fast(_ text: String) -> Float? {
        Array(text.utf8).withUnsafeBufferPointer { DecimalFloat.parse($0.baseAddress!, count: $0.count) }
    }

    /// Every string the fast path accepts must convert exactly as strtof does.
    func check(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard let value = fast(text) else { return false }
        let reference = strtofValue(text)
        #expect(reference?.bitPattern == value.bitPattern, "\(text): fast \(value), strtof \(String(describing: reference))",
                sourceLocation: sourceLocation)
        return true
    }

    @Test("hand-picked cases: signs, zeros, exponents, and the inputs the fast path must refuse")
    func handPicked() {
        for text in ["0", "-0", "+1", "1.", ".5", "-.5", "3.14159265", "1e10", "1E-10", "1.5e+3", "0.000123", "007",
                     "123456789", "-9.99999944e-39" /* just above subnormal? refused or exact */, "3.4028235e38",
                     "1.17549435e-38", "0.1", "0.3", "16777216", "9007199254740992"] {
            _ = check(text)
        }
        #expect(fast("-0")?.sign == .minus)
        // 2²⁴ + 1 is exactly halfway between two Floats: the Double is a midpoint, strtof decides.
        #expect(fast("16777217") == nil && strtofValue("16777217") == 16_777_216)
        // Not plain decimals, or beyond the fast path: nil (strtof decides).
        for text in ["", ".", "-", "e5", "1e", "1e+", "nan", "inf", "0x1p3", "1,5", "1 2", "12345678901234567890",
                     "1e23", "1e-23", "1e-40", "4e38", "9007199254740993"] {
            #expect(fast(text) == nil, "\(text)")
        }
    }

    @Test("200,000 random values in the writer's format and in %.7g / %.9g / %.12g agree with strtof bit for bit")
    func random() {
        var rng = SeededGenerator(seed: 5)
        var accepted = 0, total = 0
        for k in 0..<50_000 {
            // Magnitudes from 1e-30 to 1e30, both signs.
            let magnitude = Float.random(in: -30...30, using: &rng)
            let value = Float.random(in: -1...1, using: &rng) * Float(pow(10, Double(magnitude)))
            for text in [value.description, String(format: "%.7g", value), String(format: "%.9g", value),
                         String(format: "%.12g", Double(value) * (k % 2 == 0 ? 1 : 1.0000001))] {
                total += 1
                if check(text) { accepted += 1 }
            }
        }
        // Exponents beyond ±22 are outside the fast path; the others (about 3 in 4) must take it.
        #expect(accepted > total / 2, "fast path took \(accepted) of \(total)")
    }
}
