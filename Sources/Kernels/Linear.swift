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

/// As `linearBackwardNaive`. Each gradient row is built in registers, 32 columns at a time, and
/// stored once:
///   dweight[o, i..i+32] = sum_n dout[n,o] * input[n, i..i+32]
///   dinput[n, i..i+32]  = sum_o dout[n,o] * weight[o, i..i+32]
public func linearBackward(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                           weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                           weightGradient: UnsafeMutablePointer<Float>,
                           biasGradient: UnsafeMutablePointer<Float>,
                           inputGradient: UnsafeMutablePointer<Float>?) {
    for o in 0..<outputs {
        var sum: Float = 0
        for n in 0..<batch { sum += outputGradient[n &* outputs &+ o] }
        biasGradient[o] = sum
        weightedRowSum(terms: batch, width: inputs, coefficient: { outputGradient[$0 &* outputs &+ o] },
                       rows: input, rowStride: inputs, into: weightGradient + o &* inputs)
    }
    if let inputGradient {
        for n in 0..<batch {
            let gradientRow = outputGradient + n &* outputs
            weightedRowSum(terms: outputs, width: inputs, coefficient: { gradientRow[$0] },
                           rows: weight, rowStride: inputs, into: inputGradient + n &* inputs)
        }
    }
}

/// target[0..<width] = sum_t coefficient(t) * rows[t * rowStride ..< + width], accumulated in
/// registers in the order t = 0, 1, ...
@inline(__always)
func weightedRowSum(terms: Int, width: Int, coefficient: (Int) -> Float, rows: UnsafePointer<Float>,
                    rowStride: Int, into target: UnsafeMutablePointer<Float>) {
    var i = 0
    while i &+ 32 <= width {
        var a0 = Vector8(), a1 = Vector8(), a2 = Vector8(), a3 = Vector8()
        for t in 0..<terms {
            let c = Vector8(repeating: coefficient(t))
            let row = rows + (t &* rowStride &+ i)
            a0 = multiplyAdd(a0, c, load8(row))
            a1 = multiplyAdd(a1, c, load8(row + 8))
            a2 = multiplyAdd(a2, c, load8(row + 16))
            a3 = multiplyAdd(a3, c, load8(row + 24))
        }
        store8(a0, target + i); store8(a1, target + (i &+ 8)); store8(a2, target + (i &+ 16)); store8(a3, target + (i &+ 24))
        i &+= 32
    }
    while i &+ 8 <= width {
        var a0 = Vector8()
        for t in 0..<terms {
            a0 = multiplyAdd(a0, Vector8(repeating: coefficient(t)), load8(rows + (t &* rowStride &+ i)))
        }
        store8(a0, target + i)
        i &+= 8
    }
    while i < width {
        var a: Float = 0
        for t in 0..<terms { a += coefficient(t) * rows[t &* rowStride &+ i] }
        target[i] = a
        i &+= 1
    }
}

/// One pattern's backward pass fused with the update of stochastic diagonal Levenberg-Marquardt,
/// bit for bit `linearBackward` (batch 1) followed by w -= eps * dE/dw, without writing dE/dw:
///   dinput[i] = sum_o dout[o] * weight[o,i]         (with the weights before the update; o in order)
///   weight[o,i] -= weightSteps[o,i] * (dout[o] * input[i]),   bias[o] -= biasSteps[o] * dout[o]
/// One pass over the weights, reading and writing each row once.
public func linearBackwardStep(inputs: Int, outputs: Int, input: UnsafePointer<Float>, weight: UnsafeMutablePointer<Float>,
                               bias: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                               weightSteps: UnsafePointer<Float>, biasSteps: UnsafePointer<Float>,
                               inputGradient: UnsafeMutablePointer<Float>?) {
    if let inputGradient { zero(inputGradient, inputs) }
    let vectorEnd = inputs & ~7
    for o in 0..<outputs {
        let g = outputGradient[o], row = weight + o &* inputs, steps = weightSteps + o &* inputs
        let gradient = Vector8(repeating: g)
        var i = 0
        while i < vectorEnd {
            let w = load8(row + i)
            if let inputGradient { store8(multiplyAdd(load8(inputGradient + i), gradient, w), inputGradient + i) }
            store8(w - load8(steps + i) * (gradient * load8(input + i)), row + i)
            i &+= 8
        }
        while i < inputs {
            if let inputGradient { inputGradient[i] += g * row[i] }
            row[i] -= steps[i] * (g * input[i])
            i &+= 1
        }
        bias[o] -= biasSteps[o] * g
    }
}
