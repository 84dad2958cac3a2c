/// Fully connected layer in PyTorch's layout: input [N, I], weight [O, I], bias [O], output [N, O].
///   out[n,o] = bias[o] + sum_i input[n,i] * weight[o,i]

// MARK: - Naive oracles

public func linearForwardNaive(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               output: UnsafeMutablePointer<Float>) {
    for n in 0..<batch {
        for o in 0..<outputs {
            var sum = bias[o]
            for i in 0..<inputs { sum += input[n * inputs + i] * weight[o * inputs + i] }
            output[n * outputs + o] = sum
        }
    }
}

/// Overwrites dweight[o,i] = sum_n dout[n,o] input[n,i], dbias[o] = sum_n dout[n,o] and, when
/// `inputGradient` is not nil, dinput[n,i] = sum_o dout[n,o] weight[o,i].
public func linearBackwardNaive(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                weightGradient: UnsafeMutablePointer<Float>,
                                biasGradient: UnsafeMutablePointer<Float>,
                                inputGradient: UnsafeMutablePointer<Float>?) {
    for o in 0..<outputs {
        var biasSum: Float = 0
        for n in 0..<batch { biasSum += outputGradient[n * outputs + o] }
        biasGradient[o] = biasSum
        for i in 0..<inputs {
            var sum: Float = 0
            for n in 0..<batch { sum += outputGradient[n * outputs + o] * input[n * inputs + i] }
            weightGradient[o * inputs + i] = sum
        }
    }
    if let inputGradient {
        for n in 0..<batch {
            for i in 0..<inputs {
                var sum: Float = 0
                for o in 0..<outputs { sum += outputGradient[n * outputs + o] * weight[o * inputs + i] }
                inputGradient[n * inputs + i] = sum
            }
        }
    }
}

// MARK: - Fast kernels

/// As `linearForwardNaive`: one SIMD dot product per output.
public func linearForward(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>) {
    for n in 0..<batch {
        let row = input + n &* inputs
        let out = output + n &* outputs
        for o in 0..<outputs {
            out[o] = bias[o] + dot(row, weight + o &* inputs, inputs)
        }
    }
}

/// As `linearBackwardNaive`: rows of the gradients are built by SIMD multiply-adds.
public func linearBackward(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                           weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                           weightGradient: UnsafeMutablePointer<Float>,
                           biasGradient: UnsafeMutablePointer<Float>,
                           inputGradient: UnsafeMutablePointer<Float>?) {
    zero(weightGradient, outputs &* inputs)
    zero(biasGradient, outputs)
    for n in 0..<batch {
        let gradientRow = outputGradient + n &* outputs
        let inputRow = input + n &* inputs
        for o in 0..<outputs {
            let g = gradientRow[o]
            biasGradient[o] += g
            multiplyAdd(weightGradient + o &* inputs, inputRow, g, inputs)
        }
    }
    if let inputGradient {
        zero(inputGradient, batch &* inputs)
        for n in 0..<batch {
            let gradientRow = outputGradient + n &* outputs
            let target = inputGradient + n &* inputs
            for o in 0..<outputs {
                multiplyAdd(target, weight + o &* inputs, gradientRow[o], inputs)
            }
        }
    }
}
