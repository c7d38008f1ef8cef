import Foundation

/// The `--lr_policy` choices of the reference, as a factor of the initial learning rate per epoch.
public enum LRPolicy: String, Codable, CaseIterable, Sendable {
    /// constant for n_epochs, then linearly to 0 over n_epochs_decay
    case linear
    /// × 0.1 every lr_decay_iters epochs
    case step
    /// cosine annealing to 0 over n_epochs (CosineAnnealingLR, T_max = n_epochs)
    case cosine
    /// × 0.2 when a metric stops improving (ReduceLROnPlateau; see `Plateau`)
    case plateau
}

/// `--lr_policy plateau`: PyTorch's ReduceLROnPlateau with the reference's settings (factor 0.2, threshold 0.01
/// relative, patience 5, no cooldown, eps 1e-8): the rate is multiplied by 0.2 once the metric has not improved
/// on its best by 1 % for more than 5 steps in a row. Its state is saved in checkpoints.
public struct Plateau: Equatable, Sendable {
    public static let factor: Float = 0.2, threshold = 0.01, patience = 5, eps: Float = 1e-8
    /// The best metric so far (nil before the first step).
    public var best: Double?
    /// Steps since the best, or since the last reduction.
    public var badSteps = 0
    /// The learning rate's factor now.
    public var scale: Float = 1

    public init(best: Double? = nil, badSteps: Int = 0, scale: Float = 1) {
        self.best = best; self.badSteps = badSteps; self.scale = scale
    }

    /// One step on `metric` (lower is better, or higher with `higherIsBetter`), for a run whose initial rate is
    /// `rate` (PyTorch skips reductions smaller than eps).
    public mutating func step(_ metric: Double, higherIsBetter: Bool, rate: Float) {
        let better = best.map { higherIsBetter ? metric > $0 * (1 + Self.threshold) : metric < $0 * (1 - Self.threshold) } ?? true
        if better { best = metric; badSteps = 0 } else { badSteps += 1 }
        if badSteps > Self.patience {
            if rate * scale * (1 - Self.factor) > Self.eps { scale *= Self.factor }
            badSteps = 0
        }
    }
}

/// The schedule's flags (`--lr_policy`, `--n_epochs`, `--n_epochs_decay`, `--epoch_count`, `--lr_decay_iters`),
/// with the reference's defaults: 100 epochs at the initial rate, then 100 of linear decay.
public struct LRSchedule: Codable, Sendable, Equatable {
    public var policy: LRPolicy
    public var nEpochs: Int
    public var nEpochsDecay: Int
    /// The number of the first epoch.
    public var epochCount: Int
    /// Epochs between ×0.1 steps with `.step`.
    public var decayIters: Int

    enum CodingKeys: String, CodingKey {
        case policy = "lr_policy", nEpochs = "n_epochs", nEpochsDecay = "n_epochs_decay", epochCount = "epoch_count"
        case decayIters = "lr_decay_iters"
    }

    public init(policy: LRPolicy = .linear, nEpochs: Int = 100, nEpochsDecay: Int = 100, epochCount: Int = 1,
                decayIters: Int = 50) {
        self.policy = policy
        self.nEpochs = nEpochs
        self.nEpochsDecay = nEpochsDecay
        self.epochCount = epochCount
        self.decayIters = decayIters
    }

    /// The last epoch of the run.
    public var lastEpoch: Int { epochCount + nEpochs + nEpochsDecay - 1 }

    /// The learning-rate factor during `epoch` (counted from `epochCount`, as the reference's loop):
    /// the scheduler has stepped once per finished epoch, so the first n_epochs run at the full rate.
    /// linear: 1 − max(0, e + epoch_count − n_epochs) / (n_epochs_decay + 1), e = epochs finished.
    public func factor(epoch: Int) -> Float {
        let finished = epoch - epochCount
        switch policy {
        case .linear:
            return 1 - Float(max(0, finished + epochCount - nEpochs)) / Float(nEpochsDecay + 1)
        case .step:
            return Float(Foundation.pow(0.1, Double(finished / max(decayIters, 1))))
        case .cosine:
            return Float((1 + Foundation.cos(Double.pi * Double(finished) / Double(max(nEpochs, 1)))) / 2)
        case .plateau:
            return 1   // stateful: `Plateau.scale`, which `TrainConfig.learningRate` multiplies in
        }
    }
}
