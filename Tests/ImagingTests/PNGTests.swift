import Foundation
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

/// The standard's corner cases, from files written by scripts/make_png_fixtures.py (an encoder
/// written from the specification in Python, each file checked against Pillow's decoder).
@Suite struct PNGStandardTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/png").path

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".png") }.sorted()
    }

    /// An image as 8-bit RGBA.
    static func rgba(_ image: Image) -> [UInt8] {
        var out: [UInt8] = []
        for n in 0..<(image.width * image.height) {
            let p = Array(image.pixels[(n * image.channels)..<((n + 1) * image.channels)])
            switch image.channels {
            case 1: out += [p[0], p[0], p[0], 255]
            case 2: out += [p[0], p[0], p[0], p[1]]
            case 3: out += p + [255]
            default: out += p
            }
        }
        return out
    }

    @Test func everyColourTypeBitDepthAndInterlacingIsCovered() {
        let names = Self.names
        #expect(names.count >= 37)
        for colourDepth in ["c0d1", "c0d2", "c0d4", "c0d8", "c0d16", "c2d8", "c2d16", "c3d1", "c3d2", "c3d4", "c3d8",
                            "c4d8", "c4d16", "c6d8", "c6d16"] {
            #expect(names.contains(colourDepth + "n.png") && names.contains(colourDepth + "i.png"), "\(colourDepth)")
        }
    }

    @Test(arguments: PNGStandardTests.names)
    func decodesToTheExpectedPixels(name: String) throws {
        let path = (Self.folder as NSString).appendingPathComponent(name)
        let image = try PNG.decode(try Files.read(path), file: name)
        let expected = try Files.read(String(path.dropLast(4)) + ".rgba")
        #expect(image.width * image.height * 4 == expected.count)
        let decoded = Self.rgba(image)
        let differences = zip(decoded, expected).filter { $0 != $1 }.count
        #expect(differences == 0, "\(name): \(differences) samples differ")
    }

    /// A valid file's chunks, to rebuild corrupted variants with correct CRCs.
    static func chunks(_ bytes: [UInt8]) -> [(type: String, data: [UInt8])] {
        var result: [(String, [UInt8])] = []
        var position = 8
        while position + 12 <= bytes.count {
            let length = Int(bytes[position]) << 24 | Int(bytes[position + 1]) << 16 | Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            result.append((String(decoding: bytes[(position + 4)..<(position + 8)], as: UTF8.self), Array(bytes[(position + 8)..<(position + 8 + length)])))
            position += 12 + length
        }
        return result
    }

    static func assemble(_ chunks: [(type: String, data: [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
        for chunk in chunks {
            let n = UInt32(chunk.data.count)
            bytes += [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
            let body = Array(chunk.type.utf8) + chunk.data
            let crc = Zlib.crc32(body)
            bytes += body + [UInt8(crc >> 24), UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 8), UInt8(truncatingIfNeeded: crc)]
        }
        return bytes
    }

    static func message(_ bytes: [UInt8]) -> String {
        do {
            _ = try PNG.decode(bytes, file: "bad.png")
            return "decoded"
        } catch {
            return error.description
        }
    }

    @Test func corruptFilesGetErrorsThatSayWhat() throws {
        let valid = try Files.read((Self.folder as NSString).appendingPathComponent("c3d4n_trns.png"))
        let chunks = Self.chunks(valid)
        func with(_ edit: (inout [(type: String, data: [UInt8])]) -> Void) -> String {
            var copy = chunks
            edit(&copy)
            return Self.message(Self.assemble(copy))
        }
        func header(_ at: Int, _ value: UInt8) -> String {
            with { c in c[0].data[at] = value }
        }
        #expect(Self.message(valid) == "decoded")
        #expect(header(8, 3) == "bad.png: corrupt PNG: bit depth 3 with colour type 3 (allowed: 1, 2, 4, 8)")
        #expect(header(9, 5) == "bad.png: corrupt PNG: colour type 5 (expected 0, 2, 3, 4 or 6)")
        #expect(header(12, 2) == "bad.png: corrupt PNG: interlace method 2 (expected 0 or 1)")
        #expect(header(10, 1) == "bad.png: corrupt PNG: compression method 1 (expected 0)")
        // A header claiming 65535 x 65535 pixels is refused before any allocation, by the bytes the
        // pixels would take (a palette image: RGB, 3 bytes a pixel), whatever the limit.
        #expect(with { c in c[0].data[0..<8] = [0, 0, 255, 255, 0, 0, 255, 255] } == "bad.png: the picture is 65535x65535 pixels; decoding it would take 12287 MB, over the limit of 1024 MB")
        #expect(throws: PNGError.tooLarge(PictureTooLarge(file: "x.png", width: 9, height: 7, bytes: 252, limit: 200))) {
            try PNG.decode(valid, file: "x.png", maximumBytes: 200)  // 9x7 RGBA with its tRNS: 252 bytes
        }
        #expect(with { c in c.removeAll { $0.type == "PLTE" } } == "bad.png: corrupt PNG: a palette image without a PLTE chunk")
        #expect(with { c in c.removeAll { $0.type == "IDAT" } } == "bad.png: corrupt PNG: no IDAT chunk")
        #expect(with { c in c.swapAt(0, 1) } == "bad.png: corrupt PNG: the first chunk is tEXt, expected IHDR")
        #expect(with { c in c[c.firstIndex { $0.type == "PLTE" }!].data.removeLast(6) }.hasPrefix("bad.png: corrupt PNG: pixel "))
        #expect(with { c in c.insert(("abCD", [1, 2]), at: 1) } == "decoded")
        #expect(with { c in c.insert(("ABCD", [1, 2]), at: 1) } == "bad.png: unsupported PNG: critical chunk ABCD")
        #expect(with { c in c[c.firstIndex { $0.type == "IDAT" }!].data = [0x78, 0x9c, 1, 2, 3] }.hasPrefix("bad.png: corrupt PNG: "))
        // Too little image data: a 9x7 header over a smaller image's data.
        #expect(with { c in c[0].data[7] = 8 } == "bad.png: corrupt PNG: image data has 42 bytes, expected 48")
        var flipped = valid
        let idat = (8..<(valid.count - 4)).first { Array(valid[$0..<($0 + 4)]) == Array("IDAT".utf8) }!
        flipped[idat + 6] ^= 0x55
        #expect(Self.message(flipped).hasPrefix("bad.png: corrupt PNG (CRC mismatch in the "))
        for cut in [7, 8, 20, 33, valid.count - 13, valid.count - 1] {
            let message = Self.message(Array(valid.prefix(cut)))
            #expect(message.contains("bad.png") && (message.contains("truncated") || message.contains("not a PNG")), "cut at \(cut): \(message)")
        }
    }

    @Test func palettePixelsOutsideThePaletteAreCaught() throws {
        // An 8-bit palette image whose pattern uses indices up to 10, with the palette cut to 4 entries.
        let valid = try Files.read((Self.folder as NSString).appendingPathComponent("c3d8n.png"))
        var chunks = Self.chunks(valid)
        let index = chunks.firstIndex { $0.type == "PLTE" }!
        chunks[index].data = Array(chunks[index].data.prefix(12))
        #expect(Self.message(Self.assemble(chunks)).hasPrefix("bad.png: corrupt PNG: pixel "))
    }
}
