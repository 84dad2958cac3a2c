import Foundation
import NeuralNetwork

/// Either model as an ONNX graph (opset 13), for ONNX Runtime and anything else that reads ONNX.
/// The input is `input`, float32 [batch, 1, 28, 28] with a dynamic batch, prepared as the model
/// expects (below); the output is `logits` (the write-up's model) or `penalties` (the 1998 model's
/// RBF outputs: the smallest wins), float32 [batch, classes]. The class names, the data set and the
/// input preparation go into the model's metadata_props.
///
///     the write-up's:  input = (p/255 - 0.5)/0.5 for a byte p (ink 255 on 0)
///       Conv 5x5 -> Relu -> AveragePool 2x2 -> Mul 4 (sum pooling) -> Conv -> Relu -> AveragePool
///       -> Mul 4 -> Flatten -> Gemm -> Relu -> Gemm -> Relu -> Gemm
///     the 1998 model:  input = -0.1 + 1.275 p/255, padded to 32x32 with -0.1 inside the graph
///       Conv -> squash -> sum pooling x coefficient + bias -> squash -> Conv (Table I: the weights
///       of the missing connections are 0) -> squash -> sum pooling x coefficient + bias -> squash
///       -> Conv 5x5 (C5) -> squash -> Flatten -> Gemm -> squash -> RBF: sum_j (x_j - c_ij)^2
///     squash(a) = 1.7159 tanh(2a/3): Mul, Tanh, Mul.
public enum ONNXExport {
    public enum ExportError: Error, CustomStringConvertible {
        case unsupported(String)
        public var description: String {
            switch self {
            case .unsupported(let what): return what
            }
        }
    }

    /// The model as ONNX bytes; `metadata` (a checkpoint's) adds its class names and data set.
    public static func export(_ model: AnyLeNet, metadata: [String: String]) throws(ExportError) -> [UInt8] {
        let parameters = model.parameters, layout = model.layout
        func tensor(_ name: String, as exported: String? = nil, shape: [Int]? = nil) -> ONNX.Tensor {
            let view = layout[name]!
            return ONNX.Tensor(name: exported ?? name, shape: shape ?? view.shape, floats: Array(parameters[view.range]))
        }
        var graph = Graph()
        var about = [("model", model.kind), ("opset", String(ONNX.opset))]
        about.append(("class_names", metadata[MetadataKey.classNames]
                      ?? String(decoding: (try? JSONEncoder().encode((0..<model.classes).map(String.init))) ?? Data(), as: UTF8.self)))
        about.append(("dataset", metadata[MetadataKey.dataset] ?? "mnist"))
        for key in [MetadataKey.seed, MetadataKey.testAccuracy, MetadataKey.recipe] { if let value = metadata[key] { about.append((key, value)) } }
        switch model.kind {
        case LeNet5.kind:
            about.append(("input", "float32 [batch, 1, 28, 28]: (p/255 - 0.5)/0.5 for each byte p of a 28x28 image, ink 255 on 0 (torchvision's ToTensor then Normalize((0.5,), (0.5,)))"))
            about.append(("output", "logits [batch, classes]: the largest wins"))
            graph.constants += [tensor("conv1.weight"), tensor("conv1.bias"), tensor("conv2.weight"), tensor("conv2.bias"),
                                tensor("fc1.weight"), tensor("fc1.bias"), tensor("fc2.weight"), tensor("fc2.bias"),
                                tensor("fc3.weight"), tensor("fc3.bias"), ONNX.Tensor(name: "four", shape: [], floats: [4])]
            var x = graph.convolution("input", "conv1.weight", "conv1.bias", name: "C1")
            x = graph.add("Relu", [x], name: "C1_relu")
            x = graph.sumPooling(x, name: "S2")
            x = graph.convolution(x, "conv2.weight", "conv2.bias", name: "C3")
            x = graph.add("Relu", [x], name: "C3_relu")
            x = graph.sumPooling(x, name: "S4")
            x = graph.add("Flatten", [x], name: "flatten", attributes: [.integer("axis", 1)])
            x = graph.add("Relu", [graph.linear(x, "fc1", name: "F5")], name: "F5_relu")
            x = graph.add("Relu", [graph.linear(x, "fc2", name: "F6")], name: "F6_relu")
            graph.add("Gemm", [x, "fc3.weight", "fc3.bias"], output: "logits", name: "F7", attributes: [.integer("transB", 1)])
            graph.outputs = [ONNX.Value(name: "logits", shape: [nil, model.classes])]
        case LeNet1998.kind:
            about.append(("input", "float32 [batch, 1, 28, 28]: -0.1 + 1.275 p/255 for each byte p of a 28x28 image, ink 255 on 0 (the 1998 paper's -0.1 background, 1.175 ink); the graph pads it to 32x32 with -0.1"))
            about.append(("output", "penalties [batch, 10]: the Euclidean RBF outputs, the smallest wins"))
            // C3's kernels as a dense [16, 6, 5, 5] weight, 0 where Table I has no connection.
            let table = LeNet1998.c3Table, c3 = layout["c3.weight"]!
            var dense = [Float](repeating: 0, count: table.outputMaps * table.inputMaps * 25)
            for connection in 0..<table.count {
                let target = (table.outputOf[connection] * table.inputMaps + table.inputOf[connection]) * 25
                for t in 0..<25 { dense[target + t] = parameters[c3.offset + connection * 25 + t] }
            }
            let rbf = RadialBasisOutput.digits
            graph.constants += [
                tensor("c1.weight"), tensor("c1.bias"),
                tensor("s2.coefficient", shape: [1, 6, 1, 1]), tensor("s2.bias", shape: [1, 6, 1, 1]),
                ONNX.Tensor(name: "c3.weight", shape: [16, 6, 5, 5], floats: dense), tensor("c3.bias"),
                tensor("s4.coefficient", shape: [1, 16, 1, 1]), tensor("s4.bias", shape: [1, 16, 1, 1]),
                tensor("c5.weight"), tensor("c5.bias"), tensor("f6.weight"), tensor("f6.bias"),
                ONNX.Tensor(name: "rbf.centers", shape: [rbf.classes, rbf.inputs], floats: rbf.centers),
                ONNX.Tensor(name: "four", shape: [], floats: [4]),
                ONNX.Tensor(name: "slope", shape: [], floats: [Squashing.slope]),
                ONNX.Tensor(name: "amplitude", shape: [], floats: [Squashing.amplitude]),
                ONNX.Tensor(name: "pads", shape: [8], integers: [0, 0, 2, 2, 0, 0, 2, 2]),
                ONNX.Tensor(name: "background", shape: [], floats: [InputPreparation.background]),
                ONNX.Tensor(name: "axis1", shape: [1], integers: [1]),
                ONNX.Tensor(name: "axis2", shape: [1], integers: [2]),
            ]
            var x = graph.add("Pad", ["input", "pads", "background"], name: "pad", attributes: [])
            x = graph.squash(graph.convolution(x, "c1.weight", "c1.bias", name: "C1"), name: "C1")
            x = graph.squash(graph.trainableSubsampling(x, "s2", name: "S2"), name: "S2")
            x = graph.squash(graph.convolution(x, "c3.weight", "c3.bias", name: "C3"), name: "C3")
            x = graph.squash(graph.trainableSubsampling(x, "s4", name: "S4"), name: "S4")
            x = graph.squash(graph.convolution(x, "c5.weight", "c5.bias", name: "C5"), name: "C5")
            x = graph.add("Flatten", [x], name: "flatten", attributes: [.integer("axis", 1)])
            x = graph.squash(graph.linear(x, "f6", name: "F6"), name: "F6")
            // OUTPUT: y_i = sum_j (x_j - c_ij)^2, as [batch, 1, 84] - [10, 84] -> [batch, 10, 84].
            x = graph.add("Unsqueeze", [x, "axis1"], name: "OUTPUT_unsqueeze")
            x = graph.add("Sub", [x, "rbf.centers"], name: "OUTPUT_difference")
            x = graph.add("Mul", [x, x], name: "OUTPUT_square")
            graph.add("ReduceSum", [x, "axis2"], output: "penalties", name: "OUTPUT", attributes: [.integer("keepdims", 0)])
            graph.outputs = [ONNX.Value(name: "penalties", shape: [nil, rbf.classes])]
        default:
            throw .unsupported("no ONNX export for the model kind '\(model.kind)'")
        }
        return ONNX.Model(graphName: model.kind, nodes: graph.nodes, initializers: graph.constants,
                          inputs: [ONNX.Value(name: "input", shape: [nil, 1, 28, 28])], outputs: graph.outputs,
                          metadata: about).bytes
    }

    /// A graph under construction: each `add` appends a node and returns its output's name.
    struct Graph {
        var nodes: [ONNX.Node] = []
        var constants: [ONNX.Tensor] = []
        var outputs: [ONNX.Value] = []

        @discardableResult
        mutating func add(_ operation: String, _ inputs: [String], output: String? = nil, name: String,
                          attributes: [ONNX.Attribute] = []) -> String {
            let result = output ?? name + "_out"
            nodes.append(ONNX.Node(operation, inputs, [result], name: name, attributes: attributes))
            return result
        }

        mutating func convolution(_ x: String, _ weight: String, _ bias: String, name: String) -> String {
            add("Conv", [x, weight, bias], name: name, attributes: [.integers("kernel_shape", [5, 5])])
        }

        /// 2x2 sum pooling, stride 2: the average times 4 (exact in floating point: a power of two).
        mutating func sumPooling(_ x: String, name: String) -> String {
            let average = add("AveragePool", [x], name: name + "_average",
                              attributes: [.integers("kernel_shape", [2, 2]), .integers("strides", [2, 2])])
            return add("Mul", [average, "four"], name: name)
        }

        /// The 1998 model's S2/S4: the 2x2 sum times a coefficient per map, plus a bias per map.
        mutating func trainableSubsampling(_ x: String, _ prefix: String, name: String) -> String {
            let sum = sumPooling(x, name: name + "_sum")
            let scaled = add("Mul", [sum, prefix + ".coefficient"], name: name + "_scaled")
            return add("Add", [scaled, prefix + ".bias"], name: name)
        }

        /// x W^T + b, PyTorch's nn.Linear with W [outputs, inputs].
        mutating func linear(_ x: String, _ prefix: String, name: String) -> String {
            add("Gemm", [x, prefix + ".weight", prefix + ".bias"], name: name, attributes: [.integer("transB", 1)])
        }

        /// 1.7159 tanh(2a/3), in the order the Swift code computes it.
        mutating func squash(_ x: String, name: String) -> String {
            let scaled = add("Mul", [x, "slope"], name: name + "_slope")
            let tangent = add("Tanh", [scaled], name: name + "_tanh")
            return add("Mul", [tangent, "amplitude"], name: name + "_squash")
        }
    }
}
