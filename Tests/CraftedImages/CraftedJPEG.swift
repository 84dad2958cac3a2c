/// A baseline JPEG written from its parts, every field under the caller's control: the frame's
/// size and precision, the components and their sampling, 8- or 16-bit quantization tables, the
/// restart interval, and each block's DC difference and AC coefficients, Huffman-coded with tables
/// that hold every symbol. Nothing is checked: the point is to make streams that are valid but
/// extreme (a DC difference on every block, maximal coefficients, 16-bit tables, a huge frame with
/// a few bytes of data), and some that are not, for the decoder's tests and fuzz targets.
public struct CraftedJPEG: Sendable {
    public struct Component: Sendable {
        public var id: Int
        public var horizontal: Int
        public var vertical: Int
        public var quantizationTable: Int
        public init(id: Int, horizontal: Int = 1, vertical: Int = 1, quantizationTable: Int = 0) {
            self.id = id
            self.horizontal = horizontal
            self.vertical = vertical
            self.quantizationTable = quantizationTable
        }
    }

    public struct QuantizationTable: Sendable {
        public var id: Int
        /// Written with 16-bit entries (Pq = 1).
        public var sixteenBit: Bool
        /// 64 entries, in zig-zag order.
        public var values: [Int]
        public init(id: Int, sixteenBit: Bool = false, values: [Int]) {
            self.id = id
            self.sixteenBit = sixteenBit
            self.values = values
        }
        public static func uniform(_ value: Int, id: Int = 0) -> QuantizationTable {
            QuantizationTable(id: id, sixteenBit: value > 255, values: [Int](repeating: value, count: 64))
        }
    }

    /// One block as the entropy coder writes it: the DC difference, then the AC coefficients as
    /// (zeros before it, its value); a run over 15 is written with ZRL codes, and an end-of-block
    /// code follows unless the block reaches its 63rd coefficient.
    public struct Block: Sendable {
        public var dcDifference: Int
        public var ac: [(run: Int, value: Int)]
        public init(dcDifference: Int, ac: [(run: Int, value: Int)] = []) {
            self.dcDifference = dcDifference
            self.ac = ac
        }
    }

    public var frameMarker: UInt8 = 0xC0
    public var precision = 8
    public var width: Int
    public var height: Int
    public var components: [Component]
    public var quantizationTables: [QuantizationTable]
    public var restartInterval = 0
    /// The EXIF orientation to write in an APP1 segment, if any.
    public var orientation: Int?
    /// Symbols given the shortest codes (two bits each, at most three per table), so that a stream
    /// of many blocks stays small.
    public var favouredDC: [Int] = [0]
    public var favouredAC: [Int] = [0x00]
    /// How many blocks the data holds: fewer than the frame needs makes a huge frame with tiny data.
    public var blockCount: Int
    /// The n-th block of the stream, in the order the decoder reads them (MCU by MCU).
    public var block: @Sendable (Int) -> Block
    /// Bytes cut from the end of the entropy-coded data (and the end-of-image marker with it).
    public var truncateData = 0

    public init(width: Int, height: Int, components: [Component] = [Component(id: 1)],
                quantizationTables: [QuantizationTable] = [.uniform(1)], blockCount: Int,
                block: @escaping @Sendable (Int) -> Block) {
        self.width = width
        self.height = height
        self.components = components
        self.quantizationTables = quantizationTables
        self.blockCount = blockCount
        self.block = block
    }

    /// Blocks in one MCU: one for a single component, the sum of h x v for several.
    public var blocksPerUnit: Int {
        components.count == 1 ? 1 : components.reduce(0) { $0 + max($1.horizontal, 0) * max($1.vertical, 0) }
    }

    /// The blocks the frame needs, all MCUs together.
    public var blocksNeeded: Int {
        let h = max(components.map(\.horizontal).max() ?? 1, 1), v = max(components.map(\.vertical).max() ?? 1, 1)
        if components.count == 1 { return ((width + 7) / 8) * ((height + 7) / 8) }
        return ((width + 8 * h - 1) / (8 * h)) * ((height + 8 * v - 1) / (8 * v)) * blocksPerUnit
    }

    public func bytes() -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        func segment(_ marker: UInt8, _ body: [UInt8]) {
            out += [0xFF, marker]
            out += word(body.count + 2)
            out += body
        }
        if let orientation {
            // Exif\0\0, a big-endian TIFF header, IFD0 with one entry: 0x0112 SHORT 1 orientation.
            var exif: [UInt8] = Array("Exif".utf8) + [0, 0, 0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8, 0, 1]
            exif += [0x01, 0x12, 0, 3, 0, 0, 0, 1] + word(orientation) + [0, 0, 0, 0, 0, 0]
            segment(0xE1, exif)
        }
        for table in quantizationTables {
            var body: [UInt8] = [UInt8(truncatingIfNeeded: (table.sixteenBit ? 0x10 : 0) | (table.id & 15))]
            for value in table.values.prefix(64) { body += table.sixteenBit ? word(value) : [UInt8(truncatingIfNeeded: value)] }
            segment(0xDB, body)
        }
        var frame: [UInt8] = [UInt8(truncatingIfNeeded: precision)] + word(height) + word(width) + [UInt8(truncatingIfNeeded: components.count)]
        for c in components {
            frame += [UInt8(truncatingIfNeeded: c.id), UInt8(truncatingIfNeeded: (c.horizontal << 4) | (c.vertical & 15)),
                      UInt8(truncatingIfNeeded: c.quantizationTable)]
        }
        segment(frameMarker, frame)
        let dc = Huffman(symbols: 16, favoured: favouredDC), ac = Huffman(symbols: 256, favoured: favouredAC)
        segment(0xC4, [0x00] + dc.specification)
        segment(0xC4, [0x10] + ac.specification)
        if restartInterval > 0 { segment(0xDD, word(restartInterval)) }
        var scan: [UInt8] = [UInt8(truncatingIfNeeded: components.count)]
        for c in components { scan += [UInt8(truncatingIfNeeded: c.id), 0x00] }
        segment(0xDA, scan + [0, 63, 0])

        var writer = BitWriter()
        let perUnit = max(blocksPerUnit, 1)
        var restarts = 0
        for n in 0..<blockCount {
            if restartInterval > 0, n > 0, n % (perUnit * restartInterval) == 0 {
                writer.restart(marker: UInt8(0xD0 + restarts % 8))
                restarts += 1
            }
            let b = block(n)
            let (size, bits) = Self.magnitude(b.dcDifference)
            writer.write(dc.codes[min(size, 15)])
            writer.write(bits: bits, count: size)
            var k = 1
            for (run, value) in b.ac {
                var zeros = max(run, 0)
                while zeros > 15 { writer.write(ac.codes[0xF0]); zeros -= 16; k += 16 }
                let (size, bits) = Self.magnitude(value)
                writer.write(ac.codes[(zeros << 4) | min(size, 15)])
                writer.write(bits: bits, count: size)
                k += zeros + 1
            }
            if k < 64 { writer.write(ac.codes[0x00]) }
        }
        var data = writer.finish()
        data.removeLast(min(truncateData, data.count))
        out += data
        if truncateData == 0 { out += [0xFF, 0xD9] }
        return out
    }

    /// JPEG's sign convention (T.81 F.1.2.1): the size in bits of |v|, and the low `size` bits of v
    /// (v - 1 for a negative v). Sizes are capped at 15 bits.
    static func magnitude(_ value: Int) -> (size: Int, bits: UInt32) {
        let clamped = max(-32767, min(32767, value))
        guard clamped != 0 else { return (0, 0) }
        let size = Int.bitWidth - abs(clamped).leadingZeroBitCount
        let bits = clamped > 0 ? clamped : clamped + (1 << size) - 1
        return (size, UInt32(bits))
    }

    func word(_ value: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }

    /// A canonical Huffman table holding every symbol below `symbols`: up to three favoured
    /// symbols get the 2-bit codes 00, 01, 10; the rest share the next 2-bit prefix with just
    /// enough bits (never the all-ones code, which T.81 reserves).
    struct Huffman {
        var specification: [UInt8] = []
        var codes: [(code: UInt32, length: Int)]

        init(symbols: Int, favoured: [Int]) {
            let first = Array(favoured.filter { (0..<symbols).contains($0) }.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }.prefix(3))
            let rest = (0..<symbols).filter { !first.contains($0) }
            var extra = 1
            while (1 << extra) - 1 < rest.count { extra += 1 }
            var counts = [UInt8](repeating: 0, count: 16)
            counts[1] = UInt8(first.count)
            counts[1 + extra] = UInt8(rest.count)
            specification = counts + (first + rest).map { UInt8($0) }
            codes = [(UInt32, Int)](repeating: (0, 0), count: symbols)
            for (i, s) in first.enumerated() { codes[s] = (UInt32(i), 2) }
            for (i, s) in rest.enumerated() { codes[s] = ((UInt32(first.count) << UInt32(extra)) | UInt32(i), 2 + extra) }
        }
    }
}

/// Writes bits most significant first, with JPEG's byte stuffing (0xFF is followed by 0x00) and
/// 1-bits padding a byte before a marker.
struct BitWriter {
    var bytes: [UInt8] = []
    var buffer: UInt64 = 0
    var count = 0

    mutating func write(_ code: (code: UInt32, length: Int)) { write(bits: code.code, count: code.length) }

    mutating func write(bits: UInt32, count n: Int) {
        guard n > 0 else { return }
        buffer = (buffer << UInt64(n)) | UInt64(bits & ((1 << UInt32(n)) - 1))
        count += n
        while count >= 8 {
            let byte = UInt8(truncatingIfNeeded: buffer >> UInt64(count - 8))
            bytes.append(byte)
            if byte == 0xFF { bytes.append(0) }
            count -= 8
        }
    }

    mutating func pad() {
        if count > 0 { write(bits: (1 << UInt32(8 - count)) - 1, count: 8 - count) }
    }

    mutating func restart(marker: UInt8) {
        pad()
        bytes += [0xFF, marker]
    }

    mutating func finish() -> [UInt8] {
        pad()
        return bytes
    }
}
