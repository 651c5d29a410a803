// swift-tools-version: 6.1
// libFuzzer targets for EmbedViz's parsers. A nested package so that the main build never sees
// executables without a `main`. Build and run with `make fuzz` (see run.sh for the exact flags).
import PackageDescription

let targets = ["FuzzIDX", "FuzzNPY", "FuzzCSV", "FuzzCheckpoint", "FuzzPCAModel"]

let package = Package(
    name: "EmbedVizFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "EmbedViz", path: "..")],
    targets: targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                .product(name: "Datasets", package: "EmbedViz"),
                .product(name: "NeuralNet", package: "EmbedViz"),
                .product(name: "Projection", package: "EmbedViz"),
            ])
    }
)
