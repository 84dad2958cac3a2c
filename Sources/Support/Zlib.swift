import CZlib

/// Errors from decoding or encoding a zlib or gzip stream.
public enum CompressionError: Error, Equatable, CustomStringConvertible {
    /// The stream is not valid: zlib's message and how far into the input it got.
    case corruptStream(message: String, consumed: Int)
    /// The stream ended before its end marker.
    case truncatedStream(produced: Int)
    /// The decompressed data would exceed the caller's bound.
    case outputTooLarge(limit: Int)
    /// zlib refused to start (out of memory or a version mismatch).
    case zlibFailure(code: Int32)

    public var description: String {
        switch self {
        case .corruptStream(let message, let consumed):
            return "corrupt compressed data (\(message)) after \(consumed) input bytes"
        case .truncatedStream(let produced):
            return "compressed data ends early (truncated) after producing \(produced) bytes"
        case .outputTooLarge(let limit):
            return "decompressed data exceeds the limit of \(limit) bytes"
        case .zlibFailure(let code):
            return "zlib could not start (code \(code))"
        }
    }
}

/// zlib through the system library: gzip and zlib streams, deflate, and CRC-32.
public enum Zlib {
    /// The container around a deflate stream.
    public enum Container: Sendable {
        /// RFC 1950, as inside PNG.
        case zlib
        /// RFC 1952, as `.gz` files. Concatenated members are decoded one after another.
        case gzip
    }

    /// True when `bytes` start with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Decompresses a whole stream. `sizeHint` presizes the output (never past `limit`, nor past
    /// 64 MB before the data has shown it needs more); `limit` bounds it.
    public static func inflate(_ input: [UInt8], container: Container, sizeHint: Int = 0,
                               limit: Int = Int.max) throws(CompressionError) -> [UInt8] {
        let inflater = try Inflater(container: container, limit: limit)
        var output: [UInt8] = []
        output.reserveCapacity(max(1024, min(sizeHint > 0 ? sizeHint : input.count * 4, limit, 64 << 20)))
        do {
            try input.withUnsafeBufferPointer { buffer in
                try inflater.feed(buffer) { output.append(contentsOf: $0) }
            }
        } catch let error as CompressionError {
            throw error
        } catch {
            throw .zlibFailure(code: Z_ERRNO)  // the output closure above does not throw
        }
        try inflater.finish()
        return output
    }

    /// A zlib or gzip stream decompressed piece by piece: the input may arrive in any number of
    /// pieces, and the output is handed over in pieces of at most 64 KB as it is produced, so that
    /// neither is ever whole in memory. The output is bounded by `limit`; gzip members that follow
    /// one another are decoded one after another.
    public final class Inflater {
        private let stream: UnsafeMutablePointer<z_stream>
        private let container: Container
        public let limit: Int
        /// Bytes produced and consumed so far.
        public private(set) var produced = 0
        public private(set) var consumed = 0
        /// Whether the stream (its last member) has ended.
        public private(set) var isFinished = false
        private var chunk = [UInt8](repeating: 0, count: 64 << 10)

        public init(container: Container, limit: Int = Int.max) throws(CompressionError) {
            self.container = container
            self.limit = limit
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            let windowBits: Int32 = container == .gzip ? 15 + 16 : 15
            let code = inflateInit2_(stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard code == Z_OK else {
                stream.deallocate()
                throw .zlibFailure(code: code)
            }
        }

        deinit {
            inflateEnd(stream)
            stream.deallocate()
        }

        /// Decompresses `input`, handing each piece of output to `output`. Throws `CompressionError`
        /// for corrupt data or output past the limit, or whatever `output` throws.
        public func feed(_ input: UnsafeBufferPointer<UInt8>, output: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
            guard let base = input.baseAddress else { return }
            var offset = 0
            while offset < input.count {
                if isFinished {
                    // Another gzip member may follow; anything else after the end is ignored.
                    guard container == .gzip, input.count - offset >= 2, base[offset] == 0x1f, base[offset + 1] == 0x8b else {
                        consumed += input.count - offset
                        return
                    }
                    inflateReset(stream)
                    isFinished = false
                }
                let (code, used, made): (Int32, Int, Int) = chunk.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: base + offset)
                    stream.pointee.avail_in = UInt32(min(input.count - offset, Int(UInt32.max)))
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(out.count)
                    let availableIn = stream.pointee.avail_in
                    let code = CZlib.inflate(stream, Z_NO_FLUSH)
                    return (code, Int(availableIn - stream.pointee.avail_in), out.count - Int(stream.pointee.avail_out))
                }
                offset += used
                consumed += used
                if made > 0 {
                    guard produced + made <= limit else { throw CompressionError.outputTooLarge(limit: limit) }
                    produced += made
                    try chunk.withUnsafeBufferPointer { try output(UnsafeBufferPointer(rebasing: $0[0..<made])) }
                }
                switch code {
                case Z_STREAM_END:
                    isFinished = true
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if used == 0 && made == 0 { return }  // needs more input
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                    throw CompressionError.corruptStream(message: message, consumed: consumed)
                }
            }
            // All input is in; zlib may still hold output for a full chunk.
            while !isFinished {
                let (code, made): (Int32, Int) = chunk.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_in = nil
                    stream.pointee.avail_in = 0
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(out.count)
                    let code = CZlib.inflate(stream, Z_NO_FLUSH)
                    return (code, out.count - Int(stream.pointee.avail_out))
                }
                if made > 0 {
                    guard produced + made <= limit else { throw CompressionError.outputTooLarge(limit: limit) }
                    produced += made
                    try chunk.withUnsafeBufferPointer { try output(UnsafeBufferPointer(rebasing: $0[0..<made])) }
                }
                if code == Z_STREAM_END { isFinished = true; break }
                if made == 0 { break }
                if code != Z_OK && code != Z_BUF_ERROR {
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                    throw CompressionError.corruptStream(message: message, consumed: consumed)
                }
            }
        }

        /// Throws unless the stream has reached its end marker.
        public func finish() throws(CompressionError) {
            guard isFinished else { throw .truncatedStream(produced: produced) }
        }
    }

    /// Compresses `input` into a zlib (RFC 1950) or gzip (RFC 1952) stream.
    public static func deflate(_ input: [UInt8], level: Int32 = 6, container: Container = .zlib) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        let windowBits: Int32 = container == .gzip ? 15 + 16 : 15
        let initCode = deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                                     ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initCode == Z_OK else { throw .zlibFailure(code: initCode) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let code: Int32 = input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard code == Z_STREAM_END else { throw .zlibFailure(code: code) }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// CRC-32 (as in PNG chunks and gzip trailers), continuing from `initial`.
    public static func crc32<Bytes: Collection<UInt8>>(_ bytes: Bytes, initial: UInt32 = 0) -> UInt32 {
        var crc = UInt(initial)
        let done = bytes.withContiguousStorageIfAvailable { buffer -> Bool in
            crc = CZlib.crc32(crc, buffer.baseAddress, UInt32(buffer.count))
            return true
        }
        if done == nil {
            let copy = Array(bytes)
            crc = copy.withUnsafeBufferPointer { CZlib.crc32(crc, $0.baseAddress, UInt32($0.count)) }
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
