import Testing
@testable import Imaging

@Suite struct DigitPreprocessingTests {
    /// A 60x40 grey picture with a filled rectangle of ink (`ink` on `paper`) at x 10..<25, y 5..<35.
    static func bar(ink: UInt8, paper: UInt8, width: Int = 60, height: Int = 40) -> Image {
        var pixels = [UInt8](repeating: paper, count: width * height)
        for y in 5..<35 { for x in 10..<25 { pixels[y * width + x] = ink } }
        return Image(width: width, height: height, channels: 1, pixels: pixels)
    }

    static func inkBox(_ digit: [UInt8]) -> (width: Int, height: Int, centreX: Double, centreY: Double) {
        var left = 28, right = -1, top = 28, bottom = -1
        var mass = 0.0, sx = 0.0, sy = 0.0
        for y in 0..<28 {
            for x in 0..<28 where digit[y * 28 + x] > 0 {
                left = min(left, x); right = max(right, x); top = min(top, y); bottom = max(bottom, y)
                let v = Double(digit[y * 28 + x])
                mass += v; sx += v * Double(x); sy += v * Double(y)
            }
        }
        return (right - left + 1, bottom - top + 1, sx / mass, sy / mass)
    }

    /// Step 6: a ring drawn 7 pixels thick is eroded by a 2x2 minimum (each pixel the least of it
    /// and its neighbours above and to the left) and scaled back to full ink; the same ring 2
    /// pixels thick, MNIST's weight, is left as it is.
    @Test func heavyStrokesAreThinnedAndMNISTsAreNot() {
        func ring(thickness: Double) -> [UInt8] {
            (0..<784).map { i in
                let d = (Double(i % 28) - 13.5).magnitude + (Double(i / 28) - 13.5).magnitude
                return d >= 8 && d < 8 + thickness ? 200 : 0
            }
        }
        let heavy = ring(thickness: 7), light = ring(thickness: 2)
        #expect(DigitPreprocessing.strokeWidth(heavy) > DigitPreprocessing.heaviestStroke)
        #expect(DigitPreprocessing.strokeWidth(light) < DigitPreprocessing.heaviestStroke)
        #expect(DigitPreprocessing.thinned(light) == light)
        let thin = DigitPreprocessing.thinned(heavy)
        for y in 0..<28 {
            for x in 0..<28 {
                let up = max(y - 1, 0), left = max(x - 1, 0)
                let least = min(heavy[y * 28 + x], heavy[y * 28 + left], heavy[up * 28 + x], heavy[up * 28 + left])
                #expect(thin[y * 28 + x] == (least == 0 ? 0 : 255))
            }
        }
        #expect(thin.filter { $0 > 0 }.count < heavy.filter { $0 > 0 }.count)
    }

    @Test func theInkIsScaledToTwentyPixelsKeepingItsAspectAndCentredByMass() throws {
        let digit = try DigitPreprocessing.prepare(Self.bar(ink: 255, paper: 0))
        let box = Self.inkBox(digit)
        #expect(box.height == 20)
        #expect(box.width == 10)  // 15x30 keeps its 1:2 aspect
        #expect(abs(box.centreX - 14) <= 0.5 && abs(box.centreY - 14) <= 0.5)
        #expect(digit.max() == 255)
    }

    @Test func darkOnLightIsInvertedAndTheBackgroundLevelRemoved() throws {
        let light = try DigitPreprocessing.prepare(Self.bar(ink: 30, paper: 220))
        let dark = try DigitPreprocessing.prepare(Self.bar(ink: 255, paper: 0))
        #expect(light == dark)
    }

    @Test func colourAndTransparencyAreHandled() throws {
        let grey = try DigitPreprocessing.prepare(Self.bar(ink: 0, paper: 255))
        // Dark blue ink on transparent: laid on white, so it is dark on light.
        let base = Self.bar(ink: 0, paper: 255)
        var rgba: [UInt8] = []
        for v in base.pixels { rgba += v == 0 ? [20, 20, 120, 255] : [0, 0, 0, 0] }
        let transparent = try DigitPreprocessing.prepare(Image(width: 60, height: 40, channels: 4, pixels: rgba))
        #expect(Self.inkBox(transparent).height == 20 && Self.inkBox(transparent).width == 10)
        // White ink on transparent: laid on black.
        var white: [UInt8] = []
        for v in base.pixels { white += v == 0 ? [255, 255, 255, 255] : [255, 255, 255, 0] }
        #expect(try DigitPreprocessing.prepare(Image(width: 60, height: 40, channels: 4, pixels: white)) == grey)
    }

    @Test func aSmallDigitIsEnlargedAndALargeOneShrunk() throws {
        var small = [UInt8](repeating: 0, count: 12 * 12)
        for y in 3..<9 { small[y * 12 + 5] = 255; small[y * 12 + 6] = 255 }
        let enlarged = Self.inkBox(try DigitPreprocessing.prepare(Image(width: 12, height: 12, channels: 1, pixels: small)))
        #expect(enlarged.height == 20)
        let large = Self.inkBox(try DigitPreprocessing.prepare(Self.bar(ink: 255, paper: 0, width: 900, height: 700)))
        #expect(large.height == 20)
    }

    @Test func aBlankImageIsAnError() {
        #expect(throws: DigitPreprocessing.Failure.self) {
            try DigitPreprocessing.prepare(Image(width: 10, height: 10, channels: 1, pixels: [UInt8](repeating: 77, count: 100)))
        }
    }

    @Test func netpbmFilesOfEveryKindDecode() throws {
        let p2 = Array("P2\n# a comment\n3 2\n4\n0 1 2\n3 4 4\n".utf8)
        #expect(try PNM.decode(p2).pixels == [0, 64, 128, 191, 255, 255])
        let p5 = Array("P5 2 1 65535\n".utf8) + [0xff, 0xff, 0x80, 0x00]
        #expect(try PNM.decode(p5).pixels == [255, 128])
        let p6 = Array("P6\n1 1\n255\n".utf8) + [10, 20, 30]
        #expect(try PNM.decode(p6) == Image(width: 1, height: 1, channels: 3, pixels: [10, 20, 30]))
        let p3 = Array("P3 1 1 255 10 20 30".utf8)
        #expect(try PNM.decode(p3) == Image(width: 1, height: 1, channels: 3, pixels: [10, 20, 30]))
        let p1 = Array("P1\n3 1\n101".utf8)
        #expect(try PNM.decode(p1).pixels == [0, 255, 0])
        let p4 = Array("P4\n3 1\n".utf8) + [0b1010_0000]
        #expect(try PNM.decode(p4).pixels == [0, 255, 0])
    }

    @Test func malformedNetpbmFilesGetClearErrors() {
        func message(_ text: [UInt8]) -> String {
            do { _ = try PNM.decode(text, file: "x.pgm"); return "decoded" } catch { return error.description }
        }
        #expect(message(Array("P5 2 2 255\n".utf8) + [1, 2, 3]) == "x.pgm: malformed image: truncated: 3 bytes of pixels, expected 4")
        #expect(message(Array("P2 2 1 10 3 11".utf8)) == "x.pgm: malformed image: sample 1 is 11, over the maximum 10")
        #expect(message(Array("P2 2 1 0 0 0".utf8)) == "x.pgm: malformed image: maximum value 0 (expected 1 to 65535)")
        #expect(message(Array("P5 100000 100000 255\n".utf8)) == "x.pgm: malformed image: truncated: 0 bytes of pixels, expected 10000000000")
        #expect(message(Array("P2 2".utf8)) == "x.pgm: malformed image: the file ends before the height")
        #expect(message(Array("GIF89a".utf8)).hasPrefix("x.pgm: not an image this tool reads"))
    }
}
