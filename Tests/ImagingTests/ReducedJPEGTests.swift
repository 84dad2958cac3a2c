import Foundation
import Support
import Testing
@testable import Imaging

/// JPEG decoded at 1/2 and 1/4 of its size (what a photo is read at) against its oracles: the
/// exact inverse transform in double precision, averaged over each 2x2 or 4x4 group, for random
/// blocks; and, for whole files, the full-size decode averaged the same way.
@Suite struct ReducedJPEGTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/jpeg").path

    /// s(x, y) = 128 + 1/4 sum_u sum_v C(u) C(v) F(v, u) cos((2x+1) u pi/16) cos((2y+1) v pi/16),
    /// each side x side group's mean, rounded half away from zero and clamped to 0...255.
    static func naiveReduced(_ coefficients: [Int], side: Int) -> [UInt8] {
        var samples = [Double](repeating: 0, count: 64)
        for y in 0..<8 {
            for x in 0..<8 {
                var sum = 0.0
                for v in 0..<8 {
                    for u in 0..<8 {
                        let cu = u == 0 ? 1 / 2.0.squareRoot() : 1, cv = v == 0 ? 1 / 2.0.squareRoot() : 1
                        sum += cu * cv * Double(coefficients[v * 8 + u])
                            * cos(Double(2 * x + 1) * Double(u) * .pi / 16) * cos(Double(2 * y + 1) * Double(v) * .pi / 16)
                    }
                }
                samples[y * 8 + x] = sum / 4 + 128
            }
        }
        let k = 8 / side
        var out: [UInt8] = []
        for j in 0..<side {
            for i in 0..<side {
                var mean = 0.0
                for y in (j * k)..<(j * k + k) { for x in (i * k)..<(i * k + k) { mean += samples[y * 8 + x] } }
                out.append(UInt8(max(0, min(255, (mean / Double(k * k)).rounded()))))
            }
        }
        return out
    }

    @Test(arguments: [4, 2])
    func randomBlocksMatchTheExactTransformAveraged(side: Int) {
        var generator = SeededGenerator(seed: UInt64(side))
        var largest = 0
        for trial in 0..<2000 {
            // Sparse blocks as photos have them: a DC, and a few rows of frequencies (or none).
            var coefficients = [Int](repeating: 0, count: 64), rows: UInt8 = 1
            coefficients[0] = Int.random(in: -1024...1023, using: &generator)
            for _ in 0..<Int.random(in: 0...(trial % 3 == 0 ? 40 : 6), using: &generator) {
                let index = Int.random(in: 1..<64, using: &generator)
                coefficients[index] = Int.random(in: -300...300, using: &generator)
                rows |= 1 << UInt8(index >> 3)
            }
            let table = [Int](repeating: 1, count: 64)
            var target = [UInt8](repeating: 0, count: side * side)
            let columns = JPEG.Decoder.reducedColumns(side: side)
            let positions = (1..<64).filter { coefficients[$0] != 0 }.map { UInt8($0) }
            coefficients.withUnsafeBufferPointer { c in
                table.withUnsafeBufferPointer { t in
                    columns.withUnsafeBufferPointer { a in
                        positions.withUnsafeBufferPointer { p in
                            target.withUnsafeMutableBufferPointer { out in
                                JPEG.Decoder.reducedTransform(c.baseAddress!, table: t.baseAddress!, positions: p.baseAddress!, count: p.count,
                                                              rows: rows, columns: a.baseAddress!, side: side, into: out.baseAddress!, stride: side)
                            }
                        }
                    }
                }
            }
            let exact = Self.naiveReduced(coefficients, side: side)
            for (a, b) in zip(target, exact) { largest = max(largest, abs(Int(a) - Int(b))) }
        }
        print("reduced transform at 1/\(8 / side): largest difference from the exact transform averaged: \(largest) grey levels")
        #expect(largest <= 1)
    }

    /// Whole files through the grey reader's path (luminance only): each reduced sample within a
    /// few levels of the mean of the full-size samples it stands for (the full decode rounds each
    /// sample first, in libjpeg's fixed point), and within a level on average.
    @Test(arguments: ["baseline-420", "baseline-444", "grey", "restart-blocks"])
    func filesAtReducedSizeAreTheFullDecodeAveraged(name: String) throws {
        let bytes = try Files.read(Self.folder + "/" + name + ".jpg")
        var full = GreyPicture.Rows()
        try JPEG.decode(bytes, file: name, into: &full)
        let picture = full.takePicture()
        for scale in [2, 4] {
            var rows = GreyPicture.Rows()
            let width = (picture.width + scale - 1) / scale, height = (picture.height + scale - 1) / scale
            try JPEG.decode(bytes, file: name, into: &rows, maximumPixels: width * height)
            let reduced = rows.takePicture()
            try #require(reduced.width == width && reduced.height == height)
            var largest = 0, total = 0, count = 0
            for y in 0..<(picture.height / scale) {
                for x in 0..<(picture.width / scale) {
                    var sum = 0
                    for dy in 0..<scale { for dx in 0..<scale { sum += Int(picture[x * scale + dx, y * scale + dy]) } }
                    let difference = abs(Int(reduced[x, y]) * scale * scale - sum)
                    largest = max(largest, difference)
                    total += difference
                    count += scale * scale
                }
            }
            let mean = Double(total) / Double(count)
            print("\(name) at 1/\(scale): largest difference \(Double(largest) / Double(scale * scale)) levels, mean \(mean)")
            #expect(largest <= 3 * scale * scale && mean < 1)
        }
    }
}
