import Kernels
import Synchronization

/// Which implementation of each kernel a layer runs: the fast ones, or the naive oracles they are
/// tested against. Chosen once, for a workspace, not per call.
public enum KernelChoice: Sendable {
    /// The fast kernels (SIMD, blocked, Winograd).
    case fast
    /// The naive loops, the oracles.
    case naive
}

/// What a layer applies to its weighted sums a, from the output y = f(a).
public enum Activation: Sendable, Equatable {
    /// y = a.
    case identity
    /// max(a, 0) (the write-up's).
    case relu
    /// The 1998 paper's 1.7159 tanh(2a/3) (see `Squashing`).
    case squash

    /// " + ReLU", " + squash" or "", for the layer tables.
    var suffix: String {
        switch self {
        case .identity: return ""
        case .relu: return " + ReLU"
        case .squash: return " + squash"
        }
    }

    /// y = f(a) in place, over `batch` images of `count` values. The squashing function runs image
    /// by image, so that its SIMD and scalar parts fall on the same elements at any batch size.
    public func forward(_ values: UnsafeMutablePointer<Float>, batch: Int, count: Int) {
        switch self {
        case .identity: break
        case .relu: reluForward(values, count: batch &* count)
        case .squash:
            for n in 0..<batch { Squashing.forward(values + n &* count, values + n &* count, count: count) }
        }
    }

    /// dE/da = f'(a) dE/dy in place on the gradient, from the output y.
    public func backward(output: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, batch: Int, count: Int) {
        switch self {
        case .identity: break
        case .relu: reluBackward(output: output, gradient: gradient, count: batch &* count)
        case .squash: Squashing.backward(output: output, gradient: gradient, count: batch &* count)
        }
    }

    /// d2E/da2 = f'(a)^2 d2E/dy2 in place (the f'' term left out, eq. 27 of the 1998 paper). For
    /// ReLU f' is 0 or 1, so f'^2 = f' and the backward pass serves.
    public func secondBackward(output: UnsafePointer<Float>, second: UnsafeMutablePointer<Float>, batch: Int, count: Int) {
        switch self {
        case .identity: break
        case .relu: reluBackward(output: output, gradient: second, count: batch &* count)
        case .squash: Squashing.secondBackward(output: output, second: second, count: batch &* count)
        }
    }
}

/// One trainable tensor of a layer: its name in checkpoints, its shape, and the fan-in of the units
/// it feeds (for the initialisations).
public struct ParameterSpec: Sendable, Equatable {
    /// Its name in checkpoints: "c1.weight".
    public var name: String
    /// Its dimensions, outermost first.
    public var shape: [Int]
    /// A bias (or any additive term): the 1998 initialisation leaves these at 0.
    public var isBias: Bool
    /// The fan-in of the units the tensor feeds; a layer whose units differ overrides
    /// `Layer.fanIn(parameter:element:)`.
    public var fanIn: Int

    /// A tensor named `name` of `shape`, feeding units of fan-in `fanIn`.
    public init(name: String, shape: [Int], isBias: Bool = false, fanIn: Int) {
        self.name = name
        self.shape = shape
        self.isBias = isBias
        self.fanIn = fanIn
    }

    /// Its number of elements.
    public var count: Int { shape.reduce(1, *) }
}

/// The buffers of one layer's pass over a batch of N images: its input [N, inputCount], its output
/// [N, outputCount], its own parameters (in the order of `Layer.parameters`) and the workspace's
/// scratch.
public struct LayerPass {
    /// N, the images in the batch.
    public var batch: Int
    /// Fast kernels, or the naive oracles.
    public var kernels: KernelChoice
    /// [N, inputCount]: the layer's input.
    public var input: UnsafePointer<Float>
    /// [N, outputCount]: the layer's output (written by `forward`, read by the backward passes).
    public var output: UnsafeMutablePointer<Float>
    /// The layer's own parameters, in the order of `Layer.parameters`.
    public var parameters: UnsafePointer<Float>
    /// The layer's `scratchCount(capacity:)` floats.
    public var scratch: UnsafeMutablePointer<Float>
    /// The layer's own `cacheCount` floats, kept by the workspace from one pass to the next (nil
    /// when the layer has none).
    public var cache: UnsafeMutablePointer<Float>?
    /// The parameters' version (`ParameterVersion`): a cache made for the same nonzero version is
    /// current without comparing the parameters; 0, unknown, compares them.
    public var parametersVersion: UInt64

    /// The buffers of a pass over `batch` images.
    public init(batch: Int, kernels: KernelChoice, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                parameters: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, cache: UnsafeMutablePointer<Float>? = nil,
                parametersVersion: UInt64 = 0) {
        self.batch = batch
        self.kernels = kernels
        self.input = input
        self.output = output
        self.parameters = parameters
        self.scratch = scratch
        self.cache = cache
        self.parametersVersion = parametersVersion
    }
}

/// A layer of a sequential network: everything about it in one type. Its shapes, parameter names and
/// fan-ins; its forward pass; its backward pass (dE/dy of its output, turned into dE/da in place by
/// the activation, to dE/dw, overwritten, and dE/dx of its input when asked); and the diagonal
/// Gauss-Newton second-derivative pass that stochastic diagonal Levenberg-Marquardt needs (the same
/// shape, with squared weights and inputs).
public protocol Layer: Sendable {
    /// The short name the tables and the profile use: "C1", "S2", "F6", "OUTPUT".
    var name: String { get }
    /// What it is: "convolution 5x5 + ReLU".
    var kindDescription: String { get }
    /// Floats per image in its input.
    var inputCount: Int { get }
    /// Floats per image in its output.
    var outputCount: Int { get }
    /// The output's shape per image: [maps, height, width], or [units].
    var outputShape: [Int] { get }
    /// Its trainable tensors, in the order they sit in the flat buffer.
    var parameters: [ParameterSpec] { get }
    /// Multiply-adds per image.
    var multiplyAdds: Int { get }
    /// Connections as the 1998 paper counts them (biases included).
    var connections: Int { get }
    /// The fan-in of the unit that element `element` of tensor `parameter` feeds.
    func fanIn(parameter: Int, element: Int) -> Int
    /// Floats of scratch its passes need for a batch of up to `capacity` images.
    func scratchCount(capacity: Int) -> Int
    /// Floats it keeps from one pass to the next in a workspace (`LayerPass.cache`): what it derives
    /// from its parameters, remade when they change. 0 by default.
    var cacheCount: Int { get }
    /// Writes `pass.output` from `pass.input` and the parameters: y = f(a), a the layer's sum.
    func forward(_ pass: LayerPass)
    /// From dE/dy (`outputGradient`, which becomes dE/da in place): dE/dw into `parameterGradient`,
    /// overwritten, and dE/dx into `inputGradient` when it is not nil. Reads the output the
    /// forward pass wrote.
    func backward(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?)
    /// The diagonal Gauss-Newton second derivatives, as `backward` with f'(a)^2 for f'(a) and
    /// squared weights and inputs: d2E/da2 in place of `outputSecond`, d2E/dw2 into
    /// `parameterSecond`, d2E/dx2 into `inputSecond` when it is not nil.
    func secondBackward(_ pass: LayerPass, outputSecond: UnsafeMutablePointer<Float>, parameterSecond: UnsafeMutablePointer<Float>,
                        inputSecond: UnsafeMutablePointer<Float>?)
    /// One pattern's backward pass (`pass.batch` is 1) and then the per-parameter update
    /// w -= eps * dE/dw of its own parameters (`parameters`, the same memory as `pass.parameters`;
    /// eps from `stepSizes`, in the same order). By default `backward` into `parameterGradient`,
    /// then the update; a layer may fuse the two, with the same result bit for bit.
    func backwardAndStep(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameters: UnsafeMutablePointer<Float>,
                         stepSizes: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?)
    /// Appends the ONNX nodes that compute its output from `input`, its `parameters` (its own, in
    /// the order of `parameters`' specs) as initializers under their checkpoint names; returns the
    /// output.
    func exportONNX(into graph: inout ONNXGraph, input: ONNXValue, parameters: [Float]) -> ONNXValue
}

extension Layer {
    public func backwardAndStep(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameters: UnsafeMutablePointer<Float>,
                                stepSizes: UnsafePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                                inputGradient: UnsafeMutablePointer<Float>?) {
        backward(pass, outputGradient: outputGradient, parameterGradient: parameterGradient, inputGradient: inputGradient)
        StochasticDiagonalLevenbergMarquardt.update(parameters: parameters, gradients: parameterGradient, stepSizes: stepSizes,
                                                    count: parameterCount)
    }

    public func fanIn(parameter: Int, element: Int) -> Int { parameters[parameter].fanIn }

    /// Each of its tensors as an initializer under its checkpoint name, `shapes` overriding the
    /// stored shape where given; returns the names.
    func constants(_ graph: inout ONNXGraph, _ values: [Float], shapes: [Int: [Int]] = [:]) -> [String] {
        var offset = 0
        return parameters.enumerated().map { index, spec in
            defer { offset += spec.count }
            return graph.constant(spec.name, shape: shapes[index] ?? spec.shape, floats: Array(values[offset..<(offset + spec.count)]))
        }
    }
    public func scratchCount(capacity: Int) -> Int { 0 }
    public var cacheCount: Int { 0 }
    /// The number of its trainable parameters: all its tensors' elements.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
    /// "C1 convolution 5x5 + ReLU".
    public var label: String { "\(name) \(kindDescription)" }
    /// The output's shape as the tables print it: "6@24x24" or "120".
    public var outputDescription: String {
        outputShape.count == 3 ? "\(outputShape[0])@\(outputShape[1])x\(outputShape[2])" : outputShape.map(String.init).joined(separator: "x")
    }
}

/// The derivatives of a kernel that works on one image: (input, its parameters, dE/da or d2E/da2,
/// the parameter's first tensor, its second tensor, the input's term or nil, accumulate).
typealias ImageKernelStep = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>,
                             UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?, Bool) -> Void

/// A layer whose kernel works on one image at a time (the 1998 paper's): its backward and
/// second-derivative passes apply the activation's, then the kernel's, image by image, the parameter
/// terms added over the batch.
protocol ImageByImageLayer: Layer {
    var activation: Activation { get }
    /// Where the second parameter tensor (the biases) starts.
    var secondTensorOffset: Int { get }
    var backwardStep: ImageKernelStep { get }
    var secondBackwardStep: ImageKernelStep { get }
}

extension ImageByImageLayer {
    public func backward(_ pass: LayerPass, outputGradient: UnsafeMutablePointer<Float>, parameterGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?) {
        activation.backward(output: pass.output, gradient: outputGradient, batch: pass.batch, count: outputCount)
        propagate(pass, backwardStep, outputGradient, parameterGradient, inputGradient)
    }

    public func secondBackward(_ pass: LayerPass, outputSecond: UnsafeMutablePointer<Float>, parameterSecond: UnsafeMutablePointer<Float>,
                               inputSecond: UnsafeMutablePointer<Float>?) {
        activation.secondBackward(output: pass.output, second: outputSecond, batch: pass.batch, count: outputCount)
        propagate(pass, secondBackwardStep, outputSecond, parameterSecond, inputSecond)
    }

    func propagate(_ pass: LayerPass, _ step: ImageKernelStep, _ output: UnsafeMutablePointer<Float>, _ parameters: UnsafeMutablePointer<Float>,
                   _ input: UnsafeMutablePointer<Float>?) {
        for n in 0..<pass.batch {
            step(pass.input + n &* inputCount, pass.parameters, output + n &* outputCount, parameters, parameters + secondTensorOffset,
                 input.map { $0 + n &* inputCount }, n > 0)
        }
    }
}

/// Numbers that name sets of parameter values for the layers' caches (`LayerPass.parametersVersion`):
/// each `next()` is new in the process, and never 0. Whoever owns a set of parameters takes a new
/// version whenever they change (the trainer after every step) and passes it with them; a cache
/// made for a version is then current without comparing the parameters.
public enum ParameterVersion {
    private static let last = Atomic<UInt64>(0)

    /// A version no caller has had before.
    public static func next() -> UInt64 { last.wrappingAdd(1, ordering: .relaxed).newValue }
}
