import Datasets
import NeuralNetwork
import Support

/// What a training run reports as it goes.
public enum TrainingEvent: Sendable {
    /// The running loss over the last `logInterval` batches (the write-up's log line).
    case runningLoss(learningRate: Double, epoch: Int, batch: Int, loss: Double)
    /// An epoch finished: its number overall (from 1), its phase, and its mean loss.
    case epochFinished(epoch: Int, phase: Int, meanLoss: Double, seconds: Double)
}

public struct TrainingSummary: Sendable {
    public var images: Int
    public var seconds: Double
    public var finalRunningLoss: Double
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
/// Nothing is allocated per batch: the workspace, the batch order and the optimizer state are
/// made once (the order and optimizer once per epoch and phase).
public struct Trainer {
    public var recipe: Recipe
    public var kernels: KernelChoice

    public init(recipe: Recipe, kernels: KernelChoice = .fast) {
        self.recipe = recipe
        self.kernels = kernels
    }

    /// The shuffle's generator: drawn from the seed, distinct from the initialisation's.
    public static func shuffleGenerator(seed: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed ^ 0x5348_5546_464c_4521)
    }

    public func train(_ model: inout LeNet5, on data: LabeledImages,
                      onEvent: (TrainingEvent) -> Void = { _ in }) -> TrainingSummary {
        precondition(data.rows == 28 && data.columns == 28, "LeNet5 takes 28x28 images")
        let workspace = LeNet5Workspace(capacity: recipe.batchSize, kernels: kernels)
        let normalization = Normalization.writeup
        var shuffle = Self.shuffleGenerator(seed: recipe.seed)
        var order = Array(0..<data.count)
        var images = 0
        var epochOverall = 0
        var lastRunning = 0.0
        let start = MonotonicClock.now()
        for (phaseIndex, phase) in recipe.schedule.enumerated() {
            var optimizer = StochasticGradientDescent(parameterCount: LeNet5.layout.count,
                                                      learningRate: Float(phase.learningRate), momentum: recipe.momentum)
            for epoch in 1...phase.epochs {
                epochOverall += 1
                let epochStart = MonotonicClock.now()
                for i in 0..<order.count { order[i] = i }
                shuffle.shuffle(&order)
                var running = 0.0, epochTotal = 0.0, batchIndex = 0
                model.parameters.withUnsafeMutableBufferPointer { parameters in
                    order.withUnsafeBufferPointer { order in
                        var startIndex = 0
                        while startIndex < order.count {
                            let count = min(recipe.batchSize, order.count - startIndex)
                            let indices = UnsafeBufferPointer(rebasing: order[startIndex..<(startIndex + count)])
                            normalization.fill(data, indices: indices, input: workspace.input, labels: workspace.labels)
                            workspace.forward(parameters: parameters.baseAddress!, batch: count)
                            let loss = Double(workspace.backward(parameters: parameters.baseAddress!, batch: count))
                            optimizer.step(parameters: parameters.baseAddress!, gradients: workspace.parameterGradients)
                            running += loss
                            epochTotal += loss
                            batchIndex += 1
                            images += count
                            startIndex += count
                            if batchIndex % recipe.logInterval == 0 {
                                onEvent(.runningLoss(learningRate: phase.learningRate, epoch: epoch, batch: batchIndex,
                                                     loss: running / Double(recipe.logInterval)))
                                lastRunning = running / Double(recipe.logInterval)
                                running = 0
                            }
                        }
                    }
                }
                onEvent(.epochFinished(epoch: epochOverall, phase: phaseIndex + 1, meanLoss: epochTotal / Double(max(batchIndex, 1)),
                                       seconds: MonotonicClock.now() - epochStart))
            }
        }
        return TrainingSummary(images: images, seconds: MonotonicClock.now() - start, finalRunningLoss: lastRunning)
    }
}
