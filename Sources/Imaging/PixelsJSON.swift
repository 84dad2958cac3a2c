import Foundation

/// The web API's JSON image: `{"pixels": [784 numbers 0-255]}`, a 28x28 grey image row by row.
public enum PixelsJSON {
    /// Why a JSON body is not a 28x28 image.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Not JSON of the expected form.
        case notJSON(String)
        /// Not 784 numbers.
        case wrongCount(Int)
        /// A number outside 0...255.
        case outOfRange(index: Int, value: Double)

        /// The message to show: the file or field, what was expected and what was found.
        public var description: String {
            switch self {
            case .notJSON(let reason): return "expected JSON {\"pixels\": [784 numbers 0-255]}: \(reason)"
            case .wrongCount(let count): return "\"pixels\" has \(count) numbers; expected 784 (28x28, row by row)"
            case .outOfRange(let index, let value): return "\"pixels\"[\(index)] is \(value); values must be from 0 to 255"
            }
        }
    }

    struct Body: Decodable { var pixels: [Double] }

    /// A 1-channel 28x28 image from `{"pixels": [784 numbers 0-255]}` (fractions rounded).
    public static func decode(_ bytes: [UInt8]) throws(Failure) -> Image {
        let pixels: [Double]
        do {
            pixels = try JSONDecoder().decode(Body.self, from: Data(bytes)).pixels
        } catch {
            throw .notJSON(describe(error))
        }
        guard pixels.count == 784 else { throw .wrongCount(pixels.count) }
        if let index = pixels.firstIndex(where: { !($0 >= 0 && $0 <= 255) }) { throw .outOfRange(index: index, value: pixels[index]) }
        return Image(width: 28, height: 28, channels: 1, pixels: pixels.map { UInt8($0.rounded()) })
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "the key \"\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case DecodingError.dataCorrupted: return "the body is not valid JSON"
        default: return "\(error)"
        }
    }
}
