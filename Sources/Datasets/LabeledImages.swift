import Support

/// Images kept as bytes in memory (0 = background, 255 = ink), with their labels.
public struct LabeledImages: Sendable {
    /// The number of images.
    public var count: Int
    /// Each image's height in pixels (28 for MNIST).
    public var rows: Int
    /// Each image's width in pixels.
    public var columns: Int
    /// count * rows * columns bytes, image after image, row-major.
    public var pixels: [UInt8]
    /// One label per image, 0 ..< `classCount`.
    public var labels: [UInt8]
    /// How many classes the labels tell apart.
    public var classCount: Int
    /// What each label means ("0"..."9" for digits, "T-shirt/top", ... for Fashion-MNIST).
    public var classNames: [String]

    /// Images from their bytes and labels; `classNames` defaults to "0", "1", ....
    public init(count: Int, rows: Int, columns: Int, pixels: [UInt8], labels: [UInt8], classCount: Int, classNames: [String]? = nil) {
        precondition(pixels.count == count * rows * columns && labels.count == count)
        self.count = count
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
        self.labels = labels
        self.classCount = classCount
        self.classNames = classNames ?? (0..<classCount).map(String.init)
    }

    /// Bytes per image: `rows * columns`.
    public var imageSize: Int { rows * columns }

    /// The pixels of image `index`.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        pixels[(index * imageSize)..<((index + 1) * imageSize)]
    }

    /// The first `limit` images (all when `limit` is larger).
    public func prefix(_ limit: Int) -> LabeledImages {
        let n = min(limit, count)
        return LabeledImages(count: n, rows: rows, columns: columns, pixels: Array(pixels[0..<(n * imageSize)]),
                             labels: Array(labels[0..<n]), classCount: classCount, classNames: classNames)
    }

    /// Reads an images file (IDX rank 3) and a labels file (IDX rank 1), each gzipped or not, and
    /// validates them: magic numbers, lengths, matching counts, labels in 0..<classCount; and, when
    /// given, the SHA-256 of each decompressed content. A file whose gzipped bytes have the digest
    /// given in `gzipSHA256` (known to decompress to that content) is not hashed a second time. A
    /// gzipped file whose content's size is known (`expectedBytes`) is never inflated past it.
    public static func load(images imagesPath: String, labels labelsPath: String, classCount: Int,
                            expectedSHA256: (images: String, labels: String)? = nil,
                            gzipSHA256: (images: String?, labels: String?) = (nil, nil),
                            expectedBytes: (images: Int?, labels: Int?) = (nil, nil)) throws(DatasetError) -> LabeledImages {
        let (imageContent, imagesMatch) = try IDX.contents(of: imagesPath, gzipSHA256: expectedSHA256 == nil ? nil : gzipSHA256.images,
                                                           expectedBytes: expectedBytes.images)
        let (labelContent, labelsMatch) = try IDX.contents(of: labelsPath, gzipSHA256: expectedSHA256 == nil ? nil : gzipSHA256.labels,
                                                           expectedBytes: expectedBytes.labels)
        if let expectedSHA256 {
            if !imagesMatch { try verify(imageContent, file: imagesPath, sha256: expectedSHA256.images) }
            if !labelsMatch { try verify(labelContent, file: labelsPath, sha256: expectedSHA256.labels) }
        }
        let images = try IDX.parse(consume imageContent, rank: 3, file: imagesPath)
        let labels = try IDX.parse(consume labelContent, rank: 1, file: labelsPath)
        guard images.dimensions[1] > 0, images.dimensions[2] > 0 else {
            throw .badDimensions(file: imagesPath, expected: "count x rows x columns with rows, columns > 0", found: images.dimensions)
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw .countMismatch(images: imagesPath, imageCount: images.dimensions[0], labels: labelsPath, labelCount: labels.dimensions[0])
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classCount }) {
            throw .labelOutOfRange(file: labelsPath, index: bad, label: Int(labels.bytes[bad]), classes: classCount)
        }
        return LabeledImages(count: images.dimensions[0], rows: images.dimensions[1], columns: images.dimensions[2],
                             pixels: images.bytes, labels: labels.bytes, classCount: classCount)
    }

    static func verify(_ content: [UInt8], file: String, sha256: String) throws(DatasetError) {
        let found = SHA256.hex(content)
        guard found == sha256 else { throw .checksumMismatch(file: file, expected: sha256, found: found) }
    }
}
