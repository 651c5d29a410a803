// swift-tools-version: 6.1
// Kernel benchmarks for EmbedViz (ordo-one/benchmark). A nested package, so the library's own
// manifest carries no benchmark dependency: `cd Benchmarks && swift package benchmark`, or `make bench`.
import PackageDescription

let package = Package(
    name: "EmbedVizBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "EmbedViz", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Kernels",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Linalg", package: "EmbedViz"),
                .product(name: "Datasets", package: "EmbedViz"),
                .product(name: "NeuralNet", package: "EmbedViz"),
                .product(name: "Projection", package: "EmbedViz"),
            ],
            path: "Benchmarks/Kernels",
            swiftSettings: [.unsafeFlags(["-Ounchecked"])],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
)
