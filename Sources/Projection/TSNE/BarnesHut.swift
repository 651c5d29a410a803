import Foundation
import Linalg

/// Barnes–Hut repulsion for 2-D (quadtree) and 3-D (octree) embeddings (van der Maaten 2014,
/// "Accelerating t-SNE using tree-based algorithms"; Barnes & Hut 1986).
///
/// A cell whose side length s and distance r to the point satisfy s/r < θ acts as one body at its
/// centre of mass; leaves are summed exactly. θ = 0 is the exact repulsion.
///
/// Implementation notes: the tree lives in one flat array of nodes (no per-node heap objects); the
/// 2^d children of a node are consecutive; points are permuted into tree order so that leaves hold
/// contiguous ranges, and the force loop visits points in that order (neighbouring points walk
/// similar paths, which keeps the nodes they touch in cache). Coordinates are `SIMD4<Double>` with
/// unused lanes zero, so one code path serves both dimensions. Points are processed in parallel
/// chunks of the tree order; Z is summed per chunk in a fixed order (deterministic per thread count).
public struct BarnesHutRepulsion: RepulsiveForces {
    public var theta: Double

    public init(theta: Double = 0.5) { self.theta = theta }

    struct Node {
        var centreOfMass = SIMD4<Double>()
        /// Squared side length of the cell.
        var sideSquared = 0.0
        var count: Int32 = 0
        /// Index of the first of 2^d children, or −1 for a leaf.
        var firstChild: Int32 = -1
        /// Leaves: the range of `order` holding their points.
        var pointStart: Int32 = 0
    }

    /// A space-partitioning tree over the embedding.
    struct Tree {
        var nodes: [Node] = []
        /// Point indices in tree order.
        var order: [Int32] = []
        var points: [SIMD4<Double>] = []
        let dimensions: Int
        var childCount: Int { 1 << dimensions }

        init(_ y: Embedding) {
            dimensions = y.dimensions
            precondition(dimensions == 2 || dimensions == 3, "Barnes–Hut supports 2-D and 3-D embeddings")
            let n = y.count
            points = (0..<n).map { i in
                var p = SIMD4<Double>()
                for k in 0..<dimensions { p[k] = y.coordinates[i * dimensions + k] }
                return p
            }
            var low = SIMD4<Double>(repeating: .infinity), high = SIMD4<Double>(repeating: -.infinity)
            for p in points {
                low = pointwiseMin(low, p)
                high = pointwiseMax(high, p)
            }
            var centre = (low + high) * 0.5
            var half = 0.0
            for k in 0..<dimensions { half = max(half, (high[k] - low[k]) * 0.5) }
            half = max(half * (1 + 1e-9), 1e-12)
            for k in dimensions..<4 { centre[k] = 0 }
            order = (0..<n).map(Int32.init)
            nodes.reserveCapacity(2 * n * childCount / 2 + 1)
            nodes.append(Node())
            var scratch = [Int32](repeating: 0, count: n)
            build(node: 0, range: 0..<n, centre: centre, half: half, depth: 0, scratch: &scratch)
        }

        private mutating func build(node: Int, range: Range<Int>, centre: SIMD4<Double>, half: Double, depth: Int,
                                    scratch: inout [Int32]) {
            var com = SIMD4<Double>()
            for e in range { com += points[Int(order[e])] }
            nodes[node].count = Int32(range.count)
            nodes[node].centreOfMass = range.isEmpty ? centre : com / Double(range.count)
            nodes[node].sideSquared = 4 * half * half
            nodes[node].pointStart = Int32(range.lowerBound)
            guard range.count > 1, depth < 40, half > 1e-10 else { return }
            // Counting sort of the range by child cell (bit k set: coordinate k above the centre).
            var counts = [Int](repeating: 0, count: childCount)
            for e in range { counts[quadrant(points[Int(order[e])], centre)] += 1 }
            var offsets = [Int](repeating: range.lowerBound, count: childCount)
            for c in 1..<childCount { offsets[c] = offsets[c - 1] + counts[c - 1] }
            let starts = offsets
            for e in range {
                let q = quadrant(points[Int(order[e])], centre)
                scratch[offsets[q]] = order[e]
                offsets[q] += 1
            }
            for e in range { order[e] = scratch[e] }
            let first = nodes.count
            nodes[node].firstChild = Int32(first)
            nodes.append(contentsOf: repeatElement(Node(), count: childCount))
            let quarter = half * 0.5
            for c in 0..<childCount {
                var childCentre = centre
                for k in 0..<dimensions { childCentre[k] += (c >> k) & 1 == 1 ? quarter : -quarter }
                build(node: first + c, range: starts[c]..<(starts[c] + counts[c]), centre: childCentre, half: quarter,
                      depth: depth + 1, scratch: &scratch)
            }
        }

        @inline(__always)
        private func quadrant(_ p: SIMD4<Double>, _ centre: SIMD4<Double>) -> Int {
            var q = 0
            for k in 0..<dimensions where p[k] > centre[k] { q |= 1 << k }
            return q
        }
    }

    public mutating func compute(_ y: Embedding, into forces: inout [Double]) -> Double {
        let tree = Tree(y)
        let (n, d) = (y.count, y.dimensions)
        let thetaSquared = theta * theta
        let chunks = Threads.count
        var partialZ = [Double](repeating: 0, count: chunks)
        forces.withUnsafeMutableBufferPointer { fb in
            partialZ.withUnsafeMutableBufferPointer { zb in
                let (f, z) = (UncheckedSendable(fb.baseAddress!), UncheckedSendable(zb.baseAddress!))
                tree.nodes.withUnsafeBufferPointer { nb in
                    tree.points.withUnsafeBufferPointer { pb in
                        tree.order.withUnsafeBufferPointer { ob in
                            let (nodes, points, order) = (UncheckedSendable(nb), UncheckedSendable(pb), UncheckedSendable(ob))
                            Threads.forEachPart(chunks) { c in
                                // Depth ≤ 40, each level pushes at most 2^d − 1 siblings beyond the one popped.
                                var stack = [Int32](repeating: 0, count: 48 * 8)
                                var sumW = 0.0
                                for slot in Threads.chunkRange(c, of: chunks, total: n) {
                                    let i = Int(order.value[slot])
                                    let (force, w) = Self.repulsion(on: i, points: points.value, nodes: nodes.value,
                                                                    order: order.value, childCount: tree.childCount,
                                                                    thetaSquared: thetaSquared, stack: &stack)
                                    sumW += w
                                    for k in 0..<d { f.value[i * d + k] = force[k] }
                                }
                                z.value[c] = sumW
                            }
                        }
                    }
                }
            }
        }
        return partialZ.reduce(0, +)
    }

    /// Σⱼ wᵢⱼ²(yᵢ − yⱼ) and Σⱼ wᵢⱼ for one point of the tree (itself excluded), walking the tree with
    /// an explicit stack.
    @inline(__always)
    static func repulsion(on i: Int, points: UnsafeBufferPointer<SIMD4<Double>>, nodes: UnsafeBufferPointer<Node>,
                          order: UnsafeBufferPointer<Int32>, childCount: Int, thetaSquared: Double,
                          stack: inout [Int32]) -> (SIMD4<Double>, Double) {
        repulsion(at: points[i], excluding: i, points: points, nodes: nodes, order: order, childCount: childCount,
                  thetaSquared: thetaSquared, stack: &stack)
    }

    /// The same for any position `yi`, skipping tree point `excluded` (−1: none).
    @inline(__always)
    static func repulsion(at yi: SIMD4<Double>, excluding i: Int, points: UnsafeBufferPointer<SIMD4<Double>>,
                          nodes: UnsafeBufferPointer<Node>, order: UnsafeBufferPointer<Int32>, childCount: Int,
                          thetaSquared: Double, stack: inout [Int32]) -> (SIMD4<Double>, Double) {
        var force = SIMD4<Double>()
        var sumW = 0.0
        stack[0] = 0
        var top = 1
        while top > 0 {
            top -= 1
            let node = nodes[Int(stack[top])]
            if node.count == 0 { continue }
            if node.firstChild < 0 {
                // A leaf: its points exactly (normally one; several only for coincident points).
                for e in Int(node.pointStart)..<(Int(node.pointStart) + Int(node.count)) {
                    let j = Int(order[e])
                    if j == i { continue }
                    let delta = yi - points[j]
                    let w = 1 / (1 + (delta * delta).sum())
                    sumW += w
                    force += (w * w) * delta
                }
                continue
            }
            let delta = yi - node.centreOfMass
            let distanceSquared = (delta * delta).sum()
            if node.sideSquared < thetaSquared * distanceSquared {
                let w = 1 / (1 + distanceSquared)
                let mass = Double(node.count)
                sumW += mass * w
                force += (mass * w * w) * delta
            } else {
                let first = Int(node.firstChild)
                for c in 0..<childCount {
                    stack[top] = Int32(first + c)
                    top += 1
                }
            }
        }
        return (force, sumW)
    }
}
