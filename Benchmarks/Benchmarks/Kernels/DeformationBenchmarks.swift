// Deformed-digit generation (`embedviz deform`, `make million`): images per second with and without
// the elastic field, on 1 and 2 threads, side by side in one run. The elastic part (2·28·28 uniforms,
// two separable Gaussian blurs of radius 12) is most of the cost; the affine resampling is the rest.
import Benchmark
import Datasets
import Linalg

func deformationBenchmarks() {
    var state: UInt64 = 7
    let count = 4_096
    let source = LabeledImages(images: (0..<(count * 784)).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(state >> 56)
    }, labels: (0..<count).map { UInt8($0 % 10) }, height: 28, width: 28)
    var affineOnly = DeformationParameters()
    affineOnly.elasticAlpha = 0
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .throughput], timeUnits: .milliseconds,
                                                warmupIterations: 1, maxDuration: .seconds(4), maxIterations: 50)
    for (name, parameters) in [("affine + elastic", DeformationParameters()), ("affine only", affineOnly)] {
        for threads in [1, 2] {
            Benchmark("deform \(count) digits \(name) threads=\(threads)", configuration: configuration) { benchmark in
                Threads.set(threads)
                for _ in benchmark.scaledIterations {
                    blackHole(try! Deformations.generate(from: source, indices: 0..<count, parameters: parameters, seed: 1))
                }
            }
        }
    }
}
