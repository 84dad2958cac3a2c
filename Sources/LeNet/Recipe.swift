import Imaging
import NeuralNetwork
import Support

/// One phase of a learning-rate schedule: `epochs` passes over the data at `learningRate`, with a
/// fresh optimizer.
public struct Phase: Codable, Sendable, Equatable {
    public var epochs: Int
    public var learningRate: Double
    public init(epochs: Int, learningRate: Double) {
        self.epochs = epochs
        self.learningRate = learningRate
    }
}

public struct RecipeError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

/// The write-up's training recipe: SGD with momentum over shuffled batches, a fresh optimizer per phase.
public struct Recipe: Codable, Sendable, Equatable {
    public var schedule: [Phase]
    public var batchSize: Int
    public var momentum: Float
    public var seed: UInt64
    /// Print the running loss every this many batches.
    public var logInterval: Int

    /// 2 epochs at 0.0005, 3 at 0.0002, 3 at 0.0001, 4 at 0.00005, 8 at 0.00001; batch 64; momentum 0.9.
    public static let writeupSchedule = [
        Phase(epochs: 2, learningRate: 0.0005), Phase(epochs: 3, learningRate: 0.0002),
        Phase(epochs: 3, learningRate: 0.0001), Phase(epochs: 4, learningRate: 0.00005),
        Phase(epochs: 8, learningRate: 0.00001),
    ]

    public init(schedule: [Phase] = Recipe.writeupSchedule, batchSize: Int = 64, momentum: Float = 0.9,
                seed: UInt64 = 0, logInterval: Int = 100) {
        self.schedule = schedule
        self.batchSize = batchSize
        self.momentum = momentum
        self.seed = seed
        self.logInterval = logInterval
    }

    public var totalEpochs: Int { schedule.reduce(0) { $0 + $1.epochs } }

    /// Bounds that keep every count derived from a schedule (epochs x batches) far from overflow.
    public static let maximumPhases = 1_000
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

    public var learningRates: [Float]
    public var mu: Float
    /// Patterns the second derivatives are averaged over before each pass.
    public var hessianPatterns: Int
    public var loss: PaperLoss
    public var seed: UInt64
    /// When set, each pass presents, beside the N originals, 9N/20 freshly distorted copies of
    /// randomly chosen training patterns: over 20 passes of MNIST, 540,000 distorted patterns beside
    /// the 60,000 originals, as in the paper's Sec. III-C.
    public var distortion: AffineDistortion?

    public init(learningRates: [Float] = PaperRecipe.paperSchedule, mu: Float = 0.02, hessianPatterns: Int = 500,
                loss: PaperLoss = .meanSquaredError, seed: UInt64 = 0, distortion: AffineDistortion? = nil) {
        self.learningRates = learningRates
        self.mu = mu
        self.hessianPatterns = hessianPatterns
        self.loss = loss
        self.seed = seed
        self.distortion = distortion
    }

    /// Distorted patterns per pass for a training set of `count` images.
    public func distortedPerPass(_ count: Int) -> Int { distortion == nil ? 0 : count * 9 / 20 }
}

extension PaperRecipe: Codable {
    enum CodingKeys: String, CodingKey {
        case learningRates, mu, hessianPatterns, loss, seed, distort
    }

    /// The distortions are the paper's (`AffineDistortion()`), so a flag says all.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(learningRates: try values.decode([Float].self, forKey: .learningRates), mu: try values.decode(Float.self, forKey: .mu),
                  hessianPatterns: try values.decode(Int.self, forKey: .hessianPatterns), loss: try values.decode(PaperLoss.self, forKey: .loss),
                  seed: try values.decode(UInt64.self, forKey: .seed),
                  distortion: try values.decode(Bool.self, forKey: .distort) ? AffineDistortion() : nil)
    }

    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(learningRates, forKey: .learningRates)
        try values.encode(mu, forKey: .mu)
        try values.encode(hessianPatterns, forKey: .hessianPatterns)
        try values.encode(loss, forKey: .loss)
        try values.encode(seed, forKey: .seed)
        try values.encode(distortion != nil, forKey: .distort)
    }
}
