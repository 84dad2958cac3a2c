import Foundation
import Testing
@testable import Kernels

/// Random floats in [-1, 1) from a fixed linear congruential stream (the tests need no other randomness).
func randomFloats(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) * 0x1p-23 - 1
    }
}

func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

@Suite struct ConvolutionOracleTests {
    static let shapes = [
        ConvolutionShape(inputChannels: 1, outputChannels: 6, inputHeight: 28, inputWidth: 28, kernelSize: 5),
        ConvolutionShape(inputChannels: 6, outputChannels: 16, inputHeight: 12, inputWidth: 12, kernelSize: 5),
        ConvolutionShape(inputChannels: 3, outputChannels: 2, inputHeight: 7, inputWidth: 9, kernelSize: 3),
        ConvolutionShape(inputChannels: 2, outputChannels: 5, inputHeight: 5, inputWidth: 5, kernelSize: 5),
        ConvolutionShape(inputChannels: 4, outputChannels: 3, inputHeight: 6, inputWidth: 11, kernelSize: 1),
        ConvolutionShape(inputChannels: 5, outputChannels: 7, inputHeight: 17, inputWidth: 10, kernelSize: 4),
        // Wide planes of several widths and channel counts.
        ConvolutionShape(inputChannels: 2, outputChannels: 13, inputHeight: 6, inputWidth: 20, kernelSize: 5),
        ConvolutionShape(inputChannels: 16, outputChannels: 6, inputHeight: 16, inputWidth: 20, kernelSize: 5),
        ConvolutionShape(inputChannels: 3, outputChannels: 19, inputHeight: 9, inputWidth: 12, kernelSize: 5),
        // 8x8 output planes that are not the write-up's C3 (so not Winograd's).
        ConvolutionShape(inputChannels: 3, outputChannels: 7, inputHeight: 12, inputWidth: 12, kernelSize: 5),
        ConvolutionShape(inputChannels: 2, outputChannels: 5, inputHeight: 12, inputWidth: 12, kernelSize: 5),
        ConvolutionShape(inputChannels: 1, outputChannels: 2, inputHeight: 12, inputWidth: 12, kernelSize: 5),
        // 24-column rows (C1's forward kernel) with 6 + 1 and 4 output channels.
        ConvolutionShape(inputChannels: 2, outputChannels: 7, inputHeight: 9, inputWidth: 28, kernelSize: 5),
        ConvolutionShape(inputChannels: 3, outputChannels: 4, inputHeight: 5, inputWidth: 28, kernelSize: 5),
    ]

    /// Which kernel a shape takes, by shape: Winograd's F(4x4, 5x5) for the write-up's C3 alone, the
    /// 24-column rows for any 5x5 with 24 output columns (its C1), the wide planes for the rest.
    @Test func eachShapeTakesItsKernel() {
        let c1 = ConvolutionShape(inputChannels: 1, outputChannels: 6, inputHeight: 28, inputWidth: 28, kernelSize: 5)
        let c3 = ConvolutionShape(inputChannels: 6, outputChannels: 16, inputHeight: 12, inputWidth: 12, kernelSize: 5)
        let other8x8 = ConvolutionShape(inputChannels: 3, outputChannels: 7, inputHeight: 12, inputWidth: 12, kernelSize: 5)
        let other24 = ConvolutionShape(inputChannels: 2, outputChannels: 7, inputHeight: 9, inputWidth: 28, kernelSize: 5)
        let threeByThree = ConvolutionShape(inputChannels: 3, outputChannels: 2, inputHeight: 7, inputWidth: 26, kernelSize: 3)
        #expect(c1.hasRows24 && !c1.hasWinograd)
        #expect(c3.hasWinograd && !c3.hasRows24)
        #expect(!other8x8.hasWinograd && !other8x8.hasRows24)
        #expect(other24.hasRows24 && !other24.hasWinograd)
        #expect(!threeByThree.hasRows24 && !threeByThree.hasWinograd)
        // Every path is among the shapes the oracle tests run.
        #expect(Self.shapes.contains { $0.hasWinograd } && Self.shapes.contains { $0.hasRows24 })
        #expect(Self.shapes.contains { !$0.hasWinograd && !$0.hasRows24 })
    }

    @Test(arguments: shapes)
    func forwardMatchesNaive(shape: ConvolutionShape) {
        let batch = 3
        let input = randomFloats(batch * shape.inputCount, seed: 1)
        let weight = randomFloats(shape.weightCount, seed: 2)
        let bias = randomFloats(shape.outputChannels, seed: 3)
        var fast = [Float](repeating: .nan, count: batch * shape.outputCount)
        var naive = fast
        var scratch = [Float](repeating: 0, count: shape.scratchCount(batch: 3))
        convolutionForward(shape, batch: batch, input: input, weight: weight, bias: bias, output: &fast, scratch: &scratch)
        convolutionForwardNaive(shape, batch: batch, input: input, weight: weight, bias: bias, output: &naive)
        let difference = largestDifference(fast, naive)
        print("convolution forward \(shape): largest difference \(difference)")
        #expect(difference < 1e-4)
    }

    @Test(arguments: shapes)
    func backwardMatchesNaive(shape: ConvolutionShape) {
        let batch = 3
        let input = randomFloats(batch * shape.inputCount, seed: 4)
        let weight = randomFloats(shape.weightCount, seed: 5)
        let outputGradient = randomFloats(batch * shape.outputCount, seed: 6)
        var scratch = [Float](repeating: 0, count: shape.scratchCount(batch: 3))
        var fast = (w: [Float](repeating: .nan, count: shape.weightCount), b: [Float](repeating: .nan, count: shape.outputChannels),
                    x: [Float](repeating: .nan, count: batch * shape.inputCount))
        var naive = fast
        convolutionBackward(shape, batch: batch, input: input, weight: weight, outputGradient: outputGradient,
                            weightGradient: &fast.w, biasGradient: &fast.b, inputGradient: &fast.x, scratch: &scratch)
        convolutionBackwardNaive(shape, batch: batch, input: input, weight: weight, outputGradient: outputGradient,
                                 weightGradient: &naive.w, biasGradient: &naive.b, inputGradient: &naive.x)
        let differences = [largestDifference(fast.w, naive.w), largestDifference(fast.b, naive.b), largestDifference(fast.x, naive.x)]
        print("convolution backward \(shape): largest differences (weight, bias, input) \(differences)")
        #expect(differences.allSatisfy { $0 < 1e-3 })
        // A first layer's: no input gradient (some shapes take another kernel then).
        var first = (w: [Float](repeating: .nan, count: shape.weightCount), b: [Float](repeating: .nan, count: shape.outputChannels))
        convolutionBackward(shape, batch: batch, input: input, weight: weight, outputGradient: outputGradient,
                            weightGradient: &first.w, biasGradient: &first.b, inputGradient: nil, scratch: &scratch)
        let firstDifferences = [largestDifference(first.w, naive.w), largestDifference(first.b, naive.b)]
        print("convolution backward without the input gradient \(shape): largest differences (weight, bias) \(firstDifferences)")
        #expect(firstDifferences.allSatisfy { $0 < 1e-3 })
    }
}

@Suite struct LinearOracleTests {
    typealias Backward = (_ batch: Int, _ inputs: Int, _ outputs: Int, _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                          _ outputGradient: UnsafePointer<Float>, _ weightGradient: UnsafeMutablePointer<Float>,
                          _ biasGradient: UnsafeMutablePointer<Float>, _ inputGradient: UnsafeMutablePointer<Float>?) -> Void

    /// The weight, bias and input gradients one backward kernel writes (NaN where it writes nothing).
    static func gradients(_ backward: Backward, batch: Int, inputs: Int, outputs: Int, input: [Float], weight: [Float],
                          outputGradient: [Float]) -> (w: [Float], b: [Float], x: [Float]) {
        var w = [Float](repeating: .nan, count: outputs * inputs), b = [Float](repeating: .nan, count: outputs)
        var x = [Float](repeating: .nan, count: batch * inputs)
        backward(batch, inputs, outputs, input, weight, outputGradient, &w, &b, &x)
        return (w, b, x)
    }

    @Test(arguments: [(1, 1, 1), (64, 256, 120), (7, 120, 84), (16, 120, 84), (5, 84, 10), (16, 84, 10), (9, 80, 6), (3, 17, 9),
                      (2, 8, 16), (4, 400, 120), (9, 44, 12), (6, 63, 7), (8, 36, 8)])
    func forwardAndBackwardMatchNaive(batch: Int, inputs: Int, outputs: Int) {
        let input = randomFloats(batch * inputs, seed: 7)
        let weight = randomFloats(outputs * inputs, seed: 8)
        let bias = randomFloats(outputs, seed: 9)
        let outputGradient = randomFloats(batch * outputs, seed: 10)
        var fastOut = [Float](repeating: .nan, count: batch * outputs), naiveOut = fastOut
        linearForward(batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: &fastOut)
        linearForwardNaive(batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: &naiveOut)
        let fast = Self.gradients(linearBackward, batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight,
                                  outputGradient: outputGradient)
        let naive = Self.gradients(linearBackwardNaive, batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight,
                                   outputGradient: outputGradient)
        let differences = [largestDifference(fastOut, naiveOut), largestDifference(fast.w, naive.w),
                           largestDifference(fast.b, naive.b), largestDifference(fast.x, naive.x)]
        print("linear \(batch)x\(inputs)->\(outputs): largest differences (out, weight, bias, input) \(differences)")
        #expect(differences.allSatisfy { $0 < 1e-4 })
    }

    /// Rows of 80 or 84 inputs (F7's) are built whole, four targets at a time: the same products
    /// added in the same order as the blocks of 64 columns and the remainder, so the same bits (the
    /// trained model does not change with the kernel).
    @Test(arguments: [(16, 84, 10), (5, 84, 10), (9, 80, 6), (1, 84, 3), (3, 80, 1), (2, 84, 7)])
    func wholeRowBackwardIsTheSameBitsAsTheBlocks(batch: Int, inputs: Int, outputs: Int) {
        let input = randomFloats(batch * inputs, seed: 24), weight = randomFloats(outputs * inputs, seed: 25)
        let outputGradient = randomFloats(batch * outputs, seed: 26)
        let whole = Self.gradients(linearBackward, batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight,
                                   outputGradient: outputGradient)
        let blocks = Self.gradients(linearBackwardByBlocks, batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight,
                                    outputGradient: outputGradient)
        /// How many elements differ in any bit.
        func differing(_ a: [Float], _ b: [Float]) -> Int { zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count }
        #expect(whole.w.allSatisfy { $0.isFinite } && whole.x.allSatisfy { $0.isFinite })
        #expect(differing(whole.w, blocks.w) == 0)
        #expect(differing(whole.b, blocks.b) == 0)
        #expect(differing(whole.x, blocks.x) == 0)
    }

    /// An image's outputs are the same bits whatever the batch it is computed in (blocks of four
    /// images by four outputs add their trees as vectors; single images one by one).
    @Test(arguments: [(120, 84), (84, 10), (256, 120), (17, 8), (63, 12)])
    func forwardIsTheSameBitsInAnyBatch(inputs: Int, outputs: Int) {
        let batch = 9
        let input = randomFloats(batch * inputs, seed: 21), weight = randomFloats(outputs * inputs, seed: 22)
        let bias = randomFloats(outputs, seed: 23)
        var together = [Float](repeating: .nan, count: batch * outputs)
        linearForward(batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: &together)
        var alone = [Float](repeating: .nan, count: batch * outputs)
        for n in 0..<batch {
            var one = [Float](repeating: .nan, count: outputs)
            linearForward(batch: 1, inputs: inputs, outputs: outputs, input: Array(input[(n * inputs)..<((n + 1) * inputs)]), weight: weight,
                          bias: bias, output: &one)
            alone.replaceSubrange((n * outputs)..<((n + 1) * outputs), with: one)
        }
        #expect(together == alone)
    }
}

@Suite struct PoolingAndActivationTests {
    @Test(arguments: [(1, 2, 2), (12, 24, 24), (32, 8, 8), (3, 6, 10), (2, 4, 34)])
    func sumPoolingMatchesNaive(planes: Int, height: Int, width: Int) {
        let input = randomFloats(planes * height * width, seed: 11)
        let gradient = randomFloats(planes * height * width / 4, seed: 12)
        var fast = [Float](repeating: .nan, count: gradient.count), naive = fast
        sumPoolForward(planes: planes, height: height, width: width, input: input, output: &fast)
        sumPoolForwardNaive(planes: planes, height: height, width: width, input: input, output: &naive)
        #expect(fast == naive)
        var fastBack = [Float](repeating: .nan, count: input.count), naiveBack = fastBack
        sumPoolBackward(planes: planes, height: height, width: width, outputGradient: gradient, inputGradient: &fastBack)
        sumPoolBackwardNaive(planes: planes, height: height, width: width, outputGradient: gradient, inputGradient: &naiveBack)
        #expect(fastBack == naiveBack)
    }

    @Test func sumPoolingAddsRatherThanAverages() {
        let input: [Float] = [1, 2, 3, 4]  // one 2x2 plane
        var output: [Float] = [0]
        sumPoolForward(planes: 1, height: 2, width: 2, input: input, output: &output)
        #expect(output == [10])
    }

    @Test func reluAndItsGradient() {
        var x: [Float] = [-2, -0.0, 0, 0.5, 3, .nan]
        reluForward(&x, count: x.count)
        #expect(Array(x[0..<5]) == [0, 0, 0, 0.5, 3])
        #expect(x[5].isNaN)
        var gradient: [Float] = [1, 1, 1, 1, 1, 1]
        reluBackward(output: x, gradient: &gradient, count: 6)
        #expect(gradient == [0, 0, 0, 1, 1, 0])
    }
}

@Suite struct ElementaryFunctionTests {
    @Test func exponentialAndTangentAgreeWithTheLibrary() {
        var worstExp: Float = 0, worstTanh: Float = 0
        var x: Float = -20
        while x < 20 {
            let v = Vector8((0..<8).map { x + Float($0) * 0.001 })
            let e = exponential(v), t = hyperbolicTangent(v)
            for lane in 0..<8 {
                worstExp = max(worstExp, abs(e[lane] - expf(v[lane])) / expf(v[lane]))
                worstTanh = max(worstTanh, abs(t[lane] - tanhf(v[lane])))
            }
            x += 0.0173
        }
        print("SIMD exp: largest relative error \(worstExp); SIMD tanh: largest absolute error \(worstTanh)")
        #expect(worstExp < 5e-7)
        #expect(worstTanh < 3e-7)
        // Sixteen lanes give the eight-lane results, bit for bit.
        for start in stride(from: Float(-30), to: 30, by: 0.37) {
            let wide = Vector16((0..<16).map { start + Float($0) * 0.011 })
            let e = exponential(wide), t = hyperbolicTangent(wide)
            let low = Vector8((0..<8).map { wide[$0] }), high = Vector8((8..<16).map { wide[$0] })
            let e8 = exponential(low), e8h = exponential(high), t8 = hyperbolicTangent(low), t8h = hyperbolicTangent(high)
            for lane in 0..<8 {
                #expect(e[lane].bitPattern == e8[lane].bitPattern && e[lane + 8].bitPattern == e8h[lane].bitPattern)
                #expect(t[lane].bitPattern == t8[lane].bitPattern && t[lane + 8].bitPattern == t8h[lane].bitPattern)
            }
        }
        #expect(hyperbolicTangent(Vector8(repeating: 100))[0] == 1)
        #expect(hyperbolicTangent(Vector8(repeating: -100))[0] == -1)
    }
}

@Suite struct TableConvolutionOracleTests {
    /// Table I of the 1998 paper (rows: input maps; columns: output maps).
    static let tableI = ConnectionTable(connected: [
        "X...XXX..XXXX.XX", "XX...XXX..XXXX.X", "XXX...XXX..X.XXX",
        ".XXX..XXXX..X.XX", "..XXX..XXXX.XX.X", "...XXX..XXXX.XXX",
    ].map { $0.map { $0 == "X" } })

    static let shapes: [TableConvolution] = [
        // The 1998 model's C1 (a full table, 784 positions: the wide weight gradient) and C3.
        TableConvolution(table: .full(inputs: 1, outputs: 6), kernelSize: 5, inputHeight: 32, inputWidth: 32),
        TableConvolution(table: tableI, kernelSize: 5, inputHeight: 14, inputWidth: 14),
        // Spans and planes that leave tails of every length; 3x3 and 7x7 kernels.
        TableConvolution(table: .full(inputs: 2, outputs: 3), kernelSize: 3, inputHeight: 9, inputWidth: 11),
        TableConvolution(table: ConnectionTable(connected: [[true, false, true], [false, true, true]]), kernelSize: 5,
                         inputHeight: 7, inputWidth: 6),
        TableConvolution(table: .full(inputs: 3, outputs: 5), kernelSize: 7, inputHeight: 13, inputWidth: 10),
        TableConvolution(table: .full(inputs: 5, outputs: 2), kernelSize: 4, inputHeight: 6, inputWidth: 5),
        // C3's 14x14 maps (the input gradient with every row in registers) with another table, whose
        // last input map feeds one output map.
        TableConvolution(table: ConnectionTable(connected: [[true, true, false], [false, true, true], [false, false, true]]),
                         kernelSize: 5, inputHeight: 14, inputWidth: 14),
    ]

    @Test(arguments: shapes.indices)
    func fastKernelsMatchThePlainLoops(index: Int) {
        let convolution = Self.shapes[index]
        let inputCount = convolution.table.inputMaps * convolution.inputHeight * convolution.inputWidth
        let outputCount = convolution.table.outputMaps * convolution.outputHeight * convolution.outputWidth
        // Exactly sized buffers: a read past the end would be a crash under the address sanitizer
        // and garbage here.
        let input = randomFloats(inputCount, seed: 21), weight = randomFloats(convolution.weightCount, seed: 22)
        let bias = randomFloats(convolution.table.outputMaps, seed: 23), gradient = randomFloats(outputCount, seed: 24)
        var scratch = [Float](repeating: .nan, count: convolution.fastScratchCount)
        var fastOutput = [Float](repeating: .nan, count: outputCount), plainOutput = fastOutput
        convolution.forwardFast(input: input, weight: weight, bias: bias, output: &fastOutput, scratch: &scratch)
        convolution.forward(input: input, weight: weight, bias: bias, output: &plainOutput)
        // Twice: overwritten, then added to (the second image of a batch).
        var fast = (w: [Float](repeating: .nan, count: convolution.weightCount), b: [Float](repeating: .nan, count: convolution.table.outputMaps),
                    x: [Float](repeating: .nan, count: inputCount))
        var plain = fast
        for accumulate in [false, true] {
            convolution.backwardFast(input: input, weight: weight, outputGradient: gradient, weightGradient: &fast.w, biasGradient: &fast.b,
                                     inputGradient: &fast.x, accumulate: accumulate, scratch: &scratch)
            convolution.backward(input: input, weight: weight, outputGradient: gradient, weightGradient: &plain.w, biasGradient: &plain.b,
                                 inputGradient: &plain.x, accumulate: accumulate)
        }
        let differences = [largestDifference(fastOutput, plainOutput), largestDifference(fast.w, plain.w),
                           largestDifference(fast.b, plain.b), largestDifference(fast.x, plain.x)]
        print("table convolution \(index): largest differences (output, weight, bias, input) \(differences)")
        #expect(differences.allSatisfy { $0 < 1e-3 })
        #expect(!fastOutput.contains { $0.isNaN } && !fast.w.contains { $0.isNaN } && !fast.x.contains { $0.isNaN })
    }
}

@Suite struct WinogradConvolutionTests {
    static let c3 = ConvolutionShape(inputChannels: 6, outputChannels: 16, inputHeight: 12, inputWidth: 12, kernelSize: 5)

    /// The convolution in Double: the reference both kernels are measured against.
    static func exact(_ s: ConvolutionShape, batch: Int, input: [Float], weight: [Float], bias: [Float]) -> [Double] {
        var output = [Double](repeating: 0, count: batch * s.outputCount)
        for n in 0..<batch {
            for o in 0..<s.outputChannels {
                for y in 0..<s.outputHeight {
                    for x in 0..<s.outputWidth {
                        var sum = Double(bias[o])
                        for c in 0..<s.inputChannels {
                            for i in 0..<5 {
                                for j in 0..<5 {
                                    sum += Double(input[n * s.inputCount + c * s.inputPlane + (y + i) * s.inputWidth + x + j])
                                        * Double(weight[((o * s.inputChannels + c) * 5 + i) * 5 + j])
                                }
                            }
                        }
                        output[((n * s.outputChannels + o) * s.outputHeight + y) * s.outputWidth + x] = sum
                    }
                }
            }
        }
        return output
    }

    @Test func onlyTheWriteUpsC3TakesWinograd() {
        #expect(Self.c3.hasWinograd)
        for shape in ConvolutionOracleTests.shapes where shape != Self.c3 { #expect(!shape.hasWinograd, "\(shape)") }
    }

    /// C3's inputs in the network: sums of four ReLU outputs, so non-negative (here 0 to 8), and
    /// weights of the default initialisation's size (|w| < 1/sqrt(150)), then also [-1, 1) for both.
    @Test(arguments: [(Float(4), Float(1) / Float(150).squareRoot()), (1, 1)])
    func forwardIsWithinAFewMillionthsOfTheExactSum(inputScale: Float, weightScale: Float) {
        let s = Self.c3, batch = 5
        let input = randomFloats(batch * s.inputCount, seed: 11).map { inputScale == 1 ? $0 : ($0 + 1) * inputScale }
        let weight = randomFloats(s.weightCount, seed: 12).map { $0 * weightScale }
        let bias = randomFloats(s.outputChannels, seed: 13).map { $0 * weightScale }
        let exact = Self.exact(s, batch: batch, input: input, weight: weight, bias: bias)
        var winograd = [Float](repeating: .nan, count: batch * s.outputCount), naive = winograd
        var scratch = [Float](repeating: .nan, count: s.scratchCount(batch: batch))
        convolutionForwardWinograd(s, batch: batch, input: input, weight: weight, bias: bias, output: &winograd, applyReLU: false,
                                   scratch: &scratch)
        convolutionForwardNaive(s, batch: batch, input: input, weight: weight, bias: bias, output: &naive)
        let scale = exact.map(abs).max() ?? 0
        let winogradError = zip(winograd, exact).map { abs(Double($0) - $1) }.max() ?? .nan
        let naiveError = zip(naive, exact).map { abs(Double($0) - $1) }.max() ?? .nan
        print("Winograd C3 forward (inputs x\(inputScale), weights x\(weightScale)): largest error \(winogradError) (naive kernel \(naiveError)) of outputs up to \(scale)")
        #expect(winogradError <= 1e-5 * scale)
    }

    @Test func anImagesOutputsAreTheSameBitsAloneOrInABatchAndReLUIsApplied() {
        let s = Self.c3, batch = 3
        let input = randomFloats(batch * s.inputCount, seed: 14), weight = randomFloats(s.weightCount, seed: 15)
        let bias = randomFloats(s.outputChannels, seed: 16)
        var scratch = [Float](repeating: .nan, count: s.scratchCount(batch: batch))
        var together = [Float](repeating: .nan, count: batch * s.outputCount), linear = together
        convolutionForward(s, batch: batch, input: input, weight: weight, bias: bias, output: &together, scratch: &scratch, applyReLU: true)
        convolutionForward(s, batch: batch, input: input, weight: weight, bias: bias, output: &linear, scratch: &scratch)
        for n in 0..<batch {
            var alone = [Float](repeating: .nan, count: s.outputCount)
            input.withUnsafeBufferPointer { x in
                convolutionForward(s, batch: 1, input: x.baseAddress! + n * s.inputCount, weight: weight, bias: bias, output: &alone,
                                   scratch: &scratch, applyReLU: true)
            }
            #expect(alone.map(\.bitPattern) == together[(n * s.outputCount)..<((n + 1) * s.outputCount)].map(\.bitPattern))
        }
        #expect(together == linear.map { max($0, 0) })
        #expect(linear.contains { $0 < 0 })
    }

    /// Without a version the cache compares the weights; with one (`DerivedCache`), the transform
    /// made for version 5 is used for version 5 without comparing them (here even though they
    /// changed: the caller's promise broken on purpose), and made again for version 6.
    @Test func theCachedTransformIsRemadeWhenAWeightOrTheVersionChangesAndGivesTheSameBits() {
        let s = Self.c3, batch = 2
        let input = randomFloats(batch * s.inputCount, seed: 17), bias = randomFloats(s.outputChannels, seed: 18)
        var weight = randomFloats(s.weightCount, seed: 19)
        var scratch = [Float](repeating: .nan, count: s.scratchCount(batch: batch))
        var cache = [Float](repeating: 0, count: s.winogradCacheCount)
        func run(cached: Bool, version: UInt64 = 0) -> [Float] {
            var output = [Float](repeating: .nan, count: batch * s.outputCount)
            if cached {
                convolutionForwardWinograd(s, batch: batch, input: input, weight: weight, bias: bias, output: &output, applyReLU: false,
                                           scratch: &scratch, cache: &cache, version: version)
            } else {
                convolutionForwardWinograd(s, batch: batch, input: input, weight: weight, bias: bias, output: &output, applyReLU: false,
                                           scratch: &scratch)
            }
            return output
        }
        let first = run(cached: true)
        #expect(first.map(\.bitPattern) == run(cached: false).map(\.bitPattern))
        #expect(run(cached: true).map(\.bitPattern) == first.map(\.bitPattern))
        // One weight of the last kernel changes by one step of its last bit: the cache must notice.
        weight[s.weightCount - 1] = weight[s.weightCount - 1].nextUp
        let changed = run(cached: true)
        #expect(changed.map(\.bitPattern) == run(cached: false).map(\.bitPattern))
        #expect(changed != first)
        let made = run(cached: true, version: 5)
        weight[0] += 0.5
        #expect(run(cached: true, version: 5) == made)
        let remade = run(cached: true, version: 6)
        #expect(remade != made)
        #expect(remade.map(\.bitPattern) == run(cached: false).map(\.bitPattern))
    }

    /// The gradients in Double: dx[c][y + i][x + j] += dy[o][y][x] w[o][c][i][j] and
    /// dw[o][c][i][j] += dy[o][y][x] input[c][y + i][x + j].
    static func exactGradients(_ s: ConvolutionShape, batch: Int, input: [Float], weight: [Float],
                               outputGradient: [Float]) -> (dw: [Double], dx: [Double]) {
        var dx = [Double](repeating: 0, count: batch * s.inputCount), dw = [Double](repeating: 0, count: s.weightCount)
        for n in 0..<batch {
            for o in 0..<s.outputChannels {
                for y in 0..<8 {
                    for x in 0..<8 {
                        let g = Double(outputGradient[n * s.outputCount + o * 64 + y * 8 + x])
                        for c in 0..<s.inputChannels {
                            for i in 0..<5 {
                                for j in 0..<5 {
                                    let w = ((o * s.inputChannels + c) * 5 + i) * 5 + j, position = n * s.inputCount + c * 144 + (y + i) * 12 + x + j
                                    dx[position] += g * Double(weight[w])
                                    dw[w] += g * Double(input[position])
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dw, dx)
    }

    @Test func backwardIsWithinAFewMillionthsOfTheExactSumsCachedOrNot() {
        let s = Self.c3, batch = 3
        let outputGradient = randomFloats(batch * s.outputCount, seed: 20).map { $0 * 0.01 }
        let input = randomFloats(batch * s.inputCount, seed: 22).map { ($0 + 1) * 4 }
        var weight = randomFloats(s.weightCount, seed: 21).map { $0 / Float(150).squareRoot() }
        var scratch = [Float](repeating: .nan, count: s.scratchCount(batch: batch))
        var cache = [Float](repeating: 0, count: s.winogradCacheCount)
        func run(cached: Bool) -> (dw: [Float], db: [Float], dx: [Float]) {
            var dw = [Float](repeating: .nan, count: s.weightCount), db = [Float](repeating: .nan, count: 16)
            var dx = [Float](repeating: .nan, count: batch * s.inputCount)
            if cached {
                convolutionBackwardWinograd(s, batch: batch, input: input, weight: weight, outputGradient: outputGradient, weightGradient: &dw,
                                            biasGradient: &db, inputGradient: &dx, scratch: &scratch, cache: &cache)
            } else {
                convolutionBackwardWinograd(s, batch: batch, input: input, weight: weight, outputGradient: outputGradient, weightGradient: &dw,
                                            biasGradient: &db, inputGradient: &dx, scratch: &scratch)
            }
            return (dw, db, dx)
        }
        let exact = Self.exactGradients(s, batch: batch, input: input, weight: weight, outputGradient: outputGradient)
        let winograd = run(cached: false)
        for (name, ours, reference) in [("input", winograd.dx, exact.dx), ("weight", winograd.dw, exact.dw)] {
            let scale = reference.map(abs).max() ?? 0
            let error = zip(ours, reference).map { abs(Double($0) - $1) }.max() ?? .nan
            print("Winograd C3 \(name) gradient: largest error \(error) of values up to \(scale)")
            #expect(error <= 1e-5 * scale, "\(name)")
        }
        var naive = (dw: [Float](repeating: 0, count: s.weightCount), db: [Float](repeating: 0, count: 16))
        convolutionBackwardNaive(s, batch: batch, input: input, weight: weight, outputGradient: outputGradient,
                                 weightGradient: &naive.dw, biasGradient: &naive.db, inputGradient: nil)
        #expect(largestDifference(winograd.db, naive.db) <= 1e-6)
        let cached = run(cached: true)
        #expect(cached.dx.map(\.bitPattern) == winograd.dx.map(\.bitPattern) && cached.dw.map(\.bitPattern) == winograd.dw.map(\.bitPattern))
        // The forward pass fills the cache for other weights: the backward pass must not take them.
        var output = [Float](repeating: 0, count: batch * s.outputCount)
        weight[0] += 0.25
        convolutionForwardWinograd(s, batch: batch, input: input, weight: weight, bias: naive.db, output: &output, applyReLU: false,
                                   scratch: &scratch, cache: &cache)
        let changed = run(cached: true)
        #expect(changed.dx.map(\.bitPattern) == run(cached: false).dx.map(\.bitPattern))
        #expect(changed.dx != winograd.dx)
    }
}
