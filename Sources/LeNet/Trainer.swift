import Datasets
import Imaging
import Kernels
import NeuralNetwork
import Support

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
/// its own gradient buffer (every thread its workspace); the threads share out the chunks, and the chunks'
/// gradients are added in chunk order. The result is therefore the same, bit for bit, on 1 thread
/// or many. Nothing is allocated per batch.
public struct Trainer: TrainingLoop {
    /// Images per chunk of a batch: the unit of work of a thread.
    public static let chunkSize = 16
    /// Parameters per block of the gradients' reduction and the optimizer step (16 KB of each buffer).
    static let stepBlock = 4096

    /// The schedule, batch size, momentum, seed and any modern refinements.
    public var recipe: Recipe
    /// The fast kernels, or the naive ones they are tested against.
    public var kernels: KernelChoice
    /// Threads sharing each batch (the results are the same on any count).
    public var threads: Int
    /// The loss; nil for the model's own (cross-entropy for logits, eq. 8 for the 1998 penalties).
    public var loss: OutputLoss?

    /// A trainer for `recipe` on every core, with the model's own loss.
    public init(recipe: Recipe, kernels: KernelChoice = .fast, threads: Int = WorkerPool.availableProcessors, loss: OutputLoss? = nil) {
        self.recipe = recipe
        self.kernels = kernels
        self.threads = max(1, threads)
        self.loss = loss
    }

    /// Trains `model`. `control` can resume a run that stopped (with `model` holding its weights),
    /// stop this one after any batch, and take checkpoints along the way.
    public func train<Model: LayeredModel>(_ model: inout Model, on data: LabeledImages, control: TrainingControl = TrainingControl(),
                                           onEvent: (TrainingEvent) -> Void = { _ in }) -> TrainingSummary {
        precondition(Model.inputPreparation.inputCount(rows: data.rows, columns: data.columns) == model.network.inputCount,
                     "the images' size does not fit the network's input")
        let recipe = self.recipe
        var loss = self.loss ?? model.defaultLoss
        if let smoothing = recipe.refinements?.labelSmoothing, smoothing > 0, loss == .crossEntropy { loss = .smoothedCrossEntropy(smoothing) }
        let distortion = recipe.refinements?.augmentation
        let parameterCount = model.layout.count
        let chunkSize = min(Self.chunkSize, recipe.batchSize)
        let runner = ChunkRunner(network: model.network, preparation: Model.inputPreparation, chunkSize: chunkSize,
                                 workspaces: .perChunkGradients(maximumChunks: (recipe.batchSize + chunkSize - 1) / chunkSize), threads: threads,
                                 kernels: kernels, training: true)
        var state = control.resuming ?? RunState.start(seed: recipe.seed, parameterCount: parameterCount)
        var chunkLosses = [Float](repeating: 0, count: runner.chunkGradients.count)
        var order = Array(0..<data.count)
        var images = 0
        let start = MonotonicClock.now()
        let totalEpochs = recipe.totalEpochs
        let batchesPerEpoch = (data.count + recipe.batchSize - 1) / recipe.batchSize
        let interrupted = withAlignedCopy(of: &model.parameters) { parameters -> RunState? in
            let p = parameters.baseAddress!
            // The parameters' version for the layers' caches: new after every step.
            var version = ParameterVersion.next()
            while state.phase < recipe.schedule.count {
                let learningRate = recipe.schedule[state.phase].learningRate
                var optimizer = StochasticGradientDescent(learningRate: Float(learningRate), momentum: recipe.momentum,
                                                          velocity: state.velocity, steps: state.optimizerSteps,
                                                          weightDecay: recipe.refinements?.weightDecay ?? 0,
                                                          nesterov: recipe.refinements?.nesterov ?? false)
                let epochStart = MonotonicClock.now()
                var shuffle = state.shuffle
                for i in 0..<order.count { order[i] = i }
                shuffle.shuffle(&order)
                // The epoch's distortions: one draw from the run's generator, then one generator per
                // image (`distortions(_:seed:first:)`).
                var distortions = state.distortions
                let epochSeed = distortion == nil ? 0 : distortions.next()
                while state.batch * recipe.batchSize < order.count {
                    let first = state.batch * recipe.batchSize, count = min(recipe.batchSize, order.count - first)
                    optimizer.learningRate = Float(recipe.learningRate(learningRate, step: state.epochsDone * batchesPerEpoch + state.batch,
                                                                       totalSteps: totalEpochs * batchesPerEpoch))
                    let transform = distortion.map { Self.distortions($0, seed: epochSeed, first: first) }
                    let batchLoss = order.withUnsafeBufferPointer { order in
                        step(runner, data, indices: UnsafeBufferPointer(rebasing: order[first..<(first + count)]), distortion: transform,
                             parameters: p, parameterCount: parameterCount, loss: loss, optimizer: &optimizer, chunkLosses: &chunkLosses, version: &version)
                    }
                    state.running += batchLoss
                    state.epochTotal += batchLoss
                    state.batch += 1
                    images += count
                    if state.batch % recipe.logInterval == 0 {
                        onEvent(.runningLoss(learningRate: learningRate, epoch: state.epochInPhase, batch: state.batch,
                                             loss: state.running / Double(recipe.logInterval)))
                        state.running = 0
                    }
                    onEvent(.batchFinished(epoch: state.epochsDone + 1, epochs: totalEpochs, batch: state.batch,
                                           batches: batchesPerEpoch, loss: batchLoss))
                    let wantsCheckpoint = control.checkpointEvery.map { state.batch % $0 == 0 } ?? false
                    let stop = control.shouldStop()
                    if wantsCheckpoint || stop {
                        state.velocity = optimizer.velocity
                        state.optimizerSteps = optimizer.steps
                        if wantsCheckpoint { control.checkpoint(state, Array(parameters)) }
                        if stop { return state }
                    }
                }
                onEvent(.epochFinished(epoch: state.epochsDone + 1, phase: state.phase + 1,
                                       meanLoss: state.epochTotal / Double(max(state.batch, 1)), seconds: MonotonicClock.now() - epochStart))
                state.velocity = optimizer.velocity
                state.optimizerSteps = optimizer.steps
                state.distortions = distortions
                state.finishEpoch(of: recipe.schedule, next: shuffle)
            }
            return nil
        }
        return TrainingSummary(images: images, seconds: MonotonicClock.now() - start, interrupted: interrupted, threadUsage: runner.poolUsage)
    }

    /// One image's distortion in an epoch: a generator per image, from the epoch's seed and the
    /// image's place in it (so any thread may draw any image's).
    static func distortions(_ distortion: AffineDistortion, seed: UInt64, first: Int) -> (Int) -> AffineDistortion.Transform {
        { position in
            var generator = SeededGenerator(seed: seed &+ UInt64(first + position) &* 0x9E37_79B9_7F4A_7C15)
            return distortion.random(using: &generator)
        }
    }

    /// One batch, `indices` of `data`: each chunk's forward and backward pass on its own thread,
    /// then the batch's gradient (the chunks' gradients added in chunk order) and the step, the
    /// parameters shared out over the threads: the same sums in the same order. Returns the
    /// batch's loss; `version` is new after the step.
    private func step(_ runner: ChunkRunner, _ data: LabeledImages, indices: UnsafeBufferPointer<Int>,
                      distortion: ((Int) -> AffineDistortion.Transform)?, parameters p: UnsafeMutablePointer<Float>, parameterCount: Int, loss: OutputLoss,
                      optimizer: inout StochasticGradientDescent, chunkLosses: inout [Float], version: inout UInt64) -> Double {
        let count = indices.count, currentVersion = version
        let total = chunkLosses.withUnsafeMutableBufferPointer { losses -> Float in
            runner.run(data, indices: indices, distortion: distortion) { chunk, _, workspace, size in
                workspace.forward(parameters: p, batch: size, version: currentVersion)
                losses[chunk] = workspace.backward(parameters: p, batch: size, loss: loss, normalizer: count,
                                                   into: runner.chunkGradients[chunk], version: currentVersion)
            }
            let chunks = runner.chunks(count)
            var total = losses[0]
            for chunk in 1..<chunks { total += losses[chunk] }
            return total
        }
        let gradient = runner.chunkGradients[0], chunks = runner.chunks(count)
        // Block by block, so that a block's sums are still in the L1 cache for its step.
        optimizer.step(parameters: p, gradients: gradient) { stepRange in
            runner.shareOut(parameterCount) { range in
                var start = range.lowerBound
                while start < range.upperBound {
                    let block = start..<min(range.upperBound, start + Self.stepBlock)
                    for chunk in 1..<chunks {
                        let chunkGradient = runner.chunkGradients[chunk]
                        for i in block { gradient[i] += chunkGradient[i] }
                    }
                    stepRange(block)
                    start = block.upperBound
                }
            }
        }
        version = ParameterVersion.next()
        return Double(total)
    }
}
