/// Which input maps feed which output maps of a convolution: a list of connections, each with its
/// own KxK kernel. LeNet-5's C3 (Table I of the 1998 paper) is the case that needs it; a fully
/// connected table gives an ordinary convolution (C1, C5). The table is data, not code.
public struct ConnectionTable: Sendable, Equatable {
    public let inputMaps: Int
    public let outputMaps: Int
    /// The connections in weight order: output map by output map, input maps ascending.
    public let outputOf: [Int]
    public let inputOf: [Int]

    public var count: Int { outputOf.count }

    /// From a matrix with a row per input map and a column per output map (Table I's orientation).
    public init(connected: [[Bool]]) {
        inputMaps = connected.count
        outputMaps = connected.first?.count ?? 0
        var outputs: [Int] = [], inputs: [Int] = []
        for o in 0..<outputMaps {
            for i in 0..<inputMaps where connected[i][o] {
                outputs.append(o)
                inputs.append(i)
            }
        }
        outputOf = outputs
        inputOf = inputs
    }

    /// Every input map to every output map.
    public static func full(inputs: Int, outputs: Int) -> ConnectionTable {
        ConnectionTable(connected: Array(repeating: Array(repeating: true, count: outputs), count: inputs))
    }

    /// The number of input maps feeding output map `o`.
    public func fanIn(of o: Int) -> Int { outputOf.lazy.filter { $0 == o }.count }
}

/// A valid, stride-1 KxK convolution over a connection table, for one pattern:
///   a[o,y,x] = bias[o] + sum_{k: out(k)=o} sum_{i,j} w[k,i,j] * in[in(k), y+i, x+j]
/// input [I, H, W], weight [connections, K, K], bias [O], output [O, H-K+1, W-K+1].
/// Plain loops: this path trains one pattern at a time, and the loops are their own oracle.
public struct TableConvolution: Sendable {
    public let table: ConnectionTable
    public let kernelSize: Int
    public let inputHeight: Int
    public let inputWidth: Int

    public init(table: ConnectionTable, kernelSize: Int, inputHeight: Int, inputWidth: Int) {
        self.table = table
        self.kernelSize = kernelSize
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
    }

    public var outputHeight: Int { inputHeight - kernelSize + 1 }
    public var outputWidth: Int { inputWidth - kernelSize + 1 }
    public var weightCount: Int { table.count * kernelSize * kernelSize }
    /// Trainable parameters: the kernels and one bias per output map.
    public var parameterCount: Int { weightCount + table.outputMaps }
    /// Connections as the paper counts them: every multiply and every bias, per output unit.
    public var connectionCount: Int { outputHeight * outputWidth * (weightCount + table.outputMaps) }

    public func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>) {
        let k = kernelSize, oh = outputHeight, ow = outputWidth, plane = oh &* ow
        for o in 0..<table.outputMaps { (output + o &* plane).update(repeating: bias[o], count: plane) }
        for c in 0..<table.count {
            let out = output + table.outputOf[c] &* plane
            let source = input + table.inputOf[c] &* inputHeight &* inputWidth
            let kernel = weight + c &* k &* k
            for i in 0..<k {
                for j in 0..<k {
                    let w = kernel[i &* k &+ j]
                    for y in 0..<oh {
                        multiplyAdd(out + y &* ow, source + ((y &+ i) &* inputWidth &+ j), w, ow)
                    }
                }
            }
        }
    }

    /// From dE/da (`outputGradient`), overwrites dE/dw and dE/dbias (adds to them when `accumulate`,
    /// for the second and later images of a batch) and, when given, dE/d(input).
    public func backward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, accumulate: Bool = false) {
        propagate(input: input, weight: weight, outputTerm: outputGradient, weightTerm: weightGradient,
                  biasTerm: biasGradient, inputTerm: inputGradient, squared: false, accumulate: accumulate)
    }

    /// The diagonal Gauss-Newton second derivatives (LeCun et al. 1998, eqs. 25 and 27), from
    /// d2E/da2 (`outputSecond`): overwrites d2E/dw2 = sum over the connections sharing w of
    /// d2E/da2 * x^2, d2E/dbias2 = sum d2E/da2 and, when given, d2E/dx2 = sum w^2 * d2E/da2.
    public func secondBackward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputSecond: UnsafePointer<Float>,
                               weightSecond: UnsafeMutablePointer<Float>, biasSecond: UnsafeMutablePointer<Float>,
                               inputSecond: UnsafeMutablePointer<Float>?, accumulate: Bool = false) {
        propagate(input: input, weight: weight, outputTerm: outputSecond, weightTerm: weightSecond,
                  biasTerm: biasSecond, inputTerm: inputSecond, squared: true, accumulate: accumulate)
    }

    /// Backward (`squared` false) and second-derivative (`squared` true) passes share one loop: the
    /// second squares the weight and the input where the first uses them as they are.
    private func propagate(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputTerm: UnsafePointer<Float>,
                           weightTerm: UnsafeMutablePointer<Float>, biasTerm: UnsafeMutablePointer<Float>,
                           inputTerm: UnsafeMutablePointer<Float>?, squared: Bool, accumulate: Bool) {
        let k = kernelSize, oh = outputHeight, ow = outputWidth, plane = oh &* ow, inputPlane = inputHeight &* inputWidth
        for o in 0..<table.outputMaps {
            var sum: Float = 0
            for p in 0..<plane { sum += outputTerm[o &* plane &+ p] }
            biasTerm[o] = accumulate ? biasTerm[o] + sum : sum
        }
        inputTerm?.update(repeating: 0, count: table.inputMaps &* inputPlane)
        for c in 0..<table.count {
            let term = outputTerm + table.outputOf[c] &* plane
            let source = input + table.inputOf[c] &* inputPlane
            let kernel = weight + c &* k &* k
            for i in 0..<k {
                for j in 0..<k {
                    var sum: Float = 0
                    let w = kernel[i &* k &+ j]
                    let factor = squared ? w * w : w
                    for y in 0..<oh {
                        let row = source + ((y &+ i) &* inputWidth &+ j)
                        let t = term + y &* ow
                        if squared {
                            for x in 0..<ow { sum += t[x] * row[x] * row[x] }
                        } else {
                            sum += dot(t, row, ow)
                        }
                        if let inputTerm {
                            multiplyAdd(inputTerm + (table.inputOf[c] &* inputPlane &+ (y &+ i) &* inputWidth &+ j), t, factor, ow)
                        }
                    }
                    let index = c &* k &* k &+ i &* k &+ j
                    weightTerm[index] = accumulate ? weightTerm[index] + sum : sum
                }
            }
        }
    }
}
