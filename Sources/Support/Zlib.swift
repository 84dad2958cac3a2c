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

    /// Decompresses a whole stream. `sizeHint` presizes the output; `limit` bounds it.
    public static func inflate(_ input: [UInt8], container: Container, sizeHint: Int = 0,
                               limit: Int = Int.max) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        let windowBits: Int32 = container == .gzip ? 15 + 16 : 15
        let initCode = inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initCode == Z_OK else { throw .zlibFailure(code: initCode) }
        defer { inflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: max(min(sizeHint > 0 ? sizeHint : input.count * 4, limit), 1024))
        var produced = 0
        var consumed = 0
        while true {
            if produced == output.count {
                guard output.count < limit else { throw .outputTooLarge(limit: limit) }
                output.append(contentsOf: repeatElement(0, count: min(output.count, limit - output.count)))
            }
            let code: Int32 = input.withUnsafeBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress.map { $0 + consumed })
                    stream.avail_in = UInt32(min(inBuffer.count - consumed, Int(UInt32.max)))
                    stream.next_out = outBuffer.baseAddress.map { $0 + produced }
                    stream.avail_out = UInt32(min(outBuffer.count - produced, Int(UInt32.max)))
                    let availIn = stream.avail_in, availOut = stream.avail_out
                    let code = CZlib.inflate(&stream, Z_NO_FLUSH)
                    consumed += Int(availIn - stream.avail_in)
                    produced += Int(availOut - stream.avail_out)
                    return code
                }
            }
            switch code {
            case Z_STREAM_END:
                // gzip allows several members one after another; anything else after the end is ignored
                // only if it is padding of zero bytes.
                if container == .gzip, consumed + 2 <= input.count,
                   input[consumed] == 0x1f, input[consumed + 1] == 0x8b {
                    inflateReset(&stream)
                    continue
                }
                output.removeSubrange(produced...)
                return output
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                if consumed >= input.count { throw .truncatedStream(produced: produced) }
                continue
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                throw .corruptStream(message: message, consumed: consumed)
            }
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
