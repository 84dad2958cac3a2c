import FileFormats
import Foundation
import Testing
@testable import LeNet
import NeuralNetwork

/// A protobuf reader just large enough to read back what `ONNX` writes: each field's number, and
/// its varint, fixed32 or bytes.
struct ProtobufFields {
    enum Value: Equatable { case varint(UInt64), fixed32(UInt32), bytes([UInt8]) }
    var fields: [(Int, Value)] = []

    init(_ data: [UInt8]) throws {
        var i = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < data.count, shift < 64 else { throw CocoaError(.coderReadCorrupt) }
                let byte = data[i]; i += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        while i < data.count {
            let key = try varint()
            switch key & 7 {
            case 0: fields.append((Int(key >> 3), .varint(try varint())))
            case 5:
                guard i + 4 <= data.count else { throw CocoaError(.coderReadCorrupt) }
                fields.append((Int(key >> 3), .fixed32(data[i..<(i + 4)].enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) })))
                i += 4
            case 2:
                let length = Int(try varint())
                guard i + length <= data.count else { throw CocoaError(.coderReadCorrupt) }
                fields.append((Int(key >> 3), .bytes(Array(data[i..<(i + length)]))))
                i += length
            default: throw CocoaError(.coderReadCorrupt)
            }
        }
    }

    func all(_ field: Int) -> [Value] { fields.filter { $0.0 == field }.map(\.1) }
    func messages(_ field: Int) throws -> [ProtobufFields] {
        try all(field).map { if case .bytes(let b) = $0 { return try ProtobufFields(b) }; throw CocoaError(.coderReadCorrupt) }
    }
    func string(_ field: Int) -> String? {
        if case .bytes(let b)? = all(field).first { return String(decoding: b, as: UTF8.self) }
        return nil
    }
    func integers(_ field: Int) -> [Int] { all(field).compactMap { if case .varint(let v) = $0 { return Int(Int64(bitPattern: v)) }; return nil } }
}

@Suite struct ONNXExportTests {
    @Test func varintsAndNegativeIntegersAreProtobufs() throws {
        var m = ONNX.Message()
        m.integer(1, 300)
        m.integer(2, -1)
        #expect(m.bytes.prefix(3) == [0x08, 0xAC, 0x02])
        #expect(m.bytes.count == 3 + 1 + 10)  // a negative int64 takes ten bytes
        #expect(try ProtobufFields(m.bytes).integers(2) == [-1])
    }

    /// The write-up's model reads back as the graph the documentation describes: its input and
    /// output, its nodes in order, every parameter as an initializer holding the model's own values,
    /// opset 13 and the metadata.
    @Test func theWriteupsModelReadsBackAsItsGraph() throws {
        let model = AnyLeNet(LeNet5(seed: 3))
        let bytes = ONNXExport.export(model, metadata: [MetadataKey.dataset: "mnist"])
        let top = try ProtobufFields(bytes)
        #expect(top.integers(1) == [ONNX.irVersion])
        let opset = try top.messages(8)
        #expect(opset.count == 1 && opset[0].integers(2) == [13])
        let metadata = Dictionary(uniqueKeysWithValues: try top.messages(14).map { ($0.string(1)!, $0.string(2)!) })
        #expect(metadata["model"] == "lenet5" && metadata["dataset"] == "mnist")
        #expect(try JSONDecoder().decode([String].self, from: Data(metadata["class_names"]!.utf8)) == (0..<10).map(String.init))
        let graph = try #require(try top.messages(7).first)
        let operations = try graph.messages(1).map { $0.string(4)! }
        #expect(operations == ["Conv", "Relu", "AveragePool", "Mul", "Conv", "Relu", "AveragePool", "Mul", "Flatten",
                               "Gemm", "Relu", "Gemm", "Relu", "Gemm"])
        let input = try #require(try graph.messages(11).first)
        #expect(input.string(1) == "input")
        let dimensions = try input.messages(2)[0].messages(1)[0].messages(2)[0].messages(1)
        #expect(dimensions[0].string(2) == "batch" && dimensions.dropFirst().map { $0.integers(1) } == [[1], [28], [28]])
        #expect(try graph.messages(12).map { $0.string(1) } == ["logits"])
        // Every parameter, bit for bit, under PyTorch's name.
        let initializers = try graph.messages(5)
        for view in model.layout.tensors {
            let tensor = try #require(initializers.first { $0.string(8) == view.name })
            #expect(tensor.integers(1) == view.shape && tensor.integers(2) == [1])
            guard case .bytes(let raw)? = tensor.all(9).first else { Issue.record("\(view.name) has no raw data"); continue }
            let values = stride(from: 0, to: raw.count, by: 4).map { i in
                Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
            }
            #expect(values == Array(model.parameters[view.range]))
        }
    }

    /// The 1998 model: C3's 60 kernels land in a dense [16, 6, 5, 5] weight at Table I's places and
    /// nowhere else; the output is the RBF penalties.
    @Test func theNineteenNinetyEightModelsTableBecomesADenseWeight() throws {
        let model = AnyLeNet(LeNet1998(seed: 1, initialization: .squareRootFanIn))
        let graph = try #require(try ProtobufFields(ONNXExport.export(model, metadata: [:])).messages(7).first)
        #expect(try graph.messages(12).map { $0.string(1) } == ["penalties"])
        #expect(try graph.messages(1).first?.string(4) == "Pad" && graph.messages(1).last?.string(4) == "ReduceSum")
        let c3 = try #require(try graph.messages(5).first { $0.string(8) == "c3.weight" })
        #expect(c3.integers(1) == [16, 6, 5, 5])
        guard case .bytes(let raw)? = c3.all(9).first else { Issue.record("no raw data"); return }
        let dense = stride(from: 0, to: raw.count, by: 4).map { i in
            Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
        }
        let table = LeNet1998.c3Table, weights = model.layout["c3.weight"]!
        for o in 0..<16 {
            for m in 0..<6 {
                let kernel = Array(dense[((o * 6 + m) * 25)..<((o * 6 + m) * 25 + 25)])
                if let connection = (0..<table.count).first(where: { table.outputOf[$0] == o && table.inputOf[$0] == m }) {
                    #expect(kernel == Array(model.parameters[(weights.offset + connection * 25)..<(weights.offset + connection * 25 + 25)]))
                } else {
                    #expect(kernel.allSatisfy { $0 == 0 })
                }
            }
        }
    }
}
