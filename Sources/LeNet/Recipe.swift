/// One phase of a learning-rate schedule: `epochs` passes over the data at `learningRate`, with a
/// fresh optimizer.
public struct Phase: Sendable, Equatable {
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

/// The write-up's training recipe.
public struct Recipe: Sendable, Equatable {
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
