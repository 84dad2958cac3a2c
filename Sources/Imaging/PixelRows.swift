/// Where an image decoder puts the picture, one row of 8-bit pixels at a time from the top, so that
/// what is kept is chosen by the caller: the whole 8-bit image (`ImageRows`), or only the grey
/// levels a digit reader needs (`GreyPicture.Rows`), and never a full-size intermediate copy.
public protocol PixelRowSink {
    /// The bytes this sink keeps per pixel of a picture with `channels` channels: the decoders refuse
    /// a picture whose pixels would take more than their byte limit before they keep any.
    static func bytesPerPixel(channels: Int) -> Int
    /// Called once, before the first row (width and height at least 1, channels 1 to 4).
    mutating func begin(width: Int, height: Int, channels: Int)
    /// One row: `width * channels` samples, interleaved (grey, grey+alpha, RGB or RGBA).
    mutating func append(row: UnsafeBufferPointer<UInt8>)
}

/// The decoders' default bound on what a decoded picture may take in memory: 1 GB.
public let defaultMaximumDecodedBytes = 1 << 30

/// Why a picture is refused before it is decoded: its pixels would take more memory than allowed.
public struct PictureTooLarge: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var width: Int
    public var height: Int
    public var bytes: Int
    public var limit: Int
    public var description: String {
        "\(file): the picture is \(width)x\(height) pixels; decoding it would take \(Self.megabytes(bytes)), over the limit of \(Self.megabytes(limit))"
    }
    static func megabytes(_ bytes: Int) -> String {
        bytes >= 10 << 20 ? "\(bytes >> 20) MB" : "\(bytes) bytes"
    }

    /// Throws unless `width x height` pixels of `bytesPerPixel` bytes fit in `limit` (without overflow).
    static func check(file: String, width: Int, height: Int, bytesPerPixel: Int, limit: Int) throws(PictureTooLarge) {
        let (pixels, overflow1) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflow2) = pixels.multipliedReportingOverflow(by: bytesPerPixel)
        guard !overflow1, !overflow2, bytes <= limit else {
            throw PictureTooLarge(file: file, width: width, height: height, bytes: overflow1 || overflow2 ? Int.max : bytes, limit: limit)
        }
    }
}

/// Keeps every row: the whole 8-bit image.
public struct ImageRows: PixelRowSink {
    public private(set) var width = 0, height = 0, channels = 1
    public private(set) var pixels: [UInt8] = []

    public init() {}
    public static func bytesPerPixel(channels: Int) -> Int { channels }

    public mutating func begin(width: Int, height: Int, channels: Int) {
        (self.width, self.height, self.channels) = (width, height, channels)
    }

    public mutating func append(row: UnsafeBufferPointer<UInt8>) {
        reserveWholePicture(&pixels, adding: row.count, total: width * height * channels)
        pixels.append(contentsOf: row)
    }

    public var image: Image { Image(width: width, height: height, channels: channels, pixels: pixels) }
}

/// Makes room for the picture when its first row arrives: its whole size at once, so the rows are
/// never copied as they come (a growing array's copies would briefly take up to twice the picture).
/// Nothing is reserved from a header alone, and what is reserved costs memory only as rows fill it:
/// a large buffer is mapped pages that the system provides when they are first written, so a
/// picture whose data stops early costs the rows that came, not its header's size.
@inline(__always) func reserveWholePicture<T>(_ array: inout [T], adding count: Int, total: Int) {
    let needed = array.count + count
    if needed > array.capacity { array.reserveCapacity(max(needed, total)) }
}

/// A picture as the digit preparation sees it: grey levels from 0 (black) to 1 (white), row by row,
/// with any transparency already laid on a background that contrasts with the opaque pixels
/// (white under dark ink, black under light ink).
public struct GreyPicture: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var grey: [Float]

    public init(width: Int, height: Int, grey: [Float]) {
        precondition(grey.count == width * height)
        self.width = width
        self.height = height
        self.grey = grey
    }

    /// An 8-bit image's grey levels.
    public init(_ image: Image) {
        var rows = Rows()
        rows.begin(width: image.width, height: image.height, channels: image.channels)
        let stride = image.width * image.channels
        image.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<image.height { rows.append(row: UnsafeBufferPointer(rebasing: pixels[(y * stride)..<((y + 1) * stride)])) }
        }
        self = rows.takePicture()
    }

    /// Turns each row into grey levels as it arrives: grey = 0.299 R + 0.587 G + 0.114 B; alpha,
    /// when there is some, is kept (one byte a pixel) until the last row tells which background the
    /// transparent pixels lie on. Four or five bytes a pixel in all.
    public struct Rows: PixelRowSink {
        var width = 0, height = 0, channels = 1
        var grey: [Float] = []
        var alpha: [UInt8] = []
        /// The alpha-weighted sum of the luminance, and of the alphas.
        var weighted: Float = 0, weights: Float = 0

        public init() {}
        public static func bytesPerPixel(channels: Int) -> Int { channels == 2 || channels == 4 ? 5 : 4 }

        public mutating func begin(width: Int, height: Int, channels: Int) {
            (self.width, self.height, self.channels) = (width, height, channels)
        }

        public mutating func append(row: UnsafeBufferPointer<UInt8>) {
            let c = channels, count = row.count / c
            reserveWholePicture(&grey, adding: count, total: width * height)
            for n in 0..<count {
                let luminance: Float = c <= 2 ? Float(row[n * c]) / 255
                    : (0.299 * Float(row[n * c]) + 0.587 * Float(row[n * c + 1]) + 0.114 * Float(row[n * c + 2])) / 255
                grey.append(luminance)
            }
            guard c == 2 || c == 4 else { return }
            reserveWholePicture(&alpha, adding: count, total: width * height)
            for n in 0..<count {
                let value = row[n * c + c - 1]
                alpha.append(value)
                let a = Float(value) / 255
                weighted += a * grey[grey.count - count + n]
                weights += a
            }
        }

        /// The picture, with transparent pixels laid on the contrasting background; the rows are
        /// handed over, not copied.
        public mutating func takePicture() -> GreyPicture {
            var values = grey
            grey = []
            if channels == 2 || channels == 4 {
                let under: Float = weights > 0 && weighted / weights > 0.5 ? 0 : 1
                for n in 0..<values.count {
                    let a = Float(alpha[n]) / 255
                    values[n] = a * values[n] + (1 - a) * under
                }
                alpha = []
            }
            return GreyPicture(width: width, height: height, grey: values)
        }
    }
}
