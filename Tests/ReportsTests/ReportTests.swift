import NeuralNetwork
import Datasets
import Foundation
import TestFolders
import LeNet
import Runs
import Testing
@testable import Reports

@Suite struct ReportTests {
    /// Six images, three classes: labels 0 0 1 1 2 2; predictions 0 1 1 1 2 0, with logits whose
    /// largest entry is the prediction and whose margins are known.
    static func evaluation() -> Evaluation {
        let logits: [Float] = [
            5, 0, 0,     // 0 -> 0, margin 5
            1, 1.5, 0,   // 0 -> 1, margin 0.5 (wrong, doubtful)
            0, 4, 0,     // 1 -> 1, margin 4
            0, 3, 1,     // 1 -> 1, margin 2
            0, 0, 6,     // 2 -> 2, margin 6
            2, 0, 1.9,   // 2 -> 0, margin 0.1 (wrong, doubtful)
        ]
        return Evaluation(count: 6, classCount: 3, logits: logits, predictions: [0, 1, 1, 1, 2, 0], labels: [0, 0, 1, 1, 2, 2])
    }

    static func images() -> LabeledImages {
        LabeledImages(count: 6, rows: 28, columns: 28, pixels: (0..<(6 * 784)).map { UInt8($0 % 251) }, labels: [0, 0, 1, 1, 2, 2], classCount: 3)
    }

    @Test func aDivergedModelsNaNScoresAreAnalysedNotATrap() throws {
        // A run whose loss went to NaN (`--schedule 1x50`) still gets its reports.
        let nan = Float.nan
        let evaluation = Evaluation(count: 3, classCount: 3, logits: [nan, nan, nan, 1, nan, 0, 0, 0, 0], predictions: [0, 0, 0], labels: [0, 1, 2])
        let analysis = Analysis(evaluation, classNames: ["zero", "one", "two"])
        #expect(analysis.confusion.reduce(0) { $0 + $1.reduce(0, +) } == 3)
        let history = TrainingHistory(schedule: [Phase(epochs: 1, learningRate: 50)])
        var diverged = history
        diverged.record(.runningLoss(learningRate: 50, epoch: 1, batch: 100, loss: .nan), batchesPerEpoch: 938)
        let bytes = try JSONEncoder.pretty.encode(diverged)
        #expect(try JSONDecoder.pretty.decode(TrainingHistory.self, from: bytes).lossPoints[0].loss.isNaN)
    }

    @Test func theConfusionMatrixAndPerClassScoresAgreeWithTheEvaluation() {
        let analysis = Analysis(Self.evaluation(), classNames: ["zero", "one", "two"])
        #expect(analysis.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
        #expect(analysis.correct == 4 && analysis.count == 6)
        #expect(analysis.classes.map(\.precision) == [0.5, 2.0 / 3.0, 1])
        #expect(analysis.classes.map(\.recall) == [0.5, 1, 0.5])
        #expect(analysis.classes.map(\.support) == [2, 2, 2])
    }

    @Test func rejectingTheLeastConfidentRemovesTheDoubtfulErrors() {
        let confidence = Analysis(Self.evaluation()).confidence
        // Both errors are the two least confident: rejecting 2 of 6 leaves no error.
        #expect(confidence.rejectionFor05PercentError == 2.0 / 6.0)
        #expect(confidence.rejectionFor05PercentErrorByMargin == 2.0 / 6.0)
        #expect(confidence.rejectionCurve.first?.keptAccuracy == 4.0 / 6.0)
        #expect(confidence.topProbability.correct.reduce(0, +) == 4 && confidence.topProbability.wrong.reduce(0, +) == 2)
        #expect(confidence.margin.wrong[0] == 1 && confidence.margin.wrong[1] == 1)  // margins 0.1 and 0.5, bins 0.3 wide over 0...6
        #expect(confidence.summary.contains("from 66.67%"))
    }

    @Test func penaltiesCountTheSmallestAsTheMostLikely() {
        var evaluation = Self.evaluation()
        evaluation.logits = evaluation.logits.map { -$0 }
        evaluation.scores = .penalties
        let probabilities = Analysis.probabilities(evaluation)
        let plain = Analysis.probabilities(Self.evaluation())
        #expect(zip(probabilities, plain).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func theThreeFilesCarryTheSameNumbers() throws {
        let folder = TestFolders.path("report")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var history = TrainingHistory(schedule: [Phase(epochs: 1, learningRate: 0.01), Phase(epochs: 1, learningRate: 0.001)])
        history.record(.runningLoss(learningRate: 0.01, epoch: 1, batch: 1, loss: 2), batchesPerEpoch: 2)
        history.record(.epochFinished(epoch: 1, phase: 1, meanLoss: 1.5, seconds: 1), batchesPerEpoch: 2)
        history.record(.runningLoss(learningRate: 0.001, epoch: 1, batch: 2, loss: 1), batchesPerEpoch: 2)
        #expect(history.lossPoints.map(\.epoch) == [0.5, 2])
        let report = Report(.training, evaluation: Self.evaluation(), images: Self.images(), about: [("model", "test")],
                            curve: TrainingCurve(history: history), classNames: ["zero", "one", "two"])
        let paths = try report.write(into: folder)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: paths[2]))) as! [String: Any]
        let analysis = metrics["analysis"] as! [String: Any]
        #expect(analysis["accuracy"] as? Double == 4.0 / 6.0)
        #expect(metrics["subject"] as? String == "training" && metrics["title"] as? String == "Training report: test on mnist")
        #expect(analysis["confusion"] as? [[Int]] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
        #expect((metrics["misclassified"] as! [[String: Any]]).map { $0["index"] as! Int } == [1, 5])
        let markdown = try String(contentsOfFile: paths[0], encoding: .utf8)
        #expect(markdown.hasPrefix("# Training report: test on mnist\n"))
        #expect(markdown.contains(Self.evaluation().accuracyLine))
        #expect(markdown.contains("| 1 | one | zero | 1.0000, 1.5000*, 0.0000 |"))
        #expect(markdown.contains("| **two** | 1 | · | **1** |"))
        let html = try String(contentsOfFile: paths[1], encoding: .utf8)
        #expect(html.contains("66.67%") && html.contains("<h1>Training report: test on mnist</h1>"))
        #expect(html.components(separatedBy: "<figure>").count - 1 == 2)  // one card per misclassified image
        #expect(html.components(separatedBy: "<svg").count - 1 == 5)  // curve, heat map, two histograms, rejection
        #expect(html.contains("lr 0.01") && html.contains("lr 0.001"))
        #expect(!html.contains("<script"))
    }

    /// A run's report places it among the recipes: its row follows the recipe it used, with its own error.
    @Test func theComparisonPlacesTheRunUnderItsRecipe() {
        let family = ReportFiles.family
        func row(_ model: String, _ metadata: [String: String]) -> String? {
            RecipeComparison.entry(in: family, model: model, metadata: metadata).map { family[$0].command }
        }
        #expect(row("lenet5", ["dataset": "mnist"]) == "lenet train")
        #expect(row("lenet5", [:]) == "lenet train")
        #expect(row("lenet5", ["recipe": "modern"]) == "lenet train --recipe modern")
        #expect(row("lenet5-1998", [:]) == "lenet train --model lenet5-1998")
        #expect(row("lenet5-1998", ["distortions": "27000 per pass"]) == "lenet train --model lenet5-1998 --distort")
        #expect(row("lenet1", [:]) == "lenet train --model lenet1")
        #expect(row("lenet4", [:]) == "lenet train --model lenet4")
        #expect(row("lenet5", ["dataset": "fashion-mnist"]) == nil)
        // Every kind has a row, and every row's command names its kind (or is the write-up's).
        #expect(Set(family.map(\.model)) == Set(ModelKinds.all.map { $0.kind }))
        for entry in family { #expect(entry.command.contains("--model \(entry.model)") || entry.model == "lenet5") }
        let modernRow = family.firstIndex { $0.recipe == "modern" }
        let comparison = RecipeComparison(entries: family, highlighted: modernRow, runError: 0.0043)
        let report = Report(.training, evaluation: Self.evaluation(), images: Self.images(), about: [("model", "lenet5")], curve: nil, comparison: comparison)
        let markdown = report.markdown()
        let lines = markdown.split(separator: "\n")
        let modern = lines.firstIndex { $0.contains("`lenet train --recipe modern`") }!
        #expect(lines[modern + 1] == "| **this run** | **0.43%** | | | | |")
        #expect(lines.filter { $0.hasPrefix("| **this run**") }.count == 1)
        let html = (try? report.html()) ?? ""
        #expect(html.contains("Where this run stands") && html.contains("<td class=\"pick\">0.43%</td>"))
        let plain = Report(.evaluation, evaluation: Self.evaluation(), images: Self.images(),
                           about: [("model", "test"), ("checkpoint", "m.safetensors"), ("dataset", "fashion-mnist")], curve: nil)
        #expect(!plain.markdown().contains("Where this run stands"))
        #expect(plain.markdown().hasPrefix("# Evaluation report: m.safetensors (test) on fashion-mnist\n"))
    }
}
