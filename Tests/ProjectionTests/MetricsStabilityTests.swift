import Foundation
import Linalg
@testable import Projection
import TestSupport
import Testing

@Suite struct MetricsStabilityTests {
    @Test("Procrustes of a rotated, reflected, scaled and shifted copy: disparity 0, the copy aligned back",
          arguments: [false, true])
    func similarityTransform(_ reflect: Bool) throws {
        let reference = randomMatrix(300, 2, seed: 41)
        let (c, s): (Float, Float) = (cos(1.1), sin(1.1))
        let moving = Matrix(rows: 300, columns: 2) { i, j in
            let (x, y) = (reference[i, 0], reflect ? -reference[i, 1] : reference[i, 1])
            return 4 * (j == 0 ? c * x - s * y : s * x + c * y) + (j == 0 ? 10 : -3)
        }
        let alignment = try Procrustes.align(moving, onto: reference)
        #expect(alignment.disparity < 1e-12)
        #expect(abs(alignment.scale - 0.25) < 1e-6)
        #expect(zip(alignment.aligned.storage, reference.storage).allSatisfy { abs($0 - $1) < 1e-5 })
        let r = alignment.rotation  // orthogonal; determinant −1 for the reflection
        #expect(abs(r[0] * r[0] + r[1] * r[1] - 1) < 1e-6 && abs(r[0] * r[2] + r[1] * r[3]) < 1e-6)
        #expect(abs((r[0] * r[3] - r[1] * r[2]) - (reflect ? -1 : 1)) < 1e-6)
    }

    /// SciPy 1.17.1 (NumPy 2.4.6): A = table(20, 2, 10), B = table(20, 2, 11),
    /// C = A @ [[0.6, -0.8], [0.8, 0.6]] * 3 + 1 + 0.0625 * table(20, 2, 12);
    /// procrustes(A, B) → disparity 0.9841054699711728, mtx2[:2] = [[0.00159896887271618, 0.02009750350873623],
    /// [0.02039493610754034, -0.00558576794257788]]; procrustes(A, C) → 0.000348331252386097.
    /// C is not exact in Float (A and B are), hence 1e-6 for it.
    @Test("the disparity matches scipy.spatial.procrustes")
    func scipyReference() throws {
        let a = hashTable(20, 2, seed: 10), b = hashTable(20, 2, seed: 11), noise = hashTable(20, 2, seed: 12)
        func rotated(_ row: [Double], _ noise: [Double]) -> [Double] {
            let x: Double = (row[0] * 0.6 + row[1] * 0.8) * 3 + 1 + 0.0625 * noise[0]
            let y: Double = (row[0] * -0.8 + row[1] * 0.6) * 3 + 1 + 0.0625 * noise[1]
            return [x, y]
        }
        let c = (0..<20).map { rotated(a[$0], noise[$0]) }
        let unrelated = try Procrustes.align(Matrix(doubles: b), onto: Matrix(doubles: a))
        #expect(abs(unrelated.disparity - 0.9841054699711728) < 1e-12)
        // scipy's mtx2 is the aligned moving set in the standardised frame of the reference.
        let (_, mean, norm) = Procrustes.standardised(Matrix(doubles: a))
        let standardised = (0..<2).flatMap { i in (0..<2).map { j in (Double(unrelated.aligned[i, j]) - mean[j]) / norm } }
        #expect(maxAbsDifference(standardised, [0.00159896887271618, 0.02009750350873623, 0.02039493610754034, -0.00558576794257788]) < 1e-6)
        let near = try Procrustes.align(Matrix(doubles: c), onto: Matrix(doubles: a))
        #expect(abs(near.disparity - 0.000348331252386097) < 1e-6)
        let swapped = try Procrustes.align(Matrix(doubles: a), onto: Matrix(doubles: c))
        #expect(abs(swapped.disparity - near.disparity) < 1e-9)  // symmetric
    }

    @Test("Procrustes refuses different shapes and collapsed embeddings")
    func errors() {
        let a = randomMatrix(10, 2, seed: 42)
        #expect(throws: EmbedVizError.self) { _ = try Procrustes.align(a.rows(0..<9), onto: a) }
        #expect(throws: EmbedVizError.self) { _ = try Procrustes.align(Matrix(rows: 10, columns: 2, repeating: 3), onto: a) }
    }
}
