import Foundation
import Support

/// What is wrong with a `.npy` file.
public struct NumPyError: Error, CustomStringConvertible, Equatable {
    /// The file.
    public var path: String
    /// What is wrong with it.
    public var reason: String
    /// The message to show: the file or field, what was expected and what was found.
    public var description: String { "\(path): \(reason)" }
}

/// NumPy's `.npy` format, version 1.0, for little-endian float32 arrays in C order:
/// the magic "\x93NUMPY", version 1 0, a 2-byte header length, a Python-literal dict header padded
/// with spaces and a newline to a multiple of 64 bytes, then the data.
public enum NumPyArray {
    /// The `.npy` bytes of `tensor`: little-endian float32, C order.
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }".utf8)
        let preamble = 10
        while (preamble + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0a)
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        bytes.append(UInt8(header.count & 0xff))
        bytes.append(UInt8(header.count >> 8))
        bytes += header
        bytes.reserveCapacity(bytes.count + tensor.count * 4)
        for value in tensor.scalars {
            let bits = value.bitPattern
            for shift in [0, 8, 16, 24] as [UInt32] { bytes.append(UInt8(truncatingIfNeeded: bits >> shift)) }
        }
        return bytes
    }

    /// Writes `tensor` as a `.npy` file, atomically (a temporary file renamed into place).
    public static func write(_ tensor: Tensor, to path: String) throws(FileError) {
        try Files.writeAtomically(encode(tensor), to: path)
    }

    /// Reads a little-endian float32, C-order `.npy` file (version 1 or 2).
    public static func read(_ path: String) throws -> Tensor {
        try decode(try Files.read(path), path: path)
    }

    /// The array in a `.npy` file's bytes (`path` names it in errors).
    public static func decode(_ bytes: [UInt8], path: String) throws -> Tensor {
        func fail(_ reason: String) -> NumPyError { NumPyError(path: path, reason: reason) }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw fail("not a .npy file (expected the magic \\x93NUMPY)")
        }
        let major = bytes[6]
        let lengthBytes = major == 1 ? 2 : 4
        guard major == 1 || major == 2 || major == 3, bytes.count >= 8 + lengthBytes else { throw fail("unsupported version \(major)") }
        var headerLength = 0
        for i in 0..<lengthBytes { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        let dataStart = 8 + lengthBytes + headerLength
        guard dataStart <= bytes.count else { throw fail("truncated header") }
        let header = String(decoding: bytes[(8 + lengthBytes)..<dataStart], as: UTF8.self)
        guard header.contains("'descr': '<f4'") else { throw fail("expected dtype '<f4', found header \(header)") }
        guard header.contains("'fortran_order': False") else { throw fail("Fortran order is not supported") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw fail("no shape in header \(header)")
        }
        var shape: [Int] = []
        for item in header[open.upperBound..<close].split(separator: ",") {
            let text = item.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let dimension = Int(text), dimension >= 0 else {
                throw fail("the shape's dimension '\(text)' is not a whole number of zero or more")
            }
            shape.append(dimension)
        }
        // The element count, refused as soon as it outgrows the file (so no product can overflow).
        let available = (bytes.count - dataStart) / 4
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= available || dimension == 0 else {
                throw fail("shape \(shape) needs more data than the file's \(bytes.count - dataStart) bytes")
            }
            count = product
        }
        guard bytes.count - dataStart == count * 4 else {
            throw fail("shape \(shape) needs \(count * 4) data bytes, found \(bytes.count - dataStart)")
        }
        var scalars = [Float](repeating: 0, count: count)
        scalars.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[dataStart...])) }
        }
        return Tensor(shape: shape, scalars: scalars)
    }
}
