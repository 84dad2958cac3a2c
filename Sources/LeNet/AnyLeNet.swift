import Datasets
import Foundation
import Kernels
import NeuralNetwork
import Support

/// Either model, as read from a checkpoint whose metadata names its kind: what the commands and the
/// web server hold. An immutable value, safe to share between threads.
public enum AnyLeNet: Sendable {
    case writeup(LeNet5)
    case paper(LeNet1998)

    public enum LoadError: Error, CustomStringConvertible {
        case unknownKind(path: String, kind: String)
        public var description: String {
            switch self {
            case .unknownKind(let path, let kind):
                return "\(path): unknown model kind '\(kind)' in the metadata; expected \(LeNet5.kind) or \(LeNet1998.kind)"
            }
        }
    }

    /// Reads a checkpoint; files without a kind in their metadata (PyTorch's) are the write-up's model.
    public static func load(_ path: String) throws -> (model: AnyLeNet, metadata: [String: String]) {
        let file = try SafeTensorsFile(contentsOf: path)
        let kind = file.metadata["model"] ?? LeNet5.kind
        switch kind {
        case LeNet5.kind: return (.writeup(try LeNet5(safeTensors: file)), file.metadata)
        case LeNet1998.kind: return (.paper(try LeNet1998(safeTensors: file)), file.metadata)
        default: throw LoadError.unknownKind(path: path, kind: kind)
        }
    }

    public var kind: String {
        switch self {
        case .writeup: return LeNet5.kind
        case .paper: return LeNet1998.kind
        }
    }

    public var parameterCount: Int {
        switch self {
        case .writeup(let model): return model.layout.count
        case .paper: return LeNet1998.layout.count
        }
    }

    /// The number of classes it tells apart.
    public var classes: Int {
        switch self {
        case .writeup(let model): return model.classes
        case .paper: return 10
        }
    }

    public func evaluate(_ data: LabeledImages, threads: Int = WorkerPool.availableProcessors,
                         onProgress: ((Int) -> Void)? = nil) -> Evaluation {
        switch self {
        case .writeup(let model): return Evaluator.evaluate(model, on: data, threads: threads, onProgress: onProgress)
        case .paper(let model): return Evaluator.evaluate(model, on: data, threads: threads, onProgress: onProgress)
        }
    }

    /// Feature maps of one layer: `count` maps of `height` x `width`, map after map.
    public struct FeatureMaps: Sendable, Codable, Equatable {
        public var count: Int
        public var height: Int
        public var width: Int
        public var values: [Float]
    }

    /// What the network computes for one 28x28 digit.
    public struct Reading: Sendable {
        public var prediction: Int
        /// Softmax of the logits (of the negated penalties for the 1998 model).
        public var probabilities: [Double]
        /// The raw outputs: the write-up's logits or the 1998 model's RBF penalties.
        public var scores: [Float]
        public var scoreName: String
        /// C1's and C3's outputs (after ReLU for the write-up's model, after squashing for the 1998 one).
        public var c1: FeatureMaps
        public var c3: FeatureMaps
    }

    /// Runs one 28x28 digit (bytes, ink 255 on 0) through the network on the calling thread.
    public func read(_ digit: [UInt8]) -> Reading {
        precondition(digit.count == 784, "a digit is 28x28 bytes")
        var scores = [Float](repeating: 0, count: classes)
        let c1: FeatureMaps, c3: FeatureMaps
        let prediction: Int
        switch self {
        case .writeup(let model):
            let workspace = LeNet5Workspace(capacity: 1, training: false, classes: model.classes)
            let images = LabeledImages(count: 1, rows: 28, columns: 28, pixels: digit, labels: [0], classCount: model.classes)
            [0].withUnsafeBufferPointer { Normalization.writeup.fill(images, indices: $0, input: workspace.input, labels: workspace.labels) }
            model.parameters.withUnsafeBufferPointer { workspace.forward(parameters: $0.baseAddress!, batch: 1) }
            for k in 0..<model.classes { scores[k] = workspace.logits[k] }
            prediction = scores.indices.max { scores[$0] < scores[$1] } ?? 0
            c1 = FeatureMaps(count: 6, height: 24, width: 24, values: Array(UnsafeBufferPointer(start: workspace.conv1, count: 6 * 24 * 24)))
            c3 = FeatureMaps(count: 16, height: 8, width: 8, values: Array(UnsafeBufferPointer(start: workspace.conv2, count: 16 * 8 * 8)))
        case .paper(let model):
            let workspace = LeNet1998Workspace()
            digit.withUnsafeBufferPointer { LeNet1998.prepare($0.baseAddress!, into: workspace.input) }
            model.parameters.withUnsafeBufferPointer { workspace.forward(parameters: $0.baseAddress!) }
            for k in 0..<10 { scores[k] = workspace.penalties[k] }
            prediction = workspace.prediction
            c1 = FeatureMaps(count: 6, height: 28, width: 28, values: Array(UnsafeBufferPointer(start: workspace.c1, count: 6 * 28 * 28)))
            c3 = FeatureMaps(count: 16, height: 10, width: 10, values: Array(UnsafeBufferPointer(start: workspace.c3, count: 16 * 10 * 10)))
        }
        let isPenalty: Bool
        if case .paper = self { isPenalty = true } else { isPenalty = false }
        return Reading(prediction: prediction, probabilities: Evaluation.probabilities(scores, penalties: isPenalty), scores: scores,
                       scoreName: (isPenalty ? ScoreKind.penalties : .logits).rawValue, c1: c1, c3: c3)
    }
}

