import CSupport
import Foundation
import Linalg

/// Barnes–Hut repulsion for 2-D (quadtree) and 3-D (octree) embeddings (van der Maaten 2014,
/// "Accelerating t-SNE using tree-based algorithms"; Barnes & Hut 1986).
///
/// A cell whose side length s and distance r satisfy s/r < θ acts as one body at its centre of mass;
/// leaves are summed exactly. θ = 0 is the exact repulsion. A cell holding the point itself is
/// never summarised (possible for θ > 1/√d otherwise): the self term stays excluded at any θ.
///
/// Implementation notes. The tree lives in one flat array of 48-byte nodes (no per-node heap
/// objects); only non-empty children are stored, consecutively; points are permuted into tree
/// order so leaves hold contiguous ranges. Points are processed in *groups* of consecutive points
/// in tree order (neighbours in space): the tree is walked once per group with the criterion
/// applied to the distance from each cell to the group's bounding box — strict enough for every
/// point of the group — collecting an interaction list of cells and leaf points, which is then
/// summed for each point of the group eight entries at a time in SIMD lanes. Walking once per group
/// instead of once per point and summing without branches made the repulsion of 10,000 points
/// several times faster; the box criterion is more conservative than the per-point one, so the
/// result is at least as accurate for the same θ. Coordinates are Float (the approximation error
/// is far above Float rounding); sums per point are finished in Double. Groups are processed in
/// parallel chunks of the tree order; Z is summed per chunk in a fixed order (deterministic per
/// thread count).
public struct BarnesHutRepulsion: RepulsiveForces {
    public var theta: Double
    /// Points per group (8: beyond it the group boxes stop being tight and the lists grow faster
    /// than the walks they save).
    static let groupSize = 8

    /// The tree `prepare` built, for the positions it was given.
    private var prepared: (tree: Tree, coordinates: [Double])?

    public init(theta: Double = 0.5) { self.theta = theta }

    public mutating func prepare(_ y: Embedding) {
        prepared = (Tree(y), y.coordinates)
    }

    /// A tree node: centre of mass, squared side length, point count, children (consecutive, from
    /// `firstChild`; none for a leaf), and for a leaf the start of its points in `order`. Declared in
    /// C (CSupport.h) so the walk in barnes_hut.c reads the same layout.
    typealias Node = embedviz_bh_node

    /// A space-partitioning tree over the embedding.
    struct Tree {
        var nodes: [Node] = []
        /// Point indices in tree order.
        var order: [Int32] = []
        /// Coordinates in tree order (unused lanes zero).
        var sorted: [SIMD4<Float>] = []
        let dimensions: Int

        init(_ y: Embedding) {
            dimensions = y.dimensions
            precondition(dimensions == 2 || dimensions == 3, "Barnes–Hut supports 2-D and 3-D embeddings")
            let n = y.count
            var points = [SIMD4<Float>](repeating: SIMD4<Float>(), count: n)
            var low = SIMD4<Double>(repeating: .infinity), high = SIMD4<Double>(repeating: -.infinity)
            for i in 0..<n {
                var p = SIMD4<Double>()
                for k in 0..<dimensions { p[k] = y.coordinates[i * dimensions + k] }
                low.replace(with: p, where: p .< low)
                high.replace(with: p, where: p .> high)
                points[i] = SIMD4<Float>(p)
            }
            var centre = (low + high) * 0.5
            var half = 0.0
            for k in 0..<dimensions { half = max(half, (high[k] - low[k]) * 0.5) }
            half = max(half * (1 + 1e-6), 1e-9)
            for k in dimensions..<4 { centre[k] = 0 }
            order = (0..<n).map(Int32.init)
            let buffer = NodeBuffer(capacity: 2 * n + 1)
            _ = buffer.reserve(1)
            var scratch = [Int32](repeating: 0, count: n)
            let d = dimensions
            order.withUnsafeMutableBufferPointer { order in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    points.withUnsafeBufferPointer { points in
                        Self.build(node: 0, range: 0..<n, centre: centre, half: half, depth: 0, dimensions: d, nodes: buffer,
                                   order: order.baseAddress!, scratch: scratch.baseAddress!, points: points.baseAddress!)
                    }
                }
            }
            nodes = buffer.nodes
            sorted = order.map { points[Int($0)] }
        }

        /// Fills `node` for the points `order[range]` and, when it holds several, partitions them into
        /// its non-empty children (a counting sort by cell), recursively. Raw pointers and stack
        /// counters throughout: array writes in the recursion paid a uniqueness check each, and
        /// SIMD lanes indexed by a variable went through memory.
        private static func build(node: Int, range: Range<Int>, centre: SIMD4<Double>, half: Double, depth: Int,
                                  dimensions: Int, nodes: NodeBuffer, order: UnsafeMutablePointer<Int32>,
                                  scratch: UnsafeMutablePointer<Int32>, points: UnsafePointer<SIMD4<Float>>) {
            let cells = 1 << dimensions
            let c32 = SIMD4<Float>(centre)
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 24) { counters in
                let (counts, starts, offsets) = (counters.baseAddress!, counters.baseAddress! + 8, counters.baseAddress! + 16)
                for c in 0..<cells { counts[c] = 0 }
                // One pass: centre of mass and each point's cell.
                // The cell of a point: bit k set when coordinate k is above the centre (constant lane
                // indices: a lane indexed by a variable goes through memory).
                let third = dimensions == 3
                @inline(__always) func cell(_ p: SIMD4<Float>) -> Int {
                    let above = p .> c32
                    return (above[0] ? 1 : 0) | (above[1] ? 2 : 0) | (third && above[2] ? 4 : 0)
                }
                var com = SIMD4<Float>()
                for e in range {
                    let p = points[Int(order[e])]
                    com += p
                    counts[cell(p)] += 1
                }
                let n = nodes.pointer
                n[node].count = Int32(range.count)
                n[node].centreOfMass = range.isEmpty ? c32 : com / Float(range.count)
                n[node].sideSquared = Float(4 * half * half)
                n[node].pointStart = Int32(range.lowerBound)
                n[node].childCount = 0
                guard range.count > 1, depth < 40, half > 1e-9 else { return }
                var position = range.lowerBound
                var occupied = 0
                for c in 0..<cells {
                    starts[c] = position
                    offsets[c] = position
                    position += counts[c]
                    if counts[c] > 0 { occupied += 1 }
                }
                for e in range {
                    let q = cell(points[Int(order[e])])
                    scratch[offsets[q]] = order[e]
                    offsets[q] += 1
                }
                (order + range.lowerBound).update(from: scratch + range.lowerBound, count: range.count)
                let first = nodes.reserve(occupied)
                nodes.pointer[node].firstChild = Int32(first)
                nodes.pointer[node].childCount = Int32(occupied)
                let quarter = half * 0.5
                var slot = 0
                for c in 0..<cells where counts[c] > 0 {
                    var childCentre = centre
                    for k in 0..<dimensions { childCentre[k] += (c >> k) & 1 == 1 ? quarter : -quarter }
                    build(node: first + slot, range: starts[c]..<(starts[c] + counts[c]), centre: childCentre, half: quarter,
                          depth: depth + 1, dimensions: dimensions, nodes: nodes, order: order, scratch: scratch, points: points)
                    slot += 1
                }
            }
        }
    }

    /// Growable raw storage for the tree's nodes while it is built.
    final class NodeBuffer {
        private(set) var pointer: UnsafeMutablePointer<Node>
        private var capacity: Int
        private(set) var count = 0

        init(capacity: Int) {
            self.capacity = max(capacity, 16)
            pointer = .allocate(capacity: self.capacity)
        }

        deinit { pointer.deallocate() }

        /// Appends `k` blank nodes; returns the index of the first.
        func reserve(_ k: Int) -> Int {
            if count + k > capacity {
                let bigger = max(2 * capacity, count + k)
                let moved = UnsafeMutablePointer<Node>.allocate(capacity: bigger)
                moved.moveInitialize(from: pointer, count: count)
                pointer.deallocate()
                pointer = moved
                capacity = bigger
            }
            (pointer + count).initialize(repeating: Node(), count: k)
            count += k
            return count - k
        }

        var nodes: [Node] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    }

    /// An interaction list: cells and points as structure-of-arrays (x, y, z, mass) in raw buffers
    /// (array writes would pay a uniqueness check each), padded so the summation reads eight lanes.
    final class InteractionList {
        private(set) var x: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>
        private(set) var z: UnsafeMutablePointer<Float>, mass: UnsafeMutablePointer<Float>
        private var capacity = 1024
        var count = 0
        /// The walk's stack of nodes still to visit. A walk pops one node and pushes at most 2^d = 8
        /// children, and the tree is under 40 levels deep, so it never holds more than 40 · 7 + 1.
        let stack = UnsafeMutablePointer<Int32>.allocate(capacity: InteractionList.stackCapacity)
        static let stackCapacity = 512

        init() {
            (x, y, z, mass) = (.allocate(capacity: 1024), .allocate(capacity: 1024), .allocate(capacity: 1024), .allocate(capacity: 1024))
        }

        deinit {
            for p in [x, y, z, mass] { p.deallocate() }
            stack.deallocate()
        }

        func reset() { count = 0 }

        private func grow() {
            let bigger = 2 * capacity
            func moved(_ p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
                let q = UnsafeMutablePointer<Float>.allocate(capacity: bigger)
                q.update(from: p, count: count)
                p.deallocate()
                return q
            }
            (x, y, z, mass) = (moved(x), moved(y), moved(z), moved(mass))
            capacity = bigger
        }

        @inline(__always)
        func append(_ p: SIMD4<Float>, mass m: Float) {
            if count + 8 > capacity { grow() }
            x[count] = p.x
            y[count] = p.y
            z[count] = p.z
            mass[count] = m
            count += 1
        }

        /// Replaces the list by the walk of `tree` for the box `low…high` (in C: barnes_hut.c), growing
        /// the buffers until it fits.
        func collect(tree: Tree, low: SIMD4<Float>, high: SIMD4<Float>, excluding members: Range<Int>, thetaSquared: Float) {
            let (first, end) = (Int32(members.lowerBound), Int32(members.upperBound))
            while true {
                let written = tree.nodes.withUnsafeBufferPointer { nodes in
                    tree.sorted.withUnsafeBufferPointer { sorted in
                        embedviz_bh_collect(nodes.baseAddress!, sorted.baseAddress!, low, high, first, end, thetaSquared,
                                            x, y, z, mass, capacity, stack)
                    }
                }
                if written >= 0 {
                    count = written
                    return
                }
                count = 0
                grow()
            }
        }

        /// Σ mass·w and Σ mass·w²·(p − q) over the list for a point p, w = (1 + ‖p − q‖²)⁻¹.
        @inline(__always)
        func sum(at p: SIMD4<Float>) -> (SIMD4<Double>, Double) {
            // Lanes past the end get mass 0 *and* coordinates 0 (the buffers always hold eight more
            // entries): the memory is uninitialised, and 0 × a garbage NaN coordinate would be NaN.
            let padded = (count + 7) / 8 * 8
            for l in count..<padded { (x[l], y[l], z[l], mass[l]) = (0, 0, 0, 0) }
            // The loop itself is C, built per instruction set with the same bits (Sources/CSupport/barnes_hut.c).
            var force = (0.0, 0.0, 0.0)
            let w = withUnsafeMutableBytes(of: &force) { f in
                embedviz_bh_sum(x, y, z, mass, padded, p.x, p.y, p.z, f.baseAddress!.assumingMemoryBound(to: Double.self))
            }
            return (SIMD4<Double>(force.0, force.1, force.2, 0), w)
        }
    }

    public mutating func compute(_ y: Embedding, into forces: inout [Double]) -> Double {
        let tree = prepared.flatMap { $0.coordinates == y.coordinates ? $0.tree : nil } ?? Tree(y)
        prepared = nil
        let (n, d) = (y.count, y.dimensions)
        let thetaSquared = Float(theta * theta)
        let groups = (n + Self.groupSize - 1) / Self.groupSize
        let chunks = Threads.count
        var partialZ = [Double](repeating: 0, count: chunks)
        forces.withUnsafeMutableBufferPointer { fb in
            partialZ.withUnsafeMutableBufferPointer { zb in
                let (f, z) = (UncheckedSendable(fb.baseAddress!), UncheckedSendable(zb.baseAddress!))
                Threads.forEachPart(chunks) { c in
                    let list = InteractionList()
                    var sumW = 0.0
                    for group in Threads.chunkRange(c, of: chunks, total: groups) {
                        let members = (group * Self.groupSize)..<min((group + 1) * Self.groupSize, n)
                        Self.collect(members, tree: tree, thetaSquared: thetaSquared, list: list)
                        for slot in members {
                            let (force, w) = list.sum(at: tree.sorted[slot])
                            sumW += w - 1  // the point itself is in the list (its own leaf): w = 1, no force
                            let i = Int(tree.order[slot])
                            for k in 0..<d { f.value[i * d + k] = force[k] }
                        }
                    }
                    z.value[c] = sumW
                }
            }
        }
        return partialZ.reduce(0, +)
    }

    /// The interaction list of a group of consecutive points (tree order): cells accepted for every
    /// point of the group's bounding box, and the points of the leaves that could not be.
    static func collect(_ members: Range<Int>, tree: Tree, thetaSquared: Float, list: InteractionList) {
        var low = SIMD4<Float>(repeating: .infinity), high = SIMD4<Float>(repeating: -.infinity)
        for slot in members {
            let p = tree.sorted[slot]
            low.replace(with: p, where: p .< low)
            high.replace(with: p, where: p .> high)
        }
        // Only for θ > 1/√d can a cell holding a member pass the test (see below); testing for it
        // otherwise costs the walk a compare per node for nothing.
        let exclusionNeeded = thetaSquared * Float(tree.dimensions) > 1
        collect(box: low, high, excluding: exclusionNeeded ? members : 0..<0, tree: tree, thetaSquared: thetaSquared, list: list)
    }

    /// The interaction list of the box `low…high`: a cell is accepted as one body when its side is
    /// below θ times its centre of mass's distance to the box (0 inside it) and it holds none of
    /// the points `excluding` (slots in tree order: the group's own points); leaves that cannot be
    /// accepted give their points. The exclusion matters for θ > 1/√d: the centre of mass can then
    /// lie far enough from a point of the cell for the cell to pass, and summarised it would make
    /// the point repel itself (the caller's "w − 1" assumes the point sits in the list exactly).
    /// (It cannot for θ ≤ 1/√d: the cell holds the member p, which lies in the box, so the centre of
    /// mass is within the cell's diagonal s√d of the box, and s² < θ²·r² ≤ θ²·d·s² fails.)
    @inline(__always)
    static func collect(box low: SIMD4<Float>, _ high: SIMD4<Float>, excluding members: Range<Int> = 0..<0, tree: Tree,
                        thetaSquared: Float, list: InteractionList) {
        list.collect(tree: tree, low: low, high: high, excluding: members, thetaSquared: thetaSquared)
    }

    /// Σⱼ wⱼ²(y − yⱼ) and Σⱼ wⱼ from the tree's points to any position `y` (the tree's own points are
    /// not excluded): the repulsion a new point feels from a fixed map. The box of one point is the
    /// point, so its distance to a cell is |y − centre of mass|: the per-point criterion.
    static func repulsion(at position: SIMD4<Float>, tree: Tree, thetaSquared: Float, list: InteractionList) -> (SIMD4<Double>, Double) {
        collect(box: position, position, tree: tree, thetaSquared: thetaSquared, list: list)
        return list.sum(at: position)
    }
}
