// swift-tools-version: 6.1
// Using EmbedViz as a library from another package: see Sources/ProjectMatrix/main.swift.
import PackageDescription

let package = Package(
    name: "EmbedVizExamples",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "EmbedViz", path: "..")],
    targets: [
        .executableTarget(name: "ProjectMatrix", dependencies: [.product(name: "EmbedViz", package: "EmbedViz")]),
    ]
)
