import FileFormats
import Foundation

/// One test image, its label, the prediction and the logits.
public struct Example: Sendable, Equatable {
    /// The image's position in the evaluated set.
    public var index: Int
    /// Its label.
    public var label: Int
    /// The class the model chose.
    public var predicted: Int
    /// The model's scores for it, one per class.
    public var logits: [Float]
    /// What the scores are: the write-up's logits, or the 1998 model's RBF penalties.
    public var scores = ScoreKind.logits
    /// "logits" or "penalties".
    public var scoreName: String { scores.name }
    /// Whether the prediction is the label.
    public var isCorrect: Bool { label == predicted }

    /// An example from its parts.
    public init(index: Int, label: Int, predicted: Int, logits: [Float], scores: ScoreKind = .logits) {
        self.index = index
        self.label = label
        self.predicted = predicted
        self.logits = logits
        self.scores = scores
    }

    /// The write-up's file name: `correct_0_label_7_predicted_7.png` or `incorrect_151_label_9_predicted_8.png`.
    public var fileName: String {
        "\(isCorrect ? "correct" : "incorrect")_\(index)_label_\(label)_predicted_\(predicted).png"
    }

    /// `151 mismatch. Predicted 8 but it was labeled 9. Logits: [...]` or
    /// `0 match. Predicted 7 and it was labeled 7. Logits: [...]`.
    public var line: String {
        let values = logits.map { String(format: "%.4f", $0) }.joined(separator: ", ")
        return isCorrect
            ? "\(index) match. Predicted \(predicted) and it was labeled \(label). \(scoreName): [\(values)]"
            : "\(index) mismatch. Predicted \(predicted) but it was labeled \(label). \(scoreName): [\(values)]"
    }
}

/// The outcome of running the model over a labeled set.
public struct Evaluation: Sendable {
    /// The number of images evaluated.
    public var count: Int
    /// The number of classes (the scores per image).
    public var classCount: Int
    /// [count, classCount], row after row.
    public var logits: [Float]
    /// The class chosen for each image.
    public var predictions: [Int]
    /// Each image's label.
    public var labels: [Int]
    /// Logits, or penalties for the 1998 model's RBF outputs (smallest wins).
    public var scores = ScoreKind.logits
    /// "logits" or "penalties".
    public var scoreName: String { scores.name }

    /// An evaluation from its parts.
    public init(count: Int, classCount: Int, logits: [Float], predictions: [Int], labels: [Int], scores: ScoreKind = .logits) {
        self.count = count
        self.classCount = classCount
        self.logits = logits
        self.predictions = predictions
        self.labels = labels
        self.scores = scores
    }

    /// Images whose prediction is their label.
    public var correct: Int { zip(predictions, labels).filter { $0 == $1 }.count }
    /// Images predicted wrong: `count - correct`.
    public var incorrect: Int { count - correct }
    /// `correct / count` (0 for no images).
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }

    /// `Test Accuracy of the model on the 10000 test images: 98.14% (9814 correct, 186 incorrect)`.
    public var accuracyLine: String {
        "Test Accuracy of the model on the \(count) test images: \(String(format: "%.2f", 100 * accuracy))% (\(correct) correct, \(incorrect) incorrect)"
    }

    /// Image `index` with its label, prediction and scores.
    public func example(_ index: Int) -> Example {
        Example(index: index, label: labels[index], predicted: predictions[index],
                logits: Array(logits[(index * classCount)..<((index + 1) * classCount)]), scores: scores)
    }

    /// The first `limit` correctly classified examples, in test-set order.
    public func firstCorrect(_ limit: Int = 10) -> [Example] {
        (0..<count).lazy.filter { self.predictions[$0] == self.labels[$0] }.prefix(limit).map(example)
    }

    /// The first `limit` misclassified examples, in test-set order.
    public func firstIncorrect(_ limit: Int = 10) -> [Example] {
        (0..<count).lazy.filter { self.predictions[$0] != self.labels[$0] }.prefix(limit).map(example)
    }

    /// Softmax of one image's scores: of the logits, or of the negated penalties (`penalties` true,
    /// the 1998 model's RBF outputs, where the smallest wins).
    public static func probabilities<Scores: Collection<Float>>(_ scores: Scores, penalties: Bool) -> [Double] {
        let signed = scores.map { Double(penalties ? -$0 : $0) }
        let top = signed.max() ?? 0
        let exps = signed.map { Foundation.exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }

    /// The logits as a tensor [count, classCount].
    public var logitsTensor: Tensor { Tensor(shape: [count, classCount], scalars: logits) }
}
