/// ReLU, in place: x = max(x, 0) (a NaN stays NaN, as in PyTorch, so divergence is not hidden).
public func reluForward(_ x: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count where x[i] < 0 { x[i] = 0 }
}

/// ReLU's backward, in place on the gradient, from the layer's *output*:
/// dx = dy where y > 0, else 0 (PyTorch's rule: the gradient at 0 is 0).
public func reluBackward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count where !(output[i] > 0) { gradient[i] = 0 }
}
