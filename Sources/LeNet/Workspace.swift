import Kernels
import NeuralNetwork
import Support

/// Which implementation of each kernel to run: the fast ones, or the naive oracles they are tested against.
public enum KernelChoice: Sendable {
    case fast
    case naive
}

/// Everything a forward and backward pass of `LeNet5` writes, allocated once for up to `capacity`
/// images: the training loop then allocates nothing per batch. Activations and their gradients live
/// in one flat buffer each, with named views (shapes for a batch of N in the comments).
public final class LeNet5Workspace {
    public let capacity: Int
    public let kernels: KernelChoice
    /// False for inference only: the activation gradients are then not allocated.
    public let training: Bool
    /// When set, the time of every layer's forward and backward pass is added to it.
    public var profile: LayerProfile?

    static let conv1Shape = ConvolutionShape(inputChannels: 1, outputChannels: 6, inputHeight: 28, inputWidth: 28, kernelSize: 5)
    static let conv2Shape = ConvolutionShape(inputChannels: 6, outputChannels: 16, inputHeight: 12, inputWidth: 12, kernelSize: 5)

    // Per-image sizes of the activations.
    static let sizes = (input: 784, conv1: 6 * 24 * 24, pool1: 6 * 12 * 12, conv2: 16 * 8 * 8, pool2: 256,
                        fc1: 120, fc2: 84)

    private let activations: UnsafeMutablePointer<Float>
    private let activationGradients: UnsafeMutablePointer<Float>
    private let activationCount: Int
    private let gradientCount: Int

    /// [N, 1, 28, 28]: the normalized images. Filled by the caller.
    public let input: UnsafeMutablePointer<Float>
    /// [N]: the labels. Filled by the caller before `backward`.
    public let labels: UnsafeMutablePointer<Int32>
    /// [N, 6, 24, 24]: ReLU(C1).
    public let conv1: UnsafeMutablePointer<Float>
    /// [N, 6, 12, 12]: S2.
    public let pool1: UnsafeMutablePointer<Float>
    /// [N, 16, 8, 8]: ReLU(C3).
    public let conv2: UnsafeMutablePointer<Float>
    /// [N, 256]: S4, flattened as PyTorch's `view(-1, 256)`.
    public let pool2: UnsafeMutablePointer<Float>
    /// [N, 120]: ReLU(F5).
    public let fc1: UnsafeMutablePointer<Float>
    /// [N, 84]: ReLU(F6).
    public let fc2: UnsafeMutablePointer<Float>
    /// [N, classes]: the logits.
    public let logits: UnsafeMutablePointer<Float>
    /// [N, classes]: softmax of the logits (written by `backward`).
    public let probabilities: UnsafeMutablePointer<Float>

    // Gradients of the loss with respect to each activation, same shapes.
    let logitsGradient, fc2Gradient, fc1Gradient, pool2Gradient, conv2Gradient, pool1Gradient, conv1Gradient: UnsafeMutablePointer<Float>

    /// The gradient of the loss with respect to every parameter, in `LeNet5.layout`'s order.
    public let parameterGradients: UnsafeMutablePointer<Float>
    private let scratch: UnsafeMutablePointer<Float>

    /// The number of outputs (logits per image).
    public let classes: Int
    let offsets: LeNet5Offsets
    let parameterCount: Int

    public init(capacity: Int, kernels: KernelChoice = .fast, training: Bool = true, classes: Int = 10) {
        precondition(capacity > 0 && classes >= 2)
        self.capacity = capacity
        self.classes = classes
        self.offsets = LeNet5Offsets(classes: classes)
        self.parameterCount = LeNet5.layout(classes: classes).count
        self.kernels = kernels
        self.training = training
        let s = Self.sizes
        let perImage = [s.input, s.conv1, s.pool1, s.conv2, s.pool2, s.fc1, s.fc2, classes, classes]
        activationCount = perImage.reduce(0, +) * capacity
        activations = .allocate(capacity: activationCount)
        activations.initialize(repeating: 0, count: activationCount)
        var cursor = activations
        var images = capacity
        func carve(_ perImage: Int) -> UnsafeMutablePointer<Float> {
            defer { cursor += perImage * images }
            return cursor
        }
        input = carve(s.input); conv1 = carve(s.conv1); pool1 = carve(s.pool1); conv2 = carve(s.conv2)
        pool2 = carve(s.pool2); fc1 = carve(s.fc1); fc2 = carve(s.fc2); logits = carve(classes)
        probabilities = carve(classes)

        let gradientsPerImage = [classes, s.fc2, s.fc1, s.pool2, s.conv2, s.pool1, s.conv1]
        images = training ? capacity : 0
        gradientCount = gradientsPerImage.reduce(0, +) * images
        activationGradients = .allocate(capacity: max(gradientCount, 1))
        activationGradients.initialize(repeating: 0, count: max(gradientCount, 1))
        cursor = activationGradients
        logitsGradient = carve(classes); fc2Gradient = carve(s.fc2); fc1Gradient = carve(s.fc1)
        pool2Gradient = carve(s.pool2); conv2Gradient = carve(s.conv2); pool1Gradient = carve(s.pool1)
        conv1Gradient = carve(s.conv1)

        labels = .allocate(capacity: capacity)
        labels.initialize(repeating: 0, count: capacity)
        parameterGradients = .allocate(capacity: parameterCount)
        parameterGradients.initialize(repeating: 0, count: parameterCount)
        let scratchCount = max(Self.conv1Shape.scratchCount, Self.conv2Shape.scratchCount)
        scratch = .allocate(capacity: scratchCount)
        scratch.initialize(repeating: 0, count: scratchCount)
    }

    deinit {
        activations.deallocate()
        activationGradients.deallocate()
        labels.deallocate()
        parameterGradients.deallocate()
        scratch.deallocate()
    }
}

/// Offsets of the named parameter tensors in the flat buffer.
struct LeNet5Offsets {
    let conv1Weight, conv1Bias, conv2Weight, conv2Bias, fc1Weight, fc1Bias, fc2Weight, fc2Bias, fc3Weight, fc3Bias: Int
    init(classes: Int) {
        let layout = LeNet5.layout(classes: classes)
        func at(_ name: String) -> Int { layout[name]!.offset }
        conv1Weight = at("conv1.weight"); conv1Bias = at("conv1.bias")
        conv2Weight = at("conv2.weight"); conv2Bias = at("conv2.bias")
        fc1Weight = at("fc1.weight"); fc1Bias = at("fc1.bias")
        fc2Weight = at("fc2.weight"); fc2Bias = at("fc2.bias")
        fc3Weight = at("fc3.weight"); fc3Bias = at("fc3.bias")
    }
}

extension LeNet5Workspace {
    /// The forward pass of `batch` images from `input` to `logits`.
    public func forward(parameters p: UnsafePointer<Float>, batch: Int) {
        precondition(batch > 0 && batch <= capacity)
        let o = offsets, s = Self.sizes
        let naive = kernels == .naive
        profile?.start()
        // C1: 1@28x28 -> 6@24x24, then ReLU
        if naive {
            convolutionForwardNaive(Self.conv1Shape, batch: batch, input: input, weight: p + o.conv1Weight, bias: p + o.conv1Bias, output: conv1)
            reluForward(conv1, count: batch * s.conv1)
        } else {
            convolutionForward(Self.conv1Shape, batch: batch, input: input, weight: p + o.conv1Weight, bias: p + o.conv1Bias,
                               output: conv1, scratch: scratch, applyReLU: true)
        }
        profile?.lap("C1 forward (with ReLU)")
        // S2: 6@24x24 -> 6@12x12, sum of each 2x2
        if naive {
            sumPoolForwardNaive(planes: batch * 6, height: 24, width: 24, input: conv1, output: pool1)
        } else {
            sumPoolForward(planes: batch * 6, height: 24, width: 24, input: conv1, output: pool1)
        }
        profile?.lap("S2 forward")
        // C3: 6@12x12 -> 16@8x8, then ReLU
        if naive {
            convolutionForwardNaive(Self.conv2Shape, batch: batch, input: pool1, weight: p + o.conv2Weight, bias: p + o.conv2Bias, output: conv2)
            reluForward(conv2, count: batch * s.conv2)
        } else {
            convolutionForward(Self.conv2Shape, batch: batch, input: pool1, weight: p + o.conv2Weight, bias: p + o.conv2Bias,
                               output: conv2, scratch: scratch, applyReLU: true)
        }
        profile?.lap("C3 forward (with ReLU)")
        // S4: 16@8x8 -> 16@4x4 = 256 features
        if naive {
            sumPoolForwardNaive(planes: batch * 16, height: 8, width: 8, input: conv2, output: pool2)
        } else {
            sumPoolForward(planes: batch * 16, height: 8, width: 8, input: conv2, output: pool2)
        }
        profile?.lap("S4 forward")
        // F5: 256 -> 120, ReLU; F6: 120 -> 84, ReLU; F7: 84 -> 10
        let linear = naive ? linearForwardNaive : linearForward
        linear(batch, 256, 120, pool2, p + o.fc1Weight, p + o.fc1Bias, fc1)
        reluForward(fc1, count: batch * s.fc1)
        linear(batch, 120, 84, fc1, p + o.fc2Weight, p + o.fc2Bias, fc2)
        reluForward(fc2, count: batch * s.fc2)
        linear(batch, 84, classes, fc2, p + o.fc3Weight, p + o.fc3Bias, logits)
        profile?.lap("F5-F7 forward (with ReLU)")
    }

    /// The mean cross-entropy of the last forward pass against `labels`, and its gradient with
    /// respect to every parameter into `parameterGradients` (overwritten, not accumulated): the
    /// forward's calls in reverse. When these images are a chunk of a larger batch, `normalizer` is
    /// that batch's size (see `softmaxCrossEntropy`).
    @discardableResult
    public func backward(parameters p: UnsafePointer<Float>, batch: Int, normalizer: Int? = nil) -> Float {
        precondition(training, "backward needs a workspace made with training: true")
        let o = offsets, s = Self.sizes, g = parameterGradients
        let naive = kernels == .naive
        profile?.start()
        let loss = softmaxCrossEntropy(batch: batch, classes: classes, logits: logits, labels: labels,
                                       probabilities: probabilities, logitsGradient: logitsGradient, normalizer: normalizer)
        profile?.lap("loss")
        let linear = naive ? linearBackwardNaive : linearBackward
        // F7
        linear(batch, 84, classes, fc2, p + o.fc3Weight, logitsGradient, g + o.fc3Weight, g + o.fc3Bias, fc2Gradient)
        // F6
        reluBackward(output: fc2, gradient: fc2Gradient, count: batch * s.fc2)
        linear(batch, 120, 84, fc1, p + o.fc2Weight, fc2Gradient, g + o.fc2Weight, g + o.fc2Bias, fc1Gradient)
        // F5
        reluBackward(output: fc1, gradient: fc1Gradient, count: batch * s.fc1)
        linear(batch, 256, 120, pool2, p + o.fc1Weight, fc1Gradient, g + o.fc1Weight, g + o.fc1Bias, pool2Gradient)
        profile?.lap("F7-F5 backward")
        // S4
        if naive {
            sumPoolBackwardNaive(planes: batch * 16, height: 8, width: 8, outputGradient: pool2Gradient, inputGradient: conv2Gradient)
        } else {
            sumPoolBackward(planes: batch * 16, height: 8, width: 8, outputGradient: pool2Gradient, inputGradient: conv2Gradient)
        }
        profile?.lap("S4 backward")
        // C3
        reluBackward(output: conv2, gradient: conv2Gradient, count: batch * s.conv2)
        if naive {
            convolutionBackwardNaive(Self.conv2Shape, batch: batch, input: pool1, weight: p + o.conv2Weight, outputGradient: conv2Gradient,
                                     weightGradient: g + o.conv2Weight, biasGradient: g + o.conv2Bias, inputGradient: pool1Gradient)
        } else {
            convolutionBackward(Self.conv2Shape, batch: batch, input: pool1, weight: p + o.conv2Weight, outputGradient: conv2Gradient,
                                weightGradient: g + o.conv2Weight, biasGradient: g + o.conv2Bias, inputGradient: pool1Gradient, scratch: scratch)
        }
        profile?.lap("C3 backward (with ReLU)")
        // S2
        if naive {
            sumPoolBackwardNaive(planes: batch * 6, height: 24, width: 24, outputGradient: pool1Gradient, inputGradient: conv1Gradient)
        } else {
            sumPoolBackward(planes: batch * 6, height: 24, width: 24, outputGradient: pool1Gradient, inputGradient: conv1Gradient)
        }
        profile?.lap("S2 backward")
        // C1 (the input needs no gradient)
        reluBackward(output: conv1, gradient: conv1Gradient, count: batch * s.conv1)
        if naive {
            convolutionBackwardNaive(Self.conv1Shape, batch: batch, input: input, weight: p + o.conv1Weight, outputGradient: conv1Gradient,
                                     weightGradient: g + o.conv1Weight, biasGradient: g + o.conv1Bias, inputGradient: nil)
        } else {
            convolutionBackward(Self.conv1Shape, batch: batch, input: input, weight: p + o.conv1Weight, outputGradient: conv1Gradient,
                                weightGradient: g + o.conv1Weight, biasGradient: g + o.conv1Bias, inputGradient: nil, scratch: scratch)
        }
        profile?.lap("C1 backward (with ReLU)")
        return loss
    }
}

/// Time spent in each layer, for `lenet bench`.
public final class LayerProfile {
    public private(set) var seconds: [(layer: String, seconds: Double)] = []
    private var last = 0.0

    public init() {}

    func start() { last = MonotonicClock.now() }

    func lap(_ layer: String) {
        let now = MonotonicClock.now()
        if let index = seconds.firstIndex(where: { $0.layer == layer }) {
            seconds[index].seconds += now - last
        } else {
            seconds.append((layer, now - last))
        }
        last = now
    }
}
