import NeuralNetwork

/// How a run trains: the loop and its recipe, as one value.
public enum TrainingMethod: Sendable, Equatable {
    /// SGD with momentum over shuffled batches, a fresh optimizer per phase: the write-up's loop.
    /// `loss` is the paper's, for a model with RBF outputs (nil: cross-entropy on logits).
    case gradientDescent(Recipe, loss: PaperLoss?)
    /// Stochastic diagonal Levenberg-Marquardt, one pattern at a time: the 1998 paper's loop. Its
    /// recipe holds its loss.
    case levenbergMarquardt(PaperRecipe)

    /// The loop it runs: `.sgd` or `.sdlm`.
    public var optimizer: OptimizerKind {
        switch self {
        case .gradientDescent: .sgd
        case .levenbergMarquardt: .sdlm
        }
    }

    /// The SGD recipe, or nil.
    public var recipe: Recipe? {
        if case .gradientDescent(let recipe, _) = self { return recipe }
        return nil
    }

    /// The Levenberg-Marquardt recipe, or nil.
    public var paperRecipe: PaperRecipe? {
        if case .levenbergMarquardt(let recipe) = self { return recipe }
        return nil
    }

    /// The seed of the weights, the shuffles and the distortions.
    public var seed: UInt64 {
        switch self {
        case .gradientDescent(let recipe, _): recipe.seed
        case .levenbergMarquardt(let recipe): recipe.seed
        }
    }

    /// Epochs (SGD) or passes (Levenberg-Marquardt) in the whole run.
    public var totalEpochs: Int {
        switch self {
        case .gradientDescent(let recipe, _): recipe.totalEpochs
        case .levenbergMarquardt(let recipe): recipe.learningRates.count
        }
    }
}
