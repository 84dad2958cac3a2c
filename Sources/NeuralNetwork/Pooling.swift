import Kernels

/// The write-up's S2 and S4: 2x2 sum pooling, PyTorch's `AvgPool2d(2, divisor_override=1)`, with
/// nothing to train: out[m,y,x] = in[m,2y,2x] + in[m,2y,2x+1] + in[m,2y+1,2x] + in[m,2y+1,2x+1].
/// input [N, M, H, W] -> output [N, M, H/2, W/2].
public struct SumPooling: Layer {
    public let name: String
    /// M, the maps pooled.
    public let maps: Int
    /// H, the input's height (even).
    public let inputHeight: Int
    /// W, the input's width (even).
    public let inputWidth: Int

    /// A layer named `name` pooling `maps` maps of H x W.
    public init(_ name: String, maps: Int, inputHeight: Int, inputWidth: Int) {
        self.name = name
        self.maps = maps
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
    }

    public var kindDescription: String { "sum pooling 2x2" }
    public var inputCount: Int { maps * inputHeight * inputWidth }
    public var outputCount: Int { inputCount / 4 }
    public var outputShape: [Int] { [maps, inputHeight / 2, inputWidth / 2] }
    public var parameters: [ParameterSpec] { [] }
    public var multiplyAdds: Int { 0 }
    public var connections: Int { 4 * outputCount }

    public func forward(_ pass: LayerPass) {
        switch pass.kernels {
        case .fast: sumPoolForward(planes: pass.batch * maps, height: inputHeight, width: inputWidth, input: pass.input, output: pass.output)
        case .naive: sumPoolForwardNaive(planes: pass.batch * maps, height: inputHeight, width: inputWidth, input: pass.input, output: pass.output)
        }
    }

    /// Each input's gradient is its block's output gradient (the input gradient is all there is).
    public func backward(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?) {
        guard let inputGradient else { return }
        switch pass.kernels {
        case .fast:
            sumPoolBackward(planes: pass.batch * maps, height: inputHeight, width: inputWidth, outputGradient: outputGradient, inputGradient: inputGradient)
        case .naive:
            sumPoolBackwardNaive(planes: pass.batch * maps, height: inputHeight, width: inputWidth, outputGradient: outputGradient,
                                 inputGradient: inputGradient)
        }
    }

    /// The coefficients are 1, so squaring them changes nothing: the backward pass.
    public func secondBackward(_ pass: LayerPass, outputSecond: UnsafeMutablePointer<Float>, parameterSecond: UnsafeMutablePointer<Float>,
                               inputSecond: UnsafeMutablePointer<Float>?) {
        backward(pass, outputGradient: outputSecond, parameterGradient: parameterSecond, inputGradient: inputSecond)
    }
}

extension SumPooling {
    /// AveragePool 2x2 times 4.
    public func exportONNX(into graph: inout ONNXGraph, input: ONNXValue, parameters: [Float]) -> ONNXValue {
        ONNXValue(graph.sumPooling(input.name, name: name), flat: false)
    }
}
