/// Backward kernels for 5x5 convolutions with 8x8 output planes (LeNet's C3: 6@12x12 -> 16@8x8),
/// with sixteen lanes: a vector holds two output rows, so a plane is four vectors and the lanes are
/// full on every CPU (two 8-lane halves where the vectors are 8 wide).
///
/// Weight gradient: for four output channels o and one (c, i), the five taps' sums of each (20
/// accumulators) stay in registers across the whole batch; every input vector (rows y+i and y+1+i,
/// columns j..j+8, laid out once per input channel so that it is one load) feeds all four. Input gradient: the product of the transposed weights and the
/// output gradient for six taps (c, i, j) by the whole plane (24 accumulators) over the output
/// channels, each block added straight into the input gradient (a fused col2im).

extension ConvolutionShape {
    /// True when the 8x8-plane backward kernels apply.
    public var hasPlanes8x8: Bool { kernelSize == 5 && outputWidth == 8 && outputHeight == 8 }
}

enum Planes8x8 {
    /// Floats of one image's row pairs for one input channel: 5 kernel rows x 4 row pairs x 5 columns x 16.
    static let pairFloats = 1600
}

@inline(__always)
private func pair(_ row: UnsafePointer<Float>, _ next: UnsafePointer<Float>) -> Vector16 {
    Vector16(lowHalf: load8(row), highHalf: load8(next))
}

/// One input channel's row pairs as vectors, [i][y / 2][j] (`Planes8x8.pairFloats` floats): rows y+i
/// and y+1+i, columns j..j+8.
@inline(__always)
private func layOutRowPairs(_ s: ConvolutionShape, of rows: UnsafePointer<Float>, into pairs: UnsafeMutablePointer<Float>) {
    var target = pairs
    for i in 0..<5 {
        for y in stride(from: 0, to: 8, by: 2) {
            let row = rows + (y &+ i) &* s.inputWidth, next = row + s.inputWidth
            for j in 0..<5 {
                store16(pair(row + j, next + j), target)
                target += 16
            }
        }
    }
}

/// The bias gradient of an 8x8-plane shape: the sum of each output-gradient plane over the batch.
@inline(__always)
func outputGradientPlaneSums(_ s: ConvolutionShape, batch: Int, outputGradient: UnsafePointer<Float>,
                             into biasGradient: UnsafeMutablePointer<Float>) {
    for o in 0..<s.outputChannels {
        var sum = Vector16()
        for n in 0..<batch {
            let plane = outputGradient + (n &* s.outputChannels &+ o) &* 64
            sum += load16(plane) + load16(plane + 16) + load16(plane + 32) + load16(plane + 48)
        }
        biasGradient[o] = horizontalSum(sum)
    }
}

/// As `convolutionBackwardNaive`, for shapes where `hasPlanes8x8`. The gradients are overwritten.
public func convolutionBackwardPlanes8x8(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                         weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                         weightGradient: UnsafeMutablePointer<Float>,
                                         biasGradient: UnsafeMutablePointer<Float>,
                                         inputGradient: UnsafeMutablePointer<Float>?,
                                         scratch: UnsafeMutablePointer<Float>) {
    precondition(s.hasPlanes8x8)
    outputGradientPlaneSums(s, batch: batch, outputGradient: outputGradient, into: biasGradient)
    // Weights, input channel by input channel: the channel's row pairs of every image of the batch
    // laid out once as vectors (`pairs`: [image][i][y / 2][j], 16 floats each: rows y+i and y+1+i,
    // columns j..j+8), then kernel row by kernel row, four output channels at a time (then 3, 2 or
    // 1): a kernel row's vectors (20 KB for 16 images) stay in the L1 cache for all the output
    // channels (output channels outside, kernel rows inside: C3 backward 7.45 -> 7.15 us an image).
    let pairs = scratch
    for c in 0..<s.inputChannels {
        for n in 0..<batch {
            layOutRowPairs(s, of: input + (n &* s.inputChannels &+ c) &* s.inputPlane, into: pairs + n &* Planes8x8.pairFloats)
        }
        for i in 0..<5 {
            var o = 0
            while o < s.outputChannels {
                let count = min(4, s.outputChannels &- o)
                switch count {
                case 4: weightGradientPlanes(s, batch: batch, pairs: pairs, outputGradient: outputGradient, weightGradient: weightGradient,
                                             o: o, count: 4, c: c, i: i)
                case 3: weightGradientPlanes(s, batch: batch, pairs: pairs, outputGradient: outputGradient, weightGradient: weightGradient,
                                             o: o, count: 3, c: c, i: i)
                case 2: weightGradientPlanes(s, batch: batch, pairs: pairs, outputGradient: outputGradient, weightGradient: weightGradient,
                                             o: o, count: 2, c: c, i: i)
                default: weightGradientPlanes(s, batch: batch, pairs: pairs, outputGradient: outputGradient, weightGradient: weightGradient,
                                              o: o, count: 1, c: c, i: i)
                }
                o &+= count
            }
        }
    }
    guard let inputGradient else { return }
    let taps = s.inputChannels &* 25
    for n in 0..<batch {
        let image = inputGradient + n &* s.inputCount
        zero(image, s.inputCount)
        let gradient = outputGradient + n &* s.outputCount
        var r = 0
        while r < taps {
            switch min(6, taps &- r) {
            case 6: inputGradientPlanes(s, gradient: gradient, weight: weight, image: image, firstTap: r, rows: 6)
            case 5: inputGradientPlanes(s, gradient: gradient, weight: weight, image: image, firstTap: r, rows: 5)
            case 4: inputGradientPlanes(s, gradient: gradient, weight: weight, image: image, firstTap: r, rows: 4)
            case 3: inputGradientPlanes(s, gradient: gradient, weight: weight, image: image, firstTap: r, rows: 3)
            case 2: inputGradientPlanes(s, gradient: gradient, weight: weight, image: image, firstTap: r, rows: 2)
            default: inputGradientPlanes(s, gradient: gradient, weight: weight, image: image, firstTap: r, rows: 1)
            }
            r &+= 6
        }
    }
}

/// dW[o+k, c, i, 0..<5] for k < count (at most 4), summed over the batch in registers.
@inline(__always)
private func weightGradientPlanes(_ s: ConvolutionShape, batch: Int, pairs: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                 weightGradient: UnsafeMutablePointer<Float>, o: Int, count: Int, c: Int, i: Int) {
    var a0 = Vector16(), a1 = a0, a2 = a0, a3 = a0, a4 = a0
    var b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0
    var c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0
    var d0 = a0, d1 = a0, d2 = a0, d3 = a0, d4 = a0
    for n in 0..<batch {
        let gradient = outputGradient + (n &* s.outputChannels &+ o) &* 64
        var vectors = pairs + (n &* Planes8x8.pairFloats &+ i &* 320)
        for y in stride(from: 0, to: 8, by: 2) {
            let g = gradient + y &* 8
            let g0 = load16(g)
            let g1 = count > 1 ? load16(g + 64) : g0
            let g2 = count > 2 ? load16(g + 128) : g0
            let g3 = count > 3 ? load16(g + 192) : g0
            @inline(__always) func tap(_ j: Int, _ a: inout Vector16, _ b: inout Vector16, _ c: inout Vector16, _ d: inout Vector16) {
                let v = load16(vectors + j &* 16)
                a = multiplyAdd(a, g0, v)
                if count > 1 { b = multiplyAdd(b, g1, v) }
                if count > 2 { c = multiplyAdd(c, g2, v) }
                if count > 3 { d = multiplyAdd(d, g3, v) }
            }
            tap(0, &a0, &b0, &c0, &d0)
            tap(1, &a1, &b1, &c1, &d1)
            tap(2, &a2, &b2, &c2, &d2)
            tap(3, &a3, &b3, &c3, &d3)
            tap(4, &a4, &b4, &c4, &d4)
            vectors += 80
        }
    }
    let stride = s.inputChannels &* 25
    let target = weightGradient + ((o &* s.inputChannels &+ c) &* 25 &+ i &* 5)
    @inline(__always) func store(_ k: Int, _ t0: Vector16, _ t1: Vector16, _ t2: Vector16, _ t3: Vector16, _ t4: Vector16) {
        let row = target + k &* stride
        row[0] = horizontalSum(t0); row[1] = horizontalSum(t1); row[2] = horizontalSum(t2); row[3] = horizontalSum(t3); row[4] = horizontalSum(t4)
    }
    store(0, a0, a1, a2, a3, a4)
    if count > 1 { store(1, b0, b1, b2, b3, b4) }
    if count > 2 { store(2, c0, c1, c2, c3, c4) }
    if count > 3 { store(3, d0, d1, d2, d3, d4) }
}

/// One block of the input gradient: taps r..<r+rows (at most 6) by the whole 8x8 plane, accumulated
/// over the output channels, then added into dIn.
@inline(__always)
private func inputGradientPlanes(_ s: ConvolutionShape, gradient: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                 image: UnsafeMutablePointer<Float>, firstTap r: Int, rows: Int) {
    let taps = s.inputChannels &* 25
    var a0 = Vector16(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0
    var c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0
    var e0 = a0, e1 = a0, e2 = a0, e3 = a0, f0 = a0, f1 = a0, f2 = a0, f3 = a0
    for o in 0..<s.outputChannels {
        let g = gradient + o &* 64
        let g0 = load16(g), g1 = load16(g + 16), g2 = load16(g + 32), g3 = load16(g + 48)
        let w = weight + (o &* taps &+ r)
        @inline(__always) func row(_ t: Int, _ x0: inout Vector16, _ x1: inout Vector16, _ x2: inout Vector16, _ x3: inout Vector16) {
            let c = Vector16(repeating: w[t])
            x0 = multiplyAdd(x0, c, g0); x1 = multiplyAdd(x1, c, g1); x2 = multiplyAdd(x2, c, g2); x3 = multiplyAdd(x3, c, g3)
        }
        row(0, &a0, &a1, &a2, &a3)
        if rows > 1 { row(1, &b0, &b1, &b2, &b3) }
        if rows > 2 { row(2, &c0, &c1, &c2, &c3) }
        if rows > 3 { row(3, &d0, &d1, &d2, &d3) }
        if rows > 4 { row(4, &e0, &e1, &e2, &e3) }
        if rows > 5 { row(5, &f0, &f1, &f2, &f3) }
    }
    // Tap (c, i, j)'s products for output rows y, y+1 go to input rows y+i, y+1+i, columns j..j+8.
    @inline(__always) func add(_ tap: Int, _ x0: Vector16, _ x1: Vector16, _ x2: Vector16, _ x3: Vector16) {
        let c = tap / 25, i = (tap % 25) / 5, j = tap % 5
        let target = image + (c &* s.inputPlane &+ i &* s.inputWidth &+ j)
        @inline(__always) func put(_ y: Int, _ x: Vector16) {
            let first = target + y &* s.inputWidth, second = first + s.inputWidth
            store8(load8(first) + x.lowHalf, first)
            store8(load8(second) + x.highHalf, second)
        }
        put(0, x0); put(2, x1); put(4, x2); put(6, x3)
    }
    add(r, a0, a1, a2, a3)
    if rows > 1 { add(r &+ 1, b0, b1, b2, b3) }
    if rows > 2 { add(r &+ 2, c0, c1, c2, c3) }
    if rows > 3 { add(r &+ 3, d0, d1, d2, d3) }
    if rows > 4 { add(r &+ 4, e0, e1, e2, e3) }
    if rows > 5 { add(r &+ 5, f0, f1, f2, f3) }
}

/// As `convolutionForwardNaive` (then ReLU when `applyReLU`), for shapes where `hasPlanes8x8`:
/// image by image, the input's row pairs laid out once as vectors (as for the weight gradient, all
/// channels), then four output channels by the four row pairs of the plane (16 accumulators), each
/// input vector feeding four channels and each weight four row pairs. `scratch` holds
/// `s.scratchCount(batch:)` floats.
public func convolutionForwardPlanes8x8(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                        output: UnsafeMutablePointer<Float>, applyReLU: Bool,
                                        scratch: UnsafeMutablePointer<Float>) {
    precondition(s.hasPlanes8x8)
    let taps = s.inputChannels &* 25
    for n in 0..<batch {
        let image = input + n &* s.inputCount
        for c in 0..<s.inputChannels {
            layOutRowPairs(s, of: image + c &* s.inputPlane, into: scratch + c &* Planes8x8.pairFloats)
        }
        let out = output + n &* s.outputCount
        var o = 0
        while o < s.outputChannels {
            switch min(4, s.outputChannels &- o) {
            case 4: forwardPlanes(taps: taps, pairs: scratch, weight: weight, bias: bias, output: out, o: o, count: 4, applyReLU: applyReLU)
            case 3: forwardPlanes(taps: taps, pairs: scratch, weight: weight, bias: bias, output: out, o: o, count: 3, applyReLU: applyReLU)
            case 2: forwardPlanes(taps: taps, pairs: scratch, weight: weight, bias: bias, output: out, o: o, count: 2, applyReLU: applyReLU)
            default: forwardPlanes(taps: taps, pairs: scratch, weight: weight, bias: bias, output: out, o: o, count: 1, applyReLU: applyReLU)
            }
            o &+= 4
        }
    }
}

/// Output channels o ..< o + count (at most 4) of one image, all four row pairs.
@inline(__always)
private func forwardPlanes(taps: Int, pairs: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, o: Int, count: Int, applyReLU: Bool) {
    var a0 = Vector16(repeating: bias[o]), a1 = a0, a2 = a0, a3 = a0
    var b0 = count > 1 ? Vector16(repeating: bias[o &+ 1]) : a0, b1 = b0, b2 = b0, b3 = b0
    var c0 = count > 2 ? Vector16(repeating: bias[o &+ 2]) : a0, c1 = c0, c2 = c0, c3 = c0
    var d0 = count > 3 ? Vector16(repeating: bias[o &+ 3]) : a0, d1 = d0, d2 = d0, d3 = d0
    let w = weight + o &* taps
    // Tap (c, i, j) is at c*25 + i*5 + j in the weights; its vectors for row pairs y/2 = 0..3 at
    // ((c*5 + i)*4 + y/2)*5 + j in `pairs`.
    for ci in 0..<(taps / 5) {
        let vectors = pairs + ci &* 320
        for j in 0..<5 {
            let t = ci &* 5 &+ j
            let v0 = load16(vectors + j &* 16), v1 = load16(vectors + (80 &+ j &* 16))
            let v2 = load16(vectors + (160 &+ j &* 16)), v3 = load16(vectors + (240 &+ j &* 16))
            var u = Vector16(repeating: w[t])
            a0 = multiplyAdd(a0, v0, u); a1 = multiplyAdd(a1, v1, u); a2 = multiplyAdd(a2, v2, u); a3 = multiplyAdd(a3, v3, u)
            if count > 1 {
                u = Vector16(repeating: w[taps &+ t])
                b0 = multiplyAdd(b0, v0, u); b1 = multiplyAdd(b1, v1, u); b2 = multiplyAdd(b2, v2, u); b3 = multiplyAdd(b3, v3, u)
            }
            if count > 2 {
                u = Vector16(repeating: w[2 &* taps &+ t])
                c0 = multiplyAdd(c0, v0, u); c1 = multiplyAdd(c1, v1, u); c2 = multiplyAdd(c2, v2, u); c3 = multiplyAdd(c3, v3, u)
            }
            if count > 3 {
                u = Vector16(repeating: w[3 &* taps &+ t])
                d0 = multiplyAdd(d0, v0, u); d1 = multiplyAdd(d1, v1, u); d2 = multiplyAdd(d2, v2, u); d3 = multiplyAdd(d3, v3, u)
            }
        }
    }
    @inline(__always) func put(_ k: Int, _ x0: Vector16, _ x1: Vector16, _ x2: Vector16, _ x3: Vector16) {
        let plane = output + (o &+ k) &* 64
        if applyReLU {
            let zero = Vector16()
            store16(x0.replacing(with: zero, where: x0 .< zero), plane)
            store16(x1.replacing(with: zero, where: x1 .< zero), plane + 16)
            store16(x2.replacing(with: zero, where: x2 .< zero), plane + 32)
            store16(x3.replacing(with: zero, where: x3 .< zero), plane + 48)
        } else {
            store16(x0, plane); store16(x1, plane + 16); store16(x2, plane + 32); store16(x3, plane + 48)
        }
    }
    put(0, a0, a1, a2, a3)
    if count > 1 { put(1, b0, b1, b2, b3) }
    if count > 2 { put(2, c0, c1, c2, c3) }
    if count > 3 { put(3, d0, d1, d2, d3) }
}
