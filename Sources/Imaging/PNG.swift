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

    /// Decodes a non-interlaced 8-bit grey, grey+alpha, RGB or RGBA PNG (every filter type).
    public static func decode(_ bytes: [UInt8], file: String = "(PNG data)") throws(PNGError) -> Image {
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { throw .notPNG(file: file) }
        var position = 8
        var width = 0, height = 0, channels = 0
        var compressed: [UInt8] = []
        var sawHeader = false
        while true {
            guard position + 8 <= bytes.count else { throw .truncated(file: file, chunk: sawHeader ? "IEND" : "IHDR") }
            let length = Int(readBigEndian(bytes, position))
            let type = String(decoding: bytes[(position + 4)..<(position + 8)], as: UTF8.self)
            guard length <= bytes.count - position - 12 else { throw .truncated(file: file, chunk: type) }
            let data = Array(bytes[(position + 8)..<(position + 8 + length)])
            let crc = readBigEndian(bytes, position + 8 + length)
            guard Zlib.crc32(bytes[(position + 4)..<(position + 8 + length)]) == crc else { throw .badCRC(file: file, chunk: type) }
            position += 12 + length
            switch type {
            case "IHDR":
                guard length == 13 else { throw .corrupt(file: file, reason: "IHDR has \(length) bytes, expected 13") }
                width = Int(readBigEndian(data, 0))
                height = Int(readBigEndian(data, 4))
                guard width > 0, height > 0, width <= 1 << 16, height <= 1 << 16 else {
                    throw .unsupported(file: file, reason: "size \(width)x\(height)")
                }
                guard data[8] == 8 else { throw .unsupported(file: file, reason: "bit depth \(data[8])") }
                guard data[12] == 0 else { throw .unsupported(file: file, reason: "interlacing") }
                switch data[9] {
                case 0: channels = 1
                case 4: channels = 2
                case 2: channels = 3
                case 6: channels = 4
                default: throw .unsupported(file: file, reason: "colour type \(data[9])")
                }
                sawHeader = true
            case "IDAT":
                compressed += data
            case "IEND":
                guard sawHeader else { throw .corrupt(file: file, reason: "no IHDR chunk") }
                return try unfilter(compressed, width: width, height: height, channels: channels, file: file)
            default:
                continue
            }
        }
    }

    private static func unfilter(_ compressed: [UInt8], width: Int, height: Int, channels: Int,
                                 file: String) throws(PNGError) -> Image {
        let stride = width * channels
        let raw: [UInt8]
        do {
            raw = try Zlib.inflate(compressed, container: .zlib, sizeHint: (stride + 1) * height, limit: (stride + 1) * height)
        } catch {
            throw .corrupt(file: file, reason: error.description)
        }
        guard raw.count == (stride + 1) * height else {
            throw .corrupt(file: file, reason: "image data has \(raw.count) bytes, expected \((stride + 1) * height)")
        }
        var pixels = [UInt8](repeating: 0, count: stride * height)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            let source = y * (stride + 1) + 1
            let target = y * stride
            for x in 0..<stride {
                let a = x >= channels ? Int(pixels[target + x - channels]) : 0
                let b = y > 0 ? Int(pixels[target - stride + x]) : 0
                let c = (y > 0 && x >= channels) ? Int(pixels[target - stride + x - channels]) : 0
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
                default: throw .corrupt(file: file, reason: "row \(y) has filter type \(filter)")
                }
                pixels[target + x] = raw[source + x] &+ UInt8(truncatingIfNeeded: predictor)
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(Zlib.crc32(typeBytes + data))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    private static func readBigEndian(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }
}
