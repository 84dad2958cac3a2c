import Datasets
import Foundation
import Imaging
import Kernels
import NeuralNetwork
import Support

/// The 1998 paper's training recipe (Sec. III-B, Appendix C).
public struct PaperRecipe: Sendable {
    /// eta per pass: 0.0005 for passes 1-2, 0.0002 for 3-5, 0.0001 for 6-8, 0.00005 for 9-12,
    /// 0.00001 for 13-20.
    public static let paperSchedule: [Float] = [0.0005, 0.0005] + Array(repeating: 0.0002, count: 3)
        + Array(repeating: 0.0001, count: 3) + Array(repeating: 0.00005, count: 4) + Array(repeating: 0.00001, count: 8)

    public var learningRates: [Float]
    public var mu: Float
    /// Patterns the second derivatives are averaged over before each pass.
    public var hessianPatterns: Int
    public var loss: PaperLoss
    public var seed: UInt64
    /// When set, each pass presents, beside the N originals, 9N/20 freshly distorted copies of
    /// randomly chosen training patterns: over 20 passes of MNIST, 540,000 distorted patterns beside
    /// the 60,000 originals, as in the paper's Sec. III-C.
    public var distortion: AffineDistortion?

    public init(learningRates: [Float] = PaperRecipe.paperSchedule, mu: Float = 0.02, hessianPatterns: Int = 500,
                loss: PaperLoss = .meanSquaredError, seed: UInt64 = 0, distortion: AffineDistortion? = nil) {
        self.learningRates = learningRates
        self.mu = mu
        self.hessianPatterns = hessianPatterns
        self.loss = loss
        self.seed = seed
        self.distortion = distortion
    }

    /// Distorted patterns per pass for a training set of `count` images.
    public func distortedPerPass(_ count: Int) -> Int { distortion == nil ? 0 : count * 9 / 20 }
}

/// One pass of the paper's Fig. 5 curve.
public struct PassRecord: Codable, Sendable, Equatable {
    public var pass: Int
    public var learningRate: Float
    public var trainError: Double
    public var testError: Double
    public var meanLoss: Double
    /// Patterns presented in the pass (originals and distortions).
    public var patterns: Int
    public var smallestStep: Float
    public var largestStep: Float
    public var seconds: Double
}

/// Where a 1998 run stands at the start of a pass: enough to run the rest of it again, bit for bit.
/// (Its SDLM steps come from second derivatives estimated at the start of each pass, so a run
/// resumes at the start of the pass it was stopped in.)
public struct PaperTrainingState: Sendable, Equatable {
    /// The pass about to run, from 0.
    public var pass: Int
    public var parameters: [Float]
    /// The shuffle and distortion generators as the pass begins, and the order before its shuffle.
    public var shuffle: SeededGenerator
    public var distortions: SeededGenerator
    public var order: [Int]
    /// The passes already done.
    public var records: [PassRecord]

    public init(pass: Int, parameters: [Float], shuffle: SeededGenerator, distortions: SeededGenerator, order: [Int], records: [PassRecord]) {
        self.pass = pass
        self.parameters = parameters
        self.shuffle = shuffle
        self.distortions = distortions
        self.order = order
        self.records = records
    }
}

public enum LeNet1998Trainer {
    /// Trains with stochastic diagonal Levenberg-Marquardt, one update per pattern, the patterns in
    /// a new seeded random order each pass; before each pass the second derivatives are averaged
    /// over the first `hessianPatterns` patterns of that order. After each pass the training and
    /// test errors are measured (pass `test` nil to skip).
    public static func train<Model: LayeredModel>(_ model: inout Model, on train: LabeledImages, test: LabeledImages?,
                             recipe: PaperRecipe, threads: Int = WorkerPool.availableProcessors,
                             onProgress: (_ pass: Int, _ done: Int, _ total: Int) -> Void = { _, _, _ in },
                             onPass: (PassRecord) -> Void = { _ in }) -> [PassRecord] {
        run(&model, on: train, test: test, recipe: recipe, threads: threads, onProgress: onProgress, onPass: onPass).records
    }

    /// The same, resumable: `resuming` continues a stopped run (`model` is then set from it),
    /// `onPassStart` receives the state as each pass begins (to checkpoint it), and `shouldStop`,
    /// asked after every pattern, ends the run early with `interrupted` set to the start of the
    /// pass in progress.
    public static func train<Model: LayeredModel>(_ model: inout Model, on train: LabeledImages, test: LabeledImages?,
                             recipe: PaperRecipe, threads: Int = WorkerPool.availableProcessors,
                             resuming: PaperTrainingState?, onPassStart: (PaperTrainingState) -> Void = { _ in },
                             shouldStop: () -> Bool = { false },
                             onProgress: (_ pass: Int, _ done: Int, _ total: Int) -> Void = { _, _, _ in },
                             onPass: (PassRecord) -> Void = { _ in }) -> (records: [PassRecord], interrupted: PaperTrainingState?) {
        run(&model, on: train, test: test, recipe: recipe, threads: threads, resuming: resuming, onPassStart: onPassStart,
            shouldStop: shouldStop, onProgress: onProgress, onPass: onPass)
    }

    static func run<Model: LayeredModel>(_ model: inout Model, on train: LabeledImages, test: LabeledImages?,
                    recipe: PaperRecipe, threads: Int, resuming: PaperTrainingState? = nil,
                    onPassStart: (PaperTrainingState) -> Void = { _ in }, shouldStop: () -> Bool = { false },
                    onProgress: (_ pass: Int, _ done: Int, _ total: Int) -> Void,
                    onPass: (PassRecord) -> Void) -> (records: [PassRecord], interrupted: PaperTrainingState?) {
        let network = model.network, parameterCount = network.layout.count
        let workspace = NetworkWorkspace(network, capacity: 1)
        // The recipe's eq. 8 or 9 on penalties; cross-entropy on logits.
        let loss: OutputLoss = network.scores == .penalties ? .penalty(recipe.loss) : .crossEntropy
        var optimizer = StochasticDiagonalLevenbergMarquardt(parameterCount: parameterCount, mu: recipe.mu)
        var shuffle = Trainer.shuffleGenerator(seed: recipe.seed)
        var distortions = SeededGenerator(seed: recipe.seed ^ 0x4449_5354_4f52_5421)
        // Entries below train.count are originals; the others stand for a distorted pattern, drawn
        // (source and transform) when it is presented.
        var order = Array(0..<(train.count + recipe.distortedPerPass(train.count)))
        var distorted = [UInt8](repeating: 0, count: 784)
        var hessianSum = [Float](repeating: 0, count: parameterCount)
        var records: [PassRecord] = []
        if let resuming {
            model.parameters = resuming.parameters
            shuffle = resuming.shuffle
            distortions = resuming.distortions
            order = resuming.order
            records = resuming.records
        }
        for (index, eta) in recipe.learningRates.enumerated() where index >= (resuming?.pass ?? 0) {
            let start = MonotonicClock.now()
            let passStart = PaperTrainingState(pass: index, parameters: model.parameters, shuffle: shuffle, distortions: distortions,
                                               order: order, records: records)
            onPassStart(passStart)
            var stopped = false
            shuffle.shuffle(&order)
            var totalLoss = 0.0
            model.parameters.withUnsafeMutableBufferPointer { parameters in
                let p = parameters.baseAddress!
                train.pixels.withUnsafeBufferPointer { pixels in
                    /// Prepares entry `n` of the order in the workspace's input and returns its label.
                    func present(_ n: Int) -> Int {
                        if n < train.count {
                            Model.inputPreparation.prepare(pixels.baseAddress! + n * 784, into: workspace.input)
                            return Int(train.labels[n])
                        }
                        let source = distortions.nextIndex(below: train.count)
                        let transform = recipe.distortion!.random(using: &distortions)
                        distorted.withUnsafeMutableBufferPointer { target in
                            AffineDistortion.apply(transform, to: pixels.baseAddress! + source * 784, width: 28, height: 28,
                                                   output: target.baseAddress!)
                            Model.inputPreparation.prepare(target.baseAddress!, into: workspace.input)
                        }
                        return Int(train.labels[source])
                    }
                    hessianSum.withUnsafeMutableBufferPointer { sum in
                        for k in 0..<sum.count { sum[k] = 0 }
                        let samples = min(recipe.hessianPatterns, order.count)
                        for n in order.prefix(samples) {
                            workspace.labels[0] = Int32(present(n))
                            workspace.forward(parameters: p, batch: 1)
                            workspace.secondBackward(parameters: p, batch: 1, loss: loss)
                            for k in 0..<sum.count { sum[k] += workspace.secondDerivatives[k] }
                        }
                        optimizer.setSecondDerivatives(sum: sum.baseAddress!, patterns: samples, learningRate: eta)
                    }
                    for (position, n) in order.enumerated() {
                        if position % 1000 == 0 { onProgress(index + 1, position, order.count) }
                        workspace.labels[0] = Int32(present(n))
                        workspace.forward(parameters: p, batch: 1)
                        totalLoss += Double(workspace.backward(parameters: p, batch: 1, loss: loss))
                        optimizer.step(parameters: p, gradients: workspace.parameterGradients)
                        if shouldStop() {
                            stopped = true
                            return
                        }
                    }
                }
            }
            if stopped { return (records, passStart) }
            let trainError = errorRate(model, on: train, threads: threads)
            let testError = test.map { errorRate(model, on: $0, threads: threads) } ?? .nan
            let record = PassRecord(pass: index + 1, learningRate: eta, trainError: trainError, testError: testError,
                                    meanLoss: totalLoss / Double(max(order.count, 1)),
                                    patterns: order.count,
                                    smallestStep: optimizer.stepSizes.min() ?? 0, largestStep: optimizer.stepSizes.max() ?? 0,
                                    seconds: MonotonicClock.now() - start)
            records.append(record)
            onPass(record)
        }
        return (records, nil)
    }

    /// The share of misclassified images.
    public static func errorRate<Model: LayeredModel>(_ model: Model, on data: LabeledImages, threads: Int) -> Double {
        let evaluation = Evaluator.evaluate(model, on: data, threads: threads)
        return Double(evaluation.incorrect) / Double(max(evaluation.count, 1))
    }
}

extension AffineDistortion {
    /// A picture of what the distortions do: the first `columns` images of `data` in the top row,
    /// then `rows` rows of random distortions of each, 28x28 cells 2 pixels apart, ink dark on white.
    public func gallery(of data: LabeledImages, columns: Int = 10, rows: Int = 5, seed: UInt64) -> Image {
        let cell = 28, gap = 2
        let width = columns * (cell + gap) + gap, height = (rows + 1) * (cell + gap) + gap
        var pixels = [UInt8](repeating: 255, count: width * height)
        var generator = SeededGenerator(seed: seed)
        var distorted = [UInt8](repeating: 0, count: cell * cell)
        data.pixels.withUnsafeBufferPointer { source in
            for column in 0..<min(columns, data.count) {
                for row in 0...rows {
                    let image = source.baseAddress! + column * cell * cell
                    if row == 0 {
                        distorted.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: image, count: cell * cell) }
                    } else {
                        let transform = random(using: &generator)
                        distorted.withUnsafeMutableBufferPointer {
                            AffineDistortion.apply(transform, to: image, width: cell, height: cell, output: $0.baseAddress!)
                        }
                    }
                    for y in 0..<cell {
                        for x in 0..<cell {
                            pixels[(gap + row * (cell + gap) + y) * width + gap + column * (cell + gap) + x] = 255 - distorted[y * cell + x]
                        }
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 1, pixels: pixels)
    }
}
