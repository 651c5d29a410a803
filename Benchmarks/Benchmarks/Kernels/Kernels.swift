// Kernel benchmarks. Each group runs the same work through our wrapper and through the layer below
// it, side by side in one run, so ratios (not absolute numbers on a shared machine) are what we quote.
import Benchmark
import COpenBLAS
import Datasets
import Foundation
import Linalg
import NeuralNet
import Projection

/// Deterministic pseudo-random data (a fixed LCG), so every run benchmarks the same inputs.
func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64 = 42) -> Matrix {
    var state = seed
    return Matrix(rows: rows, columns: columns, storage: (0..<(rows * columns)).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) - 0.5
    })
}

let benchmarks: @Sendable () -> Void = {
    let quick = Benchmark.Configuration(metrics: [.wallClock, .throughput], timeUnits: .milliseconds,
                                        warmupIterations: 2, maxDuration: .seconds(4), maxIterations: 200)

    // MARK: sgemm — wrapper vs direct cblas_sgemm, interleaved in one benchmark, 1 and 2 threads
    // Each iteration times one call of each (alternating which goes first) on the same buffers, and
    // records both times and their ratio, so machine noise hits both sides alike.
    for n in [256, 1024, 2048] {
        for threads in [1, 2] {
            let a = randomMatrix(n, n, seed: 1), b = randomMatrix(n, n, seed: 2)
            let paired = Benchmark.Configuration(
                metrics: [.wallClock, .throughput, .custom("wrapper μs"), .custom("direct μs"),
                          .custom("direct/wrapper ×1000", polarity: .prefersLarger)],
                timeUnits: .milliseconds, warmupIterations: 3, maxDuration: .seconds(4),
                maxIterations: n >= 2048 ? 30 : 200)
            Benchmark("sgemm wrapper vs direct n=\(n) threads=\(threads)", configuration: paired) { benchmark in
                Threads.set(threads)
                var c = Matrix(rows: n, columns: n)
                var direct = [Float](repeating: 0, count: n * n)
                let pa = a.storage, pb = b.storage
                for iteration in benchmark.scaledIterations {
                    var wrapperTime = 0.0, directTime = 0.0
                    for side in iteration % 2 == 0 ? [0, 1] : [1, 0] {
                        let start = DispatchTime.now().uptimeNanoseconds
                        if side == 0 {
                            BLAS.gemm(a, .none, b, .none, into: &c)
                        } else {
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(n), blasint(n), 1,
                                        pa, blasint(n), pb, blasint(n), 0, &direct, blasint(n))
                        }
                        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
                        if side == 0 { wrapperTime = elapsed } else { directTime = elapsed }
                    }
                    benchmark.measurement(.custom("wrapper μs"), Int(wrapperTime / 1000))
                    benchmark.measurement(.custom("direct μs"), Int(directTime / 1000))
                    benchmark.measurement(.custom("direct/wrapper ×1000", polarity: .prefersLarger),
                                          Int(1000 * directTime / wrapperTime))
                }
                blackHole(c)
                blackHole(direct)
            }
        }
    }

    // MARK: pairwise squared distances 10000×100, and the sgemm they are built on
    let points = randomMatrix(10_000, 100, seed: 3)
    Benchmark("distances blocked 10000x100 (consumer reads each block)", configuration: quick) { benchmark in
        Threads.set(2)
        var checksum: Float = 0
        for _ in benchmark.scaledIterations {
            PairwiseDistances.forEachBlock(points) { _, block in checksum += block[block.count - 1] }
        }
        blackHole(checksum)
    }
    Benchmark("distances full 10000x100 (into one N×N matrix)", configuration: quick) { benchmark in
        Threads.set(2)
        for _ in benchmark.scaledIterations { blackHole(PairwiseDistances.squared(points)) }
    }
    Benchmark("sgemm 10000x100 · 100x10000 (the distances' GEMM)", configuration: quick) { benchmark in
        Threads.set(2)
        var c = [Float](repeating: 0, count: 10_000 * 10_000)
        let p = points.storage
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 10_000, 10_000, 100, -2, p, 100, p, 100, 0, &c, 10_000)
        }
        benchmark.stopMeasurement()
        blackHole(c)
    }

    // MARK: data loading
    Benchmark("IDX load 60k training images", configuration: quick) { benchmark in
        let path = try MNIST.path(of: MNIST.Split.train.imagesFile, in: "../" + MNIST.defaultDirectory)
        for _ in benchmark.scaledIterations { blackHole(try IDXArray.read(path)) }
    }

    // MARK: CNN training (the tutorial's model, batch 32, data-parallel over the configured threads)
    let mnistDirectory = "../" + MNIST.defaultDirectory
    let slow = Benchmark.Configuration(metrics: [.wallClock, .peakMemoryResident], timeUnits: .milliseconds,
                                       warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 5)
    Benchmark("CNN training epoch 55k images batch 32 threads=2", configuration: slow) { benchmark in
        Threads.set(2)
        let train = try MNIST.load(.train, from: mnistDirectory)
        var config = TrainingConfig()
        config.epochs = 1
        let trainer = try Trainer(data: train, config: config)
        benchmark.startMeasurement()
        blackHole(trainer.trainEpoch())
        benchmark.stopMeasurement()
    }
    Benchmark("CNN embed 10k test images", configuration: quick) { benchmark in
        Threads.set(2)
        let test = try MNIST.load(.test, from: mnistDirectory)
        let model = TutorialCNN(seed: 1)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(Evaluation.outputs(model, on: test)) }
        benchmark.stopMeasurement()
    }
    Benchmark("conv im2col+sgemm forward+backward batch 32", configuration: quick) { benchmark in
        Threads.set(1)
        let shape = TutorialCNN.convShape
        let input = randomMatrix(32, 784, seed: 9).storage
        let weight = randomMatrix(16, 9, seed: 10).storage
        var col = [Float](repeating: 0, count: 9 * 32 * 676), out = [Float](repeating: 0, count: 16 * 32 * 676)
        var dW = [Float](repeating: 0, count: 144), dB = [Float](repeating: 0, count: 16)
        let bias = [Float](repeating: 0.1, count: 16)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            Conv2D.im2col(input, batch: 32, shape: shape, col: &col)
            Conv2D.forward(weight: weight, bias: bias, col: col, batch: 32, shape: shape, out: &out)
            Conv2D.backward(dOut: out, col: col, weight: weight, batch: 32, shape: shape, dWeight: &dW, dBias: &dB, dCol: nil)
        }
        benchmark.stopMeasurement()
        blackHole(dW)
    }

    // MARK: PCA (2 components, 2 threads): in memory, and streamed from an NPY file on disk
    let digits = randomMatrix(10_000, 100, seed: 11)
    Benchmark("PCA fit 10000x100 k=2", configuration: quick) { benchmark in
        Threads.set(2)
        for _ in benchmark.scaledIterations { blackHole(try PCA(components: 2).fit(digits)) }
    }
    Benchmark("PCA fit 70000x784 k=2 in memory", configuration: quick) { benchmark in
        Threads.set(2)
        let train = try MNIST.load(.train, from: mnistDirectory), test = try MNIST.load(.test, from: mnistDirectory)
        let pixels = Matrix(rows: 70_000, columns: 784, storage: (train.images + test.images).map { Float($0) / 255 })
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try PCA(components: 2).fit(pixels)) }
        benchmark.stopMeasurement()
    }
    Benchmark("PCA fit 70000x784 k=2 streaming from disk", configuration: quick) { benchmark in
        Threads.set(2)
        let train = try MNIST.load(.train, from: mnistDirectory), test = try MNIST.load(.test, from: mnistDirectory)
        let path = NSTemporaryDirectory() + "embedviz-bench-mnist70k.npy"
        try NPY.write(Matrix(rows: 70_000, columns: 784, storage: (train.images + test.images).map { Float($0) / 255 }), to: path)
        defer { unlink(path) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let reader = try MatrixReader(path: path)
            var statistics = try CovarianceAccumulator(dimension: 784)
            while var chunk = try reader.next(maxRows: CovarianceAccumulator.chunkRows(dimension: 784)) { statistics.absorb(&chunk) }
            blackHole(try PCA(components: 2).fit(statistics))
        }
        benchmark.stopMeasurement()
    }

    // MARK: PCA transform streamed: 1M × 100 float32 NPY (400 MB, in the page cache after the first
    // read) through the same reader → transform → writer loop as `embedviz pca transform`.
    let streamRows = 1_000_000, streamColumns = 100
    let streaming = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .peakMemoryResident, .custom("input MB/s", polarity: .prefersLarger)],
        timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 10)
    Benchmark("PCA transform stream 1000000x100 f32 NPY → 2 columns threads=2", configuration: streaming) { benchmark in
        Threads.set(2)
        let directory = NSTemporaryDirectory()
        let input = directory + "embedviz-bench-stream-1m.npy", output = directory + "embedviz-bench-stream-out.npy"
        let sample = randomMatrix(20_000, streamColumns, seed: 12)
        let model = try PCA(components: 2).fit(sample)
        do {  // written in chunks, so the benchmark's own setup stays small too
            let writer = try MatrixWriter(path: input, columns: streamColumns, rows: streamRows)
            for _ in 0..<(streamRows / sample.rows) { try writer.write(sample) }
            try writer.finish()
        }
        defer { unlink(input); unlink(output) }
        for _ in benchmark.scaledIterations {
            let start = DispatchTime.now().uptimeNanoseconds
            let reader = try MatrixReader(path: input)
            let writer = try MatrixWriter(path: output, columns: 2, rows: reader.rows)
            while let rows = try reader.next(maxRows: 65_536) { try writer.write(model.transform(rows)) }
            try writer.finish()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            benchmark.measurement(.custom("input MB/s", polarity: .prefersLarger),
                                  Int(Double(streamRows * streamColumns * 4) / 1e6 / seconds))
        }
    }

    // MARK: kNN (the t-SNE affinities' first step): 10000 × 100, k = 90 (perplexity 30)
    Benchmark("kNN exact 10000x100 k=90 threads=2", configuration: quick) { benchmark in
        Threads.set(2)
        for _ in benchmark.scaledIterations { blackHole(try NearestNeighbours.exact(points, k: 90)) }
    }
    // The same lists from hnswlib's HNSW graph (serial, deterministic build + parallel search + recall check).
    Benchmark("kNN approx (HNSW) 10000x100 k=90 threads=2", configuration: quick) { benchmark in
        Threads.set(2)
        for _ in benchmark.scaledIterations {
            blackHole(try NearestNeighbours.find(points, k: 90, search: NeighbourSearch(method: .approx)))
        }
    }

    // MARK: one training step (batch 32, the data-parallel split over 2 threads, as in training)
    Benchmark("CNN one training step batch 32 threads=2", configuration: quick) { benchmark in
        Threads.set(2)
        let train = try MNIST.load(.train, from: mnistDirectory)
        var model = TutorialCNN(seed: 1)
        var adam: Adam? = Adam(parameterCount: TutorialCNN.parameterCount)
        let parts = [CNNWorkspace(capacity: 16), CNNWorkspace(capacity: 16)]
        parts[0].load(train, indices: Array(0..<16)[...])
        parts[1].load(train, indices: Array(16..<32)[...])
        Threads.withBLASThreads(1) {
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(FloatMode.flushingDenormals { model.trainingStep(parts: parts, rows: [16, 16], optimizer: &adam) })
            }
            benchmark.stopMeasurement()
        }
    }

    // The step stage by stage, with the machine's peak (TrainingStep.swift).
    trainingStepBenchmarks(mnistDirectory: mnistDirectory)

    // MARK: one t-SNE gradient evaluation per method, 10000 points, 2-D (3-D for Barnes–Hut too),
    // on a map shaped like a converged one (10 clusters spread over ±40), P from 10000×100 data.
    let affinities = try! Affinities.compute(points, perplexity: 30)
    func clusteredMap(dimensions: Int) -> Embedding {
        var generator = SeededGenerator(seed: 13)
        var coordinates = [Double](repeating: 0, count: 10_000 * dimensions)
        for i in 0..<10_000 {
            let cluster = Double(i % 10) * 2 * Double.pi / 10
            for c in 0..<dimensions {
                let centre = c == 0 ? 30 * cos(cluster) : c == 1 ? 30 * sin(cluster) : 10 * cos(3 * cluster)
                coordinates[i * dimensions + c] = centre + 4 * generator.normal()
            }
        }
        return Embedding(count: 10_000, dimensions: dimensions, coordinates: coordinates)
    }
    func gradientBenchmark(_ name: String, dimensions: Int, _ make: @escaping () -> any RepulsiveForces) {
        Benchmark("t-SNE gradient \(name) 10000 points \(dimensions)-D threads=2", configuration: quick) { benchmark in
            Threads.set(2)
            let y = clusteredMap(dimensions: dimensions)
            var repulsion = make()
            var attractive = [Double](repeating: 0, count: y.coordinates.count)
            var repulsive = [Double](repeating: 0, count: y.coordinates.count)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                repulsion.prepare(y)
                let z = repulsion.compute(y, into: &repulsive)
                for i in attractive.indices { attractive[i] = 0 }
                blackHole(KLDivergence.Attraction.add(affinities, y, exaggeration: 1, to: &attractive, klTerms: false) + z)
            }
            benchmark.stopMeasurement()
        }
    }
    gradientBenchmark("exact", dimensions: 2) { ExactRepulsion() }
    gradientBenchmark("Barnes-Hut θ=0.5", dimensions: 2) { BarnesHutRepulsion(theta: 0.5) }
    gradientBenchmark("Barnes-Hut θ=0.5", dimensions: 3) { BarnesHutRepulsion(theta: 0.5) }
    gradientBenchmark("FFT", dimensions: 2) { FFTRepulsion() }

    spectralLayoutBenchmarks(mnistDirectory: mnistDirectory)
    umapBenchmarks(mnistDirectory: mnistDirectory)
    // MARK: t-SNE at scale (one iteration at 250k and 1M, its stages; kNN exact vs HNSW at 70k): TSNEScale.swift
    tsneScaleBenchmarks(mnistDirectory: mnistDirectory)
    deformationBenchmarks()
}
