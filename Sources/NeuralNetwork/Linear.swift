import Kernels

/// A fully connected layer, as PyTorch's `Linear`, then its activation:
///   a[n,o] = bias[o] + sum_i input[n,i] * weight[o,i],   y = f(a)
/// input [N, I] -> output [N, O]; weight [O, I] (or a shape of the same size: the 1998 paper's C5 is
/// a 5x5 convolution that covers its whole 16@5x5 input, weight [120, 16, 5, 5]), bias [O]. Fan-in I.
public struct FullyConnected: Layer {
    /// How the fast forward pass orders its sums (the backward pass is the same either way).
    public enum Summation: Sendable, Equatable {
        /// `linearForward`: sixteen inputs in a vector's lanes, then the lanes added across; reads
        /// the weights as they are stored. For layers whose weights change every image (the 1998
        /// model's training) and for wide rows.
        case inputsInLanes
        /// `linearForwardOutputsOrder`: sixteen outputs in a vector's lanes, one chain over the
        /// inputs each; from transposed weights kept in the workspace's cache and made again when the
        /// weights change. For small layers in batches (the write-up's F6 and F7).
        case outputsInLanes
    }

    public let name: String
    /// The checkpoint names' prefix: `<prefix>.weight`, `<prefix>.bias`.
    public let prefix: String
    /// I, the inputs per image.
    public let inputs: Int
    /// O, the outputs per image.
    public let outputs: Int
    /// The function applied to every output.
    public let activation: Activation
    /// How the fast forward pass orders its sums.
    public let summation: Summation
    let weightShape: [Int]
    let about: String

    /// A layer named `name` from `inputs` to `outputs` units. `weightShape` stores the weights under another
    /// shape of the same size, and `kind` is what the tables say it is ("full", "convolution 5x5").
    public init(_ name: String, prefix: String, inputs: Int, outputs: Int, activation: Activation,
                weightShape: [Int]? = nil, kind: String = "full", summation: Summation = .inputsInLanes) {
        self.name = name
        self.prefix = prefix
        self.inputs = inputs
        self.outputs = outputs
        self.activation = activation
        self.summation = summation
        self.weightShape = weightShape ?? [outputs, inputs]
        self.about = kind
        precondition(self.weightShape.reduce(1, *) == inputs * outputs)
    }

    public var kindDescription: String { about + activation.suffix }
    public var inputCount: Int { inputs }
    public var outputCount: Int { outputs }
    public var outputShape: [Int] { [outputs] }
    public var parameters: [ParameterSpec] {
        [ParameterSpec(name: prefix + ".weight", shape: weightShape, fanIn: inputs),
         ParameterSpec(name: prefix + ".bias", shape: [outputs], isBias: true, fanIn: inputs)]
    }
    public var multiplyAdds: Int { inputs * outputs }
    public var connections: Int { (inputs + 1) * outputs }
    public var cacheCount: Int { summation == .outputsInLanes ? linearTransposedCacheCount(inputs: inputs, outputs: outputs) : 0 }
    public func scratchCount(capacity: Int) -> Int {
        summation == .outputsInLanes ? linearTransposedCount(inputs: inputs, outputs: outputs) : 0
    }

    public func forward(_ pass: LayerPass) {
        let weight = pass.parameters, bias = pass.parameters + inputs * outputs
        switch pass.kernels {
        case .fast where summation == .outputsInLanes:
            let transposed = linearTransposedWeights(inputs: inputs, outputs: outputs, parameters: pass.parameters, cache: pass.cache,
                                                     version: pass.parametersVersion, scratch: pass.scratch)
            linearForwardOutputsOrder(batch: pass.batch, inputs: inputs, outputs: outputs, input: pass.input, transposed: transposed,
                                      output: pass.output)
        case .fast: linearForward(batch: pass.batch, inputs: inputs, outputs: outputs, input: pass.input, weight: weight, bias: bias, output: pass.output)
        case .naive: linearForwardNaive(batch: pass.batch, inputs: inputs, outputs: outputs, input: pass.input, weight: weight, bias: bias, output: pass.output)
        }
        activation.forward(pass.output, batch: pass.batch, count: outputs)
    }

    public func backward(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?) {
        activation.backward(output: pass.output, gradient: outputGradient, batch: pass.batch, count: outputs)
        let weightGradient = parameterGradient, biasGradient = parameterGradient + inputs * outputs
        switch pass.kernels {
        case .fast:
            linearBackward(batch: pass.batch, inputs: inputs, outputs: outputs, input: pass.input, weight: pass.parameters, outputGradient: outputGradient,
                           weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient)
        case .naive:
            linearBackwardNaive(batch: pass.batch, inputs: inputs, outputs: outputs, input: pass.input, weight: pass.parameters,
                                outputGradient: outputGradient, weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient)
        }
    }

    /// The fast kernels fuse the update into the backward pass (`linearBackwardStep`): no gradient
    /// is written, and each weight row is read and written once.
    public func backwardAndStep(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameters: UnsafeMutablePointer<Float>,
                                stepSizes: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                                inputGradient: UnsafeMutablePointer<Float>?) {
        guard pass.kernels == .fast, pass.batch == 1 else {
            backward(pass, outputGradient: outputGradient, parameterGradient: parameterGradient, inputGradient: inputGradient)
            StochasticDiagonalLevenbergMarquardt.update(parameters: parameters, gradients: parameterGradient, stepSizes: stepSizes,
                                                        count: parameterCount)
            return
        }
        activation.backward(output: pass.output, gradient: outputGradient, batch: 1, count: outputs)
        linearBackwardStep(inputs: inputs, outputs: outputs, input: pass.input, weight: parameters, bias: parameters + inputs * outputs,
                           outputGradient: outputGradient, weightSteps: stepSizes, biasSteps: stepSizes + inputs * outputs,
                           inputGradient: inputGradient)
    }

    public func secondBackward(_ pass: LayerPass, outputSecond: UnsafeMutablePointer<Float>, parameterSecond: UnsafeMutablePointer<Float>,
                               inputSecond: UnsafeMutablePointer<Float>?) {
        activation.secondBackward(output: pass.output, second: outputSecond, batch: pass.batch, count: outputs)
        for n in 0..<pass.batch {
            linearSecondBackward(inputs: inputs, outputs: outputs, input: pass.input + n &* inputs, weight: pass.parameters,
                                 outputSecond: outputSecond + n &* outputs, weightSecond: parameterSecond,
                                 biasSecond: parameterSecond + inputs * outputs, inputSecond: inputSecond.map { $0 + n &* inputs },
                                 accumulate: n > 0)
        }
    }
}

extension FullyConnected {
    /// x W^T + b (Gemm, PyTorch's nn.Linear), after a Flatten of maps; with a [O, C, K, K] weight
    /// over maps of KxK (the 1998 model's C5), the convolution it is. Then the activation.
    public func exportONNX(into graph: inout ONNXGraph, input: ONNXValue, parameters: [Float]) -> ONNXValue {
        let names = constants(&graph, parameters)
        if weightShape.count == 4 && !input.flat {
            let a = graph.convolution(input.name, names[0], names[1], kernelSize: weightShape[3], name: name)
            return ONNXValue(graph.activation(activation, a, name: name), flat: false)
        }
        let x = graph.flattened(input)
        let a = graph.add("Gemm", [x, names[0], names[1]], name: name, attributes: [.integer("transB", 1)])
        return ONNXValue(graph.activation(activation, a, name: name), flat: true)
    }
}
