/// What a write-up training run logged, saved as history.json in the run folder so that reports
/// drawn later (by `lenet evaluate`) can show the loss curve with its learning-rate phases.
public struct TrainingHistory: Codable, Sendable, Equatable {
    /// One phase of the schedule.
    public struct Phase: Codable, Sendable, Equatable {
        /// Epochs in the phase.
        public var epochs: Int
        /// The phase's learning rate.
        public var learningRate: Double
    }

    /// The write-up's running loss: `epoch` counts over the whole run, with the batch as a fraction
    /// (batch 100 of 938 in the second epoch is 1.107).
    public struct LossPoint: Codable, Sendable, Equatable {
        /// The epoch, with the batch as a fraction.
        public var epoch: Double
        /// The learning rate at that batch.
        public var learningRate: Double
        /// The running loss, as the log line printed it.
        public var loss: Double
    }

    /// One epoch's summary.
    public struct EpochRecord: Codable, Sendable, Equatable {
        /// The epoch, from 1 over the whole run.
        public var epoch: Int
        /// The phase it belongs to, from 0.
        public var phase: Int
        /// The mean loss over its batches.
        public var meanLoss: Double
        /// Seconds it took.
        public var seconds: Double
    }

    /// The schedule's phases.
    public var phases: [Phase]
    /// Every log line's running loss.
    public var lossPoints: [LossPoint] = []
    /// Every epoch's summary.
    public var epochs: [EpochRecord] = []

    /// An empty history for a run of `schedule`.
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
