/// Stochastic gradient descent with momentum, exactly as PyTorch's `torch.optim.SGD(lr, momentum,
/// weight_decay, nesterov)` with no dampening:
///   with weight decay: grad = grad + weight_decay * param
///   first step:  buf = grad
///   afterwards:  buf = momentum * buf + grad
///   always:      param -= lr * buf, or with Nesterov: param -= lr * (grad + momentum * buf)
/// (The write-up's optimizer has neither weight decay nor Nesterov.)
/// The momentum buffer is flat, in the parameters' layout. A new `StochasticGradientDescent` starts
/// afresh, as a new PyTorch optimizer does (the write-up makes one per phase of its schedule).
public struct StochasticGradientDescent: Codable, Sendable {
    /// lr.
    public var learningRate: Float
    /// The momentum factor.
    public var momentum: Float
    /// L2 weight decay added to the gradient (0: none).
    public var weightDecay: Float = 0
    /// Nesterov momentum.
    public var nesterov = false
    /// The momentum buffer, one float per parameter.
    public private(set) var velocity: [Float]
    /// How many steps were taken; the first one copies the gradient into the buffer.
    public private(set) var steps: Int = 0

    /// A fresh optimizer for `parameterCount` parameters: no weight decay, no Nesterov, an empty buffer.
    public init(parameterCount: Int, learningRate: Float, momentum: Float) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.velocity = [Float](repeating: 0, count: parameterCount)
    }

    /// An optimizer in the middle of its work (a resumed run): its buffer and step count restored.
    public init(learningRate: Float, momentum: Float, velocity: [Float], steps: Int, weightDecay: Float = 0, nesterov: Bool = false) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.velocity = velocity
        self.steps = steps
    }

    /// One step over every parameter: a single loop over the flat buffers.
    public mutating func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>) {
        let count = velocity.count
        step(parameters: parameters, gradients: gradients) { stepRange in stepRange(0..<count) }
    }

    /// One step whose parameters are shared out: `body` gets the velocity buffer and a function
    /// that steps the parameters in a range, which may run for disjoint ranges on several threads at
    /// once; every parameter must be stepped exactly once. The same result as `step`, bit for bit.
    public mutating func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                              inRanges body: (_ stepRange: (Range<Int>) -> Void) -> Void) {
        let lr = learningRate, mu = momentum, first = steps == 0, decay = weightDecay, nesterov = nesterov
        velocity.withUnsafeMutableBufferPointer { buffer in
            let v = buffer.baseAddress!
            body { range in
                if decay != 0 || nesterov {
                    for i in range {
                        let g = gradients[i] + decay * parameters[i]
                        v[i] = first ? g : mu * v[i] + g
                        parameters[i] -= lr * (nesterov ? g + mu * v[i] : v[i])
                    }
                } else if first || mu == 0 {
                    for i in range {
                        v[i] = gradients[i]
                        parameters[i] -= lr * v[i]
                    }
                } else {
                    for i in range {
                        v[i] = mu * v[i] + gradients[i]
                        parameters[i] -= lr * v[i]
                    }
                }
            }
        }
        steps += 1
    }

    /// One step: `parameters` updated from `gradients`, both in the layout the optimizer was made for.
    public mutating func step(parameters: inout [Float], gradients: [Float]) {
        precondition(parameters.count == velocity.count && gradients.count == velocity.count)
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in step(parameters: p.baseAddress!, gradients: g.baseAddress!) }
        }
    }
}
