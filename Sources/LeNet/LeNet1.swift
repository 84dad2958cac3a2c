import FileFormats
import Kernels
import NeuralNetwork

/// LeNet-1, the smallest of the 1998 paper's family (Sec. III-C, Fig. 9: 1.7% test error, about
/// 2,600 parameters and 100,000 multiply-adds), its layers as LeCun et al. 1990 describe them
/// ("Handwritten digit recognition with a back-propagation network"):
///
///     input: the 28x28 digit shrunk to 16x16 by area, centred in a 28x28 field; background -0.1, ink 1.175
///     C1: 1@28x28 -> 4@24x24, 5x5 convolution, squash                 104 params,  59,904 connections
///     S2: 4@24x24 -> 4@12x12, 2x2 sum x coefficient + bias, squash       8 params,   2,880 connections
///     C3: 4@12x12 -> 12@8x8, 5x5 over `table`'s 22 connections, squash  562 params,  35,968 connections
///     S4: 12@8x8 -> 12@4x4, like S2                                     24 params,     960 connections
///     F5: 192 -> 10, dot product + bias: the logits                   1,930 params,   1,930 connections
///
/// What the paper leaves open, and the choices here: which S2 maps feed each C3 map ("a subset";
/// `table`: four maps see one, six see a pair, two see three, 2,628 parameters in all); the output
/// units and their loss (10 linear units trained by cross-entropy); how it was trained (the 1998
/// LeNet-5's stochastic diagonal Levenberg-Marquardt, its 20-pass schedule). Weights start as
/// `PaperInitialization` says, biases at 0.
public struct LeNet1: FixedNetworkModel {
    /// Which S2 maps (rows) feed each C3 map (columns).
    public static let table: [String] = [
        "X...X..XX.X.",
        ".X..XX...XXX",
        "..X..XX.X.XX",
        "...X..XX.X.X",
    ]

    public static let network = Network(layers: [
        // C1: 1@28x28 -> 4@24x24
        ConnectionTableConvolution("C1", prefix: "c1", table: .full(inputs: 1, outputs: 4), inputHeight: 28, inputWidth: 28, kernelSize: 5,
                                   weightShape: [4, 1, 5, 5], activation: .squash),
        // S2: 4@24x24 -> 4@12x12
        TrainableSubsampling("S2", prefix: "s2", maps: 4, inputHeight: 24, inputWidth: 24, activation: .squash),
        // C3: 4@12x12 -> 12@8x8, over `table`'s 22 connections
        ConnectionTableConvolution("C3", prefix: "c3", table: ConnectionTable(connected: table.map { $0.map { $0 == "X" } }), tableName: "a table",
                                   inputHeight: 12, inputWidth: 12, kernelSize: 5, activation: .squash),
        // S4: 12@8x8 -> 12@4x4
        TrainableSubsampling("S4", prefix: "s4", maps: 12, inputHeight: 8, inputWidth: 8, activation: .squash),
        // F5: 192 -> 10, the logits
        FullyConnected("F5", prefix: "f5", inputs: 192, outputs: 10, activation: .identity),
    ], scores: .logits)

    public static let kind = "lenet1"
    public static let title = "LeNet-1 (1998)"
    public static let inputPreparation = InputPreparation(values: .paper, digitSide: 16)
    public static let defaultOptimizer = OptimizerKind.sdlm
    /// Measured on a 2-core Intel Xeon at 2.80 GHz, two runs side by side, seeds 0, 1 and 2.
    public static let measured = [
        MeasuredResult(name: "LeNet-1 (1998)", testError: 0.0148, detail: "seeds 0-2: 1.46, 1.46, 1.52% (the paper: 1.7%)", time: "146-177 s",
                       parameters: 2_628, command: "lenet train --model lenet1"),
    ]

    public var parameters: [Float]
    public init(parameters: [Float]) { self.parameters = parameters }
}
