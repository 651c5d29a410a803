import Datasets

/// The files of an embedding run: `embeddings.npy`, `metadata.tsv`, `images-idx3-ubyte`.
public enum EmbeddingFiles {
    public static func write(_ result: NoisyEmbeddings, to directory: String) throws -> (embeddings: String, metadata: String, images: String) {
        let paths = (directory + "/embeddings.npy", directory + "/metadata.tsv", directory + "/images-idx3-ubyte")
        try NPY.write(result.features, to: paths.0)
        try result.metadata.write(to: paths.1)
        let images = IDXArray(elementType: .uint8, dimensions: [result.images.count, result.images.height, result.images.width],
                              payload: result.images.images)
        try OutputFile.write(images.serialized(), to: paths.2)
        return paths
    }
}
