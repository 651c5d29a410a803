import CFFTW
import Foundation
import Linalg
import Synchronization

/// Interpolation-based repulsion for 1-D and 2-D embeddings: FFT-accelerated interpolation
/// (Linderman, Rachh, Hoskins, Steinerberger & Kluger 2019, "Fast interpolation-based t-SNE for
/// improved visualization of single-cell RNA-seq data", Nature Methods 16: 243–245 — FIt-SNE).
///
/// The bounding box is cut into equal intervals (at least 50, one per unit of extent, rounded up to a
/// size FFTW transforms fast), with p = 3 Lagrange interpolation nodes per interval. Every point
/// spreads four charges (1, y₁, y₂, ‖y‖²) onto the nodes of its interval; the squared Cauchy kernel
/// (1 + ‖Δ‖²)⁻² between all node pairs is a Toeplitz convolution, done as one circular convolution of
/// twice the size by FFT (FFTW, single precision, plans reused while the grid size stays); the
/// potentials are interpolated back to the points. From the four potentials φ:
/// Σⱼ wᵢⱼ²(yᵢ − yⱼ) = yᵢφ₁ − (φ₂, φ₃) and Z = Σᵢ [(1 + ‖yᵢ‖²)φ₁ − 2yᵢ·(φ₂, φ₃) + φ₄] − N.
/// Cost per iteration: O(N·p^d) for spreading and interpolation plus O(G log G) for a grid of G nodes,
/// independent of N — the method of choice for large N.
public struct FFTRepulsion: RepulsiveForces {
    public var interpolationPoints = 3
    public var minimumIntervals = 50
    /// Length of embedding space per interval (FIt-SNE's `intervals_per_integer` is its inverse).
    public var intervalLength = 1.0
    private let plans = FFTPlans()

    public init() {}

    /// The number of intervals for an extent: ≥ `minimumIntervals`, ≥ extent / `intervalLength`,
    /// rounded up so that the transform length 2·p·n has no prime factor above 7.
    public func intervals(extent: Double) -> Int {
        var n = max(minimumIntervals, Int((extent / intervalLength).rounded(.up)))
        while !Self.smooth(2 * interpolationPoints * n) { n += 1 }
        return n
    }

    /// Bytes of the FFTW buffers for a grid of `intervals` per dimension in `dimensions` (the kernel
    /// and one buffer per term, each real plus half-spectrum), saturating at `Int.max`.
    public func gridBytes(intervals boxes: Int, dimensions d: Int) -> Int {
        let length = checkedProduct(2, interpolationPoints, boxes)
        let real = d == 1 ? length : checkedProduct(length, length)
        let complex = d == 1 ? checkedSum(length / 2, 1) : checkedProduct(length, checkedSum(length / 2, 1))
        return checkedProduct(d + 3, checkedSum(checkedProduct(4, real), checkedProduct(8, complex)))
    }

    /// Refuses, before the grid is made, a map whose bounding box is not finite (a diverged
    /// optimisation) or so large that its interpolation grid would exceed `MemoryBudget`.
    public func validate(_ y: Embedding) throws(EmbedVizError) { try requireGrid(for: y) }

    public func requireGrid(for y: Embedding) throws(EmbedVizError) {
        var low = Double.infinity, high = -Double.infinity, finite = true
        for v in y.coordinates {
            finite = finite && v.isFinite  // min/max skip NaN
            low = min(low, v)
            high = max(high, v)
        }
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

    /// What depends only on the positions: the grid, each point's interval and Lagrange weights, its
    /// charges, and the transformed kernel — made in `prepare` (overlapped with the attractive
    /// forces by the optimiser) or at the start of `compute`.
    struct Setup {
        var coordinates: [Double]
        var grid: FFTGrid
        var cell: [Int32]
        var weights: [Double]
        var charges: [Double]
    }

    private var prepared: Setup?

    public mutating func prepare(_ y: Embedding) {
        prepared = setup(y)
    }

    func setup(_ y: Embedding) -> Setup {
        precondition(y.dimensions == 1 || y.dimensions == 2, "FFT interpolation supports 1-D and 2-D embeddings")
        let (n, d) = (y.count, y.dimensions)
        let p = interpolationPoints
        var low = Double.infinity, high = -Double.infinity
        for v in y.coordinates {
            low = min(low, v)
            high = max(high, v)
        }
        let boxes = intervals(extent: high - low)
        let boxWidth = max(high - low, 1e-9) / Double(boxes)
        let m = boxes * p  // nodes per dimension
        let length = 2 * m  // circulant embedding
        let spacing = boxWidth / Double(p)
        // Each point: its interval and its p Lagrange weights per dimension.
        var cell = [Int32](repeating: 0, count: n * d)
        var weights = [Double](repeating: 0, count: n * d * p)
        let nodes = (0..<p).map { (Double($0) + 0.5) / Double(p) }
        for i in 0..<n {
            for k in 0..<d {
                let position = (y.coordinates[i * d + k] - low) / boxWidth
                let b = min(max(Int(position), 0), boxes - 1)
                cell[i * d + k] = Int32(b)
                let u = position - Double(b)
                for j in 0..<p {
                    var l = 1.0
                    for t in 0..<p where t != j { l *= (u - nodes[t]) / (nodes[j] - nodes[t]) }
                    weights[(i * d + k) * p + j] = l
                }
            }
        }
        let terms = d + 2  // 1, each coordinate, ‖y‖²
        let grid = plans.grid(length: length, dimensions: d, terms: terms)
        Profile.section("FFT kernel") {
            fillKernel(grid, nodes: m, spacing: spacing)
            grid.forwardKernel()
        }
        // Each point's charges: 1, its coordinates, ‖y‖².
        var charges = [Double](repeating: 1, count: n * terms)
        for i in 0..<n {
            var norm = 0.0
            for k in 0..<d {
                let v = y.coordinates[i * d + k]
                charges[i * terms + 1 + k] = v
                norm += v * v
            }
            charges[i * terms + d + 1] = norm
        }
        return Setup(coordinates: y.coordinates, grid: grid, cell: cell, weights: weights, charges: charges)
    }

    public mutating func compute(_ y: Embedding, into forces: inout [Double]) -> Double {
        let (n, d) = (y.count, y.dimensions)
        let p = interpolationPoints
        let ready = prepared.flatMap { $0.coordinates == y.coordinates ? $0 : nil } ?? setup(y)
        prepared = nil
        let (grid, cell, weights, charges) = (ready.grid, ready.cell, ready.weights, ready.charges)
        let terms = d + 2
        // Spread the charges, convolve and interpolate back, one term per task.
        var potentials = [Double](repeating: 0, count: n * terms)
        let tasks = min(terms, Threads.count)
        let termsStart = DispatchTime.now().uptimeNanoseconds
        defer { if Profile.enabled { Profile.record("FFT spread/convolve/interpolate", Double(DispatchTime.now().uptimeNanoseconds - termsStart) / 1e9) } }
        potentials.withUnsafeMutableBufferPointer { pot in
            cell.withUnsafeBufferPointer { cb in
                weights.withUnsafeBufferPointer { wb in
                    charges.withUnsafeBufferPointer { qb in
                        let (out, cells, lw, q) = (UncheckedSendable(pot.baseAddress!), UncheckedSendable(cb.baseAddress!),
                                                   UncheckedSendable(wb.baseAddress!), UncheckedSendable(qb.baseAddress!))
                        Threads.forEachPart(tasks) { part in
                            for t in stride(from: part, to: terms, by: tasks) {
                                Self.spreadConvolveInterpolate(term: t, terms: terms, grid: grid, points: n, dimensions: d, p: p,
                                                               cells: cells.value, weights: lw.value, charges: q.value,
                                                               potentials: out.value)
                            }
                        }
                    }
                }
            }
        }
        // Forces and Z from the potentials.
        var z = 0.0
        for i in 0..<n {
            let phi = potentials[(i * terms)..<((i + 1) * terms)]
            let base = i * terms
            var norm = 0.0, dot = 0.0
            for k in 0..<d {
                let yk = y.coordinates[i * d + k]
                norm += yk * yk
                dot += yk * phi[base + 1 + k]
                forces[i * d + k] = yk * phi[base] - phi[base + 1 + k]
            }
            z += (1 + norm) * phi[base] - 2 * dot + phi[base + d + 1]
        }
        return z - Double(n)
    }

    /// The squared Cauchy kernel (1 + ‖Δ‖²)⁻² between nodes, circularly embedded: computed on one
    /// quadrant of offsets (it is even in every coordinate) and mirrored; the wrap-around row/column is 0.
    private func fillKernel(_ grid: FFTGrid, nodes m: Int, spacing: Double) {
        let length = 2 * m
        let kernel = grid.kernel
        let squares = (0..<m).map { Double($0) * Double($0) * spacing * spacing }
        if grid.dimensions == 1 {
            kernel.update(repeating: 0, count: length)
            for a in 0..<m {
                let w = 1 / (1 + squares[a])
                let v = Float(w * w)
                kernel[a] = v
                if a > 0 { kernel[length - a] = v }
            }
            return
        }
        kernel.update(repeating: 0, count: length * length)
        squares.withUnsafeBufferPointer { sq in
            for a in 0..<m {
                let rowA = kernel + a * length, rowB = kernel + (length - a) * length
                for b in 0..<m {
                    let w = 1 / (1 + sq[a] + sq[b])
                    let v = Float(w * w)
                    rowA[b] = v
                    if b > 0 { rowA[length - b] = v }
                    if a > 0 {
                        rowB[b] = v
                        if b > 0 { rowB[length - b] = v }
                    }
                }
            }
        }
    }

    /// One term: spread each point's charge onto the p^d nodes of its interval, convolve with the
    /// kernel, and interpolate the potential back to every point.
    private static func spreadConvolveInterpolate(term t: Int, terms: Int, grid: FFTGrid, points n: Int, dimensions d: Int,
                                                  p: Int, cells: UnsafePointer<Int32>, weights: UnsafePointer<Double>,
                                                  charges: UnsafePointer<Double>, potentials: UnsafeMutablePointer<Double>) {
        let w = grid.charges[t]
        let length = grid.length
        w.update(repeating: 0, count: grid.realCount)
        for i in 0..<n {
            let charge = charges[i * terms + t]
            if d == 1 {
                let base = Int(cells[i]) * p
                for j in 0..<p { w[base + j] += Float(weights[i * p + j] * charge) }
            } else {
                let bx = Int(cells[i * 2]) * p, by = Int(cells[i * 2 + 1]) * p
                let wy = weights + (i * 2 + 1) * p
                for jx in 0..<p {
                    let wx = weights[(i * 2) * p + jx] * charge
                    let row = w + (bx + jx) * length + by
                    for jy in 0..<p { row[jy] += Float(wx * wy[jy]) }
                }
            }
        }
        grid.convolve(term: t)
        let scale = 1 / Double(grid.realCount)
        for i in 0..<n {
            var phi = 0.0
            if d == 1 {
                let base = Int(cells[i]) * p
                for j in 0..<p { phi += weights[i * p + j] * Double(w[base + j]) }
            } else {
                let bx = Int(cells[i * 2]) * p, by = Int(cells[i * 2 + 1]) * p
                let wy = weights + (i * 2 + 1) * p
                for jx in 0..<p {
                    let row = w + (bx + jx) * length + by
                    var s = 0.0
                    for jy in 0..<p { s += wy[jy] * Double(row[jy]) }
                    phi += weights[(i * 2) * p + jx] * s
                }
            }
            potentials[i * terms + t] = phi * scale
        }
    }
}

/// The FFTW plans and buffers of the current grid size, reused across iterations until the
/// embedding's extent asks for another size (only one grid is kept: large grids take tens of MB).
/// Plans are made with FFTW_ESTIMATE: the grid size changes every few iterations while the
/// embedding expands, and measuring plans (FFTW_MEASURE) for each new size cost more than it saved.
/// FFTW's planner is not thread-safe, so all planning in the process goes through one lock;
/// executing plans on separate buffers is thread-safe.
final class FFTPlans: @unchecked Sendable {
    private let current = Mutex<FFTGrid?>(nil)
    static let planner = Mutex<Void>(())

    func grid(length: Int, dimensions: Int, terms: Int) -> FFTGrid {
        current.withLock { grid in
            if let existing = grid, existing.length == length, existing.dimensions == dimensions,
               existing.charges.count == terms {
                return existing
            }
            let made = FFTGrid(length: length, dimensions: dimensions, terms: terms)
            grid = made
            return made
        }
    }
}

/// Real grids of `length`^d nodes (one per term, plus the kernel), their half-spectra, and plans.
final class FFTGrid: @unchecked Sendable {
    let length: Int
    let dimensions: Int
    let realCount: Int
    let complexCount: Int
    let kernel: UnsafeMutablePointer<Float>
    let kernelSpectrum: UnsafeMutablePointer<fftwf_complex>
    let charges: [UnsafeMutablePointer<Float>]
    let spectra: [UnsafeMutablePointer<fftwf_complex>]
    private let forward: fftwf_plan
    private let backward: fftwf_plan

    init(length: Int, dimensions: Int, terms: Int) {
        self.length = length
        self.dimensions = dimensions
        let realCount = dimensions == 1 ? length : length * length
        let complexCount = dimensions == 1 ? length / 2 + 1 : length * (length / 2 + 1)
        self.realCount = realCount
        self.complexCount = complexCount
        let kernel = fftwf_alloc_real(realCount)!
        let kernelSpectrum = fftwf_alloc_complex(complexCount)!
        self.kernel = kernel
        self.kernelSpectrum = kernelSpectrum
        charges = (0..<terms).map { _ in fftwf_alloc_real(realCount) }
        spectra = (0..<terms).map { _ in fftwf_alloc_complex(complexCount) }
        let flags = UInt32(FFTW_ESTIMATE | FFTW_DESTROY_INPUT)
        let made = FFTPlans.planner.withLock { _ in
            if dimensions == 1 {
                return UncheckedSendable((fftwf_plan_dft_r2c_1d(Int32(length), kernel, kernelSpectrum, flags)!,
                                          fftwf_plan_dft_c2r_1d(Int32(length), kernelSpectrum, kernel, flags)!))
            }
            return UncheckedSendable((fftwf_plan_dft_r2c_2d(Int32(length), Int32(length), kernel, kernelSpectrum, flags)!,
                                      fftwf_plan_dft_c2r_2d(Int32(length), Int32(length), kernelSpectrum, kernel, flags)!))
        }
        (forward, backward) = made.value
    }

    deinit {
        FFTPlans.planner.withLock { _ in
            fftwf_destroy_plan(forward)
            fftwf_destroy_plan(backward)
        }
        fftwf_free(kernel)
        fftwf_free(kernelSpectrum)
        for c in charges { fftwf_free(c) }
        for s in spectra { fftwf_free(s) }
    }

    func forwardKernel() {
        fftwf_execute_dft_r2c(forward, kernel, kernelSpectrum)
    }

    /// charges[t] ← IFFT(FFT(charges[t]) · FFT(kernel)), unnormalised (× realCount).
    func convolve(term t: Int) {
        let spectrum = spectra[t]
        fftwf_execute_dft_r2c(forward, charges[t], spectrum)
        for k in 0..<complexCount {
            let (a, b) = spectrum[k]
            let (c, d) = kernelSpectrum[k]
            spectrum[k] = (a * c - b * d, a * d + b * c)
        }
        fftwf_execute_dft_c2r(backward, spectrum, charges[t])
    }
}
