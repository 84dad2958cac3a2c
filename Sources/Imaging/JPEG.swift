import Foundation

/// Baseline JPEG (ITU-T T.81, sequential DCT with Huffman coding, 8-bit samples): greyscale and
/// YCbCr, any sampling factors up to 4 (4:4:4, 4:2:2, 4:2:0, ...), restart markers, interleaved or
/// not, and the EXIF orientation (the picture comes out upright). Progressive, lossless, 12-bit and
/// arithmetic-coded files are refused by name. Colour is upsampled as libjpeg's default ("fancy",
/// triangular) and converted with JFIF's YCbCr formulas, so the pixels match Pillow's within a grey
/// level or two (the same integer inverse DCT and colour conversion as libjpeg's: on the test files, identical).
///
/// Memory: the component planes (one byte a sample) are kept until the end, then rows go to the sink;
/// the limit is checked from the header before any of it is allocated.
public enum JPEG {
    /// The first two bytes of every JPEG file: the SOI marker.
    public static let signature: [UInt8] = [0xFF, 0xD8]

    /// Decodes a baseline or extended (Huffman-coded, 8-bit) JPEG whole, upright, to grey or RGB; refuses it before
    /// decoding when its pixels would take more than `maximumBytes`. `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String = "(JPEG data)",
                              maximumBytes: Int = defaultMaximumDecodedBytes) throws(ImageFileError) -> Image {
        var rows = ImageRows()
        try decode(bytes, file: file, into: &rows, maximumBytes: maximumBytes)
        return rows.image
    }

    /// With `maximumPixels`, a larger picture is decoded at 1/2, 1/4 or 1/8 of its size (the first
    /// that fits; each 8x8 block's samples averaged in 2x2, 4x4 or 8x8 groups), as a phone's 12-
    /// megapixel photo needs for reading a digit: less memory, and the same picture.
    public static func decode<Sink: PixelRowSink>(_ bytes: [UInt8], file: String, into sink: inout Sink,
                                                  maximumBytes: Int = defaultMaximumDecodedBytes,
                                                  maximumPixels: Int? = nil) throws(ImageFileError) {
        var decoder = Decoder(bytes: bytes, file: file, maximumBytes: maximumBytes, bytesPerPixel: { Sink.bytesPerPixel(channels: $0) })
        decoder.maximumPixels = maximumPixels
        decoder.greyOnly = Sink.prefersLuminance
        try decoder.run()
        try decoder.emit(into: &sink)
    }

    struct Component {
        var id: Int
        var horizontal: Int
        var vertical: Int
        var table: Int
        /// Blocks across and down, covering whole MCUs.
        var blocksWide = 0, blocksHigh = 0
        var dcTable = 0, acTable = 0
        /// Whether a scan has carried it: in a sequential JPEG each component is in exactly one scan
        /// (so a file cannot make the decoder go over the picture again and again).
        var scanned = false
    }

    /// A Huffman table as T.81's Annex C builds it: for each code length, the largest code and the
    /// offset of its first symbol; plus a lookup of the first 9 bits for the short codes.
    final class HuffmanTable {
        // (Constants once made, so that reading them needs no exclusivity checks.)
        let symbols: [UInt8]
        let maximumCode: [Int]
        let offset: [Int]
        /// For a 9-bit prefix: (length << 8) | symbol, or 0 when the code is longer (512 entries,
        /// owned by the table, read without bounds checks: the index is 9 bits).
        let fast: UnsafeMutablePointer<UInt16>
        let defined: Bool

        init() {
            symbols = []
            maximumCode = [Int](repeating: -1, count: 18)
            offset = [Int](repeating: 0, count: 17)
            fast = .allocate(capacity: 512)
            fast.initialize(repeating: 0, count: 512)
            defined = false
        }

        deinit { fast.deallocate() }

        init(counts: [Int], symbols: [UInt8]) {
            var maximumCode = [Int](repeating: -1, count: 18)
            var offset = [Int](repeating: 0, count: 17)
            var fast = [UInt16](repeating: 0, count: 512)
            var code = 0, k = 0
            for length in 1...16 {
                offset[length] = k - code
                for _ in 0..<counts[length - 1] {
                    if length <= 9 {
                        let shift = 9 - length
                        for fill in 0..<(1 << shift) { fast[(code << shift) | fill] = UInt16(length << 8) | UInt16(symbols[k]) }
                    }
                    code += 1
                    k += 1
                }
                maximumCode[length] = counts[length - 1] > 0 ? code - 1 : -1
                code <<= 1
            }
            maximumCode[17] = Int.max
            self.symbols = symbols
            self.maximumCode = maximumCode
            self.offset = offset
            self.fast = .allocate(capacity: 512)
            self.fast.initialize(from: fast, count: 512)
            defined = true
        }
    }

    /// A Huffman table as a scan reads it: its 9-bit lookup (owned by the `HuffmanTable` in
    /// `dcTables` or `acTables`, which the decoder keeps through the scan), and which table it is,
    /// for codes longer than 9 bits. (No reference: copying it per block costs no counting.)
    struct HuffmanLookup {
        var fast: UnsafeMutablePointer<UInt16>
        var table: Int
        var isDC: Bool
    }

    struct Decoder {
        let bytes: [UInt8]
        let file: String
        let maximumBytes: Int
        let bytesPerPixel: (Int) -> Int
        var position = 2
        var quantization = [[Int]](repeating: [], count: 4)
        var dcTables = (0..<4).map { _ in HuffmanTable() }
        var acTables = (0..<4).map { _ in HuffmanTable() }
        var components: [Component] = []
        var width = 0, height = 0
        var maximumHorizontal = 1, maximumVertical = 1
        var restartInterval = 0
        var orientation = 1
        var adobeTransform: Int?
        var frameSeen = false, scanSeen = false
        var maximumPixels: Int?
        /// Only grey levels are wanted (the sink's `prefersLuminance`).
        var greyOnly = false
        /// Which components' samples are kept (see `decidesSamples`), and where.
        var decided: [Bool] = []
        let planes = Planes()
        /// The reduction (1, 2, 4 or 8) and the block's side once reduced (8 / scale).
        var scale = 1, side = 8
        /// The size of the picture as stored in the file; `width` and `height` become the reduced size.
        var storedWidth = 0, storedHeight = 0
        // The bit reader.
        var bitBuffer: UInt64 = 0, bitCount = 0
        var hitMarker = false
        /// Zero bits supplied past the end of the scan's data since the scan or restart began.
        var suppliedZeroBits = 0

        init(bytes: [UInt8], file: String, maximumBytes: Int, bytesPerPixel: @escaping (Int) -> Int) {
            self.bytes = bytes
            self.file = file
            self.maximumBytes = maximumBytes
            self.bytesPerPixel = bytesPerPixel
        }

        func malformed(_ reason: String) -> ImageFileError { .malformed(file: file, reason: reason) }

        mutating func byte() throws(ImageFileError) -> Int {
            guard position < bytes.count else { throw malformed("the file ends early (truncated at byte \(bytes.count))") }
            defer { position += 1 }
            return Int(bytes[position])
        }

        mutating func word() throws(ImageFileError) -> Int { (try byte() << 8) | (try byte()) }

        mutating func run() throws(ImageFileError) {
            guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
                throw .unknownFormat(file: file, found: Array(bytes.prefix(8)))
            }
            while true {
                // A marker: 0xFF (any number of fill bytes), then its code.
                guard try byte() == 0xFF else { throw malformed("expected a marker at byte \(position - 1)") }
                var marker = try byte()
                while marker == 0xFF { marker = try byte() }
                switch marker {
                case 0xD9:  // EOI
                    guard scanSeen else { throw malformed("the image ends before any scan") }
                    return
                case 0xD8, 0x01, 0xD0...0xD7:
                    continue  // stray SOI, TEM and restart markers carry no segment
                default:
                    break
                }
                let length = try word()
                guard length >= 2, position + length - 2 <= bytes.count else {
                    throw malformed("segment 0xFF\(String(marker, radix: 16, uppercase: true)) claims \(length) bytes; the file ends early (truncated at byte \(bytes.count))")
                }
                let end = position + length - 2
                switch marker {
                case 0xC0, 0xC1: try frame(end: end)
                case 0xC2, 0xC6, 0xCA, 0xCE:
                    throw .unsupported(file: file, what: "progressive JPEG")
                case 0xC3, 0xC5, 0xC7, 0xCB, 0xCD, 0xCF:
                    throw .unsupported(file: file, what: "lossless or hierarchical JPEG")
                case 0xC9: throw .unsupported(file: file, what: "arithmetic-coded JPEG")
                case 0xC4: try huffmanTables(end: end)
                case 0xDB: try quantizationTables(end: end)
                case 0xDD:
                    guard length == 4 else { throw malformed("the restart interval segment has \(length) bytes, expected 4") }
                    restartInterval = try word()
                case 0xDA:
                    try scan(end: end)
                    continue  // `scan` leaves the position at the next marker
                case 0xE1: readExif(end: end)
                case 0xEE: if end - position >= 12, Array(bytes[position..<position + 5]) == Array("Adobe".utf8) { adobeTransform = Int(bytes[position + 11]) }
                default: break  // APPn, COM and the rest: skipped
                }
                position = end
            }
        }

        mutating func frame(end: Int) throws(ImageFileError) {
            guard !frameSeen else { throw malformed("a second frame header") }
            frameSeen = true
            let precision = try byte()
            guard precision == 8 else { throw .unsupported(file: file, what: "\(precision)-bit JPEG") }
            height = try word()
            width = try word()
            let count = try byte()
            guard height > 0 else { throw .unsupported(file: file, what: "a JPEG whose height is given after the first scan (DNL)") }
            guard width > 0 else { throw malformed("the width is 0") }
            guard count == 1 || count == 3 else { throw .unsupported(file: file, what: "a JPEG with \(count) components (expected 1, grey, or 3, YCbCr)") }
            guard end - position == 3 * count else { throw malformed("the frame header has \(end - position) bytes of components, expected \(3 * count)") }
            for _ in 0..<count {
                let id = try byte(), sampling = try byte(), table = try byte()
                let h = sampling >> 4, v = sampling & 15
                guard (1...4).contains(h), (1...4).contains(v) else { throw malformed("component \(id) has sampling factors \(h)x\(v), expected 1 to 4") }
                guard table < 4 else { throw malformed("component \(id) uses quantization table \(table), expected 0 to 3") }
                components.append(Component(id: id, horizontal: h, vertical: v, table: table))
            }
            maximumHorizontal = components.map(\.horizontal).max()!
            maximumVertical = components.map(\.vertical).max()!
            storedWidth = width
            storedHeight = height
            if let maximumPixels {
                while scale < 8, ((width + scale - 1) / scale).multipliedReportingOverflow(by: (height + scale - 1) / scale).partialValue > maximumPixels
                        || width.multipliedReportingOverflow(by: height).overflow {
                    scale *= 2
                }
                side = 8 / scale
                width = (width + scale - 1) / scale
                height = (height + scale - 1) / scale
            }
            // The decoded planes and the picture handed on must fit the limit.
            let channels = count == 1 ? 1 : 3
            do {
                try PictureTooLarge.check(file: file, width: width, height: height, bytesPerPixel: bytesPerPixel(channels) + count, limit: maximumBytes)
            } catch { throw .tooLarge(error) }
            let mcusWide = (storedWidth + 8 * maximumHorizontal - 1) / (8 * maximumHorizontal)
            let mcusHigh = (storedHeight + 8 * maximumVertical - 1) / (8 * maximumVertical)
            for index in components.indices {
                components[index].blocksWide = mcusWide * components[index].horizontal
                components[index].blocksHigh = mcusHigh * components[index].vertical
            }
        }

        mutating func huffmanTables(end: Int) throws(ImageFileError) {
            while position < end {
                let info = try byte(), kind = info >> 4, id = info & 15
                guard kind <= 1, id < 4 else { throw malformed("Huffman table class \(kind), id \(id): expected class 0 or 1, id 0 to 3") }
                var counts: [Int] = []
                for _ in 0..<16 { counts.append(try byte()) }
                let total = counts.reduce(0, +)
                guard total <= 256, position + total <= end else { throw malformed("a Huffman table lists \(total) symbols beyond its segment") }
                // Kraft: no length may hold more codes than are left.
                var available = 1
                for count in counts {
                    available *= 2
                    guard count <= available else { throw malformed("a Huffman table has more codes of one length than fit") }
                    available -= count
                }
                let symbols = Array(bytes[position..<position + total])
                position += total
                if kind == 0 { dcTables[id] = HuffmanTable(counts: counts, symbols: symbols) } else { acTables[id] = HuffmanTable(counts: counts, symbols: symbols) }
            }
        }

        mutating func quantizationTables(end: Int) throws(ImageFileError) {
            while position < end {
                let info = try byte(), precision = info >> 4, id = info & 15
                guard precision <= 1, id < 4 else { throw malformed("quantization table precision \(precision), id \(id): expected 0 or 1, 0 to 3") }
                // A 16-bit table is read in an 8-bit frame too, as libjpeg reads it (T.81 allows it
                // only with 12-bit samples, but libjpeg's own encoder writes one below quality 25 when
                // not forced to baseline): its entries are at most 65535, which the transform's bounds
                // take into account.
                var table = [Int](repeating: 0, count: 64)
                for k in 0..<64 { table[JPEG.zigzag[k]] = precision == 0 ? try byte() : try word() }
                quantization[id] = table
            }
        }

        /// EXIF's orientation (tag 0x0112 in IFD0), if the segment is EXIF and well formed; anything
        /// else in it is ignored, and a broken one leaves the picture as stored.
        mutating func readExif(end: Int) {
            let start = position + 6
            guard end - position > 14, Array(bytes[position..<position + 6]) == [0x45, 0x78, 0x69, 0x66, 0, 0] else { return }
            let little = bytes[start] == 0x49
            func read(_ at: Int, _ size: Int) -> Int? {
                guard at >= start, at + size <= end else { return nil }
                var value = 0
                for k in 0..<size { value |= Int(bytes[at + (little ? k : size - 1 - k)]) << (8 * k) }
                return value
            }
            guard let ifd = read(start + 4, 4), let entries = read(start + ifd, 2) else { return }
            for entry in 0..<min(entries, 512) {
                let at = start + ifd + 2 + 12 * entry
                guard let tag = read(at, 2) else { return }
                if tag == 0x0112, let value = read(at + 8, 2), (1...8).contains(value) { orientation = value; return }
            }
        }

        // MARK: Entropy-coded data

        /// Fills the bit buffer; at a marker, stops and supplies zeros (T.81 F.2.2.5).
        mutating func refill() {
            // Eight bytes at a time where none of the ones taken is 0xFF (no stuffing, no marker).
            let room = (64 - bitCount) >> 3
            if !hitMarker, room > 0, position + 8 <= bytes.count {
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: UInt64.self) }.bigEndian
                let taken: UInt64 = room == 8 ? ~0 : ~(~UInt64(0) >> UInt64(8 * room))
                // A byte of 0xFF is a zero byte of the complement (the bytes not taken made non-zero).
                let complement = ~word | ~taken
                let hasZeroByte = (complement &- 0x0101_0101_0101_0101) & ~complement & 0x8080_8080_8080_8080
                if hasZeroByte == 0 {
                    bitBuffer |= (word & taken) >> UInt64(bitCount)
                    bitCount += 8 * room
                    position += room
                    return
                }
            }
            while bitCount <= 56 {
                var value: UInt64 = 0, real = false
                if !hitMarker, position < bytes.count {
                    let b = bytes[position]
                    if b == 0xFF {
                        let next = position + 1 < bytes.count ? bytes[position + 1] : 0xD9
                        if next == 0 { position += 2; value = 0xFF; real = true } else { hitMarker = true }
                    } else {
                        position += 1
                        value = UInt64(b)
                        real = true
                    }
                }
                if !real { suppliedZeroBits += 8 }
                bitBuffer |= value << (56 - bitCount)
                bitCount += 8
            }
        }

        @inline(__always)
        mutating func bits(_ n: Int) -> Int {
            if n == 0 { return 0 }
            if bitCount < n { refill() }
            let value = Int(bitBuffer >> (64 - UInt64(n)))
            bitBuffer <<= UInt64(n)
            bitCount -= n
            return value
        }

        /// A value of `size` (1...15) bits in JPEG's sign convention (T.81 F.2.2.1, EXTEND).
        @inline(__always)
        mutating func extended(_ size: Int) -> Int {
            if bitCount < size { refill() }
            let value = Int(truncatingIfNeeded: bitBuffer &>> UInt64(truncatingIfNeeded: 64 &- size))
            bitBuffer &<<= UInt64(truncatingIfNeeded: size)
            bitCount &-= size
            return value < 1 &<< (size &- 1) ? value &- (1 &<< size) &+ 1 : value
        }

        /// The next Huffman-coded symbol: codes of up to 9 bits from `fast` (inlined), longer ones
        /// bit by bit (`longSymbol`).
        @inline(__always)
        mutating func symbol(_ table: HuffmanLookup) throws(ImageFileError) -> Int {
            if bitCount < 16 { refill() }
            let entry = table.fast[Int(truncatingIfNeeded: bitBuffer &>> 55)]
            if entry != 0 {
                let length = Int(entry >> 8)
                bitBuffer <<= UInt64(length)
                bitCount -= length
                return Int(entry & 0xFF)
            }
            return try longSymbol(table.isDC ? dcTables[table.table] : acTables[table.table])
        }

        @inline(never)
        mutating func longSymbol(_ table: HuffmanTable) throws(ImageFileError) -> Int {
            var code = 0
            for length in 1...16 {
                code = (code << 1) | bits(1)
                if code <= table.maximumCode[length] { return Int(table.symbols[code + table.offset[length]]) }
            }
            throw malformed("a Huffman code that no table defines (the data is corrupt)")
        }

        mutating func scan(end: Int) throws(ImageFileError) {
            guard frameSeen else { throw malformed("a scan before the frame header") }
            let count = try byte()
            guard (1...4).contains(count), end - position == 2 * count + 3 else { throw malformed("the scan header lists \(count) components in \(end - position + 1) bytes") }
            var members: [Int] = []
            for _ in 0..<count {
                let id = try byte(), tables = try byte()
                guard let index = components.firstIndex(where: { $0.id == id }) else { throw malformed("the scan names component \(id), which the frame does not have") }
                guard !components[index].scanned, !members.contains(index) else { throw malformed("component \(id) is in a second scan") }
                components[index].scanned = true
                let dc = tables >> 4, ac = tables & 15
                guard dc < 4, ac < 4, dcTables[dc].defined, acTables[ac].defined else { throw malformed("component \(id) uses Huffman tables \(dc)/\(ac), which are not defined") }
                guard !quantization[components[index].table].isEmpty else { throw malformed("component \(id) uses quantization table \(components[index].table), which is not defined") }
                components[index].dcTable = dc
                components[index].acTable = ac
                members.append(index)
            }
            let spectralStart = try byte(), spectralEnd = try byte(), approximation = try byte()
            guard spectralStart == 0, spectralEnd == 63, approximation == 0 else { throw malformed("a sequential scan with spectral selection \(spectralStart)-\(spectralEnd)") }
            position = end
            if !scanSeen {
                decided = decidesSamples()
                for index in components.indices where decided[index] {
                    planes.allocate(index, count: components[index].blocksWide * components[index].blocksHigh * side * side)
                }
                scanSeen = true
            }
            bitBuffer = 0; bitCount = 0; hitMarker = false; suppliedZeroBits = 0

            // One component: its blocks in raster order over the picture (T.81 A.2.2); several: MCUs.
            let single = members.count == 1
            let unitsWide: Int, unitsHigh: Int
            if single {
                let c = components[members[0]]
                unitsWide = (storedWidth * c.horizontal + 8 * maximumHorizontal - 1) / (8 * maximumHorizontal)
                unitsHigh = (storedHeight * c.vertical + 8 * maximumVertical - 1) / (8 * maximumVertical)
            } else {
                unitsWide = (storedWidth + 8 * maximumHorizontal - 1) / (8 * maximumHorizontal)
                unitsHigh = (storedHeight + 8 * maximumVertical - 1) / (8 * maximumVertical)
            }
            // What each member needs, read once: its tables, sampling, plane and whether its samples are kept.
            struct Member {
                var dc: HuffmanLookup, ac: HuffmanLookup
                var horizontal: Int, vertical: Int
                var blocksWide: Int, blocksHigh: Int
                var quantization: Int
                var plane: UnsafeMutablePointer<UInt8>?
                var predictor = 0
            }
            var units = members.map { index in
                Member(dc: HuffmanLookup(fast: dcTables[components[index].dcTable].fast, table: components[index].dcTable, isDC: true),
                       ac: HuffmanLookup(fast: acTables[components[index].acTable].fast, table: components[index].acTable, isDC: false),
                       horizontal: single ? 1 : components[index].horizontal, vertical: single ? 1 : components[index].vertical,
                       blocksWide: components[index].blocksWide, blocksHigh: components[index].blocksHigh,
                       quantization: components[index].table, plane: decided[index] ? planes.pointers[index] : nil)
            }
            // Scratch for one block: coefficients, samples, the transform's workspace; the tables as pointers.
            let scratch = UnsafeMutablePointer<Int>.allocate(capacity: 3 * 64 + 4 * 64 + 64)
            defer { scratch.deallocate() }
            let coefficients = scratch, samples = scratch + 64, workspace = scratch + 128, tables = scratch + 192, zigzag = scratch + 448
            zigzag.update(from: JPEG.zigzag, count: 64)
            let positions = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
            defer { positions.deallocate() }
            let reducedColumns = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: 8)
            defer { reducedColumns.deallocate() }
            reducedColumns.initialize(from: side == 2 ? Self.reducedColumns2 : Self.reducedColumns4, count: 8)
            for (t, table) in quantization.enumerated() where !table.isEmpty { (tables + 64 * t).update(from: table, count: 64) }
            var unitsLeft = restartInterval
            for unitRow in 0..<unitsHigh {
                for unitColumn in 0..<unitsWide {
                    if restartInterval > 0 {
                        if unitsLeft == 0 {
                            try restart()
                            for m in units.indices { units[m].predictor = 0 }
                            unitsLeft = restartInterval
                        }
                        unitsLeft -= 1
                    }
                    for m in units.indices {
                        let member = units[m]
                        for by in 0..<member.vertical {
                            for bx in 0..<member.horizontal {
                                let (rows, count) = try block(dc: member.dc, ac: member.ac, predictor: &units[m].predictor, zigzag: zigzag,
                                                              into: coefficients, positions: positions)
                                let dcOnly = count == 0
                                guard let plane = member.plane else { continue }
                                let blockRow = unitRow * member.vertical + by, blockColumn = unitColumn * member.horizontal + bx
                                guard blockRow < member.blocksHigh, blockColumn < member.blocksWide else { continue }
                                let table = tables + 64 * member.quantization
                                let target = plane + (blockRow * side) * (member.blocksWide * side) + blockColumn * side
                                if scale == 8 || dcOnly {
                                    // Every sample of the block (or its one sample at 1/8) is the DC's.
                                    let value = UInt8(max(0, min(255, ((coefficients[0] &* table[0]) << 2 &+ 16) >> 5 &+ 128)))
                                    storeFlat(value, at: target, stride: member.blocksWide * side)
                                } else if scale == 1 {
                                    inverseTransform(coefficients, table: table, into: samples, workspace: workspace)
                                    store(samples, at: target, stride: member.blocksWide * side)
                                } else {
                                    Self.reducedTransform(coefficients, table: table, positions: positions, count: count, rows: rows, columns: reducedColumns, side: side,
                                                          into: target, stride: member.blocksWide * side)
                                }
                            }
                        }
                    }
                }
                // The data ran out with rows still to come: a truncated or corrupt file. (Decoding
                // the rest from zero bits, as T.81 allows, would let a few bytes claiming a huge
                // frame cost seconds.)
                if unitRow < unitsHigh - 1, suppliedZeroBits - bitCount > 0 {
                    throw malformed("the image data ends in MCU row \(unitRow + 1) of \(unitsHigh) (truncated or corrupt)")
                }
            }
            // On to the next marker (skipping what is left of the data, fill bytes included).
            while position + 1 < bytes.count, !(bytes[position] == 0xFF && bytes[position + 1] != 0 && !(0xD0...0xD7).contains(bytes[position + 1])) {
                position += 1
            }
            guard position + 1 < bytes.count else { throw malformed("the file ends inside the image data (truncated at byte \(bytes.count))") }
        }

        /// Which components' samples are kept: all of them, or for a sink that takes grey levels
        /// only the luminance Y, when it is at full resolution and the picture is YCbCr (Y is then
        /// 0.299 R + 0.587 G + 0.114 B, what the sink would compute): the other components' data is
        /// still read, but never transformed.
        func decidesSamples() -> [Bool] {
            guard greyOnly, components.count == 3, adobeTransform != 0,
                  components[0].horizontal == maximumHorizontal, components[0].vertical == maximumVertical else {
                return components.map { _ in true }
            }
            return components.indices.map { $0 == 0 }
        }

        /// At a restart interval: the next marker must be RSTn (the caller resets the predictors).
        mutating func restart() throws(ImageFileError) {
            bitBuffer = 0; bitCount = 0; hitMarker = false; suppliedZeroBits = 0
            while position + 1 < bytes.count, !(bytes[position] == 0xFF && (0xD0...0xD7).contains(bytes[position + 1])) {
                if bytes[position] == 0xFF, bytes[position + 1] != 0, bytes[position + 1] != 0xFF { break }
                position += 1
            }
            guard position + 1 < bytes.count else { throw malformed("the file ends inside the image data (truncated at byte \(bytes.count))") }
            if (0xD0...0xD7).contains(bytes[position + 1]) { position += 2 }
        }

        /// Reads one block's coefficients (zeroed first) in natural order, and where its AC
        /// coefficients are (natural indices, at most 63) in `positions`; returns which of its rows
        /// of frequencies hold any (bit v for row v; row 0 always, for the DC), and how many AC
        /// coefficients it has.
        @inline(__always)
        mutating func block(dc: HuffmanLookup, ac: HuffmanLookup, predictor: inout Int, zigzag: UnsafePointer<Int>,
                            into coefficients: UnsafeMutablePointer<Int>,
                            positions: UnsafeMutablePointer<UInt8>) throws(ImageFileError) -> (rows: UInt8, count: Int) {
            coefficients.update(repeating: 0, count: 64)
            let size = try symbol(dc)
            guard size <= 11 else { throw malformed("a DC difference of \(size) bits (at most 11)") }
            // The predictor is kept as a 16-bit coefficient, as libjpeg's is (its sum is stored in a
            // JCOEF, a short): a DC difference on every block moves it round the 16-bit range instead
            // of without bound, so every coefficient is within +-32768 and every dequantized value
            // within 2^31 (tables hold at most 65535), whatever the file.
            let difference = size == 0 ? 0 : extended(size)
            predictor = Int(Int16(truncatingIfNeeded: predictor &+ difference))
            coefficients[0] = predictor
            var k = 1, rows: UInt8 = 1, count = 0
            while k < 64 {
                let rs = try symbol(ac)
                let run = rs >> 4, size = rs & 15
                if size == 0 {
                    if run == 15 { k += 16; continue }
                    break  // end of block
                }
                k += run
                guard k < 64 else { throw malformed("an AC run past the end of a block (the data is corrupt)") }
                let natural = zigzag[k]
                coefficients[natural] = extended(size)
                rows |= 1 << UInt8(truncatingIfNeeded: natural >> 3)
                positions[count] = UInt8(truncatingIfNeeded: natural)
                count &+= 1
                k += 1
            }
            return (rows, count)
        }

        /// Dequantizes and inverse-transforms one block: s(x,y) = 1/4 sum_u sum_v C(u)C(v) F(u,v)
        /// cos((2x+1)u pi/16) cos((2y+1)v pi/16) + 128, computed as libjpeg's "islow" does (the
        /// Loeffler-Ligtenberg-Moschytz factorisation in 13-bit fixed point, columns then rows), so
        /// that the samples are the ones other decoders give, bit for bit on valid data.
        ///
        /// The inputs are bounded where they enter (coefficients within +-2^15, table entries at most
        /// 2^16 - 1, so dequantized values under 2^31): the first pass's sums stay under 2^50, its
        /// outputs under 2^39, and the second pass's sums under 2^57, inside 64 bits. The arithmetic wraps (`&+`, `&*`) all the same, as
        /// libjpeg's does, so that no file can make it trap.
        func inverseTransform(_ coefficients: UnsafePointer<Int>, table: UnsafePointer<Int>, into samples: UnsafeMutablePointer<Int>,
                              workspace: UnsafeMutablePointer<Int>) {
            let constBits = 13, pass1Bits = 2
            @inline(__always) func descale(_ x: Int, _ n: Int) -> Int { (x &+ (1 << (n - 1))) >> n }
            // Columns: all eight at once, one in each lane. (A column with only its DC coefficient
            // comes out as DC << 2 on every row, as libjpeg's shortcut for it gives.)
            typealias Lanes = SIMD8<Int>
            @inline(__always) func row(_ r: Int) -> TransformLanes {
                TransformLanes(UnsafeRawPointer(coefficients + 8 * r).loadUnaligned(as: Lanes.self) &* UnsafeRawPointer(table + 8 * r).loadUnaligned(as: Lanes.self))
            }
            let columns = Self.pass(row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
            let n1 = constBits - pass1Bits, rounding1 = Lanes(repeating: 1 << (n1 - 1))
            @inline(__always) func put(_ r: Int, _ value: TransformLanes) {
                UnsafeMutableRawPointer(workspace + 8 * r).storeBytes(of: (value.value &+ rounding1) &>> Lanes(repeating: n1), as: Lanes.self)
            }
            put(0, columns.0); put(1, columns.1); put(2, columns.2); put(3, columns.3)
            put(4, columns.4); put(5, columns.5); put(6, columns.6); put(7, columns.7)
            // Rows, one at a time.
            for y in 0..<8 {
                let w = y * 8, n = constBits + pass1Bits + 3
                @inline(__always) func put(_ x: Int, _ value: Int) { samples[w + x] = max(0, min(255, value &+ 128)) }
                if workspace[w + 1] | workspace[w + 2] | workspace[w + 3] | workspace[w + 4] | workspace[w + 5]
                    | workspace[w + 6] | workspace[w + 7] == 0 {
                    let value = descale(workspace[w], pass1Bits + 3)
                    for x in 0..<8 { put(x, value) }
                    continue
                }
                @inline(__always) func at(_ x: Int) -> TransformInteger { TransformInteger(workspace[w + x]) }
                let r = Self.pass(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7))
                put(0, descale(r.0.value, n)); put(1, descale(r.1.value, n)); put(2, descale(r.2.value, n)); put(3, descale(r.3.value, n))
                put(4, descale(r.4.value, n)); put(5, descale(r.5.value, n)); put(6, descale(r.6.value, n)); put(7, descale(r.7.value, n))
            }
        }

        /// A block at 1/2 or 1/4 of its size (`side` 4 or 2): each sample the mean, over its 2x2 or
        /// 4x4 pixels, of the exact inverse transform, s(i, j) = 128 + sum_u sum_v A(j, v) A(i, u) F(u, v)
        /// with A(i, u) = C(u)/2 times the mean of cos((2x+1) u pi/16) over the pixels x of sample i;
        /// in floating point, a sixth of the work of the whole transform and its averaging (and
        /// within a grey level of them).
        static func reducedTransform(_ coefficients: UnsafePointer<Int>, table: UnsafePointer<Int>,
                                     positions: UnsafePointer<UInt8>, count: Int, rows: UInt8,
                                     columns a: UnsafePointer<SIMD4<Float>>, side: Int,
                                     into target: UnsafeMutablePointer<UInt8>, stride: Int) {
            // `a`: the columns of A as vectors over i (`reducedColumns(side:)`; 4 lanes, 2 used for
            // side 2). H(v) = sum_u F(v, u) A(., u) over the DC and the `count` AC coefficients at
            // `positions` (a block holds a few), then each output row j = sum_v A(j, v) H(v) over
            // the rows of frequencies that hold any (`rows`, bit v for row v): all multiply-adds,
            // no horizontal sums.
            withUnsafeTemporaryAllocation(of: SIMD4<Float>.self, capacity: 8 + 4) { buffer in
                let h = buffer.baseAddress!, out = h + 8
                h.initialize(repeating: SIMD4(), count: 8)
                out.initialize(repeating: SIMD4(repeating: 128), count: 4)
                h[0] = Float(coefficients[0] &* table[0]) * a[0]
                for n in 0..<count {
                    let p = Int(positions[n])
                    h[p &>> 3] += Float(coefficients[p] &* table[p]) * a[p & 7]
                }
                var remaining = rows
                while remaining != 0 {
                    let v = remaining.trailingZeroBitCount
                    remaining &= remaining &- 1
                    let weights = a[v], hv = h[v]
                    for j in 0..<side { out[j] += weights[j] * hv }
                }
                for j in 0..<side {
                    // Rounded half away from zero, as Float.rounded(), by adding a half and truncating in 0...255.
                    let half = out[j] + 0.5, row = target + j &* stride
                    for i in 0..<side {
                        let value = half[i]
                        row[i] = value <= 0 ? 0 : value >= 255 ? 255 : UInt8(truncatingIfNeeded: Int32(value))
                    }
                }
            }
        }

        /// A(i, u) for 4 and 2 samples across a block (`reducedTransform`), as columns: element u
        /// holds A(0, u), A(1, u), ... in its lanes.
        static let reducedColumns4 = reducedColumns(side: 4)
        static let reducedColumns2 = reducedColumns(side: 2)
        static func reducedColumns(side: Int) -> [SIMD4<Float>] {
            let k = 8 / side
            return (0..<8).map { u in
                var column = SIMD4<Float>()
                for i in 0..<side {
                    var mean = 0.0
                    for t in 0..<k { mean += cos(Double(2 * (k * i + t) + 1) * Double(u) * Double.pi / 16) }
                    column[i] = Float((u == 0 ? 1 / 2.0.squareRoot() : 1) / 2 * mean / Double(k))
                }
                return column
            }
        }

        /// One 8-point pass of the transform over in[0], in[1], ... (already dequantized): the 8
        /// outputs before descaling. For integers, or for eight columns at once in SIMD lanes.
        @inline(__always)
        static func pass<V: TransformValue>(_ i0: V, _ i1: V, _ i2: V, _ i3: V, _ i4: V, _ i5: V, _ i6: V, _ i7: V)
            -> (V, V, V, V, V, V, V, V) {
            let constBits = 13
            // Even part.
            var z1 = (i2 + i6) * 4433
            let t2 = z1 + i6 * -15137, t3 = z1 + i2 * 6270
            let t0 = (i0 + i4) << constBits, t1 = (i0 - i4) << constBits
            let t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2
            // Odd part.
            var o0 = i7, o1 = i5, o2 = i3, o3 = i1
            z1 = o0 + o3
            var z2 = o1 + o2, z3 = o0 + o2, z4 = o1 + o3
            let z5 = (z3 + z4) * 9633
            o0 = o0 * 2446; o1 = o1 * 16819; o2 = o2 * 25172; o3 = o3 * 12299
            z1 = z1 * -7373; z2 = z2 * -20995; z3 = z3 * -16069; z4 = z4 * -3196
            z3 = z3 + z5; z4 = z4 + z5
            o0 = o0 + z1 + z3; o1 = o1 + z2 + z4; o2 = o2 + z2 + z3; o3 = o3 + z1 + z4
            return (t10 + o3, t11 + o2, t12 + o1, t13 + o0, t13 - o0, t12 - o1, t11 - o2, t10 - o3)
        }

        /// Puts a block's samples at `target` in its plane (rows `stride` apart): all 64, or each
        /// scale x scale group's rounded mean.
        @inline(__always)
        func store(_ samples: UnsafePointer<Int>, at target: UnsafeMutablePointer<UInt8>, stride: Int) {
            let side = self.side, scale = self.scale, area = scale * scale
            for y in 0..<side {
                let row = target + y * stride
                for x in 0..<side {
                    if scale == 1 { row[x] = UInt8(truncatingIfNeeded: samples[y &* 8 &+ x]); continue }
                    var sum = 0
                    for dy in 0..<scale { for dx in 0..<scale { sum &+= samples[(y &* scale &+ dy) &* 8 &+ x &* scale &+ dx] } }
                    row[x] = UInt8(truncatingIfNeeded: (sum &+ area / 2) / area)
                }
            }
        }

        /// Fills a block's samples at `target` with one value.
        @inline(__always)
        func storeFlat(_ value: UInt8, at target: UnsafeMutablePointer<UInt8>, stride: Int) {
            for y in 0..<side { (target + y * stride).update(repeating: value, count: side) }
        }

        // MARK: Output

        /// Upsamples, converts to RGB (or grey), turns the picture upright and hands the rows on.
        func emit<Sink: PixelRowSink>(into sink: inout Sink) throws(ImageFileError) {
            guard scanSeen else { throw malformed("no image data") }
            // Grey levels only: the luminance plane as it is (its rows handed on in place when upright).
            if decided.filter({ $0 }).count == 1, let plane = planes.pointers[0] {
                let stride = components[0].blocksWide * side
                if orientation < 2 || orientation > 8 {
                    sink.begin(width: width, height: height, channels: 1)
                    for y in 0..<height { sink.append(row: UnsafeBufferPointer(start: plane + y * stride, count: width)) }
                } else {
                    emitUpright(channels: 1, into: &sink) { x, y in plane[y * stride + x] }
                }
                return
            }
            let channels = components.count == 1 ? 1 : 3
            let width = self.width, height = self.height
            var full: [[UInt8]] = components.indices.map { upsampled($0) }
            if channels == 3, adobeTransform != 0 || adobeTransform == nil {
                // YCbCr -> RGB (JFIF): R = Y + 1.402 Cr', G = Y - 0.34414 Cb' - 0.71414 Cr', B = Y + 1.772 Cb',
                // in libjpeg's 16-bit fixed point (each term rounded as its tables are), so the
                // colours are the ones other decoders give.
                func fixed(_ x: Double) -> Int { Int(x * 65536 + 0.5) }
                let half = 1 << 15
                let crR = fixed(1.402), cbG = fixed(0.34414), crG = fixed(0.71414), cbB = fixed(1.772)
                var (red, green, blue) = (full[0], full[1], full[2])
                red.withUnsafeMutableBufferPointer { p0 in
                    green.withUnsafeMutableBufferPointer { p1 in
                        blue.withUnsafeMutableBufferPointer { p2 in
                            for i in 0..<(width * height) {
                                let y = Int(p0[i]), cb = Int(p1[i]) - 128, cr = Int(p2[i]) - 128
                                let r = y + ((crR * cr + half) >> 16)
                                let g = y + ((-cbG * cb - crG * cr + half) >> 16)
                                let b = y + ((cbB * cb + half) >> 16)
                                p0[i] = UInt8(max(0, min(255, r)))
                                p1[i] = UInt8(max(0, min(255, g)))
                                p2[i] = UInt8(max(0, min(255, b)))
                            }
                        }
                    }
                }
                full = [red, green, blue]
            }
            if channels == 1 {
                full[0].withUnsafeBufferPointer { p in emitUpright(channels: 1, into: &sink) { x, y in p[y * width + x] } }
            } else {
                full[0].withUnsafeBufferPointer { p0 in
                    full[1].withUnsafeBufferPointer { p1 in
                        full[2].withUnsafeBufferPointer { p2 in
                            emitUpright(channels: 3, into: &sink) { x, y in
                                let i = y * width + x
                                return (p0[i], p1[i], p2[i])
                            }
                        }
                    }
                }
            }
        }

        /// The picture turned upright by its EXIF orientation, row by row, each pixel from `sample`
        /// at the stored position (one channel).
        func emitUpright<Sink: PixelRowSink>(channels: Int, into sink: inout Sink, _ sample: (Int, Int) -> UInt8) {
            emitUpright(channels: channels, into: &sink, samples: { x, y, row, at in row[at] = sample(x, y) })
        }

        /// The same for three channels.
        func emitUpright<Sink: PixelRowSink>(channels: Int, into sink: inout Sink, _ sample: (Int, Int) -> (UInt8, UInt8, UInt8)) {
            emitUpright(channels: channels, into: &sink, samples: { x, y, row, at in
                let (r, g, b) = sample(x, y)
                row[at] = r; row[at + 1] = g; row[at + 2] = b
            })
        }

        @inline(__always)
        func emitUpright<Sink: PixelRowSink>(channels: Int, into sink: inout Sink,
                                             samples: (Int, Int, UnsafeMutablePointer<UInt8>, Int) -> Void) {
            // EXIF orientations 5-8 swap the sides.
            let swapped = orientation >= 5
            let outWidth = swapped ? height : width, outHeight = swapped ? width : height
            let width = self.width, height = self.height, orientation = self.orientation
            sink.begin(width: outWidth, height: outHeight, channels: channels)
            let row = UnsafeMutablePointer<UInt8>.allocate(capacity: outWidth * channels)
            defer { row.deallocate() }
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    // The stored pixel shown at (ox, oy).
                    let (sx, sy): (Int, Int)
                    switch orientation {
                    case 2: (sx, sy) = (width - 1 - ox, oy)
                    case 3: (sx, sy) = (width - 1 - ox, height - 1 - oy)
                    case 4: (sx, sy) = (ox, height - 1 - oy)
                    case 5: (sx, sy) = (oy, ox)
                    case 6: (sx, sy) = (oy, height - 1 - ox)
                    case 7: (sx, sy) = (width - 1 - oy, height - 1 - ox)
                    case 8: (sx, sy) = (width - 1 - oy, ox)
                    default: (sx, sy) = (ox, oy)
                    }
                    samples(sx, sy, row, ox * channels)
                }
                sink.append(row: UnsafeBufferPointer(start: row, count: outWidth * channels))
            }
        }

        /// A component's samples at the picture's size: as they are, or upsampled as libjpeg's
        /// "fancy" upsampling does for 2:1 (triangular weights 3/4, 1/4), and by replication otherwise.
        func upsampled(_ index: Int) -> [UInt8] {
            let c = components[index]
            let width = self.width, height = self.height
            var out = [UInt8](repeating: 0, count: width * height)
            guard let plane = planes.pointers[index] else { return out }
            let stride = c.blocksWide * side
            let factorX = maximumHorizontal / c.horizontal, factorY = maximumVertical / c.vertical
            let planeWidth = (width * c.horizontal + maximumHorizontal - 1) / maximumHorizontal
            let planeHeight = (height * c.vertical + maximumVertical - 1) / maximumVertical
            @inline(__always) func sample(_ x: Int, _ y: Int) -> Int { Int(plane[min(y, planeHeight - 1) * stride + min(x, planeWidth - 1)]) }
            let exact = maximumHorizontal % c.horizontal == 0 && maximumVertical % c.vertical == 0
            out.withUnsafeMutableBufferPointer { out in
                if factorX == 1 && factorY == 1 && exact {
                    for y in 0..<height { for x in 0..<width { out[y * width + x] = UInt8(sample(x, y)) } }
                } else if exact && factorX == 2 && factorY == 1 {
                    // h2v1: each output pixel 3/4 of the nearer sample, 1/4 of the next one out.
                    for y in 0..<height {
                        for x in 0..<width {
                            let i = x / 2, near = sample(i, y)
                            let value = x % 2 == 0 ? (3 * near + sample(max(i - 1, 0), y) + 1) >> 2 : (3 * near + sample(i + 1, y) + 2) >> 2
                            out[y * width + x] = UInt8(value)
                        }
                    }
                } else if exact && factorX == 2 && factorY == 2 {
                    // h2v2: the same in both directions, summed over a 4x4 neighbourhood (weights 9, 3, 3, 1).
                    for y in 0..<height {
                        let j = y / 2, other = y % 2 == 0 ? max(j - 1, 0) : j + 1
                        for x in 0..<width {
                            let i = x / 2
                            let column = 3 * sample(i, j) + sample(i, other)
                            let neighbour = x % 2 == 0 ? 3 * sample(max(i - 1, 0), j) + sample(max(i - 1, 0), other)
                                : 3 * sample(i + 1, j) + sample(i + 1, other)
                            out[y * width + x] = UInt8(x % 2 == 0 ? (3 * column + neighbour + 8) >> 4 : (3 * column + neighbour + 7) >> 4)
                        }
                    }
                } else {
                    for y in 0..<height {
                        for x in 0..<width { out[y * width + x] = UInt8(sample(x * c.horizontal / maximumHorizontal, y * c.vertical / maximumVertical)) }
                    }
                }
            }
            return out
        }
    }

    /// The samples of every component, in memory the decoder owns (freed with it).
    final class Planes {
        var pointers: [UnsafeMutablePointer<UInt8>?] = []
        func allocate(_ index: Int, count: Int) {
            while pointers.count <= index { pointers.append(nil) }
            let plane = UnsafeMutablePointer<UInt8>.allocate(capacity: max(count, 1))
            plane.initialize(repeating: 0, count: max(count, 1))
            pointers[index] = plane
        }
        deinit { for pointer in pointers { pointer?.deallocate() } }
    }


    /// The zig-zag order: the k-th coefficient of the stream goes to zigzag[k] in the block.
    static let zigzag: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
        28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
        54, 47, 55, 62, 63,
    ]
}

/// What the inverse transform's pass computes with: an integer, or eight of them in SIMD lanes
/// (wrapping arithmetic: `+`, `-`, a constant factor, a left shift).
protocol TransformValue {
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Int) -> Self
    static func << (lhs: Self, rhs: Int) -> Self
}

/// The transform's integers: wrapping, as the pass's comment on bounds explains.
struct TransformInteger: TransformValue {
    var value: Int
    @inline(__always) init(_ value: Int) { self.value = value }
    @inline(__always) static func + (lhs: Self, rhs: Self) -> Self { Self(lhs.value &+ rhs.value) }
    @inline(__always) static func - (lhs: Self, rhs: Self) -> Self { Self(lhs.value &- rhs.value) }
    @inline(__always) static func * (lhs: Self, rhs: Int) -> Self { Self(lhs.value &* rhs) }
    @inline(__always) static func << (lhs: Self, rhs: Int) -> Self { Self(lhs.value &<< rhs) }
}

/// Eight of them, one in each lane.
struct TransformLanes: TransformValue {
    var value: SIMD8<Int>
    @inline(__always) init(_ value: SIMD8<Int>) { self.value = value }
    @inline(__always) static func + (lhs: Self, rhs: Self) -> Self { Self(lhs.value &+ rhs.value) }
    @inline(__always) static func - (lhs: Self, rhs: Self) -> Self { Self(lhs.value &- rhs.value) }
    @inline(__always) static func * (lhs: Self, rhs: Int) -> Self { Self(lhs.value &* rhs) }
    @inline(__always) static func << (lhs: Self, rhs: Int) -> Self { Self(lhs.value &<< SIMD8(repeating: rhs)) }
}
