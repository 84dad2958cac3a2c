import Foundation
import Support

/// Random planar affine distortions of a greyscale image, as the 1998 paper used to enlarge MNIST
/// (Sec. III-C: "horizontal and vertical translations, scaling, squeezing (simultaneous horizontal
/// compression and vertical elongation, or the reverse), and horizontal shearing"). The paper gives no
/// magnitudes; the defaults here are this project's choice:
///   translation up to ±2 pixels on each axis, scaling by 0.9 to 1.1, squeezing by 0.9 to 1.1 (x times s,
///   y divided by s), horizontal shear up to ±0.2 (x += 0.2 * (y - centre)).
/// Each is drawn uniformly and independently. The image is resampled bilinearly about its centre;
/// what comes from outside the image is background (0).
public struct AffineDistortion: Sendable, Equatable, Codable {
    /// Translation up to ±this many pixels on each axis.
    public var translation: Float = 2
    /// Scaling by 1 ± up to this.
    public var scaling: Float = 0.1
    /// Squeezing by 1 ± up to this (x times s, y divided by s).
    public var squeezing: Float = 0.1
    /// Horizontal shear up to ±this (x += shear (y - centre)).
    public var shear: Float = 0.2
    /// Rotation up to ±this many radians (0 in the paper's set, which has none; then none is drawn).
    public var rotation: Float = 0
    /// Mirror left to right half of the time (not for digits; then nothing is drawn).
    public var horizontalFlip = false

    /// The defaults above: translation 2, scaling 0.1, squeezing 0.1, shear 0.2, no rotation, no flip.
    public init() {}

    /// Each magnitude is the largest drawn, uniformly in ±it; 0 draws none.
    public init(translation: Float, scaling: Float, squeezing: Float, shear: Float, rotation: Float, horizontalFlip: Bool = false) {
        self.translation = translation
        self.scaling = scaling
        self.squeezing = squeezing
        self.shear = shear
        self.rotation = rotation
        self.horizontalFlip = horizontalFlip
    }

    /// A map from output to input coordinates about the image centre: input = matrix * (output - c) + c - t.
    public struct Transform: Sendable, Equatable {
        /// The matrix [[a, b], [c, d]] from output to input coordinates about the centre.
        public var a, b, c, d: Float   // [[a, b], [c, d]]
        /// The translation t, subtracted from the input coordinates.
        public var tx, ty: Float

        /// The transform that leaves the image as it is.
        public static let identity = Transform(a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0)

        /// The forward transform (scale, squeeze, shear, rotate, translate) and the inverse used to sample.
        public init(scale: Float, squeeze: Float, shear: Float, tx: Float, ty: Float, angle: Float = 0) {
            // Forward: p' = R * S * p + t with S = [[scale*squeeze, scale*squeeze*shear], [0, scale/squeeze]]
            // and R the rotation by `angle` (the identity when it is 0).
            let sx = scale * squeeze, sy = scale / squeeze
            let cosine = angle == 0 ? 1 : Float(cos(Double(angle))), sine = angle == 0 ? 0 : Float(sin(Double(angle)))
            let forward = angle == 0 ? (a: sx, b: sx * shear, c: Float(0), d: sy)
                : (a: cosine * sx, b: cosine * sx * shear - sine * sy, c: sine * sx, d: sine * sx * shear + cosine * sy)
            let determinant = forward.a * forward.d - forward.b * forward.c
            self.init(a: forward.d / determinant, b: -forward.b / determinant, c: -forward.c / determinant,
                      d: forward.a / determinant, tx: tx, ty: ty)
        }

        /// A transform from its matrix [[a, b], [c, d]] (output to input) and translation.
        public init(a: Float, b: Float, c: Float, d: Float, tx: Float, ty: Float) {
            self.a = a; self.b = b; self.c = c; self.d = d; self.tx = tx; self.ty = ty
        }
    }

    /// A transform drawn from `generator` (five draws, one more for the angle when `rotation` is not 0
    /// and one for the mirror with `horizontalFlip`).
    public func random(using generator: inout SeededGenerator) -> Transform {
        let scale = 1 + generator.nextFloat(symmetricBound: scaling)
        let squeeze = 1 + generator.nextFloat(symmetricBound: squeezing)
        let shear = generator.nextFloat(symmetricBound: shear)
        let tx = generator.nextFloat(symmetricBound: translation), ty = generator.nextFloat(symmetricBound: translation)
        let angle = rotation == 0 ? 0 : generator.nextFloat(symmetricBound: rotation)
        var transform = Transform(scale: scale, squeeze: squeeze, shear: shear, tx: tx, ty: ty, angle: angle)
        if horizontalFlip && generator.next() >> 63 == 1 {
            // Sampling x from the mirrored position: the matrix's first column negated.
            transform.a = -transform.a
            transform.c = -transform.c
        }
        return transform
    }

    /// Resamples a width x height greyscale image through `transform` into `output` (same size).
    public static func apply(_ transform: Transform, to input: UnsafePointer<UInt8>, width: Int, height: Int,
                             output: UnsafeMutablePointer<UInt8>) {
        let cx = Float(width - 1) / 2, cy = Float(height - 1) / 2
        @inline(__always) func pixel(_ x: Int, _ y: Int) -> Float {
            (x >= 0 && y >= 0 && x < width && y < height) ? Float(input[y &* width &+ x]) : 0
        }
        for y in 0..<height {
            let oy = Float(y) - cy - transform.ty
            let bOy = transform.b * oy, dOy = transform.d * oy
            for x in 0..<width {
                let ox = Float(x) - cx - transform.tx
                let sx = transform.a * ox + bOy + cx
                let sy = transform.c * ox + dOy + cy
                // Outside the image (with a pixel's margin) everything is background.
                guard sx > -1, sy > -1, sx < Float(width), sy < Float(height) else {
                    output[y &* width &+ x] = 0
                    continue
                }
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                let fx = sx - Float(x0), fy = sy - Float(y0)
                let p00: Float, p01: Float, p10: Float, p11: Float
                if x0 >= 0, y0 >= 0, x0 &+ 1 < width, y0 &+ 1 < height {
                    let row = input + (y0 &* width &+ x0)
                    p00 = Float(row[0]); p01 = Float(row[1]); p10 = Float(row[width]); p11 = Float(row[width &+ 1])
                } else {
                    p00 = pixel(x0, y0); p01 = pixel(x0 &+ 1, y0); p10 = pixel(x0, y0 &+ 1); p11 = pixel(x0 &+ 1, y0 &+ 1)
                }
                let top = p00 * (1 - fx) + p01 * fx
                let bottom = p10 * (1 - fx) + p11 * fx
                let value = top * (1 - fy) + bottom * fy
                output[y &* width &+ x] = UInt8(max(0, min(255, value.rounded())))
            }
        }
    }
}
