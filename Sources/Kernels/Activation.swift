/// ReLU, in place: x = max(x, 0) (a NaN stays NaN, as in PyTorch, so divergence is not hidden).
public func reluForward(_ x: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i &+ 8 <= count {
        store8(relu(load8(x + i)), x + i)
        i &+= 8
    }
    while i < count {
        if x[i] < 0 { x[i] = 0 }
        i &+= 1
    }
}

/// ReLU's backward, in place on the gradient, from the layer's *output*:
/// dx = dy where y > 0, else 0 (PyTorch's rule: the gradient at 0 is 0).
public func reluBackward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
    let zeros = Vector8()
    var i = 0
    while i &+ 8 <= count {
        let g = load8(gradient + i)
        store8(g.replacing(with: zeros, where: .!(load8(output + i) .> zeros)), gradient + i)
        i &+= 8
    }
    while i < count {
        if !(output[i] > 0) { gradient[i] = 0 }
        i &+= 1
    }
}

/// ReLU of eight lanes; NaN lanes stay NaN.
@inline(__always)
public func relu(_ v: Vector8) -> Vector8 {
    v.replacing(with: 0, where: v .< Vector8())
}
