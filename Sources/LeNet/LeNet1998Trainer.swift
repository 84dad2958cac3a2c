import Datasets
import Foundation
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

    public init(learningRates: [Float] = PaperRecipe.paperSchedule, mu: Float = 0.02, hessianPatterns: Int = 500,
                loss: PaperLoss = .meanSquaredError, seed: UInt64 = 0) {
        self.learningRates = learningRates
        self.mu = mu
        self.hessianPatterns = hessianPatterns
        self.loss = loss
        self.seed = seed
    }
}

/// One pass of the paper's Fig. 5 curve.
public struct PassRecord: Codable, Sendable, Equatable {
    public var pass: Int
    public var learningRate: Float
    public var trainError: Double
    public var testError: Double
    public var meanLoss: Double
    public var smallestStep: Float
    public var largestStep: Float
    public var seconds: Double
}

public enum LeNet1998Trainer {
    /// Trains with stochastic diagonal Levenberg-Marquardt, one update per pattern, the patterns in
    /// a new seeded random order each pass; before each pass the second derivatives are averaged
    /// over the first `hessianPatterns` patterns of that order. After each pass the training and
    /// test errors are measured (pass `test` nil to skip).
    public static func train(_ model: inout LeNet1998, on train: LabeledImages, test: LabeledImages?,
                             recipe: PaperRecipe, threads: Int = WorkerPool.availableProcessors,
                             onPass: (PassRecord) -> Void = { _ in }) -> [PassRecord] {
        let workspace = LeNet1998Workspace()
        var optimizer = StochasticDiagonalLevenbergMarquardt(parameterCount: LeNet1998.layout.count, mu: recipe.mu)
        var shuffle = Trainer.shuffleGenerator(seed: recipe.seed)
        var order = Array(0..<train.count)
        var hessianSum = [Float](repeating: 0, count: LeNet1998.layout.count)
        var records: [PassRecord] = []
        for (index, eta) in recipe.learningRates.enumerated() {
            let start = MonotonicClock.now()
            shuffle.shuffle(&order)
            var totalLoss = 0.0
            model.parameters.withUnsafeMutableBufferPointer { parameters in
                let p = parameters.baseAddress!
                train.pixels.withUnsafeBufferPointer { pixels in
                    hessianSum.withUnsafeMutableBufferPointer { sum in
                        for k in 0..<sum.count { sum[k] = 0 }
                        let samples = min(recipe.hessianPatterns, order.count)
                        for n in order.prefix(samples) {
                            LeNet1998.prepare(pixels.baseAddress! + n * 784, into: workspace.input)
                            workspace.forward(parameters: p)
                            workspace.secondBackward(parameters: p)
                            for k in 0..<sum.count { sum[k] += workspace.secondDerivatives[k] }
                        }
                        optimizer.setSecondDerivatives(sum: sum.baseAddress!, patterns: samples, learningRate: eta)
                    }
                    for n in order {
                        LeNet1998.prepare(pixels.baseAddress! + n * 784, into: workspace.input)
                        workspace.forward(parameters: p)
                        totalLoss += Double(workspace.backward(parameters: p, label: Int(train.labels[n]), loss: recipe.loss))
                        optimizer.step(parameters: p, gradients: workspace.gradients)
                    }
                }
            }
            let trainError = errorRate(model, on: train, threads: threads)
            let testError = test.map { errorRate(model, on: $0, threads: threads) } ?? .nan
            let record = PassRecord(pass: index + 1, learningRate: eta, trainError: trainError, testError: testError,
                                    meanLoss: totalLoss / Double(max(order.count, 1)),
                                    smallestStep: optimizer.stepSizes.min() ?? 0, largestStep: optimizer.stepSizes.max() ?? 0,
                                    seconds: MonotonicClock.now() - start)
            records.append(record)
            onPass(record)
        }
        return records
    }

    /// The predictions and penalties of `model` on every image, computed in parallel.
    public static func evaluate(_ model: LeNet1998, on data: LabeledImages,
                                threads: Int = WorkerPool.availableProcessors) -> Evaluation {
        let pool = WorkerPool(threads: threads)
        let workspaces = (0..<pool.threadCount).map { _ in LeNet1998Workspace() }
        var penalties = [Float](repeating: 0, count: data.count * 10)
        var predictions = [Int](repeating: 0, count: data.count)
        let chunk = 100
        model.parameters.withUnsafeBufferPointer { p in
            data.pixels.withUnsafeBufferPointer { pixels in
                penalties.withUnsafeMutableBufferPointer { penaltiesOut in
                    predictions.withUnsafeMutableBufferPointer { predictionsOut in
                        let scores = SendablePointer(penaltiesOut.baseAddress!)
                        let classes = SendablePointer(predictionsOut.baseAddress!)
                        pool.run(tasks: (data.count + chunk - 1) / chunk) { task, thread in
                            let workspace = workspaces[thread]
                            for n in (task * chunk)..<min(data.count, (task + 1) * chunk) {
                                LeNet1998.prepare(pixels.baseAddress! + n * data.imageSize, into: workspace.input)
                                workspace.forward(parameters: p.baseAddress!)
                                (scores.pointer + n * 10).update(from: workspace.penalties, count: 10)
                                classes.pointer[n] = workspace.prediction
                            }
                        }
                    }
                }
            }
        }
        return Evaluation(count: data.count, classCount: 10, logits: penalties, predictions: predictions,
                          labels: data.labels.map(Int.init), scoreName: "Penalties")
    }

    /// The share of misclassified images.
    public static func errorRate(_ model: LeNet1998, on data: LabeledImages, threads: Int) -> Double {
        let evaluation = evaluate(model, on: data, threads: threads)
        return Double(evaluation.incorrect) / Double(max(evaluation.count, 1))
    }
}
