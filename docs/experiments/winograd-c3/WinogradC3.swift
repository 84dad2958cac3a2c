import Glibc

/// Prototype: C3 (6@12x12 -> 16@8x8, 5x5) forward by Winograd F(4x4, 5x5), 16 images at a time, the
/// 16 images in the vector lanes. Dense transforms (no zero skipping).
public final class WinogradC3 {
    let x: UnsafeMutablePointer<Vector16>      // [c][12][12], lanes = images
    let v: UnsafeMutablePointer<Vector16>      // [xi 64][c 6][tile 4]
    let m: UnsafeMutablePointer<Vector16>      // [o 16][tile 4][xi 64]
    public let u: UnsafeMutablePointer<Float>  // [xi 64][o 16][c 6]
    let at: UnsafeMutablePointer<Float>, bt: UnsafeMutablePointer<Float>, g: [Float]
    let t: UnsafeMutablePointer<Vector16>, lane: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Vector16>
    public var phases = [Double](repeating: 0, count: 5)
    static func clock() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }
    public init() {
        x = .allocate(capacity: 6 * 144); v = .allocate(capacity: 64 * 6 * 4); m = .allocate(capacity: 65 * 64)
        u = .allocate(capacity: 64 * 16 * 6)
        at = .allocate(capacity: 32); bt = .allocate(capacity: 64); g = winogradG
        for i in 0..<32 { at[i] = winogradAT[i] }
        for i in 0..<64 { bt[i] = winogradBT[i] }
        t = .allocate(capacity: 64); lane = .allocate(capacity: 16 * 16); y = .allocate(capacity: 16 * 64)
    }
    /// U = G w G^T for every (o, c).
    public func prepare(weight: UnsafePointer<Float>) {
        for o in 0..<16 { for c in 0..<6 {
            let w = weight + (o * 6 + c) * 25
            var t = [Float](repeating: 0, count: 40)  // G w: 8 x 5
            for a in 0..<8 { for j in 0..<5 { var s: Float = 0; for i in 0..<5 { s += g[a * 5 + i] * w[i * 5 + j] }; t[a * 5 + j] = s } }
            for a in 0..<8 { for b in 0..<8 { var s: Float = 0; for j in 0..<5 { s += t[a * 5 + j] * g[b * 5 + j] }; u[((a * 8 + b) * 16 + o) * 6 + c] = s } }
        } }
    }
    /// input [16][6][12][12] -> output [16][16][8][8] (+ bias, ReLU).
    public func forward(input: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        var mark = WinogradC3.clock()
        func lap(_ k: Int) { let now = WinogradC3.clock(); phases[k] += now - mark; mark = now }
        // 1. Images into the lanes.
        let xf = UnsafeMutableRawPointer(x).assumingMemoryBound(to: Float.self)
        for block in 0..<54 {
            for n in 0..<16 {
                UnsafeMutableRawPointer(lane + n &* 16).storeBytes(of: UnsafeRawPointer(input + (n &* 864 &+ block &* 16)).loadUnaligned(as: Vector16.self), as: Vector16.self)
            }
            for k in 0..<16 {
                var e = Vector16()
                for n in 0..<16 { e[n] = lane[n &* 16 &+ k] }
                x[block &* 16 &+ k] = e
            }
        }
        _ = xf
        lap(0)
        // 2. V = B^T d B per (c, tile).
        for c in 0..<6 { for tile in 0..<4 {
            let ty = tile >> 1, tx = tile & 1
            let base = x + (c &* 144 &+ ty &* 48 &+ tx &* 4)
            // columns: t[a][v] = sum_u BT[a][u] d[u][v]
            for vv in 0..<8 {
                let c0 = base[vv], c1 = base[12 &+ vv], c2 = base[24 &+ vv], c3 = base[36 &+ vv]
                let c4 = base[48 &+ vv], c5 = base[60 &+ vv], c6 = base[72 &+ vv], c7 = base[84 &+ vv]
                let r = inputTransform8(c0, c1, c2, c3, c4, c5, c6, c7)
                t[vv] = r.0; t[8 &+ vv] = r.1; t[16 &+ vv] = r.2; t[24 &+ vv] = r.3
                t[32 &+ vv] = r.4; t[40 &+ vv] = r.5; t[48 &+ vv] = r.6; t[56 &+ vv] = r.7
            }
            // rows: V[a][b] = sum_v t[a][v] BT[b][v]
            for a in 0..<8 {
                let row = t + a &* 8
                let r = inputTransform8(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])
                let offset: Int = ((a &* 8) &* 6 &+ c) &* 4 &+ tile
                let target = v + offset
                target[0] = r.0; target[24] = r.1; target[48] = r.2; target[72] = r.3
                target[96] = r.4; target[120] = r.5; target[144] = r.6; target[168] = r.7
            }
        } }
        lap(1)
        // 3. M[o][tile][xi] = sum_c U[xi][o][c] V[xi][c][tile].
        for xi in 0..<64 {
            let vx = v + xi &* 24, ux = u + xi &* 96
            let v00 = vx[0], v01 = vx[1], v02 = vx[2], v03 = vx[3], v10 = vx[4], v11 = vx[5], v12 = vx[6], v13 = vx[7]
            let v20 = vx[8], v21 = vx[9], v22 = vx[10], v23 = vx[11], v30 = vx[12], v31 = vx[13], v32 = vx[14], v33 = vx[15]
            let v40 = vx[16], v41 = vx[17], v42 = vx[18], v43 = vx[19], v50 = vx[20], v51 = vx[21], v52 = vx[22], v53 = vx[23]
            for o in 0..<16 {
                let uo = ux + o &* 6
                var w = Vector16(repeating: uo[0])
                var s0 = w * v00, s1 = w * v01, s2 = w * v02, s3 = w * v03
                w = Vector16(repeating: uo[1]); s0 = s0.addingProduct(w, v10); s1 = s1.addingProduct(w, v11); s2 = s2.addingProduct(w, v12); s3 = s3.addingProduct(w, v13)
                w = Vector16(repeating: uo[2]); s0 = s0.addingProduct(w, v20); s1 = s1.addingProduct(w, v21); s2 = s2.addingProduct(w, v22); s3 = s3.addingProduct(w, v23)
                w = Vector16(repeating: uo[3]); s0 = s0.addingProduct(w, v30); s1 = s1.addingProduct(w, v31); s2 = s2.addingProduct(w, v32); s3 = s3.addingProduct(w, v33)
                w = Vector16(repeating: uo[4]); s0 = s0.addingProduct(w, v40); s1 = s1.addingProduct(w, v41); s2 = s2.addingProduct(w, v42); s3 = s3.addingProduct(w, v43)
                w = Vector16(repeating: uo[5]); s0 = s0.addingProduct(w, v50); s1 = s1.addingProduct(w, v51); s2 = s2.addingProduct(w, v52); s3 = s3.addingProduct(w, v53)
                let target = m + (xi &* 65 &+ o &* 4)
                target[0] = s0; target[1] = s1; target[2] = s2; target[3] = s3
            }
        }
        lap(2)
        // 4. Y = A^T M A per (o, tile), bias, ReLU; 5. lanes back to images.
        for o in 0..<16 { for tile in 0..<4 {
            let ty = tile >> 1, tx = tile & 1
            let mm0 = m + (o &* 4 &+ tile)
            @inline(__always) func mm(_ xi: Int) -> Vector16 { mm0[xi &* 65] }
            // columns: t[i][b] = sum_a AT[i][a] M[a][b]
            for bb in 0..<8 {
                let r = outputTransform8(mm(bb), mm(8 &+ bb), mm(16 &+ bb), mm(24 &+ bb), mm(32 &+ bb), mm(40 &+ bb), mm(48 &+ bb), mm(56 &+ bb))
                t[bb] = r.0; t[8 &+ bb] = r.1; t[16 &+ bb] = r.2; t[24 &+ bb] = r.3
            }
            let biasVector = Vector16(repeating: bias[o]), zero = Vector16()
            for i in 0..<4 {
                let row = t + i &* 8
                let r = outputTransform8(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])
                let offset: Int = o &* 64 &+ (ty &* 4 &+ i) &* 8 &+ tx &* 4
                let target = y + offset
                @inline(__always) func put(_ k: Int, _ value: Vector16) {
                    let x = value + biasVector
                    target[k] = x.replacing(with: zero, where: x .< zero)
                }
                put(0, r.0); put(1, r.1); put(2, r.2); put(3, r.3)
            }
        } }
        lap(3)
        // 5. Lanes back to images, 16 positions at a time through a small buffer.
        let yf = UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self)
        for block in 0..<64 {
            let source = yf + block &* 256
            for n in 0..<16 {
                var e = Vector16()
                for k in 0..<16 { e[k] = source[k &* 16 &+ n] }
                UnsafeMutableRawPointer(output + (n &* 1024 &+ block &* 16)).storeBytes(of: e, as: Vector16.self)
            }
        }
        lap(4)
    }
}

/// B^T d for eight vectors (explicit coefficients of `winogradBT`).
@inline(__always)
func inputTransform8(_ d0: Vector16, _ d1: Vector16, _ d2: Vector16, _ d3: Vector16, _ d4: Vector16, _ d5: Vector16, _ d6: Vector16, _ d7: Vector16)
    -> (Vector16, Vector16, Vector16, Vector16, Vector16, Vector16, Vector16, Vector16) {
    let r0 = (d6 - d0).addingProduct(Vector16(repeating: 5.25), d2 - d4)
    let r7 = (d7 - d1).addingProduct(Vector16(repeating: 5.25), d3 - d5)
    let p1 = (d1 + d5).addingProduct(Vector16(repeating: -4.25), d3), q1 = (d2 + d6).addingProduct(Vector16(repeating: -4.25), d4)
    let p3 = (d1 * Vector16(repeating: 0.5)).addingProduct(Vector16(repeating: -2.5), d3).addingProduct(Vector16(repeating: 2), d5)
    let q3 = (d2 * Vector16(repeating: 0.25)).addingProduct(Vector16(repeating: -1.25), d4) + d6
    let p5 = (d1 * Vector16(repeating: 2)).addingProduct(Vector16(repeating: -2.5), d3).addingProduct(Vector16(repeating: 0.5), d5)
    let q5 = (d2 * Vector16(repeating: 4)).addingProduct(Vector16(repeating: -5), d4) + d6
    return (r0, q1 + p1, q1 - p1, q3 + p3, q3 - p3, q5 + p5, q5 - p5, r7)
}

/// A^T m for eight vectors (explicit coefficients of `winogradAT`).
@inline(__always)
func outputTransform8(_ m0: Vector16, _ m1: Vector16, _ m2: Vector16, _ m3: Vector16, _ m4: Vector16, _ m5: Vector16, _ m6: Vector16, _ m7: Vector16)
    -> (Vector16, Vector16, Vector16, Vector16) {
    let a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4, e = m5 + m6, f = m5 - m6
    let y0 = m0 + a + c + e
    let y1 = b.addingProduct(Vector16(repeating: 2), d).addingProduct(Vector16(repeating: 0.5), f)
    let y2 = a.addingProduct(Vector16(repeating: 4), c).addingProduct(Vector16(repeating: 0.25), e)
    let y3 = b.addingProduct(Vector16(repeating: 8), d).addingProduct(Vector16(repeating: 0.125), f) + m7
    return (y0, y1, y2, y3)
}

// F(4x4, 5x5) with points 0, 1, -1, 2, -2, 1/2, -1/2, infinity (solved numerically).
public let winogradAT: [Float] = [1, 1, 1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0.5, -0.5, 0, 0, 1, 1, 4, 4, 0.25, 0.25, 0, 0, 1, -1, 8, -8, 0.125, -0.125, 1]  // 4 x 8
public let winogradG: [Float] = [-1, 0, 0, 0, 0, -0.22222222222222221, -0.22222222222222221, -0.22222222222222221, -0.22222222222222221, -0.22222222222222221, -0.22222222222222221, 0.22222222222222221, -0.22222222222222221, 0.22222222222222221, -0.22222222222222221, 0.011111111111111112, 0.022222222222222223, 0.044444444444444446, 0.088888888888888892, 0.17777777777777778, 0.011111111111111112, -0.022222222222222223, 0.044444444444444446, -0.088888888888888892, 0.17777777777777778, 0.71111111111111114, 0.35555555555555557, 0.17777777777777778, 0.088888888888888892, 0.044444444444444446, 0.71111111111111114, -0.35555555555555557, 0.17777777777777778, -0.088888888888888892, 0.044444444444444446, 0, 0, 0, 0, 1]  // 8 x 5
public let winogradBT: [Float] = [-1, -0, 5.25, -0, -5.25, -0, 1, 0, -0, 1, 1, -4.25, -4.25, 1, 1, -0, 0, -1, 1, 4.25, -4.25, -1, 1, 0, -0, 0.5, 0.25, -2.5, -1.25, 2, 1, -0, -0, -0.5, 0.25, 2.5, -1.25, -2, 1, 0, 0, 2, 4, -2.5, -5, 0.5, 1, -0, -0, -2, 4, 2.5, -5, -0.5, 1, 0, -0, -1, -0, 5.25, -0, -5.25, -0, 1]  // 8 x 8
