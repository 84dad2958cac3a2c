/// Register-blocked 5x5 convolution kernels: the fast path taken when the kernel is 5x5 and the
/// output width is a multiple of 8 (LeNet's C1: 24, C3: 8; and the padded input-gradient pass).
///
/// Forward: one SIMD8 vector of output columns per output channel, for up to 8 output channels at
/// once (8 accumulators in registers); each input vector loaded once feeds all of them.
/// Weight gradient: for each (o, c, i) the five taps' partial sums stay in 5 registers across the
/// whole batch; one horizontal sum per tap at the end.
/// Input gradient: a forward convolution of the zero-padded output gradient with the kernel flipped
/// and its channel axes swapped.

@inline(__always)
func multiplyAdd(_ accumulator: Vector8, _ a: Vector8, _ b: Vector8) -> Vector8 {
    #if FUSED_MULTIPLY_ADD || arch(arm64)
    return accumulator.addingProduct(a, b)
    #else
    return accumulator + a * b
    #endif
}

extension ConvolutionShape {
    /// True when the blocked kernels apply.
    public var isBlockable: Bool { kernelSize == 5 && outputWidth % 8 == 0 && outputWidth > 0 && outputHeight > 0 }
    /// The padded output-gradient plane of the input-gradient pass: rows and columns.
    var paddedGradientHeight: Int { outputHeight + 8 }
    var wideInputWidth: Int { (inputWidth + 7) / 8 * 8 }
    var paddedGradientWidth: Int { wideInputWidth + 4 }
    /// Scratch floats the blocked backward pass needs.
    public var blockedScratchCount: Int {
        outputChannels * paddedGradientHeight * paddedGradientWidth + inputChannels * inputHeight * wideInputWidth + weightCount
            + inputChannels
    }
}

/// Output rows for channels o..<o+count of one image: out[o+k, y, x..x+8] for all y and x-chunks.
/// `count` is 8, 6, 4 or 1 (the register block), taken as a literal by the callers.
@inline(__always)
private func forwardBlock(_ s: ConvolutionShape, image: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, firstChannel o: Int,
                          count: Int, outputRowStride: Int, outputPlaneStride: Int) {
    let width = s.inputWidth, plane = s.inputPlane, taps = s.inputChannels &* 25
    let w = weight + o &* taps
    for y in 0..<s.outputHeight {
        var x = 0
        while x < s.outputWidth {
            var a0 = Vector8(repeating: bias[o]), a1 = Vector8(), a2 = Vector8(), a3 = Vector8()
            var a4 = Vector8(), a5 = Vector8(), a6 = Vector8(), a7 = Vector8()
            if count > 1 { a1 = Vector8(repeating: bias[o &+ 1]) }
            if count > 2 { a2 = Vector8(repeating: bias[o &+ 2]); a3 = Vector8(repeating: bias[o &+ 3]) }
            if count > 4 { a4 = Vector8(repeating: bias[o &+ 4]); a5 = Vector8(repeating: bias[o &+ 5]) }
            if count > 6 { a6 = Vector8(repeating: bias[o &+ 6]); a7 = Vector8(repeating: bias[o &+ 7]) }
            for c in 0..<s.inputChannels {
                for i in 0..<5 {
                    let row = image + (c &* plane &+ (y &+ i) &* width &+ x)
                    let tap = w + (c &* 25 &+ i &* 5)
                    for j in 0..<5 {
                        let v = load8(row + j)
                        let t = tap + j
                        a0 = multiplyAdd(a0, v, Vector8(repeating: t[0]))
                        if count > 1 { a1 = multiplyAdd(a1, v, Vector8(repeating: t[taps])) }
                        if count > 2 {
                            a2 = multiplyAdd(a2, v, Vector8(repeating: t[2 &* taps]))
                            a3 = multiplyAdd(a3, v, Vector8(repeating: t[3 &* taps]))
                        }
                        if count > 4 {
                            a4 = multiplyAdd(a4, v, Vector8(repeating: t[4 &* taps]))
                            a5 = multiplyAdd(a5, v, Vector8(repeating: t[5 &* taps]))
                        }
                        if count > 6 {
                            a6 = multiplyAdd(a6, v, Vector8(repeating: t[6 &* taps]))
                            a7 = multiplyAdd(a7, v, Vector8(repeating: t[7 &* taps]))
                        }
                    }
                }
            }
            let out = output + (o &* outputPlaneStride &+ y &* outputRowStride &+ x)
            store8(a0, out)
            if count > 1 { store8(a1, out + outputPlaneStride) }
            if count > 2 { store8(a2, out + 2 &* outputPlaneStride); store8(a3, out + 3 &* outputPlaneStride) }
            if count > 4 { store8(a4, out + 4 &* outputPlaneStride); store8(a5, out + 5 &* outputPlaneStride) }
            if count > 6 { store8(a6, out + 6 &* outputPlaneStride); store8(a7, out + 7 &* outputPlaneStride) }
            x &+= 8
        }
    }
}

/// One image's forward pass with register blocks over the output channels.
@inline(__always)
func blockedForwardImage(_ s: ConvolutionShape, image: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                         outputRowStride: Int, outputPlaneStride: Int) {
    var o = 0
    while o < s.outputChannels {
        let remaining = s.outputChannels &- o
        if remaining >= 8 {
            forwardBlock(s, image: image, weight: weight, bias: bias, output: output, firstChannel: o, count: 8,
                         outputRowStride: outputRowStride, outputPlaneStride: outputPlaneStride)
            o &+= 8
        } else if remaining >= 6 {
            forwardBlock(s, image: image, weight: weight, bias: bias, output: output, firstChannel: o, count: 6,
                         outputRowStride: outputRowStride, outputPlaneStride: outputPlaneStride)
            o &+= 6
        } else if remaining >= 4 {
            forwardBlock(s, image: image, weight: weight, bias: bias, output: output, firstChannel: o, count: 4,
                         outputRowStride: outputRowStride, outputPlaneStride: outputPlaneStride)
            o &+= 4
        } else {
            forwardBlock(s, image: image, weight: weight, bias: bias, output: output, firstChannel: o, count: 1,
                         outputRowStride: outputRowStride, outputPlaneStride: outputPlaneStride)
            o &+= 1
        }
    }
}

/// As `convolutionForwardNaive`, for shapes where `isBlockable`.
public func convolutionForwardBlocked(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                      output: UnsafeMutablePointer<Float>) {
    precondition(s.isBlockable)
    for n in 0..<batch {
        blockedForwardImage(s, image: input + n &* s.inputCount, weight: weight, bias: bias,
                            output: output + n &* s.outputCount, outputRowStride: s.outputWidth, outputPlaneStride: s.outputPlane)
    }
}

/// As `convolutionBackwardNaive`, for shapes where `isBlockable`. `scratch` holds `s.blockedScratchCount`
/// floats. The weight and bias gradients are overwritten.
public func convolutionBackwardBlocked(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                       weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                       weightGradient: UnsafeMutablePointer<Float>,
                                       biasGradient: UnsafeMutablePointer<Float>,
                                       inputGradient: UnsafeMutablePointer<Float>?,
                                       scratch: UnsafeMutablePointer<Float>) {
    precondition(s.isBlockable)
    let width = s.inputWidth, ow = s.outputWidth
    // Bias: the sum of each output-gradient plane, over the batch.
    for o in 0..<s.outputChannels {
        var sum = Vector8()
        for n in 0..<batch {
            let plane = outputGradient + (n &* s.outputChannels &+ o) &* s.outputPlane
            var p = 0
            while p < s.outputPlane {
                sum += load8(plane + p)
                p &+= 8
            }
        }
        biasGradient[o] = sum.sum()
    }
    // Weights: dW[o,c,i,j] = sum_{n,y,x} dOut[n,o,y,x] * in[n,c,y+i,x+j], five taps j in registers.
    for o in 0..<s.outputChannels {
        for c in 0..<s.inputChannels {
            for i in 0..<5 {
                var t0 = Vector8(), t1 = Vector8(), t2 = Vector8(), t3 = Vector8(), t4 = Vector8()
                for n in 0..<batch {
                    let gradientPlane = outputGradient + (n &* s.outputChannels &+ o) &* s.outputPlane
                    let inputPlane = input + ((n &* s.inputChannels &+ c) &* s.inputPlane &+ i &* width)
                    for y in 0..<s.outputHeight {
                        var x = 0
                        while x < ow {
                            let g = load8(gradientPlane + (y &* ow &+ x))
                            let row = inputPlane + (y &* width &+ x)
                            t0 = multiplyAdd(t0, g, load8(row))
                            t1 = multiplyAdd(t1, g, load8(row + 1))
                            t2 = multiplyAdd(t2, g, load8(row + 2))
                            t3 = multiplyAdd(t3, g, load8(row + 3))
                            t4 = multiplyAdd(t4, g, load8(row + 4))
                            x &+= 8
                        }
                    }
                }
                let target = weightGradient + ((o &* s.inputChannels &+ c) &* 25 &+ i &* 5)
                target[0] = t0.sum(); target[1] = t1.sum(); target[2] = t2.sum(); target[3] = t3.sum(); target[4] = t4.sum()
            }
        }
    }
    guard let inputGradient else { return }
    // Input: a valid convolution of the output gradient, padded by 4 on every side (and on the right
    // up to a multiple of 8 columns), with weights flipped in space and transposed in channels.
    let ph = s.paddedGradientHeight, pw = s.paddedGradientWidth, wide = s.wideInputWidth
    let padded = scratch
    let wideOutput = padded + s.outputChannels &* ph &* pw
    let flipped = wideOutput + s.inputChannels &* s.inputHeight &* wide
    let zeroBias = flipped + s.weightCount
    zero(zeroBias, s.inputChannels)
    for c in 0..<s.inputChannels {
        for o in 0..<s.outputChannels {
            for i in 0..<5 {
                for j in 0..<5 {
                    flipped[((c &* s.outputChannels &+ o) &* 5 &+ i) &* 5 &+ j] = weight[((o &* s.inputChannels &+ c) &* 5 &+ 4 &- i) &* 5 &+ 4 &- j]
                }
            }
        }
    }
    let transposed = ConvolutionShape(inputChannels: s.outputChannels, outputChannels: s.inputChannels,
                                      inputHeight: ph, inputWidth: pw, kernelSize: 5)
    zero(padded, s.outputChannels &* ph &* pw)
    for n in 0..<batch {
        for o in 0..<s.outputChannels {
            let source = outputGradient + (n &* s.outputChannels &+ o) &* s.outputPlane
            let target = padded + (o &* ph &* pw &+ 4 &* pw &+ 4)
            for y in 0..<s.outputHeight {
                (target + y &* pw).update(from: source + y &* ow, count: ow)
            }
        }
        blockedForwardImage(transposed, image: padded, weight: flipped, bias: zeroBias,
                            output: wideOutput, outputRowStride: wide, outputPlaneStride: s.inputHeight &* wide)
        let image = inputGradient + n &* s.inputCount
        for c in 0..<s.inputChannels {
            for y in 0..<s.inputHeight {
                (image + (c &* s.inputPlane &+ y &* width)).update(from: wideOutput + (c &* s.inputHeight &+ y) &* wide, count: width)
            }
        }
    }
}
