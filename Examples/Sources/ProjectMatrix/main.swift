// Projects any float matrix with PCA and t-SNE and draws the t-SNE map.
//   swift run ProjectMatrix input.npy [labels.tsv]     (inside Examples/)
import EmbedViz

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { fatalError("usage: ProjectMatrix input.npy|csv [metadata.tsv]") }
do {
    let x = try MatrixReader.read(arguments[1])                          // NPY, CSV/TSV, .gz
    let pca = try PCA(components: 2).fit(x)                                // LAPACK, scikit-learn's conventions
    print("explained variance ratio:", pca.explainedVarianceRatio)
    try NPY.write(pca.transform(x), to: "pca2d.npy")

    var parameters = TSNEParameters()                                      // openTSNE's defaults
    parameters.perplexity = min(30, Affinities.maximumPerplexity(points: x.rows))
    let tsne = try TSNE(parameters).fit(x) { p in if p.done % 250 == 0 { print(p.phase.rawValue, p.done, p.kl ?? .nan) } }
    try NPY.write(tsne.embedding, to: "tsne2d.npy")
    print("t-SNE KL divergence:", tsne.record.klDivergence)

    let labels = try arguments.count > 2 ? EmbeddingMetadata.read(arguments[2]).target : Array(repeating: 0, count: x.rows)
    let names = (0...(labels.max() ?? 0)).map(String.init)
    try Figure(ScatterChart(points: tsne.embedding, labels: labels, classNames: names, title: "t-SNE")).write(to: "tsne2d.png")
} catch {
    print("error: \(error)")
}
