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
