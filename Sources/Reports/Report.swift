import Datasets
import Foundation
import Imaging
import NeuralNetwork
import Support

/// The training curve a report shows: the write-up's running loss over the epochs with its
/// learning-rate phases shaded, or the 1998 model's error per pass.
public struct TrainingCurve: Sendable {
    /// The chart's title.
    public var title: String
    /// The x axis's label: "epoch" or "pass".
    public var xLabel: String
    /// The y axis's label: "loss" or "error".
    public var yLabel: String
    /// The lines drawn.
    public var series: [Charts.Series]
    /// The shaded stretches of the x axis (the learning-rate phases).
    public var bands: [Charts.Band]
    /// Whether y is a share, printed as a percentage.
    public var percentY: Bool

    /// A curve; see the properties.
    public init(title: String, xLabel: String, yLabel: String, series: [Charts.Series], bands: [Charts.Band], percentY: Bool) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.bands = bands
        self.percentY = percentY
    }
}

/// report.md, report.html and metrics.json for one evaluation.
public struct Report {
    /// What the report is of: a training run (its model, trained and then evaluated) or an
    /// evaluation of a model that already existed.
    public enum Subject: String, Sendable, Codable {
        /// A training run: its model, trained and then evaluated.
        case training
        /// An evaluation of a model that already existed.
        case evaluation
    }

    /// Whether it reports a training run or an evaluation.
    public var subject: Subject
    /// The model's scores and predictions on the images.
    public var evaluation: Evaluation
    /// Everything computed from `evaluation`.
    public var analysis: Analysis
    /// The evaluated images (for the pictures).
    public var images: LabeledImages
    /// What was evaluated: ("model", "lenet5"), ("checkpoint", path), then the checkpoint's metadata.
    public var about: [(String, String)]
    /// The training curve (training reports), or nil.
    public var curve: TrainingCurve?
    /// The recipes this run sits among (MNIST runs), or nil.
    public var comparison: RecipeComparison?

    /// A report of `evaluation` on `images`. `about` lists what was evaluated; `classNames` default to
    /// "0", "1", ...
    public init(_ subject: Subject, evaluation: Evaluation, images: LabeledImages, about: [(String, String)], curve: TrainingCurve?,
                classNames: [String]? = nil, comparison: RecipeComparison? = nil) {
        self.subject = subject
        self.comparison = comparison
        self.evaluation = evaluation
        self.analysis = Analysis(evaluation, classNames: classNames)
        self.images = images
        self.about = about
        self.curve = curve
    }

    /// What the report says it is: "Training report: lenet5 on mnist", or "Evaluation report:
    /// models/lenet5-modern.safetensors (lenet5) on mnist".
    public var title: String {
        func value(_ key: String) -> String? { about.first { $0.0 == key }?.1 }
        let model = value("model") ?? "LeNet-5", dataset = value("dataset") ?? "mnist"
        switch subject {
        case .training: return "Training report: \(model) on \(dataset)"
        case .evaluation:
            let checkpoint = value("checkpoint").map { "\($0) (\(model))" } ?? model
            return "Evaluation report: \(checkpoint) on \(dataset)"
        }
    }

    /// Writes the three files into `folder` (each to a temporary name, then renamed); returns their paths.
    @discardableResult
    public func write(into folder: String) throws -> [String] {
        let paths = ["report.md", "report.html", "metrics.json"].map { (folder as NSString).appendingPathComponent($0) }
        try Files.writeAtomically(Array(markdown().utf8), to: paths[0])
        try Files.writeAtomically(Array(try html().utf8), to: paths[1])
        try Files.writeAtomically(try metricsJSON(), to: paths[2])
        return paths
    }

    // MARK: - Shared pieces

    var names: [String] { analysis.classNames }
    func percent(_ value: Double, digits: Int = 2) -> String { String(format: "%.\(digits)f%%", 100 * value) }

    /// The scores of an example with `*` after the predicted one, as in the write-up's tables.
    func scores(_ example: Example) -> [String] {
        example.logits.enumerated().map { c, v in String(format: "%.4f", v) + (c == example.predicted ? "*" : "") }
    }

    // MARK: - metrics.json

    /// What metrics.json holds: the analysis, and the examples with their scores.
    public struct Metrics: Codable {
        /// "training" or "evaluation", and the report's title.
        public var subject: Subject
        /// The report's title: "Training report: lenet5 on mnist".
        public var title: String
        /// What was evaluated, as in `about` (the first of each key).
        public var about: [String: String]
        /// The evaluation's analysis.
        public var analysis: Analysis
        /// The first ten misclassified test images.
        public var firstWrong: [ExampleRecord]
        /// The first ten correctly classified test images.
        public var firstCorrect: [ExampleRecord]
        /// Every misclassified test image.
        public var misclassified: [ExampleRecord]
    }

    /// One test image's prediction, as metrics.json records it.
    public struct ExampleRecord: Codable, Equatable {
        /// Its index in the test set.
        public var index: Int
        /// Its true class.
        public var label: Int
        /// The predicted class.
        public var predicted: Int
        /// Its scores: logits, or the RBF's penalties.
        public var scores: [Float]
        /// The predicted class's probability (softmax of the scores, or of minus the penalties).
        public var probability: Double
        /// The runner-up class.
        public var secondGuess: Int
        /// The runner-up's probability.
        public var secondProbability: Double
    }

    func record(_ example: Example, _ probabilities: [Double]) -> ExampleRecord {
        let two = Analysis.topTwo(probabilities, image: example.index, classes: evaluation.classCount)
        return ExampleRecord(index: example.index, label: example.label, predicted: example.predicted, scores: example.logits,
                             probability: probabilities[example.index * evaluation.classCount + example.predicted],
                             secondGuess: two.count > 1 ? two[1].0 : two[0].0, secondProbability: two.count > 1 ? two[1].1 : 0)
    }

    /// What metrics.json holds.
    public func metrics() -> Metrics {
        let probabilities = Analysis.probabilities(evaluation)
        let wrongAll = (0..<evaluation.count).filter { evaluation.predictions[$0] != evaluation.labels[$0] }.map(evaluation.example)
        return Metrics(subject: subject, title: title, about: Dictionary(about, uniquingKeysWith: { a, _ in a }), analysis: analysis,
                       firstWrong: evaluation.firstIncorrect(10).map { record($0, probabilities) },
                       firstCorrect: evaluation.firstCorrect(10).map { record($0, probabilities) },
                       misclassified: wrongAll.map { record($0, probabilities) })
    }

    /// metrics.json: `metrics()` as pretty-printed JSON with sorted keys (non-finite numbers as strings).
    public func metricsJSON() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return Array(try encoder.encode(metrics()))
    }

    // MARK: - report.md

    /// report.md: the accuracy line, the analysis, the 20 examples and the curve's numbers, in Markdown.
    public func markdown() -> String {
        var md = "# \(title)\n\n"
        for (key, value) in about { md += "- **\(key)**: \(value)\n" }
        md += "\n## Accuracy\n\n"
        md += evaluation.accuracyLine + "\n\n"
        if let comparison { md += comparisonMarkdown(comparison) + "\n" }
        md += "## The first 10 wrong predictions\n\n" + exampleTable(evaluation.firstIncorrect(10))
        md += "\n## The first 10 correct predictions\n\n" + exampleTable(evaluation.firstCorrect(10))
        md += "\n`*` marks the predicted class's \(evaluation.scores.smallestWins ? "penalty (the smallest)" : "logit (the largest)").\n"
        md += "\n## Per class\n\n| class | images | predicted as | precision | recall |\n|---|---:|---:|---:|---:|\n"
        for c in analysis.classes {
            md += "| \(c.name) | \(c.support) | \(c.predicted) | \(percent(c.precision)) | \(percent(c.recall)) |\n"
        }
        md += "\n## Confusion matrix\n\nRows: the actual class; columns: the predicted class.\n\n"
        md += "| actual \\ predicted | " + names.joined(separator: " | ") + " |\n|---|" + String(repeating: "---:|", count: names.count) + "\n"
        for (r, row) in analysis.confusion.enumerated() {
            md += "| **\(names[r])** | " + row.enumerated().map { c, v in c == r ? "**\(v)**" : (v == 0 ? "·" : "\(v)") }.joined(separator: " | ") + " |\n"
        }
        let confidence = analysis.confidence
        md += "\n## Confidence\n\n" + confidence.summary + "\n\n"
        md += "Confidence is the \(confidence.measure).\n\n"
        if let c = confidence.meanTopProbabilityCorrect { md += "- mean confidence of the correct predictions: \(percent(c))\n" }
        if let w = confidence.meanTopProbabilityWrong { md += "- mean confidence of the wrong predictions: \(percent(w))\n" }
        md += "- share to reject for 0.5% error, least confident first: " + (confidence.rejectionFor05PercentError.map { percent($0, digits: 1) } ?? "not reachable") + "\n"
        md += "- the same, ranked by the margin between the top two scores (the paper's Fig. 10 criterion): "
            + (confidence.rejectionFor05PercentErrorByMargin.map { percent($0, digits: 1) } ?? "not reachable") + "\n"
        md += "  (the paper: LeNet-4 needed 1.8%, boosted LeNet-4 0.5%)\n\n"
        md += "| rejected | kept accuracy |\n|---:|---:|\n"
        for point in confidence.rejectionCurve where [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2].contains(where: { abs($0 - point.rejectedShare) < 1e-9 }) {
            md += "| \(percent(point.rejectedShare, digits: 1)) (\(point.rejected)) | \(percent(point.keptAccuracy)) |\n"
        }
        md += "\nreport.html has the pictures: the training curve, the confusion matrix as a heat map, every misclassified image, the confidence distributions and the rejection curve.\n"
        return md
    }

    func exampleTable(_ examples: [Example]) -> String {
        guard !examples.isEmpty else { return "(none)\n" }
        var md = "| image | index | predicted | actual | \(evaluation.scoreName.lowercased()) (" + names.joined(separator: ", ") + ") |\n|---|---:|---:|---:|---|\n"
        for e in examples {
            md += "| ![\(e.fileName)](\(e.fileName)) | \(e.index) | \(names[e.predicted]) | \(names[e.label]) | \(scores(e).joined(separator: ", ")) |\n"
        }
        return md
    }

    // MARK: - report.html

    func dataURI(_ index: Int) throws -> String {
        let image = Image(width: images.columns, height: images.rows, channels: 1, pixels: Array(images.image(index)).map { 255 - $0 })
        return "data:image/png;base64," + Data(try PNG.encode(image)).base64EncodedString()
    }

    static func escape(_ text: String) -> String { Charts.escape(text) }

    /// report.html: the same as report.md with the pictures and the SVG charts, one self-contained page.
    public func html() throws -> String {
        let probabilities = Analysis.probabilities(evaluation)
        let confidence = analysis.confidence
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Self.escape(title)): \(percent(analysis.accuracy))</title>
            <style>
            body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; background: #f8fafc; margin: 0; }
            main { max-width: 1000px; margin: 0 auto; padding: 24px; }
            h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
            .big { font-size: 44px; font-weight: 700; color: #1d4ed8; } .muted { color: #6b7280; }
            .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 16px; margin: 12px 0; }
            table { border-collapse: collapse; font-variant-numeric: tabular-nums; } td, th { padding: 3px 8px; border-bottom: 1px solid #f1f5f9; text-align: right; }
            th { color: #374151; font-weight: 600; } td.left, th.left { text-align: left; }
            img.digit { width: 56px; height: 56px; image-rendering: pixelated; border: 1px solid #d1d5db; border-radius: 4px; display: block; }
            td.score, th.score { font-size: 12.5px; padding: 3px 5px; } td.pick { font-weight: 700; color: #1d4ed8; background: #eff6ff; }
            .wrong td.pick { color: #b91c1c; background: #fef2f2; } .scroll { overflow-x: auto; } .small { font-size: 13px; }
            .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(112px, 1fr)); gap: 8px; }
            .gallery figure { margin: 0; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 6px; text-align: center; font-size: 12px; }
            .gallery img { margin: 0 auto 4px; } .gallery b { color: #b91c1c; }
            .charts { display: flex; flex-wrap: wrap; gap: 12px; } .chart { width: 100%; height: auto; background: #fff; }
            .half { flex: 1 1 340px; } .heat { max-width: 500px; }
            .chart .title { font-size: 14px; font-weight: 600; fill: #111827; } .chart .tick { font-size: 11px; fill: #4b5563; }
            .chart .label { font-size: 12px; fill: #374151; } .chart .legend { font-size: 12px; fill: #111827; } .chart .band { font-size: 11px; fill: #475569; }
            .chart .grid { stroke: #e5e7eb; } .chart .axis { stroke: #9ca3af; } .chart .cell { font-size: 12px; }
            .advice { font-size: 17px; background: #ecfdf5; border-color: #a7f3d0; }
            dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; } dt { color: #6b7280; } dd { margin: 0; word-break: break-all; }
            </style></head><body><main>
            <h1>\(Self.escape(title))</h1>
            <div class="big">\(percent(analysis.accuracy))</div>
            <div class="muted">\(Self.escape(evaluation.accuracyLine))</div>
            <div class="card"><dl>
            """
        for (key, value) in about { h += "<dt>\(Self.escape(key))</dt><dd>\(Self.escape(value))</dd>" }
        h += "</dl></div>\n"
        if let curve {
            h += "<h2>Training</h2><div class=\"card\">"
                + Charts.lines(curve.series, bands: curve.bands, title: curve.title, xLabel: curve.xLabel, yLabel: curve.yLabel, percentY: curve.percentY)
                + "</div>\n"
        }
        if let comparison { h += comparisonHTML(comparison) }
        h += "<h2>The first 10 wrong predictions</h2>" + (try exampleTableHTML(evaluation.firstIncorrect(10), wrong: true))
        h += "<h2>The first 10 correct predictions</h2>" + (try exampleTableHTML(evaluation.firstCorrect(10), wrong: false))
        h += "<p class=\"muted\">The bold \(evaluation.scores.smallestWins ? "penalty is the smallest, the predicted class" : "logit is the largest, the predicted class").</p>\n"

        h += "<h2>Confusion matrix and per-class scores</h2><div class=\"charts\"><div class=\"card half\">"
            + Charts.heatMap(analysis.confusion, names: names, title: "Actual (rows) against predicted (columns)") + "</div>"
        h += "<div class=\"card half\"><table><tr><th class=\"left\">class</th><th>images</th><th>precision</th><th>recall</th></tr>"
        for c in analysis.classes {
            h += "<tr><td class=\"left\">\(Self.escape(c.name))</td><td>\(c.support)</td><td>\(percent(c.precision))</td><td>\(percent(c.recall))</td></tr>"
        }
        h += "</table></div></div>\n"

        h += "<h2>Confidence: can the doubtful cases be told apart?</h2>"
        h += "<div class=\"card advice\">\(Self.escape(confidence.summary))</div>"
        h += "<div class=\"charts\"><div class=\"card half\">"
            + Charts.histogram(correct: confidence.topProbability.correct, wrong: confidence.topProbability.wrong,
                               lower: confidence.topProbability.lowerBound, upper: confidence.topProbability.upperBound,
                               title: "Confidence (\(confidence.measure))", xLabel: "top probability (share of each group per bin)")
            + "</div><div class=\"card half\">"
            + Charts.histogram(correct: confidence.margin.correct, wrong: confidence.margin.wrong,
                               lower: confidence.margin.lowerBound, upper: confidence.margin.upperBound,
                               title: "Margin between the top two \(evaluation.scoreName.lowercased())", xLabel: "margin")
            + "</div></div>"
        let curvePoints = confidence.rejectionCurve.map { (x: 100 * $0.rejectedShare, y: $0.keptAccuracy) }
        let lowest = (curvePoints.map(\.y).min() ?? 0)
        h += "<div class=\"card\">" + Charts.lines([Charts.Series(name: "kept accuracy", points: curvePoints, colour: Charts.colour(2))],
                                                   title: "Accuracy of the kept images when the least confident are rejected",
                                                   xLabel: "rejected, least confident first (% of the test images)", yLabel: "accuracy of the rest",
                                                   yRange: max(0, lowest - 0.002)...1, percentY: true) + "</div>"
        h += "<p>To reach 0.5% error, reject <b>" + (confidence.rejectionFor05PercentError.map { percent($0, digits: 1) } ?? "—")
            + "</b> ranking by confidence, or <b>" + (confidence.rejectionFor05PercentErrorByMargin.map { percent($0, digits: 1) } ?? "—")
            + "</b> ranking by the margin between the top two scores, the paper's Fig. 10 measure (LeNet-4 needed 1.8%, boosted LeNet-4 0.5%).</p>\n"

        let wrong = (0..<evaluation.count).filter { evaluation.predictions[$0] != evaluation.labels[$0] }
        h += "<h2>Every misclassified image (\(wrong.count))</h2><p class=\"muted\">Each with its label, the top two guesses and their probabilities, in test-set order.</p><div class=\"gallery\">"
        for n in wrong {
            let two = Analysis.topTwo(probabilities, image: n, classes: evaluation.classCount)
            let second = two.count > 1 ? two[1] : two[0]
            h += "<figure><img class=\"digit\" src=\"\(try dataURI(n))\" alt=\"test image \(n)\">#\(n): a \(Self.escape(names[evaluation.labels[n]]))<br>"
                + "guess <b>\(Self.escape(names[two[0].0]))</b> (\(percent(two[0].1, digits: 0)))<br>then \(Self.escape(names[second.0])) (\(percent(second.1, digits: 0)))</figure>"
        }
        h += "</div>\n<p class=\"muted\">Made by lenet. metrics.json holds every number on this page.</p></main></body></html>\n"
        return h
    }

    func exampleTableHTML(_ examples: [Example], wrong: Bool) throws -> String {
        guard !examples.isEmpty else { return "<p>(none)</p>" }
        var h = "<div class=\"card scroll\"><table class=\"examples \(wrong ? "wrong" : "right")\"><tr><th class=\"left\">image</th><th>index</th><th>predicted</th><th>actual</th>"
            + names.map { "<th class=\"score\">\(Self.escape($0))</th>" }.joined() + "</tr>"
        for e in examples {
            let cells = e.logits.enumerated().map { c, v in
                "<td class=\"score\(c == e.predicted ? " pick" : "")\">" + String(format: "%.4f", v) + (c == e.predicted ? "*" : "") + "</td>"
            }.joined()
            h += "<tr><td class=\"left\"><img class=\"digit\" src=\"\(try dataURI(e.index))\" alt=\"\(e.fileName)\"></td><td>\(e.index)</td><td>\(Self.escape(names[e.predicted]))</td><td>\(Self.escape(names[e.label]))</td>\(cells)</tr>"
        }
        return h + "</table></div><p class=\"muted small\">The columns \(names.first ?? "")-\(names.last ?? "") are the \(evaluation.scoreName.lowercased()) of each class.</p>"
    }
}
