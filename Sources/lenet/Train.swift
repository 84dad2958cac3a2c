import ArgumentParser
import Datasets
import Foundation
import LeNet
import NeuralNetwork
import Support

struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train LeNet-5 on MNIST with the write-up's recipe, then evaluate it.",
        discussion: """
            Prints the write-up's log ('[0.0005, 1,   100] loss: 2.145' every 100 batches), then 'Finished Training', the test accuracy line, the first 10 matches and mismatches. Writes into the run folder: model.safetensors (PyTorch's state_dict names; loads with safetensors.torch.load_file), and the 20 example images as PNG.

            The same seed gives bit-identical weights on every run.

            Examples:
              lenet train                                  the full 20-epoch recipe
              lenet train --schedule 1x0.0005 --seed 3     one epoch
              lenet train --limit 2000 --schedule 1x0.001  a quick look on 2,000 images
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var threadOptions: ThreadOptions

    @Option(help: ArgumentHelp(
        "The learning-rate schedule: EPOCHSxRATE phases, comma-separated, each with a fresh optimizer.",
        valueName: "phases"))
    var schedule: String = Recipe.formatSchedule(Recipe.writeupSchedule)

    @Option(name: .customLong("batch-size"), help: "Images per batch; the last partial batch of an epoch is kept.")
    var batchSize: Int = 64

    @Option(help: "SGD momentum (PyTorch's rule: buf = momentum*buf + grad; param -= lr*buf).")
    var momentum: Float = 0.9

    @Option(help: "Seed of the initial weights and of the shuffle of every epoch.")
    var seed: UInt64 = 0

    @Option(name: .customLong("log-interval"), help: "Print the running loss every this many batches.")
    var logInterval: Int = 100

    @Option(help: ArgumentHelp("Train on the first N training images only (default: all 60,000).", valueName: "N"))
    var limit: Int?

    @Option(help: ArgumentHelp("The run folder for the model and images (default: ./runs/<date-time>).", valueName: "folder"))
    var output: String?

    @Option(help: ArgumentHelp("Also write the test logits as a NumPy float32 array [10000, 10].", valueName: "file.npy"))
    var logits: String?

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard logInterval > 0 else { throw ValidationError("--log-interval must be at least 1, got \(logInterval)") }
        guard momentum >= 0, momentum.isFinite else { throw ValidationError("--momentum must be a finite number >= 0, got \(momentum)") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        do { _ = try Recipe.parseSchedule(schedule) } catch { throw ValidationError("--schedule: \(error.description)") }
    }

    func run() async throws {
        try await reportingErrors {
            let recipe = Recipe(schedule: try Recipe.parseSchedule(schedule), batchSize: batchSize, momentum: momentum,
                                seed: seed, logInterval: logInterval)
            var train = try await dataOptions.load(.train)
            if let limit { train = train.prefix(limit) }
            let test = try await dataOptions.load(.test)
            // Before the long part: a folder that cannot be written is an error now, not after training.
            let folder = output ?? RunFolder.newPath()
            try RunFolder.prepare(folder)

            var model = LeNet5(seed: seed)
            let summary = Trainer(recipe: recipe, threads: threadOptions.threads).train(&model, on: train) { event in
                if case .runningLoss(let rate, let epoch, let batch, let loss) = event {
                    print(PythonFormat.lossLine(learningRate: rate, epoch: epoch, batch: batch, loss: loss))
                    fflush(nil)
                }
            }
            print("Finished Training")
            let evaluation = Evaluator.evaluate(model, on: test, threads: threadOptions.threads)
            let checkpoint = (folder as NSString).appendingPathComponent("model.safetensors")
            try model.save(to: checkpoint, metadata: [
                "seed": String(seed), "schedule": Recipe.formatSchedule(recipe.schedule),
                "batch_size": String(batchSize), "momentum": "\(momentum)", "training_images": String(train.count),
                "test_accuracy": String(format: "%.4f", evaluation.accuracy),
            ])
            try Report.printEvaluation(evaluation, test: test, folder: folder, logitsPath: logits)
            print(String(format: "Trained on %d images in %.1f s (%.0f images/s). Model: %@",
                         summary.images, summary.seconds, summary.imagesPerSecond, checkpoint))
        }
    }
}

enum RunFolder {
    /// `./runs/<date>T<time>`, unique.
    static func newPath() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
        var path = "runs/" + formatter.string(from: Date())
        var suffix = 2
        while FileManager.default.fileExists(atPath: path) {
            path = "runs/" + formatter.string(from: Date()) + "-\(suffix)"
            suffix += 1
        }
        return path
    }

    /// Creates the folder and checks it can be written, before any long work starts.
    static func prepare(_ folder: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
            throw FileError(path: folder, reason: "expected an output folder, found a file")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            // Name the part of the path that is in the way.
            var ancestor = (folder as NSString).deletingLastPathComponent
            while !ancestor.isEmpty, !FileManager.default.fileExists(atPath: ancestor) {
                ancestor = (ancestor as NSString).deletingLastPathComponent
            }
            let place = ancestor.isEmpty ? "." : ancestor
            throw FileError(path: folder, reason: "cannot create the output folder: \(place) does not allow creating folders in it")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw FileError(path: folder, reason: "the output folder is not writable")
        }
    }

    /// The newest `runs/*/model.safetensors`, if any.
    static func latestCheckpoint() -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "runs") else { return nil }
        return names.sorted(by: >).lazy.map { "runs/\($0)/model.safetensors" }
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}

enum Report {
    /// Prints the accuracy line and the first 10 matches and mismatches, saves their images and,
    /// when asked, the logits.
    static func printEvaluation(_ evaluation: Evaluation, test: LabeledImages, folder: String, logitsPath: String?) throws {
        print(evaluation.accuracyLine)
        let incorrect = evaluation.firstIncorrect(10), correct = evaluation.firstCorrect(10)
        for example in incorrect { print(example.line) }
        for example in correct { print(example.line) }
        let paths = try Evaluator.saveImages(incorrect + correct, from: test, into: folder)
        print("Saved \(paths.count) images to \(folder)/")
        if let logitsPath {
            try NumPyArray.write(evaluation.logitsTensor, to: logitsPath)
            print("Saved the logits [\(evaluation.count), \(evaluation.classCount)] to \(logitsPath)")
        }
    }
}
