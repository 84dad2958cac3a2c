import FileFormats
import Kernels
import NeuralNetwork
import Support

/// LeNet-5 exactly as published: Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based
/// learning applied to document recognition", Proc. IEEE 86(11):2278-2324, 1998 (Sec. II-B, Fig. 2,
/// Table I, Appendix A):
///
///     input: 28x28 digit padded to 32x32; background -0.1, ink 1.175
///     C1: 1@32x32 -> 6@28x28, 5x5 convolution, squash                      156 params, 122,304 connections
///     S2: 6@28x28 -> 6@14x14, 2x2 sum x coefficient + bias, squash            12 params,   5,880 connections
///     C3: 6@14x14 -> 16@10x10, 5x5 over Table I's maps, squash             1,516 params, 151,600 connections
///     S4: 16@10x10 -> 16@5x5, like S2                                         32 params,   2,000 connections
///     C5: 16@5x5 -> 120@1x1, 5x5 over all maps, squash                    48,120 params,  48,120 connections
///     F6: 120 -> 84, dot product + bias, squash                           10,164 params,  10,164 connections
///     OUTPUT: 10 Euclidean RBF units over F6, Fig. 3's bitmaps, fixed           0 params,     840 connections
///
/// squash(a) = 1.7159 tanh(2a/3). Weights start uniform in ±2.4/F (F the unit's fan-in); biases,
/// which the paper leaves unspecified, start at 0 (as in LeCun's later code). Parameters live in one
/// flat buffer, in the order above.
public struct LeNet1998: LayeredModel, Equatable {
    /// Table I: which S2 maps (rows) feed each C3 map (columns).
    public static let tableI: [String] = [
        "X...XXX..XXXX.XX",
        "XX...XXX..XXXX.X",
        "XXX...XXX..X.XXX",
        ".XXX..XXXX..X.XX",
        "..XXX..XXXX.XX.X",
        "...XXX..XXXX.XXX",
    ]
    /// Table I as a connection table, the data C3 is built from.
    public static let c3Table = ConnectionTable(connected: tableI.map { $0.map { $0 == "X" } })

    /// The network as the paper states it, layer by layer.
    public static let network: Network = Network(layers: [
        // C1: 1@32x32 -> 6@28x28
        ConnectionTableConvolution("C1", prefix: "c1", table: .full(inputs: 1, outputs: 6), inputHeight: 32, inputWidth: 32, kernelSize: 5,
                                   weightShape: [6, 1, 5, 5], activation: .squash),
        // S2: 6@28x28 -> 6@14x14
        TrainableSubsampling("S2", prefix: "s2", maps: 6, inputHeight: 28, inputWidth: 28, activation: .squash),
        // C3: 6@14x14 -> 16@10x10, over Table I's 60 connections
        ConnectionTableConvolution("C3", prefix: "c3", table: c3Table, tableName: "Table I", inputHeight: 14, inputWidth: 14, kernelSize: 5,
                                   activation: .squash),
        // S4: 16@10x10 -> 16@5x5
        TrainableSubsampling("S4", prefix: "s4", maps: 16, inputHeight: 10, inputWidth: 10, activation: .squash),
        // C5: 16@5x5 -> 120@1x1: its 5x5 kernels cover the whole input, so it is a dot product of 400
        FullyConnected("C5", prefix: "c5", inputs: 400, outputs: 120, activation: .squash, weightShape: [120, 16, 5, 5],
                       kind: "convolution 5x5"),
        // F6: 120 -> 84
        FullyConnected("F6", prefix: "f6", inputs: 120, outputs: 84, activation: .squash),
        // OUTPUT: 84 -> 10 penalties, Fig. 3's bitmaps
        EuclideanRadialBasis("OUTPUT", units: .digits),
    ], scores: .penalties)

    /// The names and shapes of its tensors in the flat buffer.
    public static let layout: ParameterLayout = LeNet1998.network.layout
    public static let kind = "lenet5-1998"
    public static let inputPreparation = InputPreparation.paperPadded

    public var parameters: [Float]
    public var network: Network { Self.network }

    /// Weights uniform in ±2.4/F (F the fan-in of the unit they feed), or ±2.4/sqrt(F); biases 0.
    public init(seed: UInt64, initialization: PaperInitialization = .fanIn) {
        parameters = Self.network.initialParameters(initialization.rule, seed: seed)
    }

    /// The model with these weights, in the network's layout.
    public init(parameters: [Float]) {
        precondition(parameters.count == Self.layout.count)
        self.parameters = parameters
    }

    /// Writes the network's 32x32 input for a 28x28 MNIST image: v = -0.1 + 1.275 p/255, padding -0.1.
    public static func prepare(_ pixels: UnsafePointer<UInt8>, into input: UnsafeMutablePointer<Float>) {
        inputPreparation.prepare(pixels, into: input)
    }

}

extension LeNet1998 {
    public static let title = "LeNet-5 (1998)"
    public static func network(outputs classes: Int) -> Network? { classes == 10 ? network : nil }
    public init(seed: UInt64, classes: Int, initialization: PaperInitialization) { self.init(seed: seed, initialization: initialization) }
    public static let startsAsThePaper = true
    public static let defaultOptimizer = OptimizerKind.sdlm
    /// Measured on a 2-core AMD EPYC Zen 4, seeds 0, 1 and 2.
    public static let measured = [
        MeasuredResult(name: "LeNet-5 (1998)", testError: 0.009067, detail: "seeds 0-2: 0.93, 0.98, 0.81% (the paper: 0.95%)", time: "89 s",
                       parameters: 60_000, command: "lenet train --model lenet5-1998"),
        MeasuredResult(name: "LeNet-5 (1998), distortions", testError: 0.007067, detail: "seeds 0-2: 0.62, 0.67, 0.83% (the paper: 0.8%)", time: "122 s",
                       parameters: 60_000, command: "lenet train --model lenet5-1998 --distort", distortions: true),
    ]

    public var layout: ParameterLayout { Self.layout }
    public static func expectedLayout(of file: SafeTensorsFile) throws(SafeTensorsError) -> ParameterLayout { layout }
    public init(parameters: [Float], layout: ParameterLayout) { self.init(parameters: parameters) }
}
