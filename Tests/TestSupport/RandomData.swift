import Linalg

// Deterministic test data: everything is drawn from a `SeededGenerator`, so a seed names the data.

/// `count` values uniform in [−scale, scale).
public func randomArray(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in rng.uniform(-scale, scale) }
}

/// A `rows`×`columns` matrix of values uniform in [−scale, scale), drawn in row-major order.
public func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64, scale: Float = 1) -> Matrix {
    Matrix(rows: rows, columns: columns, storage: randomArray(rows * columns, seed: seed, scale: scale))
}

/// Gaussian blobs: `perBlob` points around each of `centres` in turn (standard deviation `spread`
/// in every coordinate), drawn from `rng` point by point, and the blob of each point.
public func gaussianBlobs(_ centres: [[Float]], perBlob: Int, spread: Float = 1,
                          using rng: inout SeededGenerator) -> (points: Matrix, labels: [Int]) {
    let dimensions = centres.first?.count ?? 0
    var storage: [Float] = [], labels: [Int] = []
    storage.reserveCapacity(centres.count * perBlob * dimensions)
    for (c, centre) in centres.enumerated() {
        precondition(centre.count == dimensions, "centres of different dimensions")
        for _ in 0..<perBlob {
            storage += centre.map { $0 + spread * Float(rng.normal()) }
            labels.append(c)
        }
    }
    return (Matrix(rows: labels.count, columns: dimensions, storage: storage), labels)
}

/// `gaussianBlobs` from a generator seeded with `seed`.
public func gaussianBlobs(_ centres: [[Float]], perBlob: Int, spread: Float = 1, seed: UInt64)
    -> (points: Matrix, labels: [Int]) {
    var rng = SeededGenerator(seed: seed)
    return gaussianBlobs(centres, perBlob: perBlob, spread: spread, using: &rng)
}
