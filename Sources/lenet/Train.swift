import ArgumentParser
import Datasets
import Foundation
import LeNet
import Runs

struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train LeNet-5 on MNIST with the write-up's recipe (or the paper's), then evaluate it.",
        discussion: """
            Prints the write-up's log ('[0.0005, 1,   100] loss: 2.234' every 100 batches), then 'Finished Training', the test accuracy line, the first 10 matches and mismatches. Writes into the run folder: model.safetensors (PyTorch's state_dict names; loads with safetensors.torch.load_file), history.json (the loss log), the 20 example images as PNG, and report.md, report.html (charts, every misclassified image, the confidence analysis) and metrics.json.\n\nOn a terminal a progress bar shows the epoch, batch, running loss, images per second and time left; piped or in CI only the log lines are printed.

            The same seed gives bit-identical weights on every run.

            Examples:
              lenet train                                  the full 20-epoch recipe
              lenet train --schedule 1x0.0005 --seed 3     one epoch
              lenet train --recipe modern                  the same network, today's way
              lenet train --limit 2000 --schedule 5x0.01   a quick look: 2,000 images, 94%
              lenet train --model lenet5-1998              the paper's model and recipe
              lenet train --model lenet4                   the paper's LeNet-4 (or lenet1)
              lenet train --optimizer sdlm --passes 1      the paper's optimizer, one pass
            """)

    @OptionGroup(title: "Data") var dataOptions: DataOptions
    @OptionGroup(title: "Model and optimizer") var modelOptions: ModelOptions
    @OptionGroup(title: "SGD with momentum (the write-up's recipe)") var gradientDescent: GradientDescentOptions
    @OptionGroup(title: "Stochastic diagonal Levenberg-Marquardt (the paper's recipe)") var levenbergMarquardt: LevenbergMarquardtOptions
    @OptionGroup(title: "The 1998 model") var paperModel: PaperModelOptions
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var outputOptions: OutputOptions

    @Option(help: ArgumentHelp("Train on the first N training images only (default: all).", valueName: "N"))
    var limit: Int?

    @Option(help: ArgumentHelp("The run folder for the model, images and reports (default: ./runs/<date-time>).", valueName: "folder"))
    var output: String?

    @Option(help: ArgumentHelp("Also write the test scores (logits or penalties) as a NumPy float32 array [10000, 10].", valueName: "file.npy"))
    var logits: String?

    @Option(name: .customLong("checkpoint-every"), help: ArgumentHelp("Also save the resumable state (resume.safetensors) every N batches (sdlm: at the start of every Nth pass). Ctrl-C or SIGTERM always saves it.", valueName: "N"))
    var checkpointEvery: Int?

    @Option(help: ArgumentHelp("Continue an interrupted run from its folder (or its resume.safetensors); the model, optimizer, recipe and data come from it, and the final weights are bit-identical to an uninterrupted run's (an sdlm run restarts the pass it was stopped in).", valueName: "run"))
    var resume: String?

    func validate() throws {
        if let limit, limit <= 0 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if let checkpointEvery, checkpointEvery <= 0 { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
        // Options of one model or optimizer given with the other would be silently ignored: say so instead.
        let kind = modelOptions.kind, logits = kind.network(outputs: 10)?.scores == .logits
        if !logits, gradientDescent.recipe == .modern {
            throw ValidationError("--recipe modern trains a network with logits; \(kind.kind) keeps the paper's loss and RBF output")
        }
        if logits, !paperModel.lossGiven.isEmpty {
            throw ValidationError("\(paperModel.lossGiven.joined(separator: ", ")) only apply to a model with RBF outputs (--model lenet5-1998)")
        }
        if !kind.startsAsThePaper, paperModel.initialization != nil {
            throw ValidationError("--initialization only applies to the paper's models; \(kind.kind) starts as PyTorch does")
        }
        if modelOptions.optimizerChoice == .sgd, !levenbergMarquardt.given.isEmpty {
            throw ValidationError("\(levenbergMarquardt.given.joined(separator: ", ")) only apply to --optimizer sdlm")
        }
        if modelOptions.optimizerChoice == .sdlm, !gradientDescent.given.isEmpty {
            throw ValidationError("\(gradientDescent.given.joined(separator: ", ")) only apply to --optimizer sgd (the Levenberg-Marquardt recipe is fixed by the paper)")
        }
        if resume != nil {
            let chosen = [("--model", modelOptions.model != nil), ("--optimizer", modelOptions.optimizer != nil), ("--seed", modelOptions.seed != nil),
                          ("--limit", limit != nil), ("--output", output != nil), ("--dataset", dataOptions.dataset != nil)].filter(\.1).map(\.0)
                + gradientDescent.given + levenbergMarquardt.given + paperModel.given
            if !chosen.isEmpty {
                throw ValidationError("\(chosen.joined(separator: ", ")) cannot be used with --resume: the model, recipe, data and run folder come from the checkpoint")
            }
        }
    }

    func run() async throws {
        let outcome = try await reportingErrors { () async throws -> TrainingRun.Outcome in
            if let resume { return try await resumeRun(resume) }
            let kind = modelOptions.kind, model = kind.kind, optimizer = modelOptions.optimizerChoice, seed = modelOptions.seed ?? 0
            let dataset = dataOptions.dataset ?? "mnist"
            var train = try await dataOptions.load(.train)
            if let limit { train = train.prefix(limit) }
            let test = try await dataOptions.load(.test)
            try TrainingRun.check(train, model: model, dataset: dataset)
            var options: [String: String] = [:]
            if kind.startsAsThePaper { options[MetadataKey.initialization] = paperModel.rule.rawValue }
            if optimizer == .sdlm {
                options[MetadataKey.etaScale] = "\(levenbergMarquardt.etaScale ?? LevenbergMarquardtOptions.defaultEtaScale)"
                options[MetadataKey.passes] = String(levenbergMarquardt.passes ?? PaperRecipe.paperSchedule.count)
            }
            let method: TrainingMethod = optimizer == .sgd
                ? .gradientDescent(try gradientDescent.recipe(seed: seed, dataset: dataset),
                                   loss: kind.network(outputs: train.classCount)?.scores == .penalties ? paperModel.paperLoss : nil)
                : .levenbergMarquardt(levenbergMarquardt.recipe(seed: seed, loss: paperModel.paperLoss))
            let settings = RunSettings(model: model, method: method, dataset: dataset, dataRoot: dataOptions.data, trainingImages: train.count,
                                       classNames: train.classNames, options: options)
            return try TrainingRun(settings: settings, folder: output ?? RunFolder.newPath(), threads: threadOptions.threads,
                                   checkpointEvery: checkpointEvery, logitsPath: logits, output: outputOptions.verbosity,
                                   initialization: paperModel.rule).run(train: train, test: test)
        }
        if case .interrupted = outcome { throw ExitCode(130) }
    }

    /// Goes on with a stopped run: its settings, data and folder come from its resume file.
    func resumeRun(_ resume: String) async throws -> TrainingRun.Outcome {
        let path = TrainingRun.resumeFile(resume)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandError("\(path): no such file; a run that finished has nothing to resume, and one that was interrupted left \(RunCheckpoint.fileName) in its folder")
        }
        let checkpoint = try RunCheckpoint.load(path)
        let settings = checkpoint.settings, data = dataOptions.with(root: settings.dataRoot)
        let train = try await data.load(.train, fallback: settings.dataset).prefix(settings.trainingImages)
        let test = try await data.load(.test, fallback: settings.dataset)
        try TrainingRun.check(train, model: settings.model, dataset: settings.dataset)
        return try TrainingRun(settings: settings, folder: TrainingRun.folder(of: path), threads: threadOptions.threads, checkpointEvery: checkpointEvery,
                               logitsPath: logits, output: outputOptions.verbosity).run(train: train, test: test, resuming: checkpoint)
    }
}
