/// Turns a picture of one handwritten character, of any size and colours, into a 28x28 image made
/// the way MNIST's were (LeCun, Cortes, Burges: "The original black and white images were size
/// normalized to fit in a 20x20 pixel box while preserving their aspect ratio ... anti-aliasing ...
/// centered in a 28x28 image by computing the center of mass of the pixels"):
///
/// 1. grey = 0.299 R + 0.587 G + 0.114 B; transparent pixels are laid on a background that contrasts
///    with the opaque ones (white under dark ink, black under light ink);
/// 2. and 3. the character's ink is found (`InkFinding`: plain or photo, the polarity from the
///    picture as a whole, the paper's level, the character's connected strokes apart from noise and
///    the frame's edges) and scaled so its strokes are full ink;
/// 4. the box around the ink (pixels above `inkThreshold` of the strongest) is cropped and scaled so
///    its longer side is 20 pixels, keeping the aspect ratio: area averaging when shrinking (the
///    anti-aliasing), bilinear interpolation when enlarging;
/// 5. it is placed in 28x28 with its centre of mass at pixel (14, 14), where MNIST's are (rounded to
///    whole pixels);
/// 6. with a reader to ask (`prepared(_:confidence:)`), strokes far heavier than MNIST's are
///    thinned, unless it is surer of them as they were (`thinned`).
public enum DigitPreprocessing {
    /// The side of the prepared image: MNIST's 28.
    public static let side = 28
    /// The side of the box the ink's longer side is scaled to: MNIST's 20.
    public static let box = 20
    /// Ink below this share of the strongest ink does not count when cropping.
    public static let inkThreshold: Float = 0.15

    /// Why a picture gave no digit.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// No character's ink was found; the reason says what was looked for and what was seen.
        case noInk(String)
        /// The message to show: what was looked for and what was seen.
        public var description: String {
            switch self {
            case .noInk(let reason): return "no ink found: \(reason)"
            }
        }
    }

    /// A picture made ready for the network: the 28x28 digit, and what was found on the way.
    public struct Prepared: Sendable, Equatable {
        /// 28x28 bytes, row by row, ink 255 on background 0.
        public var pixels: [UInt8]
        /// The character's box in the picture's pixels.
        public var box: InkFinding.Box
        /// How it was read: plain or photo, dark or light ink.
        public var polarity: InkFinding.Polarity
    }

    /// The 28x28 bytes, ink 255 on background 0.
    public static func prepare(_ image: Image) throws(Failure) -> [UInt8] {
        try prepare(GreyPicture(image))
    }

    /// The 28x28 bytes of a picture's grey levels (step 1 done as it was decoded), ink 255 on
    /// background 0.
    public static func prepare(_ picture: GreyPicture, confidence: ((_ digit: [UInt8]) -> Double)? = nil) throws(Failure) -> [UInt8] {
        try prepared(picture, confidence: confidence).pixels
    }

    /// The picture made ready, read as it shows itself (or with `polarity`), with where the
    /// character is and how it was read. Where the picture reads two ways (light ink, or the
    /// digit written on the lit part of a page: `InkFinding.Readings`), `confidence` (a reader's
    /// certainty about a 28x28, such as its top probability) chooses: the reading it is surer of
    /// holds. Without it the first does.
    public static func prepared(_ picture: GreyPicture, polarity: InkFinding.Polarity? = nil,
                                confidence: ((_ digit: [UInt8]) -> Double)? = nil) throws(Failure) -> Prepared {
        let readings = try InkFinding.readings(picture, polarity: polarity)
        var chosen = Prepared(pixels: try frame(readings.first), box: readings.first.box, polarity: readings.first.polarity)
        guard let confidence else { return chosen }
        // Each candidate is scored once: the network is most of a candidate's cost.
        var sureness: Double?
        if let other = readings.second, let pixels = try? frame(other) {
            let first = confidence(chosen.pixels), second = confidence(pixels)
            sureness = first
            if second > first { (chosen, sureness) = (Prepared(pixels: pixels, box: other.box, polarity: other.polarity), second) }
        }
        // Step 6, with a reader: heavy strokes thinned, unless it is surer of them as they are.
        let thin = thinned(chosen.pixels)
        if thin != chosen.pixels, confidence(thin) >= sureness ?? confidence(chosen.pixels) { chosen.pixels = thin }
        return chosen
    }

    /// Steps 4 and 5 for what `InkFinding` found: the 28x28 bytes.
    public static func frame(_ finding: InkFinding.Finding) throws(Failure) -> [UInt8] {
        try frame(finding.plane.values, width: finding.plane.width, height: finding.plane.height)
    }

    /// Steps 4 and 5: the 28x28 bytes of an ink plane (0 background, 1 full ink). With
    /// `smallestSide`, ink whose box is smaller is scaled as if its longer side were that (a piece
    /// of a digit stays small beside the digits of its line).
    static func frame(_ ink: [Float], width: Int, height: Int, smallestSide: Int = 0) throws(Failure) -> [UInt8] {
        // Step 4: the box around the ink.
        var left = width, right = -1, top = height, bottom = -1
        for y in 0..<height {
            for x in 0..<width where ink[y * width + x] > inkThreshold {
                left = min(left, x); right = max(right, x); top = min(top, y); bottom = max(bottom, y)
            }
        }
        guard right >= left else { throw .noInk("no stroke is above \(Int(100 * inkThreshold))% of the strongest ink") }
        let cropWidth = right - left + 1, cropHeight = bottom - top + 1
        let factor = Float(box) / Float(max(cropWidth, cropHeight, smallestSide))
        let targetWidth = max(1, min(box, Int((Float(cropWidth) * factor).rounded())))
        let targetHeight = max(1, min(box, Int((Float(cropHeight) * factor).rounded())))
        let scaled = resample(ink, width: width, crop: (left, top, cropWidth, cropHeight), to: (targetWidth, targetHeight))
        // Step 5: centre of mass to the centre of the 28x28 field.
        var mass: Float = 0, sumX: Float = 0, sumY: Float = 0
        for y in 0..<targetHeight {
            for x in 0..<targetWidth {
                let v = scaled[y * targetWidth + x]
                mass += v; sumX += v * Float(x); sumY += v * Float(y)
            }
        }
        // MNIST's digits have their centre of mass at (14.0, 14.0) in pixel indices (measured over
        // the test set: mean 14.00 and 13.99, deviation 0.29), so that is where ours go.
        let centre = Float(side) / 2
        let offsetX = mass > 0 ? Int((centre - sumX / mass).rounded()) : (side - targetWidth) / 2
        let offsetY = mass > 0 ? Int((centre - sumY / mass).rounded()) : (side - targetHeight) / 2
        var output = [UInt8](repeating: 0, count: side * side)
        for y in 0..<targetHeight {
            for x in 0..<targetWidth {
                let tx = x + offsetX, ty = y + offsetY
                guard (0..<side).contains(tx), (0..<side).contains(ty) else { continue }
                output[ty * side + tx] = UInt8(min(255, max(0, (scaled[y * targetWidth + x] * 255).rounded())))
            }
        }
        return output
    }

    /// Strokes heavier than this (`strokeWidth`, in pixels of the 28x28) are thinned. MNIST's
    /// first 2,000 test digits: 2.8 on average, 3.7 at the 90th percentile.
    static let heaviestStroke: Float = 3.7

    /// Step 6: a 28x28 whose strokes are heavier than `heaviestStroke` (a marker, or a digit scaled
    /// up from a few pixels, such as UCI's 8x8 optdigits at 4.6) eroded by a 2x2 minimum,
    /// e(x, y) = min over x-1...x, y-1...y of v (the frame's edge repeated), and scaled back so its
    /// strongest pixel is full ink; any other digit as it is. `prepared`, given a reader's
    /// confidence, keeps the thinned digit unless the reader is surer of it as it was. (Chosen on
    /// the tuning sets: optdigits read 1,171 -> 1,178 of 1,200 with the modern model, nothing lost
    /// elsewhere.)
    static func thinned(_ digit: [UInt8]) -> [UInt8] {
        guard strokeWidth(digit) > heaviestStroke else { return digit }
        var eroded = [UInt8](repeating: 0, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let up = max(y - 1, 0), left = max(x - 1, 0)
                eroded[y * side + x] = min(digit[y * side + x], digit[y * side + left], digit[up * side + x], digit[up * side + left])
            }
        }
        let strongest = Float(eroded.max() ?? 0)
        guard strongest > 0 else { return digit }
        return eroded.map { UInt8((Float($0) * 255 / strongest).rounded()) }
    }

    /// A 28x28's stroke width: twice the area of its ink (pixels over half) over the length of its
    /// outline (ink pixels with a 4-neighbour that is not ink, or at the frame's edge).
    static func strokeWidth(_ digit: [UInt8]) -> Float {
        func ink(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < side && y < side && digit[y * side + x] >= 128 }
        var area = 0, outline = 0
        for y in 0..<side {
            for x in 0..<side where ink(x, y) {
                area += 1
                if !(ink(x - 1, y) && ink(x + 1, y) && ink(x, y - 1) && ink(x, y + 1)) { outline += 1 }
            }
        }
        return 2 * Float(area) / Float(max(outline, 1))
    }

    /// The crop (x, y, width, height) of a `width`-wide grid, resampled to `size`.
    static func resample(_ values: [Float], width: Int, crop: (Int, Int, Int, Int), to size: (Int, Int)) -> [Float] {
        let (cx, cy, cw, ch) = crop, (tw, th) = size
        var output = [Float](repeating: 0, count: tw * th)
        let sx = Float(cw) / Float(tw), sy = Float(ch) / Float(th)
        for ty in 0..<th {
            for tx in 0..<tw {
                var value: Float = 0
                if sx >= 1 && sy >= 1 {
                    // Area average: the source rectangle [tx*sx, (tx+1)*sx) x [ty*sy, (ty+1)*sy), partial pixels weighted.
                    let x0 = Float(tx) * sx, x1 = x0 + sx, y0 = Float(ty) * sy, y1 = y0 + sy
                    var y = Int(y0)
                    while Float(y) < y1, y < ch {
                        let wy = min(Float(y + 1), y1) - max(Float(y), y0)
                        var x = Int(x0)
                        while Float(x) < x1, x < cw {
                            let wx = min(Float(x + 1), x1) - max(Float(x), x0)
                            value += wx * wy * values[(cy + y) * width + cx + x]
                            x += 1
                        }
                        y += 1
                    }
                    value /= sx * sy
                } else {
                    // Bilinear, pixel centres aligned.
                    let fx = min(max((Float(tx) + 0.5) * sx - 0.5, 0), Float(cw - 1))
                    let fy = min(max((Float(ty) + 0.5) * sy - 0.5, 0), Float(ch - 1))
                    let x0 = Int(fx), y0 = Int(fy), x1 = min(x0 + 1, cw - 1), y1 = min(y0 + 1, ch - 1)
                    let ax = fx - Float(x0), ay = fy - Float(y0)
                    func at(_ x: Int, _ y: Int) -> Float { values[(cy + y) * width + cx + x] }
                    value = (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x1, y0)) + ay * ((1 - ax) * at(x0, y1) + ax * at(x1, y1))
                }
                output[ty * tw + tx] = value
            }
        }
        return output
    }
}
