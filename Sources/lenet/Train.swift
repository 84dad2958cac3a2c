import ArgumentParser
import Datasets
import Foundation
import Imaging
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

    @Option(help: ArgumentHelp("The model: lenet5 (the write-up's) or lenet5-1998 (the paper's, trained by stochastic diagonal Levenberg-Marquardt).", valueName: "kind"))
    var model: ModelKind = .lenet5

    @Option(help: ArgumentHelp("lenet5-1998 only: the loss, mse (eq. 8) or map (eq. 9).", valueName: "loss"))
    var loss: PaperLossOption = .mse

    @Option(name: .customLong("map-j"), help: ArgumentHelp("lenet5-1998 with --loss map: the constant j of eq. 9 (the paper gives no value).", valueName: "j"))
    var mapJ: Float = 5

    @Option(help: ArgumentHelp("lenet5-1998 only: run the first N of the paper's 20 passes.", valueName: "N"))
    var passes: Int = 20

    @Flag(help: ArgumentHelp("lenet5-1998 only: add random affine distortions (translation ±2 px, scaling and squeezing 0.9-1.1, horizontal shear ±0.2): 9N/20 distorted patterns per pass beside the N originals. Saves distortions.png in the run folder."))
    var distort = false

    @Option(name: .customLong("eta-scale"), help: ArgumentHelp("lenet5-1998 only: multiply the paper's eta schedule by this factor.", valueName: "factor"))
    var etaScale: Float = 1

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
        // Options of one model given with the other would be silently ignored: say so instead.
        let paperOnly = [("--loss", loss != .mse), ("--map-j", mapJ != 5), ("--passes", passes != 20),
                         ("--distort", distort), ("--eta-scale", etaScale != 1)].filter(\.1).map(\.0)
        let writeupOnly = [("--schedule", schedule != Recipe.formatSchedule(Recipe.writeupSchedule)), ("--batch-size", batchSize != 64),
                           ("--momentum", momentum != 0.9), ("--log-interval", logInterval != 100)].filter(\.1).map(\.0)
        if model == .lenet5, !paperOnly.isEmpty {
            throw ValidationError("\(paperOnly.joined(separator: ", ")) only apply to --model lenet5-1998")
        }
        if model == .lenet5_1998, !writeupOnly.isEmpty {
            throw ValidationError("\(writeupOnly.joined(separator: ", ")) only apply to --model lenet5 (the 1998 recipe is fixed by the paper)")
        }
        guard etaScale > 0, etaScale.isFinite else { throw ValidationError("--eta-scale must be a positive number, got \(etaScale)") }
    }

    func run() async throws {
        if model == .lenet5_1998 { return try await runPaper() }
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

enum ModelKind: String, ExpressibleByArgument, CaseIterable {
    case lenet5 = "lenet5"
    case lenet5_1998 = "lenet5-1998"
}

enum PaperLossOption: String, ExpressibleByArgument, CaseIterable {
    case mse
    case map
}

extension Train {
    /// The 1998 paper's model and recipe: per-pass training and test error (the paper's Fig. 5),
    /// saved as curve.json beside the checkpoint.
    func runPaper() async throws {
        try await reportingErrors {
            guard (1...PaperRecipe.paperSchedule.count).contains(passes) else {
                throw CommandError("--passes must be between 1 and \(PaperRecipe.paperSchedule.count), got \(passes)")
            }
            var train = try await dataOptions.load(.train)
            if let limit { train = train.prefix(limit) }
            let test = try await dataOptions.load(.test)
            let folder = output ?? RunFolder.newPath()
            try RunFolder.prepare(folder)
            let paperLoss: PaperLoss = loss == .mse ? .meanSquaredError : .maximumAPosteriori(j: mapJ)
            let recipe = PaperRecipe(learningRates: PaperRecipe.paperSchedule.prefix(passes).map { $0 * etaScale }, loss: paperLoss,
                                     seed: seed, distortion: distort ? AffineDistortion() : nil)
            if let distortion = recipe.distortion {
                let picture = (folder as NSString).appendingPathComponent("distortions.png")
                try PNG.write(distortion.gallery(of: train, seed: seed), to: picture)
                print("Distortions: \(recipe.distortedPerPass(train.count)) per pass; examples in \(picture)")
            }
            var network = LeNet1998(seed: seed)
            print("LeNet-5 (1998): \(passes) passes of stochastic diagonal Levenberg-Marquardt on \(train.count) patterns, loss \(paperLoss)")
            let start = MonotonicClock.now()
            let records = LeNet1998Trainer.train(&network, on: train, test: test, recipe: recipe, threads: threadOptions.threads) { record in
                print(String(format: "pass %2d  eta %-8@ train error %5.2f%%  test error %5.2f%%  loss %.4f  steps %.2g..%.2g  (%.1f s)",
                             record.pass, PythonFormat.repr(Double("\(record.learningRate)") ?? 0), 100 * record.trainError,
                             100 * record.testError, record.meanLoss, record.smallestStep, record.largestStep, record.seconds))
                fflush(nil)
            }
            let seconds = MonotonicClock.now() - start
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try Files.writeAtomically(Array(try encoder.encode(records)), to: (folder as NSString).appendingPathComponent("curve.json"))
            let evaluation = LeNet1998Trainer.evaluate(network, on: test, threads: threadOptions.threads)
            let checkpoint = (folder as NSString).appendingPathComponent("model.safetensors")
            try network.save(to: checkpoint, metadata: [
                "seed": String(seed), "passes": String(passes), "loss": paperLoss.description,
                "training_images": String(train.count), "test_accuracy": String(format: "%.4f", evaluation.accuracy),
            ])
            try Report.printEvaluation(evaluation, test: test, folder: folder, logitsPath: logits)
            print(String(format: "Trained in %.1f s. Model: %@; the error curve: %@/curve.json", seconds, checkpoint, folder))
        }
    }
}
