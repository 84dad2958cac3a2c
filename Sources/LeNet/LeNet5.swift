import NeuralNetwork
import Support

/// The write-up's LeNet-5 ("Text classification using LeNet-5 and the MNIST dataset", PyTorch):
///
///     C1: conv 1@28x28 -> 6@24x24, 5x5, ReLU        S2: 2x2 sum pooling -> 6@12x12
///     C3: conv 6@12x12 -> 16@8x8, 5x5, ReLU         S4: 2x2 sum pooling -> 16@4x4
///     F5: 256 -> 120, ReLU    F6: 120 -> 84, ReLU    F7: 84 -> 10 (logits)
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
    public static let layout = ParameterLayout([
        ("conv1.weight", [6, 1, 5, 5]), ("conv1.bias", [6]),
        ("conv2.weight", [16, 6, 5, 5]), ("conv2.bias", [16]),
        ("fc1.weight", [120, 256]), ("fc1.bias", [120]),
        ("fc2.weight", [84, 120]), ("fc2.bias", [84]),
        ("fc3.weight", [10, 84]), ("fc3.bias", [10]),
    ])
    /// The fan-in of each weight and bias, for PyTorch's default initialisation.
    static let fanIns: [String: Int] = [
        "conv1.weight": 25, "conv1.bias": 25, "conv2.weight": 150, "conv2.bias": 150,
        "fc1.weight": 256, "fc1.bias": 256, "fc2.weight": 120, "fc2.bias": 120, "fc3.weight": 84, "fc3.bias": 84,
    ]
    public static let imageSize = 28
    public static let classCount = 10

    /// Every parameter, in `layout`'s order.
    public var parameters: [Float]

    /// PyTorch's default initialisation (uniform in ±1/sqrt(fan_in)), drawn from `seed`.
    public init(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var values = [Float](repeating: 0, count: Self.layout.count)
        for tensor in Self.layout.tensors {
            Initialization.pytorchDefault(&values, tensor: tensor, fanIn: Self.fanIns[tensor.name]!, generator: &generator)
        }
        parameters = values
    }

    /// A model with the given parameters, in `layout`'s order.
    public init(parameters: [Float]) {
        precondition(parameters.count == Self.layout.count)
        self.parameters = parameters
    }

}

// MARK: - Checkpoints

/// A model whose parameters are one flat buffer laid out by `layout`: saved and loaded as
/// safetensors with the layout's names and shapes, its kind in the metadata.
public protocol FlatParameterModel: Sendable {
    static var layout: ParameterLayout { get }
    /// The model kind recorded in checkpoints' metadata ("model").
    static var kind: String { get }
    var parameters: [Float] { get }
    init(parameters: [Float])
}

extension FlatParameterModel {
    /// Loads a safetensors checkpoint: every tensor of the layout present, float32, shaped as
    /// expected, and no other tensor (as PyTorch's `load_state_dict(strict=True)`).
    public init(checkpoint path: String) throws(SafeTensorsError) {
        try self.init(safeTensors: SafeTensorsFile(contentsOf: path))
    }

    public init(safeTensors file: SafeTensorsFile) throws(SafeTensorsError) {
        var values = [Float](repeating: 0, count: Self.layout.count)
        for view in Self.layout.tensors {
            let tensor = try file.floats(view.name, shape: view.shape)
            values.replaceSubrange(view.range, with: tensor.scalars)
        }
        let unexpected = file.entries.keys.filter { Self.layout[$0] == nil }
        guard unexpected.isEmpty else { throw .unexpectedTensors(file: file.path, names: unexpected) }
        self.init(parameters: values)
    }

    /// The named tensor, copied out.
    public func tensor(_ name: String) -> Tensor? {
        guard let view = Self.layout[name] else { return nil }
        return Tensor(shape: view.shape, scalars: Array(parameters[view.range]))
    }

    /// Saves the model as safetensors, atomically. `metadata` is stored beside PyTorch's "format": "pt"
    /// and the model kind.
    public func save(to path: String, metadata: [String: String] = [:]) throws(FileError) {
        let tensors = Self.layout.tensors.map { ($0.name, Tensor(shape: $0.shape, scalars: Array(parameters[$0.range]))) }
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
}

extension LeNet5: FlatParameterModel {
    /// The model kind recorded in checkpoints' metadata.
    public static let kind = "lenet5"
}

extension LeNet1998: FlatParameterModel {}
