import CraftedImages
import Foundation
import Support
import Testing
@testable import Imaging

/// Valid-but-extreme pictures written by `CraftedImages`: each decoder ends every one of them in a
/// picture or an error, under the server's bounds, and never traps.
@Suite struct CraftedStreamTests {
    /// The server's bound on one decoded picture.
    static let serverBound = 56 << 20

    /// A DC difference of +2047 on each of 2.15 million blocks, a 16-bit table of 65535 in an
    /// 8-bit frame, and an AC coefficient of 32767 in every block: the predictor grew past 2^32
    /// and the inverse transform's products overflowed 64 bits (an arithmetic trap that took the
    /// server down). The predictor now runs round the 16-bit range, as libjpeg's does.
    @Test func aDCDifferenceOnEveryBlockDoesNotTrap() throws {
        var jpeg = CraftedJPEG(width: 16384, height: 8400, quantizationTables: [.uniform(65535)], blockCount: 2048 * 1050) { _ in
            CraftedJPEG.Block(dcDifference: 2047, ac: [(0, 32767)])
        }
        jpeg.favouredDC = [11]
        jpeg.favouredAC = [0x00, 0x0F]
        let bytes = jpeg.bytes()
        print("crafted stream: \(bytes.count) bytes, \(jpeg.blockCount) blocks")
        #expect(bytes.count < 12 << 20)
        // As the server and `lenet predict` read it: at 1/8 of its size, under the server's bound.
        let picture = try ImageFile.decodeGrey(bytes, file: "dc-run.jpg", maximumBytes: Self.serverBound)
        #expect(picture.width == 2048 && picture.height == 1050)
    }

    /// The DC coefficient is the predictor modulo 2^16, as libjpeg stores it (a 16-bit JCOEF): a
    /// predictor of 17 x 2047 = 34,799 is -30,737, a block at the darkest level, where an unbounded
    /// one gives the lightest. (Past the range a conforming encoder writes, decoders part ways:
    /// libjpeg-turbo's SIMD transform works in 16 bits and wraps again, giving 255, 0 and 127 in a
    /// cycle of eight blocks here under Pillow; this decoder computes in 64 bits and saturates.)
    @Test func thePredictorIsASixteenBitCoefficient() throws {
        let jpeg = CraftedJPEG(width: 8 * 20, height: 8, blockCount: 20) { _ in CraftedJPEG.Block(dcDifference: 2047) }
        let image = try JPEG.decode(jpeg.bytes(), file: "wrap.jpg")
        let levels = (0..<20).map { Int(image.pixels[8 * $0 + 4]) }
        // Each block's level is 128 + DC/8, clamped: 255 up to the 16th block, 0 from the 17th
        // (the predictor wrapped), then 255 again once it is back above -1024.
        #expect(levels[0] == 255 && levels[15] == 255)
        #expect(levels[16] == 0)
        #expect(levels == (1...20).map { k in
            let dc = Int(Int16(truncatingIfNeeded: 2047 * k))
            return max(0, min(255, 128 + (dc * 4 + 16) >> 5))
        })
    }

    /// Every coefficient at +-32767 under a 16-bit table of 65535, in each sampling and with every
    /// orientation: a picture of the right size.
    @Test(arguments: [0x11, 0x21, 0x22, 0x41, 0x44]) func maximalCoefficientsUnderSixteenBitTables(sampling: Int) throws {
        var jpeg = CraftedJPEG(width: 61, height: 47,
                               components: [.init(id: 1, horizontal: sampling >> 4, vertical: sampling & 15), .init(id: 2, quantizationTable: 1),
                                            .init(id: 3, quantizationTable: 1)],
                               quantizationTables: [.uniform(65535), .uniform(65535, id: 1)], blockCount: 0) { n in
            CraftedJPEG.Block(dcDifference: n % 2 == 0 ? 2047 : -2047, ac: (0..<63).map { (0, $0 % 2 == 0 ? 32767 : -32767) })
        }
        jpeg.blockCount = jpeg.blocksNeeded
        for orientation in [1, 6] {
            jpeg.orientation = orientation
            let image = try JPEG.decode(jpeg.bytes(), file: "extreme.jpg", maximumBytes: Self.serverBound)
            #expect(image.channels == 3 && [image.width, image.height].sorted() == [47, 61])
        }
    }

    /// A 65535x65535 frame with a few blocks of data: an error as soon as the data runs out, long
    /// before any time or memory is spent on the rest.
    @Test func aHugeFrameWithTinyDataEndsAtOnce() throws {
        let jpeg = CraftedJPEG(width: 65535, height: 65535, blockCount: 3) { _ in CraftedJPEG.Block(dcDifference: 5) }
        let start = MonotonicClock.now()
        #expect(throws: ImageFileError.self) { try ImageFile.decodeGrey(jpeg.bytes(), file: "huge.jpg", maximumBytes: Self.serverBound) }
        #expect(MonotonicClock.now() - start < 2)
    }

    /// Inputs the fuzz targets' generators make from random bytes, through the path the server takes
    /// (decoded to grey under its bound, then prepared as a digit): each ends in a value or an error.
    /// (`Fuzz/run.sh` runs the same generators for a million inputs each.)
    @Test(arguments: ["jpeg", "png", "pnm"]) func generatedPicturesEndInAValueOrAnError(kind: String) {
        var random = SeededGenerator(seed: 29)
        var decoded = 0, refused = 0
        for _ in 0..<400 {
            let choices = (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let bytes: [UInt8]
            switch kind {
            case "jpeg": bytes = CraftedJPEG.derived(from: choices).bytes()
            case "png": bytes = CraftedPNG.derived(from: choices).bytes()
            default: bytes = CraftedPNM.derived(from: choices).bytes()
            }
            do {
                let picture = try ImageFile.decodeGrey(bytes, file: "crafted", maximumBytes: Self.serverBound)
                _ = try? DigitPreprocessing.prepare(picture)
                decoded += 1
            } catch {
                refused += 1
            }
        }
        print("\(kind): \(decoded) decoded, \(refused) refused")
        #expect(decoded + refused == 400)
        #expect(decoded > 0 && refused > 0)
    }
}
