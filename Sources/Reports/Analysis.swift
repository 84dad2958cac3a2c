import Foundation
import NeuralNetwork

/// Everything the reports say about an evaluation, computed once: the confusion matrix, per-class
/// precision and recall, and the confidence analysis. Every number in report.md and report.html
/// comes from here, and metrics.json is this value encoded.
public struct Analysis: Codable, Sendable {
    /// One class's counts, precision and recall.
    public struct ClassMetrics: Codable, Sendable, Equatable {
        /// The class's name.
        public var name: String
        /// Test images of this class.
        public var support: Int
        /// Images predicted as this class.
        public var predicted: Int
        /// Images of this class predicted as it.
        public var truePositives: Int
        /// Of the images predicted as this class, the share that are (1 when none were predicted).
        public var precision: Double
        /// Of the images of this class, the share predicted as it (1 when there are none).
        public var recall: Double
    }

    /// One point of the rejection curve: reject the `rejected` least confident images, keep the rest.
    public struct RejectionPoint: Codable, Sendable, Equatable {
        /// The share of the images rejected (0...0.2).
        public var rejectedShare: Double
        /// How many images are rejected.
        public var rejected: Int
        /// The accuracy of the images kept.
        public var keptAccuracy: Double
    }

    /// Counts of a quantity in equal bins, for correct and for wrong predictions.
    public struct Histogram: Codable, Sendable, Equatable {
        /// The first bin's lower edge.
        public var lowerBound: Double
        /// The last bin's upper edge.
        public var upperBound: Double
        /// Correct predictions per bin.
        public var correct: [Int]
        /// Wrong predictions per bin.
        public var wrong: [Int]
    }

    /// What rejecting the least confident predictions buys.
    public struct Confidence: Codable, Sendable {
        /// How confidence is measured: "top softmax probability" (write-up model) or "top
        /// softmax(-penalty) probability" (the 1998 model's RBF penalties).
        public var measure: String
        /// The top probability, in twenty bins from 0 to 1.
        public var topProbability: Histogram
        /// Top score minus the runner-up's (for penalties: runner-up minus top; always >= 0).
        public var margin: Histogram
        /// The mean top probability of the correct predictions (nil: none).
        public var meanTopProbabilityCorrect: Double?
        /// The mean top probability of the wrong predictions (nil: none).
        public var meanTopProbabilityWrong: Double?
        /// Accuracy of the kept images against the share rejected, least confident first, from 0% to 20%.
        public var rejectionCurve: [RejectionPoint]
        /// The smallest share of the least confident (by top probability) that must be rejected for the
        /// kept images to have at most 0.5% error (the paper's Fig. 10 measure); nil if even 100% is not enough.
        public var rejectionFor05PercentError: Double?
        /// The same, ranking by the margin between the top two scores (the paper's own criterion).
        public var rejectionFor05PercentErrorByMargin: Double?
        /// Accuracy when the 1% least confident are rejected.
        public var accuracyRejecting1Percent: Double
        /// "Rejecting the 1% least confident predictions raises accuracy from 98.14% to 99.31%; ..."
        public var summary: String
    }

    /// Images evaluated.
    public var count: Int
    /// Images predicted right.
    public var correct: Int
    /// correct / count.
    public var accuracy: Double
    /// The classes' names, class 0 first.
    public var classNames: [String]
    /// confusion[actual][predicted].
    public var confusion: [[Int]]
    /// Each class's counts, precision and recall, class 0 first.
    public var classes: [ClassMetrics]
    /// What rejecting the least confident predictions buys.
    public var confidence: Confidence

    /// Analyses `evaluation`; `classNames` default to "0", "1", ...
    public init(_ evaluation: Evaluation, classNames: [String]? = nil) {
        let k = evaluation.classCount
        let names = classNames ?? (0..<k).map(String.init)
        count = evaluation.count
        correct = evaluation.correct
        accuracy = evaluation.accuracy
        self.classNames = names
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (label, predicted) in zip(evaluation.labels, evaluation.predictions) { confusion[label][predicted] += 1 }
        self.confusion = confusion
        classes = (0..<k).map { c in
            let support = confusion[c].reduce(0, +)
            let predicted = confusion.reduce(0) { $0 + $1[c] }
            let hits = confusion[c][c]
            return ClassMetrics(name: names[c], support: support, predicted: predicted, truePositives: hits,
                                precision: predicted == 0 ? 1 : Double(hits) / Double(predicted),
                                recall: support == 0 ? 1 : Double(hits) / Double(support))
        }
        confidence = Self.confidence(evaluation)
    }

    /// The softmax probabilities of each image's scores (of the negated penalties for the 1998 model).
    public static func probabilities(_ evaluation: Evaluation) -> [Double] {
        let k = evaluation.classCount, penalties = evaluation.scores.smallestWins
        return (0..<evaluation.count).flatMap { n in
            Evaluation.probabilities(evaluation.logits[(n * k)..<((n + 1) * k)], penalties: penalties)
        }
    }

    /// The two best classes of image `n` and their probabilities.
    public static func topTwo(_ probabilities: [Double], image n: Int, classes k: Int) -> [(Int, Double)] {
        let order = (0..<k).sorted { (a: Int, b: Int) -> Bool in
            let pa: Double = probabilities[n * k + a], pb: Double = probabilities[n * k + b]
            return pa > pb || (pa == pb && a < b)
        }
        return order.prefix(2).map { ($0, probabilities[n * k + $0]) }
    }

    static func confidence(_ evaluation: Evaluation) -> Confidence {
        let k = evaluation.classCount, n = evaluation.count
        let probabilities = Self.probabilities(evaluation)
        let isPenalty = evaluation.scores.smallestWins
        var top = [Double](repeating: 0, count: n), margin = [Double](repeating: 0, count: n)
        var isCorrect = [Bool](repeating: false, count: n)
        for i in 0..<n {
            top[i] = (0..<k).map { probabilities[i * k + $0] }.max() ?? 0
            let scores = (0..<k).map { Double(evaluation.logits[i * k + $0]) * (isPenalty ? -1 : 1) }.sorted(by: >)
            margin[i] = k > 1 ? scores[0] - scores[1] : 0
            isCorrect[i] = evaluation.predictions[i] == evaluation.labels[i]
        }
        func histogram(_ values: [Double], lower: Double, upper: Double, bins: Int) -> Histogram {
            var h = Histogram(lowerBound: lower, upperBound: upper, correct: Array(repeating: 0, count: bins), wrong: Array(repeating: 0, count: bins))
            // (A model whose training diverged has NaN scores: they count in the lowest bin.)
            for i in 0..<n {
                let position = (values[i] - lower) / (upper - lower) * Double(bins)
                let bin = position.isFinite ? min(bins - 1, max(0, Int(position))) : (position == .infinity ? bins - 1 : 0)
                if isCorrect[i] { h.correct[bin] += 1 } else { h.wrong[bin] += 1 }
            }
            return h
        }
        /// Images ordered from least to most confident by `values` (ties: test-set order).
        func ranking(_ values: [Double]) -> [Int] { (0..<n).sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) } }
        /// Errors among the kept images after rejecting the first r of each ranking, for every r.
        func errorsKept(_ order: [Int]) -> [Int] {
            var errors = isCorrect.filter { !$0 }.count
            var result = [errors]
            for i in order {
                if !isCorrect[i] { errors -= 1 }
                result.append(errors)
            }
            return result
        }
        let byProbability = errorsKept(ranking(top)), byMargin = errorsKept(ranking(margin))
        func accuracyAfter(_ rejected: Int, _ errors: [Int]) -> Double {
            let kept = n - rejected
            return kept == 0 ? 1 : Double(kept - errors[rejected]) / Double(kept)
        }
        func shareFor(_ target: Double, _ errors: [Int]) -> Double? {
            for r in 0...n where n - r > 0 && Double(errors[r]) <= target * Double(n - r) { return Double(r) / Double(max(n, 1)) }
            return nil
        }
        var curve: [RejectionPoint] = []
        for step in 0...40 {
            let share = Double(step) * 0.005
            let rejected = min(n, Int((share * Double(n)).rounded()))
            curve.append(RejectionPoint(rejectedShare: share, rejected: rejected, keptAccuracy: accuracyAfter(rejected, byProbability)))
        }
        let onePercent = min(n, Int((0.01 * Double(n)).rounded()))
        let accuracy1 = accuracyAfter(onePercent, byProbability)
        let share05 = shareFor(0.005, byProbability)
        let meanOf = { (wanted: Bool) -> Double? in
            let values = (0..<n).filter { isCorrect[$0] == wanted }.map { top[$0] }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        let base = accuracyAfter(0, byProbability)
        var summary = String(format: "Rejecting the 1%% least confident predictions (%d of %d images) raises accuracy from %.2f%% to %.2f%%",
                             onePercent, n, 100 * base, 100 * accuracy1)
        if let share05 {
            summary += share05 == 0
                ? "; the error is already at most 0.5% without rejecting any."
                : String(format: "; to bring the error down to 0.5%%, reject the %.1f%% least confident.", 100 * share05)
        } else {
            summary += "; no amount of rejection brings the error down to 0.5%."
        }
        return Confidence(
            measure: isPenalty ? "top softmax(-penalty) probability" : "top softmax probability",
            topProbability: histogram(top, lower: 0, upper: 1, bins: 20),
            margin: histogram(margin, lower: 0, upper: max(1, (margin.max() ?? 1).rounded(.up)), bins: 20),
            meanTopProbabilityCorrect: meanOf(true), meanTopProbabilityWrong: meanOf(false),
            rejectionCurve: curve, rejectionFor05PercentError: share05,
            rejectionFor05PercentErrorByMargin: shareFor(0.005, byMargin),
            accuracyRejecting1Percent: accuracy1, summary: summary)
    }
}
