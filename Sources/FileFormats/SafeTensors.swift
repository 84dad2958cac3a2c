import Foundation
import Support

/// What is wrong with a safetensors file. Each case names the file.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(FileError)
    /// Shorter than the 8 bytes of the header's length.
    case tooShort(file: String, size: Int)
    /// The header's length claims more than the file holds (or the format allows).
    case headerLength(file: String, claimed: UInt64, available: Int)
    /// The header is not a JSON object of the expected form.
    case headerNotJSON(file: String, reason: String)
    /// An entry's dtype, shape or offsets are wrong; `reason` says which.
    case badEntry(file: String, tensor: String, reason: String)
    /// A tensor the model needs is not in the file.
    case missingTensor(file: String, tensor: String, available: [String])
    /// A tensor has another shape than the model's.
    case wrongShape(file: String, tensor: String, expected: [Int], found: [Int])
    /// A tensor has another dtype than float32.
    case wrongDType(file: String, tensor: String, expected: String, found: String)
    /// The file holds tensors the model does not have.
    case unexpectedTensors(file: String, names: [String])

    /// The message to show: the file or field, what was expected and what was found.
    public var description: String {
        switch self {
        case .unreadable(let error):
            return error.description
        case .tooShort(let file, let size):
            return "\(file): not a safetensors file: expected at least 8 bytes (the header length), found \(size)"
        case .headerLength(let file, let claimed, let available):
            return "\(file): not a safetensors file or truncated: the header claims \(claimed) bytes but only \(available) follow the length field"
        case .headerNotJSON(let file, let reason):
            return "\(file): the safetensors header is not the expected JSON object: \(reason)"
        case .badEntry(let file, let tensor, let reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case .missingTensor(let file, let tensor, let available):
            return "\(file): expected a tensor named '\(tensor)', found only: \(available.sorted().joined(separator: ", "))"
        case .wrongShape(let file, let tensor, let expected, let found):
            return "\(file): tensor '\(tensor)' should have shape \(expected), found \(found)"
        case .wrongDType(let file, let tensor, let expected, let found):
            return "\(file): tensor '\(tensor)' should be \(expected), found \(found)"
        case .unexpectedTensors(let file, let names):
            return "\(file): unexpected tensors for this model: \(names.sorted().joined(separator: ", "))"
        }
    }
}

/// A safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian header
/// length N, N bytes of JSON `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
/// "__metadata__": {string: string}}`, then the raw little-endian tensor data, offsets relative to
/// its start. The format PyTorch, MLX, JAX and others share.
public struct SafeTensorsFile: Sendable {
    /// One tensor's entry in the header.
    public struct Entry: Sendable, Equatable {
        /// The element type as the format names it: "F32", "I64", "BF16".
        public var dtype: String
        /// Its dimensions, outermost first.
        public var shape: [Int]
        /// The byte range inside the data section.
        public var byteRange: Range<Int>
    }

    /// Bytes per element of the dtypes the format defines.
    public static let elementSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
    ]
    /// Headers larger than this are refused (the reference implementation's limit).
    public static let maximumHeaderLength = 100_000_000

    /// The file read (for messages).
    public let path: String
    /// The tensors, by name.
    public let entries: [String: Entry]
    /// The header's `__metadata__`: string keys and values.
    public let metadata: [String: String]
    private let data: [UInt8]

    /// Reads and validates the file: header length, JSON, every entry's dtype, shape and offsets
    /// (inside the data, sized as the shape says, not overlapping).
    public init(contentsOf path: String) throws(SafeTensorsError) {
        let bytes: [UInt8]
        do { bytes = try Files.read(path) } catch { throw .unreadable(error) }
        try self.init(bytes: bytes, path: path)
    }

    /// Validates `bytes` as safetensors; `path` names them in errors.
    public init(bytes: [UInt8], path: String) throws(SafeTensorsError) {
        self.path = path
        guard bytes.count >= 8 else { throw .tooShort(file: path, size: bytes.count) }
        var claimed: UInt64 = 0
        for i in 0..<8 { claimed |= UInt64(bytes[i]) << UInt64(8 * i) }
        guard claimed <= UInt64(min(bytes.count - 8, Self.maximumHeaderLength)) else {
            throw .headerLength(file: path, claimed: claimed, available: bytes.count - 8)
        }
        let headerEnd = 8 + Int(claimed)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw .headerNotJSON(file: path, reason: "it does not parse (\(error.localizedDescription))")
        }
        guard let header = object as? [String: Any] else {
            throw .headerNotJSON(file: path, reason: "the top level is not an object")
        }
        let dataCount = bytes.count - headerEnd
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let dictionary = value as? [String: Any] else {
                    throw .headerNotJSON(file: path, reason: "__metadata__ is not an object")
                }
                for (key, item) in dictionary {
                    guard let string = item as? String else {
                        throw .headerNotJSON(file: path, reason: "__metadata__ value for '\(key)' is not a string")
                    }
                    metadata[key] = string
                }
                continue
            }
            entries[name] = try Self.parseEntry(value, name: name, path: path, dataCount: dataCount)
        }
        let sorted = entries.sorted { $0.value.byteRange.lowerBound < $1.value.byteRange.lowerBound }
        for (previous, next) in zip(sorted, sorted.dropFirst())
        where next.value.byteRange.lowerBound < previous.value.byteRange.upperBound {
            throw .badEntry(file: path, tensor: next.key, reason: "its data overlaps tensor '\(previous.key)'")
        }
        self.entries = entries
        self.metadata = metadata
        self.data = Array(bytes[headerEnd...])
    }

    private static func parseEntry(_ value: Any, name: String, path: String, dataCount: Int) throws(SafeTensorsError) -> Entry {
        guard let fields = value as? [String: Any] else {
            throw .badEntry(file: path, tensor: name, reason: "expected an object with dtype, shape and data_offsets")
        }
        guard let dtype = fields["dtype"] as? String else {
            throw .badEntry(file: path, tensor: name, reason: "missing or non-string dtype")
        }
        guard let size = elementSizes[dtype] else {
            throw .badEntry(file: path, tensor: name, reason: "unknown dtype '\(dtype)'")
        }
        guard let shapeValues = fields["shape"] as? [Any], let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
            throw .badEntry(file: path, tensor: name, reason: "shape is not a list of non-negative integers")
        }
        guard let offsetValues = fields["data_offsets"] as? [Any], let offsets = integers(offsetValues), offsets.count == 2 else {
            throw .badEntry(file: path, tensor: name, reason: "data_offsets is not a pair of integers")
        }
        guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataCount else {
            throw .badEntry(file: path, tensor: name,
                            reason: "data_offsets \(offsets) lie outside the \(dataCount) data bytes (truncated file?)")
        }
        var elements = 1
        for dimension in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= dataCount else {
                throw .badEntry(file: path, tensor: name, reason: "shape \(shape) is larger than the whole file")
            }
            elements = product
        }
        guard elements * size == offsets[1] - offsets[0] else {
            throw .badEntry(file: path, tensor: name,
                            reason: "shape \(shape) of \(dtype) needs \(elements * size) bytes, data_offsets give \(offsets[1] - offsets[0])")
        }
        return Entry(dtype: dtype, shape: shape, byteRange: offsets[0]..<offsets[1])
    }

    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            // JSON true/false also arrive as NSNumber; their Objective-C type code is "c".
            guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
            let double = number.doubleValue
            guard double.rounded() == double, abs(double) < 0x1p62 else { return nil }
            result.append(number.intValue)
        }
        return result
    }

    /// A float32 tensor, checked for presence, dtype and (when given) shape.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(SafeTensorsError) -> Tensor {
        guard let entry = entries[name] else {
            throw .missingTensor(file: path, tensor: name, available: Array(entries.keys))
        }
        guard entry.dtype == "F32" else { throw .wrongDType(file: path, tensor: name, expected: "F32", found: entry.dtype) }
        if let expected, expected != entry.shape {
            throw .wrongShape(file: path, tensor: name, expected: expected, found: entry.shape)
        }
        var scalars = [Float](repeating: 0, count: entry.byteRange.count / 4)
        scalars.withUnsafeMutableBytes { target in
            data.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[entry.byteRange]))
            }
        }
        #if _endian(big)
        scalars = scalars.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        #endif
        return Tensor(shape: entry.shape, scalars: scalars)
    }

    /// An integer tensor (I64, I32, U8 or I8) widened to Int.
    public func integers(_ name: String) throws(SafeTensorsError) -> (shape: [Int], values: [Int]) {
        guard let entry = entries[name] else {
            throw .missingTensor(file: path, tensor: name, available: Array(entries.keys))
        }
        let slice = data[entry.byteRange]
        let values: [Int]
        switch entry.dtype {
        case "I64": values = Self.littleEndianWords(slice, width: 8).map { Int(Int64(bitPattern: $0)) }
        case "I32": values = Self.littleEndianWords(slice, width: 4).map { Int(Int32(truncatingIfNeeded: $0)) }
        case "U8": values = slice.map { Int($0) }
        case "I8": values = slice.map { Int(Int8(bitPattern: $0)) }
        default: throw .wrongDType(file: path, tensor: name, expected: "an integer dtype", found: entry.dtype)
        }
        return (entry.shape, values)
    }

    private static func littleEndianWords(_ bytes: ArraySlice<UInt8>, width: Int) -> [UInt64] {
        stride(from: bytes.startIndex, to: bytes.endIndex, by: width).map { start in
            var word: UInt64 = 0
            for i in 0..<width { word |= UInt64(bytes[start + i]) << UInt64(8 * i) }
            return word
        }
    }

    /// The bytes of a safetensors file holding `tensors` (float32, in the given order) and `metadata`.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) -> [UInt8] {
        var fields: [String] = []
        if !metadata.isEmpty {
            let items = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            fields.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            let end = offset + tensor.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: UInt64(header.count) >> UInt64(8 * i))) }
        bytes += header
        for (_, tensor) in tensors {
            for value in tensor.scalars {
                let bits = value.bitPattern
                bytes.append(UInt8(truncatingIfNeeded: bits))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
            }
        }
        return bytes
    }

    /// Writes a safetensors file atomically.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String],
                             to path: String) throws(FileError) {
        try Files.writeAtomically(encode(tensors, metadata: metadata), to: path)
    }
}

/// A JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
