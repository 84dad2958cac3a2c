import Foundation
import Kernels

/// The 1998 paper's squashing function (eq. 6, Appendix A): f(a) = A tanh(S a) with A = 1.7159 and
/// S = 2/3, so that f(1) = 1 and f(-1) = -1. Its derivative from the output y = f(a):
/// f'(a) = A S (1 - tanh^2(S a)) = S (A - y^2 / A).
public enum Squashing {
    /// A, the amplitude: f(a) lies in (-A, A).
    public static let amplitude: Float = 1.7159
    /// S, the slope at the origin divided by A.
    public static let slope: Float = 2.0 / 3.0

    /// y = f(a), element by element (sixteen or eight at a time with the SIMD tanh of `Kernels`, the
    /// same arithmetic in every lane; its absolute error is below 3e-7).
    public static func forward(_ a: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            store16(amplitude * hyperbolicTangent(slope * load16(a + i)), y + i)
            i += 16
        }
        while i + 8 <= count {
            store8(amplitude * hyperbolicTangent(slope * load8(a + i)), y + i)
            i += 8
        }
        while i < count {
            y[i] = amplitude * tanhf(slope * a[i])
            i += 1
        }
    }

    /// f'(a) from y = f(a): S A - (S / A) y^2, with the constants folded (no division per unit).
    @inline(__always)
    public static func derivative(output y: Float) -> Float {
        slopeTimesAmplitude - slopeOverAmplitude * (y * y)
    }
    static let slopeTimesAmplitude: Float = slope * amplitude
    static let slopeOverAmplitude: Float = slope / amplitude

    /// dE/da = f'(a) dE/dy, in place on the gradient.
    public static func backward(output y: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { gradient[i] *= derivative(output: y[i]) }
    }

    /// d2E/da2 = f'(a)^2 d2E/dy2 (eq. 27, the f'' term dropped), in place.
    public static func secondBackward(output y: UnsafePointer<Float>, second: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let d = derivative(output: y[i])
            second[i] *= d * d
        }
    }
}
