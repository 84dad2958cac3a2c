/// The 1998 paper's trainable subsampling (S2, S4): per map m, the four inputs of each 2x2 block are
/// added, multiplied by a trainable coefficient and offset by a trainable bias:
///   a[m,y,x] = coefficient[m] * (in[m,2y,2x] + in[m,2y,2x+1] + in[m,2y+1,2x] + in[m,2y+1,2x+1]) + bias[m]
/// input [M/copies, H, W] -> output [M, H/2, W/2], one pattern. With `copies` > 1 each input map
/// feeds that many output maps, each with its own coefficient and bias (LeNet-4's S2: 8 maps "in
/// pairs" over C1's 4); output map m reads input map m / copies.
public struct Subsampling: Sendable {
    /// M, the output maps (with their coefficients and biases).
    public let maps: Int
    /// H, the input's height (even).
    public let inputHeight: Int
    /// W, the input's width (even).
    public let inputWidth: Int
    /// How many output maps each input map feeds.
    public let copies: Int

    /// Subsampling to `maps` maps of H/2 x W/2 from `maps / copies` maps of H x W.
    public init(maps: Int, inputHeight: Int, inputWidth: Int, copies: Int = 1) {
        precondition(copies >= 1 && maps % copies == 0)
        self.maps = maps
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.copies = copies
    }

    /// The input maps: maps / copies.
    public var inputMaps: Int { maps / copies }

    /// H / 2.
    public var outputHeight: Int { inputHeight / 2 }
    /// W / 2.
    public var outputWidth: Int { inputWidth / 2 }
    /// A coefficient and a bias per output map.
    public var parameterCount: Int { 2 * maps }
    /// Per output unit: four inputs and the bias.
    public var connectionCount: Int { maps * outputHeight * outputWidth * 5 }

    /// The four inputs of block (y, x) of input map `source` (output map m reads map m / copies).
    @inline(__always)
    private func blockSum(_ input: UnsafePointer<Float>, _ source: Int, _ y: Int, _ x: Int) -> Float {
        let base = input + ((source &* inputHeight &+ 2 &* y) &* inputWidth &+ 2 &* x)
        return base[0] + base[1] + base[inputWidth] + base[inputWidth &+ 1]
    }

    /// One pattern's forward pass: a[m,y,x] = coefficient[m] (the sum of input map m / copies's
    /// 2x2 block) + bias[m], before the activation.
    public func forward(input: UnsafePointer<Float>, coefficient: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>) {
        for m in 0..<maps {
            let source = m / copies
            for y in 0..<outputHeight {
                for x in 0..<outputWidth {
                    output[(m &* outputHeight &+ y) &* outputWidth &+ x] = coefficient[m] * blockSum(input, source, y, x) + bias[m]
                }
            }
        }
    }

    /// From dE/da, overwrites (adds to, when `accumulate`) dE/dcoefficient = sum dE/da * blockSum, dE/dbias = sum dE/da and
    /// dE/d(input) = coefficient * dE/da for each of the block's four inputs.
    public func backward(input: UnsafePointer<Float>, coefficient: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         coefficientGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, accumulate: Bool = false) {
        propagate(input: input, coefficient: coefficient, outputTerm: outputGradient, coefficientTerm: coefficientGradient,
                  biasTerm: biasGradient, inputTerm: inputGradient, squared: false, accumulate: accumulate)
    }

    /// Gauss-Newton second derivatives from d2E/da2: d2E/dcoefficient2 = sum d2E/da2 * blockSum^2,
    /// d2E/dbias2 = sum d2E/da2, d2E/d(input)2 = coefficient^2 * d2E/da2.
    public func secondBackward(input: UnsafePointer<Float>, coefficient: UnsafePointer<Float>, outputSecond: UnsafePointer<Float>,
                               coefficientSecond: UnsafeMutablePointer<Float>, biasSecond: UnsafeMutablePointer<Float>,
                               inputSecond: UnsafeMutablePointer<Float>?, accumulate: Bool = false) {
        propagate(input: input, coefficient: coefficient, outputTerm: outputSecond, coefficientTerm: coefficientSecond,
                  biasTerm: biasSecond, inputTerm: inputSecond, squared: true, accumulate: accumulate)
    }

    private func propagate(input: UnsafePointer<Float>, coefficient: UnsafePointer<Float>, outputTerm: UnsafePointer<Float>,
                           coefficientTerm: UnsafeMutablePointer<Float>, biasTerm: UnsafeMutablePointer<Float>,
                           inputTerm: UnsafeMutablePointer<Float>?, squared: Bool, accumulate: Bool) {
        // Copies add into the map they share.
        if copies > 1, let inputTerm { inputTerm.update(repeating: 0, count: inputMaps &* inputHeight &* inputWidth) }
        for m in 0..<maps {
            let source = m / copies
            var coefficientSum: Float = 0, biasSum: Float = 0
            let factor = squared ? coefficient[m] * coefficient[m] : coefficient[m]
            for y in 0..<outputHeight {
                for x in 0..<outputWidth {
                    let t = outputTerm[(m &* outputHeight &+ y) &* outputWidth &+ x]
                    let s = blockSum(input, source, y, x)
                    coefficientSum += t * (squared ? s * s : s)
                    biasSum += t
                    if let inputTerm {
                        let base = inputTerm + ((source &* inputHeight &+ 2 &* y) &* inputWidth &+ 2 &* x)
                        let value = factor * t
                        if copies > 1 {
                            base[0] += value; base[1] += value; base[inputWidth] += value; base[inputWidth &+ 1] += value
                        } else {
                            base[0] = value; base[1] = value; base[inputWidth] = value; base[inputWidth &+ 1] = value
                        }
                    }
                }
            }
            coefficientTerm[m] = accumulate ? coefficientTerm[m] + coefficientSum : coefficientSum
            biasTerm[m] = accumulate ? biasTerm[m] + biasSum : biasSum
        }
    }
}

/// The 1998 paper's S2 and S4 as a layer: `Subsampling`, then its activation. coefficient [M] and
/// bias [M], named `<prefix>.coefficient` and `<prefix>.bias`; fan-in 4. Image by image.
public struct TrainableSubsampling: ImageByImageLayer {
    public let name: String
    /// The checkpoint names' prefix: `<prefix>.coefficient`, `<prefix>.bias`.
    public let prefix: String
    /// The maps and their sizes.
    public let subsampling: Subsampling
    /// The function applied to every output.
    public let activation: Activation

    /// A layer named `name` subsampling to `maps` maps of H/2 x W/2.
    public init(_ name: String, prefix: String, maps: Int, inputHeight: Int, inputWidth: Int, copies: Int = 1, activation: Activation) {
        self.name = name
        self.prefix = prefix
        self.subsampling = Subsampling(maps: maps, inputHeight: inputHeight, inputWidth: inputWidth, copies: copies)
        self.activation = activation
    }

    public var kindDescription: String {
        "subsampling 2x2" + (subsampling.copies > 1 ? ", \(subsampling.copies) per map" : "") + activation.suffix
    }
    public var inputCount: Int { subsampling.inputMaps * subsampling.inputHeight * subsampling.inputWidth }
    public var outputCount: Int { subsampling.maps * subsampling.outputHeight * subsampling.outputWidth }
    public var outputShape: [Int] { [subsampling.maps, subsampling.outputHeight, subsampling.outputWidth] }
    public var parameters: [ParameterSpec] {
        [ParameterSpec(name: prefix + ".coefficient", shape: [subsampling.maps], fanIn: 4),
         ParameterSpec(name: prefix + ".bias", shape: [subsampling.maps], isBias: true, fanIn: 4)]
    }
    /// One coefficient multiplication per output.
    public var multiplyAdds: Int { outputCount }
    public var connections: Int { subsampling.connectionCount }

    public func forward(_ pass: LayerPass) {
        let p = pass.parameters, maps = subsampling.maps
        for n in 0..<pass.batch {
            subsampling.forward(input: pass.input + n &* inputCount, coefficient: p, bias: p + maps, output: pass.output + n &* outputCount)
        }
        activation.forward(pass.output, batch: pass.batch, count: outputCount)
    }

    var secondTensorOffset: Int { subsampling.maps }
    var backwardStep: ImageKernelStep { subsampling.backward }
    var secondBackwardStep: ImageKernelStep { subsampling.secondBackward }
}

extension TrainableSubsampling {
    /// The 2x2 sum times a coefficient per map, plus a bias per map; then the activation.
    public func exportONNX(into graph: inout ONNXGraph, input: ONNXValue, parameters: [Float]) -> ONNXValue {
        let maps = subsampling.maps
        let names = constants(&graph, parameters, shapes: [0: [1, maps, 1, 1], 1: [1, maps, 1, 1]])
        var x = input.name
        if subsampling.copies > 1 {
            // Each input map repeated `copies` times, in place: Gather on the map axis.
            let indices = graph.constant(name + ".maps", shape: [maps], integers: (0..<maps).map { $0 / subsampling.copies })
            x = graph.add("Gather", [x, indices], name: name + "_copies", attributes: [.integer("axis", 1)])
        }
        let sum = graph.sumPooling(x, name: name + "_sum")
        let scaled = graph.add("Mul", [sum, names[0]], name: name + "_scaled")
        let a = graph.add("Add", [scaled, names[1]], name: name)
        return ONNXValue(graph.activation(activation, a, name: name), flat: false)
    }
}
