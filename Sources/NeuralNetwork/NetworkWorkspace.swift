import Foundation
import Kernels
import Support

/// Everything a network's forward, backward and second-derivative passes write, allocated once for
/// up to `capacity` images, so that training allocates nothing per batch (llm.c's way). The
/// activations live in one flat buffer with a view per layer, their gradients in another.
///
///     activations[0]      [N, input]     filled by the caller
///     activations[i + 1]  [N, layer i's outputs]; the last is the scores
///     gradients[i]        the same shapes (dE/dy, then dE/da in place; also the second derivatives)
public final class NetworkWorkspace {
    /// The network it serves.
    public let network: Network
    /// The most images one pass takes.
    public let capacity: Int
    /// Fast kernels, or the naive oracles.
    public let kernels: KernelChoice
    /// False for inference only: gradients and second derivatives are then not allocated.
    public let training: Bool
    /// When set, the time of every layer's forward and backward pass is added to it.
    public var profile: LayerProfile?

    /// The activations, one view per layer's input and one for the scores (see above).
    public let activations: [UnsafeMutablePointer<Float>]
    let gradients: [UnsafeMutablePointer<Float>]
    /// [N]: the labels. Filled by the caller before `backward`.
    public let labels: UnsafeMutablePointer<Int32>
    /// [N, classes]: softmax of the logits (written by `backward` with cross-entropy).
    public let probabilities: UnsafeMutablePointer<Float>
    /// dE/dw for every parameter, in the network's layout (overwritten by `backward`).
    public let parameterGradients: UnsafeMutablePointer<Float>
    /// d2E/dw2 for every parameter (overwritten by `secondBackward`).
    public let secondDerivatives: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    /// Each layer's `cacheCount` floats (nil for none), kept from pass to pass.
    private let caches: ContiguousArray<UnsafeMutablePointer<Float>?>
    private let allocations: [UnsafeMutablePointer<Float>]
    /// The layers, and where each one's parameters start, looked up once.
    private let layers: ContiguousArray<any Layer>
    private let parameterOffsets: ContiguousArray<Int>

    /// A workspace for up to `capacity` images of `network`; `training: false` leaves out what only
    /// the backward passes need.
    public init(_ network: Network, capacity: Int, kernels: KernelChoice = .fast, training: Bool = true) {
        precondition(capacity > 0)
        self.network = network
        self.capacity = capacity
        self.kernels = kernels
        self.training = training
        let counts = [network.inputCount] + network.layers.map(\.outputCount)
        func carve(_ total: Int, _ perImage: [Int]) -> (UnsafeMutablePointer<Float>, [UnsafeMutablePointer<Float>]) {
            let buffer = allocateAlignedFloats(total)
            buffer.initialize(repeating: 0, count: max(total, 1))
            var cursor = buffer, views: [UnsafeMutablePointer<Float>] = []
            for count in perImage {
                views.append(cursor)
                cursor += total == 0 ? 0 : count * capacity
            }
            return (buffer, views)
        }
        let perImage = counts.reduce(0, +) + network.outputCount
        let (activationBuffer, activationViews) = carve(perImage * capacity, counts + [network.outputCount])
        activations = Array(activationViews.dropLast())
        probabilities = activationViews[activationViews.count - 1]
        let (gradientBuffer, gradientViews) = carve(training ? counts.reduce(0, +) * capacity : 0, counts)
        gradients = gradientViews
        let parameterCount = network.layout.count
        let (parameterBuffer, parameterViews) = carve(training ? 2 * parameterCount : 0, [parameterCount, parameterCount])
        parameterGradients = parameterViews[0]
        secondDerivatives = parameterViews[1]
        let scratchCount = network.layers.map { $0.scratchCount(capacity: capacity) }.max() ?? 0
        scratch = allocateAlignedFloats(scratchCount)
        scratch.initialize(repeating: 0, count: max(scratchCount, 1))
        labels = .allocate(capacity: capacity)
        labels.initialize(repeating: 0, count: capacity)
        let cacheCounts = network.layers.map(\.cacheCount), cacheTotal = cacheCounts.reduce(0, +)
        let cacheBuffer = allocateAlignedFloats(cacheTotal)
        cacheBuffer.initialize(repeating: 0, count: max(cacheTotal, 1))
        var cacheCursor = cacheBuffer, cacheViews: [UnsafeMutablePointer<Float>?] = []
        for count in cacheCounts {
            cacheViews.append(count > 0 ? cacheCursor : nil)
            cacheCursor += count
        }
        caches = ContiguousArray(cacheViews)
        allocations = [activationBuffer, gradientBuffer, parameterBuffer, scratch, cacheBuffer]
        layers = ContiguousArray(network.layers)
        parameterOffsets = ContiguousArray(network.parameterOffsets)
    }

    deinit {
        for buffer in allocations { buffer.deallocate() }
        labels.deallocate()
    }

    /// [N, input]: filled by the caller.
    public var input: UnsafeMutablePointer<Float> { activations[0] }
    /// [N, classes]: the last forward pass's logits or penalties.
    public var scores: UnsafeMutablePointer<Float> { activations[activations.count - 1] }

    private func pass(_ index: Int, parameters: UnsafePointer<Float>, batch: Int, version: UInt64 = 0) -> LayerPass {
        LayerPass(batch: batch, kernels: kernels, input: activations[index], output: activations[index + 1],
                  parameters: parameters + parameterOffsets[index], scratch: scratch, cache: caches[index], parametersVersion: version)
    }

    /// The forward pass of `batch` images from `input` to `scores`: each layer in turn. `version`
    /// names these parameter values (`ParameterVersion`), so that the layers' caches made from them
    /// need no comparison; 0 (unknown) compares.
    public func forward(parameters: UnsafePointer<Float>, batch: Int, version: UInt64 = 0) {
        precondition(batch > 0 && batch <= capacity)
        profile?.start()
        for index in layers.indices {
            layers[index].forward(pass(index, parameters: parameters, batch: batch, version: version))
            profile?.lap(.forward(index))
        }
    }

    /// The loss of the last forward pass against `labels`, and dE/dw into `parameterGradients`, or
    /// into `destination` when given (the network's layout; overwritten): the forward's calls in
    /// reverse. When these images are a chunk of a larger batch, `normalizer` is that batch's size
    /// (the loss is the mean over it; the chunks' shares add up). `version`: as `forward`'s.
    @discardableResult
    public func backward(parameters: UnsafePointer<Float>, batch: Int, loss: OutputLoss, normalizer: Int? = nil,
                         into destination: UnsafeMutablePointer<Float>? = nil, version: UInt64 = 0) -> Float {
        precondition(training, "backward needs a workspace made with training: true")
        profile?.start()
        let value = lossAndGradient(loss, batch: batch, normalizer: normalizer)
        profile?.lap(.loss)
        let parameterGradient = destination ?? parameterGradients
        for index in layers.indices.reversed() {
            layers[index].backward(pass(index, parameters: parameters, batch: batch, version: version), outputGradient: gradients[index + 1],
                                   parameterGradient: parameterGradient + parameterOffsets[index],
                                   inputGradient: index == 0 ? nil : gradients[index])
            profile?.lap(.backward(index))
        }
        return value
    }

    /// One pattern's loss and backward pass with the update of stochastic diagonal Levenberg-Marquardt,
    /// w -= eps * dE/dw, applied to each layer's parameters as the backward pass leaves it (a layer
    /// keeps the weights it had in the forward pass until its own backward pass is done). Bit for bit
    /// `backward` then `StochasticDiagonalLevenbergMarquardt.step`, with less memory traffic.
    @discardableResult
    public func backwardAndStep(parameters: UnsafeMutablePointer<Float>, loss: OutputLoss, stepSizes: UnsafePointer<Float>) -> Float {
        precondition(training, "backwardAndStep needs a workspace made with training: true")
        profile?.start()
        let value = lossAndGradient(loss, batch: 1, normalizer: nil)
        profile?.lap(.loss)
        for index in layers.indices.reversed() {
            let offset = parameterOffsets[index]
            layers[index].backwardAndStep(pass(index, parameters: parameters, batch: 1), outputGradient: gradients[index + 1],
                                          parameters: parameters + offset, stepSizes: stepSizes + offset,
                                          parameterGradient: parameterGradients + offset, inputGradient: index == 0 ? nil : gradients[index])
            profile?.lap(.backward(index))
        }
        return value
    }

    /// The diagonal Gauss-Newton second derivatives d2E/dw2 of the last forward pass into
    /// `secondDerivatives` (the 1998 paper's eqs. 25 and 27), summed over the batch: the backward
    /// pass's shape with squared weights and inputs, from the loss's curvature at the scores.
    public func secondBackward(parameters: UnsafePointer<Float>, batch: Int, loss: OutputLoss) {
        precondition(training, "secondBackward needs a workspace made with training: true")
        let classes = network.outputCount, second = gradients[gradients.count - 1]
        switch loss {
        case .crossEntropy, .smoothedCrossEntropy:
            // The Gauss-Newton diagonal of softmax cross-entropy at the logits: p_k (1 - p_k).
            _ = softmaxCrossEntropy(batch: batch, classes: classes, logits: scores, labels: labels, probabilities: probabilities,
                                    logitsGradient: nil)
            for i in 0..<(batch * classes) { second[i] = probabilities[i] * (1 - probabilities[i]) }
        case .penalty:
            // The RBF layer sets its input's curvature itself.
            second.update(repeating: 0, count: batch * classes)
        }
        for index in layers.indices.reversed() {
            layers[index].secondBackward(pass(index, parameters: parameters, batch: batch), outputSecond: gradients[index + 1],
                                         parameterSecond: secondDerivatives + parameterOffsets[index],
                                         inputSecond: index == 0 ? nil : gradients[index])
        }
    }

    /// The predicted class of image `n` of the last forward pass.
    public func prediction(_ n: Int) -> Int { network.prediction(scores + n * network.outputCount) }

    private func lossAndGradient(_ loss: OutputLoss, batch: Int, normalizer: Int?) -> Float {
        let classes = network.outputCount, gradient = gradients[gradients.count - 1]
        switch loss {
        case .crossEntropy:
            return softmaxCrossEntropy(batch: batch, classes: classes, logits: scores, labels: labels, probabilities: probabilities,
                                       logitsGradient: gradient, normalizer: normalizer)
        case .smoothedCrossEntropy(let smoothing):
            return softmaxCrossEntropy(batch: batch, classes: classes, logits: scores, labels: labels, probabilities: probabilities,
                                       logitsGradient: gradient, normalizer: normalizer, labelSmoothing: smoothing)
        case .penalty(let paperLoss):
            var total: Float = 0
            for n in 0..<batch {
                total += paperLoss.evaluate(penalties: scores + n * classes, classes: classes, label: Int(labels[n]),
                                            gradient: gradient + n * classes)
            }
            let count = normalizer ?? batch
            guard count != 1 else { return total }
            let scale = 1 / Float(count)
            for i in 0..<(batch * classes) { gradient[i] *= scale }
            return total * scale
        }
    }
}

/// A step of a profiled pass: a layer's forward or backward pass (by its index in the network),
/// the loss, or the preparation of the input.
public enum ProfileStep: Hashable, Sendable {
    /// Preparing the input.
    case prepare
    /// Layer i's forward pass.
    case forward(Int)
    /// Layer i's backward pass.
    case backward(Int)
    /// The loss and its gradient.
    case loss

    /// The layer's index, for a layer's pass.
    public var layer: Int? {
        switch self {
        case .forward(let index), .backward(let index): index
        case .prepare, .loss: nil
        }
    }

    /// Whether it is a backward step.
    public var isBackward: Bool { if case .backward = self { true } else { false } }

    /// "C1 forward", "F7 backward", "loss", "prepare": how the bench prints it.
    public func label(in network: Network) -> String {
        switch self {
        case .prepare: "prepare"
        case .loss: "loss"
        case .forward(let index): network.layers[index].name + " forward"
        case .backward(let index): network.layers[index].name + " backward"
        }
    }
}

/// Time spent in each step, for `lenet bench`.
public final class LayerProfile {
    /// Each step's time, in the order first seen.
    public private(set) var seconds: [(step: ProfileStep, seconds: Double)] = []
    private var last = 0.0

    /// An empty profile.
    public init() {}

    /// Starts the clock for the next step.
    public func start() { last = MonotonicClock.now() }

    /// Adds the time since the last `start` or `lap` to `step`'s. The bookkeeping itself is left
    /// out of the next step's time (the clock is read again after it): for a layer of about 0.5 us
    /// a call, F7's on 16 images, it had been about a tenth of what the layer was charged.
    public func lap(_ step: ProfileStep) {
        let now = MonotonicClock.now()
        if let index = seconds.firstIndex(where: { $0.step == step }) {
            seconds[index].seconds += now - last
        } else {
            seconds.append((step, now - last))
        }
        last = MonotonicClock.now()
    }
}
