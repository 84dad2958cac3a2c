import Foundation
import TestFolders
import Testing

/// Random floats in [-1, 1) from a fixed linear congruential stream.
func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) * 0x1p-23 - 1
    }
}
@testable import FileFormats
import Support

func temporaryPath(_ name: String) -> String {
    TestFolders.make("formats") + "/" + name
}

/// A safetensors file from a header string and data, for malformed-file tests.
func rawSafeTensors(header: String, data: [UInt8], claimedLength: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    let length = claimedLength ?? UInt64(headerBytes.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> UInt64(8 * $0)) } + headerBytes + data
}

@Suite struct SafeTensorsTests {
    @Test func roundTrip() throws {
        let a = Tensor(shape: [2, 3], scalars: [1, -2, 3.5, .pi, -0.0, 1e-30])
        let b = Tensor(shape: [4], scalars: [9, 8, 7, 6])
        let path = temporaryPath("t.safetensors")
        try SafeTensorsFile.write([("layer.a", a), ("b", b)], metadata: ["note": "quote \" and\nnewline"], to: path)
        let file = try SafeTensorsFile(contentsOf: path)
        #expect(try file.floats("layer.a") == a)
        #expect(try file.floats("b", shape: [4]) == b)
        #expect(file.metadata["note"] == "quote \" and\nnewline")
        let bytes = try Files.read(path)
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect((8 + headerLength) % 8 == 0, "data starts 8-byte aligned")
    }

    @Test func readsIntegerTensors() throws {
        let data: [UInt8] = [5, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        let bytes = rawSafeTensors(header: #"{"labels":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, data: data)
        let file = try SafeTensorsFile(bytes: bytes, path: "labels.safetensors")
        #expect(try file.integers("labels").values == [5, -1])
    }

    static let malformed: [(String, [UInt8], String)] = [
        ("too short", [1, 2, 3], "expected at least 8 bytes"),
        ("header length beyond the file", rawSafeTensors(header: "{}", data: [], claimedLength: 1000), "the header claims 1000 bytes"),
        ("not JSON", rawSafeTensors(header: "{nope", data: []), "does not parse"),
        ("not an object", rawSafeTensors(header: "[1,2]", data: []), "not an object"),
        ("unknown dtype", rawSafeTensors(header: #"{"x":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "unknown dtype 'F31'"),
        ("offsets beyond the data", rawSafeTensors(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]), "outside the 4 data bytes"),
        ("size disagrees with shape", rawSafeTensors(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "needs 8 bytes"),
        ("negative dimension", rawSafeTensors(header: #"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "non-negative integers"),
        ("boolean offsets", rawSafeTensors(header: #"{"x":{"dtype":"U8","shape":[1],"data_offsets":[false,true]}}"#, data: [0]), "pair of integers"),
        ("a 100 GB tensor", rawSafeTensors(header: #"{"x":{"dtype":"F32","shape":[25000000000],"data_offsets":[0,100000000000]}}"#, data: [0, 0, 0, 0]), "outside the 4 data bytes"),
        ("overlapping tensors", rawSafeTensors(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8)), "overlaps"),
    ]

    @Test(arguments: malformed.indices)
    func malformedFilesGetClearErrors(index: Int) {
        let (name, bytes, expected) = Self.malformed[index]
        #expect(performing: { try SafeTensorsFile(bytes: bytes, path: "bad.safetensors") }, throws: { error in
            let message = "\(error)"
            print("malformed safetensors (\(name)): \(message)")
            return message.contains("bad.safetensors") && message.contains(expected)
        })
    }

    @Test func missingTensorAndWrongDTypeAndShape() throws {
        let path = temporaryPath("m.safetensors")
        try SafeTensorsFile.write([("w", Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))], metadata: [:], to: path)
        let file = try SafeTensorsFile(contentsOf: path)
        #expect(throws: SafeTensorsError.missingTensor(file: path, tensor: "v", available: ["w"])) { try file.floats("v") }
        #expect(throws: SafeTensorsError.wrongShape(file: path, tensor: "w", expected: [4], found: [2, 2])) { try file.floats("w", shape: [4]) }
        let ints = rawSafeTensors(header: #"{"w":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#, data: [1, 0, 0, 0])
        let intFile = try SafeTensorsFile(bytes: ints, path: "i.safetensors")
        #expect(throws: SafeTensorsError.wrongDType(file: "i.safetensors", tensor: "w", expected: "F32", found: "I32")) { try intFile.floats("w") }
    }
}

@Suite struct NumPyTests {
    @Test func roundTripAndHeaderLayout() throws {
        let tensor = Tensor(shape: [3, 10], scalars: randomFloats(30, seed: 3))
        let bytes = NumPyArray.encode(tensor)
        #expect(Array(bytes[0..<8]) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(bytes[10 + headerLength - 1] == 0x0a)
        #expect(String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self).hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 10), }"))
        let path = temporaryPath("x.npy")
        try NumPyArray.write(tensor, to: path)
        #expect(try NumPyArray.read(path) == tensor)
    }
}
