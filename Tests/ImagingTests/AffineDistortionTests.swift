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
}
