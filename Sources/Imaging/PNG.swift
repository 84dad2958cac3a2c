import Support

/// An 8-bit image: grey (1 channel), grey+alpha (2), RGB (3) or RGBA (4), row-major, interleaved.
public struct Image: Sendable, Equatable {
    /// Pixels per row.
    public var width: Int
    /// Rows.
    public var height: Int
    /// Bytes per pixel: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
    public var channels: Int
    /// The samples, row by row, channels interleaved: `width * height * channels` bytes.
    public var pixels: [UInt8]

    /// An image of `width` x `height` pixels of `channels` bytes; `pixels.count` must be their product.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}

/// Why a PNG file was not decoded; each case names the file.
public enum PNGError: Error, Equatable, CustomStringConvertible {
    /// The file does not start with PNG's signature.
    case notPNG(file: String)
    /// A chunk ends past the end of the file.
    case truncated(file: String, chunk: String)
    /// A chunk's CRC does not match its content.
    case badCRC(file: String, chunk: String)
    /// A PNG this decoder does not read (an unknown critical chunk; in encoding, an image of other than 1-4 channels).
    case unsupported(file: String, reason: String)
    /// The image data is corrupt: bad zlib, filter or size.
    case corrupt(file: String, reason: String)
    /// Its pixels would take more memory than allowed.
    case tooLarge(PictureTooLarge)

    /// The message to show: the file or field, what was expected and what was found.
    public var description: String {
        switch self {
        case .notPNG(let file): return "\(file): not a PNG file (expected the 8-byte PNG signature)"
        case .truncated(let file, let chunk): return "\(file): truncated PNG (the \(chunk) chunk ends early)"
        case .badCRC(let file, let chunk): return "\(file): corrupt PNG (CRC mismatch in the \(chunk) chunk)"
        case .unsupported(let file, let reason): return "\(file): unsupported PNG: \(reason)"
        case .corrupt(let file, let reason): return "\(file): corrupt PNG: \(reason)"
        case .tooLarge(let error): return error.description
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

    /// Decodes any PNG of the standard into an 8-bit image: colour types grey, RGB, palette,
    /// grey+alpha and RGBA, bit depths 1, 2, 4, 8 and 16, Adam7 interlacing, every filter type, and
    /// tRNS transparency. Samples come out as 8 bits (16-bit samples rounded, 1/2/4-bit ones scaled to
    /// 0-255); a palette image comes out as RGB, or RGBA when tRNS gives it transparency; a grey or RGB
    /// image with a tRNS colour gains an alpha channel. Ancillary chunks other than tRNS are skipped
    /// (their CRC still checked). A picture whose pixels would take more than `maximumBytes` is
    /// refused before any of it is kept.
    public static func decode(_ bytes: [UInt8], file: String = "(PNG data)",
                              maximumBytes: Int = defaultMaximumDecodedBytes) throws(PNGError) -> Image {
        var rows = ImageRows()
        try decode(bytes, file: file, into: &rows, maximumBytes: maximumBytes)
        return rows.image
    }

    /// Decodes a PNG row by row into `sink`. The image data is inflated as its chunks come, one row
    /// at a time, unfiltered against the row before and turned into 8-bit pixels, so the only
    /// picture-sized memory is what the sink keeps (interlaced pictures also keep their seven passes
    /// until the last one, counted in the bound). Nothing picture-sized is reserved before the first
    /// row has arrived, and it costs memory only as rows fill it.
    public static func decode<Sink: PixelRowSink>(_ bytes: [UInt8], file: String, into sink: inout Sink,
                                                  maximumBytes: Int = defaultMaximumDecodedBytes) throws(PNGError) {
        guard bytes.count >= 8, Array(bytes[0..<8]) == signature else { throw .notPNG(file: file) }
        var position = 8
        var header: Header?
        var palette: [UInt8] = []
        var transparency: [UInt8]?
        var rows: RowDecoder?
        while true {
            guard position + 8 <= bytes.count else { throw .truncated(file: file, chunk: header == nil ? "IHDR" : "IEND") }
            let length = Int(readBigEndian(bytes, position))
            let typeBytes = bytes[(position + 4)..<(position + 8)]
            guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                throw .corrupt(file: file, reason: "a chunk at byte \(position) has an invalid type (bytes \(Array(typeBytes)))")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            guard length <= bytes.count - position - 12 else { throw .truncated(file: file, chunk: type) }
            let data = bytes[(position + 8)..<(position + 8 + length)]
            let crc = readBigEndian(bytes, position + 8 + length)
            guard Zlib.crc32(bytes[(position + 4)..<(position + 8 + length)]) == crc else { throw .badCRC(file: file, chunk: type) }
            position += 12 + length
            if header == nil, type != "IHDR" { throw .corrupt(file: file, reason: "the first chunk is \(type), expected IHDR") }
            switch type {
            case "IHDR":
                guard header == nil else { throw .corrupt(file: file, reason: "a second IHDR chunk") }
                let read = try Header(Array(data), file: file)
                // At the least the colour type's own channels (tRNS may add one): a size that cannot
                // fit is refused now, before any other chunk is looked at.
                let least = read.colourType == 3 ? 3 : read.samples
                do {
                    try PictureTooLarge.check(file: file, width: read.width, height: read.height,
                                              bytesPerPixel: Sink.bytesPerPixel(channels: least), limit: maximumBytes)
                } catch {
                    throw .tooLarge(error)
                }
                header = read
            case "PLTE":
                guard length % 3 == 0, (3...768).contains(length) else {
                    throw .corrupt(file: file, reason: "PLTE has \(length) bytes, expected a multiple of 3 from 3 to 768")
                }
                palette = Array(data)
            case "tRNS":
                guard rows == nil else { throw .corrupt(file: file, reason: "tRNS after the image data") }
                transparency = Array(data)
            case "IDAT":
                if rows == nil, let header {
                    rows = try RowDecoder(header, palette: palette, transparency: transparency, file: file)
                    let channels = rows!.channels
                    do {
                        try PictureTooLarge.check(file: file, width: header.width, height: header.height,
                                                  bytesPerPixel: Sink.bytesPerPixel(channels: channels) + (header.interlaced ? channels : 0),
                                                  limit: maximumBytes)
                    } catch {
                        throw .tooLarge(error)
                    }
                    sink.begin(width: header.width, height: header.height, channels: channels)
                }
                try data.withUnsafeBufferPointer { (buffer) throws(PNGError) in try rows!.feed(buffer, into: &sink) }
            case "IEND":
                guard header != nil else { throw .corrupt(file: file, reason: "no IHDR chunk") }
                guard rows != nil else { throw .corrupt(file: file, reason: "no IDAT chunk") }
                try rows!.finish(into: &sink)
                return
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
            // The standard's bound, 2^31 - 1 each; the memory bound comes with the first image data.
            guard (1...Int(Int32.max)).contains(width), (1...Int(Int32.max)).contains(height) else {
                throw .corrupt(file: file, reason: "size \(width)x\(height)")
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

        /// The passes of the image data that hold pixels: (x0, y0, dx, dy, width, height), one
        /// whole-image pass or Adam7's seven.
        var passes: [(x0: Int, y0: Int, dx: Int, dy: Int, width: Int, height: Int)] {
            let steps = interlaced ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
                                   : [(0, 0, 1, 1)]
            return steps.compactMap { (x0, y0, dx, dy) in
                let w = (width - x0 + dx - 1) / dx, h = (height - y0 + dy - 1) / dy
                return w > 0 && h > 0 ? (x0, y0, dx, dy, w, h) : nil
            }
        }
    }

    /// The image data of one PNG, inflated, unfiltered and turned into 8-bit pixels a row at a time.
    struct RowDecoder {
        let header: Header
        let file: String
        let palette: [UInt8]
        let alphas: [UInt8]
        /// A tRNS colour (grey: one sample; RGB: three) that is transparent.
        let key: [UInt16]?
        /// Channels of the 8-bit output.
        let channels: Int
        let passes: [(x0: Int, y0: Int, dx: Int, dy: Int, width: Int, height: Int)]
        let expectedBytes: Int
        let inflater: Zlib.Inflater
        var pass = 0, rowInPass = 0
        /// The row being filled (filter byte first), the row above it, and its 8-bit pixels.
        var current: [UInt8], previous: [UInt8], pixels: [UInt8]
        var filled = 0
        /// An interlaced picture's passes, kept until the last one is in.
        var passPixels: [[UInt8]] = []
        var failure: PNGError?

        init(_ header: Header, palette: [UInt8], transparency: [UInt8]?, file: String) throws(PNGError) {
            self.header = header
            self.file = file
            self.palette = palette
            if header.colourType == 3, palette.isEmpty { throw .corrupt(file: file, reason: "a palette image without a PLTE chunk") }
            var channels = header.samples
            var key: [UInt16]?
            var alphas: [UInt8] = []
            if header.colourType == 3 {
                alphas = transparency ?? []
                guard alphas.count <= palette.count / 3 else {
                    throw .corrupt(file: file, reason: "tRNS has \(alphas.count) entries for a palette of \(palette.count / 3)")
                }
                channels = alphas.isEmpty ? 3 : 4
            } else if let transparency, header.colourType == 0 || header.colourType == 2 {
                let needed = header.colourType == 0 ? 2 : 6
                guard transparency.count == needed else {
                    throw .corrupt(file: file, reason: "tRNS has \(transparency.count) bytes, expected \(needed) for colour type \(header.colourType)")
                }
                key = stride(from: 0, to: needed, by: 2).map { UInt16(transparency[$0]) << 8 | UInt16(transparency[$0 + 1]) }
                channels += 1
            }
            self.alphas = alphas
            self.key = key
            self.channels = channels
            passes = header.passes
            expectedBytes = passes.reduce(0) { $0 + (header.rowBytes($1.width) + 1) * $1.height }
            do { inflater = try Zlib.Inflater(container: .zlib, limit: expectedBytes) } catch {
                throw .corrupt(file: file, reason: error.description)
            }
            let widest = passes.map(\.width).max() ?? 0
            current = [UInt8](repeating: 0, count: header.rowBytes(widest) + 1)
            previous = [UInt8](repeating: 0, count: header.rowBytes(widest))
            pixels = [UInt8](repeating: 0, count: widest * channels)
            passPixels = header.interlaced ? Array(repeating: [], count: passes.count) : []
        }

        /// Inflates one IDAT chunk's data, handing each completed row to `sink`.
        mutating func feed<Sink: PixelRowSink>(_ data: UnsafeBufferPointer<UInt8>, into sink: inout Sink) throws(PNGError) {
            do {
                try inflater.feed(data) { piece in
                    var offset = 0
                    while offset < piece.count, pass < passes.count {
                        let rowLength = header.rowBytes(passes[pass].width) + 1
                        let take = min(rowLength - filled, piece.count - offset)
                        current.withUnsafeMutableBufferPointer { target in
                            _ = UnsafeMutableBufferPointer(rebasing: target[filled..<(filled + take)])
                                .initialize(from: UnsafeBufferPointer(rebasing: piece[offset..<(offset + take)]))
                        }
                        filled += take
                        offset += take
                        if filled == rowLength {
                            try completeRow(into: &sink)
                            filled = 0
                        }
                    }
                }
            } catch let error as PNGError {
                throw error
            } catch let error as CompressionError {
                if case .outputTooLarge = error {
                    throw .corrupt(file: file, reason: "image data has more than the \(expectedBytes) bytes expected")
                }
                throw .corrupt(file: file, reason: error.description)
            } catch {
                throw .corrupt(file: file, reason: "\(error)")
            }
        }

        /// After the last chunk: every row must have come, and an interlaced picture is put together.
        mutating func finish<Sink: PixelRowSink>(into sink: inout Sink) throws(PNGError) {
            do { try inflater.finish() } catch { throw .corrupt(file: file, reason: error.description) }
            guard inflater.produced == expectedBytes else {
                throw .corrupt(file: file, reason: "image data has \(inflater.produced) bytes, expected \(expectedBytes)")
            }
            guard header.interlaced else { return }
            var row = [UInt8](repeating: 0, count: header.width * channels)
            let c = channels
            for y in 0..<header.height {
                for (index, p) in passes.enumerated() where y >= p.y0 && (y - p.y0) % p.dy == 0 {
                    let source = (y - p.y0) / p.dy * p.width * c
                    passPixels[index].withUnsafeBufferPointer { from in
                        for x in 0..<p.width {
                            let target = (p.x0 + x * p.dx) * c
                            for s in 0..<c { row[target + s] = from[source + x * c + s] }
                        }
                    }
                }
                row.withUnsafeBufferPointer { sink.append(row: $0) }
            }
            passPixels = []
        }

        /// Unfilters the row just filled, turns it into 8-bit pixels and passes it on.
        mutating func completeRow<Sink: PixelRowSink>(into sink: inout Sink) throws(PNGError) {
            let p = passes[pass]
            let stride = header.rowBytes(p.width), distance = header.filterDistance
            let filter = current[0]
            let first = rowInPass == 0
            try current.withUnsafeMutableBufferPointer { (raw) throws(PNGError) in
                try previous.withUnsafeMutableBufferPointer { (above) throws(PNGError) in
                    let row = raw.baseAddress! + 1
                    // The row above is zeros for the first row of a pass (PNG's rule).
                    if first { UnsafeMutableBufferPointer(rebasing: above[0..<stride]).update(repeating: 0) }
                    let up = above.baseAddress!
                    // One loop a filter type (the byte-by-byte switch cost more than the filtering).
                    switch filter {
                    case 0:
                        break
                    case 1:
                        if distance < stride { for x in distance..<stride { row[x] = row[x] &+ row[x &- distance] } }
                    case 2:
                        for x in 0..<stride { row[x] = row[x] &+ up[x] }
                    case 3:
                        for x in 0..<min(distance, stride) { row[x] = row[x] &+ up[x] >> 1 }
                        if distance < stride {
                            for x in distance..<stride { row[x] = row[x] &+ UInt8(truncatingIfNeeded: (Int(row[x &- distance]) &+ Int(up[x])) >> 1) }
                        }
                    case 4 where distance == 4 || distance == 3:
                        Self.paethPixels(row: row, above: up, count: stride / distance, distance: distance)
                    case 4:
                        for x in 0..<min(distance, stride) { row[x] = row[x] &+ up[x] }
                        if distance < stride {
                            for x in distance..<stride {
                                let left = Int(row[x &- distance]), above = Int(up[x]), upLeft = Int(up[x &- distance])
                                let estimate = left &+ above &- upLeft
                                let pa = abs(estimate &- left), pb = abs(estimate &- above), pc = abs(estimate &- upLeft)
                                let predictor = pa <= pb && pa <= pc ? left : (pb <= pc ? above : upLeft)
                                row[x] = row[x] &+ UInt8(truncatingIfNeeded: predictor)
                            }
                        }
                    default: throw .corrupt(file: file, reason: "row \(rowInPass) has filter type \(filter) (expected 0-4)")
                    }
                    // This row becomes the one above the next.
                    _ = UnsafeMutableBufferPointer(rebasing: above[0..<stride]).update(fromContentsOf: UnsafeBufferPointer(start: row, count: stride))
                }
            }
            try convertRow(width: p.width, y: p.y0 + rowInPass * p.dy, x0: p.x0, dx: p.dx)
            let count = p.width * channels
            if header.interlaced {
                reserveWholePicture(&passPixels[pass], adding: count, total: p.width * p.height * channels)
                passPixels[pass].append(contentsOf: pixels[0..<count])
            } else {
                pixels.withUnsafeBufferPointer { sink.append(row: UnsafeBufferPointer(rebasing: $0[0..<count])) }
            }
            rowInPass += 1
            if rowInPass == p.height {
                pass += 1
                rowInPass = 0
            }
        }

        /// Paeth's filter undone a pixel of 3 or 4 bytes at a time, its bytes in SIMD lanes (the bytes
        /// of one pixel do not depend on one another, only on the pixel to the left).
        static func paethPixels(row: UnsafeMutablePointer<UInt8>, above: UnsafePointer<UInt8>, count: Int, distance: Int) {
            typealias Lanes = SIMD4<Int16>
            @inline(__always) func load(_ p: UnsafePointer<UInt8>) -> Lanes {
                Lanes(Int16(p[0]), Int16(p[1]), Int16(p[2]), distance == 4 ? Int16(p[3]) : 0)
            }
            @inline(__always) func magnitude(_ v: Lanes) -> Lanes { v.replacing(with: 0 &- v, where: v .< 0) }
            var left = Lanes(), upLeft = Lanes()
            for i in 0..<count {
                let at = i &* distance
                let up = load(above + at)
                let estimate = left &+ up &- upLeft
                let pa = magnitude(estimate &- left), pb = magnitude(estimate &- up), pc = magnitude(estimate &- upLeft)
                let predictor = left.replacing(with: up.replacing(with: upLeft, where: pc .< pb), where: (pa .> pb) .| (pa .> pc))
                let value = (load(UnsafePointer(row + at)) &+ predictor) & 0xFF
                row[at] = UInt8(truncatingIfNeeded: value[0]); row[at &+ 1] = UInt8(truncatingIfNeeded: value[1])
                row[at &+ 2] = UInt8(truncatingIfNeeded: value[2])
                if distance == 4 { row[at &+ 3] = UInt8(truncatingIfNeeded: value[3]) }
                left = value
                upLeft = up
            }
        }

        /// Sample `index` of the unfiltered row: packed bits for depths under 8, big-endian pairs for 16.
        @inline(__always) func sample(_ row: UnsafePointer<UInt8>, _ index: Int) -> UInt16 {
            switch header.bitDepth {
            case 8: return UInt16(row[index])
            case 16: return UInt16(row[2 * index]) << 8 | UInt16(row[2 * index + 1])
            default:
                let depth = header.bitDepth, bit = index * depth
                return UInt16((row[bit / 8] >> (8 - depth - bit % 8)) & UInt8((1 << depth) - 1))
            }
        }

        /// The unfiltered row (after the filter byte in `current`) as 8-bit pixels in `pixels`.
        mutating func convertRow(width: Int, y: Int, x0: Int, dx: Int) throws(PNGError) {
            let samples = header.samples, c = channels
            let maximum = (1 << header.bitDepth) - 1
            let entries = palette.count / 3
            let colourType = header.colourType, bitDepth = header.bitDepth
            try current.withUnsafeBufferPointer { (raw) throws(PNGError) in
                let row = raw.baseAddress! + 1
                if bitDepth == 8, colourType != 3, key == nil {
                    pixels.withUnsafeMutableBufferPointer { out in
                        _ = UnsafeMutableBufferPointer(rebasing: out[0..<(width * c)]).initialize(from: UnsafeBufferPointer(start: row, count: width * c))
                    }
                    return
                }
                for x in 0..<width {
                    if colourType == 3 {
                        let index = Int(sample(row, x))
                        guard index < entries else {
                            throw .corrupt(file: file, reason: "pixel \(x0 + x * dx),\(y) uses palette entry \(index) of \(entries)")
                        }
                        for s in 0..<3 { pixels[x * c + s] = palette[index * 3 + s] }
                        if c == 4 { pixels[x * 4 + 3] = index < alphas.count ? alphas[index] : 255 }
                        continue
                    }
                    var matches = key != nil
                    for s in 0..<samples {
                        let value = sample(row, x * samples + s)
                        pixels[x * c + s] = UInt8((Int(value) * 255 + maximum / 2) / maximum)
                        if let key, value != key[s] { matches = false }
                    }
                    if key != nil { pixels[x * c + samples] = matches ? 0 : 255 }
                }
            }
        }
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
