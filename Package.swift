// swift-tools-version: 6.1
// EmbedViz: see what a model's feature vectors look like, and which inputs don't belong.
// Layout and data flow: README.md ("Architecture"). Every module knows only the ones before it:
// COpenBLAS/CZlib/… → Linalg → Datasets → NeuralNet / Projection → Plot → Report → Study → embedviz (CLI).
import PackageDescription

// Numeric modules are optimised in every configuration: release with -Ounchecked (10–15% on scalar
// loops), debug with -O so that `swift test` runs real workloads quickly while keeping bounds and
// overflow checks (tests still build with -enable-testing).
let optimised: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "EmbedViz",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "embedviz", targets: ["embedviz"]),
        .library(name: "EmbedViz", targets: ["EmbedViz"]),
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
        .library(name: "Projection", targets: ["Projection"]),
        .library(name: "Plot", targets: ["Plot"]),
        .library(name: "Report", targets: ["Report"]),
        .library(name: "Study", targets: ["Study"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: System libraries (Debian packages; `make deps` installs them)
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        // ARPACK-NG: the sparse symmetric eigensolver (SciPy's eigsh) behind UMAP's spectral initialisation.
        .systemLibrary(name: "CARPACK", pkgConfig: "arpack", providers: [.apt(["libarpack2-dev"])]),
        // Re-selects OpenBLAS's kernels where its CPU tables fall back to generic SSE3 (see blas_core.c).
        // Also the kernels built per instruction set (clones.h: the CNN's fused first block, Adam, the
        // Barnes–Hut walk and sum): optimised in every configuration and never contracted into fused
        // multiply-adds, so that their AVX-512, AVX2 and baseline clones agree (and without errno from
        // square roots, which would keep Adam's loop scalar).
        .target(name: "CSupport", dependencies: ["COpenBLAS"], cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno"])]),
        // hnswlib (header-only C++, Debian libhnswlib-dev) behind a plain C interface: approximate kNN.
        .target(name: "CHNSW", cxxSettings: [.unsafeFlags(["-O3"])]),

        // MARK: Library modules
        .target(
            name: "Linalg", dependencies: ["COpenBLAS", "CSupport"], swiftSettings: optimised,
            linkerSettings: [.linkedLibrary("m")]),
        .target(name: "Datasets", dependencies: ["Linalg", "CZlib", "CPNG", "CTurboJPEG"], swiftSettings: optimised),
        .target(name: "NeuralNet", dependencies: ["Linalg", "Datasets", "CSupport"], swiftSettings: optimised),
        .target(name: "Projection", dependencies: ["Linalg", "Datasets", "CSupport", "CFFTW", "CHNSW", "CARPACK"], swiftSettings: optimised),
        .target(name: "Plot", dependencies: ["Linalg", "Datasets", "CCairo", "CZlib"], swiftSettings: optimised),
        // Explorer, report document, TensorBoard projector files (its sprite is a Plot image atlas).
        .target(name: "Report", dependencies: ["Linalg", "Datasets", "Plot"], swiftSettings: optimised),
        // The study as stages that return values: train/embed (the tutorial) → project → measure → draw → report.
        .target(name: "Study", dependencies: ["Linalg", "Datasets", "NeuralNet", "Projection", "Plot", "Report"],
                swiftSettings: optimised),
        // Umbrella for library users: re-exports only.
        .target(name: "EmbedViz", dependencies: ["Linalg", "Datasets", "NeuralNet", "Projection", "Plot", "Report", "Study"],
                swiftSettings: optimised),

        // MARK: Command-line tool
        .executableTarget(
            name: "embedviz",
            dependencies: [
                "Linalg", "Datasets", "NeuralNet", "Projection", "Plot", "Report", "Study", "EmbedViz",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimised),

        // MARK: Tests
        // Helpers the test targets share (scratch directories, seeded test data, format writers and
        // readers, comparisons), as swift-numerics' `_TestSupport`. Not a product.
        .target(name: "TestSupport", dependencies: ["Linalg", "Datasets", "CZlib"], path: "Tests/TestSupport"),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport", "CTurboJPEG"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "TestSupport"]),
        .testTarget(name: "ProjectionTests", dependencies: ["Projection", "TestSupport"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "TestSupport"]),
        .testTarget(name: "StudyTests", dependencies: ["Study", "Linalg", "Datasets", "NeuralNet", "Projection", "TestSupport"]),
        // End-to-end tests of the command-line tool (they run the built `embedviz`).
        .testTarget(name: "CLITests", dependencies: ["embedviz", "Linalg", "Datasets", "NeuralNet", "Projection", "TestSupport"]),
    ]
)
