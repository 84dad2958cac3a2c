import ArgumentParser
import Datasets
import Imaging
import LeNet
import NeuralNetwork

// The options of `lenet train`, grouped by what they apply to. Each is nil unless given, so that a
// run can tell what was asked for from what was left to the defaults (which live in the library).

struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The model (default: lenet5): \(ModelChoice.help).", valueName: "kind"))
    var model: ModelChoice?

    @Option(help: ArgumentHelp("The optimizer: sgd (SGD with momentum over batches, the write-up's schedule; lenet5's default) or sdlm (the paper's stochastic diagonal Levenberg-Marquardt, one pattern at a time, its 20-pass schedule; lenet5-1998's default). Either trains either model.", valueName: "name"))
    var optimizer: OptimizerKind?

    @Option(help: "Seed of the initial weights and of the shuffle of every epoch (default: 0).")
    var seed: UInt64?

    /// `--model`, or the write-up's.
    var kind: any LayeredModel.Type { model?.kind ?? LeNet5.self }
    /// `--optimizer`, or the model's own.
    var optimizerChoice: OptimizerKind { optimizer ?? kind.defaultOptimizer }
}

enum RecipeKind: String, ExpressibleByArgument, CaseIterable {
    case writeup
    case modern
}

struct GradientDescentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("sgd: writeup (the write-up's schedule, the default) or modern (the same network trained as the last 25 years taught: SGD with Nesterov momentum and weight decay 5e-4, a one-cycle rate peaking at \(Recipe.modernSchedule[0].learningRate) over \(Recipe.modernSchedule[0].epochs) epochs, label smoothing 0.1, and for handwriting (MNIST, EMNIST) every training image randomly shifted, scaled, squeezed, sheared and rotated each epoch).", discussion: "--schedule, --batch-size and --momentum change either recipe; with modern, --schedule's rate is the one-cycle's peak.", valueName: "name"))
    var recipe: RecipeKind?

    @Option(help: ArgumentHelp("sgd: the learning-rate schedule, EPOCHSxRATE phases, comma-separated, each with a fresh optimizer (default: \(Recipe.formatSchedule(Recipe.writeupSchedule))).", valueName: "phases"))
    var schedule: String?

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("sgd: images per batch; the last partial batch of an epoch is kept (default: \(Recipe().batchSize)).", valueName: "n"))
    var batchSize: Int?

    @Option(help: ArgumentHelp("sgd: the momentum, by PyTorch's rule buf = momentum*buf + grad; param -= lr*buf (default: \(Recipe().momentum)).", valueName: "m"))
    var momentum: Float?

    @Option(name: .customLong("log-interval"), help: ArgumentHelp("sgd: print the running loss every this many batches (default: \(Recipe().logInterval)).", valueName: "n"))
    var logInterval: Int?

    /// The options given, by name.
    var given: [String] {
        [("--recipe", recipe != nil), ("--schedule", schedule != nil), ("--batch-size", batchSize != nil), ("--momentum", momentum != nil),
         ("--log-interval", logInterval != nil)].filter(\.1).map(\.0)
    }

    func validate() throws {
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if let logInterval, logInterval <= 0 { throw ValidationError("--log-interval must be at least 1, got \(logInterval)") }
        if let momentum, !(momentum >= 0 && momentum.isFinite) { throw ValidationError("--momentum must be a finite number >= 0, got \(momentum)") }
        if let schedule { do { _ = try Recipe.parseSchedule(schedule) } catch { throw ValidationError("--schedule: \(error.description)") } }
    }

    /// The recipe for `dataset` (the modern recipe distorts handwriting only: MNIST and EMNIST).
    func recipe(seed: UInt64, dataset: String) throws -> Recipe {
        let handwriting = dataset == "mnist" || dataset == NumberSegments.name || dataset.hasPrefix("emnist")
        let defaults = recipe == .modern ? Recipe.modern(seed: seed, distort: handwriting) : Recipe()
        return Recipe(schedule: try schedule.map { try Recipe.parseSchedule($0) } ?? defaults.schedule, batchSize: batchSize ?? defaults.batchSize,
                      momentum: momentum ?? defaults.momentum, seed: seed, logInterval: logInterval ?? defaults.logInterval,
                      refinements: defaults.refinements)
    }
}

struct LevenbergMarquardtOptions: ParsableArguments {
    @Option(help: ArgumentHelp("sdlm: run the first N of the paper's \(PaperRecipe.paperSchedule.count) passes (default: all).", valueName: "N"))
    var passes: Int?

    @Flag(help: ArgumentHelp("sdlm: add random affine distortions (translation ±2 px, scaling and squeezing 0.9-1.1, horizontal shear ±0.2): 9N/20 distorted patterns per pass beside the N originals. Saves distortions.png in the run folder."))
    var distort = false

    @Option(name: .customLong("distortions-per-pattern"), help: ArgumentHelp("sdlm with --distort: distorted patterns per original per pass (default: 0.45, the paper's 540,000 spread over its 20 passes; 9 presents the paper's 600,000-pattern set every pass). A multiple of 0.05.", valueName: "r"))
    var distortionsPerPattern: Double?

    @Option(name: .customLong("distortion-strength"), help: ArgumentHelp("sdlm with --distort: multiply every distortion's magnitude (translation, scaling, squeezing, shear) by this factor (default: 1; 0.5 gives ±1 px, 0.95-1.05 and ±0.1).", valueName: "factor"))
    var distortionStrength: Float?

    @Option(name: .customLong("eta-scale"), help: ArgumentHelp("sdlm: multiply the paper's eta schedule by this factor (default: \(Self.defaultEtaScale); 1 is the paper's).", valueName: "factor"))
    var etaScale: Float?

    /// The measured default (docs/lenet-1998.md).
    static let defaultEtaScale: Float = 0.5

    var given: [String] {
        [("--passes", passes != nil), ("--distort", distort), ("--distortions-per-pattern", distortionsPerPattern != nil),
         ("--distortion-strength", distortionStrength != nil), ("--eta-scale", etaScale != nil)].filter(\.1).map(\.0)
    }

    func validate() throws {
        if let passes, !(1...PaperRecipe.paperSchedule.count).contains(passes) {
            throw ValidationError("--passes must be between 1 and \(PaperRecipe.paperSchedule.count), got \(passes)")
        }
        if let etaScale, !(etaScale > 0 && etaScale.isFinite) { throw ValidationError("--eta-scale must be a positive number, got \(etaScale)") }
        if let distortionStrength {
            guard distort else { throw ValidationError("--distortion-strength needs --distort") }
            guard distortionStrength > 0, distortionStrength <= 4 else {
                throw ValidationError("--distortion-strength must be above 0 and at most 4, got \(distortionStrength)")
            }
        }
        if let r = distortionsPerPattern {
            guard distort else { throw ValidationError("--distortions-per-pattern needs --distort") }
            let twentieths = (r * 20).rounded()
            guard r > 0, r <= 100, abs(r * 20 - twentieths) < 1e-9 else {
                throw ValidationError("--distortions-per-pattern must be a multiple of 0.05 from 0.05 to 100, got \(r)")
            }
        }
    }

    func recipe(seed: UInt64, loss: PaperLoss) -> PaperRecipe {
        let scale = etaScale ?? Self.defaultEtaScale
        return PaperRecipe(learningRates: PaperRecipe.paperSchedule.prefix(passes ?? PaperRecipe.paperSchedule.count).map { $0 * scale },
                           loss: loss, seed: seed, distortion: distort ? Self.distortion(strength: distortionStrength ?? 1) : nil,
                           distortionTwentieths: distortionsPerPattern.map { Int(($0 * 20).rounded()) })
    }
}

extension LevenbergMarquardtOptions {
    /// The default distortion with every magnitude multiplied by `strength`.
    static func distortion(strength: Float) -> AffineDistortion {
        let base = AffineDistortion()
        return AffineDistortion(translation: base.translation * strength, scaling: base.scaling * strength,
                                squeezing: base.squeezing * strength, shear: base.shear * strength, rotation: base.rotation)
    }
}

struct PaperModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("lenet5-1998 (RBF outputs): the loss, map (eq. 9, the default: 0.91% test error over three seeds) or mse (eq. 8).", valueName: "loss"))
    var loss: PaperLossOption?

    @Option(name: .customLong("map-j"), help: ArgumentHelp("lenet5-1998 (RBF outputs): the constant j of eq. 9 (the paper gives no value; default: 5).", valueName: "j"))
    var mapJ: Float?

    @Option(help: ArgumentHelp("The paper's models (all but lenet5): the initial weights: mixed (the default: uniform in ±2.4/sqrt(F) for the convolutions and full connections, ±2.4/F as printed for the subsampling coefficients, F = 4), sqrt-fan-in (±2.4/sqrt(F) everywhere, the default until the subsampling's was measured: a worse model) or fan-in (±2.4/F everywhere, as the paper prints it, which diverges at the paper's eta here; see docs/lenet-1998.md).", valueName: "rule"))
    var initialization: PaperInitialization?

    var given: [String] { lossGiven + (initialization != nil ? ["--initialization"] : []) }
    /// The options of a model with RBF outputs.
    var lossGiven: [String] { [("--loss", loss != nil), ("--map-j", mapJ != nil)].filter(\.1).map(\.0) }

    /// eq. 9 unless --loss mse: with it the faithful recipe reaches the paper's 0.95% (docs/lenet-1998.md).
    var paperLoss: PaperLoss { loss == .mse ? .meanSquaredError : .maximumAPosteriori(j: mapJ ?? 5) }

    func validate() throws {
        if loss == .mse, mapJ != nil { throw ValidationError("--map-j is eq. 9's constant; it does not apply with --loss mse") }
        if let mapJ, !(mapJ > 0 && mapJ.isFinite) { throw ValidationError("--map-j must be a positive number, got \(mapJ)") }
    }
    var rule: PaperInitialization { initialization ?? .mixed }
}

extension OptimizerKind: ExpressibleByArgument {}
extension PaperInitialization: ExpressibleByArgument {}

/// `--model`: a kind of `ModelKinds.all`, by name.
struct ModelChoice: ExpressibleByArgument {
    let kind: any LayeredModel.Type

    init?(argument: String) {
        guard let kind = ModelKinds.named(argument) else { return nil }
        self.kind = kind
    }

    static var allValueStrings: [String] { ModelKinds.all.map { $0.kind } }
    /// "lenet1 is LeNet-1 (1998), ..., lenet5 the write-up's LeNet-5".
    static var help: String {
        ModelKinds.all.enumerated().map { index, kind in
            let title = kind.title.hasPrefix("The ") ? "the" + kind.title.dropFirst(3) : kind.title
            return "\(kind.kind) \(index == 0 ? "is " : "")\(title)"
        }.joined(separator: ", ")
    }
}

enum PaperLossOption: String, ExpressibleByArgument, CaseIterable {
    case mse
    case map
}
