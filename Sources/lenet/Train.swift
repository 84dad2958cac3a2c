import ArgumentParser
import Datasets
import Foundation
import Imaging
import LeNet
import NeuralNetwork
import Reports
import Support

struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train LeNet-5 on MNIST with the write-up's recipe, then evaluate it.",
        discussion: """
            Prints the write-up's log ('[0.0005, 1,   100] loss: 2.145' every 100 batches), then 'Finished Training', the test accuracy line, the first 10 matches and mismatches. Writes into the run folder: model.safetensors (PyTorch's state_dict names; loads with safetensors.torch.load_file), history.json (the loss log), the 20 example images as PNG, and report.md, report.html (charts, every misclassified image, the confidence analysis) and metrics.json.\n\nOn a terminal a progress bar shows the epoch, batch, running loss, images per second and time left; piped or in CI only the log lines are printed.

            The same seed gives bit-identical weights on every run.

            Examples:
              lenet train                                  the full 20-epoch recipe
              lenet train --schedule 1x0.0005 --seed 3     one epoch
              lenet train --limit 2000 --schedule 1x0.001  a quick look on 2,000 images
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var outputOptions: OutputOptions

    @Option(help: ArgumentHelp("The model: lenet5 (the write-up's) or lenet5-1998 (the paper's).", valueName: "kind"))
    var model: ModelKind = .lenet5

    @Option(help: ArgumentHelp("The optimizer: sgd (SGD with momentum over batches, the write-up's schedule; lenet5's default) or sdlm (the paper's stochastic diagonal Levenberg-Marquardt, one pattern at a time, its 20-pass schedule; lenet5-1998's default). Either trains either model.", valueName: "name"))
    var optimizer: OptimizerKind?

    @Option(help: ArgumentHelp("lenet5-1998 only: the loss, mse (eq. 8) or map (eq. 9).", valueName: "loss"))
    var loss: PaperLossOption = .mse

    @Option(name: .customLong("map-j"), help: ArgumentHelp("lenet5-1998 with --loss map: the constant j of eq. 9 (the paper gives no value).", valueName: "j"))
    var mapJ: Float = 5

    @Option(help: ArgumentHelp("sdlm only: run the first N of the paper's 20 passes.", valueName: "N"))
    var passes: Int = 20

    @Flag(help: ArgumentHelp("sdlm only: add random affine distortions (translation ±2 px, scaling and squeezing 0.9-1.1, horizontal shear ±0.2): 9N/20 distorted patterns per pass beside the N originals. Saves distortions.png in the run folder."))
    var distort = false

    @Option(help: ArgumentHelp("lenet5-1998 only: the initial weights, uniform in ±2.4/sqrt(F) (sqrt-fan-in, the default) or ±2.4/F (fan-in, as the paper prints it, which diverges at the paper's eta here; see the README).", valueName: "rule"))
    var initialization: InitializationOption?

    @Option(name: .customLong("eta-scale"), help: ArgumentHelp("sdlm only: multiply the paper's eta schedule by this factor (default 0.5; 1 is the paper's).", valueName: "factor"))
    var etaScale: Float?

    /// The 1998 recipe's measured defaults (README: "The 1998 LeNet-5").
    static let defaultEtaScale: Float = 0.5
    static let defaultInitialization = InitializationOption.sqrtFanIn

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

    @Option(name: .customLong("checkpoint-every"), help: ArgumentHelp("Also save the resumable state (resume.safetensors) every N batches (lenet5-1998: at the start of every Nth pass). Ctrl-C or SIGTERM always saves it.", valueName: "N"))
    var checkpointEvery: Int?

    @Option(help: ArgumentHelp("Continue an interrupted run from its folder (or its resume.safetensors); the model, recipe and data come from it, and the final weights are bit-identical to an uninterrupted run (a 1998 run restarts the pass it was stopped in).", valueName: "run"))
    var resume: String?

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard logInterval > 0 else { throw ValidationError("--log-interval must be at least 1, got \(logInterval)") }
        guard momentum >= 0, momentum.isFinite else { throw ValidationError("--momentum must be a finite number >= 0, got \(momentum)") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        do { _ = try Recipe.parseSchedule(schedule) } catch { throw ValidationError("--schedule: \(error.description)") }
        // Options of one model or optimizer given with the other would be silently ignored: say so instead.
        let paperModelOnly = [("--loss", loss != .mse), ("--map-j", mapJ != 5),
                              ("--initialization", initialization != nil)].filter(\.1).map(\.0)
        let levenbergMarquardtOnly = [("--passes", passes != 20), ("--distort", distort), ("--eta-scale", etaScale != nil)].filter(\.1).map(\.0)
        let gradientDescentOnly = [("--schedule", schedule != Recipe.formatSchedule(Recipe.writeupSchedule)), ("--batch-size", batchSize != 64),
                                   ("--momentum", momentum != 0.9), ("--log-interval", logInterval != 100)].filter(\.1).map(\.0)
        if model == .lenet5, !paperModelOnly.isEmpty {
            throw ValidationError("\(paperModelOnly.joined(separator: ", ")) only apply to --model lenet5-1998")
        }
        if optimizerChoice == .sgd, !levenbergMarquardtOnly.isEmpty {
            throw ValidationError("\(levenbergMarquardtOnly.joined(separator: ", ")) only apply to --optimizer sdlm")
        }
        if optimizerChoice == .sdlm, !gradientDescentOnly.isEmpty {
            throw ValidationError("\(gradientDescentOnly.joined(separator: ", ")) only apply to --optimizer sgd (the Levenberg-Marquardt recipe is fixed by the paper)")
        }
        if let etaScale, !(etaScale > 0 && etaScale.isFinite) { throw ValidationError("--eta-scale must be a positive number, got \(etaScale)") }
        if let checkpointEvery, checkpointEvery <= 0 { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
        if resume != nil, model == .lenet5_1998 || optimizer != nil {
            throw ValidationError("--resume takes the model and optimizer from the checkpoint: leave out --model and --optimizer")
        }
        if resume != nil {
            let recipeOptions = [("--schedule", schedule != Recipe.formatSchedule(Recipe.writeupSchedule)), ("--batch-size", batchSize != 64),
                                 ("--momentum", momentum != 0.9), ("--log-interval", logInterval != 100), ("--seed", seed != 0),
                                 ("--limit", limit != nil), ("--output", output != nil),
                                 ("--dataset", dataOptions.dataset != nil)].filter(\.1).map(\.0)
            if !recipeOptions.isEmpty {
                throw ValidationError("\(recipeOptions.joined(separator: ", ")) cannot be used with --resume: the recipe, data and run folder come from the checkpoint")
            }
        }
    }

    /// `--loss` and `--map-j`: the 1998 model's loss.
    var paperLoss: PaperLoss { loss == .mse ? .meanSquaredError : .maximumAPosteriori(j: mapJ) }

    /// `--optimizer`, or the model's own.
    var optimizerChoice: OptimizerKind { optimizer ?? (model == .lenet5 ? .sgd : .sdlm) }

    func run() async throws {
        // A Levenberg-Marquardt run's state resumes with its own loop.
        if let resume {
            let path = Self.resumeFile(resume)
            if FileManager.default.fileExists(atPath: path), (try? SafeTensorsFile(contentsOf: path))?.metadata["resume_pass"] != nil {
                let folder = (path as NSString).deletingLastPathComponent
                let checkpoint = try await reportingErrors { try PaperResumeCheckpoint.load(path) }
                return try await runPaper(resumed: checkpoint, resumeFolder: folder.isEmpty ? "." : folder)
            }
        }
        if optimizerChoice == .sdlm { return try await runPaper() }
        try await reportingErrors {
            // A resumed run takes its recipe, data, folder, weights, optimizer and log from the checkpoint.
            var resumed: ResumeCheckpoint?
            var folder = output ?? RunFolder.newPath()
            if let resume {
                let path = Self.resumeFile(resume)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw CommandError("\(path): no such file; a run that finished has nothing to resume, and one that was interrupted left \(ResumeCheckpoint.fileName) in its folder")
                }
                resumed = try ResumeCheckpoint.load(path)
                folder = (path as NSString).deletingLastPathComponent
                if folder.isEmpty { folder = "." }
            }
            let recipe = try resumed?.recipe ?? Recipe(schedule: try Recipe.parseSchedule(schedule), batchSize: batchSize, momentum: momentum,
                                                       seed: seed, logInterval: logInterval)
            let dataOptions = resumed.map { self.dataOptions.with(root: $0.dataRoot) } ?? self.dataOptions
            let datasetName = resumed?.dataset ?? dataOptions.dataset ?? "mnist"
            var train = try await dataOptions.load(.train, fallback: resumed?.dataset)
            if let count = resumed?.trainingImages ?? limit { train = train.prefix(count) }
            let test = try await dataOptions.load(.test, fallback: resumed?.dataset)
            let kind = resumed?.model.kind ?? model.rawValue
            if kind == LeNet1998.kind { try Self.checkDigits(train, dataset: datasetName) }
            guard train.rows == 28, train.columns == 28 else {
                throw CommandError("the write-up's LeNet-5 takes 28x28 images; \(datasetName) has \(train.rows)x\(train.columns)")
            }
            let paperLoss: PaperLoss? = if let resumed { resumed.loss } else { kind == LeNet1998.kind ? self.paperLoss : nil }
            // Before the long part: a folder that cannot be written, or a full disk, is an error now.
            try RunFolder.prepare(folder)
            try RunFolder.checkFreeSpace(folder, needed: 20 << 20)

            let quiet = outputOptions.quiet, verbose = outputOptions.verbose
            let bar = ProgressBar(quiet: quiet)
            var history = resumed?.history ?? TrainingHistory(schedule: recipe.schedule)
            let batchesPerEpoch = (train.count + recipe.batchSize - 1) / recipe.batchSize
            let totalBatches = batchesPerEpoch * recipe.totalEpochs
            var batchesDone = resumed.map { $0.state.epochsDone * batchesPerEpoch + $0.state.batch } ?? 0
            let batchesAtStart = batchesDone
            var imagesDone = 0, windowLoss = 0.0, windowBatches = 0
            let start = MonotonicClock.now()
            let initial = resumed?.model ?? AnyLeNet.initial(kind: kind, seed: recipe.seed, classes: train.classCount,
                                                             initialization: (initialization ?? Self.defaultInitialization).rule)
            let resumePath = (folder as NSString).appendingPathComponent(ResumeCheckpoint.fileName)
            if let resumed {
                print("Resuming \(folder) at phase \(resumed.state.phase + 1), epoch \(resumed.state.epochInPhase), batch \(resumed.state.batch) of \(batchesPerEpoch)")
            }
            let stop = StopSignal()
            var saveError: Error?
            let control = TrainingControl(resuming: resumed?.state, checkpointEvery: checkpointEvery, checkpoint: { state, parameters in
                do {
                    try ResumeCheckpoint(model: initial.replacingParameters(parameters), state: state, recipe: recipe,
                                         trainingImages: train.count, dataRoot: dataOptions.data, dataset: datasetName,
                                         history: history, loss: paperLoss).save(to: resumePath)
                    if verbose { bar.line("Saved \(resumePath) (epoch \(state.epochsDone + 1), batch \(state.batch))") }
                } catch { saveError = error }
            }, shouldStop: { stop.requested })
            stop.install()
            let trainer = Trainer(recipe: recipe, threads: threadOptions.threads, loss: paperLoss.map { .penalty($0) })
            func fit<Model: LayeredModel>(_ start: Model, onEvent: (TrainingEvent) -> Void) -> (AnyLeNet, TrainingSummary) {
                var model = start
                let summary = trainer.train(&model, on: train, control: control, onEvent: onEvent)
                return (initial.replacingParameters(model.parameters), summary)
            }
            let (model, summary) = fit(initial.model) { event in
                history.record(event, batchesPerEpoch: batchesPerEpoch)
                switch event {
                case .runningLoss(let rate, let epoch, let batch, let loss):
                    if !quiet { bar.line(PythonFormat.lossLine(learningRate: rate, epoch: epoch, batch: batch, loss: loss)) }
                    windowLoss = 0; windowBatches = 0
                case .batchFinished(let epoch, let epochs, let batch, let batches, let loss):
                    batchesDone += 1
                    imagesDone += batch < batches ? recipe.batchSize : train.count - (batches - 1) * recipe.batchSize
                    windowLoss += loss; windowBatches += 1
                    guard bar.enabled else { break }
                    let elapsed = MonotonicClock.now() - start
                    let left = elapsed / Double(max(1, batchesDone - batchesAtStart)) * Double(totalBatches - batchesDone)
                    bar.update(label: "epoch \(epoch)/\(epochs)", done: batch, total: batches,
                               details: String(format: "loss %.3f  %.0f img/s  %@ left", windowLoss / Double(max(windowBatches, 1)),
                                               Double(imagesDone) / max(elapsed, 1e-9), ProgressBar.duration(left)))
                case .epochFinished(let epoch, let phase, let meanLoss, let seconds):
                    if verbose {
                        bar.line(String(format: "epoch %d (phase %d): mean loss %.4f, %.1f s, %.0f images/s",
                                        epoch, phase, meanLoss, seconds, Double(train.count) / max(seconds, 1e-9)))
                    }
                }
            }
            bar.clear()
            stop.uninstall()
            if let state = summary.interrupted {
                try ResumeCheckpoint(model: model, state: state, recipe: recipe, trainingImages: train.count, dataRoot: dataOptions.data,
                                     dataset: datasetName, history: history, loss: paperLoss).save(to: resumePath)
                try Files.writeAtomically(Array(try JSONEncoder.pretty.encode(history)), to: (folder as NSString).appendingPathComponent("history.json"))
                print("Interrupted (\(stop.signalName)) in epoch \(state.epochsDone + 1) of \(recipe.totalEpochs), after batch \(state.batch) of \(batchesPerEpoch). Saved \(resumePath).")
                print("Resume with: lenet train --resume \(folder)")
                throw ExitCode(130)
            }
            if !quiet { print("Finished Training") }
            let evaluation = model.evaluate(test, threads: threadOptions.threads) { done in
                bar.update(label: "evaluating", done: done, total: test.count, details: "")
            }
            bar.clear()
            let checkpoint = (folder as NSString).appendingPathComponent("model.safetensors")
            var metadata = [
                "optimizer": "sgd", "dataset": datasetName, "class_names": ClassNames.encode(train.classNames),
                "seed": String(recipe.seed), "schedule": Recipe.formatSchedule(recipe.schedule),
                "batch_size": String(recipe.batchSize), "momentum": "\(recipe.momentum)", "training_images": String(train.count),
                "test_accuracy": String(format: "%.4f", evaluation.accuracy),
            ]
            if let paperLoss { metadata["loss"] = paperLoss.description }
            // The model first, then (only once it is on disk) the resumable state goes; a periodic
            // checkpoint's failure is reported after the model and the reports are written.
            let completion = try Self.saveFinalModel(checkpoint, resumeFile: resumePath, earlierFailure: saveError) {
                try model.save(to: checkpoint, metadata: metadata)
            }
            try Files.writeAtomically(Array(try JSONEncoder.pretty.encode(history)), to: (folder as NSString).appendingPathComponent("history.json"))
            try ReportFiles.write(evaluation, test: test, folder: folder, logitsPath: logits,
                                  about: ReportFiles.about(kind: model.kind, checkpoint: checkpoint, metadata: metadata),
                                  curve: TrainingCurve(history: history), output: outputOptions)
            print(String(format: "Trained on %d images in %.1f s (%.0f images/s). Model: %@",
                         summary.images, summary.seconds, summary.imagesPerSecond, checkpoint))
            if let completion { throw completion }
        }
    }
}

enum ModelKind: String, ExpressibleByArgument, CaseIterable {
    case lenet5 = "lenet5"
    case lenet5_1998 = "lenet5-1998"
}

enum OptimizerKind: String, ExpressibleByArgument, CaseIterable {
    /// SGD with momentum over batches: the write-up's loop.
    case sgd
    /// Stochastic diagonal Levenberg-Marquardt, one pattern at a time: the paper's loop.
    case sdlm
}

enum InitializationOption: String, ExpressibleByArgument, CaseIterable {
    case fanIn = "fan-in"
    case sqrtFanIn = "sqrt-fan-in"
    var rule: LeNet1998.Initialization { self == .fanIn ? .fanIn : .squareRootFanIn }
}

enum PaperLossOption: String, ExpressibleByArgument, CaseIterable {
    case mse
    case map
}

extension Train {
    /// Saves the final model (see `RunCompletion`) and returns a periodic checkpoint's failure, to
    /// be thrown once the reports are written too; a save of the model that fails throws at once.
    static func saveFinalModel(_ path: String, resumeFile: String, earlierFailure: (any Error)?,
                               save: () throws -> Void) throws -> (any Error)? {
        do {
            if let warning = try RunCompletion.finish(modelPath: path, saveModel: save, resumeFile: resumeFile, earlierFailure: earlierFailure) {
                printError("warning: \(warning)")
            }
            return nil
        } catch let failure as RunCompletion.CheckpointFailure {
            return failure
        }
    }

    /// `--resume`'s value as a file: a run folder means its resume.safetensors.
    static func resumeFile(_ resume: String) -> String {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: resume, isDirectory: &isFolder) && isFolder.boolValue
            ? (resume as NSString).appendingPathComponent(ResumeCheckpoint.fileName) : resume
    }

    /// The 1998 model reads 28x28 digits into RBF units drawn as the digits 0-9.
    static func checkDigits(_ train: LabeledImages, dataset: String) throws {
        guard train.classCount == 10, train.rows == 28, train.columns == 28 else {
            throw CommandError("the 1998 model reads 28x28 digits into 10 RBF units drawn as the digits 0-9; \(dataset) has \(train.classCount) classes of \(train.rows)x\(train.columns) images")
        }
    }

    /// The 1998 paper's model and recipe: per-pass training and test error (the paper's Fig. 5),
    /// saved as curve.json beside the checkpoint.
    func runPaper(resumed: PaperResumeCheckpoint? = nil, resumeFolder: String? = nil) async throws {
        try await reportingErrors {
            guard (1...PaperRecipe.paperSchedule.count).contains(passes) else {
                throw CommandError("--passes must be between 1 and \(PaperRecipe.paperSchedule.count), got \(passes)")
            }
            let dataOptions = resumed.map { self.dataOptions.with(root: $0.dataRoot) } ?? self.dataOptions
            var train = try await dataOptions.load(.train, fallback: resumed?.dataset)
            if let count = resumed?.trainingImages ?? limit { train = train.prefix(count) }
            let test = try await dataOptions.load(.test, fallback: resumed?.dataset)
            try trainPaper(train: train, test: test, dataOptions: dataOptions, resumed: resumed, resumeFolder: resumeFolder)
        }
    }

    /// The 1998 run itself, once the data is loaded (synchronous: it keeps the async part small).
    func trainPaper(train: LabeledImages, test: LabeledImages, dataOptions: DataOptions, resumed: PaperResumeCheckpoint?,
                    resumeFolder: String?) throws {
        do {
            let dataset = resumed?.dataset ?? dataOptions.dataset ?? "mnist"
            let kind = resumed?.kind ?? model.rawValue
            if kind == LeNet1998.kind { try Self.checkDigits(train, dataset: dataset) }
            guard train.rows == 28, train.columns == 28 else {
                throw CommandError("the models take 28x28 images; \(dataset) has \(train.rows)x\(train.columns)")
            }
            let folder = resumeFolder ?? output ?? RunFolder.newPath()
            try RunFolder.prepare(folder)
            try RunFolder.checkFreeSpace(folder, needed: 20 << 20)
            let etaScale = self.etaScale ?? Self.defaultEtaScale, initialization = self.initialization ?? Self.defaultInitialization
            // The options recorded in the final model; a resumed run takes them from its checkpoint.
            let options = resumed?.options ?? ["eta_scale": "\(etaScale)", "initialization": initialization.rawValue, "passes": String(passes)]
            let recipe = resumed?.recipe ?? PaperRecipe(learningRates: PaperRecipe.paperSchedule.prefix(passes).map { $0 * etaScale },
                                                         loss: paperLoss, seed: seed, distortion: distort ? AffineDistortion() : nil)
            let passCount = recipe.learningRates.count
            if let distortion = recipe.distortion, resumed == nil {
                let picture = (folder as NSString).appendingPathComponent("distortions.png")
                try PNG.write(distortion.gallery(of: train, seed: seed), to: picture)
                print("Distortions: \(recipe.distortedPerPass(train.count)) per pass; examples in \(picture)")
            }
            let initial = resumed.map { AnyLeNet.make(kind: $0.kind, parameters: $0.state.parameters, layout: $0.layout) }
                ?? AnyLeNet.initial(kind: kind, seed: recipe.seed, classes: train.classCount, initialization: initialization.rule)
            let isPaperModel = kind == LeNet1998.kind
            if !outputOptions.quiet {
                if let resumed {
                    print("Resuming \(folder) at the start of pass \(resumed.state.pass + 1) of \(passCount)")
                } else {
                    print("\(isPaperModel ? "LeNet-5 (1998)" : "The write-up's LeNet-5"): \(passCount) passes of stochastic diagonal Levenberg-Marquardt on \(train.count) patterns, loss \(isPaperModel ? recipe.loss.description : OutputLoss.crossEntropy.description)")
                    if isPaperModel { print("Initial weights \(initialization == .fanIn ? "±2.4/F" : "±2.4/sqrt(F)"), eta x\(etaScale) (the paper prints ±2.4/F and x1, which diverges here: see docs/lenet-1998.md)") } else {
                        print("PyTorch's initial weights, eta x\(etaScale) of the paper's schedule")
                    }
                }
            }
            let resumePath = (folder as NSString).appendingPathComponent(ResumeCheckpoint.fileName)
            func checkpoint(_ state: PaperTrainingState) throws {
                try PaperResumeCheckpoint(state: state, recipe: recipe, kind: kind, layout: initial.layout, trainingImages: train.count, dataRoot: dataOptions.data,
                                          dataset: dataset, options: options).save(to: resumePath)
            }
            var saveError: Error?
            let stop = StopSignal()
            stop.install()
            let start = MonotonicClock.now()
            let bar = ProgressBar(quiet: outputOptions.quiet)
            func fit<Model: LayeredModel>(_ start: Model, onPass: (PassRecord) -> Void) -> (AnyLeNet, [PassRecord], PaperTrainingState?) {
                var model = start
                let result = LeNet1998Trainer.train(
                    &model, on: train, test: test, recipe: recipe, threads: threadOptions.threads, resuming: resumed?.state,
                    onPassStart: onPassStart, shouldStop: { stop.requested }, onProgress: onProgress, onPass: onPass)
                return (initial.replacingParameters(model.parameters), result.records, result.interrupted)
            }
            let onPassStart = { (state: PaperTrainingState) in
                    // --checkpoint-every N: the state at the start of every Nth pass.
                    guard let every = checkpointEvery, state.pass > 0, state.pass % every == 0 else { return }
                    do { try checkpoint(state) } catch { saveError = error }
                }
            let onProgress = { (pass: Int, done: Int, total: Int) in
                    let elapsed = MonotonicClock.now() - start
                    bar.update(label: "pass \(pass)/\(passCount)", done: done, total: total,
                               details: String(format: "%.0f patterns/s", Double(done) / max(elapsed, 1e-9)))
                }
            let (network, records, interrupted) = fit(initial.model) { record in
                guard !outputOptions.quiet else { return }
                bar.line(String(format: "pass %2d  eta %-8@ train error %5.2f%%  test error %5.2f%%  loss %.4f  steps %.2g..%.2g  (%.1f s)",
                             record.pass, PythonFormat.repr(Double("\(record.learningRate)") ?? 0), 100 * record.trainError,
                             100 * record.testError, record.meanLoss, record.smallestStep, record.largestStep, record.seconds))
            }
            bar.clear()
            stop.uninstall()
            if let state = interrupted {
                try checkpoint(state)
                print("Interrupted (\(stop.signalName)) in pass \(state.pass + 1) of \(passCount). Saved \(resumePath); resuming runs pass \(state.pass + 1) again from its start.")
                print("Resume with: lenet train --resume \(folder)")
                throw ExitCode(130)
            }
            let seconds = MonotonicClock.now() - start
            try Files.writeAtomically(Array(try JSONEncoder.pretty.encode(records)), to: (folder as NSString).appendingPathComponent("curve.json"))
            let evaluation = network.evaluate(test, threads: threadOptions.threads)
            let checkpointPath = (folder as NSString).appendingPathComponent("model.safetensors")
            var metadata = options.merging([
                "optimizer": "sdlm", "dataset": dataset, "class_names": ClassNames.encode(train.classNames),
                "seed": String(recipe.seed), "loss": isPaperModel ? recipe.loss.description : OutputLoss.crossEntropy.description,
                "training_images": String(train.count), "test_accuracy": String(format: "%.4f", evaluation.accuracy),
            ]) { _, new in new }
            if recipe.distortion != nil { metadata["distortions"] = "\(recipe.distortedPerPass(train.count)) per pass" }
            let completion = try Self.saveFinalModel(checkpointPath, resumeFile: resumePath, earlierFailure: saveError) {
                try network.save(to: checkpointPath, metadata: metadata)
            }
            try ReportFiles.write(evaluation, test: test, folder: folder, logitsPath: logits,
                                  about: ReportFiles.about(kind: kind, checkpoint: checkpointPath, metadata: metadata),
                                  curve: TrainingCurve(passes: records), output: outputOptions)
            print(String(format: "Trained in %.1f s. Model: %@; the error curve: %@/curve.json", seconds, checkpointPath, folder))
            if let completion { throw completion }
        }
    }
}
