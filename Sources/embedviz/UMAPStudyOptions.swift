import ArgumentParser
import Projection

/// The study's UMAP map (`report`, `demo`): on by default, `--no-umap` skips it; the two parameters
/// that shape it most, named as on `embedviz umap` with a `umap-` prefix.
struct UMAPStudyOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "A 2-D UMAP map beside t-SNE's: umap2d.npy (+ .json), a figure, a view in the 2-D explorer, its measurements.")
    var umap = true

    @Option(name: .customLong("umap-n-neighbors"),
            help: "UMAP's neighbourhood size, the point itself included (umap-learn's n_neighbors; `umap --n-neighbors`).")
    var umapNNeighbors = UMAPParameters().neighbours

    @Option(help: "UMAP's smallest distance between points in the map (`umap --min-dist`).")
    var umapMinDist = UMAPParameters().minDist

    /// The library's parameters these flags set (`ErrorBoundary` names them so in these commands' errors).
    static let flags = ["UMAPParameters.neighbours": "--umap-n-neighbors", "UMAPParameters.minDist": "--umap-min-dist"]

    /// The parameters (umap-learn's defaults otherwise), or nil with `--no-umap`. Validated here, so
    /// that a value UMAP cannot use stops the command before its first stage.
    func parameters() throws -> UMAPParameters? {
        guard umap else { return nil }
        var p = UMAPParameters()
        p.neighbours = umapNNeighbors
        p.minDist = umapMinDist
        try p.validate()
        return p
    }
}
