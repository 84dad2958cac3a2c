import Support

/// Random planar affine distortions of a greyscale image, as the 1998 paper used to enlarge MNIST
/// (Sec. III-C: "horizontal and vertical translations, scaling, squeezing (simultaneous horizontal
/// compression and vertical elongation, or the reverse), and horizontal shearing"). The paper gives no
/// magnitudes; the defaults here are this project's choice:
///   translation up to ±2 pixels on each axis, scaling by 0.9 to 1.1, squeezing by 0.9 to 1.1 (x times s,
///   y divided by s), horizontal shear up to ±0.2 (x += 0.2 * (y - centre)).
/// Each is drawn uniformly and independently. The image is resampled bilinearly about its centre;
/// what comes from outside the image is background (0).
public struct AffineDistortion: Sendable, Equatable {
    public var translation: Float = 2
    public var scaling: Float = 0.1
    public var squeezing: Float = 0.1
    public var shear: Float = 0.2

    public init() {}

    /// A map from output to input coordinates about the image centre: input = matrix * (output - c) + c - t.
    public struct Transform: Sendable, Equatable {
        public var a, b, c, d: Float   // [[a, b], [c, d]]
        public var tx, ty: Float

        public static let identity = Transform(a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0)

        /// The forward transform (scale, squeeze, shear, translate) and the inverse used to sample.
        public init(scale: Float, squeeze: Float, shear: Float, tx: Float, ty: Float) {
            // Forward: p' = S * p + t with S = [[scale*squeeze, scale*squeeze*shear], [0, scale/squeeze]].
            let sx = scale * squeeze, sy = scale / squeeze
            let forward = (a: sx, b: sx * shear, c: Float(0), d: sy)
            let determinant = forward.a * forward.d - forward.b * forward.c
            self.init(a: forward.d / determinant, b: -forward.b / determinant, c: -forward.c / determinant,
                      d: forward.a / determinant, tx: tx, ty: ty)
        }

        public init(a: Float, b: Float, c: Float, d: Float, tx: Float, ty: Float) {
            self.a = a; self.b = b; self.c = c; self.d = d; self.tx = tx; self.ty = ty
        }
    }

    /// A transform drawn from `generator`.
    public func random(using generator: inout SeededGenerator) -> Transform {
        Transform(scale: 1 + generator.nextFloat(symmetricBound: scaling),
                  squeeze: 1 + generator.nextFloat(symmetricBound: squeezing),
                  shear: generator.nextFloat(symmetricBound: shear),
                  tx: generator.nextFloat(symmetricBound: translation),
                  ty: generator.nextFloat(symmetricBound: translation))
    }

    /// Resamples a width x height greyscale image through `transform` into `output` (same size).
    public static func apply(_ transform: Transform, to input: UnsafePointer<UInt8>, width: Int, height: Int,
                             output: UnsafeMutablePointer<UInt8>) {
        let cx = Float(width - 1) / 2, cy = Float(height - 1) / 2
        func pixel(_ x: Int, _ y: Int) -> Float {
            (x >= 0 && y >= 0 && x < width && y < height) ? Float(input[y * width + x]) : 0
        }
        for y in 0..<height {
            for x in 0..<width {
                let ox = Float(x) - cx - transform.tx, oy = Float(y) - cy - transform.ty
                let sx = transform.a * ox + transform.b * oy + cx
                let sy = transform.c * ox + transform.d * oy + cy
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                let fx = sx - Float(x0), fy = sy - Float(y0)
                let top = pixel(x0, y0) * (1 - fx) + pixel(x0 + 1, y0) * fx
                let bottom = pixel(x0, y0 + 1) * (1 - fx) + pixel(x0 + 1, y0 + 1) * fx
                let value = top * (1 - fy) + bottom * fy
                output[y * width + x] = UInt8(max(0, min(255, value.rounded())))
            }
        }
    }
}
