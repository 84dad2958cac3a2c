import Support

/// Choices read from a fuzzer's bytes (zeros once they run out), so that every input names one
/// crafted picture and libFuzzer's mutations move between neighbouring ones.
public struct Choices {
    let bytes: [UInt8]
    var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func byte() -> Int {
        defer { position += 1 }
        return position < bytes.count ? Int(bytes[position]) : 0
    }

    public mutating func word() -> Int { (byte() << 8) | byte() }

    public mutating func pick<T>(_ options: [T]) -> T { options[byte() % options.count] }

    /// One of `valid`, or one in sixteen times one of `rarely` (so that most inputs stay valid
    /// and reach the deeper code, and each wrong field is still tried).
    public mutating func pick<T>(_ valid: [T], rarely: [T]) -> T {
        byte() % 16 == 0 && !rarely.isEmpty ? pick(rarely) : pick(valid)
    }

    public mutating func chance(_ inSixteen: Int) -> Bool { byte() % 16 < inSixteen }

    /// A seeded generator for the parts too long to spell out byte by byte.
    public mutating func generator() -> SeededGenerator { SeededGenerator(seed: UInt64(word()) << 16 | UInt64(word())) }
}

extension CraftedJPEG {
    /// The stream a fuzzer's bytes name: sizes from one pixel to 65535 (and 0), one to four
    /// components sampled 1-4 (and out of range), 8- and 16-bit tables of 0, 1, 255, 256, 65535 or
    /// noise, restart intervals, orientations, and up to 4,096 blocks whose DC differences run to
    /// the extremes in one direction or both and whose AC coefficients reach +-32767, cut short or not.
    public static func derived(from bytes: [UInt8]) -> CraftedJPEG {
        var c = Choices(bytes)
        let sizes = [1, 2, 7, 8, 9, 16, 17, 61, 64, 255, 640, 4032, 16384, 65535]
        let width = c.chance(12) ? 1 + c.byte() : c.pick(sizes, rarely: [0])
        let height = c.chance(12) ? 1 + c.byte() : c.pick(sizes, rarely: [0])
        let componentCount = c.pick([1, 3], rarely: [2, 4, 0])
        var components: [CraftedJPEG.Component] = []
        for k in 0..<componentCount {
            let sampling = c.pick([0x11, 0x11, 0x22, 0x21, 0x12, 0x44, 0x41, 0x14, 0x31], rarely: [0x00, 0x55, 0x10])
            components.append(.init(id: k + 1, horizontal: k == 0 ? sampling >> 4 : (c.chance(12) ? 1 : sampling >> 4),
                                    vertical: k == 0 ? sampling & 15 : (c.chance(12) ? 1 : sampling & 15),
                                    quantizationTable: c.pick([min(k, 1)], rarely: [0, 1, 2, 3, 4])))
        }
        var tables: [CraftedJPEG.QuantizationTable] = []
        for id in 0..<(1 + c.byte() % 4) {
            let kind = c.byte() % 8
            var random = c.generator()
            let values: [Int] = (0..<64).map { _ in
                switch kind {
                case 0: return 1
                case 1: return 255
                case 2: return 65535
                case 3: return 256
                case 4: return 0
                case 5: return Int(random.next() % 256)
                default: return Int(random.next() % 65536)
                }
            }
            tables.append(.init(id: id, sixteenBit: values.contains { $0 > 255 } || c.chance(2), values: values))
        }
        // The blocks: a DC pattern and an AC pattern, both seeded.
        let dcMode = c.byte() % 7, acMode = c.byte() % 6, seed = UInt64(c.word())
        let dcStep = c.pick([2047, 1023, 1], rarely: [2048, 4095])
        var jpeg = CraftedJPEG(width: width, height: height, components: components, quantizationTables: tables,
                               blockCount: 0, block: { n in
            var random = SeededGenerator(seed: seed &+ UInt64(n))
            let dc: Int
            switch dcMode {
            case 0: dc = dcStep
            case 1: dc = -dcStep
            case 2: dc = n % 2 == 0 ? dcStep : -dcStep
            case 3: dc = 0
            case 4: dc = n % 64 < 32 ? dcStep : -dcStep
            default: dc = Int(random.next() % 4095) - 2047
            }
            var ac: [(run: Int, value: Int)] = []
            switch acMode {
            case 1: ac = [(0, 32767)]
            case 2: ac = (0..<63).map { (0, $0 % 2 == 0 ? 32767 : -32767) }
            case 3:
                var k = 1
                for _ in 0..<Int(random.next() % 12) {
                    let run = Int(random.next() % 6)
                    guard k + run <= 63 else { break }
                    ac.append((run, Int(random.next() % 65535) - 32767))
                    k += run + 1
                }
            case 4: ac = [(62, -32767), (0, 1), (3, 5)]  // past the block's end
            case 5: ac = [(20, 1000), (40, -1000)]        // ZRL codes
            default: break
            }
            return Block(dcDifference: dc, ac: ac)
        })
        jpeg.frameMarker = c.pick([0xC0, 0xC1], rarely: [0xC2, 0xC3, 0xC9])
        jpeg.precision = c.pick([8], rarely: [12, 16, 0])
        jpeg.restartInterval = c.pick([0, 0, 0, 1, 2, 7, c.byte()])
        jpeg.orientation = c.chance(4) ? c.pick([1, 3, 6, 8, 0, 9]) : nil
        jpeg.favouredDC = [c.byte() % 16, c.byte() % 16]
        jpeg.favouredAC = [0, c.byte()]
        let needed = jpeg.blocksNeeded
        jpeg.blockCount = min(4096, c.pick([needed, needed, needed / 2], rarely: [1, 0, c.byte() + 1]))
        jpeg.truncateData = c.pick([0], rarely: [1, 2, 7, 100])
        return jpeg
    }
}

extension CraftedPNG {
    /// The file a fuzzer's bytes name: sizes from one pixel to 2^31 - 1 (and 0), every bit depth
    /// and colour type (and invalid ones), interlaced or not, palettes and transparency of any
    /// length, every filter (and invalid ones) with extreme samples, at most 256 KB of rows (so a huge
    /// header gets tiny data), up to 1 MB of extra data past the rows, split or broken chunks.
    public static func derived(from bytes: [UInt8]) -> CraftedPNG {
        var c = Choices(bytes)
        let sizes: [UInt32] = [1, 2, 3, 7, 8, 9, 33, 280, 4096, 65535, 1 << 20, 0x7FFF_FFFF]
        let width = c.chance(12) ? UInt32(1 + c.byte()) : c.pick(sizes, rarely: [0x8000_0000, 0])
        let height = c.chance(12) ? UInt32(1 + c.byte()) : c.pick(sizes, rarely: [0x8000_0000, 0])
        let colourType: UInt8 = c.pick([0, 2, 3, 4, 6], rarely: [1, 5, 7])
        let depths: [UInt8: [UInt8]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        var png = CraftedPNG(width: width, height: height, bitDepth: c.pick(depths[colourType] ?? [8], rarely: [0, 3, 32]),
                             colourType: colourType)
        png.interlace = c.pick([0, 1], rarely: [2])
        if c.chance(1) { png.compressionMethod = 1 }
        if c.chance(1) { png.filterMethod = 1 }
        if png.colourType == 3 || c.chance(2) {
            let entries = c.pick([2, 16, 256], rarely: [1, 0, 257])
            png.palette = (0..<(3 * entries + (c.chance(2) ? 1 : 0))).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        }
        if c.chance(5) {
            let fitting = png.colourType == 0 ? 2 : png.colourType == 2 ? 6 : 1 + c.byte() % max((png.palette?.count ?? 3) / 3, 1)
            png.transparency = [UInt8](repeating: 0x80, count: c.pick([fitting], rarely: [1, 2, 6, 16, 256, 300, 0]))
        }
        if c.chance(3) { png.otherChunks.append((c.pick(["tEXt", "ABCD", "IHDR", "gAMA", "IDAT"]), [UInt8](repeating: 1, count: c.byte()))) }
        let filterMode = c.pick([0, 1, 2, 3], rarely: [4]), sampleMode = c.byte() % 5
        var random = c.generator()
        var noise = c.generator()
        let rowBytes = png.rowBytes(columns: Int(min(png.width, 1 << 24)))
        let rowLimit = min(c.pick([Int.max], rarely: [1, 2, 0, c.byte()]), (256 << 10) / max(rowBytes + 1, 1))
        if rowBytes <= 256 << 10 {
            png.fillRows(rowLimit: rowLimit, filter: { row in
                switch filterMode {
                case 0: return 0
                case 1: return UInt8(row % 5)
                case 2: return UInt8(random.next() % 5)
                case 3: return 4
                default: return UInt8(truncatingIfNeeded: 5 + random.next() % 251)
                }
            }, sample: { row, index in
                switch sampleMode {
                case 0: return 0
                case 1: return 255
                case 2: return (row + index) % 2 == 0 ? 255 : 0
                case 3: return 0x80
                default: return UInt8(truncatingIfNeeded: noise.next())
                }
            })
        }
        if c.chance(3) { png.scanlines += [UInt8](repeating: 0, count: c.pick([1, 1000, 256 << 10, 1 << 20])) }
        png.level = c.pick([1, 6, 0], rarely: [9])
        png.dataChunks = c.pick([1, 1, 2, 7], rarely: [1 << 20])
        if c.chance(1) {
            var garbage = c.generator()
            png.compressed = (0..<c.byte()).map { _ in UInt8(truncatingIfNeeded: garbage.next()) }
        }
        png.corruptCRC = c.chance(1)
        png.omitEnd = c.chance(1)
        return png
    }
}

extension CraftedPNM {
    /// The file a fuzzer's bytes name: every magic (and wrong ones), sizes and maximum values from
    /// zero to past any integer, comments and odd whitespace, at most 256 KB of raw or ASCII samples
    /// at the extremes (and past the maximum), complete or cut short.
    public static func derived(from bytes: [UInt8]) -> CraftedPNM {
        var c = Choices(bytes)
        let magic = c.pick(["P5", "P6", "P2", "P3", "P1", "P4"], rarely: ["P7", "P", "P0"])
        let numbers = ["1", "2", "28", "255", "65535", "100000", "00028"]
        let wrong = ["0", "99999999999999999999999", "-1", "1e3", ""]
        let width = c.chance(12) ? String(1 + c.byte()) : c.pick(numbers, rarely: wrong)
        let height = c.chance(12) ? String(1 + c.byte()) : c.pick(numbers, rarely: wrong)
        let maximum = ["P1", "P4"].contains(magic) ? nil : c.pick(["255", "255", "65535", "1", "256", "00255"], rarely: ["0", "65536", "x"])
        var pnm = CraftedPNM(magic: magic, width: width, height: height, maximum: maximum)
        pnm.separator = c.pick(["\n", " ", "\t", "\n# a comment\n", " \r\n"], rarely: ["#", "#\n"])
        let channels = ["P3", "P6"].contains(magic) ? 3 : 1
        let wide = ["P5", "P6", "P2", "P3"].contains(magic) && (Int(maximum ?? "") ?? 0) > 255 ? 2 : 1
        let ascii = ["P1", "P2", "P3"].contains(magic)
        let needed = (Int(width) ?? 1).multipliedReportingOverflow(by: (Int(height) ?? 1) * channels * wide)
        let count = min(needed.overflow ? 256 << 10 : max(needed.partialValue, 0), 256 << 10) / c.pick([1], rarely: [2, 1 << 20])
        let sampleMode = c.pick([0, 1, 3], rarely: [2])
        var random = c.generator()
        if ascii {
            var text = ""
            for n in 0..<min(count, 1 << 17) {
                switch sampleMode {
                case 0: text += "0 "
                case 1: text += (maximum ?? "1") + "\n"
                case 2: text += n % 7 == 0 ? "99999999999999999999 " : "1\t"
                default: text += String(random.next() % 70000) + " "
                }
            }
            pnm.data = Array(text.utf8)
        } else {
            pnm.data = (0..<count).map { n in
                switch sampleMode {
                case 0: return 0
                case 1: return 255
                case 2: return n % 2 == 0 ? 255 : 0
                default: return UInt8(truncatingIfNeeded: random.next())
                }
            }
        }
        return pnm
    }
}
