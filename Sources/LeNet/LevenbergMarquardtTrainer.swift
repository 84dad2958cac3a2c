import Datasets
import Foundation
import Imaging
import Kernels
import NeuralNetwork
import Support

/// One pass of the paper's Fig. 5 curve.
public struct PassRecord: Codable, Sendable, Equatable {
    /// The pass, from 1.
    public var pass: Int
    /// eta, the pass's global learning rate.
    public var learningRate: Float
    /// The error on the training set after the pass (0...1).
    public var trainError: Double
    /// The error on the test set after the pass (0...1; NaN when no test set was given).
    public var testError: Double
    /// The mean loss over the pass's patterns.
    public var meanLoss: Double
    /// Patterns presented in the pass (originals and distortions).
    public var patterns: Int
    /// The smallest per-parameter step eps_k of the pass.
    public var smallestStep: Float
    /// The largest per-parameter step eps_k of the pass.
    public var largestStep: Float
    /// Seconds the pass took, its error measurements included.
    public var seconds: Double
    /// Of `seconds`, the time the two error measurements took (batched, on every thread); nil in
    /// records from before it was kept.
    public var measuringSeconds: Double?
}

/// The 1998 paper's loop (Sec. III-B, Appendix C): stochastic diagonal Levenberg-Marquardt, one
/// update per pattern, the patterns in a new seeded random order each pass. Before each pass the
/// second derivatives are averaged over the first `hessianPatterns` patterns of that order. After
/// each pass the training and test errors are measured (the paper's Fig. 5). Any `LayeredModel`:
/// the 1998 model with the recipe's eq. 8 or 9, the write-up's with cross-entropy.
///
///     for pass, eta in enumerate(schedule):
///         order = shuffled(order)
///         h = mean over order[:hessianPatterns] of d2E/dw2       # the Gauss-Newton diagonal
///         eps = eta / (mu + h)
///         for n in order: w -= eps * dE/dw(pattern n)
public struct LevenbergMarquardtTrainer: TrainingLoop {
    /// The schedule, mu, the loss and the distortions.
    public var recipe: PaperRecipe
    /// The test set whose error each pass reports (nil: not measured).
    public var test: LabeledImages?
    /// Threads for the error measurements after each pass (the second derivatives and the updates
    /// go one pattern at a time, on one thread).
    public var threads: Int

    /// A trainer following `recipe`, measuring the error on `test` after each pass.
    public init(recipe: PaperRecipe, test: LabeledImages?, threads: Int = WorkerPool.availableProcessors) {
        self.recipe = recipe
        self.test = test
        self.threads = max(1, threads)
    }

    /// Trains `model`. When `control.shouldStop` says so (it is asked after every pattern), the run
    /// ends with `interrupted` at the start of the pass in progress and `model` holding the weights of
    /// that start: resuming runs the pass again, bit for bit.
    public func train<Model: LayeredModel>(_ model: inout Model, on train: LabeledImages, control: TrainingControl = TrainingControl(),
                                           onEvent: (TrainingEvent) -> Void = { _ in }) -> TrainingSummary {
        // Patterns are presented (and distorted) as 28x28 digits.
        precondition(train.rows == 28 && train.columns == 28, "the Levenberg-Marquardt loop presents 28x28 images")
        let recipe = self.recipe, network = model.network, parameterCount = network.layout.count
        let workspace = NetworkWorkspace(network, capacity: 1)
        // The recipe's eq. 8 or 9 on penalties; cross-entropy on logits.
        let loss: OutputLoss = network.scores == .penalties ? .penalty(recipe.loss) : .crossEntropy
        var optimizer = StochasticDiagonalLevenbergMarquardt(parameterCount: parameterCount, mu: recipe.mu)
        var state = control.resuming ?? RunState.start(seed: recipe.seed, parameterCount: 0)
        // Entries below train.count are originals; the others stand for a distorted pattern, drawn
        // (source and transform) when it is presented.
        if state.order.isEmpty { state.order = Array(0..<(train.count + recipe.distortedPerPass(train.count))) }
        let size = train.imageSize, rows = train.rows, columns = train.columns
        var distorted = [UInt8](repeating: 0, count: size)
        var hessianSum = [Float](repeating: 0, count: parameterCount)
        var patterns = 0
        let runStart = MonotonicClock.now()
        while state.epochsDone < recipe.learningRates.count {
            let eta = recipe.learningRates[state.epochsDone], pass = state.epochsDone + 1
            let start = MonotonicClock.now()
            let passStart = state, weightsAtStart = model.parameters
            if let every = control.checkpointEvery, state.epochsDone > 0, state.epochsDone % every == 0 {
                control.checkpoint(passStart, weightsAtStart)
            }
            var order = state.order, shuffle = state.shuffle, distortions = state.distortions
            shuffle.shuffle(&order)
            var totalLoss = 0.0
            let stopped = withAlignedCopy(of: &model.parameters) { parameters -> Bool in
                let p = parameters.baseAddress!
                return train.pixels.withUnsafeBufferPointer { pixels -> Bool in
                    /// Prepares entry `n` of the order as the workspace's one input, with its label.
                    func present(_ n: Int) {
                        var source = n
                        if n < train.count {
                            Model.inputPreparation.prepare(pixels.baseAddress! + n * size, rows: rows, columns: columns, into: workspace.input)
                        } else {
                            source = distortions.nextIndex(below: train.count)
                            let transform = recipe.distortion!.random(using: &distortions)
                            distorted.withUnsafeMutableBufferPointer { target in
                                AffineDistortion.apply(transform, to: pixels.baseAddress! + source * size, width: columns, height: rows,
                                                       output: target.baseAddress!)
                                Model.inputPreparation.prepare(target.baseAddress!, rows: rows, columns: columns, into: workspace.input)
                            }
                        }
                        workspace.labels[0] = Int32(train.labels[source])
                    }
                    hessianSum.withUnsafeMutableBufferPointer { sum in
                        for k in 0..<sum.count { sum[k] = 0 }
                        let samples = min(recipe.hessianPatterns, order.count)
                        for n in order.prefix(samples) {
                            present(n)
                            workspace.forward(parameters: p, batch: 1)
                            workspace.secondBackward(parameters: p, batch: 1, loss: loss)
                            for k in 0..<sum.count { sum[k] += workspace.secondDerivatives[k] }
                        }
                        optimizer.setSecondDerivatives(sum: sum.baseAddress!, patterns: samples, learningRate: eta)
                    }
                    let steps = optimizer.stepSizes
                    for (position, n) in order.enumerated() {
                        if position % 1000 == 0 { onEvent(.passProgress(pass: pass, done: position, total: order.count)) }
                        present(n)
                        workspace.forward(parameters: p, batch: 1)
                        totalLoss += Double(steps.withUnsafeBufferPointer {
                            workspace.backwardAndStep(parameters: p, loss: loss, stepSizes: $0.baseAddress!)
                        })
                        patterns += 1
                        if control.shouldStop() { return true }
                    }
                    return false
                }
            }
            if stopped {
                model.parameters = weightsAtStart
                return TrainingSummary(images: patterns, seconds: MonotonicClock.now() - runStart, interrupted: passStart, passes: state.passes)
            }
            let measuringStart = MonotonicClock.now()
            var record = PassRecord(pass: pass, learningRate: eta, trainError: Self.errorRate(model, on: train, threads: threads),
                                    testError: test.map { Self.errorRate(model, on: $0, threads: threads) } ?? .nan,
                                    meanLoss: totalLoss / Double(max(order.count, 1)), patterns: order.count,
                                    smallestStep: optimizer.stepSizes.min() ?? 0, largestStep: optimizer.stepSizes.max() ?? 0,
                                    seconds: MonotonicClock.now() - start)
            record.measuringSeconds = MonotonicClock.now() - measuringStart
            state.passes.append(record)
            state.epochsDone += 1
            state.order = order
            state.shuffle = shuffle
            state.distortions = distortions
            onEvent(.passFinished(record))
        }
        return TrainingSummary(images: patterns, seconds: MonotonicClock.now() - runStart, interrupted: nil, passes: state.passes)
    }

    /// The share of misclassified images.
    public static func errorRate<Model: LayeredModel>(_ model: Model, on data: LabeledImages, threads: Int) -> Double {
        let evaluation = Evaluator.evaluate(model, on: data, threads: threads)
        return Double(evaluation.incorrect) / Double(max(evaluation.count, 1))
    }
}
