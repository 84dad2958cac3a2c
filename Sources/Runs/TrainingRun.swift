import Datasets
import Foundation
import Imaging
import Kernels
import LeNet
import NeuralNetwork
import Reports
import Support

/// A training run, from its start (or the state it was stopped in) to its finished model and
/// reports, for either model and either optimizer. It owns the run folder and its order:
///
///     resume.safetensors   the settings, the state and the weights: every --checkpoint-every, and
///                          on Ctrl-C or SIGTERM (the run then stops after the batch or pattern in
///                          progress); removed once the finished model is safely on disk
///     model.safetensors    the finished model, its settings in the metadata
///     history.json         SGD's loss log (curve.json: Levenberg-Marquardt's per-pass errors)
///     the 20 example images, report.md, report.html, metrics.json
public struct TrainingRun {
    /// What is trained, how, and on what.
    public var settings: RunSettings
    /// The run folder, created when missing.
    public var folder: String
    /// Threads for training and evaluation.
    public var threads: Int
    /// Save `resume.safetensors` every this many epochs (SGD) or passes (Levenberg-Marquardt); nil:
    /// only when stopped by a signal.
    public var checkpointEvery: Int?
    /// Also write the test scores as a NumPy array here.
    public var logitsPath: String?
    /// What it prints.
    public var output: Verbosity
    /// The 1998 model's initial weights (a fresh run).
    public var initialization: PaperInitialization

    /// A run of `settings` into `folder`.
    public init(settings: RunSettings, folder: String, threads: Int, checkpointEvery: Int? = nil, logitsPath: String? = nil,
                output: Verbosity = Verbosity(), initialization: PaperInitialization = .mixed) {
        self.settings = settings
        self.folder = folder
        self.threads = threads
        self.checkpointEvery = checkpointEvery
        self.logitsPath = logitsPath
        self.output = output
        self.initialization = initialization
    }

    /// How a run ended.
    public enum Outcome: Sendable {
        /// Trained to the end: the model and the reports are written.
        case finished
        /// Stopped by a signal; the state is saved and `lenet train --resume` goes on.
        case interrupted
    }

    var resumePath: String { (folder as NSString).appendingPathComponent(RunCheckpoint.fileName) }
    func file(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// Trains to the end, or until a signal stops it (the state is then saved). A periodic
    /// checkpoint that failed is thrown (as `RunCompletion.CheckpointFailure`) only after the finished
    /// model and the reports are written.
    public func run(train: LabeledImages, test: LabeledImages, resuming: RunCheckpoint? = nil) throws -> Outcome {
        try RunFolder.prepare(folder)
        try RunFolder.checkFreeSpace(folder, needed: 20 << 20)
        let initial = try resuming?.model
            ?? AnyLeNet.initial(kind: settings.model, seed: settings.seed, classes: train.classCount, initialization: initialization)
        let loop: any TrainingLoop
        switch settings.method {
        case .gradientDescent(let recipe, let loss): loop = Trainer(recipe: recipe, threads: threads, loss: loss.map { .penalty($0) })
        case .levenbergMarquardt(let recipe): loop = LevenbergMarquardtTrainer(recipe: recipe, test: test, threads: threads)
        }
        let display = RunDisplay(settings: settings, train: train, output: output, resuming: resuming?.state)
        try introduce(train: train, resuming: resuming, batchesPerEpoch: display.batchesPerEpoch)
        var saveError: (any Error)?
        var failedCheckpoints = 0
        let stop = StopSignal()
        let control = TrainingControl(resuming: resuming?.state, checkpointEvery: checkpointEvery, checkpoint: { state, parameters in
            do {
                try save(state, initial.replacingParameters(parameters), history: display.history)
                if output.verbose, settings.optimizer == .sgd {
                    display.bar.line("Saved \(resumePath) (epoch \(state.epochsDone + 1), batch \(state.batch))")
                }
                if failedCheckpoints > 0 {
                    display.bar.clear()
                    FileHandle.standardError.write(Data("note: \(resumePath) was saved again, after \(failedCheckpoints) failed checkpoint(s)\n".utf8))
                    failedCheckpoints = 0
                    saveError = nil
                }
            } catch {
                // Said at once (a full disk is best known while the run can still be helped), once
                // until a checkpoint succeeds again; and again at the end.
                if failedCheckpoints == 0 {
                    display.bar.clear()
                    FileHandle.standardError.write(Data("warning: a periodic checkpoint could not be saved (\(error)); training goes on and tries again at the next one\n".utf8))
                }
                failedCheckpoints += 1
                saveError = error
            }
        }, shouldStop: { stop.requested })
        stop.install()
        func fit<Model: LayeredModel>(_ start: Model) -> (AnyLeNet, TrainingSummary) {
            var model = start
            let summary = loop.train(&model, on: train, control: control, onEvent: display.show)
            return (initial.replacingParameters(model.parameters), summary)
        }
        let (model, summary) = fit(initial.model)
        display.bar.clear()
        stop.uninstall()

        if let state = summary.interrupted {
            try save(state, model, history: display.history)
            let passes = settings.totalEpochs, epoch = state.epochsDone + 1
            switch settings.optimizer {
            case .sgd:
                try writeCurve(history: display.history, passes: [])
                print("Interrupted (\(stop.signalName)) in epoch \(epoch) of \(passes), after batch \(state.batch) of \(display.batchesPerEpoch). Saved \(resumePath).")
            case .sdlm:
                print("Interrupted (\(stop.signalName)) in pass \(epoch) of \(passes). Saved \(resumePath); resuming runs pass \(epoch) again from its start.")
            }
            print("Resume with: lenet train --resume \(folder)")
            return .interrupted
        }
        if !output.quiet, settings.optimizer == .sgd { print("Finished Training") }
        let evaluation = model.evaluate(test, threads: threads) { done in
            display.bar.update(label: "evaluating", done: done, total: test.count, details: "")
        }
        display.bar.clear()
        let modelPath = file("model.safetensors")
        let metadata = settings.modelMetadata(testAccuracy: evaluation.accuracy)
        // The model first, then (only once it is on disk) the resumable state goes; a periodic
        // checkpoint's failure is reported after the model and the reports are written.
        var completion: (any Error)?
        do {
            if let warning = try RunCompletion.finish(modelPath: modelPath, saveModel: { try model.save(to: modelPath, metadata: metadata) },
                                                      resumeFile: resumePath, earlierFailure: saveError) {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
        } catch let failure as RunCompletion.CheckpointFailure {
            completion = failure
        }
        try writeCurve(history: display.history, passes: summary.passes)
        let curve = settings.optimizer == .sgd ? display.history.map { TrainingCurve(history: $0) } : TrainingCurve(passes: summary.passes)
        try ReportFiles.write(.training, evaluation, test: test, folder: folder, logitsPath: logitsPath,
                              about: ReportFiles.about(kind: model.kind, checkpoint: modelPath, metadata: metadata), curve: curve, output: output)
        switch settings.optimizer {
        case .sgd:
            print(String(format: "Trained on %d images in %.1f s (%.0f images/s). Model: %@",
                         summary.images, summary.seconds, summary.imagesPerSecond, modelPath))
            if let note = Self.threadNote(summary.threadUsage) { print(note) }
        case .sdlm:
            print(String(format: "Trained in %.1f s. Model: %@; the error curve: %@", summary.seconds, modelPath, file("curve.json")))
        }
        if let completion { throw completion }
        return .finished
    }

    /// A line for a run whose threads stood aside: nil unless the pool ran the batches on one
    /// thread, sharing out having measured no gain, for at least a tenth of the training time.
    static func threadNote(_ usage: WorkerPool.Usage) -> String? {
        guard let shared = usage.sharedFraction, shared <= 0.9 else { return nil }
        return String(format: "On %d threads, %.0f%% of the training ran on one, where sharing out measured no gain (another process busy?).",
                      usage.threads, 100 * (1 - shared))
    }

    /// What a run says before it starts: where it resumes, or (Levenberg-Marquardt) its recipe, and
    /// the picture of its distortions.
    func introduce(train: LabeledImages, resuming: RunCheckpoint?, batchesPerEpoch: Int) throws {
        let passes = settings.totalEpochs
        if let resuming {
            guard !output.quiet || settings.optimizer == .sgd else { return }
            let state = resuming.state
            switch settings.optimizer {
            case .sgd:
                print("Resuming \(folder) at phase \(state.phase + 1), epoch \(state.epochInPhase), batch \(state.batch) of \(batchesPerEpoch)")
            case .sdlm:
                print("Resuming \(folder) at the start of pass \(state.epochsDone + 1) of \(passes)")
            }
            return
        }
        if let recipe = settings.recipe, let description = recipe.refinementsDescription, !output.quiet {
            print("The modern recipe: \(description)")
        }
        guard settings.optimizer == .sdlm, let recipe = settings.paperRecipe else { return }
        if let distortion = recipe.distortion {
            let picture = file("distortions.png")
            try PNG.write(distortion.gallery(of: train, seed: recipe.seed), to: picture)
            print("Distortions: \(recipe.distortedPerPass(train.count)) per pass; examples in \(picture)")
        }
        guard !output.quiet else { return }
        let kind = ModelKinds.named(settings.model)
        print("\(kind?.title ?? settings.model): \(passes) pass\(passes == 1 ? "" : "es") of stochastic diagonal Levenberg-Marquardt on \(train.count) patterns, loss \(settings.lossDescription)")
        let scale = settings.options[MetadataKey.etaScale] ?? "1"
        if kind?.startsAsThePaper ?? false {
            print("Initial weights \(initialization.description), eta x\(scale) (the paper prints ±2.4/F and x1, which diverges here: see docs/lenet-1998.md)")
        } else {
            print("PyTorch's initial weights, eta x\(scale) of the paper's schedule")
        }
    }

    func save(_ state: RunState, _ model: AnyLeNet, history: TrainingHistory?) throws {
        var state = state
        if settings.optimizer == .sgd { state.history = history }
        try RunCheckpoint(settings: settings, state: state, model: model).save(to: resumePath)
    }

    /// history.json (SGD) or curve.json (Levenberg-Marquardt), for the reports drawn later.
    func writeCurve(history: TrainingHistory?, passes: [PassRecord]) throws {
        if settings.optimizer == .sgd, let history {
            try Files.writeAtomically(Array(try JSONEncoder.pretty.encode(history)), to: file("history.json"))
        } else if settings.optimizer == .sdlm {
            try Files.writeAtomically(Array(try JSONEncoder.pretty.encode(passes)), to: file("curve.json"))
        }
    }
}

/// What a run shows as it goes: the write-up's log lines or the paper's pass lines, a progress bar
/// on a terminal, and the loss history it keeps for the reports.
final class RunDisplay {
    let settings: RunSettings
    let output: Verbosity
    let bar: ProgressBar
    let trainingImages: Int
    let batchesPerEpoch: Int
    private(set) var history: TrainingHistory?
    private let start = MonotonicClock.now()
    private var batchesDone: Int
    private let batchesAtStart: Int
    private var imagesDone = 0, windowLoss = 0.0, windowBatches = 0

    init(settings: RunSettings, train: LabeledImages, output: Verbosity, resuming: RunState?) {
        self.settings = settings
        self.output = output
        bar = ProgressBar(quiet: output.quiet)
        trainingImages = train.count
        let batchSize = settings.recipe?.batchSize ?? 1
        let batches = (train.count + batchSize - 1) / batchSize
        batchesPerEpoch = batches
        history = settings.recipe.map { resuming?.history ?? TrainingHistory(schedule: $0.schedule) }
        batchesDone = resuming.map { $0.epochsDone * batches + $0.batch } ?? 0
        batchesAtStart = resuming.map { $0.epochsDone * batches + $0.batch } ?? 0
    }

    func show(_ event: TrainingEvent) {
        history?.record(event, batchesPerEpoch: batchesPerEpoch)
        switch event {
        case .runningLoss(let rate, let epoch, let batch, let loss):
            if !output.quiet { bar.line(PythonFormat.lossLine(learningRate: rate, epoch: epoch, batch: batch, loss: loss)) }
            windowLoss = 0
            windowBatches = 0
        case .batchFinished(let epoch, let epochs, let batch, let batches, let loss):
            let batchSize = settings.recipe?.batchSize ?? 1
            batchesDone += 1
            imagesDone += batch < batches ? batchSize : trainingImages - (batches - 1) * batchSize
            windowLoss += loss
            windowBatches += 1
            guard bar.enabled else { return }
            let elapsed = MonotonicClock.now() - start
            let left = elapsed / Double(max(1, batchesDone - batchesAtStart)) * Double(batchesPerEpoch * settings.totalEpochs - batchesDone)
            bar.update(label: "epoch \(epoch)/\(epochs)", done: batch, total: batches,
                       details: String(format: "loss %.3f  %.0f img/s  %@ left", windowLoss / Double(max(windowBatches, 1)),
                                       Double(imagesDone) / max(elapsed, 1e-9), ProgressBar.duration(left)))
        case .epochFinished(let epoch, let phase, let meanLoss, let seconds):
            if output.verbose {
                bar.line(String(format: "epoch %d (phase %d): mean loss %.4f, %.1f s, %.0f images/s",
                                epoch, phase, meanLoss, seconds, Double(trainingImages) / max(seconds, 1e-9)))
            }
        case .passProgress(let pass, let done, let total):
            let elapsed = MonotonicClock.now() - start
            bar.update(label: "pass \(pass)/\(settings.totalEpochs)", done: done, total: total,
                       details: String(format: "%.0f patterns/s", Double(done) / max(elapsed, 1e-9)))
        case .passFinished(let record):
            guard !output.quiet else { return }
            let measuring = record.measuringSeconds.map { String(format: ", %.1f s of it measuring", $0) } ?? ""
            bar.line(String(format: "pass %2d  eta %-8@ train error %5.2f%%  test error %5.2f%%  loss %.4f  steps %.2g..%.2g  (%.1f s%@)",
                            record.pass, PythonFormat.repr(record.learningRate), 100 * record.trainError,
                            100 * record.testError, record.meanLoss, record.smallestStep, record.largestStep, record.seconds, measuring))
        }
    }
}

extension TrainingRun {
    /// Why a run cannot start, in one sentence.
    public struct SetupError: Error, CustomStringConvertible {
        /// The message to show.
        public var description: String
    }

    /// Every kind reads 28x28 images; one with a fixed set of outputs (the 1998 model's RBF units,
    /// drawn as the digits 0-9) reads only as many classes.
    public static func check(_ train: LabeledImages, model: String, dataset: String) throws(SetupError) {
        guard train.classCount >= 2 else {
            throw SetupError(description: "a classifier needs at least two classes to tell apart; \(dataset) has \(train.classCount)\(train.classNames.first.map { " (\($0))" } ?? "")")
        }
        guard train.count > 0 else { throw SetupError(description: "\(dataset) has no training images") }
        guard let kind = ModelKinds.named(model) else {
            throw SetupError(description: "unknown model kind '\(model)'; expected \(ModelKinds.names)")
        }
        guard kind.network(outputs: train.classCount) != nil else {
            let fixed = kind.network(outputs: 10)?.outputCount ?? 10
            throw SetupError(description: "\(kind.title) reads 28x28 digits into \(fixed) RBF units drawn as the digits 0-9; \(dataset) has \(train.classCount) classes")
        }
        guard train.rows == 28, train.columns == 28 else {
            throw SetupError(description: "\(kind.title) takes 28x28 images; \(dataset) has \(train.rows)x\(train.columns)")
        }
    }

    /// `--resume`'s value as a file: a run folder means its resume.safetensors.
    public static func resumeFile(_ resume: String) -> String {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: resume, isDirectory: &isFolder) && isFolder.boolValue
            ? (resume as NSString).appendingPathComponent(RunCheckpoint.fileName) : resume
    }

    /// The run folder of a resume file.
    public static func folder(of resumeFile: String) -> String {
        let folder = (resumeFile as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }
}
