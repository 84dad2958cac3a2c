import FileFormats

/// A value of a graph being built: its name, and whether it is flat ([batch, n]) or maps
/// ([batch, c, h, w]).
public struct ONNXValue: Sendable {
    /// Its name in the graph.
    public var name: String
    /// Whether it is [batch, n] rather than [batch, c, h, w].
    public var flat: Bool

    /// A value named `name`.
    public init(_ name: String, flat: Bool) {
        self.name = name
        self.flat = flat
    }
}

/// An ONNX graph (opset 13) under construction: each `add` appends a node and returns its output's
/// name; each layer adds its own nodes (`Layer.exportONNX`), and `Network.exportONNX` chains them.
public struct ONNXGraph {
    /// The nodes added, in order.
    public private(set) var nodes: [ONNX.Node] = []
    /// The initializers added, each name once.
    public private(set) var constants: [ONNX.Tensor] = []

    /// An empty graph.
    public init() {}

    /// Appends a node applying `operation` to `inputs`; returns its output's name (`output`, or
    /// `<name>_out`).
    @discardableResult
    public mutating func add(_ operation: String, _ inputs: [String], output: String? = nil, name: String,
                             attributes: [ONNX.Attribute] = []) -> String {
        let result = output ?? name + "_out"
        nodes.append(ONNX.Node(operation, inputs, [result], name: name, attributes: attributes))
        return result
    }

    /// An initializer; a name already given keeps its first value. Returns the name.
    @discardableResult
    public mutating func constant(_ name: String, shape: [Int], floats: [Float]) -> String {
        if !constants.contains(where: { $0.name == name }) { constants.append(ONNX.Tensor(name: name, shape: shape, floats: floats)) }
        return name
    }

    /// An int64 initializer; a name already given keeps its first value. Returns the name.
    @discardableResult
    public mutating func constant(_ name: String, shape: [Int], integers: [Int]) -> String {
        if !constants.contains(where: { $0.name == name }) { constants.append(ONNX.Tensor(name: name, shape: shape, integers: integers)) }
        return name
    }

    /// Renames the graph's final output (the last node's) to `name`: "logits" or "penalties".
    public mutating func nameOutput(_ name: String) {
        guard !nodes.isEmpty else { return }
        nodes[nodes.count - 1].outputs = [name]
    }

    /// [batch, c, h, w] -> [batch, c*h*w]; a flat value as it is.
    public mutating func flattened(_ x: ONNXValue, name: String = "flatten") -> String {
        x.flat ? x.name : add("Flatten", [x.name], name: name, attributes: [.integer("axis", 1)])
    }

    /// A K x K convolution of `x`, stride 1, no padding; returns its output's name.
    public mutating func convolution(_ x: String, _ weight: String, _ bias: String, kernelSize: Int, name: String) -> String {
        add("Conv", [x, weight, bias], name: name, attributes: [.integers("kernel_shape", [kernelSize, kernelSize])])
    }

    /// 2x2 sum pooling, stride 2: the average times 4 (exact in floating point: a power of two).
    public mutating func sumPooling(_ x: String, name: String) -> String {
        let average = add("AveragePool", [x], name: name + "_average",
                          attributes: [.integers("kernel_shape", [2, 2]), .integers("strides", [2, 2])])
        return add("Mul", [average, constant("four", shape: [], floats: [4])], name: name)
    }

    /// y = f(a): nothing, Relu, or the squashing function 1.7159 tanh(2a/3) as Mul, Tanh, Mul (in
    /// the order the Swift code computes it).
    public mutating func activation(_ activation: Activation, _ x: String, name: String) -> String {
        switch activation {
        case .identity: return x
        case .relu: return add("Relu", [x], name: name + "_relu")
        case .squash:
            let scaled = add("Mul", [x, constant("slope", shape: [], floats: [Squashing.slope])], name: name + "_slope")
            let tangent = add("Tanh", [scaled], name: name + "_tanh")
            return add("Mul", [tangent, constant("amplitude", shape: [], floats: [Squashing.amplitude])], name: name + "_squash")
        }
    }
}

extension Network {
    /// The network's nodes after `input`, each layer's own (`Layer.exportONNX`), its parameters as
    /// initializers under their checkpoint names; the last output is named after the scores
    /// ("logits" or "penalties"). `parameters` are the whole flat buffer, in `layout`'s order.
    public func exportONNX(into graph: inout ONNXGraph, input: ONNXValue, parameters: [Float]) {
        var x = input, offset = 0
        for layer in layers {
            let count = layer.parameterCount
            x = layer.exportONNX(into: &graph, input: x, parameters: Array(parameters[offset..<(offset + count)]))
            offset += count
        }
        graph.nameOutput(scores.rawValue)
    }
}
