import Support

/// What a network's outputs are: logits (the largest wins) or the 1998 model's RBF penalties (the
/// smallest wins).
public enum ScoreKind: String, Sendable, Codable {
    /// Logits: the largest wins.
    case logits
    /// The RBF's penalties: the smallest wins.
    case penalties
    /// "Logits" or "Penalties", as the printed lines and reports call them.
    public var name: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
    /// Whether the smallest score wins (penalties) rather than the largest (logits).
    public var smallestWins: Bool { self == .penalties }
}

/// The loss a network is trained with, on its outputs.
public enum OutputLoss: Sendable, Equatable, CustomStringConvertible {
    /// Mean softmax cross-entropy of the logits (PyTorch's `CrossEntropyLoss`).
    case crossEntropy
    /// The same with label smoothing e (PyTorch's `CrossEntropyLoss(label_smoothing=e)`).
    case smoothedCrossEntropy(Float)
    /// The 1998 paper's eq. 8 or 9 on the RBF penalties.
    case penalty(PaperLoss)

    /// How reports and run settings name it: "cross-entropy".
    public var description: String {
        switch self {
        case .crossEntropy: return "cross-entropy"
        case .smoothedCrossEntropy(let e): return "cross-entropy with label smoothing \(e)"
        case .penalty(let loss): return loss.description
        }
    }
}

/// How the weights start.
public enum WeightInitialization: Sendable, Equatable {
    /// PyTorch's default for `Conv2d` and `Linear`: every weight and bias uniform in ±1/sqrt(F), F the
    /// fan-in of the layer (kaiming_uniform_ with a = sqrt(5)).
    case pytorchDefault
    /// The 1998 paper's Appendix A: weights uniform in ±2.4/F, F the fan-in of the unit they feed;
    /// biases 0 (as in LeCun's later code).
    case lecunFanIn
    /// The same with ±2.4/sqrt(F): every layer's weighted sums keep a standard deviation near 1
    /// (LeCun et al., "Efficient BackProp", 1998, sec. 4.6).
    case lecunSquareRootFanIn
    /// ±2.4/sqrt(F) for the weighted sums of many inputs (convolutions, full connections) and ±2.4/F,
    /// as the paper prints it, for the trainable subsampling's coefficients (F = 4: ±0.6, not ±1.2).
    case lecunSquareRootFanInSubsamplingAsPrinted
}

/// A sequential network: an ordered list of layers and what its outputs are. Everything else follows
/// from the list: the parameter layout (each layer's tensors in turn), the initial weights, the
/// workspace's sizes, the forward and backward passes, and the table `lenet info` prints.
public struct Network: Sendable {
    /// The layers, input first.
    public let layers: [any Layer]
    /// What the last layer's outputs are.
    public let scores: ScoreKind
    /// Every layer's tensors, one after another, in one flat buffer.
    public let layout: ParameterLayout
    /// Where each layer's first parameter sits in the flat buffer.
    public let parameterOffsets: [Int]
    /// The layers that are convolutions with maps for outputs (C1, C3), by index: what the server
    /// draws as feature maps.
    public let convolutions: [Int]

    /// A network of `layers`, each taking as many values per image as the one before gives.
    public init(layers: [any Layer], scores: ScoreKind) {
        precondition(!layers.isEmpty)
        for (before, after) in zip(layers, layers.dropFirst()) {
            precondition(before.outputCount == after.inputCount, "\(before.name) gives \(before.outputCount) values per image, \(after.name) takes \(after.inputCount)")
        }
        self.layers = layers
        self.scores = scores
        layout = ParameterLayout(layers.flatMap { $0.parameters.map { ($0.name, $0.shape) } })
        var offsets: [Int] = [], offset = 0
        for layer in layers {
            offsets.append(offset)
            offset += layer.parameterCount
        }
        parameterOffsets = offsets
        convolutions = layers.indices.filter { layers[$0].outputShape.count == 3 && layers[$0].kindDescription.hasPrefix("convolution") }
    }

    /// Floats per image in and out.
    public var inputCount: Int { layers[0].inputCount }
    /// "1@28x28" (one square map), or the count.
    public var inputDescription: String {
        let side = Int(Double(inputCount).squareRoot())
        return side * side == inputCount ? "1@\(side)x\(side)" : String(inputCount)
    }
    /// Scores per image: the last layer's outputs.
    public var outputCount: Int { layers[layers.count - 1].outputCount }

    /// The initial weights, drawn from `seed`: tensor by tensor in the layout's order, element by
    /// element (the 1998 rule draws nothing for biases).
    public func initialParameters(_ rule: WeightInitialization, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        var values = [Float](repeating: 0, count: layout.count)
        var offset = 0
        for layer in layers {
            for (index, tensor) in layer.parameters.enumerated() {
                defer { offset += tensor.count }
                switch rule {
                case .pytorchDefault:
                    let bound = 1 / Float(tensor.fanIn).squareRoot()
                    for k in 0..<tensor.count { values[offset + k] = generator.nextFloat(symmetricBound: bound) }
                case .lecunFanIn, .lecunSquareRootFanIn, .lecunSquareRootFanInSubsamplingAsPrinted:
                    guard !tensor.isBias else { continue }
                    let asPrinted = rule == .lecunFanIn || (rule == .lecunSquareRootFanInSubsamplingAsPrinted && layer is TrainableSubsampling)
                    for k in 0..<tensor.count {
                        let f = Float(layer.fanIn(parameter: index, element: k))
                        values[offset + k] = generator.nextFloat(symmetricBound: 2.4 / (asPrinted ? f : f.squareRoot()))
                    }
                }
            }
        }
        return values
    }

    /// One row per layer, for `lenet info`.
    public struct LayerRow: Sendable {
        /// The layer's label: "C1 convolution 5x5 + ReLU".
        public var layer: String
        /// Its output's shape: "6@24x24" or "120".
        public var output: String
        /// Its trainable parameters.
        public var parameters: Int
        /// Its connections, as the 1998 paper counts them.
        public var connections: Int
        /// Its multiply-adds per image.
        public var multiplyAdds: Int
    }

    /// One row per layer, input first.
    public var summary: [LayerRow] {
        layers.map { LayerRow(layer: $0.label, output: $0.outputDescription, parameters: $0.parameterCount,
                              connections: $0.connections, multiplyAdds: $0.multiplyAdds) }
    }

    /// The predicted class of one image's scores: the largest logit, or the smallest penalty (the
    /// first, on a tie).
    public func prediction(_ scores: UnsafePointer<Float>) -> Int {
        var best = 0
        for k in 1..<outputCount where self.scores.smallestWins ? scores[k] < scores[best] : scores[k] > scores[best] { best = k }
        return best
    }
}
