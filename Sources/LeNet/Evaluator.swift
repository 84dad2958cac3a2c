import Datasets
import Foundation
import Imaging
import Kernels
import NeuralNetwork

/// What a model's scores are (defined beside `Network`).
public typealias ScoreKind = NeuralNetwork.ScoreKind

/// One test image, its label, the prediction and the logits.
public struct Example: Sendable, Equatable {
    public var index: Int
    public var label: Int
    public var predicted: Int
    public var logits: [Float]
    /// What the scores are: the write-up's logits, or the 1998 model's RBF penalties.
    public var scores = ScoreKind.logits
    public var scoreName: String { scores.name }
    public var isCorrect: Bool { label == predicted }

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
    public var count: Int
    public var classCount: Int
    /// [count, classCount], row after row.
    public var logits: [Float]
    public var predictions: [Int]
    public var labels: [Int]
    /// Logits, or penalties for the 1998 model's RBF outputs (smallest wins).
    public var scores = ScoreKind.logits
    public var scoreName: String { scores.name }

    public init(count: Int, classCount: Int, logits: [Float], predictions: [Int], labels: [Int], scores: ScoreKind = .logits) {
        self.count = count
        self.classCount = classCount
        self.logits = logits
        self.predictions = predictions
        self.labels = labels
        self.scores = scores
    }

    public var correct: Int { zip(predictions, labels).filter { $0 == $1 }.count }
    public var incorrect: Int { count - correct }
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }

    /// `Test Accuracy of the model on the 10000 test images: 98.14% (9814 correct, 186 incorrect)`.
    public var accuracyLine: String {
        "Test Accuracy of the model on the \(count) test images: \(String(format: "%.2f", 100 * accuracy))% (\(correct) correct, \(incorrect) incorrect)"
    }

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

    /// What each class is called, from a checkpoint's metadata ("class_names", a JSON array), or
    /// "0", "1", ... when it has none that fit.
    public static func classNames(_ metadata: [String: String], classes: Int) -> [String] {
        if let text = metadata["class_names"], let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)),
           names.count == classes {
            return names
        }
        return (0..<classes).map(String.init)
    }

    /// The logits as a tensor [count, classCount].
    public var logitsTensor: Tensor { Tensor(shape: [count, classCount], scalars: logits) }
}

public enum Evaluator {
    /// Runs `model` over every image of `data`, in chunks of `chunkSize` images shared out over
    /// `threads` threads (each with its own workspace). Each image's scores depend only on that image,
    /// so neither the thread count nor the chunk size changes them.
    public static func evaluate<Model: LayeredModel>(_ model: Model, on data: LabeledImages, chunkSize: Int = 50,
                                                    kernels: KernelChoice = .fast, threads: Int = WorkerPool.availableProcessors,
                                                    onProgress: ((_ done: Int) -> Void)? = nil) -> Evaluation {
        let classes = model.classes
        let runner = ChunkRunner(network: model.network, preparation: Model.inputPreparation, chunkSize: chunkSize, workspaces: .perThread,
                                 threads: min(threads, (data.count + chunkSize - 1) / chunkSize), kernels: kernels, training: false)
        var scores = [Float](repeating: 0, count: data.count * classes)
        var predictions = [Int](repeating: 0, count: data.count)
        let indices = Array(0..<data.count)
        // Images go out in groups, so that progress can be reported between them.
        let group = onProgress == nil ? max(data.count, 1) : max(1, runner.workspaces.count * 8) * chunkSize
        model.parameters.withUnsafeBufferPointer { parameters in
            indices.withUnsafeBufferPointer { indices in
                scores.withUnsafeMutableBufferPointer { scores in
                    predictions.withUnsafeMutableBufferPointer { predictions in
                        for start in stride(from: 0, to: data.count, by: group) {
                            let end = min(data.count, start + group)
                            runner.run(data, indices: UnsafeBufferPointer(rebasing: indices[start..<end])) { _, first, workspace, count in
                                workspace.forward(parameters: parameters.baseAddress!, batch: count)
                                let position = start + first
                                (scores.baseAddress! + position * classes).update(from: workspace.scores, count: count * classes)
                                for n in 0..<count { predictions[position + n] = workspace.prediction(n) }
                            }
                            onProgress?(end)
                        }
                    }
                }
            }
        }
        return Evaluation(count: data.count, classCount: classes, logits: scores, predictions: predictions,
                          labels: data.labels.map(Int.init), scores: model.scores)
    }

    /// Saves each example's image as a greyscale PNG under its write-up name in `folder`; returns the paths.
    public static func saveImages(_ examples: [Example], from data: LabeledImages, into folder: String) throws -> [String] {
        try examples.map { example in
            let path = (folder as NSString).appendingPathComponent(example.fileName)
            let image = Image(width: data.columns, height: data.rows, channels: 1, pixels: Array(data.image(example.index)))
            try PNG.write(image, to: path)
            return path
        }
    }
}
