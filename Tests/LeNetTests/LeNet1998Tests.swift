import Datasets
import Foundation
import Imaging
import Kernels
import Testing
@testable import LeNet
import NeuralNetwork

@Suite struct LeNet1998Tests {
    @Test func parameterAndConnectionCountsAreThePapers() {
        let summary = LeNet1998.network.summary
        #expect(summary.map(\.parameters) == [156, 12, 1_516, 32, 48_120, 10_164, 0])
        #expect(summary.map(\.connections) == [122_304, 5_880, 151_600, 2_000, 48_120, 10_164, 840])
        #expect(LeNet1998.layout.count == 60_000)
        #expect(summary.reduce(0) { $0 + $1.connections } == 340_908)
        #expect(LeNet1998.c3Table.count == 60)
    }

    @Test func theBitmapsAreFigureThrees() {
        let bitmaps = RadialBasisOutput.digitBitmaps
        #expect(bitmaps.allSatisfy { $0.count == 84 })
        #expect(bitmaps.map { $0.filter { $0 == "1" }.count } == [35, 27, 33, 32, 41, 35, 39, 25, 43, 39])
        var distances: [(Int, Int, Int)] = []
        for a in 0..<10 {
            for b in (a + 1)..<10 {
                distances.append((a, b, zip(bitmaps[a], bitmaps[b]).filter { $0 != $1 }.count))
            }
        }
        let smallest = distances.map(\.2).min()!, largest = distances.map(\.2).max()!
        #expect(smallest == 12 && distances.contains { $0 == (6, 8, 12) })
        #expect(largest == 50 && distances.contains { $0 == (4, 7, 50) })
    }

    @Test func theInputIsPaddedAndMappedAsInThePaper() {
        var pixels = [UInt8](repeating: 0, count: 784)
        pixels[0] = 255
        var input = [Float](repeating: 0, count: 1024)
        pixels.withUnsafeBufferPointer { LeNet1998.prepare($0.baseAddress!, into: &input) }
        #expect(input[0] == -0.1 && input[31] == -0.1 && input[1023] == -0.1)
        #expect(abs(input[2 * 32 + 2] - 1.175) < 1e-6)
        #expect(input[2 * 32 + 3] == -0.1)
    }

    @Test func initialisationIsWithinTwoPointFourOverTheFanIn() {
        let model = LeNet1998(seed: 1)
        func largest(_ name: String) -> Float { model.tensor(name)!.scalars.map(abs).max()! }
        #expect(largest("c1.weight") <= 2.4 / 25 && largest("c1.weight") > 2.0 / 25)
        #expect(largest("c5.weight") <= 2.4 / 400 && largest("f6.weight") <= 2.4 / 120)
        #expect(largest("s2.coefficient") <= 0.6)
        #expect(model.tensor("c1.bias")!.scalars.allSatisfy { $0 == 0 })
        // The square-root variant: ±2.4/sqrt(F), the same draws scaled by sqrt(F).
        let root = LeNet1998(seed: 1, initialization: .squareRootFanIn)
        func rootLargest(_ name: String) -> Float { root.tensor(name)!.scalars.map(abs).max()! }
        #expect(rootLargest("c1.weight") <= 2.4 / 5 && rootLargest("c1.weight") > 2.0 / 5)
        #expect(rootLargest("c5.weight") <= 2.4 / 20 && rootLargest("c5.weight") > 2.2 / 20)
        let c1 = model.tensor("c1.weight")!.scalars, c1Root = root.tensor("c1.weight")!.scalars
        #expect(zip(c1, c1Root).allSatisfy { abs($0 * 5 - $1) <= 1e-6 })
        #expect(rootLargest("s2.coefficient") > 0.6 && rootLargest("s4.coefficient") <= 1.2)
        // The default, mixed: the square root's weights, the printed rule's subsampling coefficients.
        let mixed = LeNet1998(seed: 1, initialization: .mixed)
        for name in LeNet1998.layout.tensors.map(\.name) {
            let drawn = mixed.tensor(name)!.scalars
            let expected = (name.hasPrefix("s") ? model : root).tensor(name)!.scalars
            #expect(drawn == expected, "\(name)")
        }
    }

    /// E(parameters) for one pattern, in double precision from the float forward pass.
    static func loss(_ workspace: NetworkWorkspace, _ parameters: [Float], label: Int, kind: PaperLoss) -> Double {
        parameters.withUnsafeBufferPointer { p in
            workspace.forward(parameters: p.baseAddress!, batch: 1)
            var gradient = [Float](repeating: 0, count: 10)
            return Double(kind.evaluate(penalties: workspace.scores, classes: 10, label: label, gradient: &gradient))
        }
    }

    @Test(arguments: [PaperLoss.meanSquaredError, .maximumAPosteriori(j: 5)])
    func gradientsAgreeWithFiniteDifferences(kind: PaperLoss) throws {
        let test = try loadMNIST(.test).prefix(1)
        let workspace = NetworkWorkspace(LeNet1998.network, capacity: 1)
        var parameters = LeNet1998(seed: 4).parameters
        test.pixels.withUnsafeBufferPointer { LeNet1998.prepare($0.baseAddress!, into: workspace.input) }
        let label = Int(test.labels[0])
        parameters.withUnsafeBufferPointer { p in
            workspace.labels[0] = Int32(label)
            workspace.forward(parameters: p.baseAddress!, batch: 1)
            workspace.backward(parameters: p.baseAddress!, batch: 1, loss: .penalty(kind))
        }
        let analytic = Array(UnsafeBufferPointer(start: workspace.parameterGradients, count: parameters.count))
        for view in LeNet1998.layout.tensors {
            var worst = 0.0
            for k in stride(from: 0, to: view.count, by: max(1, view.count / 5)) {
                let i = view.offset + k
                let saved = parameters[i]
                // The loss is in the hundreds at the start: a wider step keeps float rounding small
                // against the difference (the function is smooth, so the truncation error is too).
                let epsilon: Float = 1e-2
                parameters[i] = saved + epsilon
                let plus = Self.loss(workspace, parameters, label: label, kind: kind)
                parameters[i] = saved - epsilon
                let minus = Self.loss(workspace, parameters, label: label, kind: kind)
                parameters[i] = saved
                let numeric = (plus - minus) / Double(2 * epsilon)
                worst = max(worst, abs(numeric - Double(analytic[i])) / max(1, abs(numeric)))
            }
            print("LeNet1998 \(kind) gradient check \(view.name): largest relative error \(worst)")
            #expect(worst < 1e-2, "\(view.name)")
        }
    }

    /// Eqs. 25 and 27 written out for the last two layers, from the forward pass's outputs alone,
    /// against what the second-derivative pass propagated.
    @Test func secondDerivativesFollowTheirDefinition() throws {
        let test = try loadMNIST(.test).prefix(1)
        let workspace = NetworkWorkspace(LeNet1998.network, capacity: 1)
        let model = LeNet1998(seed: 9)
        test.pixels.withUnsafeBufferPointer { LeNet1998.prepare($0.baseAddress!, into: workspace.input) }
        model.parameters.withUnsafeBufferPointer { p in
            workspace.forward(parameters: p.baseAddress!, batch: 1)
            workspace.secondBackward(parameters: p.baseAddress!, batch: 1, loss: .penalty(.meanSquaredError))
        }
        let h = Array(UnsafeBufferPointer(start: workspace.secondDerivatives, count: model.parameters.count))
        let y5 = Array(UnsafeBufferPointer(start: workspace.activations[5], count: 120))
        let y6 = Array(UnsafeBufferPointer(start: workspace.activations[6], count: 84))
        let w6 = model.tensor("f6.weight")!.scalars
        // F6: d2E/da6 = f'(a6)^2 * 2; d2E/dw6[o,i] = d2E/da6[o] * y5[i]^2; d2E/db6 = d2E/da6.
        let a6 = y6.map { Squashing.derivative(output: $0) * Squashing.derivative(output: $0) * 2 }
        let f6Weight = LeNet1998.layout["f6.weight"]!.offset, f6Bias = LeNet1998.layout["f6.bias"]!.offset
        var worst: Float = 0
        for o in 0..<84 {
            worst = max(worst, abs(h[f6Bias + o] - a6[o]) / a6[o])
            for i in stride(from: 0, to: 120, by: 7) {
                let expected = a6[o] * y5[i] * y5[i]
                worst = max(worst, abs(h[f6Weight + o * 120 + i] - expected) / max(expected, 1e-12))
            }
        }
        // C5's bias: d2E/da5[k] = f'(a5[k])^2 * sum_o w6[o,k]^2 * d2E/da6[o].
        let c5Bias = LeNet1998.layout["c5.bias"]!.offset
        for k in 0..<120 {
            var sum: Float = 0
            for o in 0..<84 { sum += w6[o * 120 + k] * w6[o * 120 + k] * a6[o] }
            let d = Squashing.derivative(output: y5[k])
            let expected = d * d * sum
            worst = max(worst, abs(h[c5Bias + k] - expected) / expected)
        }
        print("LeNet1998 second derivatives against eqs. 25 and 27: largest relative difference \(worst)")
        #expect(worst < 1e-4)
        #expect(h.allSatisfy { $0 >= 0 && $0.isFinite })
    }

    @Test func theSecondDerivativeOfTheSquashingFunctionChainIsExactOnOneUnit() {
        // One unit: E = 2 * (f(a) - t)^2 / 2 has Gauss-Newton curvature f'(a)^2 * 2 in a.
        var y: [Float] = [0.3]
        Squashing.forward(y, &y, count: 1)
        var second: [Float] = [2]
        Squashing.secondBackward(output: y, second: &second, count: 1)
        let slope = Squashing.amplitude * Squashing.slope * (1 - tanhf(Squashing.slope * 0.3) * tanhf(Squashing.slope * 0.3))
        #expect(abs(second[0] - 2 * slope * slope) < 1e-5)
    }

    @Test func theOptimizerUsesEtaOverMuPlusH() {
        var optimizer = StochasticDiagonalLevenbergMarquardt(parameterCount: 3, mu: 0.02)
        let sum: [Float] = [0, 10, 1000]  // over 10 patterns: h = 0, 1, 100
        optimizer.setSecondDerivatives(sum: sum, patterns: 10, learningRate: 0.001)
        #expect(optimizer.hessianDiagonal == [0, 1, 100])
        #expect(optimizer.stepSizes.map { ($0 * 1e7).rounded() / 1e7 } == [0.05, Float((0.001 / 1.02 * 1e7).rounded() / 1e7), Float((0.001 / 100.02 * 1e7).rounded() / 1e7)])
        var parameters: [Float] = [1, 1, 1]
        optimizer.step(parameters: &parameters, gradients: [1, 1, 1])
        #expect(parameters == [1 - optimizer.stepSizes[0], 1 - optimizer.stepSizes[1], 1 - optimizer.stepSizes[2]])
    }

    /// The fused backward pass and update (fully connected layers write no gradient) gives the same
    /// bits as the backward pass followed by the optimizer's step, for 20 patterns in a row, on both
    /// models.
    @Test(arguments: [false, true])
    func theFusedUpdateIsTheBackwardPassThenTheStep(writeup: Bool) throws {
        let train = try loadMNIST(.train).prefix(20)
        let network = writeup ? LeNet5.network : LeNet1998.network
        let preparation: InputPreparation = writeup ? .writeup : .paperPadded
        let loss: OutputLoss = writeup ? .crossEntropy : .penalty(.meanSquaredError)
        var optimizer = StochasticDiagonalLevenbergMarquardt(parameterCount: network.layout.count)
        let h = (0..<network.layout.count).map { Float($0 % 97) * 0.01 }
        optimizer.setSecondDerivatives(sum: h, patterns: 1, learningRate: 0.01)
        let start = writeup ? LeNet5(seed: 3).parameters : LeNet1998(seed: 3).parameters
        var fused = start, separate = start
        let a = NetworkWorkspace(network, capacity: 1), b = NetworkWorkspace(network, capacity: 1)
        var losses: [(Float, Float)] = []
        for n in 0..<train.count {
            for workspace in [a, b] {
                [n].withUnsafeBufferPointer { preparation.fill(train, indices: $0, input: workspace.input, labels: workspace.labels) }
            }
            fused.withUnsafeMutableBufferPointer { p in
                a.forward(parameters: p.baseAddress!, batch: 1)
                let value = optimizer.stepSizes.withUnsafeBufferPointer { a.backwardAndStep(parameters: p.baseAddress!, loss: loss, stepSizes: $0.baseAddress!) }
                separate.withUnsafeMutableBufferPointer { q in
                    b.forward(parameters: q.baseAddress!, batch: 1)
                    losses.append((value, b.backward(parameters: q.baseAddress!, batch: 1, loss: loss)))
                    optimizer.step(parameters: q.baseAddress!, gradients: b.parameterGradients)
                }
            }
        }
        #expect(fused != start)
        #expect(fused.map(\.bitPattern) == separate.map(\.bitPattern))
        #expect(losses.allSatisfy { $0.0.bitPattern == $0.1.bitPattern })
    }

    /// A run stopped inside a pass and resumed from that pass's start ends bit-identical to one
    /// never stopped, distortions included.
    @Test(arguments: [150, 500, 830])
    func aStoppedRunResumesBitIdentically(stopAfter: Int) throws {
        let train = try loadMNIST(.train).prefix(200)
        let recipe = PaperRecipe(learningRates: [0.0001, 0.00005, 0.00002], hessianPatterns: 50, seed: 4, distortion: AffineDistortion())
        var whole = LeNet1998(seed: 4)
        let trainer = LevenbergMarquardtTrainer(recipe: recipe, test: nil)
        let wholeRecords = trainer.train(&whole, on: train).passes
        var model = LeNet1998(seed: 4), patterns = 0, starts: [Int] = []
        let control = TrainingControl(checkpointEvery: 1, checkpoint: { state, _ in starts.append(state.epochsDone) },
                                      shouldStop: { patterns += 1; return patterns == stopAfter })
        let first = trainer.train(&model, on: train, control: control)
        let state = try #require(first.interrupted)
        // 200 originals + 90 distorted per pass; a checkpoint at the start of every pass but the first.
        #expect(state.epochsDone == (stopAfter - 1) / 290 && starts == Array(1..<max(1, state.epochsDone + 1)))
        // The interrupted model holds the weights of the pass's start: resuming runs it again.
        var resumed = model
        let second = trainer.train(&resumed, on: train, control: TrainingControl(resuming: state))
        #expect(second.interrupted == nil)
        #expect(resumed.parameters.map(\.bitPattern) == whole.parameters.map(\.bitPattern))
        #expect(second.passes.map(\.meanLoss) == wholeRecords.map(\.meanLoss))
    }

    @Test func aShortRunWithSDLMLearns() throws {
        let train = try loadMNIST(.train).prefix(1000)
        let test = try loadMNIST(.test).prefix(1000)
        var model = LeNet1998(seed: 0)
        let recipe = PaperRecipe(learningRates: [0.00005, 0.00005], hessianPatterns: 100, seed: 0)
        let records = LevenbergMarquardtTrainer(recipe: recipe, test: test).train(&model, on: train).passes
        print("LeNet1998 short run: \(records.map { String(format: "pass %d test error %.1f%%", $0.pass, 100 * $0.testError) })")
        #expect(records.count == 2)
        #expect(records[1].testError < 0.35)
    }

    @Test func distortionsAddNineTwentiethsOfTheSetEachPassAndRepeatWithTheSeed() throws {
        let train = try loadMNIST(.train).prefix(200)
        let recipe = PaperRecipe(learningRates: [0.00005], hessianPatterns: 50, seed: 2, distortion: AffineDistortion())
        var a = LeNet1998(seed: 2), b = LeNet1998(seed: 2), plain = LeNet1998(seed: 2)
        let records = LevenbergMarquardtTrainer(recipe: recipe, test: nil, threads: 1).train(&a, on: train).passes
        _ = LevenbergMarquardtTrainer(recipe: recipe, test: nil, threads: 2).train(&b, on: train)
        var withoutDistortion = recipe
        withoutDistortion.distortion = nil
        _ = LevenbergMarquardtTrainer(recipe: withoutDistortion, test: nil, threads: 1).train(&plain, on: train)
        #expect(records[0].patterns == 290)
        #expect(a.parameters.map(\.bitPattern) == b.parameters.map(\.bitPattern))
        #expect(a != plain)
        // The paper's 600,000-pattern reading: nine distortions per original, every pass.
        var everyPass = recipe
        everyPass.distortionTwentieths = 180
        var c = LeNet1998(seed: 2)
        #expect(LevenbergMarquardtTrainer(recipe: everyPass, test: nil, threads: 1).train(&c, on: train).passes[0].patterns == 2000)
        // Recipes saved before the setting existed read back as the 9/20 default; a set one round-trips.
        var json = String(decoding: try JSONEncoder().encode(recipe), as: UTF8.self)
        #expect(!json.contains("distortionTwentieths"))
        #expect(try JSONDecoder().decode(PaperRecipe.self, from: Data(json.utf8)) == recipe)
        json = String(decoding: try JSONEncoder().encode(everyPass), as: UTF8.self)
        #expect(try JSONDecoder().decode(PaperRecipe.self, from: Data(json.utf8)) == everyPass)
    }
}
