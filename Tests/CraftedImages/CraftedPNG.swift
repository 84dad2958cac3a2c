import Support

/// A PNG written from its parts, every field under the caller's control: the header's size, bit
/// depth, colour type and interlacing, the palette and transparency, the scanlines (filter bytes
/// and samples) or raw compressed data, how the data is split into IDAT chunks, and a broken CRC
/// or a missing end. For the decoder's tests and fuzz targets: valid-but-extreme files (a huge
/// header over a few rows, 16-bit samples at their extremes, a palette index past the palette,
/// every filter on every row, a stream that inflates far past what the header needs).
public struct CraftedPNG: Sendable {
    public var width: UInt32
    public var height: UInt32
    public var bitDepth: UInt8 = 8
    public var colourType: UInt8 = 0
    public var interlace: UInt8 = 0
    public var compressionMethod: UInt8 = 0
    public var filterMethod: UInt8 = 0
    public var palette: [UInt8]?
    public var transparency: [UInt8]?
    /// Chunks written between the header and the data (ancillary or not, known or not).
    public var otherChunks: [(type: String, data: [UInt8])] = []
    /// The uncompressed data: each row's filter byte and its bytes, pass after pass when interlaced.
    public var scanlines: [UInt8] = []
    /// Compressed data written as is instead of the scanlines' deflate stream.
    public var compressed: [UInt8]?
    public var level: Int32 = 6
    /// How many IDAT chunks carry the data (at least one, at most 4,096).
    public var dataChunks = 1
    public var corruptCRC = false
    public var omitEnd = false

    public init(width: UInt32, height: UInt32, bitDepth: UInt8 = 8, colourType: UInt8 = 0) {
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.colourType = colourType
    }

    public static let channels: [UInt8: Int] = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4]

    /// Bytes in one row of `columns` pixels (without its filter byte), for this header.
    public func rowBytes(columns: Int) -> Int {
        let bits = columns * (Self.channels[colourType] ?? 1) * Int(bitDepth)
        return (bits + 7) / 8
    }

    /// The rows each pass holds, as (columns, rows): one pass, or Adam7's seven.
    public var passes: [(columns: Int, rows: Int)] {
        let w = Int(width), h = Int(height)
        guard interlace == 1 else { return [(w, h)] }
        let starts = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        return starts.map { x, y, dx, dy in (w > x ? (w - x + dx - 1) / dx : 0, h > y ? (h - y + dy - 1) / dy : 0) }
    }

    /// Fills the scanlines: at most `rowLimit` rows in all (so a huge header gets tiny data), each
    /// with the filter byte `filter(row)` and the byte `sample(row, index)`.
    public mutating func fillRows(rowLimit: Int, filter: (Int) -> UInt8, sample: (Int, Int) -> UInt8) {
        scanlines = []
        var row = 0
        for pass in passes where pass.columns > 0 {
            let count = rowBytes(columns: pass.columns)
            for _ in 0..<pass.rows {
                guard row < rowLimit else { return }
                scanlines.append(filter(row))
                for i in 0..<count { scanlines.append(sample(row, i)) }
                row += 1
            }
        }
    }

    public func bytes() -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: ArraySlice<UInt8>) {
            let name = Array(type.utf8.prefix(4))
            out.append(contentsOf: be32(UInt32(data.count)))
            out.append(contentsOf: name)
            out.append(contentsOf: data)
            let crc = Zlib.crc32(data, initial: Zlib.crc32(name))
            out.append(contentsOf: be32(corruptCRC ? ~crc : crc))
        }
        func chunk(_ type: String, _ data: [UInt8]) { chunk(type, data[...]) }
        chunk("IHDR", be32(width) + be32(height) + [bitDepth, colourType, compressionMethod, filterMethod, interlace])
        for (type, data) in otherChunks { chunk(type, data) }
        if let palette { chunk("PLTE", palette) }
        if let transparency { chunk("tRNS", transparency) }
        let data = compressed ?? ((try? Zlib.deflate(scanlines, level: level)) ?? [])
        let parts = max(1, min(dataChunks, max(data.count, 1), 4096))
        let size = (data.count + parts - 1) / parts
        for k in 0..<parts {
            let start = min(k * size, data.count), end = min(start + size, data.count)
            chunk("IDAT", data[start..<end])
        }
        if !omitEnd { chunk("IEND", []) }
        return out
    }

    func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }
}

/// A PGM, PPM or PBM written from its parts: the magic, the size and maximum value as text (any
/// numbers, with comments and odd whitespace between them), then raw or ASCII samples.
public struct CraftedPNM: Sendable {
    /// "P1" to "P6" (or anything else).
    public var magic: String
    public var width: String
    public var height: String
    /// Absent for PBM.
    public var maximum: String?
    /// What separates the header's fields ("\n", " ", "\t", a comment "# ...\n").
    public var separator = "\n"
    public var data: [UInt8] = []

    public init(magic: String, width: String, height: String, maximum: String?) {
        self.magic = magic
        self.width = width
        self.height = height
        self.maximum = maximum
    }

    public func bytes() -> [UInt8] {
        var header = magic + separator + width + separator + height
        if let maximum { header += separator + maximum }
        return Array((header + "\n").utf8) + data
    }
}
