import Foundation
import Testing
@testable import Imaging
import Support

@Suite struct AffineDistortionTests {
    static let image: [UInt8] = (0..<(28 * 28)).map { i in
        let x = i % 28, y = i / 28
        return (x > 8 && x < 20 && y > 5 && y < 22) ? UInt8(100 + (x * 7 + y * 3) % 150) : 0
    }

    func apply(_ transform: AffineDistortion.Transform) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 28 * 28)
        Self.image.withUnsafeBufferPointer { input in
            AffineDistortion.apply(transform, to: input.baseAddress!, width: 28, height: 28, output: &output)
        }
        return output
    }

    @Test func theIdentityLeavesTheImageAlone() {
        #expect(apply(.identity) == Self.image)
        #expect(apply(AffineDistortion.Transform(scale: 1, squeeze: 1, shear: 0, tx: 0, ty: 0)) == Self.image)
    }

    @Test func wholePixelTranslationsShiftTheImage() {
        let shifted = apply(AffineDistortion.Transform(scale: 1, squeeze: 1, shear: 0, tx: 2, ty: -1))
        for y in 0..<28 {
            for x in 0..<28 {
                let sourceX = x - 2, sourceY = y + 1
                let expected = (sourceX >= 0 && sourceY < 28) ? Self.image[sourceY * 28 + sourceX] : 0
                #expect(shifted[y * 28 + x] == expected)
            }
        }
    }

    @Test func scalingUpMakesTheInkCoverMore() {
        let ink = { (pixels: [UInt8]) in pixels.reduce(0) { $0 + Int($1) } }
        let larger = apply(AffineDistortion.Transform(scale: 1.1, squeeze: 1, shear: 0, tx: 0, ty: 0))
        let smaller = apply(AffineDistortion.Transform(scale: 0.9, squeeze: 1, shear: 0, tx: 0, ty: 0))
        #expect(ink(larger) > ink(Self.image) && ink(Self.image) > ink(smaller))
    }

    @Test func randomTransformsStayWithinTheChosenMagnitudesAndRepeatWithTheSeed() {
        let distortion = AffineDistortion()
        var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
        for _ in 0..<1000 {
            let t = distortion.random(using: &a)
            #expect(t == distortion.random(using: &b))
            #expect(abs(t.tx) <= 2 && abs(t.ty) <= 2)
            // The sampling map inverts x scales scale*squeeze and y scales scale/squeeze, each in [0.81, 1.21].
            #expect(t.a > 0.82 && t.a < 1.24 && t.d > 0.82 && t.d < 1.24 && t.c == 0)
        }
    }

    /// The sampling matrix is the inverse of rotation x scale-squeeze-shear: their product is the identity.
    @Test func aRotationsSamplingMatrixInvertsTheForwardMap() {
        let (scale, squeeze, shear, angle): (Float, Float, Float, Float) = (1.05, 0.95, 0.1, 0.2)
        let t = AffineDistortion.Transform(scale: scale, squeeze: squeeze, shear: shear, tx: 0, ty: 0, angle: angle)
        let sx = scale * squeeze, sy = scale / squeeze, c = cos(angle), s = sin(angle)
        // Forward = R * [[sx, sx*shear], [0, sy]].
        let f = (a: c * sx, b: c * sx * shear - s * sy, c: s * sx, d: s * sx * shear + c * sy)
        let product = (a: t.a * f.a + t.b * f.c, b: t.a * f.b + t.b * f.d, c: t.c * f.a + t.d * f.c, d: t.c * f.b + t.d * f.d)
        #expect(abs(product.a - 1) < 1e-6 && abs(product.b) < 1e-6 && abs(product.c) < 1e-6 && abs(product.d - 1) < 1e-6)
        // A quarter turn about the centre moves the top row's middle pixel to the right-hand column's middle
        // (y grows downwards, so a positive angle turns clockwise on screen).
        var image = [UInt8](repeating: 0, count: 5 * 5)
        image[0 * 5 + 2] = 255
        var turned = image
        let quarter = AffineDistortion.Transform(scale: 1, squeeze: 1, shear: 0, tx: 0, ty: 0, angle: Float.pi / 2)
        image.withUnsafeBufferPointer { source in
            turned.withUnsafeMutableBufferPointer { AffineDistortion.apply(quarter, to: source.baseAddress!, width: 5, height: 5, output: $0.baseAddress!) }
        }
        #expect(turned[2 * 5 + 4] == 255)
        #expect(turned.filter { $0 > 0 }.count == 1)
    }

    /// Rotation is drawn only when asked for, so the paper's distortions keep their random stream.
    @Test func rotationsStayWithinTheirBoundAndLeaveThePapersStreamAlone() {
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        let paper = AffineDistortion().random(using: &a)
        let withZero = AffineDistortion(translation: 2, scaling: 0.1, squeezing: 0.1, shear: 0.2, rotation: 0).random(using: &b)
        #expect(paper == withZero && a == b)
        var generator = SeededGenerator(seed: 4)
        let rotating = AffineDistortion(translation: 0, scaling: 0, squeezing: 0, shear: 0, rotation: 0.3)
        var angles: [Float] = []
        for _ in 0..<200 {
            let t = rotating.random(using: &generator)
            angles.append(atan2(-t.b, t.a))  // the inverse of a pure rotation by theta is a rotation by -theta
        }
        #expect(angles.allSatisfy { abs($0) <= 0.3 + 1e-5 })
        #expect(angles.contains { $0 > 0.2 } && angles.contains { $0 < -0.2 })
    }
}
