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
    /// Whether grey levels are all the sink keeps: a decoder may then hand on the luminance it has
    /// (a JPEG's Y) instead of colour.
    static var prefersLuminance: Bool { get }
}

extension PixelRowSink {
    /// Colour as well as grey, unless a sink says otherwise.
    public static var prefersLuminance: Bool { false }
}

/// The decoders' default bound on what a decoded picture may take in memory: 1 GB.
public let defaultMaximumDecodedBytes = 1 << 30

/// Why a picture is refused before it is decoded: its pixels would take more memory than allowed.
public struct PictureTooLarge: Error, Equatable, CustomStringConvertible {
    /// The picture's file, or what stands for it in messages.
    public var file: String
    /// Its width in pixels, from its header.
    public var width: Int
    /// Its height in pixels, from its header.
    public var height: Int
    /// The bytes its pixels would take (Int.max when that overflows).
    public var bytes: Int
    /// The bytes allowed.
    public var limit: Int
    /// The message to show: the file or field, what was expected and what was found.
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
    /// The image's size and channels, set by `begin`.
    public private(set) var width = 0, height = 0, channels = 1
    /// The samples received so far, row by row.
    public private(set) var pixels: [UInt8] = []

    /// An empty sink, for one picture.
    public init() {}
    /// One byte a channel.
    public static func bytesPerPixel(channels: Int) -> Int { channels }

    /// Called by the decoder before the first row.
    public mutating func begin(width: Int, height: Int, channels: Int) {
        (self.width, self.height, self.channels) = (width, height, channels)
    }

    /// Keeps one row.
    public mutating func append(row: UnsafeBufferPointer<UInt8>) {
        reserveWholePicture(&pixels, adding: row.count, total: width * height * channels)
        pixels.append(contentsOf: row)
    }

    /// The image received.
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
