import Foundation
import Testing
@testable import Kernels

@Suite struct LinearOutputsOrderTests {
    /// out[n, o] in Double: the reference.
    static func exact(batch: Int, inputs: Int, outputs: Int, input: [Float], weight: [Float], bias: [Float]) -> [Double] {
        (0..<(batch * outputs)).map { k in
            let n = k / outputs, o = k % outputs
            var sum = Double(bias[o])
            for i in 0..<inputs { sum += Double(input[n * inputs + i]) * Double(weight[o * inputs + i]) }
            return sum
        }
    }

    /// Parameters laid out as a layer has them: weight [O, I], then bias [O].
    static func parameters(inputs: Int, outputs: Int, seed: UInt64) -> [Float] {
        randomFloats(inputs * outputs + outputs, seed: seed).map { $0 / Float(inputs).squareRoot() }
    }

    static func forward(batch: Int, inputs: Int, outputs: Int, input: [Float], parameters: [Float], cache: UnsafeMutablePointer<Float>? = nil,
                        version: UInt64 = 0) -> [Float] {
        var scratch = [Float](repeating: .nan, count: linearTransposedCount(inputs: inputs, outputs: outputs))
        var output = [Float](repeating: .nan, count: batch * outputs)
        parameters.withUnsafeBufferPointer { p in
            let transposed = linearTransposedWeights(inputs: inputs, outputs: outputs, parameters: p.baseAddress!, cache: cache, version: version,
                                                     scratch: &scratch)
            linearForwardOutputsOrder(batch: batch, inputs: inputs, outputs: outputs, input: input, transposed: transposed, output: &output)
        }
        return output
    }

    /// The write-up's F6 and F7, ten outputs padded to 16, several groups of vectors (47 and 130
    /// outputs), batches with and without a remainder of single images.
    @Test(arguments: [(16, 120, 84), (16, 84, 10), (7, 84, 10), (5, 120, 47), (6, 33, 130), (1, 120, 84), (3, 1, 1), (9, 256, 120)])
    func forwardIsWithinAFewMillionthsOfTheExactSum(batch: Int, inputs: Int, outputs: Int) {
        let input = randomFloats(batch * inputs, seed: 31), p = Self.parameters(inputs: inputs, outputs: outputs, seed: 32)
        let weight = Array(p[0..<(inputs * outputs)]), bias = Array(p[(inputs * outputs)...])
        let fast = Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p)
        var naive = [Float](repeating: .nan, count: batch * outputs)
        linearForwardNaive(batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias, output: &naive)
        let exact = Self.exact(batch: batch, inputs: inputs, outputs: outputs, input: input, weight: weight, bias: bias)
        let fastError = zip(fast, exact).map { abs(Double($0) - $1) }.max() ?? .nan
        let naiveError = zip(naive, exact).map { abs(Double($0) - $1) }.max() ?? .nan
        print("linear, outputs in lanes, \(batch)x\(inputs)->\(outputs): largest error \(fastError) (naive kernel \(naiveError))")
        #expect(fast.allSatisfy { $0.isFinite })
        #expect(fastError <= 2e-6 * Double(inputs).squareRoot())
    }

    /// Blocks of four images and single images run the same chains: an image's outputs are the same
    /// bits in any batch; and nothing past the outputs is written (the last vector's padding lanes).
    @Test(arguments: [(120, 84), (84, 10), (33, 130)])
    func anImagesOutputsAreTheSameBitsAloneOrInABatch(inputs: Int, outputs: Int) {
        let batch = 9
        let input = randomFloats(batch * inputs, seed: 33), p = Self.parameters(inputs: inputs, outputs: outputs, seed: 34)
        let together = Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p)
        for n in 0..<batch {
            let alone = Self.forward(batch: 1, inputs: inputs, outputs: outputs, input: Array(input[(n * inputs)..<((n + 1) * inputs)]),
                                     parameters: p)
            #expect(alone.map(\.bitPattern) == together[(n * outputs)..<((n + 1) * outputs)].map(\.bitPattern))
        }
        // Past the last image's outputs: untouched.
        var scratch = [Float](repeating: .nan, count: linearTransposedCount(inputs: inputs, outputs: outputs))
        var output = [Float](repeating: -7, count: 2 * outputs + 16)
        p.withUnsafeBufferPointer { p in
            let transposed = linearTransposedWeights(inputs: inputs, outputs: outputs, parameters: p.baseAddress!, cache: nil, scratch: &scratch)
            linearForwardOutputsOrder(batch: 2, inputs: inputs, outputs: outputs, input: input, transposed: transposed, output: &output)
        }
        #expect(output[(2 * outputs)...].allSatisfy { $0 == -7 })
    }

    /// Without a version (0) the cache compares the parameters: one weight or the last bias moved by
    /// its last bit is noticed. With a version, the same version is trusted without comparing (the
    /// caller's promise) and a new one makes the transposition again.
    @Test func theCachedTranspositionIsRemadeWhenTheParametersOrTheirVersionChange() {
        let batch = 5, inputs = 84, outputs = 10
        let input = randomFloats(batch * inputs, seed: 35)
        var p = Self.parameters(inputs: inputs, outputs: outputs, seed: 36)
        var cache = [Float](repeating: 0, count: linearTransposedCacheCount(inputs: inputs, outputs: outputs))
        cache.withUnsafeMutableBufferPointer { cache in
            let c = cache.baseAddress!
            let first = Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p, cache: c)
            #expect(first.map(\.bitPattern) == Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p).map(\.bitPattern))
            #expect(Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p, cache: c) == first)
            for index in [17, p.count - 1] {
                p[index] = p[index].nextUp
                let changed = Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p, cache: c)
                #expect(changed.map(\.bitPattern) == Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p).map(\.bitPattern))
                #expect(changed != first)
            }
            // Versions: made for 5, trusted for 5 even after a change, remade for 6.
            let before = Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p, cache: c, version: 5)
            p[3] += 0.25
            #expect(Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p, cache: c, version: 5) == before)
            let after = Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p, cache: c, version: 6)
            #expect(after != before)
            #expect(after.map(\.bitPattern) == Self.forward(batch: batch, inputs: inputs, outputs: outputs, input: input, parameters: p).map(\.bitPattern))
        }
    }
}
