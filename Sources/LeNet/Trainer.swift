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
    /// Set when the run stopped early (`shouldStop` said so): where to resume from.
    public var interrupted: TrainingState?
}

/// How a run can be resumed, stopped and checkpointed.
public struct TrainingControl {
    /// Continue a run that stopped at this state.
    public var resuming: TrainingState?
    /// Hand the state and a copy of the weights to `checkpoint` after every this many batches of an epoch.
    public var checkpointEvery: Int?
    public var checkpoint: (TrainingState, [Float]) -> Void
    /// Asked after every batch: stop now (the summary's `interrupted` says where)?
    public var shouldStop: () -> Bool

    public init(resuming: TrainingState? = nil, checkpointEvery: Int? = nil,
                checkpoint: @escaping (TrainingState, [Float]) -> Void = { _, _ in }, shouldStop: @escaping () -> Bool = { false }) {
        self.resuming = resuming
        self.checkpointEvery = checkpointEvery
        self.checkpoint = checkpoint
        self.shouldStop = shouldStop
    }
}

/// Everything a run needs to go on exactly where it stopped, so that a resumed run ends with the
/// same weights, bit for bit, as one that was never interrupted (the weights themselves travel
/// beside it, in the model).
public struct TrainingState: Sendable, Equatable {
    /// The phase of the schedule (from 0) and the epoch within it (from 1) in progress.
    public var phase: Int
    public var epochInPhase: Int
    /// Batches of that epoch already done.
    public var batch: Int
    /// The shuffle generator as it was when this epoch began, before the epoch's shuffle.
    public var epochGenerator: SeededGenerator
    /// The phase's optimizer: its momentum buffer and step count.
    public var velocity: [Float]
    public var optimizerSteps: Int
    /// The loss sums behind the log lines: since the last line, and over the epoch so far.
    public var running: Double
    public var epochTotal: Double
    /// Epochs finished before this one, over the whole run.
    public var epochsDone: Int

    public init(phase: Int, epochInPhase: Int, batch: Int, epochGenerator: SeededGenerator, velocity: [Float],
                optimizerSteps: Int, running: Double, epochTotal: Double, epochsDone: Int) {
        self.phase = phase
        self.epochInPhase = epochInPhase
        self.batch = batch
        self.epochGenerator = epochGenerator
        self.velocity = velocity
        self.optimizerSteps = optimizerSteps
        self.running = running
        self.epochTotal = epochTotal
        self.epochsDone = epochsDone
    }
}

/// Trains a model (the write-up's LeNet-5, or any `LayeredModel`) with the write-up's loop:
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
    /// The loss; nil for the model's own (cross-entropy for logits, eq. 8 for the 1998 penalties).
    public var loss: OutputLoss?

    public init(recipe: Recipe, kernels: KernelChoice = .fast, threads: Int = WorkerPool.availableProcessors, loss: OutputLoss? = nil) {
        self.recipe = recipe
        self.kernels = kernels
        self.threads = max(1, threads)
        self.loss = loss
    }

    /// The shuffle's generator: drawn from the seed, distinct from the initialisation's.
    public static func shuffleGenerator(seed: UInt64) -> SeededGenerator {
        SeededGenerator(seed: seed ^ 0x5348_5546_464c_4521)
    }

    /// Trains `model`. `control` can resume a run that stopped (with `model` holding its weights),
    /// stop this one after any batch, and take checkpoints along the way.
    public func train<Model: LayeredModel>(_ model: inout Model, on data: LabeledImages, control: TrainingControl = TrainingControl(),
                      onEvent: (TrainingEvent) -> Void = { _ in }) -> TrainingSummary {
        let resuming = control.resuming, checkpointEvery = control.checkpointEvery
        let checkpoint = control.checkpoint, shouldStop = control.shouldStop
        precondition(Model.inputPreparation.inputCount(rows: data.rows, columns: data.columns) == model.network.inputCount,
                     "the images' size does not fit the network's input")
        let loss = self.loss ?? model.defaultLoss, network = model.network
        let chunkCapacity = min(Self.chunkSize, recipe.batchSize)
        let chunkCount = (recipe.batchSize + chunkCapacity - 1) / chunkCapacity
        let workspaces = (0..<chunkCount).map { _ in NetworkWorkspace(network, capacity: chunkCapacity, kernels: kernels) }
        let pool = WorkerPool(threads: min(threads, chunkCount))
        var chunkLosses = [Float](repeating: 0, count: chunkCount)
        var shuffle = Self.shuffleGenerator(seed: recipe.seed)
        var order = Array(0..<data.count)
        var images = 0
        var epochOverall = resuming?.epochsDone ?? 0
        let parameterCount = model.layout.count
        let start = MonotonicClock.now()
        let totalEpochs = recipe.schedule.reduce(0) { $0 + $1.epochs }
        let batchesPerEpoch = (data.count + recipe.batchSize - 1) / recipe.batchSize
        var interrupted: TrainingState?
        phases: for (phaseIndex, phase) in recipe.schedule.enumerated() where phaseIndex >= (resuming?.phase ?? 0) {
            let resumingThisPhase = resuming.map { $0.phase == phaseIndex } ?? false
            var optimizer = resumingThisPhase
                ? StochasticGradientDescent(learningRate: Float(phase.learningRate), momentum: recipe.momentum,
                                            velocity: resuming!.velocity, steps: resuming!.optimizerSteps)
                : StochasticGradientDescent(parameterCount: parameterCount, learningRate: Float(phase.learningRate),
                                            momentum: recipe.momentum)
            for epoch in (resumingThisPhase ? resuming!.epochInPhase : 1)...phase.epochs {
                let resumingThisEpoch = resumingThisPhase && epoch == resuming!.epochInPhase
                epochOverall += 1
                let epochStart = MonotonicClock.now()
                if resumingThisEpoch { shuffle = resuming!.epochGenerator }
                let epochGenerator = shuffle
                for i in 0..<order.count { order[i] = i }
                shuffle.shuffle(&order)
                var running = 0.0, epochTotal = 0.0, batchIndex = 0
                if resumingThisEpoch {
                    running = resuming!.running
                    epochTotal = resuming!.epochTotal
                    batchIndex = resuming!.batch
                }
                var stopped = false
                model.parameters.withUnsafeMutableBufferPointer { parameters in
                    order.withUnsafeBufferPointer { order in
                        chunkLosses.withUnsafeMutableBufferPointer { losses in
                            let p = parameters.baseAddress!
                            var startIndex = batchIndex * recipe.batchSize
                            while startIndex < order.count {
                                let count = min(recipe.batchSize, order.count - startIndex)
                                let tasks = (count + chunkCapacity - 1) / chunkCapacity
                                let batchStart = startIndex
                                pool.run(tasks: tasks) { task, _ in
                                    let first = batchStart + task * chunkCapacity
                                    let size = min(chunkCapacity, batchStart + count - first)
                                    let workspace = workspaces[task]
                                    Model.inputPreparation.fill(data, indices: UnsafeBufferPointer(rebasing: order[first..<(first + size)]),
                                                       input: workspace.input, labels: workspace.labels)
                                    workspace.forward(parameters: p, batch: size)
                                    losses[task] = workspace.backward(parameters: p, batch: size, loss: loss, normalizer: count)
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
                                if batchIndex % recipe.logInterval == 0 {
                                    onEvent(.runningLoss(learningRate: phase.learningRate, epoch: epoch, batch: batchIndex,
                                                         loss: running / Double(recipe.logInterval)))
                                    running = 0
                                }
                                onEvent(.batchFinished(epoch: epochOverall, epochs: totalEpochs, batch: batchIndex,
                                                       batches: batchesPerEpoch, loss: batchLoss))
                                let wantsCheckpoint = checkpointEvery.map { batchIndex % $0 == 0 } ?? false
                                let stop = shouldStop()
                                if wantsCheckpoint || stop {
                                    let state = TrainingState(phase: phaseIndex, epochInPhase: epoch, batch: batchIndex,
                                                              epochGenerator: epochGenerator, velocity: optimizer.velocity,
                                                              optimizerSteps: optimizer.steps, running: running,
                                                              epochTotal: epochTotal, epochsDone: epochOverall - 1)
                                    if wantsCheckpoint { checkpoint(state, Array(UnsafeBufferPointer(start: p, count: parameterCount))) }
                                    if stop {
                                        interrupted = state
                                        stopped = true
                                        return
                                    }
                                }
                            }
                        }
                    }
                }
                if stopped { break phases }
                onEvent(.epochFinished(epoch: epochOverall, phase: phaseIndex + 1, meanLoss: epochTotal / Double(max(batchIndex, 1)),
                                       seconds: MonotonicClock.now() - epochStart))
            }
        }
        return TrainingSummary(images: images, seconds: MonotonicClock.now() - start, interrupted: interrupted)
    }
}
