import Foundation

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
    /// by two tiles), six input channels and sixteen output channels (the write-up's C3).
    public var hasWinograd: Bool { kernelSize == 5 && outputWidth == 8 && outputHeight == 8 && inputChannels == 6 && outputChannels == 16 }

    /// Floats of scratch `convolutionForwardWinograd` needs: the transformed weights U [64][C][O],
    /// one image's transformed input V [C][4 tiles][64], the output transform's first pass for two
    /// tiles [2][4][8][O] and the outputs by tile [4 tiles][16][O].
    var winogradScratchCount: Int {
        let forward = (64 &* inputChannels &+ 2 &* 32 &+ 4 &* 16) &* outputChannels &+ inputChannels &* 4 &* 64
        // The backward pass's: both layouts of U when uncached, dU [O][C][64], dM [O][4][64], V and dV [C][4][64].
        let backward = 3 &* 64 &* inputChannels &* outputChannels &+ (outputChannels &+ 2 &* inputChannels) &* 4 &* 64
        return max(forward, backward)
    }

    /// Floats of the cache `convolutionForwardWinograd` and `convolutionBackwardWinograd` may
    /// keep between calls (a `DerivedCache`): its header, a copy of the weights last transformed,
    /// and their transform U in the forward pass's layout and in the input gradient's.
    public var winogradCacheCount: Int {
        hasWinograd ? DerivedCache.headerCount &+ weightCount &+ 2 &* 64 &* inputChannels &* outputChannels : 0
    }
}

/// The bits of a cache's first float once it holds a transform.
private let winogradCacheMark: UInt32 = 0x5749_4e4f

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

/// U = G w G^T for every (output channel o, input channel c), into u[((8 a + b) C + c) 16 + o] =
/// U[a][b] (the 16 output channels side by side, as `convolutionForwardWinograd` reads them): for
/// each input channel, the 16 kernels in the lanes; t = G w, then U = t G^T, each sum a product then
/// multiply-adds in order.
public func winogradTransformWeights(_ s: ConvolutionShape, weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
    precondition(s.hasWinograd)
    let channels = s.inputChannels
    winogradG.withUnsafeBufferPointer { gBuffer in
        let g = gBuffer.baseAddress!
        withUnsafeTemporaryAllocation(of: Vector16.self, capacity: 25 &+ 40) { buffer in
            let w = buffer.baseAddress!, t = w + 25
            for c in 0..<channels {
                for k in 0..<25 {
                    var lanes = Vector16()
                    for o in 0..<16 { lanes[o] = weight[(o &* channels &+ c) &* 25 &+ k] }
                    w[k] = lanes
                }
                for a in 0..<8 {
                    let ga = g + a &* 5
                    for j in 0..<5 {
                        var sum = Vector16(repeating: ga[0]) * w[j]
                        for i in 1..<5 { sum = multiplyAdd(sum, Vector16(repeating: ga[i]), w[i &* 5 &+ j]) }
                        t[a &* 5 &+ j] = sum
                    }
                }
                for a in 0..<8 {
                    let ta = t + a &* 5
                    for b in 0..<8 {
                        let gb = g + b &* 5
                        var sum = ta[0] * Vector16(repeating: gb[0])
                        for j in 1..<5 { sum = multiplyAdd(sum, ta[j], Vector16(repeating: gb[j])) }
                        store16(sum, u + ((a &* 8 &+ b) &* channels &+ c) &* 16)
                    }
                }
            }
        }
    }
}

/// U in the forward pass's layout ([64][C][16], `winogradTransformWeights`) or, for `backward`, in
/// the input gradient's ([C][16][64]): from the cache when it holds them for these weights (the same
/// nonzero `version`, or compared bit for bit with its copy: `DerivedCache`), else made (into the
/// cache when there is one, else into `scratch`, which then holds both layouts: 2 x 64 C 16 floats).
private func winogradWeights(_ s: ConvolutionShape, weight: UnsafePointer<Float>, cache: UnsafeMutablePointer<Float>?, version: UInt64,
                             scratch: UnsafeMutablePointer<Float>, backward: Bool) -> UnsafeMutablePointer<Float> {
    let count = 64 &* s.inputChannels &* 16
    func permute(_ u: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
        // [xi][c][o] -> [c][o][xi]
        for c in 0..<s.inputChannels {
            for o in 0..<16 {
                let row = target + (c &* 16 &+ o) &* 64, source = u + (c &* 16 &+ o)
                for xi in 0..<64 { row[xi] = source[xi &* s.inputChannels &* 16] }
            }
        }
    }
    guard let cache else {
        winogradTransformWeights(s, weight: weight, into: scratch)
        if backward { permute(scratch, into: scratch + count) }
        return backward ? scratch + count : scratch
    }
    // cache[0] and cache[1]'s bits say whether the forward and the backward layouts are made from
    // the weights' copy.
    let forward = cache + (DerivedCache.headerCount &+ s.weightCount), transposed = forward + count
    if !DerivedCache.isCurrent(cache, mark: winogradCacheMark, parameters: weight, count: s.weightCount, version: version) {
        winogradTransformWeights(s, weight: weight, into: forward)
        DerivedCache.record(cache, mark: winogradCacheMark, parameters: weight, count: s.weightCount, version: version)
        cache[1] = 0
    }
    guard backward else { return forward }
    if cache[1].bitPattern != winogradCacheMark {
        permute(forward, into: transposed)
        cache[1] = Float(bitPattern: winogradCacheMark)
    }
    return transposed
}

/// As `convolutionForwardNaive` (then ReLU when `applyReLU`), for shapes where `s.hasWinograd`, by
/// Winograd's F(4x4, 5x5) (see above), with `s.scratchCount(batch:)` floats of scratch. The weights'
/// transform (about 2.4 us) is made once a call, or, given a `cache` (`s.winogradCacheCount` floats,
/// kept by the caller between calls, any content at first), only when the weights differ from the
/// ones it was made from (compared bit for bit), so a model that does not change pays it once.
/// Each image:
///   1. V = B^T d B for each input channel and tile (lanes: the tile's columns);
///   2. for two tiles at a time and each column b of the 8x8 points, M[a][b] = sum_c U[a][b][c] V[c][a][b]
///      for the eight a, then the first pass of A^T M A down the column (lanes: the 16 output channels);
///   3. the second pass along the rows, bias, ReLU, and the outputs from channels side by side to planes.
public func convolutionForwardWinograd(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>,
                                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                       output: UnsafeMutablePointer<Float>, applyReLU: Bool,
                                       scratch: UnsafeMutablePointer<Float>, cache: UnsafeMutablePointer<Float>? = nil,
                                       version: UInt64 = 0) {
    precondition(s.hasWinograd)
    let v = scratch + 64 &* 6 &* 16, columns = v + 6 &* 4 &* 64, tiles = columns + 2 &* 32 &* 16
    let u = winogradWeights(s, weight: weight, cache: cache, version: version, scratch: scratch, backward: false)
    let matrices = WinogradMatrices.standard
    let biasVector = load16(bias)
    for n in 0..<batch {
        let image = input + n &* s.inputCount, out = output + n &* s.outputCount
        // 1. V = B^T d B for each input channel and tile.
        matrices.transformInput(image, into: v)
        for pair in 0..<2 {
            // 2. Tiles 2 pair and 2 pair + 1 (one row of tiles), column b: M[a][b] for the eight a
            //    (a product, then multiply-adds over c), then columns[tile][i][b] = sum_a AT[i][a] M[a][b].
            for b in 0..<8 {
                var m00 = Vector16(), m01 = m00, m02 = m00, m03 = m00, m04 = m00, m05 = m00, m06 = m00, m07 = m00
                var m10 = m00, m11 = m00, m12 = m00, m13 = m00, m14 = m00, m15 = m00, m16 = m00, m17 = m00
                for c in 0..<6 {
                    let uc = u + (b &* 6 &+ c) &* 16, v0 = v + ((c &* 4 &+ 2 &* pair) &* 64 &+ b), v1 = v0 + 64
                    @inline(__always) func step(_ a: Int, _ left: inout Vector16, _ right: inout Vector16) {
                        let weights = load16(uc + a &* 8 &* 6 &* 16)
                        let x0 = Vector16(repeating: v0[a &* 8]), x1 = Vector16(repeating: v1[a &* 8])
                        if c == 0 {
                            left = weights * x0; right = weights * x1
                        } else {
                            left = multiplyAdd(left, weights, x0); right = multiplyAdd(right, weights, x1)
                        }
                    }
                    step(0, &m00, &m10); step(1, &m01, &m11); step(2, &m02, &m12); step(3, &m03, &m13)
                    step(4, &m04, &m14); step(5, &m05, &m15); step(6, &m06, &m16); step(7, &m07, &m17)
                }
                let left = winogradOutputTransform(m00, m01, m02, m03, m04, m05, m06, m07)
                let right = winogradOutputTransform(m10, m11, m12, m13, m14, m15, m16, m17)
                let target = columns + b &* 16
                store16(left.0, target); store16(left.1, target + 128); store16(left.2, target + 256); store16(left.3, target + 384)
                store16(right.0, target + 512); store16(right.1, target + 640); store16(right.2, target + 768); store16(right.3, target + 896)
            }
            // 3. Y[i][j] = sum_b columns[tile][i][b] AT[j][b], + bias, ReLU, into tiles[tile][4 i + j].
            for side in 0..<2 {
                for i in 0..<4 {
                    let row = columns + (side &* 4 &+ i) &* 128
                    let y = winogradOutputTransform(load16(row), load16(row + 16), load16(row + 32), load16(row + 48), load16(row + 64),
                                                    load16(row + 80), load16(row + 96), load16(row + 112))
                    let target = tiles + ((2 &* pair &+ side) &* 16 &+ 4 &* i) &* 16
                    @inline(__always) func put(_ j: Int, _ value: Vector16) {
                        var x = value + biasVector
                        if applyReLU { x.replace(with: 0, where: x .< 0) }
                        store16(x, target + j &* 16)
                    }
                    put(0, y.0); put(1, y.1); put(2, y.2); put(3, y.3)
                }
            }
        }
        // The outputs, channel by channel: out[o][y][x] = tiles[2 (y / 4) + x / 4][4 (y % 4) + x % 4][o].
        for o in 0..<16 {
            let plane = out + o &* 64, source = tiles + o
            for y in 0..<8 {
                let rowSource = source + ((y >> 2) &* 32 &+ (y & 3) &* 4) &* 16
                for x in 0..<8 { plane[y &* 8 &+ x] = rowSource[((x >> 2) &* 16 &+ (x & 3)) &* 16] }
            }
        }
    }
}

/// The matrices' rows and columns as vectors, made once (`standard`).
struct WinogradMatrices: Sendable {
    static let standard = WinogradMatrices()

    /// B^T's columns (lanes: B^T's rows b) and rows (lanes: its columns v).
    let btColumns: (Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8)
    let btRows: (Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8)
    /// A^T's rows (lanes b), G's rows (lanes j, the last three 0).
    let atRows: (Vector8, Vector8, Vector8, Vector8)
    let gRows: (Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8)

    private init() {
        let bt = winogradBT, g = winogradG
        func column(_ v: Int) -> Vector8 { Vector8((0..<8).map { bt[$0 &* 8 &+ v] }) }
        func row(_ b: Int) -> Vector8 { Vector8((0..<8).map { bt[b &* 8 &+ $0] }) }
        func gRow(_ b: Int) -> Vector8 { Vector8((0..<8).map { $0 < 5 ? g[b &* 5 &+ $0] : 0 }) }
        btColumns = (column(0), column(1), column(2), column(3), column(4), column(5), column(6), column(7))
        btRows = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
        atRows = (Vector8(1, 1, 1, 1, 1, 1, 1, 0), Vector8(0, 1, -1, 2, -2, 0.5, -0.5, 0), Vector8(0, 1, 1, 4, 4, 0.25, 0.25, 0),
                  Vector8(0, 1, -1, 8, -8, 0.125, -0.125, 1))
        gRows = (gRow(0), gRow(1), gRow(2), gRow(3), gRow(4), gRow(5), gRow(6), gRow(7))
    }

    /// sum_k x[k] rows.k for eight x (a product, then multiply-adds in order).
    @inline(__always)
    func combine(_ x: UnsafePointer<Float>, _ rows: (Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8)) -> Vector8 {
        var sum = Vector8(repeating: x[0]) * rows.0
        sum = multiplyAdd(sum, Vector8(repeating: x[1]), rows.1)
        sum = multiplyAdd(sum, Vector8(repeating: x[2]), rows.2)
        sum = multiplyAdd(sum, Vector8(repeating: x[3]), rows.3)
        sum = multiplyAdd(sum, Vector8(repeating: x[4]), rows.4)
        sum = multiplyAdd(sum, Vector8(repeating: x[5]), rows.5)
        sum = multiplyAdd(sum, Vector8(repeating: x[6]), rows.6)
        return multiplyAdd(sum, Vector8(repeating: x[7]), rows.7)
    }

    /// V[c][tile][8a + b] = (B^T d B)[a][b] for C3's six 12x12 input planes, d a tile's 8x8 input:
    /// rows s_u = d[u] B (lanes b), then V's rows by `winogradInputTransform` of s_0 ..< s_8.
    @inline(__always)
    func transformInput(_ image: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>) {
        for c in 0..<6 {
            for tile in 0..<4 {
                let d = image + (c &* 144 &+ (tile >> 1) &* 48 &+ (tile & 1) &* 4)
                @inline(__always) func row(_ u: Int) -> Vector8 { combine(d + u &* 12, btColumns) }
                let r = winogradInputTransform(row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
                let target = v + (c &* 4 &+ tile) &* 64
                store8(r.0, target); store8(r.1, target + 8); store8(r.2, target + 16); store8(r.3, target + 24)
                store8(r.4, target + 32); store8(r.5, target + 40); store8(r.6, target + 48); store8(r.7, target + 56)
            }
        }
    }
}

/// As `convolutionBackwardNaive`, for shapes where `s.hasWinograd` (the gradients overwritten): the
/// adjoint of the forward pass's Winograd computation, the same linear maps transposed (exactly,
/// but for rounding). Per image, from dY (dE/da of C3's outputs):
///   dM[o][tile] = A dY[o][tile] A^T;
///   dE/dx: dV[c][tile] = sum_o U[o][c] . dM[o][tile], then the tiles' B dV[c][tile] B^T added where
///     they sit (8x8 at stride 4, overlapping);
///   dE/dw: dU[o][c] += sum_tile dM[o][tile] . V[c][tile], V = B^T d B the input's transform;
/// and over the batch, dw[o][c] = G^T dU[o][c] G, the bias's the sums of the dY planes. The passes
/// along a tile's rows as broadcast elements times a matrix's rows or columns (lanes: the tile's
/// columns), the others combining whole rows, the products with 16 points in the lanes.
/// `scratch`, `cache`: as `convolutionForwardWinograd`'s.
public func convolutionBackwardWinograd(_ s: ConvolutionShape, batch: Int, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                        outputGradient: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>,
                                        biasGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                                        scratch: UnsafeMutablePointer<Float>, cache: UnsafeMutablePointer<Float>? = nil,
                                        version: UInt64 = 0) {
    precondition(s.hasWinograd)
    outputGradientPlaneSums(s, batch: batch, outputGradient: outputGradient, into: biasGradient)
    let u: UnsafeMutablePointer<Float>? = inputGradient == nil ? nil
        : winogradWeights(s, weight: weight, cache: cache, version: version, scratch: scratch, backward: true)
    // After U (when it is in the scratch): dU [16][6][64], dM [16][4 tiles][64], V and dV [6][4 tiles][64].
    let dU = cache == nil && u != nil ? scratch + 2 &* 64 &* 6 &* 16 : scratch
    let dM = dU + 16 &* 6 &* 64, v = dM + 16 &* 4 &* 64, dV = v + 6 &* 4 &* 64
    let matrices = WinogradMatrices.standard, at = matrices.atRows
    for n in 0..<batch {
        let gradient = outputGradient + n &* s.outputCount
        // dM[o][tile][8a + b]: rows r_i = sum_j dY[i][j] (A^T row j) (lanes b), then
        // dM_a = sum_i AT[i][a] r_i (`winogradOutputTransformAdjoint`).
        for o in 0..<16 {
            for tile in 0..<4 {
                let dy = gradient + (o &* 64 &+ (tile >> 1) &* 32 &+ (tile & 1) &* 4)
                @inline(__always) func row(_ i: Int) -> Vector8 {
                    let r = dy + i &* 8
                    var sum = Vector8(repeating: r[0]) * at.0
                    sum = multiplyAdd(sum, Vector8(repeating: r[1]), at.1)
                    sum = multiplyAdd(sum, Vector8(repeating: r[2]), at.2)
                    return multiplyAdd(sum, Vector8(repeating: r[3]), at.3)
                }
                let m = winogradOutputTransformAdjoint(row(0), row(1), row(2), row(3))
                let target = dM + (o &* 4 &+ tile) &* 64
                store8(m.0, target); store8(m.1, target + 8); store8(m.2, target + 16); store8(m.3, target + 24)
                store8(m.4, target + 32); store8(m.5, target + 40); store8(m.6, target + 48); store8(m.7, target + 56)
            }
        }
        // dU[o][c][xi] (+)= sum_tile dM[o][tile][xi] V[c][tile][xi], 16 points at a time, the 24
        // vectors of V held; images and tiles in order (the first image's first tile a product).
        matrices.transformInput(input + n &* s.inputCount, into: v)
        for q in 0..<4 {
            let vq = v + q &* 16
            @inline(__always) func vv(_ c: Int, _ tile: Int) -> Vector16 { load16(vq + (c &* 4 &+ tile) &* 64) }
            let v00 = vv(0, 0), v01 = vv(0, 1), v02 = vv(0, 2), v03 = vv(0, 3), v10 = vv(1, 0), v11 = vv(1, 1), v12 = vv(1, 2), v13 = vv(1, 3)
            let v20 = vv(2, 0), v21 = vv(2, 1), v22 = vv(2, 2), v23 = vv(2, 3), v30 = vv(3, 0), v31 = vv(3, 1), v32 = vv(3, 2), v33 = vv(3, 3)
            let v40 = vv(4, 0), v41 = vv(4, 1), v42 = vv(4, 2), v43 = vv(4, 3), v50 = vv(5, 0), v51 = vv(5, 1), v52 = vv(5, 2), v53 = vv(5, 3)
            for o in 0..<16 {
                let mo = dM + (o &* 256 &+ q &* 16)
                let d0 = load16(mo), d1 = load16(mo + 64), d2 = load16(mo + 128), d3 = load16(mo + 192)
                let uo = dU + (o &* 384 &+ q &* 16)
                @inline(__always) func add(_ c: Int, _ x0: Vector16, _ x1: Vector16, _ x2: Vector16, _ x3: Vector16) {
                    let target = uo + c &* 64
                    var sum = n == 0 ? d0 * x0 : multiplyAdd(load16(target), d0, x0)
                    sum = multiplyAdd(sum, d1, x1); sum = multiplyAdd(sum, d2, x2)
                    store16(multiplyAdd(sum, d3, x3), target)
                }
                add(0, v00, v01, v02, v03); add(1, v10, v11, v12, v13); add(2, v20, v21, v22, v23)
                add(3, v30, v31, v32, v33); add(4, v40, v41, v42, v43); add(5, v50, v51, v52, v53)
            }
        }
        guard let u, let inputGradient else { continue }
        // dV[c][tile][xi] = sum_o U[c][o][xi] dM[o][tile][xi], 16 points at a time (a product, then
        // multiply-adds over o), the 24 sums in registers.
        for q in 0..<4 {
            var s00 = Vector16(), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00
            var s20 = s00, s21 = s00, s22 = s00, s23 = s00, s30 = s00, s31 = s00, s32 = s00, s33 = s00
            var s40 = s00, s41 = s00, s42 = s00, s43 = s00, s50 = s00, s51 = s00, s52 = s00, s53 = s00
            for o in 0..<16 {
                let mo = dM + (o &* 256 &+ q &* 16)
                let d0 = load16(mo), d1 = load16(mo + 64), d2 = load16(mo + 128), d3 = load16(mo + 192)
                let uo = u + (o &* 64 &+ q &* 16)
                @inline(__always) func add(_ c: Int, _ a0: inout Vector16, _ a1: inout Vector16, _ a2: inout Vector16, _ a3: inout Vector16) {
                    let w = load16(uo + c &* 1024)
                    if o == 0 {
                        a0 = w * d0; a1 = w * d1; a2 = w * d2; a3 = w * d3
                    } else {
                        a0 = multiplyAdd(a0, w, d0); a1 = multiplyAdd(a1, w, d1); a2 = multiplyAdd(a2, w, d2); a3 = multiplyAdd(a3, w, d3)
                    }
                }
                add(0, &s00, &s01, &s02, &s03); add(1, &s10, &s11, &s12, &s13); add(2, &s20, &s21, &s22, &s23)
                add(3, &s30, &s31, &s32, &s33); add(4, &s40, &s41, &s42, &s43); add(5, &s50, &s51, &s52, &s53)
            }
            @inline(__always) func put(_ c: Int, _ a0: Vector16, _ a1: Vector16, _ a2: Vector16, _ a3: Vector16) {
                let target = dV + (c &* 256 &+ q &* 16)
                store16(a0, target); store16(a1, target + 64); store16(a2, target + 128); store16(a3, target + 192)
            }
            put(0, s00, s01, s02, s03); put(1, s10, s11, s12, s13); put(2, s20, s21, s22, s23)
            put(3, s30, s31, s32, s33); put(4, s40, s41, s42, s43); put(5, s50, s51, s52, s53)
        }
        // dx[c]: for each tile, rows r_a = sum_b dV[a][b] (B^T row b) (lanes v), then
        // dd_u = sum_a BT[a][u] r_a (`winogradInputTransformAdjoint`), added into rows 4 ty + u,
        // columns 4 tx ..< 4 tx + 8, the tiles in order.
        let dx = inputGradient + n &* s.inputCount
        zero(dx, s.inputCount)
        for c in 0..<6 {
            for tile in 0..<4 {
                let source = dV + (c &* 4 &+ tile) &* 64
                @inline(__always) func row(_ a: Int) -> Vector8 { matrices.combine(source + a &* 8, matrices.btRows) }
                let d = winogradInputTransformAdjoint(row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
                let target = dx + (c &* 144 &+ (tile >> 1) &* 48 &+ (tile & 1) &* 4)
                @inline(__always) func add(_ u: Int, _ value: Vector8) {
                    let row = target + u &* 12
                    store8(load8(row) + value, row)
                }
                add(0, d.0); add(1, d.1); add(2, d.2); add(3, d.3); add(4, d.4); add(5, d.5); add(6, d.6); add(7, d.7)
            }
        }
    }
    // dw[o][c] = G^T dU G: rows r_a = sum_b dU[a][b] (G row b) (lanes j), then dw[i] = sum_a G[a][i] r_a.
    let g = matrices.gRows
    winogradG.withUnsafeBufferPointer { gBuffer in
        let gValues = gBuffer.baseAddress!
        for k in 0..<s.outputChannels &* s.inputChannels {
            let source = dU + k &* 64
            let r0 = matrices.combine(source, g), r1 = matrices.combine(source + 8, g), r2 = matrices.combine(source + 16, g)
            let r3 = matrices.combine(source + 24, g), r4 = matrices.combine(source + 32, g), r5 = matrices.combine(source + 40, g)
            let r6 = matrices.combine(source + 48, g), r7 = matrices.combine(source + 56, g)
            let target = weightGradient + k &* 25
            for i in 0..<5 {
                @inline(__always) func c(_ a: Int) -> Vector8 { Vector8(repeating: gValues[a &* 5 &+ i]) }
                var sum = c(0) * r0
                sum = multiplyAdd(sum, c(1), r1); sum = multiplyAdd(sum, c(2), r2); sum = multiplyAdd(sum, c(3), r3)
                sum = multiplyAdd(sum, c(4), r4); sum = multiplyAdd(sum, c(5), r5); sum = multiplyAdd(sum, c(6), r6)
                sum = multiplyAdd(sum, c(7), r7)
                let row = target + i &* 5
                UnsafeMutableRawPointer(row).storeBytes(of: sum.lowHalf, as: SIMD4<Float>.self)
                row[4] = sum[4]
            }
        }
    }
}

/// The adjoint of `winogradOutputTransform`: m_a = sum_i AT[i][a] y_i for a = 0 ..< 8.
@inline(__always)
func winogradOutputTransformAdjoint(_ y0: Vector8, _ y1: Vector8, _ y2: Vector8, _ y3: Vector8)
    -> (Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8) {
    typealias V = Vector8
    let even1 = y0 + y2, odd1 = y1 + y3
    let even2 = multiplyAdd(y0, V(repeating: 4), y2), odd2 = multiplyAdd(y1 * V(repeating: 2), V(repeating: 8), y3)
    let even3 = multiplyAdd(y0, V(repeating: 0.25), y2), odd3 = multiplyAdd(y1 * V(repeating: 0.5), V(repeating: 0.125), y3)
    return (y0, even1 + odd1, even1 - odd1, even2 + odd2, even2 - odd2, even3 + odd3, even3 - odd3, y3)
}

/// The adjoint of `winogradInputTransform`: d_u = sum_a BT[a][u] r_a for u = 0 ..< 8.
@inline(__always)
func winogradInputTransformAdjoint(_ r0: Vector8, _ r1: Vector8, _ r2: Vector8, _ r3: Vector8, _ r4: Vector8, _ r5: Vector8,
                                   _ r6: Vector8, _ r7: Vector8) -> (Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8) {
    typealias V = Vector8
    let p1 = r1 + r2, m1 = r1 - r2, p3 = r3 + r4, m3 = r3 - r4, p5 = r5 + r6, m5 = r5 - r6
    let d1 = multiplyAdd(multiplyAdd(m1 - r7, V(repeating: 0.5), m3), V(repeating: 2), m5)
    let d2 = multiplyAdd(multiplyAdd(multiplyAdd(p1, V(repeating: 5.25), r0), V(repeating: 0.25), p3), V(repeating: 4), p5)
    let d3 = multiplyAdd(multiplyAdd(r7 * V(repeating: 5.25), V(repeating: -4.25), m1), V(repeating: -2.5), m3 + m5)
    let d4 = multiplyAdd(multiplyAdd(multiplyAdd(r0 * V(repeating: -5.25), V(repeating: -4.25), p1), V(repeating: -1.25), p3),
                              V(repeating: -5), p5)
    let d5 = multiplyAdd(multiplyAdd(multiplyAdd(m1, V(repeating: -5.25), r7), V(repeating: 2), m3), V(repeating: 0.5), m5)
    let d6 = r0 + p1 + p3 + p5
    return (-r0, d1, d2, d3, d4, d5, d6, r7)
}

/// B^T d for eight vectors d0..d7 (B^T's coefficients written out).
@inline(__always)
func winogradInputTransform(_ d0: Vector8, _ d1: Vector8, _ d2: Vector8, _ d3: Vector8, _ d4: Vector8, _ d5: Vector8, _ d6: Vector8,
                            _ d7: Vector8) -> (Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8, Vector8) {
    typealias V = Vector8
    let r0 = multiplyAdd(d6 - d0, V(repeating: 5.25), d2 - d4)
    let r7 = multiplyAdd(d7 - d1, V(repeating: 5.25), d3 - d5)
    let p1 = multiplyAdd(d1 + d5, V(repeating: -4.25), d3), q1 = multiplyAdd(d2 + d6, V(repeating: -4.25), d4)
    let p3 = multiplyAdd(multiplyAdd(d1 * V(repeating: 0.5), V(repeating: -2.5), d3), V(repeating: 2), d5)
    let q3 = multiplyAdd(d2 * V(repeating: 0.25), V(repeating: -1.25), d4) + d6
    let p5 = multiplyAdd(multiplyAdd(d1 * V(repeating: 2), V(repeating: -2.5), d3), V(repeating: 0.5), d5)
    let q5 = multiplyAdd(d2 * V(repeating: 4), V(repeating: -5), d4) + d6
    return (r0, q1 + p1, q1 - p1, q3 + p3, q3 - p3, q5 + p5, q5 - p5, r7)
}

/// A^T m for eight vectors m0..m7 (A^T's coefficients written out).
@inline(__always)
func winogradOutputTransform(_ m0: Vector16, _ m1: Vector16, _ m2: Vector16, _ m3: Vector16, _ m4: Vector16, _ m5: Vector16,
                             _ m6: Vector16, _ m7: Vector16) -> (Vector16, Vector16, Vector16, Vector16) {
    typealias V = Vector16
    let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4, e = m5 + m6, f = m5 - m6
    let y0 = m0 + a + c + e
    let y1 = multiplyAdd(multiplyAdd(b, V(repeating: 2), d), V(repeating: 0.5), f)
    let y2 = multiplyAdd(multiplyAdd(a, V(repeating: 4), c), V(repeating: 0.25), e)
    let y3 = multiplyAdd(multiplyAdd(b, V(repeating: 8), d), V(repeating: 0.125), f) + m7
    return (y0, y1, y2, y3)
}

/// The bias gradient of a shape with 8x8 outputs: the sum of each output-gradient plane over the batch.
@inline(__always)
func outputGradientPlaneSums(_ s: ConvolutionShape, batch: Int, outputGradient: UnsafePointer<Float>,
                             into biasGradient: UnsafeMutablePointer<Float>) {
    for o in 0..<s.outputChannels {
        var sum = Vector16()
        for n in 0..<batch {
            let plane = outputGradient + (n &* s.outputChannels &+ o) &* 64
            sum += load16(plane) + load16(plane + 16) + load16(plane + 32) + load16(plane + 48)
        }
        biasGradient[o] = horizontalSum(sum)
    }
}
