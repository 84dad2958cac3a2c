import Foundation
import NeuralNetwork
import Support

/// A training run by SGD with momentum (the write-up's loop, either model) caught in the middle: the weights, the optimizer's momentum buffer, the
/// phase, epoch and batch, the shuffle generator and the loss sums, the recipe and the log so far.
/// Saved as `resume.safetensors` in the run folder (safetensors: the model's tensors under their
/// PyTorch names, `optimizer.velocity`, and the rest as exact strings in the metadata), written to a
/// temporary name and renamed. `lenet train --resume RUN` continues from it to the same final
/// weights, bit for bit, as a run that was never stopped.
public struct ResumeCheckpoint: Sendable {
    public static let fileName = "resume.safetensors"

    public var model: AnyLeNet
    /// The loss, when it is not the model's own (the 1998 model's eq. 9).
    public var loss: PaperLoss?
    public var state: TrainingState
    public var recipe: Recipe
    /// How many training images the run uses (the first N of the set) and the data root it read.
    public var trainingImages: Int
    public var dataRoot: String
    /// `--dataset`'s value (mnist, fashion-mnist, ...).
    public var dataset: String = "mnist"
    public var history: TrainingHistory

    public init(model: AnyLeNet, state: TrainingState, recipe: Recipe, trainingImages: Int, dataRoot: String, dataset: String = "mnist",
                history: TrainingHistory, loss: PaperLoss? = nil) {
        self.loss = loss
        self.dataset = dataset
        self.model = model
        self.state = state
        self.recipe = recipe
        self.trainingImages = trainingImages
        self.dataRoot = dataRoot
        self.history = history
    }

    public struct ReadError: Error, CustomStringConvertible, Equatable {
        public var file: String
        public var reason: String
        public var description: String { "\(file): not a resumable checkpoint: \(reason)" }
    }

    static func hex(_ value: UInt64) -> String { String(value, radix: 16) }

    public func save(to path: String) throws {
        let g = state.epochGenerator.state
        let historyJSON = String(decoding: try JSONEncoder().encode(history), as: UTF8.self)
        var metadata: [String: String] = [
            "format": "pt", "model": model.kind, "resume": "1",
            "resume_phase": String(state.phase), "resume_epoch": String(state.epochInPhase), "resume_batch": String(state.batch),
            "resume_generator": [g.0, g.1, g.2, g.3].map(Self.hex).joined(separator: ","),
            "resume_optimizer_steps": String(state.optimizerSteps),
            "resume_running": Self.hex(state.running.bitPattern), "resume_epoch_total": Self.hex(state.epochTotal.bitPattern),
            "resume_epochs_done": String(state.epochsDone),
            "schedule": Recipe.formatSchedule(recipe.schedule), "batch_size": String(recipe.batchSize),
            "momentum": "\(recipe.momentum)", "seed": String(recipe.seed), "log_interval": String(recipe.logInterval),
            "training_images": String(trainingImages), "data": dataRoot, "dataset": dataset, "history": historyJSON,
        ]
        if let loss { metadata["loss_code"] = loss.code }
        let parameters = model.parameters
        var tensors = model.layout.tensors.map { ($0.name, Tensor(shape: $0.shape, scalars: Array(parameters[$0.range]))) }
        tensors.append(("optimizer.velocity", Tensor(shape: [state.velocity.count], scalars: state.velocity)))
        try SafeTensorsFile.write(tensors, metadata: metadata, to: path)
    }

    public static func load(_ path: String) throws -> ResumeCheckpoint {
        try load(try SafeTensorsFile(contentsOf: path), path: path)
    }

    /// The state held by an already-read file (`path` names it in errors).
    public static func load(_ file: SafeTensorsFile, path: String) throws -> ResumeCheckpoint {
        let m = file.metadata
        let reader = RunStateReader(metadata: m, path: path)
        guard m["resume"] == "1" else {
            throw ReadError(file: path, reason: "no resume state in its metadata (a finished model.safetensors? resume from the run's \(fileName))")
        }
        let epochGenerator = try reader.generator("resume_generator")
        let schedule: [Phase]
        do { schedule = try Recipe.parseSchedule(try reader.field("schedule")) } catch let error as RecipeError {
            throw ReadError(file: path, reason: "'schedule': \(error.description)")
        }
        guard let momentum = Float(try reader.field("momentum")) else { throw ReadError(file: path, reason: "'momentum' is not a number") }
        guard let seed = UInt64(try reader.field("seed")) else { throw ReadError(file: path, reason: "'seed' is not a whole number") }
        let recipe = Recipe(schedule: schedule, batchSize: try reader.integer("batch_size", 1...(1 << 20)), momentum: momentum, seed: seed,
                            logInterval: try reader.integer("log_interval", 1...(1 << 31)))
        let trainingImages = try reader.integer("training_images", 1...(1 << 31))
        let batchesPerEpoch = (trainingImages + recipe.batchSize - 1) / recipe.batchSize
        let kind = m["model"] ?? LeNet5.kind
        let layout = try AnyLeNet.expectedLayout(kind: kind, of: file)
        let state = TrainingState(
            phase: try reader.integer("resume_phase", 0...schedule.count), epochInPhase: try reader.integer("resume_epoch", 0...Recipe.maximumEpochsPerPhase),
            batch: try reader.integer("resume_batch", 0...batchesPerEpoch),
            epochGenerator: epochGenerator,
            velocity: try file.floats("optimizer.velocity", shape: [layout.count]).scalars,
            optimizerSteps: try reader.integer("resume_optimizer_steps", 0...(1 << 62)), running: try reader.double("resume_running"),
            epochTotal: try reader.double("resume_epoch_total"), epochsDone: try reader.integer("resume_epochs_done", 0...recipe.totalEpochs))
        guard state.phase < schedule.count, (1...schedule[state.phase].epochs).contains(state.epochInPhase), recipe.batchSize > 0 else {
            throw ReadError(file: path, reason: "phase \(state.phase), epoch \(state.epochInPhase) lie outside the schedule \(Recipe.formatSchedule(schedule))")
        }
        var values = [Float](repeating: 0, count: layout.count)
        for view in layout.tensors {
            values.replaceSubrange(view.range, with: try file.floats(view.name, shape: view.shape).scalars)
        }
        let history: TrainingHistory
        do { history = try JSONDecoder().decode(TrainingHistory.self, from: Data(try reader.field("history").utf8)) } catch {
            throw ReadError(file: path, reason: "'history' is not the expected JSON")
        }
        return ResumeCheckpoint(model: AnyLeNet.make(kind: kind, parameters: values, layout: layout), state: state, recipe: recipe,
                                trainingImages: trainingImages, dataRoot: try reader.field("data"), dataset: m["dataset"] ?? "mnist",
                                history: history, loss: try m["loss_code"].map { try reader.loss($0) })
    }
}

/// Reads the fields of a run state's metadata, each with an error that names the file, the key,
/// what was expected and what was found. Both models' resume files use it.
struct RunStateReader {
    let metadata: [String: String]
    let path: String

    func fail(_ reason: String) -> ResumeCheckpoint.ReadError { ResumeCheckpoint.ReadError(file: path, reason: reason) }

    func field(_ key: String) throws(ResumeCheckpoint.ReadError) -> String {
        guard let value = metadata[key] else { throw fail("the metadata has no '\(key)'") }
        return value
    }

    /// A whole number from `range` (every count is bounded, so no product of two can overflow).
    func integer(_ key: String, _ range: ClosedRange<Int> = 0...(1 << 31)) throws(ResumeCheckpoint.ReadError) -> Int {
        let text = try field(key)
        guard let value = Int(text), range.contains(value) else {
            throw fail("'\(key)' is '\(text)', expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A Double stored exactly, as the hexadecimal of its bits.
    func double(_ key: String) throws(ResumeCheckpoint.ReadError) -> Double {
        let text = try field(key)
        guard let bits = UInt64(text, radix: 16) else { throw fail("'\(key)' is '\(text)', expected a hexadecimal bit pattern") }
        return Double(bitPattern: bits)
    }

    /// A 1998 loss as `PaperLoss.code` writes it.
    func loss(_ code: String) throws(ResumeCheckpoint.ReadError) -> PaperLoss {
        guard let loss = PaperLoss(code: code) else { throw fail("'loss_code' is '\(code)', expected mse or map:<j>") }
        return loss
    }

    /// A seeded generator's state: four hexadecimal words.
    func generator(_ key: String) throws(ResumeCheckpoint.ReadError) -> SeededGenerator {
        let words = try field(key).split(separator: ",").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4 else { throw fail("'\(key)' should be 4 hexadecimal words") }
        return SeededGenerator(state: (words[0], words[1], words[2], words[3]))
    }
}
