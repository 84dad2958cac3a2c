/// A forward kernel for 5x5 convolutions with 24-column output rows (LeNet's C1: 1@28x28 ->
/// 6@24x24): a row is one 16-lane vector and one 8-lane vector, both read straight from one input
/// row per tap (nothing to lay out). Up to six output channels at once (twelve accumulators): each
/// input row loaded once feeds them all.

extension ConvolutionShape {
    /// True when `convolutionForwardRows24` applies.
    public var hasRows24: Bool { kernelSize == 5 && outputWidth == 24 }
}

/// As `convolutionForwardNaive` (then ReLU when `applyReLU`), for shapes where `hasRows24`.
public func convolutionForwardRows24(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                     weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                     output: UnsafeMutablePointer<Float>, applyReLU: Bool) {
    precondition(s.hasRows24)
    for n in 0..<batch {
        let image = input + n &* s.inputCount, out = output + n &* s.outputCount
        var o = 0
        while o < s.outputChannels {
            switch min(6, s.outputChannels &- o) {
            case 6: rows24Block(s, image: image, weight: weight, bias: bias, output: out, o: o, maps: 6, applyReLU: applyReLU)
            case 5: rows24Block(s, image: image, weight: weight, bias: bias, output: out, o: o, maps: 5, applyReLU: applyReLU)
            case 4: rows24Block(s, image: image, weight: weight, bias: bias, output: out, o: o, maps: 4, applyReLU: applyReLU)
            case 3: rows24Block(s, image: image, weight: weight, bias: bias, output: out, o: o, maps: 3, applyReLU: applyReLU)
            case 2: rows24Block(s, image: image, weight: weight, bias: bias, output: out, o: o, maps: 2, applyReLU: applyReLU)
            default: rows24Block(s, image: image, weight: weight, bias: bias, output: out, o: o, maps: 1, applyReLU: applyReLU)
            }
            o &+= 6
        }
    }
}

/// Output channels o ..< o + maps (at most 6), row by row.
@inline(__always)
private func rows24Block(_ s: ConvolutionShape, image: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                         output: UnsafeMutablePointer<Float>, o: Int, maps: Int, applyReLU: Bool) {
    let taps = s.inputChannels &* 25, width = s.inputWidth
    let w = weight + o &* taps
    for y in 0..<s.outputHeight {
        var a0 = Vector16(repeating: bias[o]), h0 = Vector8(repeating: bias[o])
        var a1 = maps > 1 ? Vector16(repeating: bias[o &+ 1]) : a0, h1 = maps > 1 ? Vector8(repeating: bias[o &+ 1]) : h0
        var a2 = maps > 2 ? Vector16(repeating: bias[o &+ 2]) : a0, h2 = maps > 2 ? Vector8(repeating: bias[o &+ 2]) : h0
        var a3 = maps > 3 ? Vector16(repeating: bias[o &+ 3]) : a0, h3 = maps > 3 ? Vector8(repeating: bias[o &+ 3]) : h0
        var a4 = maps > 4 ? Vector16(repeating: bias[o &+ 4]) : a0, h4 = maps > 4 ? Vector8(repeating: bias[o &+ 4]) : h0
        var a5 = maps > 5 ? Vector16(repeating: bias[o &+ 5]) : a0, h5 = maps > 5 ? Vector8(repeating: bias[o &+ 5]) : h0
        for c in 0..<s.inputChannels {
            for i in 0..<5 {
                let row = image + (c &* s.inputPlane &+ (y &+ i) &* width)
                let tap = w + (c &* 25 &+ i &* 5)
                for j in 0..<5 {
                    let v = load16(row + j), x = load8(row + (16 &+ j))
                    let t = tap + j
                    @inline(__always) func madd(_ k: Int, _ a: inout Vector16, _ h: inout Vector8) {
                        let weight = t[k &* taps]
                        a = multiplyAdd(a, v, Vector16(repeating: weight))
                        h = multiplyAdd(h, x, Vector8(repeating: weight))
                    }
                    madd(0, &a0, &h0)
                    if maps > 1 { madd(1, &a1, &h1) }
                    if maps > 2 { madd(2, &a2, &h2) }
                    if maps > 3 { madd(3, &a3, &h3) }
                    if maps > 4 { madd(4, &a4, &h4) }
                    if maps > 5 { madd(5, &a5, &h5) }
                }
            }
        }
        @inline(__always) func put(_ k: Int, _ a: Vector16, _ h: Vector8) {
            let target = output + ((o &+ k) &* s.outputPlane &+ y &* 24)
            if applyReLU {
                store16(a.replacing(with: 0, where: a .< Vector16()), target)
                store8(relu(h), target + 16)
            } else {
                store16(a, target)
                store8(h, target + 16)
            }
        }
        put(0, a0, h0)
        if maps > 1 { put(1, a1, h1) }
        if maps > 2 { put(2, a2, h2) }
        if maps > 3 { put(3, a3, h3) }
        if maps > 4 { put(4, a4, h4) }
        if maps > 5 { put(5, a5, h5) }
    }
}

/// As `convolutionBackwardNaive` without the input gradient (a first layer's: C1's), for shapes where
/// `hasRows24`: for two output channels and one (c, i), the five taps' sums of each over the batch
/// (ten 16-lane and ten 8-lane accumulators) stay in registers; every input row is loaded once for
/// both. The gradients are overwritten.
public func convolutionWeightGradientRows24(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                            outputGradient: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
                                            biasGradient: UnsafeMutablePointer<Float>) {
    precondition(s.hasRows24)
    biasGradientOfPlanes(s, batch: batch, outputGradient: outputGradient, biasGradient: biasGradient)
    var o = 0
    while o < s.outputChannels {
        let two = o &+ 1 < s.outputChannels
        for c in 0..<s.inputChannels {
            for i in 0..<5 {
                if two {
                    rows24WeightBlock(s, batch: batch, input: input, outputGradient: outputGradient, weightGradient: weightGradient,
                                      o: o, two: true, c: c, i: i)
                } else {
                    rows24WeightBlock(s, batch: batch, input: input, outputGradient: outputGradient, weightGradient: weightGradient,
                                      o: o, two: false, c: c, i: i)
                }
            }
        }
        o &+= 2
    }
}

/// dW[o, c, i, 0..<5] (and dW[o+1, c, i, 0..<5] when `two`), summed over the batch in registers.
@inline(__always)
private func rows24WeightBlock(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                               weightGradient: UnsafeMutablePointer<Float>, o: Int, two: Bool, c: Int, i: Int) {
    let width = s.inputWidth
    var p0 = Vector16(), p1 = p0, p2 = p0, p3 = p0, p4 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0, q4 = p0
    var r0 = Vector8(), r1 = r0, r2 = r0, r3 = r0, r4 = r0, t0 = r0, t1 = r0, t2 = r0, t3 = r0, t4 = r0
    for n in 0..<batch {
        let gradient = outputGradient + (n &* s.outputChannels &+ o) &* s.outputPlane
        let rows = input + ((n &* s.inputChannels &+ c) &* s.inputPlane &+ i &* width)
        for y in 0..<s.outputHeight {
            let g = gradient + y &* 24
            let g0 = load16(g), h0 = load8(g + 16)
            let g1 = two ? load16(g + s.outputPlane) : g0, h1 = two ? load8(g + (s.outputPlane &+ 16)) : h0
            let row = rows + y &* width
            @inline(__always) func tap(_ j: Int, _ p: inout Vector16, _ q: inout Vector16, _ r: inout Vector8, _ t: inout Vector8) {
                let v = load16(row + j), x = load8(row + (16 &+ j))
                p = multiplyAdd(p, g0, v); r = multiplyAdd(r, h0, x)
                if two { q = multiplyAdd(q, g1, v); t = multiplyAdd(t, h1, x) }
            }
            tap(0, &p0, &q0, &r0, &t0)
            tap(1, &p1, &q1, &r1, &t1)
            tap(2, &p2, &q2, &r2, &t2)
            tap(3, &p3, &q3, &r3, &t3)
            tap(4, &p4, &q4, &r4, &t4)
        }
    }
    let target = weightGradient + ((o &* s.inputChannels &+ c) &* 25 &+ i &* 5)
    target[0] = horizontalSum(p0) + horizontalSum(r0); target[1] = horizontalSum(p1) + horizontalSum(r1)
    target[2] = horizontalSum(p2) + horizontalSum(r2); target[3] = horizontalSum(p3) + horizontalSum(r3)
    target[4] = horizontalSum(p4) + horizontalSum(r4)
    if two {
        let second = target + s.inputChannels &* 25
        second[0] = horizontalSum(q0) + horizontalSum(t0); second[1] = horizontalSum(q1) + horizontalSum(t1)
        second[2] = horizontalSum(q2) + horizontalSum(t2); second[3] = horizontalSum(q3) + horizontalSum(t3)
        second[4] = horizontalSum(q4) + horizontalSum(t4)
    }
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
