import Foundation

/// The 1998 paper's output layer (Sec. II-B, Fig. 3): one Euclidean radial basis function unit per
/// class, y_i = sum_j (x_j - w_ij)^2, with fixed parameters w_i: the class's stylized 7x12 bitmap,
/// +1 for ink and -1 for background. The predicted class is the one of smallest penalty y_i.
public struct RadialBasisOutput: Sendable {
    /// The bitmaps of Fig. 3, row-major, 12 rows of 7: "1" is +1, "0" is -1.
    public static let digitBitmaps: [String] = [
        "011111000000000011100011011011000111100011110001111000110110110001110000000000000000",
        "000110000111000111100000110000011000001100000110000011000001100011111100000000000000",
        "011111000000000111110110001110000110000110001110001100001100000111111100000000000000",
        "111111100000110000110000110000111100000011000001100000111100011011111000000000000000",
        "011111000000000000000011001101100111110011110001111000111100111011111100000110000011",
        "011111000000001111111110000011000000111100001111000000111100011011111000000000000000",
        "001111001100001100000110000011111101110011110001111000111110011011111000000000000000",
        "111111100000110000011000011000011000001100001100000110000011000001100000000000000000",
        "011111011000111100011110001101111101100011110001111000111100011011111000000000000000",
        "011111011001111100011110001111001110111111000001100000110000110011110000000000000000",
    ]

    /// The number of units, one per class.
    public let classes: Int
    /// The inputs each unit compares with its centre (F6's 84).
    public let inputs: Int
    /// [classes, inputs]: the fixed centres.
    public let centers: [Float]

    /// Units with the given centres ([classes, inputs], row by row).
    public init(classes: Int, inputs: Int, centers: [Float]) {
        precondition(centers.count == classes * inputs)
        self.classes = classes
        self.inputs = inputs
        self.centers = centers
    }

    /// The paper's 10 units over F6's 84 outputs.
    public static let digits = RadialBasisOutput(classes: 10, inputs: 84, centers: digitBitmaps.flatMap { bitmap in
        bitmap.map { $0 == "1" ? Float(1) : Float(-1) }
    })

    /// Connections as the paper counts them: one per centre component.
    public var connectionCount: Int { classes * inputs }

    /// penalties[i] = sum_j (x_j - w_ij)^2.
    public func forward(input x: UnsafePointer<Float>, penalties: UnsafeMutablePointer<Float>) {
        centers.withUnsafeBufferPointer { w in
            for i in 0..<classes {
                var sum: Float = 0
                for j in 0..<inputs {
                    let d = x[j] - w[i &* inputs &+ j]
                    sum += d * d
                }
                penalties[i] = sum
            }
        }
    }

    /// dE/dx_j = sum_i dE/dy_i * 2 (x_j - w_ij), from dE/dy (`penaltyGradient`).
    public func backward(input x: UnsafePointer<Float>, penaltyGradient: UnsafePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>) {
        centers.withUnsafeBufferPointer { w in
            for j in 0..<inputs {
                var sum: Float = 0
                for i in 0..<classes where penaltyGradient[i] != 0 {
                    sum += penaltyGradient[i] * 2 * (x[j] - w[i &* inputs &+ j])
                }
                inputGradient[j] = sum
            }
        }
    }
}

/// The 1998 paper's losses on the RBF penalties y (Sec. II-C), for one pattern of class D.
public enum PaperLoss: Sendable, Equatable, CustomStringConvertible {
    /// Eq. 8: E = y_D, the penalty of the correct class.
    case meanSquaredError
    /// Eq. 9: E = y_D + log(e^{-j} + sum_i e^{-y_i}), which also pushes the wrong classes' penalties up.
    case maximumAPosteriori(j: Float)

    /// How reports and run settings name it: "eq. 8 (MSE)".
    public var description: String {
        switch self {
        case .meanSquaredError: return "eq. 8 (MSE)"
        case .maximumAPosteriori(let j): return "eq. 9 (MAP, j = \(j))"
        }
    }

    /// The loss, and dE/dy_i into `gradient`.
    public func evaluate(penalties y: UnsafePointer<Float>, classes: Int, label: Int,
                         gradient: UnsafeMutablePointer<Float>) -> Float {
        for i in 0..<classes { gradient[i] = 0 }
        switch self {
        case .meanSquaredError:
            gradient[label] = 1
            return y[label]
        case .maximumAPosteriori(let j):
            // log(e^{-j} + sum_i e^{-y_i}) computed stably around m = min(j, min_i y_i).
            var m = j
            for i in 0..<classes where y[i] < m { m = y[i] }
            var sum = expf(m - j)
            for i in 0..<classes { sum += expf(m - y[i]) }
            for i in 0..<classes { gradient[i] = -expf(m - y[i]) / sum }
            gradient[label] += 1
            return y[label] + (logf(sum) - m)
        }
    }

    /// "mse" or "map:<j>", as run states record it.
    public var code: String {
        if case .maximumAPosteriori(let j) = self { return "map:\(j)" }
        return "mse"
    }

    /// The loss a run state's `code` names ("mse" or "map:<j>"), or nil.
    public init?(code: String) {
        if code == "mse" {
            self = .meanSquaredError
        } else if code.hasPrefix("map:"), let j = Float(code.dropFirst(4)), j.isFinite {
            self = .maximumAPosteriori(j: j)
        } else {
            return nil
        }
    }

    /// d2E/dx_j^2 at the RBF's input, the Gauss-Newton value of the correct class's term: 2 (the
    /// reference's value for eq. 8; eq. 9's second term is left out, as the f'' terms are).
    public static let inputSecondDerivative: Float = 2
}

/// The 1998 paper's output as a layer: `RadialBasisOutput`'s fixed units, nothing to train. Its
/// outputs are penalties (the smallest wins).
public struct EuclideanRadialBasis: Layer {
    public let name: String
    /// The units and their fixed centres.
    public let units: RadialBasisOutput

    /// A layer named `name` of `units`.
    public init(_ name: String, units: RadialBasisOutput) {
        self.name = name
        self.units = units
    }

    public var kindDescription: String { "Euclidean RBF (fixed)" }
    public var inputCount: Int { units.inputs }
    public var outputCount: Int { units.classes }
    public var outputShape: [Int] { [units.classes] }
    public var parameters: [ParameterSpec] { [] }
    public var multiplyAdds: Int { units.connectionCount }
    public var connections: Int { units.connectionCount }

    public func forward(_ pass: LayerPass) {
        for n in 0..<pass.batch { units.forward(input: pass.input + n &* inputCount, penalties: pass.output + n &* outputCount) }
    }

    public func backward(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?) {
        guard let inputGradient else { return }
        for n in 0..<pass.batch {
            units.backward(input: pass.input + n &* inputCount, penaltyGradient: outputGradient + n &* outputCount,
                           inputGradient: inputGradient + n &* inputCount)
        }
    }

    /// d2E/dx2 = 2 for every input: the curvature of the correct class's penalty sum_j (x_j - w_Dj)^2,
    /// the value the paper's reference uses (`PaperLoss.inputSecondDerivative`), whatever the loss.
    public func secondBackward(_ pass: LayerPass, outputSecond: UnsafeMutablePointer<Float>, parameterSecond: UnsafeMutablePointer<Float>,
                               inputSecond: UnsafeMutablePointer<Float>?) {
        inputSecond?.update(repeating: PaperLoss.inputSecondDerivative, count: pass.batch * inputCount)
    }
}

extension PaperLoss: Codable {
    /// Saved as its `code`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let code = try container.decode(String.self)
        guard let loss = PaperLoss(code: code) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "the loss is '\(code)', expected mse or map:<j>")
        }
        self = loss
    }

    /// Encodes the loss as its `code`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}

extension EuclideanRadialBasis {
    /// y_i = sum_j (x_j - c_ij)^2, as [batch, 1, n] - [classes, n] -> [batch, classes, n], squared
    /// and summed over the last axis.
    public func exportONNX(into graph: inout ONNXGraph, input: ONNXValue, parameters: [Float]) -> ONNXValue {
        let x = graph.flattened(input)
        let centers = graph.constant("rbf.centers", shape: [units.classes, units.inputs], floats: units.centers)
        let unsqueezed = graph.add("Unsqueeze", [x, graph.constant("axis1", shape: [1], integers: [1])], name: name + "_unsqueeze")
        let difference = graph.add("Sub", [unsqueezed, centers], name: name + "_difference")
        let square = graph.add("Mul", [difference, difference], name: name + "_square")
        return ONNXValue(graph.add("ReduceSum", [square, graph.constant("axis2", shape: [1], integers: [2])], name: name,
                                   attributes: [.integer("keepdims", 0)]), flat: true)
    }
}
