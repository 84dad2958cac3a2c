import Support

/// What is wrong with a data file. Each case names the file, what was expected and what was found.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case missing(file: String, hint: String)
    case unreadable(FileError)
    case decompression(file: String, reason: String)
    case badMagic(file: String, expected: String, found: String)
    case badDimensions(file: String, expected: String, found: [Int])
    case wrongLength(file: String, expected: Int, found: Int)
    case labelOutOfRange(file: String, index: Int, label: Int, classes: Int)
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    case checksumMismatch(file: String, expected: String, found: String)
    case downloadFailed(file: String, attempts: [String], destination: String)

    public var description: String {
        switch self {
        case .missing(let file, let hint):
            return "\(file): no such file. \(hint)"
        case .unreadable(let error):
            return error.description
        case .decompression(let file, let reason):
            return "\(file): not a valid gzip file: \(reason)"
        case .badMagic(let file, let expected, let found):
            return "\(file): not an IDX file of the expected kind: expected magic number \(expected), found \(found)"
        case .badDimensions(let file, let expected, let found):
            return "\(file): expected dimensions \(expected), found \(found)"
        case .wrongLength(let file, let expected, let found):
            return "\(file): expected \(expected) bytes (header plus data), found \(found)\(found < expected ? " (truncated)" : " (trailing bytes)")"
        case .labelOutOfRange(let file, let index, let label, let classes):
            return "\(file): label \(index) is \(label), expected 0...\(classes - 1)"
        case .countMismatch(let images, let imageCount, let labels, let labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels: expected the same count"
        case .checksumMismatch(let file, let expected, let found):
            return "\(file): the decompressed content does not match the published checksum: expected SHA-256 \(expected), found \(found)"
        case .downloadFailed(let file, let attempts, let destination):
            return """
                could not download \(file) from any mirror:
                \(attempts.map { "  - " + $0 }.joined(separator: "\n"))
                To place the file by hand, copy \(file) (gzipped or not) to \(destination)
                """
        }
    }
}
