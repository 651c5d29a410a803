import Foundation

/// The class of every point of a scatter, the classes' names and colours, and which points are
/// highlighted: what the 2-D and 3-D scatters share, including their legend.
struct PointClasses: Sendable {
    var labels: [Int]
    /// Index = label; extended with the label's number for labels beyond the given names.
    var names: [String]
    var colors: [RGB]
    var highlight: [Bool]?
    var highlightName: String

    init(labels: [Int], classNames: [String], colors: [RGB]?, highlight: [Bool]?, highlightName: String) {
        precondition(labels.allSatisfy { $0 >= 0 }, "class labels must be non-negative")
        precondition(highlight == nil || highlight!.count == labels.count, "one highlight flag per point")
        let classCount = max(classNames.count, (labels.max() ?? -1) + 1)
        var names = classNames
        while names.count < classCount { names.append(String(names.count)) }
        var colors = colors ?? Palette.classColors(for: names)
        if colors.count < classCount {
            let extra = Palette.classColors(for: names)
            colors += extra[colors.count...]
        }
        self.labels = labels
        self.names = names
        self.colors = colors
        self.highlight = highlight
        self.highlightName = highlightName
    }

    /// Points per class (index = label).
    var counts: [Int] {
        var counts = [Int](repeating: 0, count: names.count)
        for label in labels { counts[label] += 1 }
        return counts
    }

    var highlightedCount: Int { highlight?.reduce(0) { $0 + ($1 ? 1 : 0) } ?? 0 }

    /// At most this many classes are listed in a legend (two columns of a chart's height): beyond
    /// it a legend stops explaining and only widens the figure.
    static let legendClasses = 40

    /// One entry per class that has points, "name (count)", then the highlighted points. With more
    /// than `legendClasses` classes, the `legendClasses − 1` largest (ties: the lower label), in label
    /// order, and a last line saying how many classes and points are not listed.
    func legend(title: String?) -> Legend {
        var entries: [Legend.Entry] = []
        let counts = self.counts
        var listed = counts.indices.filter { counts[$0] > 0 }
        var unlisted: (classes: Int, points: Int) = (0, 0)
        if listed.count > Self.legendClasses {
            let kept = Set(listed.sorted { (counts[$0], -$0) > (counts[$1], -$1) }.prefix(Self.legendClasses - 1))
            let rest = listed.filter { !kept.contains($0) }
            unlisted = (rest.count, rest.reduce(0) { $0 + counts[$1] })
            listed = listed.filter(kept.contains)
        }
        for label in listed {
            entries.append(Legend.Entry(names[label], detail: "(\(formatCount(counts[label])))", marker: .dot(colors[label])))
        }
        if unlisted.classes > 0 {
            entries.append(Legend.Entry("\(formatCount(unlisted.classes)) more classes", detail: "(\(formatCount(unlisted.points)))",
                                        marker: .none))
        }
        if highlightedCount > 0 {
            entries.append(Legend.Entry(highlightName, detail: "(\(formatCount(highlightedCount)))",
                                        marker: .highlighted, separated: true))
        }
        return Legend(title: title, entries: entries)
    }

    /// A marker radius in points for `count` points over `area` square points: the discs together
    /// would cover about a third of the plot, within 1.1…4.5 points.
    static func markerRadius(count: Int, area: Double) -> Double {
        let radius = (0.33 * area / (Double.pi * Double(max(count, 1)))).squareRoot()
        return min(4.5, max(1.1, radius))
    }

    /// The radius of a highlighted point's marker (ring included) for plain markers of `markerRadius`.
    static func highlightRadius(markerRadius: Double) -> Double {
        max(2.3, markerRadius * 1.3)
    }

    /// Opacity for `count` points: 0.85 up to 300 points, falling log-linearly to 0.5 at 20,000.
    static func opacity(count: Int) -> Double {
        let t = (log10(Double(max(count, 300))) - log10(300)) / (log10(20_000) - log10(300))
        return 0.85 - 0.35 * min(1, t)
    }
}
