import Support

/// What is wrong with a data file. Each case names the file, what was expected and what was found.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// The file is neither under the root nor in a system folder; `hint` says how to get it.
    case missing(file: String, hint: String)
    /// The file could not be read.
    case unreadable(FileError)
    /// The file's gzip stream is corrupt or truncated.
    case decompression(file: String, reason: String)
    /// The file's first four bytes are not the IDX magic expected.
    case badMagic(file: String, expected: String, found: String)
    /// The file's dimensions are not those of images (or labels).
    case badDimensions(file: String, expected: String, found: [Int])
    /// The file is shorter or longer than its header says.
    case wrongLength(file: String, expected: Int, found: Int)
    /// A label is not a class of the data set.
    case labelOutOfRange(file: String, index: Int, label: Int, classes: Int)
    /// The images and labels files hold different counts.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// The file's content does not have its published SHA-256.
    case checksumMismatch(file: String, expected: String, found: String)
    /// Every mirror failed; `attempts` says how each did.
    case downloadFailed(file: String, attempts: [String], destination: String)

    /// The message to show: the file or field, what was expected and what was found.
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
