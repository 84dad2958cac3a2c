import Kernels

/// A valid, stride-1 KxK convolution over every input map, as PyTorch's `Conv2d`, then its activation:
///   a[n,o,y,x] = bias[o] + sum_{c,i,j} input[n,c,y+i,x+j] * weight[o,c,i,j],   y = f(a)
/// input [N, C, H, W] -> output [N, O, H-K+1, W-K+1]; weight [O, C, K, K], bias [O], named
/// `<prefix>.weight` and `<prefix>.bias`. Fan-in C*K*K.
/// The fast kernels (Winograd for C3, 24-column rows for C1, ReLU fused into the store) or the naive oracles.
public struct Convolution: Layer {
    public let name: String
    /// The checkpoint names' prefix: `<prefix>.weight`, `<prefix>.bias`.
    public let prefix: String
    /// The convolution's sizes: C, O, H, W and K.
    public let shape: ConvolutionShape
    /// The function applied to every output.
    public let activation: Activation

    /// A layer named `name` (the tables' "C1") of `outputChannels` kernels of K x K x C over inputs of
    /// C x H x W.
    public init(_ name: String, prefix: String, inputChannels: Int, outputChannels: Int, inputHeight: Int, inputWidth: Int,
                kernelSize: Int, activation: Activation) {
        self.name = name
        self.prefix = prefix
        self.shape = ConvolutionShape(inputChannels: inputChannels, outputChannels: outputChannels, inputHeight: inputHeight,
                                      inputWidth: inputWidth, kernelSize: kernelSize)
        self.activation = activation
    }

    public var kindDescription: String { "convolution \(shape.kernelSize)x\(shape.kernelSize)\(activation.suffix)" }
    public var inputCount: Int { shape.inputCount }
    public var outputCount: Int { shape.outputCount }
    public var outputShape: [Int] { [shape.outputChannels, shape.outputHeight, shape.outputWidth] }
    var weightsPerUnit: Int { shape.inputChannels * shape.kernelSize * shape.kernelSize }
    public var parameters: [ParameterSpec] {
        let k = shape.kernelSize
        return [ParameterSpec(name: prefix + ".weight", shape: [shape.outputChannels, shape.inputChannels, k, k], fanIn: weightsPerUnit),
                ParameterSpec(name: prefix + ".bias", shape: [shape.outputChannels], isBias: true, fanIn: weightsPerUnit)]
    }
    public var multiplyAdds: Int { shape.outputCount * weightsPerUnit }
    public var connections: Int { shape.outputCount * (weightsPerUnit + 1) }

    /// The fast kernels' scratch, or the squared input and weights of the second-derivative pass.
    public func scratchCount(capacity: Int) -> Int { max(shape.scratchCount(batch: capacity), capacity * shape.inputCount + shape.weightCount) }
    /// Winograd's transformed weights, for the shape that takes it (`ConvolutionShape.hasWinograd`).
    public var cacheCount: Int { shape.winogradCacheCount }

    public func forward(_ pass: LayerPass) {
        let weight = pass.parameters, bias = pass.parameters + shape.weightCount
        switch pass.kernels {
        case .fast:
            convolutionForward(shape, batch: pass.batch, input: pass.input, weight: weight, bias: bias, output: pass.output,
                               scratch: pass.scratch, applyReLU: activation == .relu, cache: pass.cache,
                               version: pass.parametersVersion)
            if activation != .relu { activation.forward(pass.output, batch: pass.batch, count: outputCount) }
        case .naive:
            convolutionForwardNaive(shape, batch: pass.batch, input: pass.input, weight: weight, bias: bias, output: pass.output)
            activation.forward(pass.output, batch: pass.batch, count: outputCount)
        }
    }

    public func backward(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?) {
        activation.backward(output: pass.output, gradient: outputGradient, batch: pass.batch, count: outputCount)
        let weightGradient = parameterGradient, biasGradient = parameterGradient + shape.weightCount
        switch pass.kernels {
        case .fast:
            convolutionBackward(shape, batch: pass.batch, input: pass.input, weight: pass.parameters, outputGradient: outputGradient,
                                weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient, scratch: pass.scratch,
                                cache: pass.cache, version: pass.parametersVersion)
        case .naive:
            convolutionBackwardNaive(shape, batch: pass.batch, input: pass.input, weight: pass.parameters, outputGradient: outputGradient,
                                     weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient)
        }
    }

    /// d2E/dw2 = sum d2E/da2 x^2, d2E/dbias2 = sum d2E/da2, d2E/dx2 = sum w^2 d2E/da2: the backward
    /// pass of the squared input and weights (naive kernels: this pass runs on a few hundred images).
    public func secondBackward(_ pass: LayerPass, outputSecond: UnsafeMutablePointer<Float>, parameterSecond: UnsafeMutablePointer<Float>,
                               inputSecond: UnsafeMutablePointer<Float>?) {
        activation.secondBackward(output: pass.output, second: outputSecond, batch: pass.batch, count: outputCount)
        let squaredInput = pass.scratch, squaredWeight = pass.scratch + pass.batch * shape.inputCount
        for i in 0..<(pass.batch * shape.inputCount) { squaredInput[i] = pass.input[i] * pass.input[i] }
        for i in 0..<shape.weightCount { squaredWeight[i] = pass.parameters[i] * pass.parameters[i] }
        convolutionBackwardNaive(shape, batch: pass.batch, input: squaredInput, weight: squaredWeight, outputGradient: outputSecond,
                                 weightGradient: parameterSecond, biasGradient: parameterSecond + shape.weightCount, inputGradient: inputSecond)
    }
}

/// A convolution over a connection table, then its activation: the 1998 paper's C1, C3 and (with a
/// full table) C5 (see `TableConvolution`). weight [connections, K, K] (or given a shape of the same
/// size), bias [O]. A weight's fan-in is K*K times the number of input maps of the map it feeds: 75,
/// 100 or 150 in Table I's C3. Image by image (the paper's model trains one pattern at a time): the
/// fast kernels block over positions; the plain loops are their oracle and run the second derivatives.
public struct ConnectionTableConvolution: ImageByImageLayer {
    public let name: String
    /// The checkpoint names' prefix: `<prefix>.weight`, `<prefix>.bias`.
    public let prefix: String
    /// The table, the kernel size and the input's size.
    public let convolution: TableConvolution
    /// The function applied to every output.
    public let activation: Activation
    /// "convolution 5x5" or "convolution 5x5, Table I".
    let about: String
    let weightShape: [Int]

    /// A layer named `name` over `table`'s connections (`tableName` is how the tables cite it:
    /// "Table I"); `weightShape` stores the weights under another shape of the same size.
    public init(_ name: String, prefix: String, table: ConnectionTable, tableName: String? = nil, inputHeight: Int, inputWidth: Int,
                kernelSize: Int, weightShape: [Int]? = nil, activation: Activation) {
        self.name = name
        self.prefix = prefix
        self.convolution = TableConvolution(table: table, kernelSize: kernelSize, inputHeight: inputHeight, inputWidth: inputWidth)
        self.activation = activation
        self.about = "convolution \(kernelSize)x\(kernelSize)" + (tableName.map { ", " + $0 } ?? "")
        self.weightShape = weightShape ?? [table.count, kernelSize, kernelSize]
        precondition(self.weightShape.reduce(1, *) == convolution.weightCount)
    }

    public var kindDescription: String { about + activation.suffix }
    public var inputCount: Int { convolution.table.inputMaps * convolution.inputHeight * convolution.inputWidth }
    public var outputCount: Int { convolution.table.outputMaps * convolution.outputHeight * convolution.outputWidth }
    public var outputShape: [Int] { [convolution.table.outputMaps, convolution.outputHeight, convolution.outputWidth] }
    public var parameters: [ParameterSpec] {
        let k2 = convolution.kernelSize * convolution.kernelSize
        return [ParameterSpec(name: prefix + ".weight", shape: weightShape, fanIn: k2 * convolution.table.inputMaps),
                ParameterSpec(name: prefix + ".bias", shape: [convolution.table.outputMaps], isBias: true, fanIn: k2 * convolution.table.inputMaps)]
    }
    public var multiplyAdds: Int { convolution.weightCount * convolution.outputHeight * convolution.outputWidth }
    public var connections: Int { convolution.connectionCount }

    public func fanIn(parameter: Int, element: Int) -> Int {
        let table = convolution.table, k2 = convolution.kernelSize * convolution.kernelSize
        let map = parameter == 0 ? table.outputOf[element / k2] : element
        return k2 * table.fanIn(of: map)
    }

    /// The fast kernels' scratch, after the squared input and weights of the second-derivative pass.
    public func scratchCount(capacity: Int) -> Int { inputCount + convolution.weightCount + convolution.fastScratchCount }

    public func forward(_ pass: LayerPass) {
        let weight = pass.parameters, bias = pass.parameters + convolution.weightCount
        for n in 0..<pass.batch {
            let input = pass.input + n &* inputCount, output = pass.output + n &* outputCount
            switch pass.kernels {
            case .fast: convolution.forwardFast(input: input, weight: weight, bias: bias, output: output, scratch: fastScratch(pass))
            case .naive: convolution.forward(input: input, weight: weight, bias: bias, output: output)
            }
        }
        activation.forward(pass.output, batch: pass.batch, count: outputCount)
    }

    public func backward(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?) {
        activation.backward(output: pass.output, gradient: outputGradient, batch: pass.batch, count: outputCount)
        guard pass.kernels == .fast else {
            propagate(pass, backwardStep, outputGradient, parameterGradient, inputGradient)
            return
        }
        for n in 0..<pass.batch {
            convolution.backwardFast(input: pass.input + n &* inputCount, weight: pass.parameters, outputGradient: outputGradient + n &* outputCount,
                                     weightGradient: parameterGradient, biasGradient: parameterGradient + convolution.weightCount,
                                     inputGradient: inputGradient.map { $0 + n &* inputCount }, accumulate: n > 0, scratch: fastScratch(pass))
        }
    }

    func fastScratch(_ pass: LayerPass) -> UnsafeMutablePointer<Float> { pass.scratch + inputCount + convolution.weightCount }

    /// The backward pass of the squared input and weights, by the fast kernels when they are chosen.
    public func secondBackward(_ pass: LayerPass, outputSecond: UnsafeMutablePointer<Float>, parameterSecond: UnsafeMutablePointer<Float>,
                               inputSecond: UnsafeMutablePointer<Float>?) {
        activation.secondBackward(output: pass.output, second: outputSecond, batch: pass.batch, count: outputCount)
        guard pass.kernels == .fast else {
            propagate(pass, secondBackwardStep, outputSecond, parameterSecond, inputSecond)
            return
        }
        let squaredInput = pass.scratch, squaredWeight = pass.scratch + inputCount
        let scratch = squaredWeight + convolution.weightCount
        for i in 0..<convolution.weightCount { squaredWeight[i] = pass.parameters[i] * pass.parameters[i] }
        for n in 0..<pass.batch {
            let input = pass.input + n &* inputCount
            for i in 0..<inputCount { squaredInput[i] = input[i] * input[i] }
            convolution.backwardFast(input: squaredInput, weight: squaredWeight, outputGradient: outputSecond + n &* outputCount,
                                     weightGradient: parameterSecond, biasGradient: parameterSecond + convolution.weightCount,
                                     inputGradient: inputSecond.map { $0 + n &* inputCount }, accumulate: n > 0, scratch: scratch)
        }
    }

    var secondTensorOffset: Int { convolution.weightCount }
    var backwardStep: ImageKernelStep { convolution.backward }
    var secondBackwardStep: ImageKernelStep { convolution.secondBackward }
}

extension Convolution {
    /// Conv, then the activation.
    public func exportONNX(into graph: inout ONNXGraph, input: ONNXValue, parameters: [Float]) -> ONNXValue {
        let names = constants(&graph, parameters)
        let a = graph.convolution(input.name, names[0], names[1], kernelSize: shape.kernelSize, name: name)
        return ONNXValue(graph.activation(activation, a, name: name), flat: false)
    }
}

extension ConnectionTableConvolution {
    /// Conv over a dense [O, I, K, K] weight, 0 where the table has no connection; then the activation.
    public func exportONNX(into graph: inout ONNXGraph, input: ONNXValue, parameters: [Float]) -> ONNXValue {
        let table = convolution.table, k = convolution.kernelSize, area = k * k
        var dense = [Float](repeating: 0, count: table.outputMaps * table.inputMaps * area)
        for connection in 0..<table.count {
            let target = (table.outputOf[connection] * table.inputMaps + table.inputOf[connection]) * area
            for t in 0..<area { dense[target + t] = parameters[connection * area + t] }
        }
        let weight = graph.constant(self.parameters[0].name, shape: [table.outputMaps, table.inputMaps, k, k], floats: dense)
        let bias = graph.constant(self.parameters[1].name, shape: self.parameters[1].shape, floats: Array(parameters[(table.count * area)...]))
        let a = graph.convolution(input.name, weight, bias, kernelSize: k, name: name)
        return ONNXValue(graph.activation(activation, a, name: name), flat: false)
    }
}
