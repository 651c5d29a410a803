import Datasets
import Foundation
import Linalg
import Plot
import Report

/// Interactive maps beside the report: the studied set's t-SNE 2-D (with its UMAP 2-D as a second
/// map in the page's map switch, when there is one) and 3-D, each control's t-SNE 2-D (hover shows a
/// point's image when the set has images).
public struct ExplorerStage: Sendable {
    public var terms: StudyTerms
    /// At most this many points per explorer: beyond, a fixed subsample (seed 0) of the map.
    public var pointLimit = Int.max

    public init(terms: StudyTerms = StudyTerms()) { self.terms = terms }

    public func run(_ results: StudyResults) throws -> [ExplorerFile] {
        var written: [ExplorerFile] = []
        /// One page of `maps` (name, N×2 or N×3 points; the first shown at first, the others in the map switch).
        func explorer(_ maps: [(name: String, points: Matrix)], _ full: EmbeddingSet, _ title: String, _ file: String,
                      _ label: String) throws {
            let map = maps[0].points
            var projections = maps, set = full
            if map.rows > pointLimit {
                let rows = Subsample.indices(pointLimit, of: map.rows, seed: 0)
                projections = maps.map { ($0.name, $0.points.rows(at: rows)) }
                set.metadata = full.metadata.subset(rows)
                set.images = full.images?.subset(rows)
            }
            let points = projections[0].points
            let colors = Palette.classColors(for: set.classNames).map(\.css)
            let sampled = points.rows < map.rows ? " of \(map.rows)" : ""
            let outliers = set.outlierCount > 0 ? " (\(set.outlierCount) \(terms.outliers))" : ""
            var page = Explorer(points: points, metadata: set.metadata, classNames: set.classNames, colors: colors, sprite: nil,
                                title: title, subtitle: "\(points.rows)\(sampled) \(terms.points)\(outliers), \(Findings.colouring(set))",
                                colorLabels: set.colourLabels)
            page.data.projections = projections.map { ExplorerProjection(name: $0.name, points: $0.points) }
            // Every image as a tile, loaded on demand (no sprite-sheet size limit).
            page.data.images = set.images.map { ExplorerImages(pixels: $0.images, count: $0.count, height: $0.height, width: $0.width) }
            try page.write(to: results.path(file))
            written.append(ExplorerFile(file: file, label: label))
        }
        let main = results.main
        if let umap = main.projections.umap2D {
            try explorer([("t-SNE", main.projections.tsne2D.embedding), ("UMAP", umap.embedding)], main.embeddings,
                         "t-SNE and UMAP of \(main.embeddings.title)", "explorer-tsne-2d.html", "t-SNE and UMAP 2-D")
        } else {
            try explorer([("map", main.projections.tsne2D.embedding)], main.embeddings, "t-SNE of \(main.embeddings.title)",
                         "explorer-tsne-2d.html", "t-SNE 2-D")
        }
        if let t3 = main.projections.tsne3D {
            try explorer([("map", t3.embedding)], main.embeddings, "t-SNE 3-D of \(main.embeddings.title)", "explorer-tsne-3d.html",
                         "t-SNE 3-D")
        }
        for control in results.sets.dropFirst() {
            try explorer([("map", control.projections.tsne2D.embedding)], control.embeddings, "t-SNE of \(control.embeddings.title)",
                         "explorer-\(control.embeddings.directory)-tsne-2d.html", "\(control.embeddings.name), t-SNE 2-D")
        }
        return written
    }
}
