import LeNet
import Reports
import Support

/// The curves the reports draw from a run's logs.
extension TrainingCurve {
    /// The write-up's loss every 100 batches over all epochs, a band per learning-rate phase.
    public init(history: TrainingHistory) {
        var start = 0.0
        let bands = history.phases.map { phase in
            defer { start += Double(phase.epochs) }
            return Charts.Band(from: start, to: start + Double(phase.epochs), label: "lr " + PythonFormat.repr(phase.learningRate))
        }
        self.init(title: "Training loss (the running loss of the write-up's log, every 100 batches)", xLabel: "epoch", yLabel: "cross-entropy loss",
                  series: [Charts.Series(name: "running loss", points: history.lossPoints.map { ($0.epoch, $0.loss) }, colour: Charts.colour(0))],
                  bands: bands, percentY: false)
    }

    /// The training and test error after each pass of a Levenberg-Marquardt run (the paper's Fig. 5),
    /// a band per learning rate.
    public init(passes: [PassRecord]) {
        var bands: [Charts.Band] = []
        for record in passes {
            let label = "eta " + PythonFormat.repr(record.learningRate)
            if let last = bands.last, last.label == label {
                bands[bands.count - 1].to = Double(record.pass) + 0.5
            } else {
                bands.append(Charts.Band(from: Double(record.pass) - 0.5, to: Double(record.pass) + 0.5, label: label))
            }
        }
        self.init(title: "Error after each pass (the paper's Fig. 5)", xLabel: "pass", yLabel: "error",
                  series: [Charts.Series(name: "test error", points: passes.map { (Double($0.pass), $0.testError) }, colour: Charts.colour(1)),
                           Charts.Series(name: "training error", points: passes.map { (Double($0.pass), $0.trainError) }, colour: Charts.colour(0))],
                  bands: bands, percentY: true)
    }
}
