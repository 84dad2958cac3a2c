import Datasets
import FileFormats
import Foundation
import Kernels
import NeuralNetwork
import Support

/// Either model, as read from a checkpoint whose metadata names its kind: what the commands, the
/// runs and the web server hold. An immutable value, safe to share between threads; everything it
/// does is the same code for every kind.
public struct AnyLeNet: Sendable {
    /// The model itself.
    public let model: any LayeredModel

    /// Wraps a model of any kind.
    public init(_ model: any LayeredModel) {
        self.model = model
    }

    /// Why a checkpoint could not be loaded as a model.
    public enum LoadError: Error, CustomStringConvertible {
        /// The checkpoint's metadata names a model kind this build does not know.
        case unknownKind(path: String, kind: String)
        /// The message to show: the file or field, what was expected and what was found.
        public var description: String {
            switch self {
            case .unknownKind(let path, let kind):
                return "\(path): unknown model kind '\(kind)' in the metadata; expected \(ModelKinds.names)"
            }
        }
    }

    /// The type of the models of `kind`.
    public static func modelType(_ kind: String, path: String) throws(LoadError) -> any LayeredModel.Type {
        guard let type = ModelKinds.named(kind) else { throw .unknownKind(path: path, kind: kind) }
        return type
    }

    /// Reads a checkpoint; files without a kind in their metadata (PyTorch's) are the write-up's model.
    public static func load(_ path: String) throws -> (model: AnyLeNet, metadata: [String: String]) {
        let file = try SafeTensorsFile(contentsOf: path)
        func read<Model: LayeredModel>(_ type: Model.Type) throws -> any LayeredModel { try Model(safeTensors: file) }
        return (AnyLeNet(try read(try modelType(file.metadata[MetadataKey.model] ?? LeNet5.kind, path: path))), file.metadata)
    }

    /// The same model with other weights (in its layout).
    public func replacingParameters(_ parameters: [Float]) -> AnyLeNet {
        AnyLeNet(type(of: model).init(parameters: parameters, layout: model.layout))
    }

    /// A new model of `kind` with weights drawn from `seed`: PyTorch's initialisation for the
    /// write-up's, `initialization` for the paper's kinds.
    public static func initial(kind: String, seed: UInt64, classes: Int, initialization: PaperInitialization) throws(LoadError) -> AnyLeNet {
        AnyLeNet(try modelType(kind, path: "").init(seed: seed, classes: classes, initialization: initialization))
    }

    /// The layout a checkpoint of `kind` has (the write-up's class count read from the file).
    static func expectedLayout(kind: String, of file: SafeTensorsFile) throws -> ParameterLayout {
        try modelType(kind, path: file.path).expectedLayout(of: file)
    }

    /// A model of `kind` with the given weights.
    public static func make(kind: String, parameters: [Float], layout: ParameterLayout) throws -> AnyLeNet {
        AnyLeNet(try modelType(kind, path: "").init(parameters: parameters, layout: layout))
    }

    /// The kind's name: "lenet5", "lenet5-1998", "lenet1", "lenet4".
    public var kind: String { type(of: model).kind }
    /// "The write-up's LeNet-5", "LeNet-5 (1998)", ...
    public var title: String { type(of: model).title }
    /// Every weight and bias, in `layout`'s order.
    public var parameters: [Float] { model.parameters }
    /// Where each tensor lies in `parameters`.
    public var layout: ParameterLayout { model.layout }

    /// Writes the model as safetensors with PyTorch's names (to a temporary file, then renamed).
    public func save(to path: String, metadata: [String: String] = [:]) throws(FileError) {
        try model.save(to: path, metadata: metadata)
    }
    /// The number of parameters.
    public var parameterCount: Int { model.layout.count }
    /// The number of classes it tells apart.
    public var classes: Int { model.classes }

    /// Runs the model over every image of `data` (see `Evaluator.evaluate`).
    public func evaluate(_ data: LabeledImages, threads: Int = WorkerPool.availableProcessors,
                         onProgress: ((Int) -> Void)? = nil) -> Evaluation {
        Evaluator.evaluate(model, on: data, threads: threads, onProgress: onProgress)
    }

    /// Feature maps of one layer: `count` maps of `height` x `width`, map after map.
    public struct FeatureMaps: Sendable, Codable, Equatable {
        /// The number of maps.
        public var count: Int
        /// Each map's height.
        public var height: Int
        /// Each map's width.
        public var width: Int
        /// `count * height * width` activations, map after map, row by row.
        public var values: [Float]
    }

    /// What the network computes for one 28x28 digit.
    public struct Reading: Sendable {
        /// The class read.
        public var prediction: Int
        /// Softmax of the logits (of the negated penalties for the 1998 model).
        public var probabilities: [Double]
        /// The raw outputs: the write-up's logits or the 1998 model's RBF penalties.
        public var scores: [Float]
        /// "logits" or "penalties".
        public var scoreName: String
        /// The first two convolutions' outputs (after their activation): C1's and C3's.
        public var c1: FeatureMaps
        /// C3's feature maps, after its activation.
        public var c3: FeatureMaps
    }

    /// Runs one 28x28 digit (bytes, ink 255 on 0) through the network on the calling thread.
    public func read(_ digit: [UInt8]) -> Reading {
        precondition(digit.count == 784, "a digit is 28x28 bytes")
        return Self.read(digit, with: model, workspaces: workspaces)
    }

    /// The network's scores (logits, or the 1998 model's penalties) for each 28x28 digit, on the
    /// calling thread.
    public func scores(_ digits: [[UInt8]]) -> [[Float]] {
        Self.scores(digits, with: model, workspaces: workspaces)
    }

    private static func scores<Model: LayeredModel>(_ digits: [[UInt8]], with model: Model, workspaces: WorkspacePool) -> [[Float]] {
        let network = model.network
        let workspace = workspaces.take(orMake: { NetworkWorkspace(network, capacity: 1, training: false) })
        defer { workspaces.give(workspace) }
        return model.parameters.withUnsafeBufferPointer { parameters in
            digits.map { digit in
                precondition(digit.count == 784, "a digit is 28x28 bytes")
                digit.withUnsafeBufferPointer { Model.inputPreparation.prepare($0.baseAddress!, into: workspace.input) }
                workspace.forward(parameters: parameters.baseAddress!, batch: 1)
                return Array(UnsafeBufferPointer(start: workspace.scores, count: model.classes))
            }
        }
    }

    /// Workspaces for one image, kept between reads (making one costs more than the network).
    private let workspaces = WorkspacePool()

    private static func read<Model: LayeredModel>(_ digit: [UInt8], with model: Model, workspaces: WorkspacePool) -> Reading {
        let network = model.network
        let workspace = workspaces.take(orMake: { NetworkWorkspace(network, capacity: 1, training: false) })
        defer { workspaces.give(workspace) }
        digit.withUnsafeBufferPointer { Model.inputPreparation.prepare($0.baseAddress!, into: workspace.input) }
        model.parameters.withUnsafeBufferPointer { workspace.forward(parameters: $0.baseAddress!, batch: 1) }
        let scores = Array(UnsafeBufferPointer(start: workspace.scores, count: model.classes))
        /// The output of layer `index`.
        func maps(_ index: Int) -> FeatureMaps {
            let shape = network.layers[index].outputShape
            return FeatureMaps(count: shape[0], height: shape[1], width: shape[2],
                               values: Array(UnsafeBufferPointer(start: workspace.activations[index + 1], count: network.layers[index].outputCount)))
        }
        return Reading(prediction: workspace.prediction(0), probabilities: Evaluation.probabilities(scores, penalties: model.scores.smallestWins),
                       scores: scores, scoreName: model.scores.rawValue, c1: maps(network.convolutions[0]), c3: maps(network.convolutions[1]))
    }
}

/// Idle one-image workspaces, shared by the threads that read with one model (a few at most: one
/// per thread reading at the same time).
final class WorkspacePool: @unchecked Sendable {
    private var idle: [NetworkWorkspace] = []
    private let lock = NSLock()

    func take(orMake make: () -> NetworkWorkspace) -> NetworkWorkspace {
        lock.lock()
        let workspace = idle.popLast()
        lock.unlock()
        return workspace ?? make()
    }

    func give(_ workspace: NetworkWorkspace) {
        lock.lock()
        if idle.count < 16 { idle.append(workspace) }
        lock.unlock()
    }
}
