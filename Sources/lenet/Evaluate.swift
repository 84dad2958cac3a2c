import ArgumentParser
import Datasets
import Foundation
import LeNet
import NeuralNetwork
import Support

struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint on the 10,000 MNIST test images.",
        discussion: """
            Any safetensors file with PyTorch's state_dict names and shapes works (conv1.weight [6,1,5,5], conv1.bias [6], conv2.weight [16,6,5,5], ..., fc3.bias [10]): ours, or one saved from the write-up's PyTorch model with safetensors.torch.save_file(net.state_dict(), FILE).

            Examples:
              lenet evaluate                                          the newest run's model
              lenet evaluate --checkpoint net.safetensors --logits logits.npy
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: ArgumentHelp("The model to evaluate (default: the newest runs/*/model.safetensors).", valueName: "file"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("Where to save the 20 example images (default: the checkpoint's folder).", valueName: "folder"))
    var output: String?

    @Option(help: ArgumentHelp("Also write the test logits as a NumPy float32 array [10000, 10].", valueName: "file.npy"))
    var logits: String?

    func run() async throws {
        try await reportingErrors {
            guard let path = checkpoint ?? RunFolder.latestCheckpoint() else {
                throw CommandError("no checkpoint given and none found under ./runs/: train one with `lenet train` or pass --checkpoint FILE")
            }
            // The model kind comes from the checkpoint's metadata; files without one (PyTorch's) are the write-up's.
            let file = try SafeTensorsFile(contentsOf: path)
            let kind = file.metadata["model"] ?? LeNet5.kind
            let test = try await dataOptions.load(.test)
            let folder = output ?? (path as NSString).deletingLastPathComponent
            try RunFolder.prepare(folder.isEmpty ? "." : folder)
            print("Evaluating \(path) (\(kind))")
            let evaluation: Evaluation
            switch kind {
            case LeNet5.kind:
                evaluation = Evaluator.evaluate(try LeNet5(safeTensors: file), on: test, threads: threadOptions.threads)
            case LeNet1998.kind:
                evaluation = LeNet1998Trainer.evaluate(try LeNet1998(safeTensors: file), on: test, threads: threadOptions.threads)
            default:
                throw CommandError("\(path): unknown model kind '\(kind)' in the metadata; expected \(LeNet5.kind) or \(LeNet1998.kind)")
            }
            try Report.printEvaluation(evaluation, test: test, folder: folder.isEmpty ? "." : folder, logitsPath: logits)
        }
    }
}
