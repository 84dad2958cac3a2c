/// What a write-up training run logged, saved as history.json in the run folder so that reports
/// drawn later (by `lenet evaluate`) can show the loss curve with its learning-rate phases.
public struct TrainingHistory: Codable, Sendable, Equatable {
    public struct Phase: Codable, Sendable, Equatable {
        public var epochs: Int
        public var learningRate: Double
    }

    /// The write-up's running loss: `epoch` counts over the whole run, with the batch as a fraction
    /// (batch 100 of 938 in the second epoch is 1.107).
    public struct LossPoint: Codable, Sendable, Equatable {
        public var epoch: Double
        public var learningRate: Double
        public var loss: Double
    }

    public struct EpochRecord: Codable, Sendable, Equatable {
        public var epoch: Int
        public var phase: Int
        public var meanLoss: Double
        public var seconds: Double
    }

    public var phases: [Phase]
    public var lossPoints: [LossPoint] = []
    public var epochs: [EpochRecord] = []

    public init(schedule: [LeNet.Phase]) {
        phases = schedule.map { Phase(epochs: $0.epochs, learningRate: $0.learningRate) }
    }

    /// Records a training event; `batchesPerEpoch` places the running losses within their epoch.
    public mutating func record(_ event: TrainingEvent, batchesPerEpoch: Int) {
        switch event {
        case .runningLoss(let rate, _, let batch, let loss):
            lossPoints.append(LossPoint(epoch: Double(epochs.count) + Double(batch) / Double(max(batchesPerEpoch, 1)),
                                        learningRate: rate, loss: loss))
        case .epochFinished(let epoch, let phase, let meanLoss, let seconds):
            epochs.append(EpochRecord(epoch: epoch, phase: phase, meanLoss: meanLoss, seconds: seconds))
        case .batchFinished, .passProgress, .passFinished:
            break
        }
    }
}
