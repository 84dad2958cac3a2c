/// A picture as the digit reader sees it: grey levels from 0 (black) to 255 (white), row by row,
/// with any transparency already laid on a background that contrasts with the opaque pixels
/// (white under dark ink, black under light ink).
public struct GreyPicture: Sendable, Equatable {
    /// Pixels per row.
    public var width: Int
    /// Rows.
    public var height: Int
    /// One byte a pixel, `width * height` of them.
    public var levels: [UInt8]

    /// A picture of `width` x `height` levels, row by row; `levels.count` must be their product.
    public init(width: Int, height: Int, levels: [UInt8]) {
        precondition(levels.count == width * height)
        self.width = width
        self.height = height
        self.levels = levels
    }

    /// Grey levels given from 0 to 1 (rounded to the nearest of 256).
    public init(width: Int, height: Int, grey: [Float]) {
        self.init(width: width, height: height, levels: grey.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) })
    }

    /// An 8-bit image's grey levels.
    public init(_ image: Image) {
        var rows = Rows()
        rows.begin(width: image.width, height: image.height, channels: image.channels)
        let stride = image.width * image.channels
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<image.height { rows.append(row: UnsafeBufferPointer(rebasing: pixels[(y * stride)..<((y + 1) * stride)])) }
        }
        self = rows.takePicture()
    }

    /// The level at (x, y).
    @inlinable public subscript(x: Int, y: Int) -> UInt8 { levels[y * width + x] }

    /// Turns each row into grey levels as it arrives: grey = (19595 R + 38470 G + 7471 B + 2^15) / 2^16,
    /// Pillow's and ITU-R 601's 0.299 R + 0.587 G + 0.114 B in 16-bit fixed point (exactly R when
    /// R = G = B); alpha, when there is some, is kept until the last row tells which background the
    /// transparent pixels lie on.
    ///
    /// The decoders' bound counts 4 bytes a pixel (5 with transparency): the grey byte and the
    /// reader's working planes, so that the bound on what one picture may cost covers both.
    public struct Rows: PixelRowSink {
        var width = 0, height = 0, channels = 1
        var levels: [UInt8] = []
        var alpha: [UInt8] = []
        /// The alpha-weighted sum of the grey levels, and of the alphas.
        var weighted = 0, weights = 0

        /// An empty sink, for one picture.
        public init() {}
        /// Four bytes a pixel: the grey byte and the reader's working planes; five with transparency.
        public static func bytesPerPixel(channels: Int) -> Int { channels == 2 || channels == 4 ? 5 : 4 }
        /// Grey is all it keeps.
        public static var prefersLuminance: Bool { true }

        /// Called by the decoder before the first row.
        public mutating func begin(width: Int, height: Int, channels: Int) {
            (self.width, self.height, self.channels) = (width, height, channels)
        }

        /// Turns one row into grey levels, keeping alpha until the end.
        public mutating func append(row: UnsafeBufferPointer<UInt8>) {
            let c = channels, count = row.count / c, start = levels.count
            reserveWholePicture(&levels, adding: count, total: width * height)
            if c == 1 {
                levels.append(contentsOf: row)
            } else {
                levels.append(contentsOf: repeatElement(0, count: count))
                levels.withUnsafeMutableBufferPointer { out in
                    let out = out.baseAddress! + start
                    if c == 2 {
                        for n in 0..<count { out[n] = row[n &* 2] }
                    } else {
                        for n in 0..<count {
                            let r = UInt32(row[n &* c]), g = UInt32(row[n &* c &+ 1]), b = UInt32(row[n &* c &+ 2])
                            out[n] = UInt8(truncatingIfNeeded: (r &* 19595 &+ g &* 38470 &+ b &* 7471 &+ 0x8000) >> 16)
                        }
                    }
                }
            }
            guard c == 2 || c == 4 else { return }
            // Alpha is kept only once a pixel is not fully opaque (a canvas's drawing never is not).
            var opaqueRow = true
            for n in 0..<count where row[n &* c &+ c &- 1] != 255 { opaqueRow = false; break }
            if opaqueRow && alpha.isEmpty {
                for n in 0..<count { weighted &+= 255 &* Int(levels[start &+ n]) }
                weights &+= 255 &* count
                return
            }
            if alpha.isEmpty {
                alpha.reserveCapacity(width * height)
                alpha.append(contentsOf: repeatElement(255, count: start))
            }
            for n in 0..<count {
                let value = row[n &* c &+ c &- 1]
                alpha.append(value)
                weighted &+= Int(value) &* Int(levels[start &+ n])
                weights &+= Int(value)
            }
        }

        /// The picture, with transparent pixels laid on the contrasting background; the rows are
        /// handed over, not copied.
        public mutating func takePicture() -> GreyPicture {
            var values = levels
            levels = []
            if (channels == 2 || channels == 4) && !alpha.isEmpty {
                // Under dark ink (a mean opaque level of at most half), white; under light ink, black.
                let under = weights > 0 && weighted > 128 * weights ? 0 : 255
                values.withUnsafeMutableBufferPointer { out in
                    for n in 0..<out.count {
                        let a = Int(alpha[n])
                        out[n] = UInt8((a * Int(out[n]) + (255 - a) * under + 127) / 255)
                    }
                }
                alpha = []
            }
            return GreyPicture(width: width, height: height, levels: values)
        }
    }
}
