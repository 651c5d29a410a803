// UMAP (Projection/UMAP) on MNIST's 10k test images as PCA-50 rows: a fit with a random start (the
// neighbours, the fuzzy graph and 100 epochs of the deterministic parallel SGD), and a transform of
// 1,000 training images into that map. The PCA is done before the measurement starts.
import Benchmark
import Datasets
import Foundation
import Linalg
import Projection

func umapBenchmarks(mnistDirectory: String) {
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds,
                                                warmupIterations: 1, maxDuration: .seconds(20), maxIterations: 10)
    /// The first `rows` images of `split` as pixel rows in [0, 1].
    func pixels(_ split: MNIST.Split, rows: Int) throws -> Matrix {
        let set = try MNIST.load(split, from: mnistDirectory)
        return Matrix(rows: rows, columns: 784, storage: set.images.prefix(rows * 784).map { Float($0) / 255 })
    }
    var parameters = UMAPParameters()
    parameters.epochs = 100
    Benchmark("UMAP fit MNIST 10k PCA-50, 100 epochs, random start threads=2", configuration: configuration) { benchmark in
        Threads.set(2)
        let test = try pixels(.test, rows: 10_000)
        let x = try PCA(components: 50).fit(test).transform(test)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try UMAP(parameters).fit(x, initialization: .random)) }
    }
    Benchmark("UMAP transform 1k MNIST train images into the 10k test map threads=2", configuration: configuration) { benchmark in
        Threads.set(2)
        let test = try pixels(.test, rows: 10_000)
        let pca = try PCA(components: 50).fit(test)
        let fit = try UMAP(parameters).fit(pca.transform(test), initialization: .random)
        let train = try pixels(.train, rows: 1_000)
        let transform = try UMAPTransform(model: fit.model)
        let fresh = pca.transform(train)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try transform.transform(fresh)) }
    }
}
