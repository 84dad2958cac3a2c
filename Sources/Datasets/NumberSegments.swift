import Imaging
import Support

/// MNIST's digits with an eleventh class, "junk": what the number reader's segmentation cuts out of
/// numbers that is not one digit (half a digit, a digit and a piece of its neighbour, two digits
/// together), so that a network learns to say so, as the 1998 paper's recogniser was trained to
/// reject its segmenter's junk (Sec. VI).
///
/// Numbers of 2-6 digits are composed from the split's own digits (each cropped to its ink, pixels
/// over 30, and scaled to the number's height of 28-64 pixels; gaps of 15-50%, 0-10% or -15 to -2%
/// of the height, for a quarter, a quarter and half of the numbers; a baseline wandering by up to 6% of the height a
/// digit), drawn dark on white, and cut by the reader's own `Segmentation`. Each segment is labelled
/// by whose ink it holds: a digit, if at least 90% of its ink is one digit's and it holds at least
/// 90% of that digit's; junk, if under 75% of its ink is any one digit's or it holds under 60% of
/// the digit's; neither (left out) between. The digits so cut join the split as well: the network
/// sees a digit framed with a neighbour's stray pixels, as the reader will show it.
public enum NumberSegments {
    /// The data set's name for `--dataset`.
    public static let name = "mnist-segments"

    /// `digits` (labels 0-9) with the segments of `numbers` numbers composed from them: every digit
    /// cut out (its label) and at most `junk` junk segments (label 10).
    public static func withJunk(_ digits: LabeledImages, numbers: Int, junk limit: Int, seed: UInt64) -> LabeledImages {
        var random = SeededGenerator(seed: seed)
        var junk: [[UInt8]] = [], cut: [([UInt8], UInt8)] = []
        for _ in 0..<numbers {
            let number = compose(digits, random: &random)
            guard let line = try? InkFinding.lines(number.picture).first else { continue }
            label(Segmentation(line), number: number, junk: &junk, digits: &cut)
        }
        // An even draw of the junk, when there is more than `limit`.
        random.shuffle(&junk)
        var pixels = digits.pixels, labels = digits.labels
        for image in junk.prefix(limit) { pixels += image; labels.append(10) }
        for (image, digit) in cut { pixels += image; labels.append(digit) }
        return LabeledImages(count: labels.count, rows: 28, columns: 28, pixels: pixels, labels: labels, classCount: 11,
                             classNames: (0..<10).map(String.init) + ["junk"])
    }

    /// A composed number: its picture, and which digit (by position, -1 for none) each pixel's ink
    /// is most of.
    struct Number {
        var picture: GreyPicture
        var owner: [Int8]
        var labels: [UInt8]
    }

    static func compose(_ digits: LabeledImages, random: inout SeededGenerator) -> Number {
        let count = 2 + random.nextIndex(below: 5)
        let height = 28 + random.nextIndex(below: 37)
        let group = random.nextIndex(below: 4)
        let gaps: ClosedRange<Float> = group == 0 ? 0.15...0.5 : group == 1 ? 0...0.1 : -0.15...(-0.02)
        var pieces: [(ink: [Float], width: Int, top: Int, label: UInt8)] = []
        var baseline: Float = 0
        for _ in 0..<count {
            let index = random.nextIndex(below: digits.count)
            let (ink, width) = scaled(digits.image(index), side: digits.columns, height: height)
            baseline = min(max(baseline + random.nextFloat(symmetricBound: 0.06 * Float(height)), -0.15 * Float(height)), 0.15 * Float(height))
            pieces.append((ink, width, Int(baseline.rounded()), digits.labels[index]))
        }
        var positions: [Int] = [], x = 0
        for (i, piece) in pieces.enumerated() {
            positions.append(x)
            let gap = gaps.lowerBound + random.nextUnitFloat() * (gaps.upperBound - gaps.lowerBound)
            if i + 1 < pieces.count { x = max(x + piece.width + Int((gap * Float(height)).rounded()), x + 1) }
        }
        let top = pieces.map(\.top).min() ?? 0
        let margin = height / 3
        let width = (zip(positions, pieces).map { $0 + $1.width }.max() ?? 1) + 2 * margin
        let canvasHeight = (pieces.map { $0.top - top }.max() ?? 0) + height + 2 * margin
        var coverage = [Float](repeating: 0, count: width * canvasHeight)
        var owner = [Int8](repeating: -1, count: width * canvasHeight)
        for (d, (position, piece)) in zip(positions, pieces).enumerated() {
            let y0 = piece.top - top + margin, x0 = position + margin
            for y in 0..<height {
                for x in 0..<piece.width {
                    let v = piece.ink[y * piece.width + x], p = (y0 + y) * width + x0 + x
                    if v > coverage[p] { coverage[p] = v; owner[p] = Int8(d) }
                }
            }
        }
        let picture = GreyPicture(width: width, height: canvasHeight, grey: coverage.map { 1 - $0 })
        return Number(picture: picture, owner: owner, labels: pieces.map(\.label))
    }

    /// A digit cropped to its ink (pixels over 30) and scaled bilinearly to `height`, keeping its
    /// shape: ink 0...1 and the width.
    static func scaled(_ digit: ArraySlice<UInt8>, side: Int, height: Int) -> ([Float], Int) {
        let base = digit.startIndex
        var left = side, right = -1, top = side, bottom = -1
        for y in 0..<side {
            for x in 0..<side where digit[base + y * side + x] > 30 {
                left = min(left, x); right = max(right, x); top = min(top, y); bottom = max(bottom, y)
            }
        }
        guard right >= left else { return ([Float](repeating: 0, count: height), 1) }
        let cropWidth = right - left + 1, cropHeight = bottom - top + 1
        let width = max(1, Int((Float(cropWidth * height) / Float(cropHeight)).rounded()))
        var out = [Float](repeating: 0, count: width * height)
        let sx = Float(cropWidth) / Float(width), sy = Float(cropHeight) / Float(height)
        func at(_ x: Int, _ y: Int) -> Float { Float(digit[base + (top + y) * side + left + x]) / 255 }
        for ty in 0..<height {
            let fy = min(max((Float(ty) + 0.5) * sy - 0.5, 0), Float(cropHeight - 1))
            let y0 = Int(fy), y1 = min(y0 + 1, cropHeight - 1), ay = fy - Float(y0)
            for tx in 0..<width {
                let fx = min(max((Float(tx) + 0.5) * sx - 0.5, 0), Float(cropWidth - 1))
                let x0 = Int(fx), x1 = min(x0 + 1, cropWidth - 1), ax = fx - Float(x0)
                out[ty * width + tx] = (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x1, y0)) + ay * ((1 - ax) * at(x0, y1) + ax * at(x1, y1))
            }
        }
        return (out, width)
    }

    /// Labels every segment the segmentation allows by whose ink it holds (see the type's comment).
    static func label(_ segmentation: Segmentation, number: Number, junk: inout [[UInt8]], digits: inout [([UInt8], UInt8)]) {
        let line = segmentation.line, plane = line.plane
        let count = number.labels.count
        // Each plane pixel's digit: the composed picture's owner at the pixel's centre.
        var pixelDigit = [Int8](repeating: -1, count: plane.values.count)
        var digitMass = [Float](repeating: 0, count: count)
        for y in 0..<plane.height {
            let py = min(line.region.top + y * line.factor + line.factor / 2, number.picture.height - 1)
            for x in 0..<plane.width where plane.values[y * plane.width + x] > 0 {
                let px = min(line.region.left + x * line.factor + line.factor / 2, number.picture.width - 1)
                let d = number.owner[py * number.picture.width + px]
                pixelDigit[y * plane.width + x] = d
                if d >= 0 { digitMass[Int(d)] += plane.values[y * plane.width + x] }
            }
        }
        let atoms = segmentation.atoms
        for first in atoms.indices {
            for end in (first + 1)...min(atoms.count, first + Segmentation.maximumAtoms) where segmentation.allows(first, end) {
                var mass = [Float](repeating: 0, count: count), total: Float = 0
                for i in plane.values.indices {
                    let o = Int(segmentation.owner[i])
                    guard o >= first, o < end else { continue }
                    let v = plane.values[i]
                    total += v
                    if pixelDigit[i] >= 0 { mass[Int(pixelDigit[i])] += v }
                }
                guard total > 0, let d = mass.indices.max(by: { mass[$0] < mass[$1] }) else { continue }
                let share = mass[d] / total, cover = mass[d] / max(digitMass[d], 1e-6)
                let isDigit = share >= 0.9 && cover >= 0.9, isJunk = share < 0.75 || cover < 0.6
                guard isDigit || isJunk, let segment = segmentation.segment(first, end) else { continue }
                if isDigit { digits.append((segment.pixels, number.labels[d])) } else { junk.append(segment.pixels) }
            }
        }
    }
}
