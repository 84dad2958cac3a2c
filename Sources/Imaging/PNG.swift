import Support

/// An 8-bit image: grey (1 channel), grey+alpha (2), RGB (3) or RGBA (4), row-major, interleaved.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}

public enum PNGError: Error, Equatable, CustomStringConvertible {
    case notPNG(file: String)
    case truncated(file: String, chunk: String)
    case badCRC(file: String, chunk: String)
    case unsupported(file: String, reason: String)
    case corrupt(file: String, reason: String)

    public var description: String {
        switch self {
        case .notPNG(let file): return "\(file): not a PNG file (expected the 8-byte PNG signature)"
        case .truncated(let file, let chunk): return "\(file): truncated PNG (the \(chunk) chunk ends early)"
        case .badCRC(let file, let chunk): return "\(file): corrupt PNG (CRC mismatch in the \(chunk) chunk)"
        case .unsupported(let file, let reason): return "\(file): unsupported PNG: \(reason)"
        case .corrupt(let file, let reason): return "\(file): corrupt PNG: \(reason)"
        }
    }
}

/// PNG (ISO/IEC 15948) over zlib.
public enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

    /// Encodes an 8-bit image, non-interlaced, each row with filter type 0 (none) or 2 (up),
    /// whichever is smaller by the usual sum-of-absolute-values heuristic.
    public static func encode(_ image: Image) throws -> [UInt8] {
        let colourType: UInt8
        switch image.channels {
        case 1: colourType = 0
        case 2: colourType = 4
        case 3: colourType = 2
        case 4: colourType = 6
        default: throw PNGError.unsupported(file: "(encoder)", reason: "\(image.channels) channels")
        }
        let stride = image.width * image.channels
        var raw: [UInt8] = []
        raw.reserveCapacity((stride + 1) * image.height)
        for y in 0..<image.height {
            let row = image.pixels[(y * stride)..<((y + 1) * stride)]
            if y > 0 {
                let above = image.pixels[((y - 1) * stride)..<(y * stride)]
                let up = zip(row, above).map { $0 &- $1 }
                let cost = { (bytes: [UInt8]) in bytes.reduce(0) { $0 + Int(Int8(bitPattern: $1).magnitude) } }
                if cost(up) < cost(Array(row)) {
                    raw.append(2)
                    raw += up
                    continue
                }
            }
            raw.append(0)
            raw += row
        }
        var header: [UInt8] = []
        header += bigEndian(UInt32(image.width))
        header += bigEndian(UInt32(image.height))
        header += [8, colourType, 0, 0, 0]
        var bytes = signature
        bytes += chunk("IHDR", header)
        bytes += chunk("IDAT", try Zlib.deflate(raw, level: 9))
        bytes += chunk("IEND", [])
        return bytes
    }

    /// Writes `image` as a PNG file atomically.
    public static func write(_ image: Image, to path: String) throws {
        try Files.writeAtomically(try encode(image), to: path)
    }

    /// The largest image `decode` accepts, in pixels (a 4096x4096 photo): a header claiming more is
    /// an error, not an allocation.
    public static let maximumPixels = 1 << 24

    /// Decodes any PNG of the standard: colour types grey, RGB, palette, grey+alpha and RGBA, bit
    /// depths 1, 2, 4, 8 and 16, Adam7 interlacing, every filter type, and tRNS transparency.
    /// Samples come out as 8 bits (16-bit samples rounded, 1/2/4-bit ones scaled to 0-255); a palette
    /// image comes out as RGB, or RGBA when tRNS gives it transparency; a grey or RGB image with a tRNS
    /// colour gains an alpha channel. Ancillary chunks other than tRNS are skipped (their CRC still checked).
    public static func decode(_ bytes: [UInt8], file: String = "(PNG data)") throws(PNGError) -> Image {
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { throw .notPNG(file: file) }
        var position = 8
        var header: Header?
        var palette: [UInt8] = []
        var transparency: [UInt8]?
        var compressed: [UInt8] = []
        while true {
            guard position + 8 <= bytes.count else { throw .truncated(file: file, chunk: header == nil ? "IHDR" : "IEND") }
            let length = Int(readBigEndian(bytes, position))
            let typeBytes = bytes[(position + 4)..<(position + 8)]
            guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                throw .corrupt(file: file, reason: "a chunk at byte \(position) has an invalid type (bytes \(Array(typeBytes)))")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= bytes.count - position - 12 else { throw .truncated(file: file, chunk: type) }
            let data = Array(bytes[(position + 8)..<(position + 8 + length)])
            let crc = readBigEndian(bytes, position + 8 + length)
            guard Zlib.crc32(bytes[(position + 4)..<(position + 8 + length)]) == crc else { throw .badCRC(file: file, chunk: type) }
            position += 12 + length
            if header == nil, type != "IHDR" { throw .corrupt(file: file, reason: "the first chunk is \(type), expected IHDR") }
            switch type {
            case "IHDR":
                guard header == nil else { throw .corrupt(file: file, reason: "a second IHDR chunk") }
                header = try Header(data, file: file)
            case "PLTE":
                guard length % 3 == 0, (3...768).contains(length) else {
                    throw .corrupt(file: file, reason: "PLTE has \(length) bytes, expected a multiple of 3 from 3 to 768")
                }
                palette = data
            case "tRNS":
                transparency = data
            case "IDAT":
                compressed += data
            case "IEND":
                guard let header else { throw .corrupt(file: file, reason: "no IHDR chunk") }
                guard !compressed.isEmpty else { throw .corrupt(file: file, reason: "no IDAT chunk") }
                return try header.decode(compressed, palette: palette, transparency: transparency, file: file)
            default:
                // An unknown critical chunk (uppercase first letter) cannot be skipped safely.
                if let first = typeBytes.first, (65...90).contains(first), !["PLTE", "IDAT"].contains(type) {
                    throw .unsupported(file: file, reason: "critical chunk \(type)")
                }
            }
        }
    }

    /// The IHDR fields and what follows from them.
    struct Header {
        var width: Int, height: Int, bitDepth: Int, colourType: Int, interlaced: Bool
        /// Samples per pixel in the file.
        var samples: Int {
            switch colourType {
            case 2: return 3
            case 4: return 2
            case 6: return 4
            default: return 1
            }
        }
        var bitsPerPixel: Int { samples * bitDepth }
        /// The filter's byte distance: bytes per complete pixel, at least 1.
        var filterDistance: Int { max(1, bitsPerPixel / 8) }
        func rowBytes(_ width: Int) -> Int { (width * bitsPerPixel + 7) / 8 }

        init(_ data: [UInt8], file: String) throws(PNGError) {
            guard data.count == 13 else { throw .corrupt(file: file, reason: "IHDR has \(data.count) bytes, expected 13") }
            width = Int(PNG.readBigEndian(data, 0))
            height = Int(PNG.readBigEndian(data, 4))
            bitDepth = Int(data[8])
            colourType = Int(data[9])
            guard width > 0, height > 0 else { throw .corrupt(file: file, reason: "size \(width)x\(height)") }
            guard width <= PNG.maximumPixels, height <= PNG.maximumPixels, width * height <= PNG.maximumPixels else {
                throw .unsupported(file: file, reason: "size \(width)x\(height) is over the limit of \(PNG.maximumPixels) pixels")
            }
            let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
            guard let depths = allowed[colourType] else { throw .corrupt(file: file, reason: "colour type \(colourType) (expected 0, 2, 3, 4 or 6)") }
            guard depths.contains(bitDepth) else {
                throw .corrupt(file: file, reason: "bit depth \(bitDepth) with colour type \(colourType) (allowed: \(depths.map(String.init).joined(separator: ", ")))")
            }
            guard data[10] == 0 else { throw .corrupt(file: file, reason: "compression method \(data[10]) (expected 0)") }
            guard data[11] == 0 else { throw .corrupt(file: file, reason: "filter method \(data[11]) (expected 0)") }
            guard data[12] <= 1 else { throw .corrupt(file: file, reason: "interlace method \(data[12]) (expected 0 or 1)") }
            interlaced = data[12] == 1
        }

        /// The passes of the image data: (x0, y0, dx, dy), one whole-image pass or Adam7's seven.
        var passes: [(Int, Int, Int, Int)] {
            interlaced ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
                       : [(0, 0, 1, 1)]
        }

        func decode(_ compressed: [UInt8], palette: [UInt8], transparency: [UInt8]?, file: String) throws(PNGError) -> Image {
            if colourType == 3, palette.isEmpty { throw .corrupt(file: file, reason: "a palette image without a PLTE chunk") }
            var expected = 0
            for (x0, y0, dx, dy) in passes {
                let w = (width - x0 + dx - 1) / dx, h = (height - y0 + dy - 1) / dy
                if w > 0, h > 0 { expected += (rowBytes(w) + 1) * h }
            }
            let raw: [UInt8]
            do {
                raw = try Zlib.inflate(compressed, container: .zlib, sizeHint: expected, limit: expected)
            } catch {
                throw .corrupt(file: file, reason: error.description)
            }
            guard raw.count == expected else {
                throw .corrupt(file: file, reason: "image data has \(raw.count) bytes, expected \(expected)")
            }
            // The common case, 8-bit grey/RGB/alpha without interlacing or tRNS: the rows are the pixels.
            if bitDepth == 8, !interlaced, colourType != 3, transparency == nil {
                let rows = try PNG.unfilter(raw, from: 0, stride: rowBytes(width), rows: height, distance: filterDistance, file: file)
                return Image(width: width, height: height, channels: samples, pixels: rows)
            }
            // Samples at full precision, in file order, for every pixel.
            var values = [UInt16](repeating: 0, count: width * height * samples)
            var cursor = 0
            for (x0, y0, dx, dy) in passes {
                let w = (width - x0 + dx - 1) / dx, h = (height - y0 + dy - 1) / dy
                guard w > 0, h > 0 else { continue }
                let stride = rowBytes(w)
                let rows = try PNG.unfilter(raw, from: cursor, stride: stride, rows: h, distance: filterDistance, file: file)
                cursor += (stride + 1) * h
                for y in 0..<h {
                    for x in 0..<w {
                        let target = (((y0 + y * dy) * width) + x0 + x * dx) * samples
                        for s in 0..<samples { values[target + s] = sample(rows, row: y * stride, index: x * samples + s) }
                    }
                }
            }
            return try output(values, palette: palette, transparency: transparency, file: file)
        }

        /// Sample `index` of a row: packed bits for depths under 8, big-endian pairs for 16.
        @inline(__always) func sample(_ rows: [UInt8], row: Int, index: Int) -> UInt16 {
            switch bitDepth {
            case 8: return UInt16(rows[row + index])
            case 16: return UInt16(rows[row + 2 * index]) << 8 | UInt16(rows[row + 2 * index + 1])
            default:
                let bit = index * bitDepth
                let byte = rows[row + bit / 8]
                return UInt16((byte >> (8 - bitDepth - bit % 8)) & UInt8((1 << bitDepth) - 1))
            }
        }

        func output(_ values: [UInt16], palette: [UInt8], transparency: [UInt8]?, file: String) throws(PNGError) -> Image {
            let count = width * height
            let maximum = (1 << bitDepth) - 1
            /// A sample scaled to 8 bits, rounded.
            func eight(_ v: UInt16) -> UInt8 { UInt8((Int(v) * 255 + maximum / 2) / maximum) }
            if colourType == 3 {
                let entries = palette.count / 3
                let alphas = transparency ?? []
                guard alphas.count <= entries else {
                    throw .corrupt(file: file, reason: "tRNS has \(alphas.count) entries for a palette of \(entries)")
                }
                let channels = alphas.isEmpty ? 3 : 4
                var pixels = [UInt8](repeating: 0, count: count * channels)
                for n in 0..<count {
                    let index = Int(values[n])
                    guard index < entries else {
                        throw .corrupt(file: file, reason: "pixel \(n % width),\(n / width) uses palette entry \(index) of \(entries)")
                    }
                    for c in 0..<3 { pixels[n * channels + c] = palette[index * 3 + c] }
                    if channels == 4 { pixels[n * 4 + 3] = index < alphas.count ? alphas[index] : 255 }
                }
                return Image(width: width, height: height, channels: channels, pixels: pixels)
            }
            // A tRNS colour (grey: one 2-byte sample; RGB: three) turns that exact colour transparent.
            var key: [UInt16]?
            if let transparency, colourType == 0 || colourType == 2 {
                let needed = colourType == 0 ? 2 : 6
                guard transparency.count == needed else {
                    throw .corrupt(file: file, reason: "tRNS has \(transparency.count) bytes, expected \(needed) for colour type \(colourType)")
                }
                key = stride(from: 0, to: needed, by: 2).map { UInt16(transparency[$0]) << 8 | UInt16(transparency[$0 + 1]) }
            }
            let channels = samples + (key == nil ? 0 : 1)
            var pixels = [UInt8](repeating: 0, count: count * channels)
            for n in 0..<count {
                for s in 0..<samples { pixels[n * channels + s] = eight(values[n * samples + s]) }
                if let key {
                    let matches = (0..<samples).allSatisfy { values[n * samples + $0] == key[$0] }
                    pixels[n * channels + samples] = matches ? 0 : 255
                }
            }
            return Image(width: width, height: height, channels: channels, pixels: pixels)
        }
    }

    /// Undoes the per-row filters of `rows` rows of `stride` bytes (each after its filter-type byte)
    /// starting at `start` in `raw`; returns the rows without their filter bytes.
    static func unfilter(_ raw: [UInt8], from start: Int, stride: Int, rows: Int, distance: Int,
                         file: String) throws(PNGError) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: stride * rows)
        for y in 0..<rows {
            let filter = raw[start + y * (stride + 1)]
            let source = start + y * (stride + 1) + 1
            let target = y * stride
            for x in 0..<stride {
                let a = x >= distance ? Int(pixels[target + x - distance]) : 0
                let b = y > 0 ? Int(pixels[target - stride + x]) : 0
                let c = (y > 0 && x >= distance) ? Int(pixels[target - stride + x - distance]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw .corrupt(file: file, reason: "row \(y) has filter type \(filter) (expected 0-4)")
                }
                pixels[target + x] = raw[source + x] &+ UInt8(truncatingIfNeeded: predictor)
            }
        }
        return pixels
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(Zlib.crc32(typeBytes + data))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    static func readBigEndian(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }
}
