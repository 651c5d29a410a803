import Foundation
import Linalg
import Synchronization
import Testing

@Suite struct MatrixTests {
    @Test("value semantics: a copy is independent")
    func valueSemantics() {
        let a = Matrix([[1, 2], [3, 4]])
        var b = a
        b[0, 0] = 9
        #expect(a[0, 0] == 1 && b[0, 0] == 9)
    }

    @Test("firstNonFinite finds the first NaN or ±∞ in any block of its scan, and only those")
    func firstNonFiniteAcrossBlocks() {
        // 3 × 5000 elements: the scan's blocks are 4096 long, so these cross block boundaries.
        var m = Matrix(rows: 3, columns: 5000)
        #expect(m.firstNonFinite() == nil)
        // Large finite values, the smallest subnormal and −0 are finite (their exponent bits are not all ones).
        m[0, 1] = Float.greatestFiniteMagnitude; m[0, 2] = -Float.greatestFiniteMagnitude
        m[0, 3] = Float.leastNonzeroMagnitude; m[0, 4] = -0.0
        #expect(m.firstNonFinite() == nil)
        m[2, 4999] = -.infinity  // the last element: last, partial block
        #expect(m.firstNonFinite().map { [$0.row, $0.column] } == [2, 4999])
        m[1, 3000] = .nan  // element 8000: second block
        #expect(m.firstNonFinite().map { [$0.row, $0.column] } == [1, 3000])
        #expect(m.firstNonFinite()?.value.isNaN == true)
        m[0, 4095] = .infinity  // the first block's last element
        let first = m.firstNonFinite()
        #expect(first.map { [$0.row, $0.column] } == [0, 4095] && first?.value == .infinity)
    }

    @Test("transpose, row access, gathers and column means")
    func accessors() {
        var rng = TestRandom(seed: 8)
        let a = rng.matrix(45, 33)  // crosses the 32-element tile
        let t = a.transposed()
        for i in 0..<45 { for j in 0..<33 { #expect(t[j, i] == a[i, j]) } }
        #expect(Array(a.row(3)) == (0..<33).map { a[3, $0] })
        #expect(a.rows(at: [4, 1]).row(1) == a.row(1))
        #expect(a.rows(2..<5).rows == 3)
        let m = Matrix([[1, 10], [3, 20]]).columnMeans()
        #expect(m == [2, 15])
    }
}

@Suite(.serialized) struct ThreadsTests {
    /// (`Threads.set` itself is checked through `embedviz info --threads 1` in CLITests: changing
    /// the process-wide count here would change the partition of t-SNE tests running concurrently,
    /// whose determinism test compares bits.)
    @Test("withBLASThreads reaches OpenBLAS and restores the configured count")
    func setting() {
        let before = Threads.count
        Threads.withBLASThreads(1) { #expect(BLASInfo.current.threads == 1) }
        #expect(Threads.count == before && BLASInfo.current.threads == before)
    }

    /// OpenBLAS's thread count is process-wide. Two threads that are not part of one section each
    /// run sections with their own count, many times, reading OpenBLAS's setting back inside: each
    /// must always see its own count (before sections were exclusive, one would see the other's).
    @Test("concurrent BLAS sections on different threads never see each other's thread count")
    func concurrentSections() {
        let seen = Mutex<[[Int]]>([[], []])
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            for _ in 0..<200 {
                Threads.withBLASThreads(k + 1) {
                    let threads = BLASInfo.current.threads
                    usleep(50)
                    let again = BLASInfo.current.threads
                    seen.withLock { $0[k] += [threads, again] }
                }
            }
        }
        let observed = seen.withLock { $0 }
        #expect(observed[0].allSatisfy { $0 == 1 } && observed[0].count == 400)
        #expect(observed[1].allSatisfy { $0 == 2 } && observed[1].count == 400)
        // A parallel loop inside a section works for it: its workers neither wait nor change the count.
        Threads.withBLASThreads(1) {
            Threads.parallelFor(4) { _ in Threads.withBLASThreads(1) { #expect(BLASInfo.current.threads == 1) } }
        }
    }

    @Test("chunk ranges partition the work exactly", arguments: [(10, 3), (2, 5), (0, 2), (1000, 7)])
    func chunks(_ c: (Int, Int)) {
        let (total, chunks) = c
        var covered = [Int]()
        for k in 0..<chunks { covered += Array(Threads.chunkRange(k, of: chunks, total: total)) }
        #expect(covered == Array(0..<total))
    }

    @Test("parallelFor visits every index once")
    func parallelFor() {
        let hits = Mutex<[Int]>(Array(repeating: 0, count: 1000))
        Threads.parallelFor(1000) { range in
            hits.withLock { for i in range { $0[i] += 1 } }
        }
        #expect(hits.withLock { $0.allSatisfy { $0 == 1 } })
    }

    /// The persistent workers (WorkerPool) behind forEachPart: more parts than threads, a part that
    /// starts a parallel loop of its own (the pool is busy: the inner loop runs on GCD), two callers
    /// at once, and the caller's floating-point mode in every part, on whichever thread runs it.
    @Test("forEachPart runs every part once: more parts than threads, nested, concurrent callers")
    func forEachPartCases() {
        for parts in [2, 3, 7, 64] {
            let hits = Mutex<[Int]>(Array(repeating: 0, count: parts))
            Threads.forEachPart(parts) { k in hits.withLock { $0[k] += 1 } }
            #expect(hits.withLock { $0 } == Array(repeating: 1, count: parts), "\(parts) parts")
        }
        let nested = Mutex<[Int]>(Array(repeating: 0, count: 12))
        Threads.forEachPart(3) { outer in
            Threads.forEachPart(4) { inner in nested.withLock { $0[outer * 4 + inner] += 1 } }
        }
        #expect(nested.withLock { $0 } == Array(repeating: 1, count: 12))
        // Two threads, each running many small jobs: whoever does not get the pool uses GCD.
        let sums = Mutex<[Int]>([0, 0])
        DispatchQueue.concurrentPerform(iterations: 2) { caller in
            for _ in 0..<300 {
                let total = Threads.mapParts(5) { $0 + 1 }.reduce(0, +)
                sums.withLock { $0[caller] += total }
            }
        }
        #expect(sums.withLock { $0 } == [300 * 15, 300 * 15])
    }

    @Test("every part of a parallel loop runs in its caller's floating-point mode")
    func floatModeInParts() {
        let tiny: [Float] = [1e-38]  // below Float's smallest normal (1.18e-38): flushing reads it, and its half, as 0
        func halves(_ parts: Int) -> [Float] { Threads.mapParts(parts) { _ in tiny[0] * 0.5 } }
        for parts in [2, 9] {
            #expect(FloatMode.flushingDenormals { halves(parts) }.allSatisfy { $0 == 0 })
            #expect(halves(parts).allSatisfy { $0 == 5e-39 })
        }
    }

    @Test("the memory guard names the step, the size and the alternative")
    func memoryGuard() {
        let processWide = MemoryBudget.bytes
        // Scoped to this test's task: tests running concurrently keep the process-wide budget.
        MemoryBudget.withBudget(bytes: 1 << 20) {
            #expect(MemoryBudget.bytes == 1 << 20)
            let method = EmbedVizError.Reference.parameter("method", of: "TSNEParameters")
            let expected = EmbedVizError.input("exact t-SNE would need 2.0 MiB of working memory, over the budget of 1.0 MiB; use \(method) bh")
            #expect(throws: expected) {
                try MemoryBudget.check(2 << 20, for: "exact t-SNE", alternative: "use \(method) bh")
            }
            #expect(expected.message.hasSuffix("; use `method` bh"))
            #expect(throws: Never.self) { try MemoryBudget.check(1 << 19, for: "x", alternative: "y") }
        }
        #expect(MemoryBudget.bytes == processWide)
    }
}
