import ArgumentParser
import Datasets
import Foundation
import LeNet
import Runs
import NeuralNetwork
import Support

struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint on the 10,000 MNIST test images and write the reports.",
        usage: "lenet evaluate [--checkpoint <model>] [--output <folder>] [<options>]",
        discussion: """
            Without --checkpoint, the model shipped in models/ is evaluated. Any safetensors file with PyTorch's state_dict names and shapes works (conv1.weight [6,1,5,5], conv1.bias [6], conv2.weight [16,6,5,5], ..., fc3.bias [10]): ours, or one saved from the write-up's PyTorch model with safetensors.torch.save_file(net.state_dict(), FILE). The 1998 model's checkpoints are recognised by their metadata.

            Writes the 20 example images, report.md, report.html and metrics.json into the checkpoint's run folder (a new runs/<date-time>-evaluate folder for the shipped model), or --output.

            Examples:
              lenet evaluate                           the shipped model
              lenet evaluate --checkpoint latest       the newest run's model
              lenet evaluate --checkpoint net.safetensors --logits logits.npy
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var outputOptions: OutputOptions

    @Option(help: ArgumentHelp("The model to evaluate: \(ShippedModel.choices).", valueName: "model"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("Where to write the images and reports (default: the checkpoint's folder).", valueName: "folder"))
    var output: String?

    @Option(help: ArgumentHelp("Also write the test logits as a NumPy float32 array [10000, 10].", valueName: "file.npy"))
    var logits: String?

    func run() async throws {
        try await reportingErrors {
            let (path, shipped) = try ShippedModel.resolve(checkpoint)
            let (model, metadata) = try AnyLeNet.load(path)
            let reader = Reader(model: model, metadata: metadata, checkpoint: path)
            let test = try await dataOptions.load(.test, fallback: metadata[MetadataKey.dataset], confidence: reader.confidence)
            guard test.classCount == model.classes else {
                throw CommandError("\(path) tells \(model.classes) classes apart but the test set (\(dataOptions.dataset ?? metadata[MetadataKey.dataset] ?? "mnist")) has \(test.classCount); pass the --dataset it was trained on")
            }
            var folder = output ?? (shipped != nil ? RunFolder.newPath(suffix: "-evaluate") : (path as NSString).deletingLastPathComponent)
            if folder.isEmpty { folder = "." }
            try RunFolder.prepare(folder)
            if !outputOptions.quiet { print("Evaluating \(path) (\(model.kind))") }
            let bar = ProgressBar(quiet: outputOptions.quiet)
            let evaluation = model.evaluate(test, threads: threadOptions.threads) { done in
                bar.update(label: "evaluating", done: done, total: test.count, details: "")
            }
            bar.clear()
            try ReportFiles.write(.evaluation, evaluation, test: test, folder: folder, logitsPath: logits,
                                  about: ReportFiles.about(kind: model.kind, checkpoint: path, metadata: metadata),
                                  curve: ReportFiles.curve(besides: path), output: outputOptions.verbosity)
        }
    }
}
