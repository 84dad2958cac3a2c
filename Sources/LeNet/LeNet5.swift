import NeuralNetwork
import Support

/// The write-up's LeNet-5 ("Text classification using LeNet-5 and the MNIST dataset", PyTorch):
///
///     C1: conv 1@28x28 -> 6@24x24, 5x5, ReLU        S2: 2x2 sum pooling -> 6@12x12
///     C3: conv 6@12x12 -> 16@8x8, 5x5, ReLU         S4: 2x2 sum pooling -> 16@4x4
///     F5: 256 -> 120, ReLU    F6: 120 -> 84, ReLU    F7: 84 -> 10 (logits; one per class of the data set)
///
/// After Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to document
/// recognition", Proc. IEEE 86(11), 1998. Where it deviates from the paper (as the write-up does):
/// 28x28 input instead of 32x32 padded; ReLU instead of the scaled tanh; S2/S4 add their four inputs
/// with no trainable coefficient or bias; C3 sees all six S2 maps instead of Table I's connections;
/// C5 is a fully connected layer on 4x4 maps (256 inputs); the output is a linear layer trained by
/// softmax cross-entropy instead of Euclidean RBF units; SGD with momentum instead of stochastic
/// diagonal Levenberg-Marquardt.
///
/// The parameters live in one flat buffer laid out as PyTorch's `state_dict()`: names, shapes and
/// order, so checkpoints move between the two unchanged.
public struct LeNet5: Sendable, Equatable {
    /// The layout for `classes` outputs (the write-up's 10 for digits; 47 for EMNIST balanced, ...).
    public static func layout(classes: Int) -> ParameterLayout {
        ParameterLayout([
            ("conv1.weight", [6, 1, 5, 5]), ("conv1.bias", [6]),
            ("conv2.weight", [16, 6, 5, 5]), ("conv2.bias", [16]),
            ("fc1.weight", [120, 256]), ("fc1.bias", [120]),
            ("fc2.weight", [84, 120]), ("fc2.bias", [84]),
            ("fc3.weight", [classes, 84]), ("fc3.bias", [classes]),
        ])
    }
    /// The write-up's 10-class layout.
    public static let layout: ParameterLayout = LeNet5.layout(classes: 10)
    /// The fan-in of each weight and bias, for PyTorch's default initialisation.
    static let fanIns: [String: Int] = [
        "conv1.weight": 25, "conv1.bias": 25, "conv2.weight": 150, "conv2.bias": 150,
        "fc1.weight": 256, "fc1.bias": 256, "fc2.weight": 120, "fc2.bias": 120, "fc3.weight": 84, "fc3.bias": 84,
    ]
    public static let imageSize = 28
    public static let classCount = 10

    /// Every parameter, in `layout`'s order.
    public var parameters: [Float]
    /// The number of outputs.
    public let classes: Int
    public var layout: ParameterLayout { classes == 10 ? Self.layout : Self.layout(classes: classes) }

    /// PyTorch's default initialisation (uniform in ±1/sqrt(fan_in)), drawn from `seed`.
    public init(seed: UInt64, classes: Int = 10) {
        precondition(classes >= 2)
        self.classes = classes
        var generator = SeededGenerator(seed: seed)
        let layout = classes == 10 ? Self.layout : Self.layout(classes: classes)
        var values = [Float](repeating: 0, count: layout.count)
        for tensor in layout.tensors {
            Initialization.pytorchDefault(&values, tensor: tensor, fanIn: Self.fanIns[tensor.name]!, generator: &generator)
        }
        parameters = values
    }

    /// A model with the given parameters, in `layout(classes:)`'s order.
    public init(parameters: [Float], classes: Int = 10) {
        precondition(parameters.count == Self.layout(classes: classes).count)
        self.classes = classes
        self.parameters = parameters
    }

}

// MARK: - Checkpoints

/// A model whose parameters are one flat buffer laid out by `layout`: saved and loaded as
/// safetensors with the layout's names and shapes, its kind in the metadata.
public protocol FlatParameterModel: Sendable {
    /// The model kind recorded in checkpoints' metadata ("model").
    static var kind: String { get }
    var layout: ParameterLayout { get }
    var parameters: [Float] { get }
    /// The layout a checkpoint of this model must have (for the write-up's model, its class count
    /// is read from the file's fc3.bias).
    static func expectedLayout(of file: SafeTensorsFile) throws(SafeTensorsError) -> ParameterLayout
    init(parameters: [Float], layout: ParameterLayout)
}

extension FlatParameterModel {
    /// Loads a safetensors checkpoint: every tensor of the layout present, float32, shaped as
    /// expected, and no other tensor (as PyTorch's `load_state_dict(strict=True)`).
    public init(checkpoint path: String) throws(SafeTensorsError) {
        try self.init(safeTensors: SafeTensorsFile(contentsOf: path))
    }

    public init(safeTensors file: SafeTensorsFile) throws(SafeTensorsError) {
        let layout = try Self.expectedLayout(of: file)
        var values = [Float](repeating: 0, count: layout.count)
        for view in layout.tensors {
            let tensor = try file.floats(view.name, shape: view.shape)
            values.replaceSubrange(view.range, with: tensor.scalars)
        }
        let unexpected = file.entries.keys.filter { layout[$0] == nil }
        guard unexpected.isEmpty else { throw .unexpectedTensors(file: file.path, names: unexpected) }
        self.init(parameters: values, layout: layout)
    }

    /// The named tensor, copied out.
    public func tensor(_ name: String) -> Tensor? {
        guard let view = layout[name] else { return nil }
        return Tensor(shape: view.shape, scalars: Array(parameters[view.range]))
    }

    /// Saves the model as safetensors, atomically. `metadata` is stored beside PyTorch's "format": "pt"
    /// and the model kind.
    public func save(to path: String, metadata: [String: String] = [:]) throws(FileError) {
        let tensors = layout.tensors.map { ($0.name, Tensor(shape: $0.shape, scalars: Array(parameters[$0.range]))) }
        var fullMetadata = metadata
        fullMetadata["format"] = "pt"
        fullMetadata["model"] = Self.kind
        try SafeTensorsFile.write(tensors, metadata: fullMetadata, to: path)
    }
}

extension LeNet5 {
    /// Each layer's output, trainable parameters and multiply-adds per image, for `lenet info`.
    public static var summary: [(layer: String, output: String, parameters: Int, multiplyAdds: Int)] {
        [
            ("C1 convolution 5x5 + ReLU", "6@24x24", 156, 6 * 24 * 24 * 25),
            ("S2 sum pooling 2x2", "6@12x12", 0, 0),
            ("C3 convolution 5x5 + ReLU", "16@8x8", 2_416, 16 * 8 * 8 * 150),
            ("S4 sum pooling 2x2", "16@4x4", 0, 0),
            ("F5 full + ReLU", "120", 30_840, 256 * 120),
            ("F6 full + ReLU", "84", 10_164, 120 * 84),
            ("F7 full (logits)", "10", 850, 84 * 10),
        ]
    }

    /// The same for a model with `classes` outputs.
    public static func summary(classes: Int) -> [(layer: String, output: String, parameters: Int, multiplyAdds: Int)] {
        var rows = summary
        rows[rows.count - 1] = ("F7 full (logits)", String(classes), 84 * classes + classes, 84 * classes)
        return rows
    }
}

extension LeNet5: FlatParameterModel {
    /// The model kind recorded in checkpoints' metadata.
    public static let kind = "lenet5"

    public static func expectedLayout(of file: SafeTensorsFile) throws(SafeTensorsError) -> ParameterLayout {
        // The class count is the length of fc3.bias (10 when it is missing, so the error names it).
        guard let entry = file.entries["fc3.bias"], entry.shape.count == 1, entry.shape[0] >= 2 else { return layout }
        return layout(classes: entry.shape[0])
    }

    public init(parameters: [Float], layout: ParameterLayout) {
        self.init(parameters: parameters, classes: layout["fc3.bias"]?.count ?? 10)
    }
}

extension LeNet1998: FlatParameterModel {
    public var layout: ParameterLayout { Self.layout }
    public static func expectedLayout(of file: SafeTensorsFile) throws(SafeTensorsError) -> ParameterLayout { layout }
    public init(parameters: [Float], layout: ParameterLayout) { self.init(parameters: parameters) }
}
