import Foundation
import Testing
import Datasets
@testable import LeNet
import NeuralNetwork

/// Every kind of `ModelKinds.all`, by the same checks: its gradient against finite differences,
/// its fast kernels against the naive ones, its checkpoint and its ONNX graph. A new kind is tested
/// by adding it to the list.
@Suite struct FamilyTests {
    static let kinds: [String] = ModelKinds.all.map { $0.kind }

    /// `count` MNIST test images prepared as `kind` prepares them, in a fresh workspace.
    static func workspace(_ kind: any LayeredModel.Type, count: Int, kernels: KernelChoice = .fast) throws -> NetworkWorkspace {
        let network = kind.network(outputs: 10)!
        let test = try loadMNIST(.test).prefix(count)
        let workspace = NetworkWorkspace(network, capacity: count, kernels: kernels)
        Array(0..<count).withUnsafeBufferPointer { kind.inputPreparation.fill(test, indices: $0, input: workspace.input, labels: workspace.labels) }
        return workspace
    }

    static func loss(_ network: Network) -> OutputLoss { network.scores == .logits ? .crossEntropy : .penalty(.meanSquaredError) }

    @Test(arguments: kinds)
    func theWholeModelsGradientAgreesWithFiniteDifferences(_ name: String) throws {
        let kind = try #require(ModelKinds.named(name))
        let workspace = try Self.workspace(kind, count: 4)
        let network = workspace.network, loss = Self.loss(network)
        var parameters = kind.init(seed: 5, classes: 10, initialization: .mixed).parameters
        func lossValue() -> Double {
            parameters.withUnsafeBufferPointer { p in
                workspace.forward(parameters: p.baseAddress!, batch: 4)
                return Double(workspace.backward(parameters: p.baseAddress!, batch: 4, loss: loss))
            }
        }
        _ = lossValue()
        let analytic = Array(UnsafeBufferPointer(start: workspace.parameterGradients, count: parameters.count))
        var worst = 0.0, largest = 0.0
        for view in network.layout.tensors {
            for k in stride(from: 0, to: view.count, by: max(1, view.count / 5)) {
                let i = view.offset + k, saved = parameters[i], epsilon: Float = kind.startsAsThePaper ? 1e-2 : 1e-3  // ReLU kinks: a small step
                parameters[i] = saved + epsilon
                let plus = lossValue()
                parameters[i] = saved - epsilon
                let minus = lossValue()
                parameters[i] = saved
                let numeric = (plus - minus) / Double(2 * epsilon)
                worst = max(worst, abs(numeric - Double(analytic[i])))
                largest = max(largest, abs(numeric))
            }
        }
        print("\(name): whole-model finite differences, largest absolute error \(worst) (largest gradient \(largest))")
        #expect(largest > 1e-3)
        #expect(worst < 2e-3 + 1e-2 * largest)
    }

    @Test(arguments: kinds)
    func theFastKernelsAgreeWithTheNaiveOnes(_ name: String) throws {
        let kind = try #require(ModelKinds.named(name))
        let fast = try Self.workspace(kind, count: 3), naive = try Self.workspace(kind, count: 3, kernels: .naive)
        let parameters = kind.init(seed: 2, classes: 10, initialization: .mixed).parameters
        let loss = Self.loss(fast.network), outputs = fast.network.outputCount
        for workspace in [fast, naive] {
            parameters.withUnsafeBufferPointer { p in
                workspace.forward(parameters: p.baseAddress!, batch: 3)
                workspace.backward(parameters: p.baseAddress!, batch: 3, loss: loss)
            }
        }
        let scores = largestDifference(Array(UnsafeBufferPointer(start: fast.scores, count: 3 * outputs)),
                                       Array(UnsafeBufferPointer(start: naive.scores, count: 3 * outputs)))
        let gradients = largestDifference(Array(UnsafeBufferPointer(start: fast.parameterGradients, count: parameters.count)),
                                          Array(UnsafeBufferPointer(start: naive.parameterGradients, count: parameters.count)))
        print("\(name): fast vs naive kernels, largest score difference \(scores), gradient \(gradients)")
        #expect(scores < 1e-4 && gradients < 1e-4)
    }

    @Test(arguments: kinds)
    func aCheckpointNamesItsKindAndLoadsBack(_ name: String) throws {
        let kind = try #require(ModelKinds.named(name))
        let model = AnyLeNet(kind.init(seed: 7, classes: 10, initialization: .mixed))
        let path = temporaryFolder() + "/\(name).safetensors"
        try model.save(to: path)
        let (loaded, metadata) = try AnyLeNet.load(path)
        #expect(metadata[MetadataKey.model] == name && loaded.kind == name)
        #expect(loaded.parameters == model.parameters)
        // The feature maps the server draws are the first two convolutions'.
        let reading = loaded.read([UInt8](repeating: 0, count: 784))
        let layers = loaded.model.network.layers
        #expect(layers[loaded.model.network.convolutions[0]].name == "C1" && layers[loaded.model.network.convolutions[1]].name == "C3")
        #expect(reading.c1.count * reading.c1.height * reading.c1.width == reading.c1.values.count)
    }

    /// The graph holds every parameter under its checkpoint name (a table's kernels in a dense
    /// weight), and its output is named for the scores.
    @Test(arguments: kinds)
    func theONNXGraphHoldsEveryParameter(_ name: String) throws {
        let kind = try #require(ModelKinds.named(name))
        let model = AnyLeNet(kind.init(seed: 4, classes: 10, initialization: .mixed))
        let top = try ProtobufFields(ONNXExport.export(model, metadata: [:]))
        let graph = try #require(try top.messages(7).first)
        let initializers = Set(try graph.messages(5).compactMap { $0.string(8) })
        for view in model.layout.tensors { #expect(initializers.contains(view.name), "\(view.name)") }
        #expect(try graph.messages(12).map { $0.string(1) } == [model.model.scores.rawValue])
        let metadata = Dictionary(uniqueKeysWithValues: try top.messages(14).map { ($0.string(1)!, $0.string(2)!) })
        #expect(metadata["model"] == name && metadata["input_values"] != nil)
    }

    /// LeNet-1's input: the digit shrunk to 16x16 by area and centred; ink stays ink.
    @Test func lenet1ShrinksTheDigitTo16x16AndCentresIt() {
        for (from, to) in [(28, 16), (28, 28), (10, 4)] {
            let matrix = InputPreparation.shrinking(from: from, to: to)
            for i in 0..<to { #expect(abs(matrix[(i * from)..<((i + 1) * from)].reduce(0, +) - 1) < 1e-6) }
        }
        let preparation = LeNet1.inputPreparation
        var input = [Float](repeating: 0, count: 784)
        [UInt8](repeating: 255, count: 784).withUnsafeBufferPointer { pixels in
            input.withUnsafeMutableBufferPointer { preparation.prepare(pixels.baseAddress!, into: $0.baseAddress!) }
        }
        for y in 0..<28 {
            for x in 0..<28 {
                let inside = (6..<22).contains(y) && (6..<22).contains(x)
                #expect(abs(input[y * 28 + x] - (inside ? InputPreparation.ink : InputPreparation.background)) < 1e-5)
            }
        }
    }

    /// LeNet-4's S2: two maps of each C1 map, each with its own coefficient and bias.
    @Test func lenet4sSubsamplingGivesEachMapTwoCopies() {
        let layer = TrainableSubsampling("S2", prefix: "s2", maps: 4, inputHeight: 2, inputWidth: 2, copies: 2, activation: .identity)
        #expect(layer.inputCount == 8 && layer.outputCount == 4)
        let input: [Float] = [1, 2, 3, 4, 10, 20, 30, 40], parameters: [Float] = [1, 2, 3, 4, 0, 0, 0, 1]
        var output = [Float](repeating: 0, count: 4), scratch = [Float](repeating: 0, count: 1)
        input.withUnsafeBufferPointer { x in
            parameters.withUnsafeBufferPointer { p in
                output.withUnsafeMutableBufferPointer { y in
                    scratch.withUnsafeMutableBufferPointer { s in
                        layer.forward(LayerPass(batch: 1, kernels: .fast, input: x.baseAddress!, output: y.baseAddress!,
                                                parameters: p.baseAddress!, scratch: s.baseAddress!))
                    }
                }
            }
        }
        #expect(output == [10, 20, 300, 401])
    }

    /// The registry is the one list: every kind's name is unique and lowercase, and `--model`'s
    /// help names them all.
    @Test func theKindsAreOneListOfUniqueNames() {
        #expect(Set(Self.kinds).count == Self.kinds.count)
        #expect(Self.kinds.allSatisfy { $0 == $0.lowercased() && !$0.contains(" ") })
        for kind in Self.kinds { #expect(ModelKinds.names.contains(kind)) }
    }
}
