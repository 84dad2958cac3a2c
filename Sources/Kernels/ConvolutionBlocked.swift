/// Register-blocked 5x5 convolution kernels: the fast path taken when the kernel is 5x5 and the
/// output width is a multiple of 8 (LeNet's C1: 24 and C3: 8).
///
/// Forward: one SIMD8 vector of output columns per output channel, for up to 8 output channels at
/// once (8 accumulators in registers); each input vector loaded once feeds all of them.
/// Weight gradient: for two output channels o and each (c, i), the five taps' partial sums of both
/// (10 registers) stay in registers across the whole batch; one horizontal sum per tap at the end.
/// Input gradient: the product of the transposed weights and the output gradient, in register
/// blocks added straight into the input gradient (a fused col2im).

extension ConvolutionShape {
    /// True when the blocked kernels apply.
    public var isBlockable: Bool { kernelSize == 5 && outputWidth % 8 == 0 && outputWidth > 0 && outputHeight > 0 }
}

/// Bias: the sum of each output-gradient plane over the batch, eight lanes at a time (the plane a
/// multiple of 8 long): each channel's sum one chain of additions over the images and the plane's
/// vectors in order, up to six channels' chains side by side. One chain at a time, each addition
/// waited for the one before it: C1's six chains of 1,152 additions a chunk of 16 images took about
/// an eighth of its backward pass (2.36-2.44 -> 2.07-2.13 us an image).
func biasGradientOfPlanes(_ s: ConvolutionShape, batch: Int, outputGradient: UnsafePointer<Float>,
                          biasGradient: UnsafeMutablePointer<Float>) {
    var o = 0
    while o < s.outputChannels {
        let count = min(6, s.outputChannels &- o)
        switch count {
        case 6: planeSums(6, s, batch, outputGradient, biasGradient, o)
        case 5: planeSums(5, s, batch, outputGradient, biasGradient, o)
        case 4: planeSums(4, s, batch, outputGradient, biasGradient, o)
        case 3: planeSums(3, s, batch, outputGradient, biasGradient, o)
        case 2: planeSums(2, s, batch, outputGradient, biasGradient, o)
        default: planeSums(1, s, batch, outputGradient, biasGradient, o)
        }
        o &+= count
    }
}

/// `biasGradientOfPlanes` for channels o..<o+count (`count` 1 to 6, literal at the call).
@inline(__always)
private func planeSums(_ count: Int, _ s: ConvolutionShape, _ batch: Int, _ outputGradient: UnsafePointer<Float>,
                       _ biasGradient: UnsafeMutablePointer<Float>, _ o: Int) {
    let plane = s.outputPlane
    var s0 = Vector8(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0
    for n in 0..<batch {
        let planes = outputGradient + (n &* s.outputChannels &+ o) &* plane
        var p = 0
        while p < plane {
            let at = planes + p
            s0 += load8(at)
            if count > 1 { s1 += load8(at + plane) }
            if count > 2 { s2 += load8(at + 2 &* plane) }
            if count > 3 { s3 += load8(at + 3 &* plane) }
            if count > 4 { s4 += load8(at + 4 &* plane) }
            if count > 5 { s5 += load8(at + 5 &* plane) }
            p &+= 8
        }
    }
    biasGradient[o] = horizontalSum(s0)
    if count > 1 { biasGradient[o &+ 1] = horizontalSum(s1) }
    if count > 2 { biasGradient[o &+ 2] = horizontalSum(s2) }
    if count > 3 { biasGradient[o &+ 3] = horizontalSum(s3) }
    if count > 4 { biasGradient[o &+ 4] = horizontalSum(s4) }
    if count > 5 { biasGradient[o &+ 5] = horizontalSum(s5) }
}

/// Output rows for channels o..<o+count of one image: out[o+k, y, x..x+8] for all y and x-chunks.
/// `count` is 8, 6, 4 or 1 (the register block), taken as a literal by the callers.
@inline(__always)
private func forwardBlock(_ s: ConvolutionShape, image: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, firstChannel o: Int,
                          count: Int, outputRowStride: Int, outputPlaneStride: Int, applyReLU: Bool) {
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
            if applyReLU {
                a0 = relu(a0); a1 = relu(a1); a2 = relu(a2); a3 = relu(a3)
                a4 = relu(a4); a5 = relu(a5); a6 = relu(a6); a7 = relu(a7)
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
                         outputRowStride: Int, outputPlaneStride: Int, applyReLU: Bool) {
    var o = 0
    while o < s.outputChannels {
        let remaining = s.outputChannels &- o
        if remaining >= 8 {
            forwardBlock(s, image: image, weight: weight, bias: bias, output: output, firstChannel: o, count: 8,
                         outputRowStride: outputRowStride, outputPlaneStride: outputPlaneStride, applyReLU: applyReLU)
            o &+= 8
        } else if remaining >= 6 {
            forwardBlock(s, image: image, weight: weight, bias: bias, output: output, firstChannel: o, count: 6,
                         outputRowStride: outputRowStride, outputPlaneStride: outputPlaneStride, applyReLU: applyReLU)
            o &+= 6
        } else if remaining >= 4 {
            forwardBlock(s, image: image, weight: weight, bias: bias, output: output, firstChannel: o, count: 4,
                         outputRowStride: outputRowStride, outputPlaneStride: outputPlaneStride, applyReLU: applyReLU)
            o &+= 4
        } else {
            forwardBlock(s, image: image, weight: weight, bias: bias, output: output, firstChannel: o, count: 1,
                         outputRowStride: outputRowStride, outputPlaneStride: outputPlaneStride, applyReLU: applyReLU)
            o &+= 1
        }
    }
}

/// As `convolutionForwardNaive` (then ReLU when `applyReLU`), for shapes where `isBlockable`.
public func convolutionForwardBlocked(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                      output: UnsafeMutablePointer<Float>, applyReLU: Bool = false) {
    precondition(s.isBlockable)
    for n in 0..<batch {
        blockedForwardImage(s, image: input + n &* s.inputCount, weight: weight, bias: bias,
                            output: output + n &* s.outputCount, outputRowStride: s.outputWidth, outputPlaneStride: s.outputPlane,
                            applyReLU: applyReLU)
    }
}

/// As `convolutionBackwardNaive`, for shapes where `isBlockable`. The gradients are overwritten.
public func convolutionBackwardBlocked(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                       weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                       weightGradient: UnsafeMutablePointer<Float>,
                                       biasGradient: UnsafeMutablePointer<Float>,
                                       inputGradient: UnsafeMutablePointer<Float>?) {
    precondition(s.isBlockable)
    let ow = s.outputWidth
    biasGradientOfPlanes(s, batch: batch, outputGradient: outputGradient, biasGradient: biasGradient)
    // Weights: dW[o,c,i,j] = sum_{n,y,x} dOut[n,o,y,x] * in[n,c,y+i,x+j], for two output channels
    // at once: their five taps each (10 registers) share every input vector loaded.
    var o = 0
    while o < s.outputChannels {
        let two = o &+ 1 < s.outputChannels
        for c in 0..<s.inputChannels {
            for i in 0..<5 {
                weightGradientBlock(s, batch: batch, input: input, outputGradient: outputGradient,
                                    weightGradient: weightGradient, o: o, c: c, i: i, two: two)
            }
        }
        o &+= 2
    }
    guard let inputGradient else { return }
    // Input: dIn[c, y+i, x+j] += sum_o W[o,c,i,j] * dOut[o,y,x]. As a matrix product,
    // dCol[(c,i,j), (y,x)] = sum_o W[o, (c,i,j)] * dOut[o, (y,x)], computed in register blocks of
    // 6 rows (c,i,j) by 2 output rows y of 8 columns, each block added straight into dIn (col2im).
    let taps = s.inputChannels &* 25
    for n in 0..<batch {
        let image = inputGradient + n &* s.inputCount
        zero(image, s.inputCount)
        let gradient = outputGradient + n &* s.outputCount
        var r = 0
        while r < taps {
            let rows = min(6, taps &- r)
            var y = 0
            while y < s.outputHeight {
                let pair = y &+ 1 < s.outputHeight
                var x = 0
                while x < ow {
                    inputGradientBlock(s, gradient: gradient, weight: weight, image: image, firstTap: r, rows: rows,
                                       y: y, x: x, pair: pair)
                    x &+= 8
                }
                y &+= 2
            }
            r &+= 6
        }
    }
}

/// One register block of the input gradient: taps r..<r+rows (at most 6) by output rows y (and y+1
/// when `pair`), columns x..<x+8; accumulated over the output channels, then added into dIn.
@inline(__always)
private func inputGradientBlock(_ s: ConvolutionShape, gradient: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                image: UnsafeMutablePointer<Float>, firstTap r: Int, rows: Int, y: Int, x: Int, pair: Bool) {
    let taps = s.inputChannels &* 25, ow = s.outputWidth, plane = s.outputPlane
    var a00 = Vector8(), a01 = Vector8(), a10 = Vector8(), a11 = Vector8(), a20 = Vector8(), a21 = Vector8()
    var a30 = Vector8(), a31 = Vector8(), a40 = Vector8(), a41 = Vector8(), a50 = Vector8(), a51 = Vector8()
    let second = pair ? ow : 0  // without a second row, read the first one again and drop the result
    for o in 0..<s.outputChannels {
        let g = gradient + (o &* plane &+ y &* ow &+ x)
        let b0 = load8(g), b1 = load8(g + second)
        let w = weight + (o &* taps &+ r)
        var c = Vector8(repeating: w[0])
        a00 = multiplyAdd(a00, c, b0); a01 = multiplyAdd(a01, c, b1)
        if rows > 1 { c = Vector8(repeating: w[1]); a10 = multiplyAdd(a10, c, b0); a11 = multiplyAdd(a11, c, b1) }
        if rows > 2 { c = Vector8(repeating: w[2]); a20 = multiplyAdd(a20, c, b0); a21 = multiplyAdd(a21, c, b1) }
        if rows > 3 { c = Vector8(repeating: w[3]); a30 = multiplyAdd(a30, c, b0); a31 = multiplyAdd(a31, c, b1) }
        if rows > 4 { c = Vector8(repeating: w[4]); a40 = multiplyAdd(a40, c, b0); a41 = multiplyAdd(a41, c, b1) }
        if rows > 5 { c = Vector8(repeating: w[5]); a50 = multiplyAdd(a50, c, b0); a51 = multiplyAdd(a51, c, b1) }
    }
    @inline(__always) func add(_ tap: Int, _ first: Vector8, _ next: Vector8) {
        let c = tap / 25, i = (tap % 25) / 5, j = tap % 5
        let target = image + (c &* s.inputPlane &+ (y &+ i) &* s.inputWidth &+ x &+ j)
        store8(load8(target) + first, target)
        if pair { store8(load8(target + s.inputWidth) + next, target + s.inputWidth) }
    }
    add(r, a00, a01)
    if rows > 1 { add(r &+ 1, a10, a11) }
    if rows > 2 { add(r &+ 2, a20, a21) }
    if rows > 3 { add(r &+ 3, a30, a31) }
    if rows > 4 { add(r &+ 4, a40, a41) }
    if rows > 5 { add(r &+ 5, a50, a51) }
}

/// dW[o, c, i, 0..<5] (and dW[o+1, c, i, 0..<5] when `two`), summed over the batch in registers.
@inline(__always)
private func weightGradientBlock(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                 outputGradient: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
                                 o: Int, c: Int, i: Int, two: Bool) {
    let width = s.inputWidth, ow = s.outputWidth
    var p0 = Vector8(), p1 = Vector8(), p2 = Vector8(), p3 = Vector8(), p4 = Vector8()
    var q0 = Vector8(), q1 = Vector8(), q2 = Vector8(), q3 = Vector8(), q4 = Vector8()
    let next = two ? s.outputPlane : 0  // without a second channel, read the first again and drop it
    for n in 0..<batch {
        let gradientPlane = outputGradient + (n &* s.outputChannels &+ o) &* s.outputPlane
        let inputPlane = input + ((n &* s.inputChannels &+ c) &* s.inputPlane &+ i &* width)
        for y in 0..<s.outputHeight {
            var x = 0
            while x < ow {
                let g = gradientPlane + (y &* ow &+ x)
                let g0 = load8(g), g1 = load8(g + next)
                let row = inputPlane + (y &* width &+ x)
                var v = load8(row)
                p0 = multiplyAdd(p0, g0, v); q0 = multiplyAdd(q0, g1, v)
                v = load8(row + 1)
                p1 = multiplyAdd(p1, g0, v); q1 = multiplyAdd(q1, g1, v)
                v = load8(row + 2)
                p2 = multiplyAdd(p2, g0, v); q2 = multiplyAdd(q2, g1, v)
                v = load8(row + 3)
                p3 = multiplyAdd(p3, g0, v); q3 = multiplyAdd(q3, g1, v)
                v = load8(row + 4)
                p4 = multiplyAdd(p4, g0, v); q4 = multiplyAdd(q4, g1, v)
                x &+= 8
            }
        }
    }
    let target = weightGradient + ((o &* s.inputChannels &+ c) &* 25 &+ i &* 5)
    target[0] = horizontalSum(p0); target[1] = horizontalSum(p1); target[2] = horizontalSum(p2); target[3] = horizontalSum(p3); target[4] = horizontalSum(p4)
    if two {
        let second = target + s.inputChannels &* 25
        second[0] = horizontalSum(q0); second[1] = horizontalSum(q1); second[2] = horizontalSum(q2); second[3] = horizontalSum(q3); second[4] = horizontalSum(q4)
    }
}
