import Datasets
import FileFormats
import Foundation
import Kernels
import NeuralNetwork
import Support

/// The two ways the project trains, each usable with either model.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    /// SGD with momentum over shuffled batches, a fresh optimizer per phase: the write-up's loop.
    case sgd
    /// Stochastic diagonal Levenberg-Marquardt, one pattern at a time: the 1998 paper's loop.
    case sdlm
}

/// The keys of a checkpoint's metadata, in one place. A finished model's metadata is flat strings
/// (PyTorch's `safetensors` keeps only those); a resume file adds the run's settings and state as JSON.
public enum MetadataKey {
    /// The model kind: "lenet5", "lenet5-1998".
    public static let model = "model"
    /// The training method: "sgd" or "sdlm".
    public static let optimizer = "optimizer"
    /// The data set trained on: "mnist".
    public static let dataset = "dataset"
    /// A JSON array of the class names.
    public static let classNames = "class_names"
    /// The seed of the weights, the shuffle and the distortions.
    public static let seed = "seed"
    /// How many training images were used.
    public static let trainingImages = "training_images"
    /// The test accuracy of the finished model, 0...1.
    public static let testAccuracy = "test_accuracy"
    /// SGD's schedule: "4x0.0005,3x0.0002,...".
    public static let schedule = "schedule"
    /// SGD's batch size.
    public static let batchSize = "batch_size"
    /// SGD's momentum.
    public static let momentum = "momentum"
    /// The loss trained with.
    public static let loss = "loss"
    /// Levenberg-Marquardt: the distorted patterns per pass ("27000 per pass").
    public static let distortions = "distortions"
    /// Levenberg-Marquardt's passes.
    public static let passes = "passes"
    /// Levenberg-Marquardt's factor on the paper's learning rates.
    public static let etaScale = "eta_scale"
    /// The 1998 models' initial weights' rule.
    public static let initialization = "initialization"
    /// "modern" for `--recipe modern`, with `refinements` saying what it added.
    public static let recipe = "recipe"
    /// What `--recipe modern` added: warm-up, Nesterov, weight decay, label smoothing, distortions.
    public static let refinements = "refinements"
    /// Resume files: the version of their layout, the settings and the state.
    public static let resume = "resume"
    /// Resume files: the run's settings, as JSON.
    public static let run = "run"
    /// Resume files: the run's state, as JSON.
    public static let runState = "run_state"
}

/// Everything that defines a training run: what it trains, how, and on what. Recorded in its resume
/// file (so `lenet train --resume` needs nothing else) and, as flat strings, in its model's metadata.
public struct RunSettings: Codable, Sendable, Equatable {
    /// The model kind: the `kind` of one of `ModelKinds.all`.
    public var model: String
    /// How it trains: SGD with its recipe, or Levenberg-Marquardt with the paper's.
    public var method: TrainingMethod
    /// `--dataset`'s value, the data root read, how many training images (the first N) and the names
    /// of the classes.
    public var dataset: String
    /// The data root the data set was read from.
    public var dataRoot: String
    /// The training images used: the first N of the set.
    public var trainingImages: Int
    /// The classes' names, class 0 first.
    public var classNames: [String]
    /// Choices recorded as they were given, for the model's metadata (eta_scale, initialization, passes).
    public var options: [String: String]

    /// Settings; see the properties.
    public init(model: String, method: TrainingMethod, dataset: String, dataRoot: String, trainingImages: Int, classNames: [String],
                options: [String: String] = [:]) {
        self.model = model
        self.method = method
        self.dataset = dataset
        self.dataRoot = dataRoot
        self.trainingImages = trainingImages
        self.classNames = classNames
        self.options = options
    }

    // The resume file keeps the method as it always has: "optimizer" and the one recipe it names.
    enum CodingKeys: String, CodingKey {
        case model, optimizer, recipe, paperRecipe, paperLoss, dataset, dataRoot, trainingImages, classNames, options
    }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        switch try values.decode(OptimizerKind.self, forKey: .optimizer) {
        case .sgd:
            method = .gradientDescent(try values.decode(Recipe.self, forKey: .recipe), loss: try values.decodeIfPresent(PaperLoss.self, forKey: .paperLoss))
        case .sdlm:
            method = .levenbergMarquardt(try values.decode(PaperRecipe.self, forKey: .paperRecipe))
        }
        model = try values.decode(String.self, forKey: .model)
        dataset = try values.decode(String.self, forKey: .dataset)
        dataRoot = try values.decode(String.self, forKey: .dataRoot)
        trainingImages = try values.decode(Int.self, forKey: .trainingImages)
        classNames = try values.decode([String].self, forKey: .classNames)
        options = try values.decode([String: String].self, forKey: .options)
    }

    /// Encodes the method as "optimizer" and its one recipe, as resume files always have.
    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(model, forKey: .model)
        try values.encode(method.optimizer, forKey: .optimizer)
        try values.encodeIfPresent(method.recipe, forKey: .recipe)
        try values.encodeIfPresent(method.paperRecipe, forKey: .paperRecipe)
        if case .gradientDescent(_, let loss?) = method { try values.encode(loss, forKey: .paperLoss) }
        try values.encode(dataset, forKey: .dataset)
        try values.encode(dataRoot, forKey: .dataRoot)
        try values.encode(trainingImages, forKey: .trainingImages)
        try values.encode(classNames, forKey: .classNames)
        try values.encode(options, forKey: .options)
    }

    /// The loop: SGD or Levenberg-Marquardt.
    public var optimizer: OptimizerKind { method.optimizer }
    /// SGD's recipe, or nil.
    public var recipe: Recipe? { method.recipe }
    /// Levenberg-Marquardt's recipe, or nil.
    public var paperRecipe: PaperRecipe? { method.paperRecipe }
    /// The seed of the weights, the shuffle and the distortions.
    public var seed: UInt64 { method.seed }
    /// Epochs (SGD) or passes (Levenberg-Marquardt) in the whole run.
    public var totalEpochs: Int { method.totalEpochs }

    /// Whether the model's outputs are RBF penalties (the paper's losses) rather than logits.
    var penalties: Bool { ModelKinds.named(model)?.network(outputs: classNames.count)?.scores == .penalties }

    /// The loss the model is trained with.
    public var lossDescription: String {
        switch method {
        case .levenbergMarquardt(let recipe) where penalties: return recipe.loss.description
        case .gradientDescent(_, let loss?): return loss.description
        default: return OutputLoss.crossEntropy.description
        }
    }

    /// The finished model's metadata: flat strings, read by `lenet info`, `lenet evaluate` and PyTorch.
    public func modelMetadata(testAccuracy: Double) -> [String: String] {
        var metadata = options
        metadata[MetadataKey.optimizer] = optimizer.rawValue
        metadata[MetadataKey.dataset] = dataset
        metadata[MetadataKey.classNames] = String(decoding: (try? JSONEncoder().encode(classNames)) ?? Data("[]".utf8), as: UTF8.self)
        metadata[MetadataKey.seed] = String(seed)
        metadata[MetadataKey.trainingImages] = String(trainingImages)
        metadata[MetadataKey.testAccuracy] = String(format: "%.4f", testAccuracy)
        if let recipe {
            metadata[MetadataKey.schedule] = Recipe.formatSchedule(recipe.schedule)
            metadata[MetadataKey.batchSize] = String(recipe.batchSize)
            metadata[MetadataKey.momentum] = "\(recipe.momentum)"
            if let description = recipe.refinementsDescription {
                metadata[MetadataKey.recipe] = "modern"
                metadata[MetadataKey.refinements] = description
            }
        }
        if penalties || optimizer == .sdlm { metadata[MetadataKey.loss] = lossDescription }
        if let paperRecipe, paperRecipe.distortion != nil {
            metadata[MetadataKey.distortions] = "\(paperRecipe.distortedPerPass(trainingImages)) per pass"
        }
        return metadata
    }
}

/// Where a run stands, for either loop: the loop's own cursor, so a fresh run starts from
/// `RunState.start` and a resumed one from the saved state, and both end with the same weights, bit
/// for bit. (The weights travel beside it, in the checkpoint's tensors.)
///
/// SGD resumes after the last batch done. Levenberg-Marquardt estimates its steps at the start of
/// each pass, so its state is always the start of a pass, and a resumed run runs that pass again.
public struct RunState: Codable, Sendable, Equatable {
    /// Epochs (passes) finished over the whole run.
    public var epochsDone: Int
    /// SGD: the phase of the schedule (from 0), the epoch within it (from 1) and the batches of that
    /// epoch done.
    public var phase: Int
    /// SGD: the epoch within the phase, from 1.
    public var epochInPhase: Int
    /// SGD: the batches of the epoch done.
    public var batch: Int
    /// The shuffle generator as the current epoch or pass began, before its shuffle; the distortions'
    /// generator likewise.
    public var shuffle: SeededGenerator
    /// The distortions' generator as the current epoch or pass began.
    public var distortions: SeededGenerator
    /// SGD: the phase's optimizer (its momentum buffer, saved as a tensor, and its step count) and the
    /// loss sums behind the log lines: since the last line, and over the epoch so far.
    public var velocity: [Float] = []
    /// SGD: the phase optimizer's step count.
    public var optimizerSteps: Int
    /// SGD: the loss summed since the last log line.
    public var running: Double
    /// SGD: the loss summed over the epoch so far.
    public var epochTotal: Double
    /// Levenberg-Marquardt: the pattern order before the pass's shuffle (saved as a tensor).
    public var order: [Int] = []
    /// The log so far: SGD's loss history, Levenberg-Marquardt's passes.
    public var history: TrainingHistory?
    /// Levenberg-Marquardt: every pass so far.
    public var passes: [PassRecord]

    /// What the JSON holds: all but the two arrays, which travel as tensors.
    enum CodingKeys: String, CodingKey {
        case epochsDone, phase, epochInPhase, batch, shuffle, distortions, optimizerSteps, running, epochTotal, history, passes
    }

    /// The start of a run: nothing done, a fresh optimizer, the generators drawn from the seed.
    public static func start(seed: UInt64, parameterCount: Int) -> RunState {
        RunState(epochsDone: 0, phase: 0, epochInPhase: 1, batch: 0, shuffle: SeededGenerator(seed: seed ^ 0x5348_5546_464c_4521),
                 distortions: SeededGenerator(seed: seed ^ 0x4449_5354_4f52_5421), velocity: [Float](repeating: 0, count: parameterCount),
                 optimizerSteps: 0, running: 0, epochTotal: 0, history: nil, passes: [])
    }

    /// SGD: on to the next epoch, whose shuffle starts from `generator`; a new phase gets a fresh optimizer.
    mutating func finishEpoch(of schedule: [Phase], next generator: SeededGenerator) {
        epochsDone += 1
        batch = 0
        running = 0
        epochTotal = 0
        shuffle = generator
        if epochInPhase < schedule[phase].epochs {
            epochInPhase += 1
        } else {
            phase += 1
            epochInPhase = 1
            optimizerSteps = 0
            for i in velocity.indices { velocity[i] = 0 }
        }
    }
}

/// How a run can be resumed, stopped and checkpointed, for either loop.
public struct TrainingControl {
    /// Continue a run that stopped at this state (with the model holding its weights).
    public var resuming: RunState?
    /// SGD: after every this many batches of an epoch; Levenberg-Marquardt: at the start of every
    /// this many passes, hand the state and a copy of the weights to `checkpoint`.
    public var checkpointEvery: Int?
    /// Called with the state and a copy of the weights when a checkpoint is due.
    public var checkpoint: (RunState, [Float]) -> Void
    /// Asked after every batch (pattern): stop now? The summary's `interrupted` then says where, and
    /// the model holds the weights to resume with.
    public var shouldStop: () -> Bool

    /// A control that starts afresh (or resumes `resuming`), checkpoints every `checkpointEvery`
    /// and stops when `shouldStop` says so.
    public init(resuming: RunState? = nil, checkpointEvery: Int? = nil,
                checkpoint: @escaping (RunState, [Float]) -> Void = { _, _ in }, shouldStop: @escaping () -> Bool = { false }) {
        self.resuming = resuming
        self.checkpointEvery = checkpointEvery
        self.checkpoint = checkpoint
        self.shouldStop = shouldStop
    }
}

/// What a run reports as it goes.
public enum TrainingEvent: Sendable {
    /// SGD: the running loss over the last `logInterval` batches (the write-up's log line).
    case runningLoss(learningRate: Double, epoch: Int, batch: Int, loss: Double)
    /// SGD: an epoch finished: its number overall (from 1), its phase, and its mean loss.
    case epochFinished(epoch: Int, phase: Int, meanLoss: Double, seconds: Double)
    /// SGD: a batch finished (for progress displays): the epoch over the whole run (from 1) of
    /// `epochs`, the batch within it (from 1) of `batches`, and the batch's loss.
    case batchFinished(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double)
    /// Levenberg-Marquardt: `done` of a pass's `total` patterns presented (every 1,000).
    case passProgress(pass: Int, done: Int, total: Int)
    /// Levenberg-Marquardt: a pass finished, with its training and test errors.
    case passFinished(PassRecord)

    /// The write-up's log line for a running loss (`[0.0005, 1,   100] loss: 2.234`), nil for the
    /// other events.
    public var logLine: String? {
        guard case .runningLoss(let rate, let epoch, let batch, let loss) = self else { return nil }
        return PythonFormat.lossLine(learningRate: rate, epoch: epoch, batch: batch, loss: loss)
    }
}

/// What a training run did.
public struct TrainingSummary: Sendable {
    /// Images trained on (counting every epoch).
    public var images: Int
    /// Seconds spent training.
    public var seconds: Double
    /// `images / seconds`.
    public var imagesPerSecond: Double { Double(images) / max(seconds, 1e-9) }
    /// Set when the run stopped early: where to resume from.
    public var interrupted: RunState?
    /// Levenberg-Marquardt: every pass of the run.
    public var passes: [PassRecord] = []
    /// Stochastic gradient descent on more than one thread: how long the batches were shared out
    /// over the threads, and how long they ran on one because sharing out measured no gain (another
    /// process holding a core, say).
    public var threadUsage = WorkerPool.Usage()
}

/// A training loop: the write-up's (`Trainer`) or the paper's (`LevenbergMarquardtTrainer`).
public protocol TrainingLoop {
    /// Trains `model` in place on `data` to the end of its schedule, or until `control` stops it;
    /// `onEvent` hears each epoch or pass as it ends.
    func train<Model: LayeredModel>(_ model: inout Model, on data: LabeledImages, control: TrainingControl,
                                    onEvent: (TrainingEvent) -> Void) -> TrainingSummary
}

/// A run caught in the middle, as `resume.safetensors` in its folder: the weights under their own
/// names, the SGD momentum buffer (`optimizer.velocity`) or the pattern order (`order`) as tensors,
/// and the settings and state as JSON in the metadata. Written to a temporary name and renamed.
public struct RunCheckpoint: Sendable {
    /// The file's name in a run folder.
    public static let fileName = "resume.safetensors"
    /// The layout of the metadata; a file from an earlier layout names it.
    static let formatVersion = "2"

    /// What the run trains, how, and on what.
    public var settings: RunSettings
    /// Where the run is.
    public var state: RunState
    /// The model, with the weights to resume with.
    public var model: AnyLeNet

    /// A checkpoint of a run of `settings`, at `state`, with `model`'s weights.
    public init(settings: RunSettings, state: RunState, model: AnyLeNet) {
        self.settings = settings
        self.state = state
        self.model = model
    }

    /// Why a file is not a resumable checkpoint.
    public struct ReadError: Error, CustomStringConvertible, Equatable {
        /// The file.
        public var file: String
        /// What is wrong with it.
        public var reason: String
        /// The message to show: the file or field, what was expected and what was found.
        public var description: String { "\(file): not a resumable checkpoint: \(reason)" }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// Writes the checkpoint to `path`, atomically (a temporary file renamed into place).
    public func save(to path: String) throws {
        let metadata = [
            "format": "pt", MetadataKey.model: model.kind, MetadataKey.resume: Self.formatVersion,
            MetadataKey.run: String(decoding: try Self.encoder.encode(settings), as: UTF8.self),
            MetadataKey.runState: String(decoding: try Self.encoder.encode(state), as: UTF8.self),
        ]
        let parameters = model.parameters
        var tensors = model.layout.tensors.map { ($0.name, Tensor(shape: $0.shape, scalars: Array(parameters[$0.range]))) }
        switch settings.optimizer {
        case .sgd: tensors.append(("optimizer.velocity", Tensor(shape: [state.velocity.count], scalars: state.velocity)))
        case .sdlm: tensors.append(("order", Tensor(shape: [state.order.count], scalars: state.order.map { Float($0) })))
        }
        try SafeTensorsFile.write(tensors, metadata: metadata, to: path)
    }

    /// Reads a resume file: its settings, state and weights, each checked.
    public static func load(_ path: String) throws -> RunCheckpoint {
        try load(try SafeTensorsFile(contentsOf: path), path: path)
    }

    /// The run held by an already-read file (`path` names it in errors). Every count is checked
    /// against its bounds before it is used.
    public static func load(_ file: SafeTensorsFile, path: String) throws -> RunCheckpoint {
        func fail(_ reason: String) -> ReadError { ReadError(file: path, reason: reason) }
        let m = file.metadata
        guard let version = m[MetadataKey.resume] else {
            throw fail("no resume state in its metadata (a finished model.safetensors? resume from the run's \(fileName))")
        }
        guard version == formatVersion else {
            throw fail("it was written by an earlier version of lenet (layout \(version), this one reads \(formatVersion)); resume it with that version, or start the run again")
        }
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            guard let text = m[key] else { throw fail("the metadata has no '\(key)'") }
            do { return try decoder.decode(T.self, from: Data(text.utf8)) } catch {
                throw fail("'\(key)' is not the expected JSON (\(Self.describe(error)))")
            }
        }
        let settings = try decode(RunSettings.self, MetadataKey.run)
        var state = try decode(RunState.self, MetadataKey.runState)
        guard (1...(1 << 24)).contains(settings.trainingImages) else {
            throw fail("'training_images' is \(settings.trainingImages), expected 1 to \(1 << 24)")
        }
        guard ModelKinds.named(settings.model) != nil else {
            throw fail("'model' is '\(settings.model)', expected \(ModelKinds.names)")
        }
        let layout = try AnyLeNet.expectedLayout(kind: settings.model, of: file)
        var values = [Float](repeating: 0, count: layout.count)
        for view in layout.tensors { values.replaceSubrange(view.range, with: try file.floats(view.name, shape: view.shape).scalars) }
        let bounds = ResumeBounds(file: path)
        switch settings.method {
        case .gradientDescent(let recipe, _):
            try recipe.checkResumed(state, trainingImages: settings.trainingImages, bounds: bounds)
            state.velocity = try file.floats("optimizer.velocity", shape: [layout.count]).scalars
        case .levenbergMarquardt(let recipe):
            try recipe.checkResumed(state, trainingImages: settings.trainingImages, bounds: bounds)
            // The pattern order: a permutation of the pass's patterns (the training images, and the
            // distorted copies when there are some). A float that is not a whole number in range would
            // trap on conversion, so each is checked first.
            let patterns = settings.trainingImages + recipe.distortedPerPass(settings.trainingImages)
            let order = try file.floats("order").scalars
            guard order.count == patterns, order.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < Float(patterns) && $0.rounded() == $0 }),
                  Set(order).count == order.count else {
                throw fail("'order' is not a permutation of the pass's \(patterns) patterns")
            }
            state.order = order.map { Int($0) }
        }
        return RunCheckpoint(settings: settings, state: state, model: try AnyLeNet.make(kind: settings.model, parameters: values, layout: layout))
    }

    /// A decoding error in one line: the field and what was wrong.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, _): return "no '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "'\(path)': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// The bounds a resume file's numbers are checked against before they are used: an error names
/// the field, its value and what was expected.
struct ResumeBounds {
    let file: String

    func fail(_ reason: String) -> RunCheckpoint.ReadError { RunCheckpoint.ReadError(file: file, reason: reason) }

    func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else { throw fail("'\(name)' is \(value), expected \(range.lowerBound) to \(range.upperBound)") }
    }

    func check(_ name: String, _ value: Double, _ range: ClosedRange<Double>) throws {
        guard range.contains(value) else { throw fail("'\(name)' is \(value), expected \(range.lowerBound) to \(range.upperBound)") }
    }
}

extension Recipe {
    /// An SGD run's recipe and state from a resume file, within their bounds.
    func checkResumed(_ state: RunState, trainingImages: Int, bounds: ResumeBounds) throws {
        try bounds.check("recipe.batch_size", batchSize, 1...(1 << 20))
        try bounds.check("recipe.log_interval", logInterval, 1...(1 << 31))
        try bounds.check("recipe.schedule's length", schedule.count, 1...Recipe.maximumPhases)
        for (index, phase) in schedule.enumerated() {
            try bounds.check("recipe.schedule[\(index)].epochs", phase.epochs, 1...Recipe.maximumEpochsPerPhase)
            guard phase.learningRate > 0, phase.learningRate.isFinite else {
                throw bounds.fail("'recipe.schedule[\(index)].learning_rate' is \(phase.learningRate), expected a positive number")
            }
        }
        if let refinements {
            try bounds.check("recipe.refinements.warmup", refinements.warmup, 0...1)
            try bounds.check("recipe.refinements.weight_decay", Double(refinements.weightDecay), 0...1)
            try bounds.check("recipe.refinements.label_smoothing", Double(refinements.labelSmoothing), 0...0.99)
            if let augmentation = refinements.augmentation {
                try bounds.check("recipe.refinements.augmentation.translation", Double(augmentation.translation), 0...100)
                try bounds.check("recipe.refinements.augmentation.scaling", Double(augmentation.scaling), 0...0.9)
                try bounds.check("recipe.refinements.augmentation.squeezing", Double(augmentation.squeezing), 0...0.9)
                try bounds.check("recipe.refinements.augmentation.shear", Double(augmentation.shear), 0...10)
                try bounds.check("recipe.refinements.augmentation.rotation", Double(augmentation.rotation), 0...Double.pi)
            }
        }
        let batchesPerEpoch = (trainingImages + batchSize - 1) / batchSize
        try bounds.check("epochs_done", state.epochsDone, 0...totalEpochs)
        try bounds.check("phase", state.phase, 0...(schedule.count - 1))
        try bounds.check("epoch_in_phase", state.epochInPhase, 1...schedule[state.phase].epochs)
        try bounds.check("batch", state.batch, 0...batchesPerEpoch)
        try bounds.check("optimizer_steps", state.optimizerSteps, 0...(1 << 62))
    }
}

extension PaperRecipe {
    /// A Levenberg-Marquardt run's recipe and state from a resume file, within their bounds.
    func checkResumed(_ state: RunState, trainingImages: Int, bounds: ResumeBounds) throws {
        try bounds.check("paper_recipe.learning_rates' length", learningRates.count, 1...100_000)
        try bounds.check("paper_recipe.hessian_patterns", hessianPatterns, 1...(1 << 24))
        guard learningRates.allSatisfy({ $0.isFinite }), mu.isFinite else {
            throw bounds.fail("'paper_recipe' has a learning rate or mu that is not a finite number")
        }
        try bounds.check("epochs_done", state.epochsDone, 0...(learningRates.count - 1))
        guard state.passes.count == state.epochsDone else {
            throw bounds.fail("\(state.passes.count) pass records for \(state.epochsDone) passes done")
        }
    }
}
