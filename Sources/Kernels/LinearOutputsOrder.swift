import Foundation

/// A fully connected layer's forward pass with the outputs in the vector lanes, from weights
/// transposed once and kept (`linearTransposedWeights`):
///   out[n,o] = bias[o] + sum_i input[n,i] * weight[o,i],
/// each output one chain of multiply-adds over the inputs in order, the bias first. There is no
/// horizontal sum and no tail: an input is one broadcast, multiplied by a row of the transposed
/// weights (the outputs padded with zeros to a multiple of 16), for four images at a time. Each
/// image's outputs go through the same operations whether it runs in a block of four or alone, so
/// they are the same bits in any batch.
///
/// `linearForward` sums in the inputs' order within vectors of 16, then across the lanes: other bits.
/// This order suits small layers (F6, F7), whose rows of 84 or 120 inputs leave much of the time to
/// the cross-lane sums and the tails in `linearForward`; it needs the weights transposed, which a
/// layer keeps in its workspace's cache (`linearTransposedWeights`).

/// The outputs padded to a multiple of 16.
@inline(__always)
public func linearPaddedOutputs(_ outputs: Int) -> Int { (outputs &+ 15) & ~15 }

/// Floats of the transposed weights: a row of `linearPaddedOutputs(outputs)` for the bias, then one
/// for each input.
public func linearTransposedCount(inputs: Int, outputs: Int) -> Int { (inputs &+ 1) &* linearPaddedOutputs(outputs) }

/// Floats of the cache `linearTransposedWeights` keeps (a `DerivedCache`): its header, a copy of
/// the weights and biases it was made from, and the transposed weights.
public func linearTransposedCacheCount(inputs: Int, outputs: Int) -> Int {
    DerivedCache.headerCount &+ (inputs &+ 1) &* outputs &+ linearTransposedCount(inputs: inputs, outputs: outputs)
}

/// transposed[0][o] = bias[o], transposed[1 + i][o] = weight[o, i]; zero for o >= outputs.
public func linearTransposeWeights(inputs: Int, outputs: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                   into transposed: UnsafeMutablePointer<Float>) {
    let padded = linearPaddedOutputs(outputs)
    transposed.update(repeating: 0, count: linearTransposedCount(inputs: inputs, outputs: outputs))
    transposed.update(from: bias, count: outputs)
    // Four inputs of a weight row at a time, into four rows of the transposition.
    for o in 0..<outputs {
        let row = weight + o &* inputs, column = transposed + (padded &+ o)
        var i = 0
        while i &+ 4 <= inputs {
            let w = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD4<Float>.self), at = column + i &* padded
            at[0] = w[0]; at[padded] = w[1]; at[2 &* padded] = w[2]; at[3 &* padded] = w[3]
            i &+= 4
        }
        while i < inputs { column[i &* padded] = row[i]; i &+= 1 }
    }
}

/// The cache's first float's bits once it holds a transposition.
private let linearCacheMark: UInt32 = 0x4C49_4E54  // "LINT"

/// The transposed weights and biases of `parameters` (weight [O, I], then bias [O]): from `cache`
/// (`linearTransposedCacheCount` floats, a `DerivedCache`) when it holds them for these parameters
/// (the same nonzero `version`, or a bit-for-bit comparison), else made into it: a model that does
/// not change pays the transposition once. Without a cache, made into `scratch`
/// (`linearTransposedCount` floats).
public func linearTransposedWeights(inputs: Int, outputs: Int, parameters: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>?,
                                    version: UInt64 = 0, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
    let weightCount = inputs &* outputs
    guard let cache else {
        linearTransposeWeights(inputs: inputs, outputs: outputs, weight: parameters, bias: parameters + weightCount, into: scratch)
        return UnsafePointer(scratch)
    }
    let count = weightCount &+ outputs, transposed = cache + (DerivedCache.headerCount &+ count)
    if !DerivedCache.isCurrent(cache, mark: linearCacheMark, parameters: parameters, count: count, version: version) {
        linearTransposeWeights(inputs: inputs, outputs: outputs, weight: parameters, bias: parameters + weightCount, into: transposed)
        DerivedCache.record(cache, mark: linearCacheMark, parameters: parameters, count: count, version: version)
    }
    return UnsafePointer(transposed)
}

/// As `linearForwardNaive`, in the outputs' order (above), from `transposed`
/// (`linearTransposeWeights`): blocks of four images (the rest one by one) by up to four vectors of
/// 16 outputs (up to eight for one image), the sums in registers.
public func linearForwardOutputsOrder(batch: Int, inputs: Int, outputs: Int, input: UnsafePointer<Float>,
                                      transposed: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let vectors = linearPaddedOutputs(outputs) >> 4
    var n = 0
    while n < batch {
        let images = batch &- n >= 4 ? 4 : 1
        var v = 0
        while v < vectors {
            // Four images: groups of at most four vectors, as even as they come (F6's six as two of
            // three: six vectors of four images would need more than the 32 registers).
            let left = vectors &- v, groups = images == 4 ? (left &+ 3) / 4 : (left &+ 7) / 8
            let count = (left &+ groups &- 1) / groups
            let x = input + n &* inputs, w = transposed + v &* 16, y = output + n &* outputs, first = v &* 16
            switch (images, count) {
            case (4, 1): outputsOrderBlock(4, 1, inputs, outputs, x, w, y, first)
            case (4, 2): outputsOrderBlock(Block4x2.self, inputs, outputs, x, w, y, first)
            case (4, 3): outputsOrderBlock(Block4x3.self, inputs, outputs, x, w, y, first)
            case (4, _): outputsOrderBlock(Block4x4.self, inputs, outputs, x, w, y, first)
            case (_, 1): outputsOrderBlock(1, 1, inputs, outputs, x, w, y, first)
            case (_, 2): outputsOrderBlock(Block1x2.self, inputs, outputs, x, w, y, first)
            case (_, 3): outputsOrderBlock(Block1x3.self, inputs, outputs, x, w, y, first)
            case (_, 4): outputsOrderBlock(Block1x4.self, inputs, outputs, x, w, y, first)
            case (_, 5): outputsOrderBlock(Block1x5.self, inputs, outputs, x, w, y, first)
            case (_, 6): outputsOrderBlock(Block1x6.self, inputs, outputs, x, w, y, first)
            case (_, 7): outputsOrderBlock(Block1x7.self, inputs, outputs, x, w, y, first)
            default: outputsOrderBlock(Block1x8.self, inputs, outputs, x, w, y, first)
            }
            v &+= count
        }
        n &+= images
    }
}

// Each block shape in a function of its own (a specialisation of this generic one), with the block
// inlined and its shape a constant: left to itself, the compiler inlined two of the twelve cases (the
// one-vector blocks, F7's, which still call the block directly) and sent the rest to one copy that
// tested the shape inside the loop over the inputs (F6's blocks among them: 65% -> 70-74% of a core).
@inline(never)
private func outputsOrderBlock<Shape: RegisterBlock>(_ shape: Shape.Type, _ inputs: Int, _ outputs: Int, _ x: UnsafePointer<Float>,
                                                         _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ first: Int) {
    outputsOrderBlock(Shape.images, Shape.count, inputs, outputs, x, w, y, first)
}

/// `images` (4 or 1) images by `vectors` vectors of 16 outputs from `first` (both literal at the
/// call; at most four vectors for four images, eight for one): the accumulators start at the bias
/// row, then one multiply-add per input and vector.
@inline(__always)
private func outputsOrderBlock(_ images: Int, _ vectors: Int, _ inputs: Int, _ outputs: Int, _ x: UnsafePointer<Float>,
                               _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ first: Int) {
    let padded = linearPaddedOutputs(outputs)
    let b0 = load16(w), b1 = vectors > 1 ? load16(w + 16) : b0, b2 = vectors > 2 ? load16(w + 32) : b0
    let b3 = vectors > 3 ? load16(w + 48) : b0, b4 = vectors > 4 ? load16(w + 64) : b0, b5 = vectors > 5 ? load16(w + 80) : b0
    let b6 = vectors > 6 ? load16(w + 96) : b0, b7 = vectors > 7 ? load16(w + 112) : b0
    // a: image 0 (eight vectors at most); c, d, e: images 1-3 (four at most).
    var a0 = b0, a1 = b1, a2 = b2, a3 = b3, a4 = b4, a5 = b5, a6 = b6, a7 = b7
    var c0 = b0, c1 = b1, c2 = b2, c3 = b3, d0 = b0, d1 = b1, d2 = b2, d3 = b3, e0 = b0, e1 = b1, e2 = b2, e3 = b3
    let x1 = x + inputs, x2 = x1 + inputs, x3 = x2 + inputs
    var row = w + padded
    for i in 0..<inputs {
        let w0 = load16(row), w1 = vectors > 1 ? load16(row + 16) : w0, w2 = vectors > 2 ? load16(row + 32) : w0
        let w3 = vectors > 3 ? load16(row + 48) : w0, w4 = vectors > 4 ? load16(row + 64) : w0, w5 = vectors > 5 ? load16(row + 80) : w0
        let p = Vector16(repeating: x[i])
        a0 = multiplyAdd(a0, p, w0)
        if vectors > 1 { a1 = multiplyAdd(a1, p, w1) }
        if vectors > 2 { a2 = multiplyAdd(a2, p, w2) }
        if vectors > 3 { a3 = multiplyAdd(a3, p, w3) }
        if vectors > 4 { a4 = multiplyAdd(a4, p, w4) }
        if vectors > 5 { a5 = multiplyAdd(a5, p, w5) }
        if vectors > 6 { a6 = multiplyAdd(a6, p, load16(row + 96)) }
        if vectors > 7 { a7 = multiplyAdd(a7, p, load16(row + 112)) }
        if images > 1 {
            let q = Vector16(repeating: x1[i]), r = Vector16(repeating: x2[i]), s = Vector16(repeating: x3[i])
            c0 = multiplyAdd(c0, q, w0); d0 = multiplyAdd(d0, r, w0); e0 = multiplyAdd(e0, s, w0)
            if vectors > 1 { c1 = multiplyAdd(c1, q, w1); d1 = multiplyAdd(d1, r, w1); e1 = multiplyAdd(e1, s, w1) }
            if vectors > 2 { c2 = multiplyAdd(c2, q, w2); d2 = multiplyAdd(d2, r, w2); e2 = multiplyAdd(e2, s, w2) }
            if vectors > 3 { c3 = multiplyAdd(c3, q, w3); d3 = multiplyAdd(d3, r, w3); e3 = multiplyAdd(e3, s, w3) }
        }
        row += padded
    }
    // Stores within the outputs only: the padding lanes of the last vector are dropped.
    @inline(__always) func store(_ value: Vector16, _ image: Int, _ vector: Int) {
        let o = first &+ vector &* 16, target = y + (image &* outputs &+ o)
        if o &+ 16 <= outputs {
            store16(value, target)
        } else {
            var lanes = outputs &- o, half = value.lowHalf, at = target
            if lanes >= 8 { store8(half, at); half = value.highHalf; at += 8; lanes &-= 8 }
            var quarter = half.lowHalf
            if lanes >= 4 {
                UnsafeMutableRawPointer(at).storeBytes(of: quarter, as: SIMD4<Float>.self)
                quarter = half.highHalf; at += 4; lanes &-= 4
            }
            for lane in 0..<lanes { at[lane] = quarter[lane] }
        }
    }
    @inline(__always) func storeImage(_ image: Int, _ v0: Vector16, _ v1: Vector16, _ v2: Vector16, _ v3: Vector16) {
        store(v0, image, 0)
        if vectors > 1 { store(v1, image, 1) }
        if vectors > 2 { store(v2, image, 2) }
        if vectors > 3 { store(v3, image, 3) }
    }
    storeImage(0, a0, a1, a2, a3)
    if vectors > 4 { store(a4, 0, 4) }
    if vectors > 5 { store(a5, 0, 5) }
    if vectors > 6 { store(a6, 0, 6) }
    if vectors > 7 { store(a7, 0, 7) }
    if images > 1 {
        storeImage(1, c0, c1, c2, c3)
        storeImage(2, d0, d1, d2, d3)
        storeImage(3, e0, e1, e2, e3)
    }
}
