import Foundation
import Support

/// Why a picture file was not decoded; each case names the file.
public enum ImageFileError: Error, Equatable, CustomStringConvertible {
    /// Not PNG, JPEG or PBM/PGM/PPM; `found` is the first bytes.
    case unknownFormat(file: String, found: [UInt8])
    /// The header or the data is wrong; `reason` says how.
    case malformed(file: String, reason: String)
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// A kind of file this tool knows of but does not decode (progressive JPEG, ...).
    case unsupported(file: String, what: String)
    /// Its pixels would take more memory than allowed.
    case tooLarge(PictureTooLarge)

    /// The message to show: the file or field, what was expected and what was found.
    public var description: String {
        switch self {
        case .unknownFormat(let file, let found):
            let shown = found.map { (32...126).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            return "\(file): not an image this tool reads (expected PNG, JPEG, or PGM/PPM/PBM starting P1-P6; the file starts with \"\(shown)\")"
        case .malformed(let file, let reason): return "\(file): malformed image: \(reason)"
        case .unreadable(let file, let reason): return "\(file): \(reason)"
        case .unsupported(let file, let what): return "\(file): \(what) is not supported (save the picture as PNG or as baseline JPEG)"
        case .tooLarge(let error): return error.description
        }
    }
}

/// Netpbm images: PBM (P1 text, P4 binary), PGM (P2, P5) and PPM (P3, P6), any maximum value up to
/// 65535, `#` comments in the header. Samples come out as 8 bits (scaled and rounded); PBM's 1 is
/// black.
public enum PNM {
    /// Decodes a PBM, PGM or PPM whole; refuses it before decoding when its pixels would take more than
    /// `maximumBytes`. `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String = "(PNM data)",
                              maximumBytes: Int = defaultMaximumDecodedBytes) throws(ImageFileError) -> Image {
        var rows = ImageRows()
        try decode(bytes, file: file, into: &rows, maximumBytes: maximumBytes)
        return rows.image
    }

    /// Decodes row by row into `sink`. The data's length is checked against the header before any
    /// row is kept, so a short file with a large header costs nothing.
    public static func decode<Sink: PixelRowSink>(_ bytes: [UInt8], file: String, into sink: inout Sink,
                                                  maximumBytes: Int = defaultMaximumDecodedBytes) throws(ImageFileError) {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(bytes[1]) else {
            throw .unknownFormat(file: file, found: Array(bytes.prefix(8)))
        }
        let kind = Int(bytes[1] - UInt8(ascii: "0"))
        var position = 2

        func isSpace(_ b: UInt8) -> Bool { b == 32 || (9...13).contains(b) }
        /// The next unsigned decimal number, skipping white space and comments.
        func number(_ field: String) throws(ImageFileError) -> Int {
            while position < bytes.count {
                if isSpace(bytes[position]) { position += 1 } else if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count, bytes[position] != 10, bytes[position] != 13 { position += 1 }
                } else { break }
            }
            guard position < bytes.count else { throw .malformed(file: file, reason: "the file ends before the \(field)") }
            var value = 0, digits = 0
            while position < bytes.count, (48...57).contains(bytes[position]) {
                value = value * 10 + Int(bytes[position] - 48)
                digits += 1
                position += 1
                guard value <= 1 << 30 else { throw .malformed(file: file, reason: "the \(field) is too large") }
            }
            guard digits > 0 else {
                throw .malformed(file: file, reason: "expected the \(field) (a number), found byte \(bytes[position])")
            }
            return value
        }

        let width = try number("width"), height = try number("height")
        guard width > 0, height > 0 else { throw .malformed(file: file, reason: "size \(width)x\(height)") }
        let isBitmap = kind == 1 || kind == 4
        let maximum = isBitmap ? 1 : try number("maximum value")
        guard (1...65535).contains(maximum) else { throw .malformed(file: file, reason: "maximum value \(maximum) (expected 1 to 65535)") }
        let channels = (kind == 3 || kind == 6) ? 3 : 1
        let count = width * height * channels  // at most 3 x 2^60: no overflow
        // What the data must hold at the least, checked before anything is kept: one byte a sample
        // in P1 (two, digit and space, in P2 and P3, but for the last), the exact bytes in P4-P6.
        let needed: Int
        switch kind {
        case 1: needed = count
        case 2, 3: needed = 2 * count - 1
        case 4: needed = (width + 7) / 8 * height
        default: needed = count * (maximum > 255 ? 2 : 1)
        }
        let available = bytes.count - position - (kind >= 4 ? 1 : 0)
        guard available >= needed else {
            if kind >= 4 { throw .malformed(file: file, reason: "truncated: \(max(0, available)) bytes of pixels, expected \(needed)") }
            throw .malformed(file: file, reason: "\(max(0, available)) bytes of pixels cannot hold the \(count) samples of a \(width)x\(height) image")
        }
        do {
            try PictureTooLarge.check(file: file, width: width, height: height, bytesPerPixel: Sink.bytesPerPixel(channels: channels), limit: maximumBytes)
        } catch {
            throw .tooLarge(error)
        }
        sink.begin(width: width, height: height, channels: channels)
        var row = [UInt8](repeating: 0, count: width * channels)
        func scaled(_ v: Int) -> UInt8 { UInt8((min(v, maximum) * 255 + maximum / 2) / maximum) }
        let perRow = width * channels

        switch kind {
        case 1, 2, 3:
            for n in 0..<count {
                if kind == 1 {
                    // P1 digits may run together without spaces.
                    while position < bytes.count, isSpace(bytes[position]) || bytes[position] == UInt8(ascii: "#") {
                        if bytes[position] == UInt8(ascii: "#") {
                            while position < bytes.count, bytes[position] != 10 { position += 1 }
                        } else { position += 1 }
                    }
                    guard position < bytes.count else { throw .malformed(file: file, reason: "\(count - n) pixels missing at the end") }
                    let b = bytes[position]
                    guard b == 48 || b == 49 else { throw .malformed(file: file, reason: "pixel \(n) is byte \(b), expected 0 or 1") }
                    row[n % perRow] = b == 49 ? 0 : 255
                    position += 1
                } else {
                    let v = try number("sample \(n) of \(count)")
                    guard v <= maximum else { throw .malformed(file: file, reason: "sample \(n) is \(v), over the maximum \(maximum)") }
                    row[n % perRow] = scaled(v)
                }
                if n % perRow == perRow - 1 { row.withUnsafeBufferPointer { sink.append(row: $0) } }
            }
        default:
            // One white-space byte separates the header from the binary samples.
            guard position < bytes.count, isSpace(bytes[position]) else {
                throw .malformed(file: file, reason: "expected white space after the header")
            }
            position += 1
            if kind == 4 {
                let rowBytes = (width + 7) / 8
                for y in 0..<height {
                    for x in 0..<width {
                        let bit = (bytes[position + y * rowBytes + x / 8] >> (7 - x % 8)) & 1
                        row[x] = bit == 1 ? 0 : 255
                    }
                    row.withUnsafeBufferPointer { sink.append(row: $0) }
                }
            } else if maximum == 255 {
                // The samples are the bytes: each row handed on as it lies in the file.
                bytes.withUnsafeBufferPointer { bytes in
                    for y in 0..<height { sink.append(row: UnsafeBufferPointer(rebasing: bytes[(position + y * perRow)..<(position + (y + 1) * perRow)])) }
                }
            } else {
                let size = maximum > 255 ? 2 : 1
                for y in 0..<height {
                    let start = position + y * perRow * size
                    for n in 0..<perRow {
                        let v = size == 1 ? Int(bytes[start + n]) : Int(bytes[start + 2 * n]) << 8 | Int(bytes[start + 2 * n + 1])
                        row[n] = scaled(v)
                    }
                    row.withUnsafeBufferPointer { sink.append(row: $0) }
                }
            }
        }
    }
}

/// Reading an image file of any format this tool knows, chosen by its first bytes.
public enum ImageFile {
    /// Decodes a PNG, JPEG or PBM/PGM/PPM file's bytes whole, its format chosen by its first bytes.
    public static func decode(_ bytes: [UInt8], file: String, maximumBytes: Int = defaultMaximumDecodedBytes) throws -> Image {
        var rows = ImageRows()
        try decode(bytes, file: file, into: &rows, maximumBytes: maximumBytes)
        return rows.image
    }

    /// The picture's grey levels, as the digit preparation takes them, decoded row by row: four
    /// bytes a pixel (five with transparency) and no full-size 8-bit copy.
    public static func decodeGrey(_ bytes: [UInt8], file: String, maximumBytes: Int = defaultMaximumDecodedBytes) throws -> GreyPicture {
        var rows = GreyPicture.Rows()
        try decode(bytes, file: file, into: &rows, maximumBytes: maximumBytes, photoPixels: digitPhotoPixels)
        return rows.takePicture()
    }

    /// The largest picture file read: 256 MB (a 12-megapixel photo is about 5 MB as JPEG, 36 MB as PPM).
    public static let maximumFileBytes = 256 << 20

    /// A digit reader needs no more than this many pixels of a photo: larger JPEGs are decoded at
    /// 1/2, 1/4 or 1/8 of their size (a 640x480 photo at 320x240, a 12-megapixel one at 504x378,
    /// where a digit a third of the frame's height is still 120 pixels tall).
    public static let digitPhotoPixels = 250_000

    /// `photoPixels`: JPEGs larger than this are decoded at a reduced size (`JPEG.decode`).
    public static func decode<Sink: PixelRowSink>(_ bytes: [UInt8], file: String, into sink: inout Sink,
                                                  maximumBytes: Int = defaultMaximumDecodedBytes, photoPixels: Int? = nil) throws {
        if bytes.count >= 8, Array(bytes[0..<8]) == PNG.signature {
            try PNG.decode(bytes, file: file, into: &sink, maximumBytes: maximumBytes)
        } else if bytes.count >= 2, Array(bytes[0..<2]) == JPEG.signature {
            try JPEG.decode(bytes, file: file, into: &sink, maximumBytes: maximumBytes, maximumPixels: photoPixels)
        } else {
            try PNM.decode(bytes, file: file, into: &sink, maximumBytes: maximumBytes)
        }
    }

    /// Reads a picture file into `sink`.
    public static func read<Sink: PixelRowSink>(_ path: String, into sink: inout Sink, maximumBytes: Int = defaultMaximumDecodedBytes,
                                                photoPixels: Int? = nil) throws {
        let bytes: [UInt8]
        do { bytes = try Files.read(path, maximumBytes: maximumFileBytes) } catch {
            throw ImageFileError.unreadable(file: path, reason: error.reason)
        }
        try decode(bytes, file: path, into: &sink, maximumBytes: maximumBytes, photoPixels: photoPixels)
    }

    /// Reads and decodes a picture file whole (PNG, JPEG, or PBM/PGM/PPM).
    public static func read(_ path: String) throws -> Image {
        var rows = ImageRows()
        try read(path, into: &rows)
        return rows.image
    }

    /// A picture file's grey levels (see `decodeGrey`).
    public static func readGrey(_ path: String, maximumBytes: Int = defaultMaximumDecodedBytes) throws -> GreyPicture {
        var rows = GreyPicture.Rows()
        try read(path, into: &rows, maximumBytes: maximumBytes, photoPixels: digitPhotoPixels)
        return rows.takePicture()
    }
}
