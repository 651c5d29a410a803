import CFFTW
import Foundation
import Linalg
import Synchronization

/// Interpolation-based repulsion for 1-D and 2-D embeddings: FFT-accelerated interpolation
/// (Linderman, Rachh, Hoskins, Steinerberger & Kluger 2019, "Fast interpolation-based t-SNE for
/// improved visualization of single-cell RNA-seq data", Nature Methods 16: 243–245 — FIt-SNE).
///
/// The bounding box is cut into equal intervals (at least 50, one per unit of extent, rounded up to a
/// size FFTW transforms fast — FIt-SNE's and openTSNE's rule, so the grid follows the map's extent),
/// with p = 3 Lagrange interpolation nodes per interval. Every point spreads four charges
/// (1, y₁, y₂, ‖y‖²) onto the nodes of its interval; the squared Cauchy kernel (1 + ‖Δ‖²)⁻² between
/// all node pairs is a Toeplitz convolution, done as one circular convolution of twice the size by FFT
/// (FFTW, single precision); the potentials are interpolated back to the points. From the four
/// potentials φ: Σⱼ wᵢⱼ²(yᵢ − yⱼ) = yᵢφ₁ − (φ₂, φ₃) and Z = Σᵢ [(1 + ‖yᵢ‖²)φ₁ − 2yᵢ·(φ₂, φ₃) + φ₄] − N.
/// Cost per iteration: O(N·p^d) for spreading and interpolation plus O(G log G) for a grid of G nodes.
///
/// Threads (every stage uses all of them, none is a serial pass over the points):
/// - the points are bucketed by their interval along the first axis (a stable counting sort, in
///   parallel); each task spreads the points of a band of intervals into the grid rows only that band
///   owns (intervals do not share nodes), so no two tasks write one node and each node sums its points
///   in one order: the grid does not depend on the thread count;
/// - the terms' convolutions run side by side, each with its share of the threads (FFTW's threads when
///   there are more threads than terms); in 2-D the transforms skip the zero padding (row transforms of
///   the m occupied rows only, forward and back — a quarter of the work and half the zeroing);
/// - the interpolation back to the points runs over fixed blocks of the sorted points, Z summed per
///   block and the blocks in order: forces and Z do not depend on the thread count either. Only the
///   FFTs' rounding can (FFTW plans differently for different thread counts).
public struct FFTRepulsion: RepulsiveForces {
    public var interpolationPoints = 3
    public var minimumIntervals = 50
    /// Length of embedding space per interval (FIt-SNE's `intervals_per_integer` is its inverse).
    public var intervalLength = 1.0
    private let plans = FFTPlans()
    /// The points sorted by their interval along the first axis, reused between iterations.
    private var buckets = IntervalBuckets()

    public init() {}

    /// The number of intervals for an extent: ≥ `minimumIntervals`, ≥ extent / `intervalLength`,
    /// rounded up so that the transform length 2·p·n has no prime factor above 7.
    public func intervals(extent: Double) -> Int {
        var n = max(minimumIntervals, Int((extent / intervalLength).rounded(.up)))
        while !Self.smooth(2 * interpolationPoints * n) { n += 1 }
        return n
    }

    /// Bytes of the FFTW buffers for a grid of `intervals` per dimension in `dimensions` (the kernel,
    /// real, transformed in place; one buffer per term, real plus half-spectrum), saturating at `Int.max`.
    public func gridBytes(intervals boxes: Int, dimensions d: Int) -> Int {
        let length = checkedProduct(2, interpolationPoints, boxes)
        let real = d == 1 ? length : checkedProduct(length, length)
        let complex = d == 1 ? checkedSum(length / 2, 1)
            : checkedSum(checkedProduct(checkedSum(length / 2, 1), checkedSum(length / 2, 1)), checkedProduct(FFTGrid.columnBlock, length))
        return checkedSum(checkedProduct(4, real), checkedProduct(d + 2, checkedSum(checkedProduct(4, real), checkedProduct(8, complex))))
    }

    /// Refuses, before the grid is made, a map whose bounding box is not finite (a diverged
    /// optimisation) or so large that its interpolation grid would exceed `MemoryBudget`.
    public func validate(_ y: Embedding) throws(EmbedVizError) { try requireGrid(for: y) }

    public func requireGrid(for y: Embedding) throws(EmbedVizError) {
        let (low, high, finite) = Self.bounds(y.coordinates)
        guard y.coordinates.isEmpty || (finite && low.isFinite && high.isFinite) else {
            throw EmbedVizError(.numerical, "t-SNE diverged: the map's coordinates are not finite (its bounding box is \(low)…\(high));"
                                + " check the input for extreme values or lower the learning rate")
        }
        let extent = high - low
        // A lower bound of the grid first: `intervals` searches upwards for a smooth size, which
        // must not run over a grid no budget allows.
        let minimum = (extent / intervalLength).rounded(.up)
        let lowerBound = minimum < 1e9 ? gridBytes(intervals: max(minimumIntervals, Int(minimum)), dimensions: y.dimensions) : .max
        let bytes = lowerBound == .max ? .max : gridBytes(intervals: intervals(extent: extent), dimensions: y.dimensions)
        try MemoryBudget.check(bytes, for: String(format: "FFT interpolation over a map spanning %.3g units", extent),
                               alternative: "use \(parameter: "method", of: "TSNEParameters") bh, or check the input for extreme values")
    }

    static func smooth(_ value: Int) -> Bool {
        var v = value
        for f in [2, 3, 5, 7] { while v % f == 0 { v /= f } }
        return v == 1
    }

    /// The smallest and largest coordinate (over all dimensions) and whether all are finite, in parallel.
    static func bounds(_ coordinates: [Double]) -> (low: Double, high: Double, finite: Bool) {
        let blocks = FixedBlocks(count: coordinates.count, size: 1 << 16)
        var parts = [(low: Double, high: Double, finite: Bool)](repeating: (.infinity, -.infinity, true), count: blocks.count)
        coordinates.withUnsafeBufferPointer { c in
            parts.withUnsafeMutableBufferPointer { out in
                let shared = UncheckedSendable((c: c, out: out))
                blocks.forEach { block, range in
                    var low = Double.infinity, high = -Double.infinity, finite = true
                    for v in shared.value.c[range] {
                        finite = finite && v.isFinite  // min/max skip NaN
                        low = min(low, v)
                        high = max(high, v)
                    }
                    shared.value.out[block] = (low, high, finite)
                }
            }
        }
        return parts.reduce((.infinity, -.infinity, true)) { (min($0.low, $1.low), max($0.high, $1.high), $0.finite && $1.finite) }
    }

    public mutating func compute(_ y: Embedding, into forces: inout [Double]) -> Double {
        precondition(y.dimensions == 1 || y.dimensions == 2, "FFT interpolation supports 1-D and 2-D embeddings")
        precondition((1...8).contains(interpolationPoints), "FFT interpolation supports 1 to 8 nodes per interval")
        let (n, d, p) = (y.count, y.dimensions, interpolationPoints)
        let layout = Profile.section("FFT bounds") { () -> GridLayout in
            let (low, high, _) = Self.bounds(y.coordinates)
            let boxes = intervals(extent: high - low)
            return GridLayout(low: low, width: max(high - low, 1e-9) / Double(boxes), boxes: boxes, p: p)
        }
        let m = layout.boxes * p  // nodes per dimension
        let terms = d + 2  // 1, each coordinate, ‖y‖²
        let grid = plans.grid(length: 2 * m, dimensions: d, terms: terms, threads: Threads.count)
        Profile.section("FFT kernel") {
            fillKernel(grid, nodes: m, spacing: layout.width / Double(p))
            grid.forwardKernel()
        }
        Profile.section("FFT sort points by interval") { buckets.sort(y, layout) }
        Profile.section("FFT spread") { spread(y, layout, grid) }
        Profile.section("FFT convolve") { grid.convolveAll(occupied: m) }
        return Profile.section("FFT interpolate") { interpolate(y, layout, grid, into: &forces) } - Double(n)
    }

    /// The repulsion the fixed 2-D map `y` exerts anywhere within `margin` of its bounding box: its
    /// points' charges spread and convolved once, as `compute` does every iteration (same grid rule,
    /// kernel and interpolation), the four potentials kept at the nodes (`FixedMapField`).
    mutating func field(of y: Embedding, margin: Double) -> FixedMapField {
        precondition(y.dimensions == 2, "a fixed-map field is 2-D")
        let p = interpolationPoints
        let (low, high, _) = Self.bounds(y.coordinates)
        let boxes = intervals(extent: high - low + 2 * margin)
        let layout = GridLayout(low: low - margin, width: max(high - low + 2 * margin, 1e-9) / Double(boxes), boxes: boxes, p: p)
        let m = boxes * p
        let grid = plans.grid(length: 2 * m, dimensions: 2, terms: 4, threads: Threads.count)
        fillKernel(grid, nodes: m, spacing: layout.width / Double(p))
        grid.forwardKernel()
        buckets.sort(y, layout)
        spread(y, layout, grid)
        grid.convolveAll(occupied: m)
        let scale = Float(1 / Double(grid.realCount))
        var potentials = [SIMD4<Float>](repeating: .zero, count: m * m)
        let charges = grid.charges, length = grid.length
        for a in 0..<m {
            for b in 0..<m {
                let node = a * length + b
                potentials[a * m + b] = SIMD4(charges[0][node], charges[1][node], charges[2][node], charges[3][node]) * scale
            }
        }
        return FixedMapField(layout: layout, nodes: m, potentials: potentials, low: low - margin, high: high + margin)
    }

    /// Each point's charges onto the p^d nodes of its interval, band by band of first-axis intervals.
    private func spread(_ y: Embedding, _ layout: GridLayout, _ grid: FFTGrid) {
        let (d, p, length) = (y.dimensions, layout.p, grid.length)
        let rowLength = d == 1 ? 1 : length  // grid values per node of the first axis
        let bands = buckets.bands(4 * Threads.count)
        y.coordinates.withUnsafeBufferPointer { yb in
            buckets.order.withUnsafeBufferPointer { ob in
                let shared = UncheckedSendable((y: yb.baseAddress!, order: ob.baseAddress!, charges: grid.charges))
                Threads.forEachPart(bands.count) { band in
                    let (y, order, charges) = shared.value
                    let boxes = bands[band]
                    let rows = (boxes.lowerBound * p * rowLength)..<(boxes.upperBound * p * rowLength)
                    for w in charges { (w + rows.lowerBound).update(repeating: 0, count: rows.count) }
                    let points = buckets.start[boxes.lowerBound]..<buckets.start[boxes.upperBound]
                    if d == 1 {
                        let (w0, w1, w2) = (charges[0], charges[1], charges[2])
                        for s in points {
                            let v = y[Int(order[s])]
                            let (b, weight) = layout.locate(v)
                            let (q1, q2) = (v, v * v)
                            for j in 0..<p {
                                let node = b * p + j, l = weight[j]
                                w0[node] += Float(l)
                                w1[node] += Float(l * q1)
                                w2[node] += Float(l * q2)
                            }
                        }
                        return
                    }
                    let (w0, w1, w2, w3) = (charges[0], charges[1], charges[2], charges[3])
                    for s in points {
                        let i = Int(order[s])
                        let (u, v) = (y[2 * i], y[2 * i + 1])
                        let (bx, wx) = layout.locate(u), (by, wy) = layout.locate(v)
                        let norm = u * u + v * v
                        for jx in 0..<p {
                            let row = (bx * p + jx) * length + by * p
                            for jy in 0..<p {
                                let l = wx[jx] * wy[jy]
                                w0[row + jy] += Float(l)
                                w1[row + jy] += Float(l * u)
                                w2[row + jy] += Float(l * v)
                                w3[row + jy] += Float(l * norm)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The potentials at every point, turned into its repulsive force; returns Σᵢ of the Z terms.
    private func interpolate(_ y: Embedding, _ layout: GridLayout, _ grid: FFTGrid, into forces: inout [Double]) -> Double {
        let (n, d, p, length) = (y.count, y.dimensions, layout.p, grid.length)
        let scale = 1 / Double(grid.realCount)  // the unnormalised inverse FFT
        let blocks = FixedBlocks(count: n, size: 4096)
        var partialZ = [Double](repeating: 0, count: blocks.count)
        forces.withUnsafeMutableBufferPointer { fb in
            y.coordinates.withUnsafeBufferPointer { yb in
                buckets.order.withUnsafeBufferPointer { ob in
                    partialZ.withUnsafeMutableBufferPointer { zb in
                        let shared = UncheckedSendable((f: fb.baseAddress!, y: yb.baseAddress!, order: ob.baseAddress!,
                                                        z: zb.baseAddress!, potentials: grid.charges))
                        blocks.forEach { block, sorted in
                            let (f, y, order, z, potentials) = shared.value
                            var sum = 0.0
                            if d == 1 {
                                let (w0, w1, w2) = (potentials[0], potentials[1], potentials[2])
                                for s in sorted {
                                    let i = Int(order[s])
                                    let v = y[i]
                                    let (b, weight) = layout.locate(v)
                                    var (phi0, phi1, phi2) = (0.0, 0.0, 0.0)
                                    for j in 0..<p {
                                        let node = b * p + j, l = weight[j]
                                        phi0 += l * Double(w0[node])
                                        phi1 += l * Double(w1[node])
                                        phi2 += l * Double(w2[node])
                                    }
                                    (phi0, phi1, phi2) = (phi0 * scale, phi1 * scale, phi2 * scale)
                                    f[i] = v * phi0 - phi1
                                    sum += (1 + v * v) * phi0 - 2 * v * phi1 + phi2
                                }
                            } else {
                                let (w0, w1, w2, w3) = (potentials[0], potentials[1], potentials[2], potentials[3])
                                for s in sorted {
                                    let i = Int(order[s])
                                    let (u, v) = (y[2 * i], y[2 * i + 1])
                                    let (bx, wx) = layout.locate(u), (by, wy) = layout.locate(v)
                                    var phi = SIMD4<Double>()
                                    for jx in 0..<p {
                                        let row = (bx * p + jx) * length + by * p
                                        var column = SIMD4<Double>()
                                        for jy in 0..<p {
                                            column += wy[jy] * SIMD4(Double(w0[row + jy]), Double(w1[row + jy]),
                                                                     Double(w2[row + jy]), Double(w3[row + jy]))
                                        }
                                        phi += wx[jx] * column
                                    }
                                    phi *= scale
                                    f[2 * i] = u * phi[0] - phi[1]
                                    f[2 * i + 1] = v * phi[0] - phi[2]
                                    sum += (1 + u * u + v * v) * phi[0] - 2 * (u * phi[1] + v * phi[2]) + phi[3]
                                }
                            }
                            z[block] = sum
                        }
                    }
                }
            }
        }
        return partialZ.reduce(0, +)
    }

    /// The squared Cauchy kernel (1 + ‖Δ‖²)⁻² between nodes for offsets 0…m in every coordinate, an
    /// (m + 1)^d block with rows of m + 1: the kernel circularly embedded in the 2m-point grid is even in
    /// every coordinate, so this block is all its transform needs (`FFTGrid.forwardKernel`). Offset m,
    /// the wrap-around, is 0.
    private func fillKernel(_ grid: FFTGrid, nodes m: Int, spacing: Double) {
        let kernel = grid.kernel
        let squares = (0..<m).map { Double($0) * Double($0) * spacing * spacing }
        if grid.dimensions == 1 {
            for a in 0..<m {
                let w = 1 / (1 + squares[a])
                kernel[a] = Float(w * w)
            }
            kernel[m] = 0
            return
        }
        let side = m + 1
        (kernel + m * side).update(repeating: 0, count: side)  // the wrap-around row
        squares.withUnsafeBufferPointer { sq in
            let shared = UncheckedSendable((kernel: kernel, squares: sq))
            Threads.parallelFor(m, minimumChunk: 64) { rows in
                let (kernel, sq) = shared.value
                for a in rows {
                    let row = kernel + a * side
                    for b in 0..<m {
                        let w = 1 / (1 + sq[a] + sq[b])
                        row[b] = Float(w * w)
                    }
                    row[m] = 0
                }
            }
        }
    }
}

/// The repulsion of a fixed 2-D map of N points at any position y of a box around it, for placing new
/// points (`TSNETransform`): F(y) = Σⱼ w(y, yⱼ)²(y − yⱼ) and Z(y) = Σⱼ w(y, yⱼ), w = (1 + ‖y − yⱼ‖²)⁻¹,
/// interpolated from the map's FFT grid potentials (`FFTRepulsion.field(of:margin:)`) — O(p²) per
/// position instead of a Barnes–Hut walk, with the interpolation error of the fit's FFT repulsion.
struct FixedMapField: Sendable {
    let layout: GridLayout
    /// Nodes per axis.
    let nodes: Int
    /// φ₁…φ₄ at node (a, b), row-major, already divided by the inverse FFT's length.
    let potentials: [SIMD4<Float>]
    /// The box the grid covers (both axes).
    let low: Double
    let high: Double

    /// F and Z at (u, v), or nil outside the grid's box.
    @inline(__always)
    func at(_ u: Double, _ v: Double) -> (force: SIMD2<Double>, z: Double)? {
        guard u >= low, u <= high, v >= low, v <= high else { return nil }
        let p = layout.p
        let (bx, wx) = layout.locate(u), (by, wy) = layout.locate(v)
        var phi = SIMD4<Double>()
        potentials.withUnsafeBufferPointer { nodes in
            for jx in 0..<p {
                let row = (bx * p + jx) * self.nodes + by * p
                var column = SIMD4<Double>()
                for jy in 0..<p {
                    let q = nodes[row + jy]
                    column += wy[jy] * SIMD4(Double(q[0]), Double(q[1]), Double(q[2]), Double(q[3]))
                }
                phi += wx[jx] * column
            }
        }
        let force = SIMD2(u * phi[0] - phi[1], v * phi[0] - phi[2])
        return (force, (1 + u * u + v * v) * phi[0] - 2 * (u * phi[1] + v * phi[2]) + phi[3])
    }
}

/// Where coordinates fall in the grid: the common lower bound of all axes, the interval width, the
/// number of intervals per axis, and the p Lagrange basis polynomials on an interval's nodes, which
/// sit at (j + ½)/p of the interval.
struct GridLayout: Sendable {
    let low: Double
    let width: Double
    let boxes: Int
    let p: Int
    private var nodes = SIMD8<Double>()
    private var inverseDenominators = SIMD8<Double>()

    init(low: Double, width: Double, boxes: Int, p: Int) {
        (self.low, self.width, self.boxes, self.p) = (low, width, boxes, p)
        for j in 0..<p { nodes[j] = (Double(j) + 0.5) / Double(p) }
        for j in 0..<p {
            var denominator = 1.0
            for t in 0..<p where t != j { denominator *= nodes[j] - nodes[t] }
            inverseDenominators[j] = 1 / denominator
        }
    }

    /// The interval of coordinate `v`.
    @inline(__always)
    func box(_ v: Double) -> Int { min(max(Int((v - low) / width), 0), boxes - 1) }

    /// The interval of coordinate `v` and the Lagrange weights of its p nodes (lanes ≥ p unused).
    @inline(__always)
    func locate(_ v: Double) -> (box: Int, weights: SIMD8<Double>) {
        let position = (v - low) / width
        let box = min(max(Int(position), 0), boxes - 1)
        let u = position - Double(box)
        var weights = inverseDenominators
        if p == 3 {  // the default, in registers
            let (d0, d1, d2) = (u - nodes[0], u - nodes[1], u - nodes[2])
            weights[0] *= d1 * d2
            weights[1] *= d0 * d2
            weights[2] *= d0 * d1
            return (box, weights)
        }
        for j in 0..<p {
            for t in 0..<p where t != j { weights[j] *= u - nodes[t] }
        }
        return (box, weights)
    }
}

/// The points in order of their interval along the first axis (stable: by point index within an
/// interval), and where each interval's points start: made by a counting sort in parallel, whose
/// result does not depend on the thread count. Buffers are kept between iterations.
struct IntervalBuckets {
    private(set) var order: [Int32] = []
    /// Points of interval b: order[start[b]..<start[b + 1]].
    private(set) var start: [Int] = []
    private var box: [Int32] = []

    mutating func sort(_ y: Embedding, _ layout: GridLayout) {
        let (n, d, boxes) = (y.count, y.dimensions, layout.boxes)
        if order.count != n {
            order = [Int32](repeating: 0, count: n)
            box = [Int32](repeating: 0, count: n)
        }
        let chunks = max(1, min(Threads.count, n / 4096))
        var counts = [Int](repeating: 0, count: chunks * boxes)
        y.coordinates.withUnsafeBufferPointer { yb in
            box.withUnsafeMutableBufferPointer { bb in
                counts.withUnsafeMutableBufferPointer { cb in
                    let shared = UncheckedSendable((y: yb.baseAddress!, box: bb.baseAddress!, counts: cb.baseAddress!))
                    Threads.forEachPart(chunks) { c in
                        let (y, box, counts) = shared.value
                        let mine = counts + c * boxes
                        for i in Threads.chunkRange(c, of: chunks, total: n) {
                            let b = layout.box(y[i * d])
                            box[i] = Int32(b)
                            mine[b] += 1
                        }
                    }
                }
            }
        }
        // Offsets: interval by interval, chunk by chunk within an interval (keeps point order).
        start = [Int](repeating: 0, count: boxes + 1)
        var next = [Int](repeating: 0, count: chunks * boxes)
        var total = 0
        for b in 0..<boxes {
            start[b] = total
            for c in 0..<chunks {
                next[c * boxes + b] = total
                total += counts[c * boxes + b]
            }
        }
        start[boxes] = total
        box.withUnsafeBufferPointer { bb in
            order.withUnsafeMutableBufferPointer { ob in
                next.withUnsafeMutableBufferPointer { nb in
                    let shared = UncheckedSendable((box: bb.baseAddress!, order: ob.baseAddress!, next: nb.baseAddress!))
                    Threads.forEachPart(chunks) { c in
                        let (box, order, next) = shared.value
                        let mine = next + c * boxes
                        for i in Threads.chunkRange(c, of: chunks, total: n) {
                            let b = Int(box[i])
                            order[mine[b]] = Int32(i)
                            mine[b] += 1
                        }
                    }
                }
            }
        }
    }

    /// Up to `count` contiguous ranges of intervals covering them all, with about equal numbers of points.
    func bands(_ count: Int) -> [Range<Int>] {
        let boxes = start.count - 1, n = start[boxes]
        var ranges: [Range<Int>] = []
        var lower = 0
        for k in 1...count {
            var upper = lower
            let target = k == count ? n + 1 : n * k / count
            while upper < boxes && start[upper + 1] <= target { upper += 1 }
            if k == count { upper = boxes }
            if upper > lower { ranges.append(lower..<upper) }
            lower = upper
        }
        return ranges
    }
}

/// `count` items in blocks of a fixed `size`, run in parallel over the blocks: a reduction made per
/// block and summed in block order gives the same bits whatever the thread count.
struct FixedBlocks {
    let total: Int
    let size: Int
    var count: Int { (total + size - 1) / size }

    init(count: Int, size: Int) { (total, self.size) = (count, size) }

    func forEach(_ body: (_ block: Int, _ range: Range<Int>) -> Void) {
        let (total, size) = (self.total, self.size)
        Threads.parallelFor(count) { blocks in
            for b in blocks { body(b, (b * size)..<min(total, (b + 1) * size)) }
        }
    }
}

/// The FFTW plans of the current grid size, and buffers reused across iterations until the
/// embedding's extent outgrows them (only one grid is kept: large grids take tens of MB; buffers
/// are allocated with 15% headroom per axis, so the growing map re-plans, cheaply, more often than
/// it re-allocates). Plans are made with FFTW_ESTIMATE: the grid size changes every few iterations
/// while the embedding expands, and measuring plans (FFTW_MEASURE) for each new size cost more than
/// it saved. FFTW's planner is not thread-safe, so all planning in the process goes through one lock;
/// executing plans on separate buffers is thread-safe.
final class FFTPlans: @unchecked Sendable {
    private let current = Mutex<FFTGrid?>(nil)
    static let planner = Mutex<Void>(())
    /// `fftwf_init_threads`, once per process, before the first plan with threads.
    private static let threadsReady = planner.withLock { _ in fftwf_init_threads() != 0 }

    func grid(length: Int, dimensions: Int, terms: Int, threads: Int) -> FFTGrid {
        let threads = Self.threadsReady ? max(1, threads) : 1
        return current.withLock { grid in
            if let existing = grid, existing.length == length, existing.dimensions == dimensions,
               existing.charges.count == terms, existing.threads == threads {
                return existing
            }
            let buffers = grid.flatMap { $0.buffers.fits(length: length, dimensions: dimensions, terms: terms) ? $0.buffers : nil }
                ?? FFTBuffers(length: length + length * 3 / 20, dimensions: dimensions, terms: terms)
            grid = nil  // its plans are destroyed before new ones are made
            let made = FFTGrid(length: length, dimensions: dimensions, threads: threads, buffers: buffers)
            grid = made
            return made
        }
    }
}

/// FFTW-aligned real buffers (the kernel and one per term) and the terms' half-spectra, for grids of
/// up to `capacity` nodes per axis.
final class FFTBuffers: @unchecked Sendable {
    let capacity: Int
    let dimensions: Int
    let kernel: UnsafeMutablePointer<Float>
    let charges: [UnsafeMutablePointer<Float>]
    /// In 2-D the half-spectra of the m occupied rows only (the column pass pads in `columns`); the
    /// first also holds, while the kernel is transformed, the m + 1 half-spectra of its rows.
    let spectra: [UnsafeMutablePointer<fftwf_complex>]
    /// 2-D: per term, `FFTGrid.columnBlock` columns of the half-spectrum, each contiguous and padded
    /// to the full length, for the column transforms.
    let columns: [UnsafeMutablePointer<fftwf_complex>]

    init(length capacity: Int, dimensions: Int, terms: Int) {
        self.capacity = capacity
        self.dimensions = dimensions
        let real = dimensions == 1 ? capacity : capacity * capacity
        let complex = dimensions == 1 ? capacity / 2 + 1 : (capacity / 2 + 1) * (capacity / 2 + 1)
        kernel = fftwf_alloc_real(real)!
        charges = (0..<terms).map { _ in fftwf_alloc_real(real)! }
        spectra = (0..<terms).map { _ in fftwf_alloc_complex(complex)! }
        columns = dimensions == 1 ? [] : (0..<terms).map { _ in fftwf_alloc_complex(FFTGrid.columnBlock * capacity)! }
    }

    func fits(length: Int, dimensions: Int, terms: Int) -> Bool {
        length <= capacity && dimensions == self.dimensions && terms == charges.count
    }

    deinit {
        fftwf_free(kernel)
        for c in charges { fftwf_free(c) }
        for s in spectra { fftwf_free(s) }
        for c in columns { fftwf_free(c) }
    }
}

/// A grid of `length`^d nodes on `buffers` (row-major, the first axis slowest) and its plans.
///
/// 2-D convolutions skip the zero padding: a term's charges occupy rows and columns 0..<m of the
/// 2m × 2m grid, so its forward transform is m row transforms (r2c) and then 2m-point column
/// transforms of the half-spectrum (rows m..<2m of the row transforms are zero); the inverse is the
/// column transforms and then row transforms (c2r) of the m rows whose potentials are read.
/// The column pass goes `columnBlock` columns at a time: copied out of the m × (m + 1) half-spectrum
/// into contiguous, zero-padded columns, transformed, multiplied by the kernel, transformed back and
/// the m rows copied back — one pass over a block that stays in cache, where FFTW's strided column
/// transforms (with FFTW_ESTIMATE's plan) took twice as long at a 1200-point grid.
final class FFTGrid: @unchecked Sendable {
    let length: Int
    let dimensions: Int
    let threads: Int
    let realCount: Int
    let buffers: FFTBuffers
    var kernel: UnsafeMutablePointer<Float> { buffers.kernel }
    var charges: [UnsafeMutablePointer<Float>] { buffers.charges }
    /// The kernel's transform (all threads): its real, even spectrum from the (m + 1)^d block of
    /// `fillKernel`, one axis at a time. For a sequence x of period 2m with x[2m − j] = x[j], the DFT
    /// X[k] = x[0] + (−1)^k x[m] + 2 Σ_{0<j<m} x[j] cos(πjk/m) is real and X[2m − k] = X[k], so entries
    /// 0…m are all a product needs: a quarter of the 2-D grid's points, real products instead of complex.
    /// They are the real parts of the r2c transform of the even extension, of the grid's own smooth
    /// length 2m (`evenRows`: m + 1 rows of it at once in 2-D) — a type-I DCT of the block (FFTW's
    /// REDFT00) computes the same but at length m + 1, often a size with a large prime factor (301 =
    /// 7 · 43 took four times as long as 601).
    private let evenRows: fftwf_plan
    /// Per term (each with `termThreads` threads): 2-D: rows forward, a column block forward, a column
    /// block backward, rows backward; 1-D: forward, backward.
    private let termPlans: [fftwf_plan]
    /// Columns of the half-spectrum transformed together (16 columns of 2m complex values: 154 KB at
    /// m = 600, within L2).
    static let columnBlock = 16

    init(length: Int, dimensions: Int, threads: Int, buffers: FFTBuffers) {
        (self.length, self.dimensions, self.threads, self.buffers) = (length, dimensions, threads, buffers)
        let half = length / 2 + 1
        realCount = dimensions == 1 ? length : length * length
        let terms = buffers.charges.count
        let flags = UInt32(FFTW_ESTIMATE | FFTW_DESTROY_INPUT)
        let (real, spectrum) = (buffers.charges[0], buffers.spectra[0])
        let columns = buffers.columns.first
        let n = Int32(length), m = Int32(length / 2), h = Int32(half), block = Int32(Self.columnBlock)
        let made = FFTPlans.planner.withLock { _ -> UncheckedSendable<(fftwf_plan, [fftwf_plan])> in
            var size = n
            fftwf_plan_with_nthreads(Int32(threads))
            let kernelPlan = fftwf_plan_many_dft_r2c(1, &size, dimensions == 1 ? 1 : m + 1, real, nil, 1, n, spectrum, nil, 1, h, flags)!
            fftwf_plan_with_nthreads(Int32(max(1, threads / min(terms, threads))))
            let plans: [fftwf_plan] = dimensions == 1
                ? [fftwf_plan_dft_r2c_1d(n, real, spectrum, flags)!, fftwf_plan_dft_c2r_1d(n, spectrum, real, flags)!]
                : [fftwf_plan_many_dft_r2c(1, &size, m, real, nil, 1, n, spectrum, nil, 1, h, flags)!,
                   fftwf_plan_many_dft(1, &size, block, columns, nil, 1, n, columns, nil, 1, n, FFTW_FORWARD, flags)!,
                   fftwf_plan_many_dft(1, &size, block, columns, nil, 1, n, columns, nil, 1, n, FFTW_BACKWARD, flags)!,
                   fftwf_plan_many_dft_c2r(1, &size, m, spectrum, nil, 1, h, real, nil, 1, n, flags)!]
            fftwf_plan_with_nthreads(1)
            return UncheckedSendable((kernelPlan, plans))
        }
        (evenRows, termPlans) = made.value
    }

    deinit {
        FFTPlans.planner.withLock { _ in
            fftwf_destroy_plan(evenRows)
            for plan in termPlans { fftwf_destroy_plan(plan) }
        }
    }

    /// The kernel block's spectrum in place (see `evenRows`), through the first term's buffers (the
    /// charges are spread after it). In 2-D the second pass transforms the first pass's columns, so
    /// the block ends transposed: entry (c, k) is the spectrum at k along the first axis and c along the
    /// second — the order in which `convolve` reads it.
    func forwardKernel() {
        let (kernel, even) = (buffers.kernel, buffers.charges[0])
        let n = length, m = length / 2, side = m + 1
        let values = UnsafeMutableRawPointer(buffers.spectra[0]).assumingMemoryBound(to: SIMD2<Float>.self)
        func extend(_ row: UnsafeMutablePointer<Float>) {  // entries 0…m given; x[2m − j] = x[j]
            for j in 1..<m { row[n - j] = row[j] }
        }
        if dimensions == 1 {
            even.update(from: kernel, count: side)
            extend(even)
            fftwf_execute_dft_r2c(evenRows, even, buffers.spectra[0])
            for k in 0..<side { kernel[k] = values[k].x }
            return
        }
        let shared = UncheckedSendable((kernel: kernel, even: even, values: values))
        Threads.parallelFor(side, minimumChunk: 64) { rows in
            let (kernel, even, _) = shared.value
            for a in rows {
                (even + a * n).update(from: kernel + a * side, count: side)
                extend(even + a * n)
            }
        }
        fftwf_execute_dft_r2c(evenRows, even, buffers.spectra[0])
        // Row c of the second pass: column c of the first's real parts, in tiles that stay in cache.
        let tile = 16
        Threads.parallelFor((side + tile - 1) / tile, minimumChunk: 4) { tiles in
            let (_, even, values) = shared.value
            for t in tiles {
                let (c0, c1) = (t * tile, min(side, (t + 1) * tile))
                for a0 in stride(from: 0, to: side, by: tile) {
                    for c in c0..<c1 {
                        let row = even + c * n
                        for a in a0..<min(side, a0 + tile) { row[a] = values[a * side + c].x }
                    }
                }
                for c in c0..<c1 { extend(even + c * n) }
            }
        }
        fftwf_execute_dft_r2c(evenRows, even, buffers.spectra[0])
        Threads.parallelFor(side, minimumChunk: 64) { rows in
            let (kernel, _, values) = shared.value
            for c in rows {
                for k in 0..<side { kernel[c * side + k] = values[c * side + k].x }
            }
        }
    }

    /// charges[t] ← IFFT(FFT(charges[t]) · FFT(kernel)) for every term, unnormalised (× realCount);
    /// in 2-D only rows and columns 0..<`occupied` of the charges are read, and only those rows written.
    func convolveAll(occupied m: Int) {
        let terms = buffers.charges.count
        let tasks = min(terms, threads)
        Threads.forEachPart(tasks) { task in
            for t in stride(from: task, to: terms, by: tasks) { self.convolve(term: t, occupied: m) }
        }
    }

    private func convolve(term t: Int, occupied m: Int) {
        let (real, spectrum, kernel) = (buffers.charges[t], buffers.spectra[t], buffers.kernel)
        let half = length / 2 + 1
        if dimensions == 1 {
            (real + m).update(repeating: 0, count: length - m)  // the padding (points spread into 0..<m)
            fftwf_execute_dft_r2c(termPlans[0], real, spectrum)
            for k in 0..<half {  // × the kernel's real spectrum (see `evenRows`)
                let (a, b) = spectrum[k]
                spectrum[k] = (a * kernel[k], b * kernel[k])
            }
            fftwf_execute_dft_c2r(termPlans[1], spectrum, real)
            return
        }
        fftwf_execute_dft_r2c(termPlans[0], real, spectrum)
        let columns = buffers.columns[t], block = Self.columnBlock, n = length
        // Complex values as pairs: the m × half half-spectrum (row r, column c at r·half + c), and the
        // block's columns (column j, entry k at j·n + k).
        let rows = UnsafeMutableRawPointer(spectrum).assumingMemoryBound(to: SIMD2<Float>.self)
        let padded = UnsafeMutableRawPointer(columns).assumingMemoryBound(to: SIMD2<Float>.self)
        let tile = 16  // rows per step of the copies: a tile of rows × block values stays in L1
        for first in stride(from: 0, to: half, by: block) {
            let width = min(block, half - first)
            for j in 0..<block {  // rows m..<2m are the zero rows; unused columns are zero too
                let start = j < width ? m : 0
                (padded + j * n + start).update(repeating: .zero, count: n - start)
            }
            for r0 in stride(from: 0, to: m, by: tile) {
                let r1 = min(m, r0 + tile)
                for j in 0..<width {
                    let (source, column) = (rows + first + j, padded + j * n)
                    for r in r0..<r1 { column[r] = source[r * half] }
                }
            }
            fftwf_execute_dft(termPlans[1], columns, columns)
            // × the kernel's real spectrum: entry k of column c takes the block's (c, min(k, 2m − k))
            // (`forwardKernel` leaves it transposed), read along the block's rows.
            for j in 0..<width {
                let (column, factors) = (padded + j * n, kernel + (first + j) * half)
                for k in 0...m { column[k] *= factors[k] }
                for k in (m + 1)..<n { column[k] *= factors[n - k] }
            }
            fftwf_execute_dft(termPlans[2], columns, columns)
            for r0 in stride(from: 0, to: m, by: tile) {
                let r1 = min(m, r0 + tile)
                for j in 0..<width {
                    let (target, column) = (rows + first + j, padded + j * n)
                    for r in r0..<r1 { target[r * half] = column[r] }
                }
            }
        }
        fftwf_execute_dft_c2r(termPlans[3], spectrum, real)
    }
}
