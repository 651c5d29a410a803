import Datasets
import Foundation
import Linalg

/// Where a user's embedding set comes from: files, each in any format the readers take. Loading
/// checks that every file has one row per embedding (or, for the reference, the same columns).
public struct EmbeddingSetSource: Sendable {
    /// N×D embeddings (NPY/NPZ, CSV/TSV, raw float32; `-` for stdin).
    public var embeddings: String
    /// TSV/CSV with a header, one row per embedding.
    public var metadata: String?
    /// The metadata column with the labels (any text); nil: `label`, else `target`, else none.
    public var labelColumn: String?
    /// The metadata column marking known outliers (1/0, true/false, yes/no); nil: `is_outlier`,
    /// else `is_noise`, else none.
    public var outlierColumn: String?
    /// Images: an N×H×W or N×H×W×3 NPY, or an IDX file.
    public var images: String?
    /// A metadata column of PNG or JPEG file paths (relative to the metadata file's directory), one per row,
    /// all of one size: decoded by libpng or libjpeg-turbo (`ImageFiles`).
    public var imageColumn: String?
    /// In-distribution embeddings (M×D).
    public var reference: String?
    /// TSV/CSV with the reference rows' labels (same label column), for class-conditional Mahalanobis.
    public var referenceMetadata: String?
    /// N×C logits.
    public var logits: String?
    public var readOptions = ReadOptions()

    public init(embeddings: String) { self.embeddings = embeddings }

    /// The set, named `name`, its files in the output's `directory`.
    /// - Throws: `EmbedVizError.input` naming the file whose rows or columns do not match, or a
    ///   named column that is missing.
    public func load(name: String = "embeddings", directory: String = "embeddings") throws -> EmbeddingSet {
        let x = try MatrixReader.read(embeddings, options: readOptions)
        let n = x.rows
        let table = try metadata.map { try MetadataTable.read($0) }
        if let table, table.rowCount != n {
            throw EmbedVizError.input("the metadata has \(table.rowCount) rows, the embeddings \(n)", at: metadata!)
        }
        func column(_ explicit: String?, defaults: [String]) throws -> (name: String, values: [String])? {
            if let explicit {
                guard let table, let values = table.column(explicit) else {
                    throw EmbedVizError.input("no column '\(explicit)' in the metadata" + (table.map { "; found: \($0.columns.joined(separator: ", "))" } ?? " (none was given)"),
                                              at: metadata ?? embeddings)
                }
                return (explicit, values)
            }
            for name in defaults { if let values = table?.column(name) { return (name, values) } }
            return nil
        }
        let labels = try column(labelColumn, defaults: ["label", "target"])
        let outliers = try column(outlierColumn, defaults: ["is_outlier", "is_noise"])
        let classes = labels.map { LabelClasses(labels: $0.values) }
        var classNames = classes?.names ?? ["points"]
        let target = classes?.classes ?? Array(repeating: 0, count: n)
        let isNoise = try outliers.map { try TruthValue.parse($0.values, column: $0.name) } ?? Array(repeating: false, count: n)

        let logitMatrix = try logits.map { try MatrixReader.read($0) }
        if let logitMatrix, logitMatrix.rows != n {
            throw EmbedVizError.input("the logits have \(logitMatrix.rows) rows, the embeddings \(n)", at: logits!)
        }
        var prediction = target, confidence = [Float](repeating: 1, count: n)
        if let logitMatrix {
            for i in 0..<n {
                let row = logitMatrix.row(i)
                let best = row.indices.max { row[$0] < row[$1] }! - row.startIndex
                let sum = row.reduce(0.0) { $0 + exp(Double($1 - row[best + row.startIndex])) }
                prediction[i] = best
                confidence[i] = Float(1 / sum)
            }
            // Logit columns are classes 0…C−1: named by the labels when they are the same classes.
            if classNames.count < logitMatrix.columns { classNames += (classNames.count..<logitMatrix.columns).map { "class \($0)" } }
        }
        let meta = EmbeddingMetadata(index: Array(0..<n), target: target, prediction: prediction, confidence: confidence, isNoise: isNoise)

        var imageSet = try images.map { try ImageArray.read($0) }
        if let imageColumn {
            guard imageSet == nil else { throw EmbedVizError.input("give images as a file or as a metadata column, not both", at: imageColumn) }
            let paths = try column(imageColumn, defaults: [])!.values
            imageSet = try ImageFiles.readAll(paths, relativeTo: ((metadata ?? ".") as NSString).deletingLastPathComponent)
        }
        if let imageSet, imageSet.count != n {
            throw EmbedVizError.input("there are \(imageSet.count) images for \(n) embeddings", at: images ?? imageColumn!)
        }
        if imageSet != nil, let classes { imageSet!.labels = classes.classes.map { UInt8(min($0, 255)) } }

        let referenceMatrix = try reference.map { try MatrixReader.read($0, options: readOptions) }
        if let referenceMatrix, referenceMatrix.columns != x.columns {
            throw EmbedVizError.input("the reference has \(referenceMatrix.columns) columns, the embeddings \(x.columns)", at: reference!)
        }
        var referenceLabels: [Int]?
        if let referenceMetadata {
            let referenceTable = try MetadataTable.read(referenceMetadata)
            guard let values = referenceTable.column(labels?.name ?? labelColumn ?? "label") ?? referenceTable.column("target") else {
                throw EmbedVizError.input("no label column in the reference metadata; found: \(referenceTable.columns.joined(separator: ", "))",
                                          at: referenceMetadata)
            }
            guard values.count == referenceMatrix?.rows else {
                throw EmbedVizError.input("the reference metadata has \(values.count) rows, the reference \(referenceMatrix?.rows ?? 0)", at: referenceMetadata)
            }
            // Only the grouping matters (class-conditional means): labels the set lacks get classes of their own.
            referenceLabels = classes.map { $0.classes(of: values).classes } ?? LabelClasses(labels: values).classes
        }

        var set = EmbeddingSet(name: name, directory: directory, features: x, metadata: meta, classNames: classNames, images: imageSet,
                               reference: referenceMatrix)
        set.referenceLabels = referenceLabels
        set.logits = logitMatrix
        set.hasLabels = classes != nil
        set.hasPredictions = logitMatrix != nil
        set.table = table
        return set
    }
}
