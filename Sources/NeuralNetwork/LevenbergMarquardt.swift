/// The 1998 paper's optimizer, stochastic diagonal Levenberg-Marquardt (Sec. III-B, Appendix C):
/// one update per pattern, each parameter with its own step
///   eps_k = eta / (mu + h_kk),   w_k -= eps_k * dE/dw_k
/// where h_kk is the diagonal Gauss-Newton second derivative of the loss averaged over a sample of
/// patterns (500 in the paper), re-estimated before each pass. Flat buffers, in the parameters' layout.
public struct StochasticDiagonalLevenbergMarquardt: Codable, Sendable {
    /// mu, the safety term of eps_k = eta / (mu + h_kk) (the paper's 0.02).
    public var mu: Float
    /// The averaged second derivatives h_kk of the last estimate.
    public private(set) var hessianDiagonal: [Float]
    /// The per-parameter steps eps_k.
    public private(set) var stepSizes: [Float]

    /// An optimizer for `parameterCount` parameters whose second derivatives are not yet estimated.
    public init(parameterCount: Int, mu: Float = 0.02) {
        self.mu = mu
        hessianDiagonal = [Float](repeating: 0, count: parameterCount)
        stepSizes = [Float](repeating: 0, count: parameterCount)
    }

    /// Sets h_kk = sum / patterns and eps_k = eta / (mu + h_kk).
    public mutating func setSecondDerivatives(sum: UnsafePointer<Float>, patterns: Int, learningRate eta: Float) {
        let scale = 1 / Float(max(patterns, 1))
        for k in 0..<hessianDiagonal.count {
            hessianDiagonal[k] = sum[k] * scale
            stepSizes[k] = eta / (mu + hessianDiagonal[k])
        }
    }

    /// w_k -= eps_k * g_k for every parameter.
    public func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>) {
        stepSizes.withUnsafeBufferPointer { steps in
            Self.update(parameters: parameters, gradients: gradients, stepSizes: steps.baseAddress!, count: steps.count)
        }
    }

    /// w_k -= eps_k * g_k for k in 0..<count (the product rounded, then subtracted).
    public static func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, stepSizes: UnsafePointer<Float>,
                              count: Int) {
        for k in 0..<count { parameters[k] -= stepSizes[k] * gradients[k] }
    }
}

/// The second-derivative pass of a fully connected layer (weight [O, I]) for one pattern, from
/// d2E/da2: overwrites (adds to, when `accumulate`) d2E/dW[o,i] = d2E/da[o] * x[i]^2, d2E/db = d2E/da and, when given,
/// d2E/dx[i]^2 = sum_o W[o,i]^2 d2E/da[o] (eqs. 25 and 27).
public func linearSecondBackward(inputs: Int, outputs: Int, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                 outputSecond: UnsafePointer<Float>, weightSecond: UnsafeMutablePointer<Float>,
                                 biasSecond: UnsafeMutablePointer<Float>, inputSecond: UnsafeMutablePointer<Float>?,
                                 accumulate: Bool = false) {
    inputSecond?.update(repeating: 0, count: inputs)
    for o in 0..<outputs {
        let s = outputSecond[o]
        biasSecond[o] = accumulate ? biasSecond[o] + s : s
        for i in 0..<inputs {
            let term = s * input[i] * input[i]
            weightSecond[o &* inputs &+ i] = accumulate ? weightSecond[o &* inputs &+ i] + term : term
            if let inputSecond {
                let w = weight[o &* inputs &+ i]
                inputSecond[i] += w * w * s
            }
        }
    }
}
