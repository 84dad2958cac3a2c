import FileFormats
import Foundation
import Testing
@testable import LeNet
import NeuralNetwork

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let goldenPath = repositoryRoot + "/Tests/LeNetTests/Fixtures/pytorch-golden.safetensors"

func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// The PyTorch golden batch made by scripts/pytorch_golden.py: one batch of 16, PyTorch's own initial weights.
struct Golden {
    let file: SafeTensorsFile
    let model: LeNet5
    let input: [Float]
    let labels: [Int32]

    init() throws {
        file = try SafeTensorsFile(contentsOf: goldenPath)
        var parameters = [Float](repeating: 0, count: LeNet5.layout.count)
        for view in LeNet5.layout.tensors {
            parameters.replaceSubrange(view.range, with: try file.floats("init." + view.name, shape: view.shape).scalars)
        }
        model = LeNet5(parameters: parameters)
        input = try file.floats("input", shape: [16, 1, 28, 28]).scalars
        labels = try file.integers("labels").values.map { Int32($0) }
    }

    func load(into workspace: NetworkWorkspace) {
        workspace.input.update(from: input, count: input.count)
        workspace.labels.update(from: labels, count: labels.count)
    }
}

@Suite struct PyTorchReferenceTests {
    @Test(arguments: [KernelChoice.fast, .naive])
    func forwardLossAndEveryGradientMatchPyTorch(kernels: KernelChoice) throws {
        let golden = try Golden()
        let workspace = NetworkWorkspace(LeNet5.network, capacity: 16, kernels: kernels)
        golden.load(into: workspace)
        let loss = golden.model.parameters.withUnsafeBufferPointer { p -> Float in
            workspace.forward(parameters: p.baseAddress!, batch: 16)
            return workspace.backward(parameters: p.baseAddress!, batch: 16, loss: .crossEntropy)
        }
        let logits = Array(UnsafeBufferPointer(start: workspace.scores, count: 160))
        let probabilities = Array(UnsafeBufferPointer(start: workspace.probabilities, count: 160))
        var report = ["logits": largestDifference(logits, try golden.file.floats("logits").scalars),
                      "probabilities": largestDifference(probabilities, try golden.file.floats("probabilities").scalars),
                      "loss": abs(loss - (try golden.file.floats("loss").scalars[0]))]
        for view in LeNet5.layout.tensors {
            let ours = Array(UnsafeBufferPointer(start: workspace.parameterGradients + view.offset, count: view.count))
            report["grad." + view.name] = largestDifference(ours, try golden.file.floats("grad." + view.name, shape: view.shape).scalars)
        }
        for (name, difference) in report.sorted(by: { $0.key < $1.key }) {
            print("PyTorch reference (\(kernels) kernels) \(name): largest difference \(difference)")
            #expect(difference <= 1e-5, "\(name)")
        }
    }

    @Test func fiveSGDStepsMatchPyTorch() throws {
        let golden = try Golden()
        let workspace = NetworkWorkspace(LeNet5.network, capacity: 16)
        golden.load(into: workspace)
        var model = golden.model
        var optimizer = StochasticGradientDescent(parameterCount: LeNet5.layout.count, learningRate: 0.01, momentum: 0.9)
        var losses: [Float] = []
        model.parameters.withUnsafeMutableBufferPointer { p in
            for _ in 0..<5 {
                workspace.forward(parameters: p.baseAddress!, batch: 16)
                losses.append(workspace.backward(parameters: p.baseAddress!, batch: 16, loss: .crossEntropy))
                optimizer.step(parameters: p.baseAddress!, gradients: workspace.parameterGradients)
            }
        }
        let lossDifference = largestDifference(losses, try golden.file.floats("sgd.losses").scalars)
        print("PyTorch reference sgd.losses: ours \(losses), largest difference \(lossDifference)")
        #expect(lossDifference <= 1e-5)
        for view in LeNet5.layout.tensors {
            let difference = largestDifference(Array(model.parameters[view.range]),
                                               try golden.file.floats("sgd.after5." + view.name, shape: view.shape).scalars)
            print("PyTorch reference sgd.after5.\(view.name): largest difference \(difference)")
            #expect(difference <= 1e-5, "\(view.name)")
        }
    }

    @Test func aCheckpointTrainedByPyTorchEvaluatesToPyTorchsAccuracyAndLogits() throws {
        let fixtures = repositoryRoot + "/Tests/LeNetTests/Fixtures/"
        let file = try SafeTensorsFile(contentsOf: fixtures + "pytorch-trained.safetensors")
        let model = try LeNet5(safeTensors: file)
        let expected = try NumPyArray.read(fixtures + "pytorch-trained-logits.npy")
        let test = try loadMNIST(.test)
        let evaluation = Evaluator.evaluate(model, on: test)
        // PyTorch's accuracy, as recorded in the fixture's metadata by scripts/pytorch_fixture.py.
        let about = file.metadata["about"] ?? ""
        let pytorchCorrect = Int(about.split(separator: " ").last ?? "") ?? -1
        let pytorchPredictions = (0..<10_000).map { n in
            (0..<10).max { expected.scalars[n * 10 + $0] < expected.scalars[n * 10 + $1] }!
        }
        let difference = largestDifference(evaluation.logits, expected.scalars)
        print("PyTorch-trained checkpoint: \(evaluation.accuracyLine); PyTorch: \(pytorchCorrect) correct; logits largest difference \(difference)")
        #expect(evaluation.correct == pytorchCorrect)
        #expect(evaluation.predictions == pytorchPredictions)
        #expect(difference <= 1e-4)
    }
}
