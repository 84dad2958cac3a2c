import Foundation
import Testing
import Kernels
@testable import NeuralNetwork

func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) * 0x1p-23 - 1
    }
}

/// Central finite differences of a scalar function of `values`, checked against `analytic` at every
/// index. Prints and returns the largest relative error, |numeric - analytic| / max(1, |analytic|).
@discardableResult
func checkGradient(_ name: String, values: [Float], analytic: [Float], epsilon: Float = 1e-2,
                   tolerance: Double = 2e-3, skip: (Int) -> Bool = { _ in false },
                   _ objective: ([Float]) -> Double) -> Double {
    var worst = 0.0
    for index in values.indices where !skip(index) {
        var plus = values, minus = values
        plus[index] += epsilon
        minus[index] -= epsilon
        let numeric = (objective(plus) - objective(minus)) / Double(2 * epsilon)
        let error = abs(numeric - Double(analytic[index])) / max(1, abs(Double(analytic[index])))
        worst = max(worst, error)
    }
    print("gradient check \(name): largest relative error \(worst) over \(values.count) values")
    #expect(worst < tolerance, "\(name)")
    return worst
}

/// sum_i out_i * r_i in double precision: an objective whose gradient with respect to the output is r.
func weightedSum(_ output: [Float], _ r: [Float]) -> Double {
    zip(output, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

@Suite struct LayerGradientChecks {
    @Test func convolution() {
        let shape = ConvolutionShape(inputChannels: 2, outputChannels: 3, inputHeight: 8, inputWidth: 7, kernelSize: 5)
        let batch = 2
        let input = randomFloats(batch * shape.inputCount, seed: 1)
        let weight = randomFloats(shape.weightCount, seed: 2)
        let bias = randomFloats(shape.outputChannels, seed: 3)
        let r = randomFloats(batch * shape.outputCount, seed: 4)
        var scratch = [Float](repeating: 0, count: shape.scratchCount(batch: batch))
        func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var out = [Float](repeating: 0, count: batch * shape.outputCount)
            convolutionForward(shape, batch: batch, input: x, weight: w, bias: b, output: &out, scratch: &scratch)
            return weightedSum(out, r)
        }
        var dw = [Float](repeating: 0, count: shape.weightCount), db = [Float](repeating: 0, count: 3)
        var dx = [Float](repeating: 0, count: input.count)
        convolutionBackward(shape, batch: batch, input: input, weight: weight, outputGradient: r,
                            weightGradient: &dw, biasGradient: &db, inputGradient: &dx, scratch: &scratch)
        checkGradient("convolution weight", values: weight, analytic: dw) { forward(input, $0, bias) }
        checkGradient("convolution bias", values: bias, analytic: db) { forward(input, weight, $0) }
        checkGradient("convolution input", values: input, analytic: dx) { forward($0, weight, bias) }
    }

    @Test func linear() {
        let (batch, inputs, outputs) = (3, 11, 5)
        let input = randomFloats(batch * inputs, seed: 5)
        let weight = randomFloats(outputs * inputs, seed: 6)
        let bias = randomFloats(outputs, seed: 7)
        let r = randomFloats(batch * outputs, seed: 8)
        func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var out = [Float](repeating: 0, count: batch * outputs)
            linearForward(batch: batch, inputs: inputs, outputs: outputs, input: x, weight: w, bias: b, output: &out)
            return weightedSum(out, r)
        }
        var dw = [Float](repeating: 0, count: weight.count), db = [Float](repeating: 0, count: outputs)
        var dx = [Float](repeating: 0, count: input.count)
        linearBackward(batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight, outputGradient: r,
                       weightGradient: &dw, biasGradient: &db, inputGradient: &dx)
        checkGradient("linear weight", values: weight, analytic: dw) { forward(input, $0, bias) }
        checkGradient("linear bias", values: bias, analytic: db) { forward(input, weight, $0) }
        checkGradient("linear input", values: input, analytic: dx) { forward($0, weight, bias) }
    }

    @Test func sumPooling() {
        let input = randomFloats(2 * 6 * 6, seed: 9)
        let r = randomFloats(2 * 3 * 3, seed: 10)
        var dx = [Float](repeating: 0, count: input.count)
        sumPoolBackward(planes: 2, height: 6, width: 6, outputGradient: r, inputGradient: &dx)
        checkGradient("sum pooling", values: input, analytic: dx) { x in
            var out = [Float](repeating: 0, count: r.count)
            sumPoolForward(planes: 2, height: 6, width: 6, input: x, output: &out)
            return weightedSum(out, r)
        }
    }

    @Test func relu() {
        // Away from the kink at 0, where the function is not differentiable.
        let input = randomFloats(64, seed: 11).map { $0 + ($0 < 0 ? -0.05 : 0.05) }
        let r = randomFloats(64, seed: 12)
        var output = input
        reluForward(&output, count: output.count)
        var dx = r
        reluBackward(output: output, gradient: &dx, count: dx.count)
        checkGradient("relu", values: input, analytic: dx, epsilon: 1e-3) { x in
            var y = x
            reluForward(&y, count: y.count)
            return weightedSum(y, r)
        }
    }

    @Test func softmaxCrossEntropyGradient() {
        let (batch, classes) = (4, 10)
        let logits = randomFloats(batch * classes, seed: 13).map { $0 * 3 }
        let labels: [Int32] = [3, 0, 9, 3]
        var probabilities = [Float](repeating: 0, count: logits.count), gradient = probabilities
        _ = softmaxCrossEntropy(batch: batch, classes: classes, logits: logits, labels: labels,
                                probabilities: &probabilities, logitsGradient: &gradient)
        checkGradient("softmax cross-entropy", values: logits, analytic: gradient, epsilon: 1e-2, tolerance: 1e-3) { z in
            var p = [Float](repeating: 0, count: z.count)
            return Double(softmaxCrossEntropy(batch: batch, classes: classes, logits: z, labels: labels,
                                              probabilities: &p, logitsGradient: nil))
        }
    }
}

@Suite struct LabelSmoothingTests {
    @Test func smoothedCrossEntropyGradientAgreesWithFiniteDifferences() {
        let (batch, classes) = (4, 10)
        let logits = randomFloats(batch * classes, seed: 17).map { $0 * 3 }
        let labels: [Int32] = [3, 0, 9, 3]
        var probabilities = [Float](repeating: 0, count: logits.count), gradient = probabilities
        _ = softmaxCrossEntropy(batch: batch, classes: classes, logits: logits, labels: labels,
                                probabilities: &probabilities, logitsGradient: &gradient, labelSmoothing: 0.1)
        checkGradient("smoothed cross-entropy", values: logits, analytic: gradient, epsilon: 1e-2, tolerance: 1e-3) { z in
            var p = [Float](repeating: 0, count: z.count)
            return Double(softmaxCrossEntropy(batch: batch, classes: classes, logits: z, labels: labels,
                                              probabilities: &p, logitsGradient: nil, labelSmoothing: 0.1))
        }
    }

    /// PyTorch's definition: (1 - e) * CE(label) + e * mean over classes of CE(class), by hand.
    @Test func smoothedLossIsTheMixtureOfTargets() {
        let logits: [Float] = [2, -1, 0.5, 0, 1]
        var p = [Float](repeating: 0, count: 5)
        let e: Float = 0.2
        let loss = softmaxCrossEntropy(batch: 1, classes: 5, logits: logits, labels: [2], probabilities: &p, logitsGradient: nil, labelSmoothing: e)
        let logSum = log(logits.map { exp(Double($0)) }.reduce(0, +))
        let perClass = logits.map { logSum - Double($0) }
        let expected = (1 - Double(e)) * perClass[2] + Double(e) * perClass.reduce(0, +) / 5
        print("smoothed loss \(loss), by hand \(expected)")
        #expect(abs(Double(loss) - expected) < 1e-5)
        // No smoothing is the plain loss, bit for bit.
        var q = p, g1 = p, g2 = p
        let plain = softmaxCrossEntropy(batch: 1, classes: 5, logits: logits, labels: [2], probabilities: &q, logitsGradient: &g1)
        let zero = softmaxCrossEntropy(batch: 1, classes: 5, logits: logits, labels: [2], probabilities: &q, logitsGradient: &g2, labelSmoothing: 0)
        #expect(plain.bitPattern == zero.bitPattern && g1 == g2)
    }
}

@Suite struct LossTests {
    @Test func uniformLogitsGiveLogOfTheClassCount() {
        let logits = [Float](repeating: 0.25, count: 20)
        var p = [Float](repeating: 0, count: 20)
        let loss = softmaxCrossEntropy(batch: 2, classes: 10, logits: logits, labels: [1, 7], probabilities: &p, logitsGradient: nil)
        #expect(abs(loss - logf(10)) < 1e-6)
        #expect(p.allSatisfy { abs($0 - 0.1) < 1e-7 })
    }

    @Test func hugeLogitsStayFinite() {
        let logits: [Float] = [1000, -1000, 999, 0, 0, 0, 0, 0, 0, 0]
        var p = [Float](repeating: 0, count: 10), g = p
        let loss = softmaxCrossEntropy(batch: 1, classes: 10, logits: logits, labels: [2], probabilities: &p, logitsGradient: &g)
        #expect(loss.isFinite && abs(loss - (1 + log1pf(expf(-1)))) < 1e-4)
        #expect(g.allSatisfy { $0.isFinite })
        #expect(abs(p.reduce(0, +) - 1) < 1e-6)
    }
}

@Suite struct OptimizerTests {
    @Test func momentumFollowsPyTorchsRule() {
        var sgd = StochasticGradientDescent(parameterCount: 2, learningRate: 0.1, momentum: 0.9)
        var parameters: [Float] = [1, -1]
        let gradients: [[Float]] = [[0.5, 1], [0.25, -1], [1, 0]]
        var buffer: [Float] = [0, 0], expected = parameters
        for (step, g) in gradients.enumerated() {
            for i in 0..<2 {
                buffer[i] = step == 0 ? g[i] : 0.9 * buffer[i] + g[i]
                expected[i] -= 0.1 * buffer[i]
            }
            sgd.step(parameters: &parameters, gradients: g)
            #expect(parameters == expected)
            #expect(sgd.velocity == buffer)
        }
        #expect(sgd.steps == 3)
    }

    /// torch.optim.SGD(lr, momentum, weight_decay, nesterov=True), written out:
    ///   g = grad + wd * p; buf = g (first step) or mu * buf + g; p -= lr * (g + mu * buf).
    @Test func nesterovAndWeightDecayFollowPyTorchsRule() {
        var sgd = StochasticGradientDescent(learningRate: 0.1, momentum: 0.9, velocity: [0, 0], steps: 0, weightDecay: 0.01, nesterov: true)
        var parameters: [Float] = [1, -1]
        let gradients: [[Float]] = [[0.5, 1], [0.25, -1], [1, 0]]
        var buffer: [Float] = [0, 0], expected = parameters
        for (step, g) in gradients.enumerated() {
            for i in 0..<2 {
                let decayed = g[i] + 0.01 * expected[i]
                buffer[i] = step == 0 ? decayed : 0.9 * buffer[i] + decayed
                expected[i] -= 0.1 * (decayed + 0.9 * buffer[i])
            }
            sgd.step(parameters: &parameters, gradients: g)
            #expect(parameters == expected)
            #expect(sgd.velocity == buffer)
        }
        // Weight decay alone pulls a parameter with no gradient towards 0.
        var decayOnly = StochasticGradientDescent(learningRate: 0.5, momentum: 0, velocity: [0], steps: 0, weightDecay: 0.1)
        var weight: [Float] = [2]
        decayOnly.step(parameters: &weight, gradients: [0])
        #expect(weight == [2 - 0.5 * 0.1 * 2])
    }
}
