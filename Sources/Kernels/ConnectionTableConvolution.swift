/// Which input maps feed which output maps of a convolution: a list of connections, each with its
/// own KxK kernel. LeNet-5's C3 (Table I of the 1998 paper) is the case that needs it; a fully
/// connected table gives an ordinary convolution (C1, C5). The table is data, not code.
public struct ConnectionTable: Sendable, Equatable {
    /// The number of input maps (the table's rows).
    public let inputMaps: Int
    /// The number of output maps (the table's columns).
    public let outputMaps: Int
    /// The connections in weight order: output map by output map, input maps ascending.
    public let outputOf: [Int]
    /// The input map of each connection, in the same order as `outputOf`.
    public let inputOf: [Int]

    /// The number of connections, each with its own kernel.
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
/// `backwardFast` (below); with the fast kernels, the layer's second-derivative pass is
/// `backwardFast` on the squared input and weights.
public struct TableConvolution: Sendable {
    /// Which input maps feed which output maps.
    public let table: ConnectionTable
    /// K, the side of each square kernel.
    public let kernelSize: Int
    /// H, the input's height.
    public let inputHeight: Int
    /// W, the input's width.
    public let inputWidth: Int
    /// The connections of output map o: firstConnection[o] ..< firstConnection[o + 1].
    let firstConnection: [Int]
    /// The connections that read input map m, ascending.
    let connectionsFrom: [[Int]]

    /// A convolution of `kernelSize` x `kernelSize` kernels over `table`, for inputs of
    /// `inputHeight` x `inputWidth`.
    public init(table: ConnectionTable, kernelSize: Int, inputHeight: Int, inputWidth: Int) {
        self.table = table
        self.kernelSize = kernelSize
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        firstConnection = (0...table.outputMaps).map { o in table.outputOf.firstIndex { $0 >= o } ?? table.count }
        connectionsFrom = (0..<table.inputMaps).map { m in table.inputOf.indices.filter { table.inputOf[$0] == m } }
    }

    /// H - K + 1.
    public var outputHeight: Int { inputHeight - kernelSize + 1 }
    /// W - K + 1.
    public var outputWidth: Int { inputWidth - kernelSize + 1 }
    /// Kernel weights: one K x K kernel per connection.
    public var weightCount: Int { table.count * kernelSize * kernelSize }
    /// Trainable parameters: the kernels and one bias per output map.
    public var parameterCount: Int { weightCount + table.outputMaps }
    /// Connections as the paper counts them: every multiply and every bias, per output unit.
    public var connectionCount: Int { outputHeight * outputWidth * (weightCount + table.outputMaps) }

    /// The naive forward pass for one pattern: output[o] = bias[o] + the sum over o's connections of
    /// the input map convolved with the connection's kernel.
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
// vectors per register block, then single vectors, then the last 16 positions again (recomputed to
// the same values, or masked where they are summed). C1 and C3 take their own kernels where these
// shapes allow better (`isFull`, `hasSixteenMaps`, `usesColumns`, `hasRows16`).

extension TableConvolution {
    /// The wide span of an output plane: rows of the input's width, the last cut at the output's.
    var wideSpan: Int { (outputHeight - 1) &* inputWidth &+ outputWidth }
    /// Zeros in front of each widened output-gradient plane, so that the input gradient's taps
    /// (position q - i*W - j) never read before it.
    var gradientLead: Int { (kernelSize - 1) &* (inputWidth &+ 1) }
    var gradientStride: Int { gradientLead &+ inputHeight &* inputWidth }

    /// Floats of scratch `forwardFast` and `backwardFast` need.
    public var fastScratchCount: Int {
        let columns: Int = usesColumns ? outputHeight &* outputWidth &* 32 : 0
        let shifted: Int = hasRows16 ? table.outputMaps &* 800 &+ 32 : 0
        let mapsInLanes: Int = hasSixteenMaps ? (table.inputMaps &* kernelSize &* kernelSize &+ outputHeight &* outputWidth) &* 16 : 0
        return max(3 &* inputHeight &* inputWidth, table.outputMaps &* gradientStride &+ columns &+ shifted, mapsInLanes)
    }

    /// The shape of the 1998 paper's C3 (5x5 kernels over 14x14 input maps: an input row fits 16
    /// lanes): the input gradient then keeps all fourteen input rows in registers.
    var hasRows16: Bool { kernelSize == 5 && inputHeight == 14 && inputWidth == 14 }

    /// dx[m] for `hasRows16`, all fourteen input rows in registers: for each connection from map m
    /// and column tap j, the ten rows of the output gradient shifted right by j (`shifted`) are loaded
    /// once and feed the five kernel rows i, row t into input row t + i.
    @inline(__always)
    private func inputGradientRows(connections: [Int], weight: UnsafePointer<Float>, shifted: UnsafePointer<Float>,
                                   target: UnsafeMutablePointer<Float>) {
        var r0 = Vector16(), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0, r6 = r0
        var r7 = r0, r8 = r0, r9 = r0, r10 = r0, r11 = r0, r12 = r0, r13 = r0
        for c in connections {
            let kernel = weight + c &* 25, rows = shifted + table.outputOf[c] &* 800
            for j in 0..<5 {
                let w0 = Vector16(repeating: kernel[j]), w1 = Vector16(repeating: kernel[5 &+ j])
                let w2 = Vector16(repeating: kernel[10 &+ j]), w3 = Vector16(repeating: kernel[15 &+ j])
                let w4 = Vector16(repeating: kernel[20 &+ j])
                let g = rows + j &* 160
                var v: Vector16
                v = load16(g + 0)
                r0 = multiplyAdd(r0, w0, v); r1 = multiplyAdd(r1, w1, v); r2 = multiplyAdd(r2, w2, v); r3 = multiplyAdd(r3, w3, v); r4 = multiplyAdd(r4, w4, v)
                v = load16(g + 16)
                r1 = multiplyAdd(r1, w0, v); r2 = multiplyAdd(r2, w1, v); r3 = multiplyAdd(r3, w2, v); r4 = multiplyAdd(r4, w3, v); r5 = multiplyAdd(r5, w4, v)
                v = load16(g + 32)
                r2 = multiplyAdd(r2, w0, v); r3 = multiplyAdd(r3, w1, v); r4 = multiplyAdd(r4, w2, v); r5 = multiplyAdd(r5, w3, v); r6 = multiplyAdd(r6, w4, v)
                v = load16(g + 48)
                r3 = multiplyAdd(r3, w0, v); r4 = multiplyAdd(r4, w1, v); r5 = multiplyAdd(r5, w2, v); r6 = multiplyAdd(r6, w3, v); r7 = multiplyAdd(r7, w4, v)
                v = load16(g + 64)
                r4 = multiplyAdd(r4, w0, v); r5 = multiplyAdd(r5, w1, v); r6 = multiplyAdd(r6, w2, v); r7 = multiplyAdd(r7, w3, v); r8 = multiplyAdd(r8, w4, v)
                v = load16(g + 80)
                r5 = multiplyAdd(r5, w0, v); r6 = multiplyAdd(r6, w1, v); r7 = multiplyAdd(r7, w2, v); r8 = multiplyAdd(r8, w3, v); r9 = multiplyAdd(r9, w4, v)
                v = load16(g + 96)
                r6 = multiplyAdd(r6, w0, v); r7 = multiplyAdd(r7, w1, v); r8 = multiplyAdd(r8, w2, v); r9 = multiplyAdd(r9, w3, v); r10 = multiplyAdd(r10, w4, v)
                v = load16(g + 112)
                r7 = multiplyAdd(r7, w0, v); r8 = multiplyAdd(r8, w1, v); r9 = multiplyAdd(r9, w2, v); r10 = multiplyAdd(r10, w3, v); r11 = multiplyAdd(r11, w4, v)
                v = load16(g + 128)
                r8 = multiplyAdd(r8, w0, v); r9 = multiplyAdd(r9, w1, v); r10 = multiplyAdd(r10, w2, v); r11 = multiplyAdd(r11, w3, v); r12 = multiplyAdd(r12, w4, v)
                v = load16(g + 144)
                r9 = multiplyAdd(r9, w0, v); r10 = multiplyAdd(r10, w1, v); r11 = multiplyAdd(r11, w2, v); r12 = multiplyAdd(r12, w3, v); r13 = multiplyAdd(r13, w4, v)
            }
        }
        store16(r0, target + 0)
        store16(r1, target + 14)
        store16(r2, target + 28)
        store16(r3, target + 42)
        store16(r4, target + 56)
        store16(r5, target + 70)
        store16(r6, target + 84)
        store16(r7, target + 98)
        store16(r8, target + 112)
        store16(r9, target + 126)
        store16(r10, target + 140)
        store16(r11, target + 154)
        store16(r12, target + 168)
        // The last row without its two extra lanes (nothing is written past the map).
        store8(r13.lowHalf, target + 182)
        for lane in 8..<14 { target[182 &+ lane] = r13[lane] }
    }

    /// Sixteen output maps (C3): the forward pass runs with the maps in the lanes (`forwardMapsInLanes`).
    var hasSixteenMaps: Bool { table.outputMaps == 16 }

    /// `forwardFast` with the sixteen output maps in the lanes: the weights laid out densely as
    /// wt[c, tap] = the 16 maps' weights for input map c and tap (0 where the table has no
    /// connection), then for four output positions at a time each input value is broadcast and
    /// multiplied by its tap's weight vector (no unaligned vector loads, no position computed twice).
    /// The results are written position by position and transposed into the maps.
    private func forwardMapsInLanes(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                    output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let k = kernelSize, taps = k &* k, width = inputWidth, plane = inputHeight &* inputWidth
        let ow = outputWidth, positions = outputHeight &* ow
        let dense = scratch, byPosition = scratch + table.inputMaps &* taps &* 16
        zero(dense, table.inputMaps &* taps &* 16)
        for c in 0..<table.count {
            let column = dense + (table.inputOf[c] &* taps &* 16 &+ table.outputOf[c]), kernel = weight + c &* taps
            for t in 0..<taps { column[t &* 16] = kernel[t] }
        }
        let biases = load16(bias)
        @inline(__always) func block(_ p: Int, _ count: Int) {
            let b0 = (p / ow) &* width &+ p % ow
            let b1 = count > 1 ? ((p &+ 1) / ow) &* width &+ (p &+ 1) % ow : b0
            let b2 = count > 2 ? ((p &+ 2) / ow) &* width &+ (p &+ 2) % ow : b0
            let b3 = count > 3 ? ((p &+ 3) / ow) &* width &+ (p &+ 3) % ow : b0
            var a0 = biases, a1 = biases, a2 = biases, a3 = biases
            for m in 0..<table.inputMaps {
                let source = input + m &* plane
                var w = UnsafePointer(dense + m &* taps &* 16)
                for i in 0..<k {
                    let row = source + i &* width
                    for j in 0..<k {
                        let vector = load16(w), r = row + j
                        a0 = multiplyAdd(a0, Vector16(repeating: r[b0]), vector)
                        if count > 1 { a1 = multiplyAdd(a1, Vector16(repeating: r[b1]), vector) }
                        if count > 2 { a2 = multiplyAdd(a2, Vector16(repeating: r[b2]), vector) }
                        if count > 3 { a3 = multiplyAdd(a3, Vector16(repeating: r[b3]), vector) }
                        w += 16
                    }
                }
            }
            store16(a0, byPosition + p &* 16)
            if count > 1 { store16(a1, byPosition + (p &+ 1) &* 16) }
            if count > 2 { store16(a2, byPosition + (p &+ 2) &* 16) }
            if count > 3 { store16(a3, byPosition + (p &+ 3) &* 16) }
        }
        #if AVX512
        /// Eight positions at once (eight accumulators: enough in flight for two FMA units), where
        /// 32 vector registers hold them; the sums are the same as `block`'s, in the same order.
        /// `side` is the kernel size, passed as a literal where it is 5 so that the tap loops unroll.
        @inline(__always) func block8(_ p: Int, _ side: Int) {
            var base = (0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &base) { raw in
                let b = raw.bindMemory(to: Int.self)
                for n in 0..<8 { b[n] = ((p &+ n) / ow) &* width &+ (p &+ n) % ow }
            }
            var a0 = biases, a1 = biases, a2 = biases, a3 = biases, a4 = biases, a5 = biases, a6 = biases, a7 = biases
            for m in 0..<table.inputMaps {
                let source = input + m &* plane
                var w = UnsafePointer(dense + m &* taps &* 16)
                for i in 0..<side {
                    let row = source + i &* width
                    for j in 0..<side {
                        let vector = load16(w), r = row + j
                        a0 = multiplyAdd(a0, Vector16(repeating: r[base.0]), vector)
                        a1 = multiplyAdd(a1, Vector16(repeating: r[base.1]), vector)
                        a2 = multiplyAdd(a2, Vector16(repeating: r[base.2]), vector)
                        a3 = multiplyAdd(a3, Vector16(repeating: r[base.3]), vector)
                        a4 = multiplyAdd(a4, Vector16(repeating: r[base.4]), vector)
                        a5 = multiplyAdd(a5, Vector16(repeating: r[base.5]), vector)
                        a6 = multiplyAdd(a6, Vector16(repeating: r[base.6]), vector)
                        a7 = multiplyAdd(a7, Vector16(repeating: r[base.7]), vector)
                        w += 16
                    }
                }
            }
            let target = byPosition + p &* 16
            store16(a0, target); store16(a1, target + 16); store16(a2, target + 32); store16(a3, target + 48)
            store16(a4, target + 64); store16(a5, target + 80); store16(a6, target + 96); store16(a7, target + 112)
        }
        var p = 0
        if k == 5 {
            while p &+ 8 <= positions { block8(p, 5); p &+= 8 }
        } else {
            while p &+ 8 <= positions { block8(p, k); p &+= 8 }
        }
        #else
        var p = 0
        #endif
        while p &+ 4 <= positions { block(p, 4); p &+= 4 }
        while p < positions { block(p, 1); p &+= 1 }
        for o in 0..<16 {
            let out = output + o &* positions
            for q in 0..<positions { out[q] = byPosition[q &* 16 &+ o] }
        }
    }

    /// Every output map reads every input map (C1): maps can share each load.
    var isFull: Bool { table.count == table.inputMaps &* table.outputMaps }

    /// `forwardFast` for a full table: three output maps at a time (twelve accumulators), each input
    /// vector loaded once for the three.
    private func forwardFull(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                             output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let k = kernelSize, taps = k &* k, width = inputWidth, span = wideSpan, plane = inputHeight &* inputWidth
        let ow = outputWidth, outputPlane = outputHeight &* ow, inputs = table.inputMaps
        /// Maps o ..< o + maps, positions p ..< p + 16 * vectors, into scratch planes 0 ..< maps.
        @inline(__always) func block(_ o: Int, _ maps: Int, _ p: Int, _ vectors: Int) {
            var a0 = Vector16(repeating: bias[o]), a1 = a0, a2 = a0, a3 = a0
            var b0 = maps > 1 ? Vector16(repeating: bias[o &+ 1]) : a0, b1 = b0, b2 = b0, b3 = b0
            var c0 = maps > 2 ? Vector16(repeating: bias[o &+ 2]) : a0, c1 = c0, c2 = c0, c3 = c0
            for m in 0..<inputs {
                let source = input + (m &* plane &+ p)
                let first = weight + (o &* inputs &+ m) &* taps, second = first + inputs &* taps, third = second + inputs &* taps
                for i in 0..<k {
                    let row = source + i &* width
                    for j in 0..<k {
                        let r = row + j, t = i &* k &+ j
                        let x0 = load16(r)
                        let x1 = vectors > 1 ? load16(r + 16) : x0, x2 = vectors > 1 ? load16(r + 32) : x0, x3 = vectors > 1 ? load16(r + 48) : x0
                        let u = Vector16(repeating: first[t])
                        a0 = multiplyAdd(a0, x0, u)
                        if vectors > 1 { a1 = multiplyAdd(a1, x1, u); a2 = multiplyAdd(a2, x2, u); a3 = multiplyAdd(a3, x3, u) }
                        if maps > 1 {
                            let v = Vector16(repeating: second[t])
                            b0 = multiplyAdd(b0, x0, v)
                            if vectors > 1 { b1 = multiplyAdd(b1, x1, v); b2 = multiplyAdd(b2, x2, v); b3 = multiplyAdd(b3, x3, v) }
                        }
                        if maps > 2 {
                            let w = Vector16(repeating: third[t])
                            c0 = multiplyAdd(c0, x0, w)
                            if vectors > 1 { c1 = multiplyAdd(c1, x1, w); c2 = multiplyAdd(c2, x2, w); c3 = multiplyAdd(c3, x3, w) }
                        }
                    }
                }
            }
            @inline(__always) func put(_ map: Int, _ v0: Vector16, _ v1: Vector16, _ v2: Vector16, _ v3: Vector16) {
                let target = scratch + (map &* plane &+ p)
                store16(v0, target)
                if vectors > 1 { store16(v1, target + 16); store16(v2, target + 32); store16(v3, target + 48) }
            }
            put(0, a0, a1, a2, a3)
            if maps > 1 { put(1, b0, b1, b2, b3) }
            if maps > 2 { put(2, c0, c1, c2, c3) }
        }
        @inline(__always) func maps(_ o: Int, _ count: Int) {
            var p = 0
            while p &+ 64 <= span { block(o, count, p, 4); p &+= 64 }
            while p &+ 16 <= span { block(o, count, p, 1); p &+= 16 }
            if p < span { block(o, count, span &- 16, 1) }
            for map in 0..<count {
                let out = output + (o &+ map) &* outputPlane, wide = scratch + map &* plane
                for y in 0..<outputHeight { (out + y &* ow).update(from: wide + y &* width, count: ow) }
            }
        }
        var o = 0
        while o < table.outputMaps {
            switch min(3, table.outputMaps &- o) {
            case 3: maps(o, 3)
            case 2: maps(o, 2)
            default: maps(o, 1)
            }
            o &+= 3
        }
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
        if isFull && span >= 16 {
            forwardFull(input: input, weight: weight, bias: bias, output: output, scratch: scratch)
            return
        }
        if hasSixteenMaps {
            forwardMapsInLanes(input: input, weight: weight, bias: bias, output: output, scratch: scratch)
            return
        }
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
    /// The weight gradient takes im2col columns (`usesColumns`, C3) or widened positions (C1); the
    /// input gradient keeps every input row in registers (`hasRows16`, C3) or reads widened positions.
    public func backwardFast(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                             weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                             inputGradient: UnsafeMutablePointer<Float>?, accumulate: Bool = false,
                             scratch: UnsafeMutablePointer<Float>) {
        let ow = outputWidth, outputPlane = outputHeight &* ow, stride = gradientStride
        for o in 0..<table.outputMaps {
            let gradient = outputGradient + o &* outputPlane
            var sum: Float = 0
            for y in 0..<outputHeight { sum += rowSum(gradient + y &* ow, ow) }
            biasGradient[o] = accumulate ? biasGradient[o] + sum : sum
        }
        // The output gradient widened, for the kernels that read widened positions: G_o[p] for p in
        // -lead ..< H*W, zero outside the output.
        if !usesColumns || (inputGradient != nil && !hasRows16) {
            zero(scratch, table.outputMaps &* stride)
            for o in 0..<table.outputMaps {
                let wide = scratch + (o &* stride &+ gradientLead), gradient = outputGradient + o &* outputPlane
                for y in 0..<outputHeight { (wide + y &* inputWidth).update(from: gradient + y &* ow, count: ow) }
            }
        }
        if usesColumns {
            weightGradientByColumns(input: input, outputGradient: outputGradient, weightGradient: weightGradient, accumulate: accumulate,
                                    columns: scratch + table.outputMaps &* stride)
        } else {
            weightGradientWide(input: input, weightGradient: weightGradient, accumulate: accumulate, wide: scratch)
        }
        guard let inputGradient else { return }
        if hasRows16 {
            let columnFloats: Int = usesColumns ? outputHeight &* ow &* 32 : 0
            inputGradientByRows(outputGradient: outputGradient, weight: weight, inputGradient: inputGradient,
                                scratch: scratch + (table.outputMaps &* stride &+ columnFloats))
        } else {
            inputGradientWide(weight: weight, inputGradient: inputGradient, wide: scratch)
        }
    }

    /// dw[c, i, j] = sum_p G_o[p] * in[p + i*W + j] over the widened output gradient `wide`: five taps
    /// of a row at a time, in 16-lane sums. The tail's d lanes already counted are multiplied by the
    /// zeros of a row of 16 zeros and 16 ones, read from 16 - d.
    private func weightGradientWide(input: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>, accumulate: Bool,
                                    wide scratch: UnsafePointer<Float>) {
        let k = kernelSize, taps = k &* k, width = inputWidth, span = wideSpan, plane = inputHeight &* inputWidth
        var ramp = SIMD32<Float>(repeating: 0)
        for lane in 16..<32 { ramp[lane] = 1 }
        withUnsafePointer(to: &ramp) { ramp in
            let zerosThenOnes = UnsafeRawPointer(ramp).assumingMemoryBound(to: Float.self)
            for c in 0..<table.count {
                let wide = scratch + (table.outputOf[c] &* gradientStride &+ gradientLead)
                let source = input + table.inputOf[c] &* plane
                let target = weightGradient + c &* taps
                for i in 0..<k {
                    let row = source + i &* width
                    var j = 0
                    while j < k {
                        let count = min(5, k &- j)
                        var s0 = Vector16(), s1 = Vector16(), s2 = Vector16(), s3 = Vector16(), s4 = Vector16()
                        let r = row + j
                        @inline(__always) func add(_ g: Vector16, _ x: UnsafePointer<Float>) {
                            s0 = multiplyAdd(s0, g, load16(x))
                            if count > 1 { s1 = multiplyAdd(s1, g, load16(x + 1)) }
                            if count > 2 { s2 = multiplyAdd(s2, g, load16(x + 2)) }
                            if count > 3 { s3 = multiplyAdd(s3, g, load16(x + 3)) }
                            if count > 4 { s4 = multiplyAdd(s4, g, load16(x + 4)) }
                        }
                        var p = 0
                        while p &+ 16 <= span {
                            add(load16(wide + p), r + p)
                            p &+= 16
                        }
                        if p < span && span >= 16 {
                            // The last 16 positions, with the lanes already counted masked out of G.
                            let last = span &- 16
                            add(load16(wide + last) * load16(zerosThenOnes + (16 &- (p &- last))), r + last)
                            p = span
                        }
                        var sums = SIMD8<Float>(horizontalSum(s0), horizontalSum(s1), horizontalSum(s2), horizontalSum(s3),
                                                horizontalSum(s4), 0, 0, 0)
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

    /// dx[m, q] = sum over the connections c from map m, and taps: w[c, i, j] * G_out(c)[q - i*W - j],
    /// over the widened output gradient `wide`, in register blocks over positions.
    private func inputGradientWide(weight: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>,
                                   wide scratch: UnsafePointer<Float>) {
        let k = kernelSize, taps = k &* k, width = inputWidth, plane = inputHeight &* inputWidth
        let stride = gradientStride, lead = gradientLead
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

    /// dx for `hasRows16` (C3): each output-gradient row t of map o shifted right by j,
    /// shifted[o, j, t, x] = G[o, t, x - j] (zero outside the row, from a 32-float row with 16 zeros
    /// before it), then `inputGradientRows` per input map.
    private func inputGradientByRows(outputGradient: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     inputGradient: UnsafeMutablePointer<Float>, scratch shifted: UnsafeMutablePointer<Float>) {
        let ow = outputWidth, outputPlane = outputHeight &* ow, plane = inputHeight &* inputWidth
        let padded = shifted + table.outputMaps &* 800
        zero(padded, 32)
        for o in 0..<table.outputMaps {
            for t in 0..<10 {
                (padded + 16).update(from: outputGradient + (o &* outputPlane &+ t &* ow), count: ow)
                for j in 0..<5 { store16(load16(padded + (16 &- j)), shifted + (o &* 800 &+ j &* 160 &+ t &* 16)) }
            }
        }
        for m in 0..<table.inputMaps {
            inputGradientRows(connections: connectionsFrom[m], weight: weight, shifted: shifted, target: inputGradient + m &* plane)
        }
    }
}
