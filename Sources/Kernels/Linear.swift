/// Fully connected layer in PyTorch's layout: input [N, I], weight [O, I], bias [O], output [N, O].
///   out[n,o] = bias[o] + sum_i input[n,i] * weight[o,i]

// MARK: - Naive oracles

/// The oracle of the fast linear kernels: out[n,o] = bias[o] + sum_i input[n,i] weight[o,i], in plain
/// loops.
public func linearForwardNaive(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               output: UnsafeMutablePointer<Float>) {
    for n in 0..<batch {
        for o in 0..<outputs {
            var sum = bias[o]
            for i in 0..<inputs { sum += input[n * inputs + i] * weight[o * inputs + i] }
            output[n * outputs + o] = sum
        }
    }
}

/// Overwrites dweight[o,i] = sum_n dout[n,o] input[n,i], dbias[o] = sum_n dout[n,o] and, when
/// `inputGradient` is not nil, dinput[n,i] = sum_o dout[n,o] weight[o,i].
public func linearBackwardNaive(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                                weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                weightGradient: UnsafeMutablePointer<Float>,
                                biasGradient: UnsafeMutablePointer<Float>,
                                inputGradient: UnsafeMutablePointer<Float>?) {
    for o in 0..<outputs {
        var biasSum: Float = 0
        for n in 0..<batch { biasSum += outputGradient[n * outputs + o] }
        biasGradient[o] = biasSum
        for i in 0..<inputs {
            var sum: Float = 0
            for n in 0..<batch { sum += outputGradient[n * outputs + o] * input[n * inputs + i] }
            weightGradient[o * inputs + i] = sum
        }
    }
    if let inputGradient {
        for n in 0..<batch {
            for i in 0..<inputs {
                var sum: Float = 0
                for o in 0..<outputs { sum += outputGradient[n * outputs + o] * weight[o * inputs + i] }
                inputGradient[n * inputs + i] = sum
            }
        }
    }
}

// MARK: - Fast kernels

/// As `linearForwardNaive`, in register blocks of four images by four outputs: sixteen 16-lane
/// sums over the inputs, each input and weight vector loaded once per block; then each sum's lanes
/// added as a tree, the inputs past the last multiple of 16 one by one (a product, then a sum), and
/// the bias. A full block does the sixteen trees and tails as vectors (`blockSums`), the same
/// additions in the same order, so an image's outputs are the same bits in any batch; the tail's
/// vectors are built once a call (the weights) and once a block of images (the inputs), not once a
/// block (F6's forward pass: 0.47 -> 0.33 us an image, measured with `lenet bench --threads 1`).
public func linearForward(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                          output: UnsafeMutablePointer<Float>) {
    let vectorEnd = inputs & ~15, tail = inputs &- vectorEnd
    guard tail > 0, batch >= 4, outputs >= 4 else {
        linearForwardBlocks(batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: output,
                            tailWeights: nil, tailInputs: nil)
        return
    }
    // The tail's vectors of the full blocks, built once: for each block of four outputs and each
    // input t past the last multiple of 16, the four weights [w0[t], w1[t], w2[t], w3[t]] four times
    // (here), and for each block of four images the four inputs, each four times (by the blocks).
    let outputBlocks = outputs / 4
    withUnsafeTemporaryAllocation(of: Vector16.self, capacity: outputBlocks &* tail &+ tail) { vectors in
        let tailWeights = vectors.baseAddress!, tailInputs = tailWeights + outputBlocks &* tail
        for block in 0..<outputBlocks {
            let w0 = weight + block &* 4 &* inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs
            for t in 0..<tail {
                let i = vectorEnd &+ t
                let w4 = SIMD4(w0[i], w1[i], w2[i], w3[i]), w8 = Vector8(lowHalf: w4, highHalf: w4)
                tailWeights[block &* tail &+ t] = Vector16(lowHalf: w8, highHalf: w8)
            }
        }
        linearForwardBlocks(batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: output,
                            tailWeights: tailWeights, tailInputs: tailInputs)
    }
}

/// `linearForward`'s blocks; with `tailWeights` and `tailInputs` (as `linearForward` lays them out)
/// the full blocks read the tail's vectors instead of building them.
@inline(__always)
private func linearForwardBlocks(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                 tailWeights: UnsafeMutablePointer<Vector16>?, tailInputs: UnsafeMutablePointer<Vector16>?) {
    let vectorEnd = inputs & ~15, tail = inputs &- vectorEnd
    var n = 0
    while n < batch {
        let images = batch &- n >= 4 ? 4 : 1
        if images == 4, let tailInputs {
            let x0 = input + n &* inputs, x1 = x0 + inputs, x2 = x1 + inputs, x3 = x2 + inputs
            for t in 0..<tail {
                let i = vectorEnd &+ t
                tailInputs[t] = Vector16(lowHalf: Vector8(lowHalf: SIMD4(repeating: x0[i]), highHalf: SIMD4(repeating: x1[i])),
                                         highHalf: Vector8(lowHalf: SIMD4(repeating: x2[i]), highHalf: SIMD4(repeating: x3[i])))
            }
        }
        var o = 0
        while o < outputs {
            let units = outputs &- o >= 4 ? 4 : 1
            switch (images, units) {
            case (4, 4):
                linearForwardBlock(Block4x4.self, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: output,
                                   n: n, o: o, tailWeights: tailWeights.map { $0 + (o / 4) &* tail }, tailInputs: tailInputs)
            case (4, _): linearForwardBlock(Block4x1.self, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: output, n: n, o: o)
            case (_, 4): linearForwardBlock(Block1x4.self, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: output, n: n, o: o)
            default: linearForwardBlock(Block1x1.self, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: output, n: n, o: o)
            }
            o &+= units
        }
        n &+= images
    }
}

// Each block shape in a function of its own (a specialisation of this generic one), with the block
// inlined and its shape a constant: left to itself, the compiler inlined some of the four calls and
// sent the others to one copy that tested the shape inside the loop over the inputs (among them a
// batch of one image, as the 1998 model's training and a single image's inference have).
@inline(never)
private func linearForwardBlock<Shape: RegisterBlock>(_ shape: Shape.Type, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                                                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                                      output: UnsafeMutablePointer<Float>, n: Int, o: Int,
                                                      tailWeights: UnsafePointer<Vector16>? = nil, tailInputs: UnsafePointer<Vector16>? = nil) {
    linearForwardBlock(inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: output, n: n, o: o,
                       images: Shape.images, units: Shape.count, tailWeights: tailWeights, tailInputs: tailInputs)
}

/// A register block's shape as a type, so that a generic kernel function is specialised for each:
/// `images` images (rows of the batch) by `count` units (outputs, or vectors of 16 outputs).
protocol RegisterBlock { static var images: Int { get }; static var count: Int { get } }
enum Block4x1: RegisterBlock { static let images = 4, count = 1 }
enum Block4x2: RegisterBlock { static let images = 4, count = 2 }
enum Block4x3: RegisterBlock { static let images = 4, count = 3 }
enum Block4x4: RegisterBlock { static let images = 4, count = 4 }
enum Block1x1: RegisterBlock { static let images = 1, count = 1 }
enum Block1x2: RegisterBlock { static let images = 1, count = 2 }
enum Block1x3: RegisterBlock { static let images = 1, count = 3 }
enum Block1x4: RegisterBlock { static let images = 1, count = 4 }
enum Block1x5: RegisterBlock { static let images = 1, count = 5 }
enum Block1x6: RegisterBlock { static let images = 1, count = 6 }
enum Block1x7: RegisterBlock { static let images = 1, count = 7 }
enum Block1x8: RegisterBlock { static let images = 1, count = 8 }

/// out[n ..< n+images, o ..< o+units] (images and units 4 or 1, literal at the call).
@inline(__always)
private func linearForwardBlock(inputs: Int, outputs: Int, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, n: Int, o: Int, images: Int, units: Int,
                                tailWeights: UnsafePointer<Vector16>? = nil, tailInputs: UnsafePointer<Vector16>? = nil) {
    var s00 = Vector16(), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00
    var s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00
    let x0 = input + n &* inputs, x1 = x0 + inputs, x2 = x1 + inputs, x3 = x2 + inputs
    let w0 = weight + o &* inputs, w1 = w0 + inputs, w2 = w1 + inputs, w3 = w2 + inputs
    let vectorEnd = inputs & ~15
    var i = 0
    while i < vectorEnd {
        let a0 = load16(x0 + i)
        let a1 = images > 1 ? load16(x1 + i) : a0, a2 = images > 1 ? load16(x2 + i) : a0, a3 = images > 1 ? load16(x3 + i) : a0
        let b0 = load16(w0 + i)
        s00 = multiplyAdd(s00, a0, b0)
        if images > 1 { s10 = multiplyAdd(s10, a1, b0); s20 = multiplyAdd(s20, a2, b0); s30 = multiplyAdd(s30, a3, b0) }
        if units > 1 {
            let b1 = load16(w1 + i), b2 = load16(w2 + i), b3 = load16(w3 + i)
            s01 = multiplyAdd(s01, a0, b1); s02 = multiplyAdd(s02, a0, b2); s03 = multiplyAdd(s03, a0, b3)
            if images > 1 {
                s11 = multiplyAdd(s11, a1, b1); s12 = multiplyAdd(s12, a1, b2); s13 = multiplyAdd(s13, a1, b3)
                s21 = multiplyAdd(s21, a2, b1); s22 = multiplyAdd(s22, a2, b2); s23 = multiplyAdd(s23, a2, b3)
                s31 = multiplyAdd(s31, a3, b1); s32 = multiplyAdd(s32, a3, b2); s33 = multiplyAdd(s33, a3, b3)
            }
        }
        i &+= 16
    }
    @inline(__always) func finish(_ image: Int, _ unit: Int, _ sum: Vector16) {
        let x = input + (n &+ image) &* inputs, w = weight + (o &+ unit) &* inputs
        var total = horizontalSum(sum)
        for t in vectorEnd..<inputs { total += x[t] * w[t] }
        output[(n &+ image) &* outputs &+ o &+ unit] = total + bias[o &+ unit]
    }
    if images == 4 && units == 4 {
        // The sixteen trees at once, lane p = 4 image + unit, then the tail and the bias as vectors.
        var sums = blockSums(s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33)
        // Whenever a full block has a tail, `linearForward` has built the tail's vectors.
        if let tailWeights, let tailInputs {
            for t in 0..<(inputs &- vectorEnd) { sums = sums + tailInputs[t] * tailWeights[t] }
        }
        let b4 = UnsafeRawPointer(bias + o).loadUnaligned(as: SIMD4<Float>.self), b8 = Vector8(lowHalf: b4, highHalf: b4)
        sums = sums + Vector16(lowHalf: b8, highHalf: b8)
        let row = output + (n &* outputs &+ o)
        UnsafeMutableRawPointer(row).storeBytes(of: sums.lowHalf.lowHalf, as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(row + outputs).storeBytes(of: sums.lowHalf.highHalf, as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(row + (2 &* outputs)).storeBytes(of: sums.highHalf.lowHalf, as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(row + (3 &* outputs)).storeBytes(of: sums.highHalf.highHalf, as: SIMD4<Float>.self)
        return
    }
    finish(0, 0, s00)
    if units > 1 { finish(0, 1, s01); finish(0, 2, s02); finish(0, 3, s03) }
    if images > 1 {
        finish(1, 0, s10); finish(2, 0, s20); finish(3, 0, s30)
        if units > 1 {
            finish(1, 1, s11); finish(1, 2, s12); finish(1, 3, s13)
            finish(2, 1, s21); finish(2, 2, s22); finish(2, 3, s23)
            finish(3, 1, s31); finish(3, 2, s32); finish(3, 3, s33)
        }
    }
}

/// `horizontalSum` of sixteen vectors at once: lane p of the result is the tree sum of the p-th
/// argument, the same additions of the same pairs (eight lanes to eight, four to four, two to two,
/// then the last two), four of the trees' levels in one vector each.
@inline(__always)
func blockSums(_ v0: Vector16, _ v1: Vector16, _ v2: Vector16, _ v3: Vector16, _ v4: Vector16, _ v5: Vector16, _ v6: Vector16,
               _ v7: Vector16, _ v8: Vector16, _ v9: Vector16, _ v10: Vector16, _ v11: Vector16, _ v12: Vector16,
               _ v13: Vector16, _ v14: Vector16, _ v15: Vector16) -> Vector16 {
    // Eight lanes: [a.low + a.high, b.low + b.high].
    @inline(__always) func eights(_ a: Vector16, _ b: Vector16) -> Vector16 {
        Vector16(lowHalf: a.lowHalf, highHalf: b.lowHalf) + Vector16(lowHalf: a.highHalf, highHalf: b.highHalf)
    }
    // Four lanes: from [h_a, h_b] and [h_c, h_d] (eight lanes each), [f_a, f_b, f_c, f_d].
    @inline(__always) func fours(_ ab: Vector16, _ cd: Vector16) -> Vector16 {
        Vector16(lowHalf: Vector8(lowHalf: ab.lowHalf.lowHalf, highHalf: ab.highHalf.lowHalf),
                 highHalf: Vector8(lowHalf: cd.lowHalf.lowHalf, highHalf: cd.highHalf.lowHalf))
            + Vector16(lowHalf: Vector8(lowHalf: ab.lowHalf.highHalf, highHalf: ab.highHalf.highHalf),
                       highHalf: Vector8(lowHalf: cd.lowHalf.highHalf, highHalf: cd.highHalf.highHalf))
    }
    // Two lanes: from two vectors of four 4-lane groups, the eight groups' low pairs plus their high pairs.
    @inline(__always) func twos(_ a: Vector16, _ b: Vector16) -> Vector16 {
        let da = unsafeBitCast(a, to: SIMD8<Double>.self), db = unsafeBitCast(b, to: SIMD8<Double>.self)
        return unsafeBitCast(SIMD8<Double>(lowHalf: da.evenHalf, highHalf: db.evenHalf), to: Vector16.self)
            + unsafeBitCast(SIMD8<Double>(lowHalf: da.oddHalf, highHalf: db.oddHalf), to: Vector16.self)
    }
    // One lane: from two vectors of eight 2-lane groups, each group's two lanes added.
    @inline(__always) func ones(_ a: Vector16, _ b: Vector16) -> Vector16 {
        Vector16(lowHalf: a.evenHalf, highHalf: b.evenHalf) + Vector16(lowHalf: a.oddHalf, highHalf: b.oddHalf)
    }
    let f0 = fours(eights(v0, v1), eights(v2, v3)), f1 = fours(eights(v4, v5), eights(v6, v7))
    let f2 = fours(eights(v8, v9), eights(v10, v11)), f3 = fours(eights(v12, v13), eights(v14, v15))
    return ones(twos(f0, f1), twos(f2, f3))
}

/// As `linearBackwardNaive`. The gradient rows are built in registers two at a time (two outputs'
/// weight rows, two images' input rows), 64 columns of each at a time, and stored once (the
/// columns past the last multiple of 64: `remainderRowSums`):
///   dweight[o, i..i+64] = sum_n dout[n,o] * input[n, i..i+64]
///   dinput[n, i..i+64]  = sum_o dout[n,o] * weight[o, i..i+64]
/// Rows of 80 or 84 inputs (F7's) are built whole, four at a time (`fiveVectorRowSums`): the same
/// sums in the same order, so the same bits.
public func linearBackward(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                           weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                           weightGradient: UnsafeMutablePointer<Float>,
                           biasGradient: UnsafeMutablePointer<Float>,
                           inputGradient: UnsafeMutablePointer<Float>?) {
    guard inputs == 80 || inputs == 84 else {
        linearBackwardByBlocks(batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight, outputGradient: outputGradient,
                               weightGradient: weightGradient, biasGradient: biasGradient, inputGradient: inputGradient)
        return
    }
    linearBiasGradient(batch: batch, outputs: outputs, outputGradient: outputGradient, biasGradient: biasGradient)
    fiveVectorRowSums(terms: batch, inputs: inputs, targets: outputs, coefficients: outputGradient, coefficientStride: outputs,
                      coefficientStep: 1, rows: input, rowStride: inputs, into: weightGradient, targetStride: inputs)
    if let inputGradient {
        fiveVectorRowSums(terms: outputs, inputs: inputs, targets: batch, coefficients: outputGradient, coefficientStride: 1,
                          coefficientStep: outputs, rows: weight, rowStride: inputs, into: inputGradient, targetStride: inputs)
    }
}

/// dbias[o] = sum_n dout[n,o], n in order.
@inline(__always)
private func linearBiasGradient(batch: Int, outputs: Int, outputGradient: UnsafePointer<Float>, biasGradient: UnsafeMutablePointer<Float>) {
    for o in 0..<outputs {
        var sum: Float = 0
        for n in 0..<batch { sum += outputGradient[n &* outputs &+ o] }
        biasGradient[o] = sum
    }
}

/// `linearBackward` for rows of any width: 64 columns at a time, two rows at a time, then the
/// remainder (`remainderRowSums`).
func linearBackwardByBlocks(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                            weight: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                            weightGradient: UnsafeMutablePointer<Float>,
                            biasGradient: UnsafeMutablePointer<Float>,
                            inputGradient: UnsafeMutablePointer<Float>?) {
    linearBiasGradient(batch: batch, outputs: outputs, outputGradient: outputGradient, biasGradient: biasGradient)
    // The columns below the last multiple of 64 by the inlined row sums, two rows at a time; the
    // rest (F6's 56 of 120) out of line, four rows at a time (`remainderRowSums`).
    let blockWidth = inputs & ~63
    var o = 0
    while blockWidth > 0 && o < outputs {
        let two = o &+ 1 < outputs
        weightedRowSums(terms: batch, width: blockWidth, two: two, first: { outputGradient[$0 &* outputs &+ o] },
                        second: { outputGradient[$0 &* outputs &+ o &+ 1] }, rows: input, rowStride: inputs,
                        into: weightGradient + o &* inputs, and: weightGradient + (o &+ 1) &* inputs)
        o &+= 2
    }
    if blockWidth < inputs {
        remainderRowSums(terms: batch, coefficients: outputGradient, coefficientStride: outputs, targets: outputs, coefficientStep: 1,
                         rows: input, rowStride: inputs, columns: blockWidth..<inputs, into: weightGradient, targetStride: inputs)
    }
    if let inputGradient {
        var n = 0
        while blockWidth > 0 && n < batch {
            let two = n &+ 1 < batch
            let gradientRow = outputGradient + n &* outputs, nextRow = gradientRow + outputs
            weightedRowSums(terms: outputs, width: blockWidth, two: two, first: { gradientRow[$0] }, second: { nextRow[$0] },
                            rows: weight, rowStride: inputs, into: inputGradient + n &* inputs, and: inputGradient + (n &+ 1) &* inputs)
            n &+= 2
        }
        if blockWidth < inputs {
            remainderRowSums(terms: outputs, coefficients: outputGradient, coefficientStride: 1, targets: batch, coefficientStep: outputs,
                             rows: weight, rowStride: inputs, columns: blockWidth..<inputs, into: inputGradient, targetStride: inputs)
        }
    }
}

/// For k in 0..<targets: target[k * targetStride + i] = sum_t coefficients[t * coefficientStride +
/// k * coefficientStep] * rows[t * rowStride + i] for rows of 80 or 84 columns, exactly as
/// `weightedRowSums` and `remainderRowSums` add them (the same bits): a chain of multiply-adds over
/// t = 0, 1, ... for each of the first 80 columns, a product then a sum for the last four. Four
/// targets at a time (then two, then one), each row's five vectors and four columns loaded once for
/// all of them: twenty-four chains in flight. For F7 the 64-column blocks and the remainder had left 20
/// of the 84 columns to short loops whose chains waited on each other (F7's backward pass alone,
/// 16 images, the best of 40 runs: 47-50 -> 35.5 ns an image).
@inline(never)
func fiveVectorRowSums(terms: Int, inputs: Int, targets: Int, coefficients: UnsafePointer<Float>, coefficientStride: Int,
                       coefficientStep: Int, rows: UnsafePointer<Float>, rowStride: Int, into target: UnsafeMutablePointer<Float>,
                       targetStride: Int) {
    var k = 0
    while k < targets {
        let count = targets &- k >= 4 ? 4 : targets &- k >= 2 ? 2 : 1
        let c = coefficients + k &* coefficientStep, t = target + k &* targetStride
        switch (count, inputs) {
        case (4, 84): fiveVectorBlock(4, true, terms, c, coefficientStride, coefficientStep, rows, rowStride, t, targetStride)
        case (2, 84): fiveVectorBlock(2, true, terms, c, coefficientStride, coefficientStep, rows, rowStride, t, targetStride)
        case (_, 84): fiveVectorBlock(1, true, terms, c, coefficientStride, coefficientStep, rows, rowStride, t, targetStride)
        case (4, _): fiveVectorBlock(4, false, terms, c, coefficientStride, coefficientStep, rows, rowStride, t, targetStride)
        case (2, _): fiveVectorBlock(2, false, terms, c, coefficientStride, coefficientStep, rows, rowStride, t, targetStride)
        default: fiveVectorBlock(1, false, terms, c, coefficientStride, coefficientStep, rows, rowStride, t, targetStride)
        }
        k &+= count
    }
}

/// `count` (4, 2 or 1) targets of `fiveVectorRowSums`, with the four-column tail when `tail`; both literal at the call.
@inline(__always)
private func fiveVectorBlock(_ count: Int, _ tail: Bool, _ terms: Int, _ coefficients: UnsafePointer<Float>, _ coefficientStride: Int,
                             _ coefficientStep: Int, _ rows: UnsafePointer<Float>, _ rowStride: Int, _ target: UnsafeMutablePointer<Float>,
                             _ targetStride: Int) {
    var a0 = Vector16(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0
    var c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0, d4 = a0
    var tailA = SIMD4<Float>(), tailB = tailA, tailC = tailA, tailD = tailA
    var row = rows, coefficient = coefficients
    for _ in 0..<terms {
        let r0 = load16(row), r1 = load16(row + 16), r2 = load16(row + 32), r3 = load16(row + 48), r4 = load16(row + 64)
        let r5 = tail ? UnsafeRawPointer(row + 80).loadUnaligned(as: SIMD4<Float>.self) : SIMD4()
        @inline(__always) func add(_ value: Float, _ s0: inout Vector16, _ s1: inout Vector16, _ s2: inout Vector16, _ s3: inout Vector16,
                                   _ s4: inout Vector16, _ last: inout SIMD4<Float>) {
            let v = Vector16(repeating: value)
            s0 = multiplyAdd(s0, v, r0); s1 = multiplyAdd(s1, v, r1); s2 = multiplyAdd(s2, v, r2); s3 = multiplyAdd(s3, v, r3)
            s4 = multiplyAdd(s4, v, r4)
            if tail { last = last + SIMD4(repeating: value) * r5 }
        }
        add(coefficient[0], &a0, &a1, &a2, &a3, &a4, &tailA)
        if count > 1 { add(coefficient[coefficientStep], &b0, &b1, &b2, &b3, &b4, &tailB) }
        if count > 2 {
            add(coefficient[2 &* coefficientStep], &c0, &c1, &c2, &c3, &c4, &tailC)
            add(coefficient[3 &* coefficientStep], &d0, &d1, &d2, &d3, &d4, &tailD)
        }
        row += rowStride; coefficient += coefficientStride
    }
    @inline(__always) func store(_ k: Int, _ s0: Vector16, _ s1: Vector16, _ s2: Vector16, _ s3: Vector16, _ s4: Vector16, _ last: SIMD4<Float>) {
        let to = target + k &* targetStride
        store16(s0, to); store16(s1, to + 16); store16(s2, to + 32); store16(s3, to + 48); store16(s4, to + 64)
        if tail { UnsafeMutableRawPointer(to + 80).storeBytes(of: last, as: SIMD4<Float>.self) }
    }
    store(0, a0, a1, a2, a3, a4, tailA)
    if count > 1 { store(1, b0, b1, b2, b3, b4, tailB) }
    if count > 2 { store(2, c0, c1, c2, c3, c4, tailC); store(3, d0, d1, d2, d3, d4, tailD) }
}

/// For k in 0..<targets: target[k * targetStride + i] = sum_t coefficients[t * coefficientStride +
/// k * coefficientStep] * rows[t * rowStride + i], i in `columns` (fewer than 64, from a multiple of
/// 16): each element one chain over t = 0, 1, ..., of multiply-adds for the columns below the last
/// multiple of 16, of a product then a sum past it (`tailRowSums`), exactly as `weightedRowSums`
/// adds them. The vectors of 16 for four targets at once (up to twelve chains in flight). Kept out
/// of line: inlined into `linearBackward`, such code made its main loops slower (measured).
@inline(never)
func remainderRowSums(terms: Int, coefficients: UnsafePointer<Float>, coefficientStride: Int, targets: Int, coefficientStep: Int,
                      rows: UnsafePointer<Float>, rowStride: Int, columns: Range<Int>, into target: UnsafeMutablePointer<Float>,
                      targetStride: Int) {
    let sixteens = columns.count >> 4, vectorEnd = columns.lowerBound &+ sixteens &* 16
    var k = 0
    while k < targets {
        let count = targets &- k >= 4 ? 4 : 1
        switch (count, sixteens) {
        case (_, 0): break
        case (4, 1): sixteenSums(4, 1, terms, coefficients + k &* coefficientStep, coefficientStride, coefficientStep, rows, rowStride, columns.lowerBound, target + k &* targetStride, targetStride)
        case (4, 2): sixteenSums(4, 2, terms, coefficients + k &* coefficientStep, coefficientStride, coefficientStep, rows, rowStride, columns.lowerBound, target + k &* targetStride, targetStride)
        case (4, _): sixteenSums(4, 3, terms, coefficients + k &* coefficientStep, coefficientStride, coefficientStep, rows, rowStride, columns.lowerBound, target + k &* targetStride, targetStride)
        case (_, 1): sixteenSums(1, 1, terms, coefficients + k &* coefficientStep, coefficientStride, coefficientStep, rows, rowStride, columns.lowerBound, target + k &* targetStride, targetStride)
        case (_, 2): sixteenSums(1, 2, terms, coefficients + k &* coefficientStep, coefficientStride, coefficientStep, rows, rowStride, columns.lowerBound, target + k &* targetStride, targetStride)
        default: sixteenSums(1, 3, terms, coefficients + k &* coefficientStep, coefficientStride, coefficientStep, rows, rowStride, columns.lowerBound, target + k &* targetStride, targetStride)
        }
        k &+= count
    }
    if vectorEnd < columns.upperBound {
        for k in 0..<targets {
            tailRowSums(terms: terms, coefficients: coefficients + k &* coefficientStep, coefficientStride: coefficientStride, rows: rows,
                        rowStride: rowStride, columns: vectorEnd..<columns.upperBound, into: target + k &* targetStride)
        }
    }
}

/// `count` (4 or 1) targets by `vectors` (1 to 3) vectors of 16 columns from `first`, literal at the call.
@inline(__always)
private func sixteenSums(_ count: Int, _ vectors: Int, _ terms: Int, _ coefficients: UnsafePointer<Float>, _ coefficientStride: Int,
                         _ coefficientStep: Int, _ rows: UnsafePointer<Float>, _ rowStride: Int, _ first: Int,
                         _ target: UnsafeMutablePointer<Float>, _ targetStride: Int) {
    var a0 = Vector16(), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0, c0 = a0, c1 = a0, c2 = a0, d0 = a0, d1 = a0, d2 = a0
    for t in 0..<terms {
        let row = rows + (t &* rowStride &+ first), coefficient = coefficients + t &* coefficientStride
        let r0 = load16(row), r1 = vectors > 1 ? load16(row + 16) : r0, r2 = vectors > 2 ? load16(row + 32) : r0
        let ca = Vector16(repeating: coefficient[0])
        a0 = multiplyAdd(a0, ca, r0)
        if vectors > 1 { a1 = multiplyAdd(a1, ca, r1) }
        if vectors > 2 { a2 = multiplyAdd(a2, ca, r2) }
        if count > 1 {
            let cb = Vector16(repeating: coefficient[coefficientStep]), cc = Vector16(repeating: coefficient[2 &* coefficientStep])
            let cd = Vector16(repeating: coefficient[3 &* coefficientStep])
            b0 = multiplyAdd(b0, cb, r0); c0 = multiplyAdd(c0, cc, r0); d0 = multiplyAdd(d0, cd, r0)
            if vectors > 1 { b1 = multiplyAdd(b1, cb, r1); c1 = multiplyAdd(c1, cc, r1); d1 = multiplyAdd(d1, cd, r1) }
            if vectors > 2 { b2 = multiplyAdd(b2, cb, r2); c2 = multiplyAdd(c2, cc, r2); d2 = multiplyAdd(d2, cd, r2) }
        }
    }
    @inline(__always) func store(_ k: Int, _ v0: Vector16, _ v1: Vector16, _ v2: Vector16) {
        let row = target + (k &* targetStride &+ first)
        store16(v0, row)
        if vectors > 1 { store16(v1, row + 16) }
        if vectors > 2 { store16(v2, row + 32) }
    }
    store(0, a0, a1, a2)
    if count > 1 { store(1, b0, b1, b2); store(2, c0, c1, c2); store(3, d0, d1, d2) }
}

/// target[i] = sum_t coefficients[t * coefficientStride] * rows[t * rowStride + i] for i in `columns`
/// (fewer than 16), each a chain over t = 0, 1, ... of a product, then a sum (not fused): the same
/// bits as one by one, eight and four columns at a time. The last columns of `remainderRowSums`.
@inline(never)
func tailRowSums(terms: Int, coefficients: UnsafePointer<Float>, coefficientStride: Int, rows: UnsafePointer<Float>, rowStride: Int,
                 columns: Range<Int>, into target: UnsafeMutablePointer<Float>) {
    var i = columns.lowerBound
    if i &+ 8 <= columns.upperBound {
        var a = Vector8()
        for t in 0..<terms {
            a = a + Vector8(repeating: coefficients[t &* coefficientStride]) * load8(rows + (t &* rowStride &+ i))
        }
        store8(a, target + i)
        i &+= 8
    }
    if i &+ 4 <= columns.upperBound {
        var a = SIMD4<Float>()
        for t in 0..<terms {
            a = a + SIMD4(repeating: coefficients[t &* coefficientStride])
                * UnsafeRawPointer(rows + (t &* rowStride &+ i)).loadUnaligned(as: SIMD4<Float>.self)
        }
        UnsafeMutableRawPointer(target + i).storeBytes(of: a, as: SIMD4<Float>.self)
        i &+= 4
    }
    while i < columns.upperBound {
        var a: Float = 0
        for t in 0..<terms { a += coefficients[t &* coefficientStride] * rows[t &* rowStride &+ i] }
        target[i] = a
        i &+= 1
    }
}

/// target[0..<width] = sum_t first(t) * rows[t * rowStride ..< + width], and when `two` the same with
/// `second` into `and` (each row loaded once for both), accumulated in registers in the order
/// t = 0, 1, ...; `second` and `and` are not touched when `two` is false.
@inline(__always)
func weightedRowSums(terms: Int, width: Int, two: Bool, first: (Int) -> Float, second: (Int) -> Float, rows: UnsafePointer<Float>,
                     rowStride: Int, into target: UnsafeMutablePointer<Float>, and other: UnsafeMutablePointer<Float>) {
    var i = 0
    while i &+ 64 <= width {
        var a0 = Vector16(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0
        for t in 0..<terms {
            let row = rows + (t &* rowStride &+ i)
            let r0 = load16(row), r1 = load16(row + 16), r2 = load16(row + 32), r3 = load16(row + 48)
            let c = Vector16(repeating: first(t))
            a0 = multiplyAdd(a0, c, r0); a1 = multiplyAdd(a1, c, r1); a2 = multiplyAdd(a2, c, r2); a3 = multiplyAdd(a3, c, r3)
            if two {
                let d = Vector16(repeating: second(t))
                b0 = multiplyAdd(b0, d, r0); b1 = multiplyAdd(b1, d, r1); b2 = multiplyAdd(b2, d, r2); b3 = multiplyAdd(b3, d, r3)
            }
        }
        store16(a0, target + i); store16(a1, target + (i &+ 16)); store16(a2, target + (i &+ 32)); store16(a3, target + (i &+ 48))
        if two { store16(b0, other + i); store16(b1, other + (i &+ 16)); store16(b2, other + (i &+ 32)); store16(b3, other + (i &+ 48)) }
        i &+= 64
    }
    while i &+ 16 <= width {
        var a = Vector16(), b = Vector16()
        for t in 0..<terms {
            let r = load16(rows + (t &* rowStride &+ i))
            a = multiplyAdd(a, Vector16(repeating: first(t)), r)
            if two { b = multiplyAdd(b, Vector16(repeating: second(t)), r) }
        }
        store16(a, target + i)
        if two { store16(b, other + i) }
        i &+= 16
    }
    while i < width {
        var a: Float = 0, b: Float = 0
        for t in 0..<terms {
            let r = rows[t &* rowStride &+ i]
            a += first(t) * r
            if two { b += second(t) * r }
        }
        target[i] = a
        if two { other[i] = b }
        i &+= 1
    }
}

/// One pattern's backward pass fused with the update of stochastic diagonal Levenberg-Marquardt,
/// bit for bit `linearBackward` (batch 1) followed by w -= eps * dE/dw, without writing dE/dw:
///   dinput[i] = sum_o dout[o] * weight[o,i]         (with the weights before the update; o in order)
///   weight[o,i] -= weightSteps[o,i] * (dout[o] * input[i]),   bias[o] -= biasSteps[o] * dout[o]
/// One pass over the weights, reading and writing each row once.
public func linearBackwardStep(inputs: Int, outputs: Int, input: UnsafePointer<Float>, weight: UnsafeMutablePointer<Float>,
                               bias: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
                               weightSteps: UnsafePointer<Float>, biasSteps: UnsafePointer<Float>,
                               inputGradient: UnsafeMutablePointer<Float>?) {
    if let inputGradient { zero(inputGradient, inputs) }
    // The columns `linearBackward` takes as vectors (multiply-adds) and one by one (a product, then a sum).
    let vectorEnd = inputs & ~15
    for o in 0..<outputs {
        let g = outputGradient[o], row = weight + o &* inputs, steps = weightSteps + o &* inputs
        let gradient = Vector8(repeating: g)
        var i = 0
        while i < vectorEnd {
            let w = load8(row + i)
            if let inputGradient { store8(multiplyAdd(load8(inputGradient + i), gradient, w), inputGradient + i) }
            store8(w - load8(steps + i) * (gradient * load8(input + i)), row + i)
            i &+= 8
        }
        while i < inputs {
            if let inputGradient { inputGradient[i] += g * row[i] }
            row[i] -= steps[i] * (g * input[i])
            i &+= 1
        }
        bias[o] -= biasSteps[o] * g
    }
}
