/// 2x2, stride-2 *sum* pooling (PyTorch's `AvgPool2d(2, divisor_override=1)`): the four inputs are
/// added, not averaged. input [N, C, H, W] -> output [N, C, H/2, W/2]; `planes` is N*C.
///   out[p,y,x] = in[p,2y,2x] + in[p,2y,2x+1] + in[p,2y+1,2x] + in[p,2y+1,2x+1]
/// Summed in that order, as PyTorch does.

/// The oracle of the fast sum pooling: each output the sum of its 2x2 inputs, in plain loops.
public func sumPoolForwardNaive(planes: Int, height: Int, width: Int, input: UnsafePointer<Float>,
                                output: UnsafeMutablePointer<Float>) {
    let outHeight = height / 2, outWidth = width / 2
    for p in 0..<planes {
        for y in 0..<outHeight {
            for x in 0..<outWidth {
                let base = (p * height + 2 * y) * width + 2 * x
                output[(p * outHeight + y) * outWidth + x] =
                    input[base] + input[base + 1] + input[base + width] + input[base + width + 1]
            }
        }
    }
}

/// dinput[p,2y+i,2x+j] = dout[p,y,x] for i, j in {0, 1}.
public func sumPoolBackwardNaive(planes: Int, height: Int, width: Int, outputGradient: UnsafePointer<Float>,
                                 inputGradient: UnsafeMutablePointer<Float>) {
    let outHeight = height / 2, outWidth = width / 2
    for p in 0..<planes {
        for y in 0..<height {
            for x in 0..<width {
                inputGradient[(p * height + y) * width + x] = outputGradient[(p * outHeight + y / 2) * outWidth + x / 2]
            }
        }
    }
}

/// As `sumPoolForwardNaive`, eight (then four) outputs at a time: a row pair's 16 (8) inputs split
/// into their even and odd columns, added in the naive order ((top left + top right) + bottom left) +
/// bottom right, so the same bits.
public func sumPoolForward(planes: Int, height: Int, width: Int, input: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>) {
    let outWidth = width / 2
    var out = output
    for rowPair in 0..<(planes &* (height / 2)) {
        let top = input + rowPair &* 2 &* width
        let bottom = top + width
        var x = 0
        while x &+ 8 <= outWidth {
            let t = load16(top + x &* 2), b = load16(bottom + x &* 2)
            store8(((t.evenHalf + t.oddHalf) + b.evenHalf) + b.oddHalf, out + x)
            x &+= 8
        }
        if x &+ 4 <= outWidth {
            let t = load8(top + x &* 2), b = load8(bottom + x &* 2)
            let sum = ((t.evenHalf + t.oddHalf) + b.evenHalf) + b.oddHalf
            UnsafeMutableRawPointer(out + x).storeBytes(of: sum, as: SIMD4<Float>.self)
            x &+= 4
        }
        while x < outWidth {
            let j = x &* 2
            out[x] = top[j] + top[j &+ 1] + bottom[j] + bottom[j &+ 1]
            x &+= 1
        }
        out += outWidth
    }
}

/// As `sumPoolBackwardNaive`: eight (then four) gradients at a time, each duplicated into two columns
/// of both rows.
public func sumPoolBackward(planes: Int, height: Int, width: Int, outputGradient: UnsafePointer<Float>,
                            inputGradient: UnsafeMutablePointer<Float>) {
    let outWidth = width / 2
    var gradient = outputGradient
    for rowPair in 0..<(planes &* (height / 2)) {
        let top = inputGradient + rowPair &* 2 &* width
        let bottom = top + width
        var start = 0
        while start &+ 8 <= outWidth {
            let g = load8(gradient + start)
            let low = Vector8(g[0], g[0], g[1], g[1], g[2], g[2], g[3], g[3])
            let high = Vector8(g[4], g[4], g[5], g[5], g[6], g[6], g[7], g[7])
            let j = start &* 2
            store8(low, top + j); store8(high, top + (j &+ 8))
            store8(low, bottom + j); store8(high, bottom + (j &+ 8))
            start &+= 8
        }
        if start &+ 4 <= outWidth {
            let g = UnsafeRawPointer(gradient + start).loadUnaligned(as: SIMD4<Float>.self)
            let pairs = Vector8(g[0], g[0], g[1], g[1], g[2], g[2], g[3], g[3])
            let j = start &* 2
            store8(pairs, top + j); store8(pairs, bottom + j)
            start &+= 4
        }
        for x in start..<outWidth {
            let g = gradient[x], j = x &* 2
            top[j] = g; top[j &+ 1] = g; bottom[j] = g; bottom[j &+ 1] = g
        }
        gradient += outWidth
    }
}
