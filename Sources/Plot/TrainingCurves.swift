extension Figure {
    /// The over-fitting curves of a training run: loss (left) and accuracy (right) per epoch for
    /// the training and validation sets, with the best epoch marked by a dashed line.
    /// - Parameters:
    ///   - epochs: epoch numbers (1-based as printed by the trainer).
    ///   - trainLoss, validationLoss: mean cross-entropy per epoch.
    ///   - trainAccuracy, validationAccuracy: fractions 0…1 per epoch (values above 1 are taken
    ///     as percentages); empty arrays leave the accuracy panel out.
    ///   - bestEpoch: the epoch whose checkpoint was kept, if any.
    public static func trainingCurves(epochs: [Int], trainLoss: [Double], validationLoss: [Double],
                                      trainAccuracy: [Double] = [], validationAccuracy: [Double] = [],
                                      bestEpoch: Int? = nil, title: String? = "Training curves") -> Figure {
        let x = epochs.map(Double.init)
        let train = Palette.tab20[0], validation = Palette.tab20[2]
        /// The train and validation series of one panel, leaving out empty ones.
        func pair(_ trainY: [Double], _ validationY: [Double]) -> [LineSeries] {
            [("train", trainY, train), ("validation", validationY, validation)].compactMap { name, y, color in
                y.isEmpty ? nil : LineSeries(name: name, x: x, y: y, color: color)
            }
        }
        let markers = bestEpoch.map { [VerticalMarker(x: Double($0), label: "best epoch \($0)")] } ?? []
        var loss = LineChart(
            series: pair(trainLoss, validationLoss), title: "Loss", xLabel: "Epoch", yLabel: "Cross-entropy loss", markers: markers, integerX: true)
        loss.showsLegend = true
        var charts: [any Chart] = [loss]
        let accuracies = [trainAccuracy, validationAccuracy]
        if accuracies.contains(where: { !$0.isEmpty }) {
            let percentages = accuracies.joined().contains { $0 > 1 }
            let fractions = accuracies.map { $0.map { percentages ? $0 / 100 : $0 } }
            var accuracy = LineChart(
                series: pair(fractions[0], fractions[1]), title: "Accuracy", xLabel: "Epoch", yLabel: "Accuracy", markers: markers, integerX: true)
            accuracy.yFormat = .percent
            accuracy.showsLegend = true
            charts.append(accuracy)
        }
        return Figure(title: title, charts: charts)
    }
}
