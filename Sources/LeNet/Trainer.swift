import Datasets
import Kernels
import NeuralNetwork
import Support

/// What a training run reports as it goes.
public enum TrainingEvent: Sendable {
    /// The running loss over the last `logInterval` batches (the write-up's log line).
    case runningLoss(learningRate: Double, epoch: Int, batch: Int, loss: Double)
    /// An epoch finished: its number overall (from 1), its phase, and its mean loss.
    case epochFinished(epoch: Int, phase: Int, meanLoss: Double, seconds: Double)
    /// A batch finished (for progress displays): the epoch over the whole run (from 1) of `epochs`,
    /// the batch within it (from 1) of `batches`, and the batch's loss.
    case batchFinished(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double)
}

public struct TrainingSummary: Sendable {
    public var images: Int
    public var seconds: Double
    public var imagesPerSecond: Double { Double(images) / max(seconds, 1e-9) }
}

/// Trains `LeNet5` with the write-up's loop:
///
///     for (epochs, lr) in schedule:
///         optimizer = SGD(lr, momentum)                  # a fresh optimizer per phase
///         for epoch in 1...epochs:
///             for batch in shuffled(train, batch_size):  # a seeded shuffle, last partial batch kept
///                 loss = cross_entropy(model(batch)); backward; optimizer.step()
///                 every log_interval batches: print the mean loss since the last print
///
/// Each batch is cut into chunks of `chunkSize` images, whatever the thread count. Every chunk has
/// its own workspace and gradient buffer; the threads share out the chunks, and the chunks'
/// gradients are added in chunk order. The result is therefore the same, bit for bit, on 1 thread
/// or many. Nothing is allocated per batch.
public struct Trainer {
    /// Images per chunk of a batch: the unit of work of a thread.
    public static let chunkSize = 16

    public var recipe: Recipe
    public var kernels: KernelChoice
    public var threads: Int

    public init(recipe: Recipe, kernels: KernelChoice = .fast, threads: Int = WorkerPool.availableProcessors) {
        self.recipe = recipe
        self.kernels = kernels
        self.threads = max(1, threads)
    }

    /// The shuffle's generator: drawn from the seed, distinct from the initialisation's.
    public static func shuffleGenerator(seed: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed ^ 0x5348_5546_464c_4521)
    }

    public func train(_ model: inout LeNet5, on data: LabeledImages,
                      onEvent: (TrainingEvent) -> Void = { _ in }) -> TrainingSummary {
        precondition(data.rows == 28 && data.columns == 28, "LeNet5 takes 28x28 images")
        let chunkCapacity = min(Self.chunkSize, recipe.batchSize)
        let chunkCount = (recipe.batchSize + chunkCapacity - 1) / chunkCapacity
        let workspaces = (0..<chunkCount).map { _ in LeNet5Workspace(capacity: chunkCapacity, kernels: kernels) }
        let pool = WorkerPool(threads: min(threads, chunkCount))
        var chunkLosses = [Float](repeating: 0, count: chunkCount)
        let normalization = Normalization.writeup
        var shuffle = Self.shuffleGenerator(seed: recipe.seed)
        var order = Array(0..<data.count)
        var images = 0
        var epochOverall = 0
        let parameterCount = LeNet5.layout.count
        let start = MonotonicClock.now()
        let totalEpochs = recipe.schedule.reduce(0) { $0 + $1.epochs }
        let batchesPerEpoch = (data.count + recipe.batchSize - 1) / recipe.batchSize
        for (phaseIndex, phase) in recipe.schedule.enumerated() {
            var optimizer = StochasticGradientDescent(parameterCount: parameterCount,
                                                      learningRate: Float(phase.learningRate), momentum: recipe.momentum)
            for epoch in 1...phase.epochs {
                epochOverall += 1
                let epochStart = MonotonicClock.now()
                for i in 0..<order.count { order[i] = i }
                shuffle.shuffle(&order)
                var running = 0.0, epochTotal = 0.0, batchIndex = 0
                model.parameters.withUnsafeMutableBufferPointer { parameters in
                    order.withUnsafeBufferPointer { order in
                        chunkLosses.withUnsafeMutableBufferPointer { losses in
                            let p = parameters.baseAddress!
                            var startIndex = 0
                            while startIndex < order.count {
                                let count = min(recipe.batchSize, order.count - startIndex)
                                let tasks = (count + chunkCapacity - 1) / chunkCapacity
                                let batchStart = startIndex
                                pool.run(tasks: tasks) { task, _ in
                                    let first = batchStart + task * chunkCapacity
                                    let size = min(chunkCapacity, batchStart + count - first)
                                    let workspace = workspaces[task]
                                    normalization.fill(data, indices: UnsafeBufferPointer(rebasing: order[first..<(first + size)]),
                                                       input: workspace.input, labels: workspace.labels)
                                    workspace.forward(parameters: p, batch: size)
                                    losses[task] = workspace.backward(parameters: p, batch: size, normalizer: count)
                                }
                                // The batch's gradient: the chunks' gradients added in chunk order.
                                let gradient = workspaces[0].parameterGradients
                                var loss = losses[0]
                                for task in 1..<max(tasks, 1) {
                                    let chunkGradient = workspaces[task].parameterGradients
                                    for i in 0..<parameterCount { gradient[i] += chunkGradient[i] }
                                    loss += losses[task]
                                }
                                optimizer.step(parameters: p, gradients: gradient)
                                let batchLoss = Double(loss)
                                running += batchLoss
                                epochTotal += batchLoss
                                batchIndex += 1
                                images += count
                                startIndex += count
                                onEvent(.batchFinished(epoch: epochOverall, epochs: totalEpochs, batch: batchIndex,
                                                       batches: batchesPerEpoch, loss: batchLoss))
                                if batchIndex % recipe.logInterval == 0 {
                                    onEvent(.runningLoss(learningRate: phase.learningRate, epoch: epoch, batch: batchIndex,
                                                         loss: running / Double(recipe.logInterval)))
                                    running = 0
                                }
                            }
                        }
                    }
                }
                onEvent(.epochFinished(epoch: epochOverall, phase: phaseIndex + 1, meanLoss: epochTotal / Double(max(batchIndex, 1)),
                                       seconds: MonotonicClock.now() - epochStart))
            }
        }
        return TrainingSummary(images: images, seconds: MonotonicClock.now() - start)
    }
}
