import Testing
@testable import Imaging
import Support

@Suite struct PNGTests {
    static func pattern(width: Int, height: Int, channels: Int) -> Image {
        let pixels = (0..<(width * height * channels)).map { i -> UInt8 in
            let x = (i / channels) % width, y = (i / channels) / width, c = i % channels
            return UInt8(truncatingIfNeeded: x * 9 + y * 5 + c * 60 + (x * y) % 7)
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    @Test(arguments: [(28, 28, 1), (1, 1, 1), (13, 5, 2), (7, 9, 3), (32, 3, 4)])
    func encodedImagesDecodeToTheSamePixels(width: Int, height: Int, channels: Int) throws {
        let image = Self.pattern(width: width, height: height, channels: channels)
        let bytes = try PNG.encode(image)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
        #expect(try PNG.decode(bytes) == image)
    }

    @Test func chunksAreWellFormed() throws {
        let bytes = try PNG.encode(Self.pattern(width: 28, height: 28, channels: 1))
        // IHDR right after the signature, 13 bytes: width 28, height 28, depth 8, grey, no interlace.
        #expect(Array(bytes[8..<16]) == [0, 0, 0, 13] + Array("IHDR".utf8))
        #expect(Array(bytes[16..<29]) == [0, 0, 0, 28, 0, 0, 0, 28, 8, 0, 0, 0, 0])
        #expect(Array(bytes.suffix(12)) == [0, 0, 0, 0] + Array("IEND".utf8) + [0xae, 0x42, 0x60, 0x82])
    }

    @Test func corruptAndTruncatedFilesGetClearErrors() throws {
        let bytes = try PNG.encode(Self.pattern(width: 20, height: 20, channels: 1))
        #expect(throws: PNGError.notPNG(file: "x.png")) { try PNG.decode(Array("GIF89a..".utf8), file: "x.png") }
        var flipped = bytes
        flipped[45] ^= 0xff
        #expect(throws: PNGError.badCRC(file: "x.png", chunk: "IDAT")) { try PNG.decode(flipped, file: "x.png") }
        #expect(throws: PNGError.truncated(file: "x.png", chunk: "IDAT")) { try PNG.decode(Array(bytes.prefix(60)), file: "x.png") }
    }
}
