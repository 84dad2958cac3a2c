import NeuralNetwork

/// How the weights of a model that starts as the 1998 paper does are drawn (LeNet-1, LeNet-4 and
/// the 1998 LeNet-5; the write-up's starts as PyTorch does).
public enum PaperInitialization: String, Sendable, CaseIterable {
    /// Uniform in ±2.4/F, F the fan-in of the unit: Appendix A as printed. The signal shrinks
    /// by about sqrt(F) per layer (measured at F6: rms 0.0003), and so do the second derivatives.
    case fanIn = "fan-in"
    /// Uniform in ±2.4/sqrt(F): every layer's weighted sums keep a standard deviation near 1
    /// (LeCun et al., "Efficient BackProp", 1998, sec. 4.6). Not the paper's text; see docs/lenet-1998.md.
    case squareRootFanIn = "sqrt-fan-in"
    /// ±2.4/sqrt(F) for the convolutions and full connections, ±2.4/F as printed for the
    /// subsampling coefficients (F = 4: ±0.6). The square root keeps the weighted sums of 25 to
    /// 400 inputs near unit variance; the subsampling's sum of four neighbouring (so similar)
    /// values needs no such help: at ±1.2 it starts twice as steep as the paper's and trains
    /// to a worse model (measured: docs/lenet-1998.md). The default.
    case mixed

    var rule: WeightInitialization {
        switch self {
        case .fanIn: .lecunFanIn
        case .squareRootFanIn: .lecunSquareRootFanIn
        case .mixed: .lecunSquareRootFanInSubsamplingAsPrinted
        }
    }

    /// How `lenet train` describes it when a run starts.
    public var description: String {
        switch self {
        case .fanIn: "±2.4/F"
        case .squareRootFanIn: "±2.4/sqrt(F)"
        case .mixed: "±2.4/sqrt(F), the subsampling coefficients ±2.4/F as printed"
        }
    }
}
