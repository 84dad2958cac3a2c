import FileFormats
import Foundation
import NeuralNetwork

/// Any model kind as an ONNX graph (opset 13), for ONNX Runtime and anything else that reads ONNX.
/// The input is `input`, float32 [batch, 1, 28, 28] with a dynamic batch, each byte p (ink 255 on
/// 0) as the kind's values: (p/255 - 0.5)/0.5 (torchvision's, the write-up's) or -0.1 + 1.275 p/255
/// (the paper's). The graph does the rest of the kind's preparation (the padding to 32x32, LeNet-1's
/// shrinking to 16x16), then each layer's own nodes (`Layer.exportONNX`): Conv, the activation
/// (Relu, or squash(a) = 1.7159 tanh(2a/3) as Mul, Tanh, Mul), sum pooling as AveragePool times 4
/// (times a coefficient plus a bias where trainable), Gemm, and the RBF as sum_j (x_j - c_ij)^2.
/// The output is `logits` or `penalties` (the smallest wins), float32 [batch, classes]. The class
/// names, the data set and the input preparation go into the model's metadata_props.
public enum ONNXExport {
    /// The model as ONNX bytes; `metadata` (a checkpoint's) adds its class names and data set.
    public static func export(_ model: AnyLeNet, metadata: [String: String]) -> [UInt8] {
        let preparation = type(of: model.model).inputPreparation, network = model.model.network
        var about = [("model", model.kind), ("opset", String(ONNX.opset))]
        about.append(("class_names", metadata[MetadataKey.classNames]
                      ?? String(decoding: (try? JSONEncoder().encode((0..<model.classes).map(String.init))) ?? Data(), as: UTF8.self)))
        about.append(("dataset", metadata[MetadataKey.dataset] ?? "mnist"))
        for key in [MetadataKey.seed, MetadataKey.testAccuracy, MetadataKey.recipe] { if let value = metadata[key] { about.append((key, value)) } }
        about.append(("input_values", preparation.values == .torchvision ? "torchvision" : "paper"))
        about.append(("input", "float32 [batch, 1, 28, 28]: " + preparation.description))
        about.append(("output", network.scores == .logits ? "logits [batch, classes]: the largest wins"
                                                          : "penalties [batch, classes]: the Euclidean RBF outputs, the smallest wins"))
        var graph = ONNXGraph()
        network.exportONNX(into: &graph, input: preparation.exportONNX(into: &graph, input: "input"), parameters: model.parameters)
        return ONNX.Model(graphName: model.kind, nodes: graph.nodes, initializers: graph.constants,
                          inputs: [ONNX.Value(name: "input", shape: [nil, 1, 28, 28])],
                          outputs: [ONNX.Value(name: network.scores.rawValue, shape: [nil, model.classes])],
                          metadata: about).bytes
    }
}

extension InputPreparation {
    /// How the input is prepared, for the ONNX file's metadata.
    public var description: String {
        var text = values == .torchvision
            ? "(p/255 - 0.5)/0.5 for each byte p of a 28x28 image, ink 255 on 0 (torchvision's ToTensor then Normalize((0.5,), (0.5,)))"
            : "-0.1 + 1.275 p/255 for each byte p of a 28x28 image, ink 255 on 0 (the 1998 paper's -0.1 background, 1.175 ink)"
        if let digitSide { text += "; the graph shrinks it to \(digitSide)x\(digitSide) by area and centres it again" }
        if padding > 0 { text += "; the graph pads it to \(28 + 2 * padding)x\(28 + 2 * padding) with \(backgroundValue)" }
        return text
    }

    /// The nodes that take the values of a 28x28 image (`values`) to the network's input: the
    /// shrinking (two MatMuls by `shrinking`'s matrices, whose rows sum to 1, then a Pad back to
    /// 28x28) and the padding.
    func exportONNX(into graph: inout ONNXGraph, input: String) -> ONNXValue {
        var x = input
        func pad(_ x: String, _ p: Int, name: String) -> String {
            let pads = graph.constant("pads\(p)", shape: [8], integers: [0, 0, p, p, 0, 0, p, p])
            return graph.add("Pad", [x, pads, graph.constant("background", shape: [], floats: [backgroundValue])], name: name)
        }
        if let side = digitSide {
            let rows = graph.constant("shrink_rows", shape: [side, 28], floats: Self.shrinking(from: 28, to: side))
            var transposed = [Float](repeating: 0, count: 28 * side)
            let columns = Self.shrinking(from: 28, to: side)
            for j in 0..<side { for k in 0..<28 { transposed[k * side + j] = columns[j * 28 + k] } }
            let across = graph.constant("shrink_columns", shape: [28, side], floats: transposed)
            x = graph.add("MatMul", [rows, x], name: "shrink_rows_product")
            x = graph.add("MatMul", [x, across], name: "shrink_columns_product")
            x = pad(x, (28 - side) / 2, name: "centre")
        }
        if padding > 0 { x = pad(x, padding, name: "pad") }
        return ONNXValue(x, flat: false)
    }
}
