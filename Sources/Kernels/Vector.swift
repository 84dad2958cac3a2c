/// SIMD building blocks shared by the fast kernels. Every reduction adds in a fixed order (eight
/// lanes, then the lanes pairwise, then the tail), so results are identical from run to run.
///
/// `a * b + c` is written out rather than `addingProduct`: without a CPU target flag the latter
/// compiles to calls of `fmaf`.
public typealias Vector8 = SIMD8<Float>

@inline(__always)
public func load8(_ pointer: UnsafePointer<Float>) -> Vector8 {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector8.self)
}

@inline(__always)
public func store8(_ value: Vector8, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector8.self)
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
    var total = (sum0 + sum1).sum()
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
