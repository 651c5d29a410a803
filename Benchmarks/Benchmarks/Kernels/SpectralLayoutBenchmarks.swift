// UMAP's spectral initialisation (Projection/UMAP/SpectralLayout.swift) on the graph UMAP would give
// it for MNIST: the symmetrised Gaussian 15-NN graph of the PCA-50 pixels, 10k (test set) and 70k
// (train + test) points. Each iteration runs ARPACK three ways, rotating which goes first: ours
// (eigsh(M, "LA"), ncv ≤ 64), "LA" with umap-learn's ncv = ⌊√n⌋, and umap-learn's own call
// (eigsh(L, "SM"), ncv = ⌊√n⌋); it records the three times, umap-learn's over ours, and the restarts.
// After the loop: sin of the largest principal angle of ours and of umap-learn's to a tight reference
// (LA, tol 1e-10). The graph is built before the measurement starts.
import Benchmark
import Datasets
import Foundation
import Linalg
@_spi(Benchmarks) import Projection

/// MNIST's first `points` images (train then test) as PCA-50 rows, and their 15-NN graph.
private func mnistGraph(points: Int, directory: String) throws -> SpectralBenchmarkGraph {
    let test = try MNIST.load(.test, from: directory)
    var pixels = test.images
    if points > test.count { pixels = try MNIST.load(.train, from: directory).images + pixels }
    let x = Matrix(rows: points, columns: 784, storage: pixels.prefix(points * 784).map { Float($0) / 255 })
    let reduced = try PCA(components: 50).fit(x).transform(x)
    return SpectralBenchmarkGraph(neighbours: try NearestNeighbours.exact(reduced, k: 15))
}

func spectralLayoutBenchmarks(mnistDirectory: String) {
    let sides: [(name: String, solver: SpectralBenchmarkGraph.Solver)] =
        [("ours", .ours), ("LA ncv √n", .largestWithUmapLearnBasis), ("umap-learn SM", .umapLearn)]
    for points in [10_000, 70_000] {
        let configuration = Benchmark.Configuration(
            metrics: [.wallClock, .peakMemoryResident] + sides.map { .custom("\($0.name) ms") }
                + sides.map { .custom("\($0.name) restarts") }
                + [.custom("umap-learn/ours ×1000", polarity: .prefersLarger),
                   .custom("sin ours vs tight ×1e9"), .custom("sin umap-learn vs tight ×1e9")],
            timeUnits: .milliseconds, warmupIterations: 0, maxDuration: .seconds(points > 10_000 ? 150 : 60), maxIterations: 3)
        Benchmark("spectral layout MNIST \(points / 1000)k PCA-50 15-NN 2-D: ours vs umap-learn's eigsh threads=2",
                  configuration: configuration) { benchmark in
            Threads.set(2)
            let graph = try mnistGraph(points: points, directory: mnistDirectory)
            var last = [SpectralBenchmarkGraph.Run?](repeating: nil, count: sides.count)
            benchmark.startMeasurement()
            for iteration in benchmark.scaledIterations {
                var times = [Double](repeating: 0, count: sides.count)
                for r in 0..<sides.count {
                    let side = (r + iteration) % sides.count
                    let start = DispatchTime.now().uptimeNanoseconds
                    last[side] = try graph.layout(dimensions: 2, solver: sides[side].solver)
                    times[side] = Double(DispatchTime.now().uptimeNanoseconds - start)
                }
                for (side, run) in last.enumerated() {
                    benchmark.measurement(.custom("\(sides[side].name) ms"), Int(times[side] / 1e6))
                    benchmark.measurement(.custom("\(sides[side].name) restarts"), run!.iterations)
                }
                benchmark.measurement(.custom("umap-learn/ours ×1000", polarity: .prefersLarger), Int(1000 * times[2] / times[0]))
            }
            benchmark.stopMeasurement()
            let tight = try graph.layout(dimensions: 2, solver: .ours, tolerance: 1e-10).layout
            for (side, name) in [(0, "ours"), (2, "umap-learn")] {
                let sine = SpectralBenchmarkGraph.largestPrincipalAngleSine(last[side]!.layout, tight)
                benchmark.measurement(.custom("sin \(name) vs tight ×1e9"), Int(1e9 * sine))
            }
        }
    }
}
