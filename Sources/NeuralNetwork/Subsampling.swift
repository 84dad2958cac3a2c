/// The 1998 paper's trainable subsampling (S2, S4): per map m, the four inputs of each 2x2 block are
/// added, multiplied by a trainable coefficient and offset by a trainable bias:
///   a[m,y,x] = coefficient[m] * (in[m,2y,2x] + in[m,2y,2x+1] + in[m,2y+1,2x] + in[m,2y+1,2x+1]) + bias[m]
/// input [M, H, W] -> output [M, H/2, W/2], one pattern.
public struct Subsampling: Sendable {
    public let maps: Int
    public let inputHeight: Int
    public let inputWidth: Int

    public init(maps: Int, inputHeight: Int, inputWidth: Int) {
        self.maps = maps
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
    }

    public var outputHeight: Int { inputHeight / 2 }
    public var outputWidth: Int { inputWidth / 2 }
    public var parameterCount: Int { 2 * maps }
    /// Per output unit: four inputs and the bias.
    public var connectionCount: Int { maps * outputHeight * outputWidth * 5 }

    @inline(__always)
    private func blockSum(_ input: UnsafePointer<Float>, _ m: Int, _ y: Int, _ x: Int) -> Float {
        let base = input + ((m &* inputHeight &+ 2 &* y) &* inputWidth &+ 2 &* x)
        return base[0] + base[1] + base[inputWidth] + base[inputWidth &+ 1]
    }

    public func forward(input: UnsafePointer<Float>, coefficient: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>) {
        for m in 0..<maps {
            for y in 0..<outputHeight {
                for x in 0..<outputWidth {
                    output[(m &* outputHeight &+ y) &* outputWidth &+ x] = coefficient[m] * blockSum(input, m, y, x) + bias[m]
                }
            }
        }
    }

    /// From dE/da, overwrites dE/dcoefficient = sum dE/da * blockSum, dE/dbias = sum dE/da and
    /// dE/d(input) = coefficient * dE/da for each of the block's four inputs.
    public func backward(input: UnsafePointer<Float>, coefficient: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         coefficientGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?) {
        propagate(input: input, coefficient: coefficient, outputTerm: outputGradient, coefficientTerm: coefficientGradient,
                  biasTerm: biasGradient, inputTerm: inputGradient, squared: false)
    }

    /// Gauss-Newton second derivatives from d2E/da2: d2E/dcoefficient2 = sum d2E/da2 * blockSum^2,
    /// d2E/dbias2 = sum d2E/da2, d2E/d(input)2 = coefficient^2 * d2E/da2.
    public func secondBackward(input: UnsafePointer<Float>, coefficient: UnsafePointer<Float>, outputSecond: UnsafePointer<Float>,
                               coefficientSecond: UnsafeMutablePointer<Float>, biasSecond: UnsafeMutablePointer<Float>,
                               inputSecond: UnsafeMutablePointer<Float>?) {
        propagate(input: input, coefficient: coefficient, outputTerm: outputSecond, coefficientTerm: coefficientSecond,
                  biasTerm: biasSecond, inputTerm: inputSecond, squared: true)
    }

    private func propagate(input: UnsafePointer<Float>, coefficient: UnsafePointer<Float>, outputTerm: UnsafePointer<Float>,
                           coefficientTerm: UnsafeMutablePointer<Float>, biasTerm: UnsafeMutablePointer<Float>,
                           inputTerm: UnsafeMutablePointer<Float>?, squared: Bool) {
        for m in 0..<maps {
            var coefficientSum: Float = 0, biasSum: Float = 0
            let factor = squared ? coefficient[m] * coefficient[m] : coefficient[m]
            for y in 0..<outputHeight {
                for x in 0..<outputWidth {
                    let t = outputTerm[(m &* outputHeight &+ y) &* outputWidth &+ x]
                    let s = blockSum(input, m, y, x)
                    coefficientSum += t * (squared ? s * s : s)
                    biasSum += t
                    if let inputTerm {
                        let base = inputTerm + ((m &* inputHeight &+ 2 &* y) &* inputWidth &+ 2 &* x)
                        let value = factor * t
                        base[0] = value; base[1] = value; base[inputWidth] = value; base[inputWidth &+ 1] = value
                    }
                }
            }
            coefficientTerm[m] = coefficientSum
            biasTerm[m] = biasSum
        }
    }
}
