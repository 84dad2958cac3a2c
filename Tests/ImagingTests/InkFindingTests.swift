import Foundation
import Testing
@testable import Imaging

/// Finding a character's ink in a photo: the running extremum against a naive one, the closing's
/// treatment of the frame's edge, and shadows, tables, tint and noise that must not count as ink.
@Suite struct InkFindingTests {
    /// A deterministic plane of values in 0...1.
    static func randomPlane(width: Int, height: Int, seed: UInt64) -> InkFinding.Plane {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        let values = (0..<(width * height)).map { _ -> Float in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state % 1000) / 999
        }
        return InkFinding.Plane(width: width, height: height, values: values)
    }

    @Test func theRunningExtremumIsTheNaiveOne() {
        for (width, height) in [(1, 1), (1, 9), (13, 1), (17, 11), (32, 5)] {
            for window in [1, 3, 5, 9, 31] {
                for maximum in [true, false] {
                    let plane = Self.randomPlane(width: width, height: height, seed: UInt64(width * 1000 + height * 10 + window))
                    var fast = plane
                    InkFinding.extremumFilter(&fast, window: window, maximum: maximum)
                    let r = window / 2
                    var largestDifference: Float = 0
                    for y in 0..<height {
                        for x in 0..<width {
                            var best: Float = maximum ? -.infinity : .infinity
                            for v in max(0, y - r)...min(height - 1, y + r) {
                                for u in max(0, x - r)...min(width - 1, x + r) {
                                    let value = plane.values[v * width + u]
                                    best = maximum ? max(best, value) : min(best, value)
                                }
                            }
                            largestDifference = max(largestDifference, abs(best - fast.values[y * width + x]))
                        }
                    }
                    #expect(largestDifference == 0, "\(width)x\(height), window \(window), maximum \(maximum)")
                }
            }
        }
    }

    @Test func aVeryFlatOrNarrowPictureIsAveragedWithinItsRows() throws {
        // 2048x3 in blocks of 16: 16 columns by all 3 rows (the fuzzer found a 64829x46 JPEG read
        // past its last row when the blocks were square).
        let levels = (0..<(2048 * 3)).map { UInt8(($0 % 7) * 36) }
        let picture = GreyPicture(width: 2048, height: 3, levels: levels)
        let flat = InkFinding.averaged(picture, region: InkFinding.Box(left: 0, top: 0, right: 2047, bottom: 2), factor: 16)
        #expect(flat.width == 128 && flat.height == 1)
        for x in [0, 1, 63, 127] {
            var sum = 0
            for y in 0..<3 { for dx in 0..<16 { sum += Int(levels[y * 2048 + 16 * x + dx]) } }
            #expect(abs(flat.values[x] - Float(sum) / 48 / 255) < 1e-6)
        }
        let narrow = InkFinding.averaged(GreyPicture(width: 2, height: 4096, levels: [UInt8](repeating: 64, count: 8192)),
                                         region: InkFinding.Box(left: 0, top: 0, right: 1, bottom: 4095), factor: 32)
        #expect(narrow.width == 1 && narrow.height == 128 && narrow.values.allSatisfy { $0 == Float(64) / 255 })
        // And the whole preparation of such pictures ends in an answer or a clear error.
        var mark = [UInt8](repeating: 255, count: 64829 * 2)
        for x in 30000..<30400 { mark[x] = 0; mark[64829 + x] = 0 }
        _ = try? DigitPreprocessing.prepare(GreyPicture(width: 64829, height: 2, levels: mark))
    }

    @Test func theClosingRepeatsTheFramesEdgesOutwards() {
        let width = 12, height = 9, window = 5, r = window / 2
        let plane = Self.randomPlane(width: width, height: height, seed: 7)
        let fast = InkFinding.closing(plane, window: window)
        // Naively: the largest of the smallest, over the picture extended by repeating its edges.
        func at(_ x: Int, _ y: Int) -> Float { plane.values[min(height - 1, max(0, y)) * width + min(width - 1, max(0, x))] }
        func dilated(_ x: Int, _ y: Int) -> Float {
            var best = -Float.infinity
            for dy in -r...r { for dx in -r...r { best = max(best, at(x + dx, y + dy)) } }
            return best
        }
        for y in 0..<height {
            for x in 0..<width {
                var best = Float.infinity
                for dy in -r...r { for dx in -r...r { best = min(best, dilated(x + dx, y + dy)) } }
                #expect(best == fast.values[y * width + x], "(\(x), \(y))")
            }
        }
    }

    /// A photo-like picture, grey levels 0...1: paper at `paper` lit by `light(x, y)`, with ink of
    /// reflectance `ink` where `coverage(x, y)` (0...1) says.
    static func photo(width: Int, height: Int, paper: Float = 0.85, ink: Float = 0.12,
                      light: (Int, Int) -> Float, coverage: (Int, Int) -> Float) -> GreyPicture {
        var grey = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let c = coverage(x, y)
                grey[y * width + x] = (paper * (1 - c) + ink * c) * light(x, y)
            }
        }
        return GreyPicture(width: width, height: height, grey: grey)
    }

    /// A ring (a '0') of radius 30 and stroke 8 around (cx, cy), anti-aliased.
    static func ring(_ cx: Float, _ cy: Float) -> (Int, Int) -> Float {
        { x, y in
            let d = ((Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)).squareRoot()
            return min(1, max(0, 4.5 - abs(d - 30)))
        }
    }

    /// A shadow across the frame: light 1 above the line through (120, 40) at 60 degrees, `dim`
    /// below it, with an edge `soft` pixels wide; and a table (dark, 0.15) along the left 20 columns.
    static func shadowAndTable(dim: Float = 0.45, soft: Float = 6) -> (Int, Int) -> Float {
        { x, y in
            let distance = (Float(x) - 120) * Float(cos(Double.pi / 3)) - (Float(y) - 40) * Float(sin(Double.pi / 3))
            let shade = 1 - (1 - dim) * 0.5 * (1 + Float(tanh(Double(distance / (soft / 2)))))
            return x < 20 ? 0.15 / 0.85 * shade : shade
        }
    }

    /// The mean difference in grey levels between two 28x28 digits, the second shifted by up to a
    /// pixel each way to match best (centring by mass rounds to whole pixels, so a tie may go
    /// either way).
    static func alignedDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var best = Double.infinity
        for dy in -1...1 {
            for dx in -1...1 {
                var total = 0
                for y in 0..<28 {
                    for x in 0..<28 {
                        let sx = x + dx, sy = y + dy
                        let other = (0..<28).contains(sx) && (0..<28).contains(sy) ? Int(b[sy * 28 + sx]) : 0
                        total += abs(Int(a[y * 28 + x]) - other)
                    }
                }
                best = min(best, Double(total) / 784)
            }
        }
        return best
    }

    @Test func shadowEdgesATableAndUnevenLightAreNotInk() {
        let picture = Self.photo(width: 240, height: 180, light: { x, y in
            Self.shadowAndTable()(x, y) * (0.7 + 0.3 * Float(x + y) / 420)
        }, coverage: { _, _ in 0 })
        #expect(throws: DigitPreprocessing.Failure.self) { try InkFinding.find(picture) }
    }

    @Test func aDigitCrossedByAShadowIsFoundWholeAndAloneAsOnCleanPaper() throws {
        let shaded = Self.photo(width: 240, height: 180, light: Self.shadowAndTable(), coverage: Self.ring(150, 100))
        let clean = Self.photo(width: 240, height: 180, light: { _, _ in 1 }, coverage: Self.ring(150, 100))
        let finding = try InkFinding.find(shaded)
        let plane = finding.plane
        // The ink lies on the ring only: nothing at the table, along the shadow's edge or elsewhere.
        var left = Int.max, right = -1, top = Int.max, bottom = -1
        for y in 0..<plane.height {
            for x in 0..<plane.width where plane.values[y * plane.width + x] > 0.15 {
                let px = finding.region.left + x * finding.factor, py = finding.region.top + y * finding.factor
                left = min(left, px); right = max(right, px + finding.factor - 1); top = min(top, py); bottom = max(bottom, py + finding.factor - 1)
            }
        }
        #expect(abs(left - 116) <= 2 && abs(right - 184) <= 2 && abs(top - 66) <= 2 && abs(bottom - 134) <= 2,
                "ink box \(left)...\(right) x \(top)...\(bottom)")
        // And the 28x28 made of it is the clean one's, to a few grey levels on the stroke's edge.
        let fromShade = try DigitPreprocessing.prepare(shaded), fromClean = try DigitPreprocessing.prepare(clean)
        let mean = Self.alignedDifference(fromShade, fromClean)
        print(String(format: "ring under a shadow against on clean paper: mean difference %.2f grey levels", mean))
        #expect(mean < 4)
    }

    @Test func aSmallDigitOffCentreInANoisyPhotoIsFound() throws {
        // A 600x450 photo: the ring (68 pixels across, a sixth of the height) near the top right,
        // grain of 6 grey levels, a light gradient and a shadow.
        var state: UInt64 = 12345
        let picture = Self.photo(width: 600, height: 450, light: { x, y in
            0.6 + 0.4 * Float(x) / 600 * (y > 300 ? 0.5 : 1)
        }, coverage: Self.ring(470, 90))
        var noisy = picture.levels
        for i in noisy.indices {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let noise = Int(state % 13) - 6
            noisy[i] = UInt8(min(255, max(0, Int(noisy[i]) + noise)))
        }
        let digit = try DigitPreprocessing.prepare(GreyPicture(width: 600, height: 450, levels: noisy))
        let clean = try DigitPreprocessing.prepare(Self.photo(width: 200, height: 200, light: { _, _ in 1 }, coverage: Self.ring(100, 100)))
        let mean = Self.alignedDifference(digit, clean)
        #expect(mean < 8, "mean difference \(mean) grey levels")
    }

    @Test func aFilledBlobStaysInkWhole() throws {
        // A dark square a sixth of a 700x700 white picture: wider than 0.6 times its own size, so
        // the second pass's window must follow its thickness.
        let picture = Self.photo(width: 700, height: 700, light: { _, _ in 1 }, coverage: { x, y in
            (300..<420).contains(x) && (250..<370).contains(y) ? 1 : 0
        })
        let digit = try DigitPreprocessing.prepare(picture)
        #expect(digit.filter { $0 > 200 }.count >= 18 * 18)
    }

    @Test func theLargestDistanceIsTheNaiveOne() {
        for seed in 0..<20 as Range<UInt64> {
            let width = 9 + Int(seed % 5), height = 7 + Int(seed % 3)
            let mask = Self.randomPlane(width: width, height: height, seed: seed + 100).values.map { $0 < 0.8 }
            var naive = 0
            for y in 0..<height {
                for x in 0..<width where mask[y * width + x] {
                    // The chessboard distance to the nearest pixel outside: out of the frame, or unmasked.
                    var nearest = min(x + 1, y + 1, width - x, height - y)
                    for v in 0..<height { for u in 0..<width where !mask[v * width + u] { nearest = min(nearest, max(abs(u - x), abs(v - y))) } }
                    naive = max(naive, nearest)
                }
            }
            #expect(InkFinding.largestDistance(mask, width: width, height: height) == naive, "seed \(seed)")
        }
    }

    @Test func onAPlainBackgroundACharacterMayTouchTheEdge() throws {
        // A bar from the top edge to the bottom edge of a plain white picture.
        let picture = Self.photo(width: 60, height: 40, light: { _, _ in 1 }, coverage: { x, _ in x >= 20 && x < 26 ? 1 : 0 })
        let digit = try DigitPreprocessing.prepare(picture)
        let rows = (0..<28).filter { y in (0..<28).contains { digit[y * 28 + $0] > 0 } }
        #expect(rows.count == 20)
    }

    @Test func inkIsTakenAsDarkOrLightFromThePlainBorderAndAsDarkInAPhoto() throws {
        func plane(_ picture: GreyPicture, inverted: Bool = false) -> InkFinding.Plane {
            InkFinding.Plane(width: picture.width, height: picture.height,
                             values: picture.levels.map { inverted ? 1 - Float($0) / 255 : Float($0) / 255 })
        }
        let dark = Self.photo(width: 120, height: 100, light: { _, _ in 1 }, coverage: Self.ring(60, 50))
        let plain = InkFinding.Polarity.reading(plane(dark))
        #expect(plain.inkIsDark && !plain.isPhoto)
        let light = InkFinding.Polarity.reading(plane(dark, inverted: true))
        #expect(!light.inkIsDark && !light.isPhoto)
        let shaded = Self.photo(width: 240, height: 180, light: Self.shadowAndTable(), coverage: Self.ring(150, 100))
        // Half the border is in the shadow: at first sight a plain picture of light ink (the lit
        // paper); what that finds is no character, so it is read as the photo it is.
        let photo = try InkFinding.find(shaded).polarity
        #expect(photo.inkIsDark && photo.isPhoto)
    }
}
