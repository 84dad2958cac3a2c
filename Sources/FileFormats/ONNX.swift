/// ONNX models, written by hand: ONNX files are protocol buffers (onnx/onnx.proto3), and a model
/// needs only a few of its messages, so this file encodes those few directly rather than bringing in
/// a protobuf runtime and generated code. The field numbers below are onnx.proto3's.
///
///     ModelProto:  ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8,
///                  metadata_props 14
///     GraphProto:  node 1, name 2, initializer 5, input 11, output 12
///     NodeProto:   input 1, output 2, name 3, op_type 4, attribute 5
///     AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7)
///     TensorProto: dims 1, data_type 2 (FLOAT 1, INT64 7), name 8, raw_data 9 (little-endian)
///     ValueInfoProto: name 1, type 2; TypeProto: tensor_type 1; TypeProto.Tensor: elem_type 1,
///                  shape 2; TensorShapeProto: dim 1; Dimension: dim_value 1, dim_param 2
///     OperatorSetIdProto: domain 1, version 2; StringStringEntryProto: key 1, value 2
public enum ONNX {
    /// The opset the graphs use, and the IR version that goes with it.
    public static let opset = 13
    /// The ONNX IR version of opset 13's release.
    public static let irVersion = 7

    /// A protobuf message being written: fields appended in order.
    public struct Message {
        /// The message's encoding so far.
        public private(set) var bytes: [UInt8] = []

        /// An empty message.
        public init() {}

        mutating func varint(_ value: UInt64) {
            var v = value
            while v >= 0x80 {
                bytes.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
        }

        mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

        /// An integer field (int32, int64, enum): a varint; a negative value takes ten bytes.
        public mutating func integer(_ field: Int, _ value: Int) {
            key(field, 0)
            varint(UInt64(bitPattern: Int64(value)))
        }

        /// A float field: four little-endian bytes.
        public mutating func float(_ field: Int, _ value: Float) {
            key(field, 5)
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }

        /// A length-delimited field: the length as a varint, then the bytes.
        public mutating func bytes(_ field: Int, _ value: [UInt8]) {
            key(field, 2)
            varint(UInt64(value.count))
            bytes.append(contentsOf: value)
        }

        /// A string field: its UTF-8 bytes, length-delimited.
        public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

        /// A nested message, length-delimited.
        public mutating func message(_ field: Int, _ value: Message) { bytes(field, value.bytes) }
    }

    /// A constant tensor (an initializer): float32 or int64, stored as raw little-endian bytes.
    public struct Tensor {
        /// Its name, which nodes use as an input.
        public var name: String
        /// Its dimensions, outermost first.
        public var shape: [Int]
        var dataType: Int
        var raw: [UInt8]

        /// A float32 tensor; `floats` holds the product of `shape` values, row-major.
        public init(name: String, shape: [Int], floats: [Float]) {
            precondition(shape.reduce(1, *) == floats.count, "\(name): \(floats.count) values for the shape \(shape)")
            self.name = name
            self.shape = shape
            dataType = 1
            raw = floats.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        }

        /// An int64 tensor (shapes, axes); `integers` holds the product of `shape` values, row-major.
        public init(name: String, shape: [Int], integers: [Int]) {
            precondition(shape.reduce(1, *) == integers.count, "\(name): \(integers.count) values for the shape \(shape)")
            self.name = name
            self.shape = shape
            dataType = 7
            raw = integers.flatMap { value in withUnsafeBytes(of: Int64(value).littleEndian) { Array($0) } }
        }

        var message: Message {
            var m = Message()
            for dimension in shape { m.integer(1, dimension) }
            m.integer(2, dataType)
            m.string(8, name)
            m.bytes(9, raw)
            return m
        }
    }

    /// A node attribute: a float, an integer or a list of integers.
    public enum Attribute {
        /// A float attribute: its name and value.
        case float(String, Float)
        /// An integer attribute: its name and value.
        case integer(String, Int)
        /// A list of integers: its name and values.
        case integers(String, [Int])

        var message: Message {
            var m = Message()
            switch self {
            case .float(let name, let value):
                m.string(1, name); m.float(2, value); m.integer(20, 1)
            case .integer(let name, let value):
                m.string(1, name); m.integer(3, value); m.integer(20, 2)
            case .integers(let name, let values):
                m.string(1, name)
                for value in values { m.integer(8, value) }
                m.integer(20, 7)
            }
            return m
        }
    }

    /// One operation of the graph: an operator applied to named values, giving named values.
    public struct Node {
        /// The operator (`op_type`): "Conv", "Gemm", "Tanh".
        public var operation: String
        /// The names of its inputs, in the operator's order.
        public var inputs: [String]
        /// The names of its outputs.
        public var outputs: [String]
        /// The node's own name, unique in the graph.
        public var name: String
        /// The operator's attributes: "kernel_shape", "group".
        public var attributes: [Attribute]

        /// A node applying `operation` to `inputs`, giving `outputs`.
        public init(_ operation: String, _ inputs: [String], _ outputs: [String], name: String, attributes: [Attribute] = []) {
            self.operation = operation
            self.inputs = inputs
            self.outputs = outputs
            self.name = name
            self.attributes = attributes
        }

        var message: Message {
            var m = Message()
            for input in inputs { m.string(1, input) }
            for output in outputs { m.string(2, output) }
            m.string(3, name)
            m.string(4, operation)
            for attribute in attributes { m.message(5, attribute.message) }
            return m
        }
    }

    /// A float32 graph input or output; a nil dimension is named `batch` (dynamic).
    public struct Value {
        /// The value's name in the graph.
        public var name: String
        /// Its dimensions; nil for the dynamic batch dimension.
        public var shape: [Int?]

        /// A float32 value named `name` of `shape`.
        public init(name: String, shape: [Int?]) {
            self.name = name
            self.shape = shape
        }

        var message: Message {
            var shapeMessage = Message()
            for dimension in shape {
                var d = Message()
                if let dimension { d.integer(1, dimension) } else { d.string(2, "batch") }
                shapeMessage.message(1, d)
            }
            var tensorType = Message()
            tensorType.integer(1, 1)
            tensorType.message(2, shapeMessage)
            var type = Message()
            type.message(1, tensorType)
            var m = Message()
            m.string(1, name)
            m.message(2, type)
            return m
        }
    }

    /// A whole model: one graph, its constants, and string metadata (`metadata_props`).
    public struct Model {
        /// The graph's name.
        public var graphName: String
        /// The nodes, in an order where every input is made before it is used.
        public var nodes: [Node]
        /// The constants: weights, biases, shapes.
        public var initializers: [Tensor]
        /// The graph's inputs.
        public var inputs: [Value]
        /// The graph's outputs.
        public var outputs: [Value]
        /// String pairs stored in the model's `metadata_props`, in order.
        public var metadata: [(String, String)]
        /// The `producer_version` the file records.
        public var producerVersion: String

        /// A model of one graph; its producer is named "lenet (LeNet-5 in Swift)".
        public init(graphName: String, nodes: [Node], initializers: [Tensor], inputs: [Value], outputs: [Value],
                    metadata: [(String, String)], producerVersion: String = "1") {
            self.graphName = graphName
            self.nodes = nodes
            self.initializers = initializers
            self.inputs = inputs
            self.outputs = outputs
            self.metadata = metadata
            self.producerVersion = producerVersion
        }

        /// The serialised ModelProto.
        public var bytes: [UInt8] {
            var graph = Message()
            for node in nodes { graph.message(1, node.message) }
            graph.string(2, graphName)
            for tensor in initializers { graph.message(5, tensor.message) }
            for input in inputs { graph.message(11, input.message) }
            for output in outputs { graph.message(12, output.message) }
            var opsetImport = Message()
            opsetImport.string(1, "")
            opsetImport.integer(2, ONNX.opset)
            var model = Message()
            model.integer(1, ONNX.irVersion)
            model.string(2, "lenet (LeNet-5 in Swift)")
            model.string(3, producerVersion)
            model.message(7, graph)
            model.message(8, opsetImport)
            for (key, value) in metadata {
                var entry = Message()
                entry.string(1, key)
                entry.string(2, value)
                model.message(14, entry)
            }
            return model.bytes
        }
    }
}
