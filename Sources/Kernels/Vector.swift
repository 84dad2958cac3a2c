/// SIMD building blocks shared by the fast kernels. Every reduction adds in a fixed order (eight
/// lanes, then the lanes pairwise, then the tail), so results are identical from run to run.
///
/// `a * b + c` is written out rather than `addingProduct`: without a CPU target flag the latter
/// compiles to calls of `fmaf`.
public typealias Vector8 = SIMD8<Float>

/// Eight floats from `pointer`, which need not be aligned.
@inlinable @inline(__always)
public func load8(_ pointer: UnsafePointer<Float>) -> Vector8 {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector8.self)
}

/// Stores eight floats at `pointer`, which need not be aligned.
@inlinable @inline(__always)
public func store8(_ value: Vector8, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector8.self)
}

/// Sixteen lanes: one AVX-512 register, or two AVX2 registers (then each operation is two).
public typealias Vector16 = SIMD16<Float>

/// Sixteen floats from `pointer`, which need not be aligned.
@inlinable @inline(__always)
public func load16(_ pointer: UnsafePointer<Float>) -> Vector16 {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector16.self)
}

/// Stores sixteen floats at `pointer`, which need not be aligned.
@inlinable @inline(__always)
public func store16(_ value: Vector16, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector16.self)
}

/// accumulator + a b, fused where the build has fused multiply-adds. For concrete vector types, not
/// in generic code: a function generic over SIMD runs the protocol's lane-by-lane operators.
@inline(__always)
func multiplyAdd(_ accumulator: Vector8, _ a: Vector8, _ b: Vector8) -> Vector8 {
    #if FUSED_MULTIPLY_ADD || arch(arm64)
    return accumulator.addingProduct(a, b)
    #else
    return accumulator + a * b
    #endif
}

@inline(__always)
func multiplyAdd(_ accumulator: Vector16, _ a: Vector16, _ b: Vector16) -> Vector16 {
    #if FUSED_MULTIPLY_ADD || arch(arm64)
    return accumulator.addingProduct(a, b)
    #else
    return accumulator + a * b
    #endif
}

/// The sum of the lanes as a tree, halves added to halves (a fixed order, so the same on every run;
/// `sum()` adds the lanes one after another, a chain of fifteen dependent additions).
@inline(__always)
public func horizontalSum(_ v: Vector16) -> Float { horizontalSum(v.lowHalf + v.highHalf) }

/// The sum of the eight lanes as a tree: (0+4 + 2+6) + (1+5 + 3+7).
@inline(__always)
public func horizontalSum(_ v: Vector8) -> Float {
    let four = v.lowHalf + v.highHalf
    let two = four.lowHalf + four.highHalf
    return two[0] + two[1]
}

/// y[i] += a * x[i] for i in 0..<count.
@inline(__always)
public func multiplyAdd(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ a: Float, _ count: Int) {
    let scale = Vector8(repeating: a)
    var i = 0
    while i &+ 8 <= count {
        store8(load8(y + i) + scale * load8(x + i), y + i)
        i &+= 8
    }
    while i < count {
        y[i] += a * x[i]
        i &+= 1
    }
}

/// The dot product of x and y over `count` elements.
@inline(__always)
public func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) -> Float {
    var sum0 = Vector8(), sum1 = Vector8()
    var i = 0
    while i &+ 16 <= count {
        sum0 += load8(x + i) * load8(y + i)
        sum1 += load8(x + (i &+ 8)) * load8(y + (i &+ 8))
        i &+= 16
    }
    if i &+ 8 <= count {
        sum0 += load8(x + i) * load8(y + i)
        i &+= 8
    }
    var total = horizontalSum(sum0 + sum1)
    while i < count {
        total += x[i] * y[i]
        i &+= 1
    }
    return total
}

/// Sets `count` floats to zero.
@inline(__always)
public func zero(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
    pointer.update(repeating: 0, count: count)
}

/// e^x, lane by lane: x = n ln 2 + r with |r| <= ln2/2, e^r by its degree-6 Taylor polynomial,
/// scaled by 2^n through the exponent bits. Relative error about 2e-7 over [-87, 88]; inputs are
/// clamped to that range. For 8 lanes and 16, written out for each (the generic form does not
/// compile to vector code), with the same arithmetic in every lane.
@inlinable @inline(__always)
public func exponential(_ x: Vector8) -> Vector8 {
    // (Compared and replaced: `clamped` compiles to calls of a generic function.)
    let low = x.replacing(with: -87, where: x .< -87)
    return unclampedExponential(low.replacing(with: 88, where: low .> 88))
}

/// p * r + c: a fused multiply-add where the build has them.
@inlinable @inline(__always)
func polynomialStep(_ p: Vector8, _ r: Vector8, _ c: Float) -> Vector8 {
    #if FUSED_MULTIPLY_ADD || arch(arm64)
    return Vector8(repeating: c).addingProduct(p, r)
    #else
    return p * r + c
    #endif
}

/// tanh(x), lane by lane, as sign(x) (1 - e) / (1 + e) with e = e^(-2|x|), |x| clamped to 10
/// (where tanh is 1 in single precision): absolute error below 2e-7. One division (a vector
/// division is cheaper than the polynomial around it; a Newton-step reciprocal measured slower).
@inlinable @inline(__always)
public func hyperbolicTangent(_ x: Vector8) -> Vector8 {
    let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
    let magnitudeOfX = unsafeBitCast(bits & 0x7FFF_FFFF, to: Vector8.self)
    let absolute = magnitudeOfX.replacing(with: 10, where: magnitudeOfX .> 10)
    let e = unclampedExponential(-2 * absolute)
    let magnitude = (1 - e) / (1 + e)
    return unsafeBitCast(unsafeBitCast(magnitude, to: SIMD8<UInt32>.self) | (bits & 0x8000_0000), to: Vector8.self)
}

/// e^x for x in [-87, 88], as `exponential` without its clamping (for callers whose range is known).
@inlinable @inline(__always)
func unclampedExponential(_ x: Vector8) -> Vector8 {
    // Round to the nearest integer, and read it as one, by adding 1.5 * 2^23: the float's low bits
    // then hold n (generic SIMD conversions are not vectorised).
    let magic = Vector8(repeating: 12_582_912)
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    let r = (x - n * 0.693_359_375) - n * -2.121_944_4e-4
    var p = Vector8(repeating: 1.0 / 720)
    p = polynomialStep(p, r, 1.0 / 120)
    p = polynomialStep(p, r, 1.0 / 24)
    p = polynomialStep(p, r, 1.0 / 6)
    p = polynomialStep(p, r, 0.5)
    p = polynomialStep(p, r, 1)
    p = polynomialStep(p, r, 1)
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let exponent = (integer &+ 127) &<< 23
    return p * unsafeBitCast(exponent, to: Vector8.self)
}

/// e^x lane by lane, x clamped to [-87, 88] so that the result stays a finite, normal float.
@inlinable @inline(__always)
public func exponential(_ x: Vector16) -> Vector16 {
    // (Compared and replaced: `clamped` compiles to calls of a generic function.)
    let low = x.replacing(with: -87, where: x .< -87)
    return unclampedExponential(low.replacing(with: 88, where: low .> 88))
}

/// p * r + c: a fused multiply-add where the build has them.
@inlinable @inline(__always)
func polynomialStep(_ p: Vector16, _ r: Vector16, _ c: Float) -> Vector16 {
    #if FUSED_MULTIPLY_ADD || arch(arm64)
    return Vector16(repeating: c).addingProduct(p, r)
    #else
    return p * r + c
    #endif
}

/// tanh(x), lane by lane, as sign(x) (1 - e) / (1 + e) with e = e^(-2|x|), |x| clamped to 10
/// (where tanh is 1 in single precision): absolute error below 2e-7. One division (a vector
/// division is cheaper than the polynomial around it; a Newton-step reciprocal measured slower).
@inlinable @inline(__always)
public func hyperbolicTangent(_ x: Vector16) -> Vector16 {
    let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
    let magnitudeOfX = unsafeBitCast(bits & 0x7FFF_FFFF, to: Vector16.self)
    let absolute = magnitudeOfX.replacing(with: 10, where: magnitudeOfX .> 10)
    let e = unclampedExponential(-2 * absolute)
    let magnitude = (1 - e) / (1 + e)
    return unsafeBitCast(unsafeBitCast(magnitude, to: SIMD16<UInt32>.self) | (bits & 0x8000_0000), to: Vector16.self)
}

/// e^x for x in [-87, 88], as `exponential` without its clamping (for callers whose range is known).
@inlinable @inline(__always)
func unclampedExponential(_ x: Vector16) -> Vector16 {
    // Round to the nearest integer, and read it as one, by adding 1.5 * 2^23: the float's low bits
    // then hold n (generic SIMD conversions are not vectorised).
    let magic = Vector16(repeating: 12_582_912)
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    let r = (x - n * 0.693_359_375) - n * -2.121_944_4e-4
    var p = Vector16(repeating: 1.0 / 720)
    p = polynomialStep(p, r, 1.0 / 120)
    p = polynomialStep(p, r, 1.0 / 24)
    p = polynomialStep(p, r, 1.0 / 6)
    p = polynomialStep(p, r, 0.5)
    p = polynomialStep(p, r, 1)
    p = polynomialStep(p, r, 1)
    let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
    let exponent = (integer &+ 127) &<< 23
    return p * unsafeBitCast(exponent, to: Vector16.self)
}


/// `count` floats (at least one) at an address that is a multiple of 64 bytes: a cache line, and one
/// AVX-512 vector. The kernels load vectors wherever they fall, but a vector that straddles two lines
/// costs two loads; buffers carved from this at multiples of 16 floats keep every such load whole.
/// Free with `deallocate()`.
public func allocateAlignedFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
    let count = max(count, 1)
    return UnsafeMutableRawPointer.allocate(byteCount: count &* MemoryLayout<Float>.stride, alignment: 64)
        .bindMemory(to: Float.self, capacity: count)
}

/// Runs `body` on a copy of `values` at a 64-byte-aligned address (`allocateAlignedFloats`), then
/// copies it back: parameters that a loop updates in place, aligned for the kernels (an array's
/// elements start 32 bytes into its storage, wherever the allocator put that).
public func withAlignedCopy<R>(of values: inout [Float], _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
    let buffer = UnsafeMutableBufferPointer(start: allocateAlignedFloats(values.count), count: values.count)
    _ = buffer.initialize(fromContentsOf: values)
    defer {
        values.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: buffer) }
        buffer.baseAddress?.deallocate()
    }
    return try body(buffer)
}

/// Runs `body` on a copy of `values` at a 64-byte-aligned address: parameters that do not change.
public func withAlignedCopy<R>(of values: [Float], _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    let buffer = UnsafeMutableBufferPointer(start: allocateAlignedFloats(values.count), count: values.count)
    _ = buffer.initialize(fromContentsOf: values)
    defer { buffer.baseAddress?.deallocate() }
    return try body(UnsafeBufferPointer(buffer))
}
