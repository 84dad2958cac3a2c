import Support

/// The IDX format of MNIST and its relatives: big-endian magic 0x0000TTDD (TT the element type,
/// 0x08 for unsigned bytes; DD the number of dimensions), DD big-endian 32-bit sizes, then the data.
/// Files may be gzipped (recognised by content, whatever the name).
public enum IDX {
    /// A parsed IDX file of unsigned bytes.
    public struct File: Sendable {
        /// The size of each dimension: [images, rows, columns] for images, [labels] for labels.
        public var dimensions: [Int]
        /// The elements, row-major, as many as the dimensions' product.
        public var bytes: [UInt8]
    }

    /// The decompressed content of `path`, gunzipped when it is a gzip stream.
    public static func contents(of path: String) throws(DatasetError) -> [UInt8] {
        try contents(of: path, gzipSHA256: nil).content
    }

    /// As `contents(of:)`; `gzipMatches` says whether the file is gzipped and its bytes as stored
    /// have the SHA-256 `gzipSHA256` (hex). A gzip stream decompresses to one content only, so a
    /// caller that knows which content that digest's file holds need not hash the content again
    /// (MNIST's training images: 9.7 MB to hash instead of 47 MB).
    ///
    /// `expectedBytes`, when the content's size is known (MNIST's, say), bounds the decompression:
    /// a gzip stream that inflates past it is an error as soon as it does, so a small file that
    /// inflates to gigabytes costs no more than the size it should have. Otherwise the bound is
    /// `Files.defaultMaximumBytes` (1 GiB).
    public static func contents(of path: String, gzipSHA256: String?, expectedBytes: Int? = nil) throws(DatasetError)
        -> (content: [UInt8], gzipMatches: Bool) {
        let raw: [UInt8]
        let limit = expectedBytes ?? Files.defaultMaximumBytes
        do { raw = try Files.read(path) } catch { throw .unreadable(error) }
        guard Zlib.isGzip(raw) else { return (raw, false) }
        let matches = gzipSHA256.map { SHA256.hex(raw) == $0 } ?? false
        do {
            return (try Zlib.inflate(raw, container: .gzip, sizeHint: min(raw.count * 5, limit), limit: limit), matches)
        } catch .outputTooLarge {
            let what = expectedBytes.map { "the \($0) bytes its content has" } ?? "the limit of \(limit) bytes"
            throw .decompression(file: path, reason: "it decompresses to more than \(what) (stopped there)")
        } catch {
            throw .decompression(file: path, reason: error.description)
        }
    }

    /// Parses IDX content of unsigned bytes with `rank` dimensions, checking the magic number and
    /// that the length is exactly header plus data. The content becomes the file's bytes: the header
    /// is removed in place, without a second copy of the data.
    public static func parse(_ content: consuming [UInt8], rank: Int, file: String) throws(DatasetError) -> File {
        let expectedMagic = "0x000008" + hexByte(UInt8(rank))
        guard content.count >= 4 else {
            throw .wrongLength(file: file, expected: 4 + 4 * rank, found: content.count)
        }
        guard content[0] == 0, content[1] == 0, content[2] == 0x08, Int(content[3]) == rank else {
            throw .badMagic(file: file, expected: expectedMagic, found: "0x" + content[0..<4].map(hexByte).joined())
        }
        let headerCount = 4 + 4 * rank
        guard content.count >= headerCount else {
            throw .wrongLength(file: file, expected: headerCount, found: content.count)
        }
        var dimensions: [Int] = []
        for d in 0..<rank {
            let at = 4 + 4 * d
            dimensions.append(Int(content[at]) << 24 | Int(content[at + 1]) << 16 | Int(content[at + 2]) << 8 | Int(content[at + 3]))
        }
        // The product of the dimensions can overflow (three dimensions near 2^32): a header that
        // claims more than the file holds is an error whatever its product (found by fuzzing).
        var product = 1
        for d in dimensions {
            let (next, overflow) = product.multipliedReportingOverflow(by: d)
            guard !overflow, next <= content.count else {
                throw .badDimensions(file: file, expected: "sizes whose product fits the file's \(content.count - headerCount) data bytes",
                                     found: dimensions)
            }
            product = next
        }
        let expected = headerCount + product
        guard content.count == expected else { throw .wrongLength(file: file, expected: expected, found: content.count) }
        var bytes = content
        bytes.removeSubrange(0..<headerCount)
        return File(dimensions: dimensions, bytes: bytes)
    }

    /// The bytes of an IDX file of unsigned bytes with the given dimensions.
    public static func encode(dimensions: [Int], bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for d in dimensions { out += [UInt8(truncatingIfNeeded: d >> 24), UInt8(truncatingIfNeeded: d >> 16), UInt8(truncatingIfNeeded: d >> 8), UInt8(truncatingIfNeeded: d)] }
        return out + bytes
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
