import FileFormats
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
/// diagonal Levenberg-Marquardt. How it is computed differs from PyTorch in one place: C3's forward
/// and backward passes run Winograd's F(4x4, 5x5) (`convolutionForwardWinograd`,
/// `convolutionBackwardWinograd`), the same functions with fewer multiplications, within a few
/// millionths of exact sums.
///
/// The parameters live in one flat buffer laid out as PyTorch's `state_dict()`: names, shapes and
/// order, so checkpoints move between the two unchanged.
public struct LeNet5: LayeredModel, Equatable {
    /// The layers, for `classes` outputs (the write-up's 10 for digits; 47 for EMNIST balanced, ...).
    public static func network(classes: Int) -> Network {
        Network(layers: [
            // C1: 1@28x28 -> 6@24x24
            Convolution("C1", prefix: "conv1", inputChannels: 1, outputChannels: 6, inputHeight: 28, inputWidth: 28, kernelSize: 5, activation: .relu),
            // S2: 6@24x24 -> 6@12x12
            SumPooling("S2", maps: 6, inputHeight: 24, inputWidth: 24),
            // C3: 6@12x12 -> 16@8x8
            Convolution("C3", prefix: "conv2", inputChannels: 6, outputChannels: 16, inputHeight: 12, inputWidth: 12, kernelSize: 5, activation: .relu),
            // S4: 16@8x8 -> 16@4x4, flattened as PyTorch's view(-1, 256)
            SumPooling("S4", maps: 16, inputHeight: 8, inputWidth: 8),
            // F5: 256 -> 120
            FullyConnected("F5", prefix: "fc1", inputs: 256, outputs: 120, activation: .relu),
            // F6: 120 -> 84
            FullyConnected("F6", prefix: "fc2", inputs: 120, outputs: 84, activation: .relu, summation: .outputsInLanes),
            // F7: 84 -> classes, the logits
            FullyConnected("F7", prefix: "fc3", inputs: 84, outputs: classes, activation: .identity, summation: .outputsInLanes),
        ], scores: .logits)
    }
    /// The write-up's 10-class network.
    public static let network: Network = LeNet5.network(classes: 10)
    /// The parameters' names, shapes and order: PyTorch's `state_dict()`.
    public static func layout(classes: Int) -> ParameterLayout { classes == 10 ? layout : network(classes: classes).layout }
    /// The names and shapes of its tensors in the flat buffer, for ten classes.
    public static let layout: ParameterLayout = LeNet5.network.layout
    public static let inputPreparation = InputPreparation.writeup

    /// Every parameter, in `layout`'s order.
    public var parameters: [Float]
    /// The number of outputs.
    public let classes: Int
    public var network: Network { classes == 10 ? Self.network : Self.network(classes: classes) }
    public var layout: ParameterLayout { network.layout }

    /// PyTorch's default initialisation (uniform in ±1/sqrt(fan_in)), drawn from `seed`.
    public init(seed: UInt64, classes: Int = 10) {
        precondition(classes >= 2)
        self.classes = classes
        parameters = (classes == 10 ? Self.network : Self.network(classes: classes)).initialParameters(.pytorchDefault, seed: seed)
    }

    /// A model with the given parameters, in `layout(classes:)`'s order.
    public init(parameters: [Float], classes: Int = 10) {
        precondition(parameters.count == Self.layout(classes: classes).count)
        self.classes = classes
        self.parameters = parameters
    }

    public static func == (a: LeNet5, b: LeNet5) -> Bool { a.classes == b.classes && a.parameters == b.parameters }
}

extension LeNet5 {
    public static let title = "The write-up's LeNet-5"
    public static func network(outputs classes: Int) -> Network? { classes == 10 ? network : network(classes: classes) }
    /// PyTorch's initialisation; `initialization` does not apply.
    public init(seed: UInt64, classes: Int, initialization: PaperInitialization) { self.init(seed: seed, classes: classes) }
    public static let startsAsThePaper = false
    public static let defaultOptimizer = OptimizerKind.sgd
    /// Measured on a 2-core AMD EPYC Zen 4, with F6 and F7 summing with the outputs in the lanes.
    public static let measured = [
        MeasuredResult(name: "The write-up's LeNet-5", testError: 0.0211, detail: "seed 0: 2.11% (the shipped model)", time: "9-11 s",
                       parameters: 44_426, command: "lenet train"),
        MeasuredResult(name: "The write-up's LeNet-5, modern recipe", testError: 0.004267, detail: "seeds 0-2: 0.40, 0.49, 0.39%", time: "8 s",
                       parameters: 44_426, command: "lenet train --recipe modern", recipe: "modern"),
    ]
}

extension LeNet5 {
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
