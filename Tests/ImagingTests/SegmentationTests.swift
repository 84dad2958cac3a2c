import Testing
@testable import Imaging

/// The number reader's cuts, on drawn shapes: rings and bars of known places.
@Suite struct SegmentationTests {
    /// A white picture with dark rings (centre x, centre y, radius) and bars (left, top, right, bottom).
    static func picture(width: Int, height: Int, rings: [(Double, Double, Double)] = [], bars: [(Int, Int, Int, Int)] = []) -> GreyPicture {
        var levels = [UInt8](repeating: 255, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                for (cx, cy, r) in rings {
                    let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                    if abs(d - r) < 3 { levels[y * width + x] = 0 }
                }
                for (l, t, r, b) in bars where x >= l && x <= r && y >= t && y <= b { levels[y * width + x] = 0 }
            }
        }
        return GreyPicture(width: width, height: height, levels: levels)
    }

    @Test func separateStrokesAreSeparateAtoms() throws {
        let picture = Self.picture(width: 200, height: 80, bars: [(30, 15, 35, 65), (90, 15, 95, 65), (150, 15, 155, 65)])
        let segmentation = Segmentation(try #require(try InkFinding.lines(picture).first))
        #expect(segmentation.atoms.count == 3)
        // Far apart (a gap over 0.3 of the digits' height): never one digit.
        #expect(!segmentation.allows(0, 2))
        #expect(segmentation.segments().count == 3)
    }

    @Test func touchingRingsAreCutBetweenThem() throws {
        // Two rings of radius 20 whose centres are 36 apart: they touch, one piece of ink.
        let picture = Self.picture(width: 140, height: 70, rings: [(50, 35, 20), (86, 35, 20)])
        let line = try #require(try InkFinding.lines(picture).first)
        let segmentation = Segmentation(line)
        #expect(segmentation.atoms.count >= 2)
        // Some cut separates the two rings: an atom boundary between the centres.
        let boundaries = segmentation.atoms.map { line.pictureBox($0.box) }.map(\.right)
        #expect(boundaries.contains { $0 >= 58 && $0 <= 78 })
    }

    @Test func aDetachedBarJoinsItsDigit() throws {
        // A 5's body and its bar above, apart: two atoms that may be one digit.
        let picture = Self.picture(width: 120, height: 100, rings: [(60, 62, 18)], bars: [(48, 12, 80, 16), (48, 12, 52, 30)])
        let segmentation = Segmentation(try #require(try InkFinding.lines(picture).first))
        #expect(segmentation.atoms.count >= 2)
        #expect(segmentation.allows(0, segmentation.atoms.count))
    }

    @Test func framingKeepsAPieceSmall() throws {
        // A short stroke beside tall ones is framed at the line's scale, not blown up to 20 pixels.
        let picture = Self.picture(width: 200, height: 100, bars: [(30, 10, 36, 90), (90, 70, 96, 90), (150, 10, 156, 90)])
        let segmentation = Segmentation(try #require(try InkFinding.lines(picture).first))
        let short = try #require(segmentation.segment(1, 2))
        let rows = (0..<28).filter { y in (0..<28).contains { short.pixels[y * 28 + $0] > 128 } }
        #expect(rows.count < 10)
    }

    @Test func noInkIsAnError() {
        #expect(throws: DigitPreprocessing.Failure.self) {
            _ = try InkFinding.lines(GreyPicture(width: 50, height: 20, levels: [UInt8](repeating: 200, count: 1_000)))
        }
    }
}
