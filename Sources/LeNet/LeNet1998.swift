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
public struct LeNet1998: Sendable, Equatable {
    /// Table I: which S2 maps (rows) feed each C3 map (columns).
    public static let tableI: [String] = [
        "X...XXX..XXXX.XX",
        "XX...XXX..XXXX.X",
        "XXX...XXX..X.XXX",
        ".XXX..XXXX..X.XX",
        "..XXX..XXXX.XX.X",
        "...XXX..XXXX.XXX",
    ]
    public static let c3Table = ConnectionTable(connected: tableI.map { $0.map { $0 == "X" } })

    static let c1 = TableConvolution(table: .full(inputs: 1, outputs: 6), kernelSize: 5, inputHeight: 32, inputWidth: 32)
    static let s2 = Subsampling(maps: 6, inputHeight: 28, inputWidth: 28)
    static let c3 = TableConvolution(table: c3Table, kernelSize: 5, inputHeight: 14, inputWidth: 14)
    static let s4 = Subsampling(maps: 16, inputHeight: 10, inputWidth: 10)
    static let c5 = TableConvolution(table: .full(inputs: 16, outputs: 120), kernelSize: 5, inputHeight: 5, inputWidth: 5)
    static let output = RadialBasisOutput.digits

    public static let layout = ParameterLayout([
        ("c1.weight", [6, 1, 5, 5]), ("c1.bias", [6]),
        ("s2.coefficient", [6]), ("s2.bias", [6]),
        ("c3.weight", [60, 5, 5]), ("c3.bias", [16]),
        ("s4.coefficient", [16]), ("s4.bias", [16]),
        ("c5.weight", [120, 16, 5, 5]), ("c5.bias", [120]),
        ("f6.weight", [84, 120]), ("f6.bias", [84]),
    ])
    public static let kind = "lenet5-1998"
    public static let classCount = 10

    /// Background and ink values of the input (Sec. II-B).
    public static let background: Float = -0.1
    public static let ink: Float = 1.175

    public var parameters: [Float]

    /// How the weights start.
    public enum Initialization: String, Sendable, CaseIterable {
        /// Uniform in ±2.4/F, F the fan-in of the unit: Appendix A as printed. The signal shrinks
        /// by about sqrt(F) per layer (measured at F6: rms 0.0003), and so do the second derivatives.
        case fanIn = "fan-in"
        /// Uniform in ±2.4/sqrt(F): every layer's weighted sums keep a standard deviation near 1
        /// (LeCun et al., "Efficient BackProp", 1998, sec. 4.6). Not the paper's text; see the README.
        case squareRootFanIn = "sqrt-fan-in"
    }

    /// Weights uniform in ±2.4/F (F the fan-in of the unit they feed), or ±2.4/sqrt(F); biases 0.
    public init(seed: UInt64, initialization: Initialization = .fanIn) {
        var generator = SeededGenerator(seed: seed)
        var values = [Float](repeating: 0, count: Self.layout.count)
        func uniform(_ name: String, fanIn: (Int) -> Int) {
            let view = Self.layout[name]!
            let perUnit = view.shape.dropFirst().reduce(1, *)
            for k in 0..<view.count {
                let f = Float(fanIn(k / max(perUnit, 1)))
                values[view.offset + k] = generator.nextFloat(symmetricBound: 2.4 / (initialization == .fanIn ? f : f.squareRoot()))
            }
        }
        uniform("c1.weight") { _ in 25 }
        uniform("s2.coefficient") { _ in 4 }
        // C3: a kernel's fan-in is 25 times the number of S2 maps its C3 map sees (75, 100 or 150).
        uniform("c3.weight") { connection in 25 * Self.c3Table.fanIn(of: Self.c3Table.outputOf[connection]) }
        uniform("s4.coefficient") { _ in 4 }
        uniform("c5.weight") { _ in 400 }
        uniform("f6.weight") { _ in 120 }
        parameters = values
    }

    public init(parameters: [Float]) {
        precondition(parameters.count == Self.layout.count)
        self.parameters = parameters
    }

    /// Writes the network's 32x32 input for a 28x28 MNIST image: v = -0.1 + 1.275 p/255, padding -0.1.
    public static func prepare(_ pixels: UnsafePointer<UInt8>, into input: UnsafeMutablePointer<Float>) {
        input.update(repeating: background, count: 32 * 32)
        let scale = (ink - background) / 255
        for y in 0..<28 {
            for x in 0..<28 { input[(y + 2) * 32 + x + 2] = background + scale * Float(pixels[y * 28 + x]) }
        }
    }

    /// Each layer's maps, sizes, trainable parameters, connections (the paper's count, biases
    /// included) and multiply-adds (weight multiplications per recognition: for S2/S4 the one
    /// coefficient per output, for the RBF the 840 squared differences), for `lenet info`.
    public static var summary: [(layer: String, output: String, parameters: Int, connections: Int, multiplyAdds: Int)] {
        [
            ("C1 convolution 5x5", "6@28x28", c1.parameterCount, c1.connectionCount, c1.weightCount * 28 * 28),
            ("S2 subsampling 2x2", "6@14x14", s2.parameterCount, s2.connectionCount, 6 * 14 * 14),
            ("C3 convolution 5x5, Table I", "16@10x10", c3.parameterCount, c3.connectionCount, c3.weightCount * 10 * 10),
            ("S4 subsampling 2x2", "16@5x5", s4.parameterCount, s4.connectionCount, 16 * 5 * 5),
            ("C5 convolution 5x5", "120@1x1", c5.parameterCount, c5.connectionCount, c5.weightCount),
            ("F6 full", "84", 84 * 120 + 84, 84 * 120 + 84, 84 * 120),
            ("OUTPUT Euclidean RBF (fixed)", "10", 0, output.connectionCount, output.connectionCount),
        ]
    }
}
