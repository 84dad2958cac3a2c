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
/// `forward`, `backward` and `secondBackward` are plain loops, the oracles of `forwardFast` and
/// `backwardFast` (below); the second-derivative pass runs on a few hundred patterns per pass and
/// keeps the plain loops.
public struct TableConvolution: Sendable {
    public let table: ConnectionTable
    public let kernelSize: Int
    public let inputHeight: Int
    public let inputWidth: Int
    /// The connections of output map o: firstConnection[o] ..< firstConnection[o + 1].
    let firstConnection: [Int]
    /// The connections that read input map m, ascending.
    let connectionsFrom: [[Int]]

    public init(table: ConnectionTable, kernelSize: Int, inputHeight: Int, inputWidth: Int) {
        self.table = table
        self.kernelSize = kernelSize
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        firstConnection = (0...table.outputMaps).map { o in table.outputOf.firstIndex { $0 >= o } ?? table.count }
        connectionsFrom = (0..<table.inputMaps).map { m in table.inputOf.indices.filter { table.inputOf[$0] == m } }
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

// MARK: - Fast kernels, for one pattern at a time
//
// The 1998 model trains one pattern at a time, so these kernels block over positions, not images.
// A map of K x K taps over an input of width W is read "wide": output position p = y*W + x, for
// p in 0 ..< span = (OH-1)*W + OW, takes tap (i, j) from input position p + i*W + j, so every tap
// is one run of contiguous loads. The positions with x >= OW are computed and dropped (forward) or
// held at zero (backward); no read leaves the input plane. Sixteen positions per vector, four
// vectors per register block, a tail of eight and then of single positions.

extension TableConvolution {
    /// The wide span of an output plane: rows of the input's width, the last cut at the output's.
    var wideSpan: Int { (outputHeight - 1) &* inputWidth &+ outputWidth }
    /// Zeros in front of each widened output-gradient plane, so that the input gradient's taps
    /// (position q - i*W - j) never read before it.
    var gradientLead: Int { (kernelSize - 1) &* (inputWidth &+ 1) }
    var gradientStride: Int { gradientLead &+ inputHeight &* inputWidth }

    /// Floats of scratch `forwardFast` and `backwardFast` need.
    public var fastScratchCount: Int {
        max(inputHeight &* inputWidth, table.outputMaps &* gradientStride &+ (usesColumns ? outputHeight &* outputWidth &* 32 : 0))
    }

    /// Whether the weight gradient takes `weightGradientByColumns`: kernels of up to 5x5, on output
    /// planes whose columns fit in the first-level cache (C3's; C1's 784 positions do better without).
    var usesColumns: Bool { kernelSize <= 5 && outputHeight &* outputWidth <= 256 }

    /// dw[c, tap] = sum_p dE/da[out(c), p] * columns[p, tap], for kernels of up to 5x5: the input map's
    /// K*K taps at each output position p laid out in 32 lanes (im2col), so that a position's taps
    /// are two vectors and each gradient value one broadcast; up to four connections that read the
    /// map share every load. Lanes K*K ..< 32 are computed and dropped: no horizontal sums.
    private func weightGradientByColumns(input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                         weightGradient: UnsafeMutablePointer<Float>, accumulate: Bool,
                                         columns: UnsafeMutablePointer<Float>) {
        let k = kernelSize, taps = k &* k, width = inputWidth, plane = inputHeight &* inputWidth
        let ow = outputWidth, positions = outputHeight &* ow
        /// Connections[first ..< first + group] (all reading this map), over every position.
        @inline(__always) func accumulateGroup(_ group: Int, connections: [Int], first: Int) {
            let c0 = connections[first]
            let c1 = group > 1 ? connections[first &+ 1] : c0
            let c2 = group > 2 ? connections[first &+ 2] : c0
            let c3 = group > 3 ? connections[first &+ 3] : c0
            let g0 = outputGradient + table.outputOf[c0] &* positions, g1 = outputGradient + table.outputOf[c1] &* positions
            let g2 = outputGradient + table.outputOf[c2] &* positions, g3 = outputGradient + table.outputOf[c3] &* positions
            var a0 = Vector16(), b0 = Vector16(), a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0
            var column = UnsafePointer(columns)
            for p in 0..<positions {
                let low = load16(column), high = load16(column + 16)
                var g = Vector16(repeating: g0[p])
                a0 = multiplyAdd(a0, g, low); b0 = multiplyAdd(b0, g, high)
                if group > 1 { g = Vector16(repeating: g1[p]); a1 = multiplyAdd(a1, g, low); b1 = multiplyAdd(b1, g, high) }
                if group > 2 { g = Vector16(repeating: g2[p]); a2 = multiplyAdd(a2, g, low); b2 = multiplyAdd(b2, g, high) }
                if group > 3 { g = Vector16(repeating: g3[p]); a3 = multiplyAdd(a3, g, low); b3 = multiplyAdd(b3, g, high) }
                column += 32
            }
            @inline(__always) func store(_ c: Int, _ low: Vector16, _ high: Vector16) {
                let target = weightGradient + c &* taps
                for t in 0..<taps {
                    let value = t < 16 ? low[t] : high[t &- 16]
                    target[t] = accumulate ? target[t] + value : value
                }
            }
            store(c0, a0, b0)
            if group > 1 { store(c1, a1, b1) }
            if group > 2 { store(c2, a2, b2) }
            if group > 3 { store(c3, a3, b3) }
        }
        for m in 0..<table.inputMaps {
            let source = input + m &* plane
            // Position by position (its 128 bytes stay in the cache while they are written): the
            // lanes past the taps zeroed (their sums are dropped; zeros keep them cheap), then row i
            // of the taps at lanes i*K ..< i*K + K, written as eight floats (row i + 1 overwrites the
            // extra), but never read past the end of the last map.
            let lastMap = m &+ 1 == table.inputMaps
            @inline(__always) func build(_ k: Int) {
                var column = columns
                for y in 0..<outputHeight {
                    for x in 0..<ow {
                        store16(Vector16(), column + 16)
                        for i in 0..<k {
                            let row = source + ((y &+ i) &* width &+ x)
                            if !lastMap || (y &+ i) &* width &+ x &+ 8 <= plane {
                                store8(load8(row), column + i &* k)
                            } else {
                                for j in 0..<k { column[i &* k &+ j] = row[j] }
                            }
                        }
                        column += 32
                    }
                }
            }
            if k == 5 { build(5) } else { build(k) }
            let connections = connectionsFrom[m]
            var first = 0
            while first < connections.count {
                let group = min(4, connections.count &- first)
                switch group {
                case 4: accumulateGroup(4, connections: connections, first: first)
                case 3: accumulateGroup(3, connections: connections, first: first)
                case 2: accumulateGroup(2, connections: connections, first: first)
                default: accumulateGroup(1, connections: connections, first: first)
                }
                first &+= group
            }
        }
    }

    /// As `forward`, with register blocks over positions. `scratch` holds `fastScratchCount` floats.
    public func forwardFast(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                            output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let k = kernelSize, taps = k &* k, width = inputWidth, span = wideSpan, plane = inputHeight &* inputWidth
        let ow = outputWidth, outputPlane = outputHeight &* ow
        for o in 0..<table.outputMaps {
            let connections = firstConnection[o]..<firstConnection[o &+ 1]
            let b = bias[o]
            /// scratch[p ..< p + 16 * vectors] for the taps of every connection of map o.
            @inline(__always) func block(_ p: Int, _ vectors: Int) {
                var a0 = Vector16(repeating: b), a1 = a0, a2 = a0, a3 = a0
                for c in connections {
                    let source = input + (table.inputOf[c] &* plane &+ p)
                    let kernel = weight + c &* taps
                    for i in 0..<k {
                        let row = source + i &* width
                        for j in 0..<k {
                            let t = Vector16(repeating: kernel[i &* k &+ j])
                            let r = row + j
                            a0 = multiplyAdd(a0, load16(r), t)
                            if vectors > 1 { a1 = multiplyAdd(a1, load16(r + 16), t) }
                            if vectors > 2 { a2 = multiplyAdd(a2, load16(r + 32), t) }
                            if vectors > 3 { a3 = multiplyAdd(a3, load16(r + 48), t) }
                        }
                    }
                }
                store16(a0, scratch + p)
                if vectors > 1 { store16(a1, scratch + (p &+ 16)) }
                if vectors > 2 { store16(a2, scratch + (p &+ 32)) }
                if vectors > 3 { store16(a3, scratch + (p &+ 48)) }
            }
            var p = 0
            while p &+ 64 <= span { block(p, 4); p &+= 64 }
            while p &+ 16 <= span { block(p, 1); p &+= 16 }
            // The last positions as the last 16 (the overlap computed again, to the same values).
            if p < span && span >= 16 { block(span &- 16, 1); p = span }
            while p < span {
                var a = b
                for c in connections {
                    let source = input + (table.inputOf[c] &* plane &+ p)
                    let kernel = weight + c &* taps
                    for i in 0..<k {
                        for j in 0..<k { a += kernel[i &* k &+ j] * source[i &* width &+ j] }
                    }
                }
                scratch[p] = a
                p &+= 1
            }
            let out = output + o &* outputPlane
            for y in 0..<outputHeight { (out + y &* ow).update(from: scratch + y &* width, count: ow) }
        }
    }

    /// As `backward`, with register blocks over positions. `scratch` holds `fastScratchCount` floats.
    public func backwardFast(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                             weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                             inputGradient: UnsafeMutablePointer<Float>?, accumulate: Bool = false,
                             scratch: UnsafeMutablePointer<Float>) {
        let k = kernelSize, taps = k &* k, width = inputWidth, span = wideSpan, plane = inputHeight &* inputWidth
        let ow = outputWidth, outputPlane = outputHeight &* ow, lead = gradientLead, stride = gradientStride
        // The output gradient, widened: G_o[p] for p in -lead ..< H*W, zero outside the output.
        zero(scratch, table.outputMaps &* stride)
        for o in 0..<table.outputMaps {
            let wide = scratch + (o &* stride &+ lead), gradient = outputGradient + o &* outputPlane
            var sum: Float = 0
            for y in 0..<outputHeight {
                (wide + y &* width).update(from: gradient + y &* ow, count: ow)
                sum += rowSum(gradient + y &* ow, ow)
            }
            biasGradient[o] = accumulate ? biasGradient[o] + sum : sum
        }
        if usesColumns {
            weightGradientByColumns(input: input, outputGradient: outputGradient, weightGradient: weightGradient, accumulate: accumulate,
                                    columns: scratch + table.outputMaps &* stride)
        } else {
        // dw[c, i, j] = sum_p G_o[p] * in[p + i*W + j]: five taps of a row at a time. The tail's
        // d lanes already counted are multiplied by the zeros of 16 zeros and 16 ones, from 16 - d.
        var ramp = SIMD32<Float>(repeating: 0)
        for lane in 16..<32 { ramp[lane] = 1 }
        withUnsafePointer(to: &ramp) { ramp in
        let zerosThenOnes = UnsafeRawPointer(ramp).assumingMemoryBound(to: Float.self)
        for c in 0..<table.count {
            let wide = scratch + (table.outputOf[c] &* stride &+ lead)
            let source = input + table.inputOf[c] &* plane
            let target = weightGradient + c &* taps
            for i in 0..<k {
                let row = source + i &* width
                var j = 0
                while j < k {
                    let count = min(5, k &- j)
                    var s0 = Vector16(), s1 = Vector16(), s2 = Vector16(), s3 = Vector16(), s4 = Vector16()
                    let r = row + j
                    var p = 0
                    while p &+ 16 <= span {
                        let g = load16(wide + p), x = r + p
                        s0 = multiplyAdd(s0, g, load16(x))
                        if count > 1 { s1 = multiplyAdd(s1, g, load16(x + 1)) }
                        if count > 2 { s2 = multiplyAdd(s2, g, load16(x + 2)) }
                        if count > 3 { s3 = multiplyAdd(s3, g, load16(x + 3)) }
                        if count > 4 { s4 = multiplyAdd(s4, g, load16(x + 4)) }
                        p &+= 16
                    }
                    if p < span && span >= 16 {
                        // The last 16 positions, with the lanes already counted masked out of G.
                        let last = span &- 16
                        let g = load16(wide + last) * load16(zerosThenOnes + (16 &- (p &- last))), x = r + last
                        s0 = multiplyAdd(s0, g, load16(x))
                        if count > 1 { s1 = multiplyAdd(s1, g, load16(x + 1)) }
                        if count > 2 { s2 = multiplyAdd(s2, g, load16(x + 2)) }
                        if count > 3 { s3 = multiplyAdd(s3, g, load16(x + 3)) }
                        if count > 4 { s4 = multiplyAdd(s4, g, load16(x + 4)) }
                        p = span
                    }
                    var sums = SIMD8<Float>(horizontalSum(s0), horizontalSum(s1), horizontalSum(s2), horizontalSum(s3), horizontalSum(s4), 0, 0, 0)
                    while p < span {
                        let g = wide[p]
                        for t in 0..<count { sums[t] += g * r[p &+ t] }
                        p &+= 1
                    }
                    for t in 0..<count {
                        let index = i &* k &+ j &+ t
                        target[index] = accumulate ? target[index] + sums[t] : sums[t]
                    }
                    j &+= 5
                }
            }
        }
        }
        }
        guard let inputGradient else { return }
        // dx[m, q] = sum over the connections c from map m, and taps: w[c, i, j] * G_out(c)[q - i*W - j].
        for m in 0..<table.inputMaps {
            let connections = connectionsFrom[m]
            let target = inputGradient + m &* plane
            @inline(__always) func block(_ q: Int, _ vectors: Int) {
                var a0 = Vector16(), a1 = a0, a2 = a0, a3 = a0
                for c in connections {
                    let wide = scratch + (table.outputOf[c] &* stride &+ lead &+ q)
                    let kernel = weight + c &* taps
                    for i in 0..<k {
                        let row = wide - i &* width
                        for j in 0..<k {
                            let t = Vector16(repeating: kernel[i &* k &+ j])
                            let r = row - j
                            a0 = multiplyAdd(a0, load16(r), t)
                            if vectors > 1 { a1 = multiplyAdd(a1, load16(r + 16), t) }
                            if vectors > 2 { a2 = multiplyAdd(a2, load16(r + 32), t) }
                            if vectors > 3 { a3 = multiplyAdd(a3, load16(r + 48), t) }
                        }
                    }
                }
                store16(a0, target + q)
                if vectors > 1 { store16(a1, target + (q &+ 16)) }
                if vectors > 2 { store16(a2, target + (q &+ 32)) }
                if vectors > 3 { store16(a3, target + (q &+ 48)) }
            }
            var q = 0
            while q &+ 64 <= plane { block(q, 4); q &+= 64 }
            while q &+ 16 <= plane { block(q, 1); q &+= 16 }
            if q < plane && plane >= 16 { block(plane &- 16, 1); q = plane }
            while q < plane {
                var a: Float = 0
                for c in connections {
                    let wide = scratch + (table.outputOf[c] &* stride &+ lead &+ q)
                    let kernel = weight + c &* taps
                    for i in 0..<k {
                        for j in 0..<k { a += kernel[i &* k &+ j] * wide[-(i &* width &+ j)] }
                    }
                }
                target[q] = a
                q &+= 1
            }
        }
    }
}
