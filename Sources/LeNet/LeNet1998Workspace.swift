import Kernels
import NeuralNetwork

/// Everything one pattern's forward, backward and second-derivative passes through `LeNet1998`
/// write, allocated once. Each layer keeps its squashed output y; the backward passes turn dE/dy
/// into dE/da in place with f'(a) computed from y.
public final class LeNet1998Workspace {
    static let sizes = (input: 32 * 32, c1: 6 * 28 * 28, s2: 6 * 14 * 14, c3: 16 * 10 * 10, s4: 16 * 5 * 5,
                        c5: 120, f6: 84, output: 10)

    private let storage: UnsafeMutablePointer<Float>
    private let storageCount: Int
    /// [32, 32]: the prepared input. Filled by the caller (see `LeNet1998.prepare`).
    public let input: UnsafeMutablePointer<Float>
    /// Each layer's output after the squashing function; `penalties` are the RBF outputs.
    public let c1, s2, c3, s4, c5, f6, penalties: UnsafeMutablePointer<Float>
    /// Working buffers for first, then second, derivatives with respect to each layer's output.
    let dC1, dS2, dC3, dS4, dC5, dF6, dPenalties: UnsafeMutablePointer<Float>
    /// dE/dw for every parameter (overwritten by `backward`).
    public let gradients: UnsafeMutablePointer<Float>
    /// d2E/dw2 for every parameter (overwritten by `secondBackward`).
    public let secondDerivatives: UnsafeMutablePointer<Float>

    public init() {
        let s = Self.sizes
        let layers = [s.c1, s.s2, s.c3, s.s4, s.c5, s.f6, s.output]
        let parameterCount = LeNet1998.layout.count
        storageCount = s.input + 2 * layers.reduce(0, +) + 2 * parameterCount
        storage = .allocate(capacity: storageCount)
        storage.initialize(repeating: 0, count: storageCount)
        var cursor = storage
        func carve(_ count: Int) -> UnsafeMutablePointer<Float> {
            defer { cursor += count }
            return cursor
        }
        input = carve(s.input)
        c1 = carve(s.c1); s2 = carve(s.s2); c3 = carve(s.c3); s4 = carve(s.s4); c5 = carve(s.c5); f6 = carve(s.f6)
        penalties = carve(s.output)
        dC1 = carve(s.c1); dS2 = carve(s.s2); dC3 = carve(s.c3); dS4 = carve(s.s4); dC5 = carve(s.c5); dF6 = carve(s.f6)
        dPenalties = carve(s.output)
        gradients = carve(parameterCount)
        secondDerivatives = carve(parameterCount)
    }

    deinit { storage.deallocate() }

    /// Where each parameter tensor starts in the flat buffer, looked up once.
    struct Offsets {
        let c1Weight, c1Bias, s2Coefficient, s2Bias, c3Weight, c3Bias, s4Coefficient, s4Bias: Int
        let c5Weight, c5Bias, f6Weight, f6Bias: Int
    }
    static let at: Offsets = {
        func offset(_ name: String) -> Int { LeNet1998.layout[name]!.offset }
        return Offsets(c1Weight: offset("c1.weight"), c1Bias: offset("c1.bias"), s2Coefficient: offset("s2.coefficient"),
                       s2Bias: offset("s2.bias"), c3Weight: offset("c3.weight"), c3Bias: offset("c3.bias"),
                       s4Coefficient: offset("s4.coefficient"), s4Bias: offset("s4.bias"), c5Weight: offset("c5.weight"),
                       c5Bias: offset("c5.bias"), f6Weight: offset("f6.weight"), f6Bias: offset("f6.bias"))
    }()

    /// The forward pass of the pattern in `input`, to the ten RBF penalties.
    public func forward(parameters p: UnsafePointer<Float>) {
        let s = Self.sizes, at = Self.at
        LeNet1998.c1.forward(input: input, weight: p + at.c1Weight, bias: p + at.c1Bias, output: c1)
        Squashing.forward(c1, c1, count: s.c1)
        LeNet1998.s2.forward(input: c1, coefficient: p + at.s2Coefficient, bias: p + at.s2Bias, output: s2)
        Squashing.forward(s2, s2, count: s.s2)
        LeNet1998.c3.forward(input: s2, weight: p + at.c3Weight, bias: p + at.c3Bias, output: c3)
        Squashing.forward(c3, c3, count: s.c3)
        LeNet1998.s4.forward(input: c3, coefficient: p + at.s4Coefficient, bias: p + at.s4Bias, output: s4)
        Squashing.forward(s4, s4, count: s.s4)
        // C5's 5x5 kernels cover its whole 5x5 input: it is a dot product of the 400 S4 outputs.
        linearForward(batch: 1, inputs: 400, outputs: 120, input: s4, weight: p + at.c5Weight, bias: p + at.c5Bias, output: c5)
        Squashing.forward(c5, c5, count: s.c5)
        linearForward(batch: 1, inputs: 120, outputs: 84, input: c5, weight: p + at.f6Weight, bias: p + at.f6Bias, output: f6)
        Squashing.forward(f6, f6, count: s.f6)
        LeNet1998.output.forward(input: f6, penalties: penalties)
    }

    /// The predicted class of the last forward pass: the smallest penalty.
    public var prediction: Int { RadialBasisOutput.predict(penalties, classes: 10) }

    /// The loss of the last forward pass for class `label`, and dE/dw into `gradients`: the forward's
    /// calls in reverse.
    @discardableResult
    public func backward(parameters p: UnsafePointer<Float>, label: Int, loss: PaperLoss) -> Float {
        let s = Self.sizes, at = Self.at, g = gradients
        let value = loss.evaluate(penalties: penalties, classes: 10, label: label, gradient: dPenalties)
        LeNet1998.output.backward(input: f6, penaltyGradient: dPenalties, inputGradient: dF6)
        Squashing.backward(output: f6, gradient: dF6, count: s.f6)
        linearBackward(batch: 1, inputs: 120, outputs: 84, input: c5, weight: p + at.f6Weight, outputGradient: dF6,
                       weightGradient: g + at.f6Weight, biasGradient: g + at.f6Bias, inputGradient: dC5)
        Squashing.backward(output: c5, gradient: dC5, count: s.c5)
        linearBackward(batch: 1, inputs: 400, outputs: 120, input: s4, weight: p + at.c5Weight, outputGradient: dC5,
                       weightGradient: g + at.c5Weight, biasGradient: g + at.c5Bias, inputGradient: dS4)
        Squashing.backward(output: s4, gradient: dS4, count: s.s4)
        LeNet1998.s4.backward(input: c3, coefficient: p + at.s4Coefficient, outputGradient: dS4,
                              coefficientGradient: g + at.s4Coefficient, biasGradient: g + at.s4Bias, inputGradient: dC3)
        Squashing.backward(output: c3, gradient: dC3, count: s.c3)
        LeNet1998.c3.backward(input: s2, weight: p + at.c3Weight, outputGradient: dC3,
                              weightGradient: g + at.c3Weight, biasGradient: g + at.c3Bias, inputGradient: dS2)
        Squashing.backward(output: s2, gradient: dS2, count: s.s2)
        LeNet1998.s2.backward(input: c1, coefficient: p + at.s2Coefficient, outputGradient: dS2,
                              coefficientGradient: g + at.s2Coefficient, biasGradient: g + at.s2Bias, inputGradient: dC1)
        Squashing.backward(output: c1, gradient: dC1, count: s.c1)
        LeNet1998.c1.backward(input: input, weight: p + at.c1Weight, outputGradient: dC1,
                              weightGradient: g + at.c1Weight, biasGradient: g + at.c1Bias, inputGradient: nil)
        return value
    }

    /// The diagonal Gauss-Newton second derivatives d2E/dw2 of the last forward pass into
    /// `secondDerivatives` (eqs. 25 and 27), starting from d2E/dx2 = 2 at the RBF's input.
    public func secondBackward(parameters p: UnsafePointer<Float>) {
        let s = Self.sizes, at = Self.at, h = secondDerivatives
        dF6.update(repeating: PaperLoss.inputSecondDerivative, count: s.f6)
        Squashing.secondBackward(output: f6, second: dF6, count: s.f6)
        linearSecondBackward(inputs: 120, outputs: 84, input: c5, weight: p + at.f6Weight, outputSecond: dF6,
                             weightSecond: h + at.f6Weight, biasSecond: h + at.f6Bias, inputSecond: dC5)
        Squashing.secondBackward(output: c5, second: dC5, count: s.c5)
        linearSecondBackward(inputs: 400, outputs: 120, input: s4, weight: p + at.c5Weight, outputSecond: dC5,
                             weightSecond: h + at.c5Weight, biasSecond: h + at.c5Bias, inputSecond: dS4)
        Squashing.secondBackward(output: s4, second: dS4, count: s.s4)
        LeNet1998.s4.secondBackward(input: c3, coefficient: p + at.s4Coefficient, outputSecond: dS4,
                                    coefficientSecond: h + at.s4Coefficient, biasSecond: h + at.s4Bias, inputSecond: dC3)
        Squashing.secondBackward(output: c3, second: dC3, count: s.c3)
        LeNet1998.c3.secondBackward(input: s2, weight: p + at.c3Weight, outputSecond: dC3,
                                    weightSecond: h + at.c3Weight, biasSecond: h + at.c3Bias, inputSecond: dS2)
        Squashing.secondBackward(output: s2, second: dS2, count: s.s2)
        LeNet1998.s2.secondBackward(input: c1, coefficient: p + at.s2Coefficient, outputSecond: dS2,
                                    coefficientSecond: h + at.s2Coefficient, biasSecond: h + at.s2Bias, inputSecond: dC1)
        Squashing.secondBackward(output: c1, second: dC1, count: s.c1)
        LeNet1998.c1.secondBackward(input: input, weight: p + at.c1Weight, outputSecond: dC1,
                                    weightSecond: h + at.c1Weight, biasSecond: h + at.c1Bias, inputSecond: nil)
    }
}
