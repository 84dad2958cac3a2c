/// The shape of a valid (unpadded), stride-1 2-D convolution, in PyTorch's layouts:
/// input [N, C, H, W], weight [O, C, K, K], bias [O], output [N, O, H-K+1, W-K+1].
public struct ConvolutionShape: Sendable, Equatable {
    /// C, the input's channels.
    public var inputChannels: Int
    /// O, the output's channels.
    public var outputChannels: Int
    /// H, the input's height.
    public var inputHeight: Int
    /// W, the input's width.
    public var inputWidth: Int
    /// K, the side of each square kernel.
    public var kernelSize: Int

    /// The shape of a convolution of `outputChannels` kernels of K x K x C over inputs of C x H x W.
    public init(inputChannels: Int, outputChannels: Int, inputHeight: Int, inputWidth: Int, kernelSize: Int) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.kernelSize = kernelSize
    }

    /// H - K + 1.
    public var outputHeight: Int { inputHeight - kernelSize + 1 }
    /// W - K + 1.
    public var outputWidth: Int { inputWidth - kernelSize + 1 }
    /// Floats in one input channel: H W.
    public var inputPlane: Int { inputHeight * inputWidth }
    /// Floats in one output channel: (H - K + 1)(W - K + 1).
    public var outputPlane: Int { outputHeight * outputWidth }
    /// Floats of input per image: C H W.
    public var inputCount: Int { inputChannels * inputPlane }
    /// Floats of output per image: O (H - K + 1)(W - K + 1).
    public var outputCount: Int { outputChannels * outputPlane }
    /// Weights: O C K K.
    public var weightCount: Int { outputChannels * inputChannels * kernelSize * kernelSize }
    /// Floats of scratch the fast kernels need for a batch of `batch` images.
    public func scratchCount(batch: Int) -> Int {
        hasWinograd ? winogradScratchCount : outputHeight * inputWidth
    }
    /// The span of a "wide" output plane: rows of `inputWidth`, the last one cut at `outputWidth`.
    var wideSpan: Int { (outputHeight - 1) * inputWidth + outputWidth }
}

// MARK: - Naive oracles

/// out[n,o,y,x] = bias[o] + sum_{c,i,j} input[n,c,y+i,x+j] * weight[o,c,i,j]
public func convolutionForwardNaive(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                    output: UnsafeMutablePointer<Float>) {
    let k = s.kernelSize
    for n in 0..<batch {
        for o in 0..<s.outputChannels {
            for y in 0..<s.outputHeight {
                for x in 0..<s.outputWidth {
                    var sum = bias[o]
                    for c in 0..<s.inputChannels {
                        for i in 0..<k {
                            for j in 0..<k {
                                let inputIndex = ((n * s.inputChannels + c) * s.inputHeight + y + i) * s.inputWidth + x + j
                                sum += input[inputIndex] * weight[((o * s.inputChannels + c) * k + i) * k + j]
                            }
                        }
                    }
                    output[((n * s.outputChannels + o) * s.outputHeight + y) * s.outputWidth + x] = sum
                }
            }
        }
    }
}

/// Given dL/dout, accumulates nothing: overwrites dL/dweight, dL/dbias and, when `inputGradient`
/// is not nil, dL/dinput.
///   dweight[o,c,i,j] = sum_{n,y,x} dout[n,o,y,x] * input[n,c,y+i,x+j]
///   dbias[o]         = sum_{n,y,x} dout[n,o,y,x]
///   dinput[n,c,y+i,x+j] += dout[n,o,y,x] * weight[o,c,i,j]
public func convolutionBackwardNaive(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                     weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                     weightGradient: UnsafeMutablePointer<Float>,
                                     biasGradient: UnsafeMutablePointer<Float>,
                                     inputGradient: UnsafeMutablePointer<Float>?) {
    let k = s.kernelSize
    weightGradient.update(repeating: 0, count: s.weightCount)
    biasGradient.update(repeating: 0, count: s.outputChannels)
    inputGradient?.update(repeating: 0, count: batch * s.inputCount)
    for n in 0..<batch {
        for o in 0..<s.outputChannels {
            for y in 0..<s.outputHeight {
                for x in 0..<s.outputWidth {
                    let g = outputGradient[((n * s.outputChannels + o) * s.outputHeight + y) * s.outputWidth + x]
                    biasGradient[o] += g
                    for c in 0..<s.inputChannels {
                        for i in 0..<k {
                            for j in 0..<k {
                                let inputIndex = ((n * s.inputChannels + c) * s.inputHeight + y + i) * s.inputWidth + x + j
                                let weightIndex = ((o * s.inputChannels + c) * k + i) * k + j
                                weightGradient[weightIndex] += g * input[inputIndex]
                                inputGradient?[inputIndex] += g * weight[weightIndex]
                            }
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Fast kernels
//
// An output plane is computed "wide": laid out with the input's row width, so that the
// contribution of one weight tap (c, i, j) is a single multiply-add over a contiguous span of
// (OH-1)*W + OW floats starting at input[c, i, j]. The columns x >= OW of the wide plane are
// scratch and discarded (forward) or kept at zero (backward).

/// As `convolutionForwardNaive`, then ReLU when `applyReLU` (fused into the store where a
/// shape's own kernel applies). `scratch` holds `s.scratchCount(batch:)` floats; `cache`, if given, is
/// Winograd's (see `convolutionForwardWinograd`), `version` the weights' (`DerivedCache`). Takes Winograd's
/// F(4x4, 5x5) (`s.hasWinograd`: the write-up's C3) or the 24-column one (`s.hasRows24`: its C1)
/// when the shape allows, else the wide planes below.
public func convolutionForward(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                               applyReLU: Bool = false, cache: UnsafeMutablePointer<Float>? = nil, version: UInt64 = 0) {
    if s.hasWinograd {
        convolutionForwardWinograd(s, batch: batch, input: input, weight: weight, bias: bias, output: output, applyReLU: applyReLU,
                                   scratch: scratch, cache: cache, version: version)
        return
    }
    if s.hasRows24 {
        convolutionForwardRows24(s, batch: batch, input: input, weight: weight, bias: bias, output: output, applyReLU: applyReLU)
        return
    }
    defer { if applyReLU { reluForward(output, count: batch &* s.outputCount) } }
    let k = s.kernelSize, width = s.inputWidth, span = s.wideSpan
    for n in 0..<batch {
        let image = input + n &* s.inputCount
        for o in 0..<s.outputChannels {
            scratch.update(repeating: bias[o], count: s.outputHeight * width)
            for c in 0..<s.inputChannels {
                let plane = image + c &* s.inputPlane
                let taps = weight + (o &* s.inputChannels &+ c) &* k &* k
                for i in 0..<k {
                    for j in 0..<k {
                        multiplyAdd(scratch, plane + (i &* width &+ j), taps[i &* k &+ j], span)
                    }
                }
            }
            let out = output + (n &* s.outputChannels &+ o) &* s.outputPlane
            for y in 0..<s.outputHeight {
                (out + y &* s.outputWidth).update(from: scratch + y &* width, count: s.outputWidth)
            }
        }
    }
}

/// As `convolutionBackwardNaive`. `scratch` holds `s.scratchCount(batch:)` floats; `cache` and
/// `version`: as `convolutionForward`'s. Takes Winograd's F(4x4, 5x5) (`s.hasWinograd`) or the
/// 24-column weight gradient of a first layer (`s.hasRows24`, no input gradient) when the shape
/// allows, else the wide planes below.
public func convolutionBackward(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                weightGradient: UnsafeMutablePointer<Float>,
                                biasGradient: UnsafeMutablePointer<Float>,
                                inputGradient: UnsafeMutablePointer<Float>?,
                                scratch: UnsafeMutablePointer<Float>, cache: UnsafeMutablePointer<Float>? = nil, version: UInt64 = 0) {
    if s.hasWinograd {
        convolutionBackwardWinograd(s, batch: batch, input: input, weight: weight, outputGradient: outputGradient,
                                    weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient,
                                    scratch: scratch, cache: cache, version: version)
        return
    }
    if s.hasRows24 && inputGradient == nil {
        convolutionWeightGradientRows24(s, batch: batch, input: input, outputGradient: outputGradient, weightGradient: weightGradient,
                                        biasGradient: biasGradient)
        return
    }
    let k = s.kernelSize, width = s.inputWidth, span = s.wideSpan
    zero(weightGradient, s.weightCount)
    zero(biasGradient, s.outputChannels)
    if let inputGradient { zero(inputGradient, batch &* s.inputCount) }
    zero(scratch, s.outputHeight * width)
    for n in 0..<batch {
        let image = input + n &* s.inputCount
        for o in 0..<s.outputChannels {
            // The output gradient plane, widened; its extra columns stay zero.
            let gradientPlane = outputGradient + (n &* s.outputChannels &+ o) &* s.outputPlane
            var biasSum: Float = 0
            for y in 0..<s.outputHeight {
                (scratch + y &* width).update(from: gradientPlane + y &* s.outputWidth, count: s.outputWidth)
                biasSum += rowSum(gradientPlane + y &* s.outputWidth, s.outputWidth)
            }
            biasGradient[o] += biasSum
            for c in 0..<s.inputChannels {
                let plane = image + c &* s.inputPlane
                let tapIndex = (o &* s.inputChannels &+ c) &* k &* k
                for i in 0..<k {
                    for j in 0..<k {
                        let offset = i &* width &+ j
                        weightGradient[tapIndex &+ i &* k &+ j] += dot(scratch, plane + offset, span)
                        if let inputGradient {
                            let target = inputGradient + (n &* s.inputCount &+ c &* s.inputPlane &+ offset)
                            multiplyAdd(target, scratch, weight[tapIndex &+ i &* k &+ j], span)
                        }
                    }
                }
            }
        }
    }
}

@inline(__always)
func rowSum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var total: Float = 0
    for i in 0..<count { total += x[i] }
    return total
}
