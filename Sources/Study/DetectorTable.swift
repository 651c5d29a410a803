import Foundation
import Linalg
import Projection

/// The detectors side by side on several evaluation sets (e.g. the injected noise and a
/// near-out-of-distribution image set): AUROC and FPR95 of each, and the detector to lead with,
/// chosen from these numbers.
public struct DetectorTable: Sendable, Codable {
    public struct Row: Sendable, Codable {
        public var detector: String
        /// One per column.
        public var values: [OutlierDetectionQuality]
    }

    /// What each column's outliers are ("injected noise", "Animal-Shape (near-OOD)").
    public var columns: [String]
    public var rows: [Row]
    /// The detector with the highest mean AUROC over the columns (then the lowest mean FPR95,
    /// then the first listed).
    public var lead: String?
    /// One paragraph on what was compared, computed from the numbers.
    public var about: String
    public var caption: String

    /// One evaluation set: the points scored, their known outliers, and a name.
    public struct Evaluation: Sendable {
        public var name: String
        public var inputs: DetectorInputs
        public var isNoise: [Bool]

        public init(name: String, inputs: DetectorInputs, isNoise: [Bool]) {
            self.name = name
            self.inputs = inputs
            self.isNoise = isNoise
        }
    }

    /// Scores the detectors every evaluation allows (those missing from one are left out) on each,
    /// with the shared evaluation (`OutlierDetector.evaluate`).
    /// - Throws: `EmbedVizError.input` when an evaluation has no known outliers (or only outliers).
    public static func compare(_ evaluations: [Evaluation], k: Int = 10, lofNeighbours: Int = 20,
                               deepK: Int = DeepKNNScore.defaultK) throws -> DetectorTable {
        var common: [OutlierDetector]?
        for e in evaluations {
            let available = OutlierDetector.available(for: e.inputs, k: k, lofNeighbours: lofNeighbours, deepK: deepK)
            common = common.map { c in c.filter { available.contains($0) } } ?? available
        }
        let detectors = common ?? []
        var columns: [[OutlierDetectionQuality]] = []
        for e in evaluations {
            let results = try OutlierDetector.evaluate(detectors, on: e.inputs, isNoise: e.isNoise)
            guard results.allSatisfy({ $0.quality != nil }) else {
                throw EmbedVizError.input("the evaluation set '\(e.name)' needs both known outliers and other points")
            }
            columns.append(results.map { $0.quality! })
        }
        let rows = detectors.indices.map { d in Row(detector: detectors[d].name, values: columns.map { $0[d] }) }
        func mean(_ row: Row, _ value: (OutlierDetectionQuality) -> Double) -> Double {
            row.values.map(value).reduce(0, +) / Double(max(row.values.count, 1))
        }
        var lead: Row?
        for row in rows {
            guard let l = lead else { lead = row; continue }
            let (a, b) = (mean(row, \.auroc), mean(l, \.auroc))
            if a > b || (a == b && mean(row, \.fprAt95) < mean(l, \.fprAt95)) { lead = row }
        }
        var about = "The detectors on \(evaluations.count == 1 ? "one evaluation set" : "\(evaluations.count) evaluation sets"): " +
            evaluations.map { e in "\(e.name) (\(Findings.count(e.isNoise.filter { $0 }.count)) outliers among \(Findings.count(e.isNoise.count)) points)" }
                .joined(separator: "; ") + "."
        if let lead {
            about += String(format: " The lead detector is %@: the highest mean AUROC over the sets (%.4f; mean FPR95 %.4f).",
                            lead.detector, mean(lead, \.auroc), mean(lead, \.fprAt95))
            if let worst = rows.min(by: { mean($0, \.auroc) < mean($1, \.auroc) }), worst.detector != lead.detector {
                about += String(format: " The weakest is %@ (mean AUROC %.4f).", worst.detector, mean(worst, \.auroc))
            }
        }
        return DetectorTable(columns: evaluations.map(\.name), rows: rows, lead: lead?.detector, about: about,
                             caption: "AUROC (higher is better) and FPR95 (the share of outliers accepted when 95% of the in-distribution points are; lower is better) per detector and evaluation set")
    }
}
