import Foundation
import Imaging
import NeuralNetwork
import Support

/// A run by stochastic diagonal Levenberg-Marquardt (the paper's loop, either model) caught in the middle, as `resume.safetensors`: the weights and generators at the
/// start of the pass in progress, the pattern order, the passes done and the recipe. Resuming
/// runs that pass again from its start and ends bit-identical to an uninterrupted run.
public struct PaperResumeCheckpoint: Sendable {
    public var state: PaperTrainingState
    public var recipe: PaperRecipe
    /// The model's kind, and its layout.
    public var kind: String
    public var layout: ParameterLayout
    /// What the command needs to go on as before: training images used, data root, data set, and
    /// the options recorded in the final model's metadata.
    public var trainingImages: Int
    public var dataRoot: String
    public var dataset: String
    public var options: [String: String]

    public init(state: PaperTrainingState, recipe: PaperRecipe, kind: String = LeNet1998.kind, layout: ParameterLayout = LeNet1998.layout,
                trainingImages: Int, dataRoot: String, dataset: String, options: [String: String]) {
        self.kind = kind
        self.layout = layout
        self.state = state
        self.recipe = recipe
        self.trainingImages = trainingImages
        self.dataRoot = dataRoot
        self.dataset = dataset
        self.options = options
    }

    static func hex(_ g: SeededGenerator) -> String { [g.state.0, g.state.1, g.state.2, g.state.3].map { String($0, radix: 16) }.joined(separator: ",") }

    public func save(to path: String) throws {
        var metadata: [String: String] = [
            "format": "pt", "model": kind, "resume": "1",
            "resume_pass": String(state.pass), "resume_shuffle": Self.hex(state.shuffle), "resume_distortions": Self.hex(state.distortions),
            "resume_records": String(decoding: try JSONEncoder().encode(state.records), as: UTF8.self),
            "learning_rates": recipe.learningRates.map { "\($0)" }.joined(separator: ","), "mu": "\(recipe.mu)",
            "hessian_patterns": String(recipe.hessianPatterns), "seed": String(recipe.seed),
            "loss_code": recipe.loss.code,
            "distort": recipe.distortion == nil ? "0" : "1",
            "training_images": String(trainingImages), "data": dataRoot, "dataset": dataset,
        ]
        for (key, value) in options { metadata["option_" + key] = value }
        var tensors = layout.tensors.map { ($0.name, Tensor(shape: $0.shape, scalars: Array(state.parameters[$0.range]))) }
        tensors.append(("order", Tensor(shape: [state.order.count], scalars: state.order.map { Float($0) })))
        try SafeTensorsFile.write(tensors, metadata: metadata, to: path)
    }

    public static func load(_ path: String) throws -> PaperResumeCheckpoint {
        try load(try SafeTensorsFile(contentsOf: path), path: path)
    }

    /// The state held by an already-read file (`path` names it in errors).
    public static func load(_ file: SafeTensorsFile, path: String) throws -> PaperResumeCheckpoint {
        let m = file.metadata
        let reader = RunStateReader(metadata: m, path: path)
        guard m["resume"] == "1", m["resume_pass"] != nil else { throw reader.fail("not the resume state of a Levenberg-Marquardt run") }
        let kind = m["model"] ?? LeNet5.kind
        let layout = try AnyLeNet.expectedLayout(kind: kind, of: file)
        let rates = try reader.field("learning_rates").split(separator: ",").compactMap { Float($0) }
        guard !rates.isEmpty, rates.count <= 100_000, rates.allSatisfy({ $0.isFinite }), let mu = Float(try reader.field("mu")) else { throw reader.fail("'learning_rates' or 'mu' is not a list of numbers") }
        let loss = try reader.loss(try reader.field("loss_code"))
        guard let seed = UInt64(try reader.field("seed")) else { throw reader.fail("'seed' is not a whole number") }
        let recipe = PaperRecipe(learningRates: rates, mu: mu, hessianPatterns: try reader.integer("hessian_patterns", 1...(1 << 24)), loss: loss, seed: seed,
                                 distortion: try reader.field("distort") == "1" ? AffineDistortion() : nil)
        var parameters = [Float](repeating: 0, count: layout.count)
        for view in layout.tensors {
            parameters.replaceSubrange(view.range, with: try file.floats(view.name, shape: view.shape).scalars)
        }
        let trainingImages = try reader.integer("training_images", 1...(1 << 24))
        // The pattern order: a permutation of the patterns of a pass (the training images, and the
        // distorted copies when there are some). A float that is not a whole number in range would
        // trap on conversion, so each is checked first.
        let patterns = trainingImages + recipe.distortedPerPass(trainingImages)
        let orderValues = try file.floats("order").scalars
        guard orderValues.count == patterns,
              orderValues.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < Float(patterns) && $0.rounded() == $0 }) else {
            throw reader.fail("'order' is not a permutation of the pass's \(patterns) patterns")
        }
        let order = orderValues.map { Int($0) }
        guard Set(order).count == order.count else { throw reader.fail("'order' is not a permutation of the pass's \(patterns) patterns") }
        let records: [PassRecord]
        do { records = try JSONDecoder().decode([PassRecord].self, from: Data(try reader.field("resume_records").utf8)) } catch {
            throw reader.fail("'resume_records' is not the expected JSON")
        }
        let pass = try reader.integer("resume_pass")
        guard pass < rates.count, records.count == pass else { throw reader.fail("pass \(pass) does not fit its \(records.count) records and \(rates.count) passes") }
        var options: [String: String] = [:]
        for (key, value) in m where key.hasPrefix("option_") { options[String(key.dropFirst(7))] = value }
        return PaperResumeCheckpoint(
            state: PaperTrainingState(pass: pass, parameters: parameters, shuffle: try reader.generator("resume_shuffle"),
                                      distortions: try reader.generator("resume_distortions"), order: order, records: records),
            recipe: recipe, kind: kind, layout: layout, trainingImages: trainingImages, dataRoot: try reader.field("data"), dataset: try reader.field("dataset"),
            options: options)
    }
}
