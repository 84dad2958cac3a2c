import Foundation
import Testing
@testable import Imaging
import Support

/// Decoding is bounded by bytes, streams row by row, and allocates nothing picture-sized before the
/// data that fills it has arrived.
@Suite struct DecodingBoundsTests {
    /// A sink that keeps nothing and counts what it was given.
    struct CountingRows: PixelRowSink {
        static func bytesPerPixel(channels: Int) -> Int { 0 }
        var began = false, rows = 0, samples = 0
        mutating func begin(width: Int, height: Int, channels: Int) { began = true }
        mutating func append(row: UnsafeBufferPointer<UInt8>) { rows += 1; samples += row.count }
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
        return be(UInt32(data.count)) + body + be(Zlib.crc32(body))
    }

    /// A 4096x4096 16-bit RGBA header (128 MB of raw rows) over a stream of `rows` rows, cut short.
    static func hugeHeaderShortStream(rows: Int) throws -> [UInt8] {
        let stride = 4096 * 8 + 1
        let stream = try Zlib.deflate([UInt8](repeating: 0, count: stride * rows))
        return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
            + chunk("IHDR", [0, 0, 16, 0, 0, 0, 16, 0, 16, 6, 0, 0, 0])
            + chunk("IDAT", Array(stream.prefix(stream.count - 8)))  // the stream's end is cut off
            + chunk("IEND", [])
    }

    @Test func aTruncatedStreamUnderAHugeHeaderDeliversOnlyTheRowsThatArrived() throws {
        var sink = CountingRows()
        #expect(throws: PNGError.self) { try PNG.decode(try Self.hugeHeaderShortStream(rows: 3), file: "x.png", into: &sink) }
        #expect(sink.began)
        #expect(sink.rows <= 3)
    }

    @Test func theByteLimitCountsTheSinksBytesPerPixel() throws {
        let picture = try PNG.encode(Image(width: 100, height: 100, channels: 3, pixels: [UInt8](repeating: 9, count: 30_000)))
        // Kept as RGB: 30,000 bytes; as grey levels: 40,000 (4 a pixel).
        #expect(throws: Never.self) { try PNG.decode(picture, file: "x.png", maximumBytes: 30_000) }
        #expect(throws: (any Error).self) { try ImageFile.decodeGrey(picture, file: "x.png", maximumBytes: 39_999) }
        #expect(throws: Never.self) { try ImageFile.decodeGrey(picture, file: "x.png", maximumBytes: 40_000) }
        // A Netpbm header alone is refused for its missing data, before anything is kept.
        #expect(throws: ImageFileError.malformed(file: "x.ppm", reason: "truncated: 0 bytes of pixels, expected 50331648")) {
            try PNM.decode(Array("P6 4096 4096 255\n".utf8), file: "x.ppm")
        }
    }

    @Test func buffersAreReservedOnceAndNeverPassThePicturesSize() {
        var array: [UInt8] = []
        #expect(array.capacity == 0)
        var reserved = 0
        for row in 0..<1000 {
            reserveWholePicture(&array, adding: 3_001, total: 3_001_000)
            array.append(contentsOf: repeatElement(0, count: 3_001))
            if row == 0 { reserved = array.capacity }
            // Once, at the first row: the picture's size (rounded up to the allocator's page at most),
            // never moved or grown after.
            #expect(array.capacity == reserved)
        }
        #expect(reserved >= 3_001_000 && reserved <= 3_001_000 + 4096)
        #expect(array.count == 3_001_000)
    }

    /// Every fixture of the PNG suite, decoded straight to grey levels row by row, gives exactly the
    /// grey levels of its whole 8-bit decode (alpha, palettes, 16 bits and interlacing included).
    @Test(arguments: PNGStandardTests.names)
    func streamingGreyEqualsTheWholeImagesGrey(name: String) throws {
        let bytes = try Files.read((PNGStandardTests.folder as NSString).appendingPathComponent(name))
        let whole = GreyPicture(try PNG.decode(bytes, file: name))
        let streamed = try ImageFile.decodeGrey(bytes, file: name)
        #expect(streamed == whole)
        #expect((try? DigitPreprocessing.prepare(streamed)) == (try? DigitPreprocessing.prepare(whole)))
    }
}
