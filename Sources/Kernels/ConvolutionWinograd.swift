/// C3's convolution (6@12x12 -> 16@8x8, 5x5) by Winograd's minimal filtering F(4x4, 5x5): each
/// output plane is four 4x4 tiles, each computed from an 8x8 tile of the input (stride 4) as
///   Y = A^T [ sum_c (G w_c G^T) . (B^T d_c B) ] A        (. is the elementwise product)
/// with 64 multiplications per tile and input channel where the direct sum needs 400. The matrices
/// come from the points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity: A^T and G by the Cook-Toom
/// construction, B^T solved from sum_j AT[i,j] G[j,k] BT[j,l] = [l == i + k] (its entries are
/// multiples of 1/4, so exact in Float). The transforms' coefficients are written out
/// (`winogradInputTransform`, `winogradOutputTransform`).
///
/// The sums run in another order than the direct kernels' (the last bits differ; the largest
/// difference from `convolutionForwardNaive` on C3's shapes is a few millionths of the outputs'
/// scale, see the tests). Each image is computed alone, vectorised within the image, so an image's
/// outputs are the same bits in any batch and on any thread. No transposes: a transform's pass along
/// a tile's rows is a sum of broadcast elements times columns of the matrix (dense, zeros included),
/// its pass along the columns combines whole rows (`winogradInputTransform`,
/// `winogradOutputTransform`). The 64 points xi = 8a + b of a transformed tile are in row-major order.

extension ConvolutionShape {
    /// The shapes `convolutionForwardWinograd` takes: 5x5 kernels, an 8x8 output (a 12x12 input, two
    /// by two tiles) and six input channels (the write-up's C3).
    public var hasWinograd: Bool { hasPlanes8x8 && inputChannels == 6 }

    /// Floats of scratch `convolutionForwardWinograd` needs: the transformed weights U [O][C][64],
    /// one image's transformed input V [C][4 tiles][64], the products M [O][4 tiles][64] and four
    /// rows of a tile's output transform.
    var winogradScratchCount: Int { (outputChannels &* inputChannels &+ inputChannels &* 4 &+ outputChannels &* 4) &* 64 &+ 32 }
}

/// G (8x5), row by row: U = G w G^T.
private let winogradG: [Float] = [
    -1, 0, 0, 0, 0,
    -2.0 / 9, -2.0 / 9, -2.0 / 9, -2.0 / 9, -2.0 / 9,
    -2.0 / 9, 2.0 / 9, -2.0 / 9, 2.0 / 9, -2.0 / 9,
    1.0 / 90, 2.0 / 90, 4.0 / 90, 8.0 / 90, 16.0 / 90,
    1.0 / 90, -2.0 / 90, 4.0 / 90, -8.0 / 90, 16.0 / 90,
    32.0 / 45, 16.0 / 45, 8.0 / 45, 4.0 / 45, 2.0 / 45,
    32.0 / 45, -16.0 / 45, 8.0 / 45, -4.0 / 45, 2.0 / 45,
    0, 0, 0, 0, 1,
]

/// c + a b, fused where the build has fused multiply-adds (as `multiplyAdd`). Concrete types, not
/// generic code: a generic SIMD function runs the protocol's lane-by-lane operators.
@inline(__always)
func fusedMultiplyAdd(_ c: Vector8, _ a: Vector8, _ b: Vector8) -> Vector8 {
    #if FUSED_MULTIPLY_ADD || arch(arm64)
    return c.addingProduct(a, b)
    #else
    return c + a * b
    #endif
}

/// The 8x8 B^T (row by row); `winogradInputTransform` has its coefficients written out.
private let winogradBT: [Float] = [
    -1, 0, 5.25, 0, -5.25, 0, 1, 0,
    0, 1, 1, -4.25, -4.25, 1, 1, 0,
    0, -1, 1, 4.25, -4.25, -1, 1, 0,
    0, 0.5, 0.25, -2.5, -1.25, 2, 1, 0,
    0, -0.5, 0.25, 2.5, -1.25, -2, 1, 0,
    0, 2, 4, -2.5, -5, 0.5, 1, 0,
    0, -2, 4, 2.5, -5, -0.5, 1, 0,
    0, -1, 0, 5.25, 0, -5.25, 0, 1,
]

/// The 4x8 A^T (row by row); `winogradOutputTransform` has its coefficients written out.
private let winogradAT: [Float] = [
    1, 1, 1, 1, 1, 1, 1, 0,
    0, 1, -1, 2, -2, 0.5, -0.5, 0,
    0, 1, 1, 4, 4, 0.25, 0.25, 0,
    0, 1, -1, 8, -8, 0.125, -0.125, 1,
]

@inline(__always)
func fusedMultiplyAdd(_ c: SIMD4<Float>, _ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
    #if FUSED_MULTIPLY_ADD || arch(arm64)
    return c.addingProduct(a, b)
    #else
    return c + a * b
    #endif
}

/// U = G w G^T for every (output channel o, input channel c), into u[(o C + c) 64 + 8 a + b] =
/// U[a][b]: for each kernel, rows s_i = sum_j w[i][j] (G^T row j) (lanes b), then U's rows
/// U_a = sum_i G[a][i] s_i, each sum a product then multiply-adds in order.
public func winogradTransformWeights(_ s: ConvolutionShape, weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
    winogradG.withUnsafeBufferPointer { g in
        // G^T's rows, lanes b: G[b][j].
        let gt0 = Vector8((0..<8).map { g[$0 &* 5] }), gt1 = Vector8((0..<8).map { g[$0 &* 5 &+ 1] })
        let gt2 = Vector8((0..<8).map { g[$0 &* 5 &+ 2] }), gt3 = Vector8((0..<8).map { g[$0 &* 5 &+ 3] })
        let gt4 = Vector8((0..<8).map { g[$0 &* 5 &+ 4] })
        for k in 0..<(s.outputChannels &* s.inputChannels) {
            let w = weight + k &* 25, target = u + k &* 64
            @inline(__always) func row(_ i: Int) -> Vector8 {
                let r = w + i &* 5
                var sum = Vector8(repeating: r[0]) * gt0
                sum = fusedMultiplyAdd(sum, Vector8(repeating: r[1]), gt1)
                sum = fusedMultiplyAdd(sum, Vector8(repeating: r[2]), gt2)
                sum = fusedMultiplyAdd(sum, Vector8(repeating: r[3]), gt3)
                return fusedMultiplyAdd(sum, Vector8(repeating: r[4]), gt4)
            }
            let s0 = row(0), s1 = row(1), s2 = row(2), s3 = row(3), s4 = row(4)
            for a in 0..<8 {
                var sum = Vector8(repeating: g[a &* 5]) * s0
                sum = fusedMultiplyAdd(sum, Vector8(repeating: g[a &* 5 &+ 1]), s1)
                sum = fusedMultiplyAdd(sum, Vector8(repeating: g[a &* 5 &+ 2]), s2)
                sum = fusedMultiplyAdd(sum, Vector8(repeating: g[a &* 5 &+ 3]), s3)
                store8(fusedMultiplyAdd(sum, Vector8(repeating: g[a &* 5 &+ 4]), s4), target + a &* 8)
            }
        }
    }
}

/// As `convolutionForwardNaive` (then ReLU when `applyReLU`), for shapes where `s.hasWinograd`, by
/// Winograd's F(4x4, 5x5) (see above). The weights are transformed once a call into the scratch
/// (`s.scratchCount(batch:)` floats). Each image:
///   1. V = B^T d B for each input channel and tile;
///   2. M[o][tile] = sum_c U[o][c] . V[c][tile], 16 points at a time with the 24 vectors of V held;
///   3. Y = A^T M A + bias, ReLU.
public func convolutionForwardWinograd(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                       output: UnsafeMutablePointer<Float>, applyReLU: Bool,
                                       scratch: UnsafeMutablePointer<Float>) {
    precondition(s.hasWinograd)
    let channels = s.outputChannels
    let u = scratch, v = u + channels &* 6 &* 64, m = v + 6 &* 4 &* 64, rows = m + channels &* 4 &* 64
    winogradTransformWeights(s, weight: weight, into: u)
    // B's rows (B^T's columns, lanes b) and A's rows (A^T's columns, lanes j).
    let bt = winogradBT, at = winogradAT
    let bt0 = Vector8((0..<8).map { bt[$0 &* 8] }), bt1 = Vector8((0..<8).map { bt[$0 &* 8 &+ 1] })
    let bt2 = Vector8((0..<8).map { bt[$0 &* 8 &+ 2] }), bt3 = Vector8((0..<8).map { bt[$0 &* 8 &+ 3] })
    let bt4 = Vector8((0..<8).map { bt[$0 &* 8 &+ 4] }), bt5 = Vector8((0..<8).map { bt[$0 &* 8 &+ 5] })
    let bt6 = Vector8((0..<8).map { bt[$0 &* 8 &+ 6] }), bt7 = Vector8((0..<8).map { bt[$0 &* 8 &+ 7] })
    let at0 = SIMD4((0..<4).map { at[$0 &* 8] }), at1 = SIMD4((0..<4).map { at[$0 &* 8 &+ 1] })
    let at2 = SIMD4((0..<4).map { at[$0 &* 8 &+ 2] }), at3 = SIMD4((0..<4).map { at[$0 &* 8 &+ 3] })
    let at4 = SIMD4((0..<4).map { at[$0 &* 8 &+ 4] }), at5 = SIMD4((0..<4).map { at[$0 &* 8 &+ 5] })
    let at6 = SIMD4((0..<4).map { at[$0 &* 8 &+ 6] }), at7 = SIMD4((0..<4).map { at[$0 &* 8 &+ 7] })
    for n in 0..<batch {
        let image = input + n &* s.inputCount, out = output + n &* s.outputCount
        // 1. V[c][tile][8a + b] = (B^T d B)[a][b], d the tile's 8x8 input: rows s_u = d[u] B
        //    (lanes b), then V's rows by `winogradInputTransform` of s_0 ..< s_8.
        for c in 0..<6 {
            for tile in 0..<4 {
                let d = image + (c &* 144 &+ (tile >> 1) &* 48 &+ (tile & 1) &* 4)
                @inline(__always) func row(_ u: Int) -> Vector8 {
                    let r = d + u &* 12
                    var sum = Vector8(repeating: r[0]) * bt0
                    sum = fusedMultiplyAdd(sum, Vector8(repeating: r[1]), bt1)
                    sum = fusedMultiplyAdd(sum, Vector8(repeating: r[2]), bt2)
                    sum = fusedMultiplyAdd(sum, Vector8(repeating: r[3]), bt3)
                    sum = fusedMultiplyAdd(sum, Vector8(repeating: r[4]), bt4)
                    sum = fusedMultiplyAdd(sum, Vector8(repeating: r[5]), bt5)
                    sum = fusedMultiplyAdd(sum, Vector8(repeating: r[6]), bt6)
                    return fusedMultiplyAdd(sum, Vector8(repeating: r[7]), bt7)
                }
                let r = winogradInputTransform(row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
                let target = v + (c &* 4 &+ tile) &* 64
                store8(r.0, target); store8(r.1, target + 8); store8(r.2, target + 16); store8(r.3, target + 24)
                store8(r.4, target + 32); store8(r.5, target + 40); store8(r.6, target + 48); store8(r.7, target + 56)
            }
        }
        // 2. M[o][tile][xi] = sum_c U[o][c][xi] V[c][tile][xi], for 16 points xi at a time.
        for q in 0..<4 {
            let vq = v + q &* 16
            @inline(__always) func vv(_ c: Int, _ tile: Int) -> Vector16 { load16(vq + (c &* 4 &+ tile) &* 64) }
            let v00 = vv(0, 0), v01 = vv(0, 1), v02 = vv(0, 2), v03 = vv(0, 3), v10 = vv(1, 0), v11 = vv(1, 1), v12 = vv(1, 2), v13 = vv(1, 3)
            let v20 = vv(2, 0), v21 = vv(2, 1), v22 = vv(2, 2), v23 = vv(2, 3), v30 = vv(3, 0), v31 = vv(3, 1), v32 = vv(3, 2), v33 = vv(3, 3)
            let v40 = vv(4, 0), v41 = vv(4, 1), v42 = vv(4, 2), v43 = vv(4, 3), v50 = vv(5, 0), v51 = vv(5, 1), v52 = vv(5, 2), v53 = vv(5, 3)
            for o in 0..<channels {
                let uo = u + (o &* 6 &* 64 &+ q &* 16)
                var w = load16(uo)
                var s0 = w * v00, s1 = w * v01, s2 = w * v02, s3 = w * v03
                w = load16(uo + 64)
                s0 = multiplyAdd(s0, w, v10); s1 = multiplyAdd(s1, w, v11); s2 = multiplyAdd(s2, w, v12); s3 = multiplyAdd(s3, w, v13)
                w = load16(uo + 128)
                s0 = multiplyAdd(s0, w, v20); s1 = multiplyAdd(s1, w, v21); s2 = multiplyAdd(s2, w, v22); s3 = multiplyAdd(s3, w, v23)
                w = load16(uo + 192)
                s0 = multiplyAdd(s0, w, v30); s1 = multiplyAdd(s1, w, v31); s2 = multiplyAdd(s2, w, v32); s3 = multiplyAdd(s3, w, v33)
                w = load16(uo + 256)
                s0 = multiplyAdd(s0, w, v40); s1 = multiplyAdd(s1, w, v41); s2 = multiplyAdd(s2, w, v42); s3 = multiplyAdd(s3, w, v43)
                w = load16(uo + 320)
                s0 = multiplyAdd(s0, w, v50); s1 = multiplyAdd(s1, w, v51); s2 = multiplyAdd(s2, w, v52); s3 = multiplyAdd(s3, w, v53)
                let target = m + (o &* 256 &+ q &* 16)
                store16(s0, target); store16(s1, target + 64); store16(s2, target + 128); store16(s3, target + 192)
            }
        }
        // 3. Y = A^T M A + bias: rows r_i = (A^T M)[i] (lanes b) by `winogradOutputTransform`, kept
        //    in the scratch, then Y's rows y_i = sum_b r_i[b] (A^T's column b) (lanes j).
        for o in 0..<channels {
            let biasVector = SIMD4<Float>(repeating: bias[o])
            for tile in 0..<4 {
                let mt = m + (o &* 4 &+ tile) &* 64
                let r = winogradOutputTransform(load8(mt), load8(mt + 8), load8(mt + 16), load8(mt + 24), load8(mt + 32), load8(mt + 40),
                                                load8(mt + 48), load8(mt + 56))
                store8(r.0, rows); store8(r.1, rows + 8); store8(r.2, rows + 16); store8(r.3, rows + 24)
                let target = out + (o &* 64 &+ (tile >> 1) &* 32 &+ (tile & 1) &* 4)
                for i in 0..<4 {
                    let ri = rows + i &* 8
                    var y = SIMD4(repeating: ri[0]) * at0
                    y = fusedMultiplyAdd(y, SIMD4(repeating: ri[1]), at1)
                    y = fusedMultiplyAdd(y, SIMD4(repeating: ri[2]), at2)
                    y = fusedMultiplyAdd(y, SIMD4(repeating: ri[3]), at3)
                    y = fusedMultiplyAdd(y, SIMD4(repeating: ri[4]), at4)
                    y = fusedMultiplyAdd(y, SIMD4(repeating: ri[5]), at5)
                    y = fusedMultiplyAdd(y, SIMD4(repeating: ri[6]), at6)
                    y = fusedMultiplyAdd(y, SIMD4(repeating: ri[7]), at7) + biasVector
                    if applyReLU { y.replace(with: 0, where: y .< 0) }
                    UnsafeMutableRawPointer(target + i &* 8).storeBytes(of: y, as: SIMD4<Float>.self)
                }
            }
        }
    }
}

/// B^T d for eight vectors d0..d7 (B^T's coefficients written out).
@inline(__always)
func winogradInputTransform(_ d0: Vector8, _ d1: Vector8, _ d2: Vector8, _ d3: Vector8, _ d4: Vector8, _ d5: Vector8, _ d6: Vector8,
                            _ d7: Vector8) -> (Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8) {
    typealias V = Vector8
    let r0 = fusedMultiplyAdd(d6 - d0, V(repeating: 5.25), d2 - d4)
    let r7 = fusedMultiplyAdd(d7 - d1, V(repeating: 5.25), d3 - d5)
    let p1 = fusedMultiplyAdd(d1 + d5, V(repeating: -4.25), d3), q1 = fusedMultiplyAdd(d2 + d6, V(repeating: -4.25), d4)
    let p3 = fusedMultiplyAdd(fusedMultiplyAdd(d1 * V(repeating: 0.5), V(repeating: -2.5), d3), V(repeating: 2), d5)
    let q3 = fusedMultiplyAdd(d2 * V(repeating: 0.25), V(repeating: -1.25), d4) + d6
    let p5 = fusedMultiplyAdd(fusedMultiplyAdd(d1 * V(repeating: 2), V(repeating: -2.5), d3), V(repeating: 0.5), d5)
    let q5 = fusedMultiplyAdd(d2 * V(repeating: 4), V(repeating: -5), d4) + d6
    return (r0, q1 + p1, q1 - p1, q3 + p3, q3 - p3, q5 + p5, q5 - p5, r7)
}

/// A^T m for eight vectors m0..m7 (A^T's coefficients written out).
@inline(__always)
func winogradOutputTransform(_ m0: Vector8, _ m1: Vector8, _ m2: Vector8, _ m3: Vector8, _ m4: Vector8, _ m5: Vector8, _ m6: Vector8,
                             _ m7: Vector8) -> (Vector8, Vector8, Vector8, Vector8) {
    typealias V = Vector8
    let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4, e = m5 + m6, f = m5 - m6
    let y0 = m0 + a + c + e
    let y1 = fusedMultiplyAdd(fusedMultiplyAdd(b, V(repeating: 2), d), V(repeating: 0.5), f)
    let y2 = fusedMultiplyAdd(fusedMultiplyAdd(a, V(repeating: 4), c), V(repeating: 0.25), e)
    let y3 = fusedMultiplyAdd(fusedMultiplyAdd(b, V(repeating: 8), d), V(repeating: 0.125), f) + m7
    return (y0, y1, y2, y3)
}
