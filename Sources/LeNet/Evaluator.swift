import Datasets
import Foundation
import Imaging
import Kernels
import NeuralNetwork

/// One test image, its label, the prediction and the logits.
public struct Example: Sendable, Equatable {
    public var index: Int
    public var label: Int
    public var predicted: Int
    public var logits: [Float]
    /// What the scores are called in the printed line: the write-up's "Logits", or the 1998
    /// model's RBF "Penalties".
    public var scoreName = "Logits"
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
    /// "Logits", or "Penalties" for the 1998 model's RBF outputs (smallest wins).
    public var scoreName: String = "Logits"

    public init(count: Int, classCount: Int, logits: [Float], predictions: [Int], labels: [Int], scoreName: String = "Logits") {
        self.count = count
        self.classCount = classCount
        self.logits = logits
        self.predictions = predictions
        self.labels = labels
        self.scoreName = scoreName
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
                logits: Array(logits[(index * classCount)..<((index + 1) * classCount)]), scoreName: scoreName)
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
    /// `threads` threads (each with its own workspace). Each image's logits depend only on that image,
    /// so the thread count never changes them.
    public static func evaluate(_ model: LeNet5, on data: LabeledImages, chunkSize: Int = 50,
                                kernels: KernelChoice = .fast, threads: Int = WorkerPool.availableProcessors,
                                onProgress: ((_ done: Int) -> Void)? = nil) -> Evaluation {
        let chunks = (data.count + chunkSize - 1) / chunkSize
        let pool = WorkerPool(threads: max(1, min(threads, chunks)))
        let classes = model.classes
        let workspaces = (0..<pool.threadCount).map { _ in LeNet5Workspace(capacity: chunkSize, kernels: kernels, training: false, classes: classes) }
        var logits = [Float](repeating: 0, count: data.count * classes)
        var predictions = [Int](repeating: 0, count: data.count)
        let indices = Array(0..<data.count)
        model.parameters.withUnsafeBufferPointer { parameters in
            indices.withUnsafeBufferPointer { indices in
                logits.withUnsafeMutableBufferPointer { logits in
                    predictions.withUnsafeMutableBufferPointer { predictions in
                        // Chunks go out in groups so that progress can be reported between them.
                        let group = onProgress == nil ? chunks : max(1, pool.threadCount * 8)
                        for first in stride(from: 0, to: chunks, by: group) {
                          pool.run(tasks: min(group, chunks - first)) { groupTask, thread in
                            let task = first + groupTask
                            let workspace = workspaces[thread]
                            let start = task * chunkSize
                            let count = min(chunkSize, data.count - start)
                            Normalization.writeup.fill(data, indices: UnsafeBufferPointer(rebasing: indices[start..<(start + count)]),
                                                       input: workspace.input, labels: workspace.labels)
                            workspace.forward(parameters: parameters.baseAddress!, batch: count)
                            for n in 0..<count {
                                let row = workspace.logits + n * classes
                                var best = 0
                                for k in 0..<classes {
                                    logits[(start + n) * classes + k] = row[k]
                                    if row[k] > row[best] { best = k }
                                }
                                predictions[start + n] = best
                            }
                          }
                          onProgress?(min(data.count, (first + group) * chunkSize))
                        }
                    }
                }
            }
        }
        return Evaluation(count: data.count, classCount: classes, logits: logits, predictions: predictions,
                          labels: data.labels.map(Int.init))
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
