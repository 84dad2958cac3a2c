import Foundation
import Support
import Testing
@testable import Imaging

/// The JPEG decoder against Pillow's (libjpeg-turbo) pixels for the same files, made by
/// scripts/make_jpeg_fixtures.py: every sampling, grey, restart markers, every EXIF orientation;
/// and the files it must refuse with a clear error.
@Suite struct JPEGTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/jpeg").path

    func bytes(_ name: String) throws -> [UInt8] { try Files.read(Self.folder + "/" + name) }

    static let decodable = ["baseline-444", "baseline-422", "baseline-420", "grey", "restart-rows", "restart-blocks"]
        + (1...8).map { "orientation-\($0)" }

    @Test(arguments: decodable)
    func decodesAsPillowDoes(name: String) throws {
        let image = try JPEG.decode(try bytes(name + ".jpg"), file: name + ".jpg")
        let size = String(decoding: try bytes(name + ".size"), as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect([image.width, image.height, image.channels] == size)
        let reference = try bytes(name + (size[2] == 1 ? ".grey" : ".rgb"))
        #expect(image.pixels.count == reference.count)
        let differences = zip(image.pixels, reference).map { abs(Int($0) - Int($1)) }
        let largest = differences.max() ?? 0
        let mean = Double(differences.reduce(0, +)) / Double(max(differences.count, 1))
        print("\(name): \(image.width)x\(image.height)x\(image.channels), largest difference from Pillow \(largest), mean \(String(format: "%.3f", mean))")
        #expect(largest <= 2)  // 0 on every file when written: the same integer IDCT, upsampling and colour conversion
    }

    @Test func imageFilesAreRecognisedByTheirFirstBytes() throws {
        let image = try ImageFile.decode(try bytes("baseline-420.jpg"), file: "x.jpg")
        #expect(image.width == 61 && image.height == 47 && image.channels == 3)
        let grey = try ImageFile.decodeGrey(try bytes("grey.jpg"), file: "grey.jpg")
        #expect(grey.width == 61 && grey.height == 47)
    }

    @Test func refusesWhatItDoesNotDecodeByName() throws {
        #expect {
            try JPEG.decode(try bytes("progressive.jpg"), file: "progressive.jpg")
        } throws: { "\($0)".contains("progressive.jpg") && "\($0)".contains("progressive JPEG") && "\($0)".contains("not supported") }
        #expect {
            try JPEG.decode(try bytes("truncated.jpg"), file: "truncated.jpg")
        } throws: { "\($0)".contains("truncated.jpg") && "\($0)".contains("truncated") }
        // A corrupted scan: an error naming the file, or a picture of the right size (JPEG data has
        // no checksum, so some corruptions decode to noise, as in every decoder); never a crash.
        do {
            let image = try JPEG.decode(try bytes("corrupt.jpg"), file: "corrupt.jpg")
            #expect(image.width == 61 && image.height == 47)
        } catch {
            #expect("\(error)".contains("corrupt.jpg"))
        }
        #expect(throws: ImageFileError.self) { try JPEG.decode([0xFF, 0xD8, 0xFF, 0xD9], file: "empty.jpg") }
        // Found by the fuzzer (over 5 s there): a 65218-pixel-wide frame decoded scan after scan (each
        // component may be in one scan only), and a 1,827-byte file claiming a 5441x39321 frame,
        // decoded from zero bits after its data ran out (2.7 s). Both end at once with an error now.
        #expect {
            try JPEG.decode(try bytes("fuzz-slow-wide.jpg"), file: "wide.jpg", maximumBytes: 56 << 20)
        } throws: { "\($0)".contains("wide.jpg") && ("\($0)".contains("second scan") || "\($0)".contains("image data ends")) }
        // (Read as a photo, at 1/8 of its size: 4,916 rows of blocks, of which the first is where it stops.)
        #expect {
            try ImageFile.decodeGrey(try bytes("fuzz-slow-tall.jpg"), file: "tall.jpg", maximumBytes: 56 << 20)
        } throws: { "\($0)".contains("tall.jpg") && "\($0)".contains("the image data ends in MCU row 1 of 4916") }
        // A component in two scans would have the picture decoded twice: refused.
        var twice = try bytes("grey.jpg")
        let scanStart = try #require((0..<(twice.count - 1)).first { twice[$0] == 0xFF && twice[$0 + 1] == 0xDA })
        let end = twice.count - 2
        twice = Array(twice[0..<end]) + Array(twice[scanStart..<end]) + [0xFF, 0xD9]
        #expect {
            try JPEG.decode(twice, file: "twice.jpg")
        } throws: { "\($0)".contains("twice.jpg") && "\($0)".contains("second scan") }
    }

    /// A phone-sized photo (4000x3000, EXIF: turned a quarter) read for a digit: decoded at an eighth
    /// of its size (each block's DC alone), upright, within the server's 56 MB bound; at full size it
    /// would not fit.
    @Test func aTwelveMegapixelPhotoIsReadAtAReducedSize() throws {
        let data = try bytes("photo-12mp.jpg")
        let picture = try ImageFile.decodeGrey(data, file: "photo.jpg", maximumBytes: 56 << 20)
        #expect(picture.width == 375 && picture.height == 500)
        // The ink (blue, dark) is where the quarter turn puts it: stored at x 2300-3100, y 900.
        let stroke: UInt8 = picture[picture.width - 1 - 900 / 8, 2300 / 8 + 25]
        let paper: UInt8 = picture[100, 100]
        #expect(stroke < 102 && paper > 204)
        #expect(throws: ImageFileError.self) { try JPEG.decode(data, file: "photo.jpg", maximumBytes: 56 << 20) }
        let full = try JPEG.decode(data, file: "photo.jpg")
        #expect(full.width == 3000 && full.height == 4000)
    }

    /// The header's size is checked against the limit before any plane is allocated.
    @Test func aHugeHeaderIsRefusedBeforeDecoding() throws {
        var data = try bytes("baseline-420.jpg")
        let frame = try #require((0..<(data.count - 1)).first { data[$0] == 0xFF && data[$0 + 1] == 0xC0 })
        // Height and width at 60000 x 60000.
        data[frame + 5] = 0xEA; data[frame + 6] = 0x60; data[frame + 7] = 0xEA; data[frame + 8] = 0x60
        #expect {
            try JPEG.decode(data, file: "huge.jpg", maximumBytes: 100 << 20)
        } throws: { "\($0)".contains("huge.jpg") && "\($0)".contains("60000x60000") }
    }

    /// Every prefix of a file, and random byte flips: an error or a picture, never a crash or a hang.
    @Test func everyPrefixAndManyFlipsFailCleanly() throws {
        let data = try bytes("restart-blocks.jpg")
        for end in stride(from: 0, to: data.count, by: 7) {
            _ = try? JPEG.decode(Array(data[0..<end]), file: "prefix.jpg")
        }
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<300 {
            var copy = data
            for _ in 0..<3 { copy[generator.nextIndex(below: copy.count)] = UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? JPEG.decode(copy, file: "flipped.jpg")
        }
    }
}
