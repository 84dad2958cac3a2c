import Testing
import Kernels
@testable import NeuralNetwork

/// A layer kind the project does not have, written in this one file: each map multiplied by a
/// trainable scale, y[m,p] = scale[m] * x[m,p]. This is everything a new kind of layer needs; the
/// network, its parameter layout, the workspace, the trainers, ONNX export and `lenet info` take it
/// as it is.
struct MapScale: Layer {
    let name: String
    let maps: Int
    let plane: Int

    var kindDescription: String { "map scale" }
    var inputCount: Int { maps * plane }
    var outputCount: Int { maps * plane }
    var outputShape: [Int] { [maps, plane] }
    var parameters: [ParameterSpec] { [ParameterSpec(name: "scale.weight", shape: [maps], fanIn: 1)] }
    var multiplyAdds: Int { maps * plane }
    var connections: Int { maps * plane }

    func forward(_ pass: LayerPass) {
        for n in 0..<pass.batch {
            for m in 0..<maps {
                for p in 0..<plane { pass.output[(n * maps + m) * plane + p] = pass.parameters[m] * pass.input[(n * maps + m) * plane + p] }
            }
        }
    }

    func backward(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?) {
        for m in 0..<maps { parameterGradient[m] = 0 }
        for n in 0..<pass.batch {
            for m in 0..<maps {
                for p in 0..<plane {
                    let i = (n * maps + m) * plane + p
                    parameterGradient[m] += outputGradient[i] * pass.input[i]
                    inputGradient?[i] = outputGradient[i] * pass.parameters[m]
                }
            }
        }
    }

    /// Mul by the scale, shaped [1, maps, 1] to broadcast over the maps.
    func exportONNX(into graph: inout ONNXGraph, input: ONNXValue, parameters: [Float]) -> ONNXValue {
        let scale = graph.constant("scale.weight", shape: [1, maps, 1], floats: parameters)
        return ONNXValue(graph.add("Mul", [input.name, scale], name: name), flat: false)
    }

    func secondBackward(_ pass: LayerPass, outputSecond: UnsafeMutablePointer<Float>, parameterSecond: UnsafeMutablePointer<Float>,
                        inputSecond: UnsafeMutablePointer<Float>?) {
        for m in 0..<maps { parameterSecond[m] = 0 }
        for n in 0..<pass.batch {
            for m in 0..<maps {
                for p in 0..<plane {
                    let i = (n * maps + m) * plane + p
                    parameterSecond[m] += outputSecond[i] * pass.input[i] * pass.input[i]
                    inputSecond?[i] = outputSecond[i] * pass.parameters[m] * pass.parameters[m]
                }
            }
        }
    }
}

@Suite struct NewLayerKindTests {
    /// A throwaway model with the new layer between two of the project's.
    static let network = Network(layers: [
        // C1: 1@8x8 -> 3@6x6
        Convolution("C1", prefix: "conv", inputChannels: 1, outputChannels: 3, inputHeight: 8, inputWidth: 8, kernelSize: 3, activation: .relu),
        // M2: 3@6x6 -> 3@6x6, each map scaled
        MapScale(name: "M2", maps: 3, plane: 36),
        // F3: 108 -> 4 logits
        FullyConnected("F3", prefix: "fc", inputs: 108, outputs: 4, activation: .identity),
    ], scores: .logits)

    @Test func aNewLayerKindJoinsTheLayoutTheTableAndTheGradients() {
        let network = Self.network
        #expect(network.layout.tensors.map(\.name) == ["conv.weight", "conv.bias", "scale.weight", "fc.weight", "fc.bias"])
        #expect(network.summary.map(\.layer) == ["C1 convolution 3x3 + ReLU", "M2 map scale", "F3 full"])
        #expect(network.summary.map(\.parameters) == [30, 3, 436])

        // The whole chain's gradient against finite differences, through the new layer.
        let batch = 5
        let workspace = NetworkWorkspace(network, capacity: batch)
        let input = randomFloats(batch * 64, seed: 3)
        workspace.input.update(from: input, count: input.count)
        for n in 0..<batch { workspace.labels[n] = Int32(n % 4) }
        let parameters = network.initialParameters(.pytorchDefault, seed: 5)
        func loss(_ values: [Float]) -> Double {
            values.withUnsafeBufferPointer { p in
                workspace.forward(parameters: p.baseAddress!, batch: batch)
                return Double(workspace.backward(parameters: p.baseAddress!, batch: batch, loss: .crossEntropy))
            }
        }
        _ = loss(parameters)
        let analytic = Array(UnsafeBufferPointer(start: workspace.parameterGradients, count: parameters.count))
        checkGradient("a new layer kind in a network", values: parameters, analytic: analytic, epsilon: 1e-2, tolerance: 5e-3, loss)

        // And it trains: 200 SGD steps on the five images bring the loss down.
        var optimizer = StochasticGradientDescent(parameterCount: parameters.count, learningRate: 0.05, momentum: 0.9)
        var trained = parameters
        let before = loss(trained)
        for _ in 0..<200 {
            _ = loss(trained)
            optimizer.step(parameters: &trained, gradients: Array(UnsafeBufferPointer(start: workspace.parameterGradients, count: trained.count)))
        }
        let after = loss(trained)
        print("a new layer kind: loss \(before) -> \(after) after 200 SGD steps")
        #expect(after < before / 10)
    }
}

@Suite struct SecondDerivativeTests {
    /// The write-up's convolution, which the 1998 paper's optimizer now trains too: its second pass
    /// against eq. 25 and 27 written out, d2E/dw = sum s x^2, d2E/db = sum s, d2E/dx = sum s w^2.
    @Test func convolutionSecondDerivativesFollowTheirDefinition() {
        let layer = Convolution("C", prefix: "c", inputChannels: 2, outputChannels: 3, inputHeight: 6, inputWidth: 7, kernelSize: 3,
                                activation: .identity)
        let batch = 2, s = layer.shape
        let input = randomFloats(batch * layer.inputCount, seed: 1), parameters = randomFloats(layer.parameterCount, seed: 2)
        var second = randomFloats(batch * layer.outputCount, seed: 3).map { abs($0) }
        var parameterSecond = [Float](repeating: 0, count: layer.parameterCount)
        var inputSecond = [Float](repeating: 0, count: batch * layer.inputCount)
        // The pass keeps its pointers, so they must outlive it: buffers of its own.
        let output = UnsafeMutablePointer<Float>.allocate(capacity: batch * layer.outputCount)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: layer.scratchCount(capacity: batch))
        defer { output.deallocate(); scratch.deallocate() }
        output.initialize(repeating: 0, count: batch * layer.outputCount)
        let expectedSecond = second
        input.withUnsafeBufferPointer { x in
            parameters.withUnsafeBufferPointer { p in
                let pass = LayerPass(batch: batch, kernels: .fast, input: x.baseAddress!, output: output, parameters: p.baseAddress!, scratch: scratch)
                layer.secondBackward(pass, outputSecond: &second, parameterSecond: &parameterSecond, inputSecond: &inputSecond)
            }
        }
        var weight = [Float](repeating: 0, count: s.weightCount), bias = [Float](repeating: 0, count: 3)
        var inputExpected = [Float](repeating: 0, count: inputSecond.count)
        for n in 0..<batch {
            for o in 0..<3 {
                for y in 0..<s.outputHeight {
                    for x in 0..<s.outputWidth {
                        let t = expectedSecond[((n * 3 + o) * s.outputHeight + y) * s.outputWidth + x]
                        bias[o] += t
                        for c in 0..<2 {
                            for i in 0..<3 {
                                for j in 0..<3 {
                                    let xi = ((n * 2 + c) * 6 + y + i) * 7 + x + j, wi = ((o * 2 + c) * 3 + i) * 3 + j
                                    weight[wi] += t * input[xi] * input[xi]
                                    inputExpected[xi] += t * parameters[wi] * parameters[wi]
                                }
                            }
                        }
                    }
                }
            }
        }
        let worst = zip(parameterSecond, weight + bias).map { abs($0 - $1) }.max()! + zip(inputSecond, inputExpected).map { abs($0 - $1) }.max()!
        print("convolution second derivatives against their definition: largest difference \(worst)")
        #expect(worst < 1e-4)
    }
}
