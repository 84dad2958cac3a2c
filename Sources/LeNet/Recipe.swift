import Foundation
import Imaging
import NeuralNetwork
import Support

/// One phase of a learning-rate schedule: `epochs` passes over the data at `learningRate`, with a
/// fresh optimizer.
public struct Phase: Codable, Sendable, Equatable {
    /// Passes over the training set.
    public var epochs: Int
    /// The rate for all of them.
    public var learningRate: Double
    /// A phase of `epochs` passes at `learningRate`.
    public init(epochs: Int, learningRate: Double) {
        self.epochs = epochs
        self.learningRate = learningRate
    }
}

/// A schedule or recipe that cannot run, and why.
public struct RecipeError: Error, CustomStringConvertible, Equatable {
    /// What is wrong with it.
    public var description: String
}

/// The write-up's training recipe: SGD with momentum over shuffled batches, a fresh optimizer per phase.
public struct Recipe: Codable, Sendable, Equatable {
    /// The phases, in order; each starts a fresh optimizer.
    public var schedule: [Phase]
    /// Images per batch (the last batch of an epoch may be smaller).
    public var batchSize: Int
    /// SGD's momentum.
    public var momentum: Float
    /// Seeds the shuffle (and the distortions): the same seed, the same bits.
    public var seed: UInt64
    /// Print the running loss every this many batches.
    public var logInterval: Int
    /// What `--recipe modern` adds to the loop; nil in the write-up's recipe (and in run files from
    /// before it existed).
    public var refinements: Refinements?

    /// 2 epochs at 0.0005, 3 at 0.0002, 3 at 0.0001, 4 at 0.00005, 8 at 0.00001; batch 64; momentum 0.9.
    public static let writeupSchedule = [
        Phase(epochs: 2, learningRate: 0.0005), Phase(epochs: 3, learningRate: 0.0002),
        Phase(epochs: 3, learningRate: 0.0001), Phase(epochs: 4, learningRate: 0.00005),
        Phase(epochs: 8, learningRate: 0.00001),
    ]

    /// The write-up's recipe by default; any of its parts can be changed.
    public init(schedule: [Phase] = Recipe.writeupSchedule, batchSize: Int = 64, momentum: Float = 0.9,
                seed: UInt64 = 0, logInterval: Int = 100, refinements: Refinements? = nil) {
        self.schedule = schedule
        self.batchSize = batchSize
        self.momentum = momentum
        self.seed = seed
        self.logInterval = logInterval
        self.refinements = refinements
    }

    /// Training practice the write-up's recipe does not use (`--recipe modern`).
    public struct Refinements: Codable, Sendable, Equatable {
        /// The share of the run's batches over which the rate rises from 0 to the phase's rate
        /// (then it falls to 0 along a half cosine: a one-cycle schedule).
        public var warmup: Double
        /// PyTorch's `SGD(nesterov=True)`.
        public var nesterov: Bool
        /// PyTorch's `SGD(weight_decay=...)`: the gradient plus this times the weight, for every parameter.
        public var weightDecay: Float
        /// PyTorch's `CrossEntropyLoss(label_smoothing=...)`.
        public var labelSmoothing: Float
        /// Random affine distortions of every training image, drawn anew each epoch; nil for none.
        public var augmentation: AffineDistortion?

        /// Refinements; see the properties.
        public init(warmup: Double, nesterov: Bool, weightDecay: Float, labelSmoothing: Float, augmentation: AffineDistortion?) {
            self.warmup = warmup
            self.nesterov = nesterov
            self.weightDecay = weightDecay
            self.labelSmoothing = labelSmoothing
            self.augmentation = augmentation
        }
    }


    /// The epochs of all phases together.
    public var totalEpochs: Int { schedule.reduce(0) { $0 + $1.epochs } }

    /// The modern recipe for the write-up's network: the same layers and 44,426 parameters, trained
    /// the way the last 25 years taught (the measurements behind each choice: docs/RESULTS.md):
    ///   SGD with Nesterov momentum 0.9 and weight decay 5e-4, batch 64, 10 epochs;
    ///   a one-cycle rate: up from 0 to the peak 0.05 over the first fifth of the batches, then down
    ///   to 0 along a half cosine;
    ///   cross-entropy with label smoothing 0.1;
    ///   for handwriting (`distort`), every training image randomly shifted (±2 px), scaled and
    ///   squeezed (±10%), sheared (±0.15) and rotated (±0.17 rad, about 10 degrees) each epoch.
    ///   Clothes (Fashion-MNIST) are not distorted: they are upright and centred, and this small
    ///   network underfits them already (measured: distorted 88.7%, mirrored and shifted 89.6%, plain 91.0%).
    public static func modern(seed: UInt64 = 0, distort: Bool = true) -> Recipe {
        Recipe(schedule: modernSchedule, batchSize: 64, momentum: 0.9, seed: seed, logInterval: 100,
               refinements: Refinements(warmup: 0.2, nesterov: true, weightDecay: 5e-4, labelSmoothing: 0.1,
                                        augmentation: distort ? handwritingDistortions : nil))
    }
    /// The modern recipe's distortions: the paper's set with a milder shear, and rotation up to
    /// ±0.17 radians (about 10 degrees).
    public static let handwritingDistortions = AffineDistortion(translation: 2, scaling: 0.1, squeezing: 0.1, shear: 0.15, rotation: 0.17)
    /// The modern recipe's: 10 epochs of a one-cycle rate peaking at 0.05.
    public static let modernSchedule = [Phase(epochs: 10, learningRate: 0.05)]

    /// One line on what the refinements add, or nil for the write-up's recipe.
    public var refinementsDescription: String? {
        guard let refinements else { return nil }
        var parts = ["SGD\(refinements.nesterov ? " with Nesterov momentum" : " with momentum") \(momentum)",
                     "weight decay \(refinements.weightDecay)",
                     "a one-cycle rate peaking at \(schedule.map { PythonFormat.repr($0.learningRate) }.joined(separator: ", ")) (\(Int((refinements.warmup * 100).rounded()))% warm-up, cosine down to 0)",
                     "label smoothing \(refinements.labelSmoothing)"]
        if let a = refinements.augmentation {
            parts.append("distortions each epoch (shift ±\(a.translation) px, scale and squeeze ±\(Int((a.scaling * 100).rounded()))%, shear ±\(a.shear), rotation ±\(a.rotation) rad\(a.horizontalFlip ? ", mirrored half the time" : ""))")
        } else {
            parts.append("no distortions")
        }
        return parts.joined(separator: ", ") + "; \(totalEpochs) epoch\(totalEpochs == 1 ? "" : "s") of batch \(batchSize)"
    }

    /// The learning rate of batch `step` (counted over the whole run, from 0) of a phase at `rate`:
    /// the phase's rate, or with the refinements' one-cycle shape, its share of the peak.
    public func learningRate(_ rate: Double, step: Int, totalSteps: Int) -> Double {
        guard let refinements else { return rate }
        let total = Double(max(totalSteps, 1)), warm = refinements.warmup * total, t = Double(step) + 1
        if t <= warm { return rate * t / warm }
        let progress = min(1, (t - warm) / max(total - warm, 1))
        return rate * 0.5 * (1 + cos(Double.pi * progress))
    }

    /// Bounds that keep every count derived from a schedule (epochs x batches) far from overflow.
    public static let maximumPhases = 1_000
    /// See `maximumPhases`.
    public static let maximumEpochsPerPhase = 1_000_000

    /// Parses a schedule written as `EPOCHSxRATE` items separated by commas, e.g.
    /// `2x0.0005,3x0.0002,3x0.0001,4x0.00005,8x0.00001`.
    public static func parseSchedule(_ text: String) throws(RecipeError) -> [Phase] {
        var phases: [Phase] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "x", maxSplits: 1)
            guard phases.count < maximumPhases else {
                throw RecipeError(description: "the schedule has more than \(maximumPhases) phases")
            }
            guard parts.count == 2, let epochs = Int(parts[0].trimmingWhitespace()), (1...maximumEpochsPerPhase).contains(epochs),
                  let rate = Double(parts[1].trimmingWhitespace()), rate > 0, rate.isFinite else {
                throw RecipeError(description: "schedule item '\(item)': expected EPOCHSxRATE with a whole number of epochs from 1 to \(maximumEpochsPerPhase) and a positive rate, e.g. 2x0.0005")
            }
            phases.append(Phase(epochs: epochs, learningRate: rate))
        }
        return phases
    }

    /// The schedule in the form `parseSchedule` reads.
    public static func formatSchedule(_ schedule: [Phase]) -> String {
        schedule.map { "\($0.epochs)x\(PythonFormat.repr($0.learningRate))" }.joined(separator: ",")
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var result = self
        while result.first?.isWhitespace == true { result.removeFirst() }
        while result.last?.isWhitespace == true { result.removeLast() }
        return result
    }
}

/// The 1998 paper's training recipe (Sec. III-B, Appendix C).
public struct PaperRecipe: Sendable, Equatable {
    /// eta per pass: 0.0005 for passes 1-2, 0.0002 for 3-5, 0.0001 for 6-8, 0.00005 for 9-12,
    /// 0.00001 for 13-20.
    public static let paperSchedule: [Float] = [0.0005, 0.0005] + Array(repeating: 0.0002, count: 3)
        + Array(repeating: 0.0001, count: 3) + Array(repeating: 0.00005, count: 4) + Array(repeating: 0.00001, count: 8)

    /// eta for each pass, in order: the number of passes.
    public var learningRates: [Float]
    /// mu, the safety term of eps_k = eta / (mu + h_kk).
    public var mu: Float
    /// Patterns the second derivatives are averaged over before each pass.
    public var hessianPatterns: Int
    /// The loss: eq. 8 (mean squared error) or eq. 9 (maximum a posteriori).
    public var loss: PaperLoss
    /// The seed of the pattern order and of the distortions.
    public var seed: UInt64
    /// When set, each pass presents, beside the N originals, 9N/20 freshly distorted copies of
    /// randomly chosen training patterns: over 20 passes of MNIST, 540,000 distorted patterns beside
    /// the 60,000 originals, as in the paper's Sec. III-C.
    public var distortion: AffineDistortion?
    /// With `distortion`: distorted patterns per pass for each original, in twentieths (nil: 9, the
    /// 540,000 over 20 passes above). 180 reads the paper's training set as 600,000 patterns every
    /// pass: the originals and 540,000 distortions (9 per original).
    public var distortionTwentieths: Int?

    /// The paper's recipe by default: its 20-pass schedule, mu 0.02, 500 patterns for the second
    /// derivatives, eq. 9 with j = 5, no distortions.
    public init(learningRates: [Float] = PaperRecipe.paperSchedule, mu: Float = 0.02, hessianPatterns: Int = 500,
                loss: PaperLoss = .maximumAPosteriori(j: 5), seed: UInt64 = 0, distortion: AffineDistortion? = nil,
                distortionTwentieths: Int? = nil) {
        self.learningRates = learningRates
        self.mu = mu
        self.hessianPatterns = hessianPatterns
        self.loss = loss
        self.seed = seed
        self.distortion = distortion
        self.distortionTwentieths = distortionTwentieths
    }

    /// Distorted patterns per pass for a training set of `count` images.
    public func distortedPerPass(_ count: Int) -> Int { distortion == nil ? 0 : count * (distortionTwentieths ?? 9) / 20 }
}

extension PaperRecipe: Codable {
    enum CodingKeys: String, CodingKey {
        case learningRates, mu, hessianPatterns, loss, seed, distort, distortionTwentieths
    }

    /// The distortions are the paper's (`AffineDistortion()`), so a flag says all.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(learningRates: try values.decode([Float].self, forKey: .learningRates), mu: try values.decode(Float.self, forKey: .mu),
                  hessianPatterns: try values.decode(Int.self, forKey: .hessianPatterns), loss: try values.decode(PaperLoss.self, forKey: .loss),
                  seed: try values.decode(UInt64.self, forKey: .seed),
                  distortion: try values.decode(Bool.self, forKey: .distort) ? AffineDistortion() : nil,
                  distortionTwentieths: try values.decodeIfPresent(Int.self, forKey: .distortionTwentieths))
    }

    /// Encodes the recipe, the distortions as a flag.
    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(learningRates, forKey: .learningRates)
        try values.encode(mu, forKey: .mu)
        try values.encode(hessianPatterns, forKey: .hessianPatterns)
        try values.encode(loss, forKey: .loss)
        try values.encode(seed, forKey: .seed)
        try values.encode(distortion != nil, forKey: .distort)
        try values.encodeIfPresent(distortionTwentieths, forKey: .distortionTwentieths)
    }
}
