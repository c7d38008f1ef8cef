import RunLayout
import Tensor

/// `--gan_mode`: least squares (the default, LSGAN), the original cross-entropy GAN on logits, or the
/// reference's `wgangp`: the Wasserstein critic's loss, −mean for real and mean for fake. As in the reference's
/// CycleGAN, without the gradient penalty: it defines `cal_gradient_penalty` but never calls it, and a penalty
/// needs gradients of gradients, which this tape does not record (its pullbacks work on values, not on
/// variables of a second tape).
public enum GANMode: String, Codable, CaseIterable, Sendable {
    case lsgan, vanilla, wgangp

    /// The loss of patch predictions against an all-real (1) or all-fake (0) target.
    public func loss(_ prediction: Variable, real: Bool) -> Variable {
        switch self {
        case .lsgan: mseLoss(prediction, target: real ? 1 : 0)
        case .vanilla: bceWithLogitsLoss(prediction, target: real ? 1 : 0)
        case .wgangp: (real ? -1 : 1) * mean(prediction)
        }
    }
}

/// The eight losses of one iteration, in the reference's order; the fields are the CSV columns.
/// cycle_* and idt_* are weighted (λ·L1), as the reference logs them.
public struct Losses: Equatable, Sendable {
    public var D_A: Float = 0, G_A: Float = 0, cycle_A: Float = 0, idt_A: Float = 0
    public var D_B: Float = 0, G_B: Float = 0, cycle_B: Float = 0, idt_B: Float = 0

    public static let names = LossColumns.losses
    public var values: [Float] { [D_A, G_A, cycle_A, idt_A, D_B, G_B, cycle_B, idt_B] }

    public init() {}
}

/// The images of one iteration, for sample grids: real_A, fake_B, rec_A, idt_B / real_B, fake_A, rec_B, idt_A.
/// idt_* are nil when λ_identity is 0.
public struct Visuals: Sendable {
    public var realA, fakeB, recA: Tensor
    public var idtB: Tensor?
    public var realB, fakeA, recB: Tensor
    public var idtA: Tensor?
}
