import Layers
import Tensor
import Testing
@testable import CycleGAN

/// The trainer's batched passes (G_A's translation and identity passes, G_B's three, a discriminator's real and
/// fake ones, each in one batch) against the reference's order, one pass after the other. On im2col every
/// convolution runs image by image, so the forward values must be equal bit for bit; the weight gradients
/// sum the same terms in another order.
@Suite("Trainer: batched passes")
struct TrainerBatchingTests {
    /// One step, batched or in the reference's order. (Not more: the first Adam step moves each weight by
    /// ±lr, the sign of its gradient, so a gradient within rounding of 0, as the biases before an instance
    /// norm have, sends the next step elsewhere.)
    func oneStep(_ config: NetworkConfig, batched: Bool, images n: Int = 1, sizeA: Int = 32, sizeB: Int = 32)
        -> (losses: Losses, visuals: Visuals, grads: [Tensor]) {
        ConvAlgorithm.$current.withValue(.im2col) {
            var rng = SeededGenerator(seed: 5)
            let model = CycleGANModel(config)
            model.initialize(using: &rng)
            let trainer = Trainer(model: model, options: MethodOptions(), rng: SeededGenerator(seed: 6))
            trainer.batchesIndependentPasses = batched
            var images = SeededGenerator(seed: 10)
            let a = Tensor.randomUniform([n, 3, sizeA, sizeA], low: -1, high: 1, using: &images)
            let b = Tensor.randomUniform([n, 3, sizeB, sizeB], low: -1, high: 1, using: &images)
            let (losses, visuals) = trainer.step(realA: a, realB: b)
            let grads = (model.generators + model.discriminators).flatMap { $0.parameters(prefix: "").map(\.parameter.grad) }
            return (losses, visuals, grads)
        }
    }

    /// One image of each side; two of each (`--batch_size 2`); A and B of different sizes (`--preprocess none`:
    /// they cannot share a batch, and go one after the other).
    static let cases: [(images: Int, sizeA: Int, sizeB: Int)] = [(1, 32, 32), (2, 32, 32), (1, 32, 36)]

    @Test("the same losses and images bit for bit, the same gradients within rounding", arguments: cases)
    func sameAsReferenceOrder(_ c: (images: Int, sizeA: Int, sizeB: Int)) {
        let config = NetworkConfig(netG: .resnet_6blocks, ngf: 4, ndf: 4)
        #expect(config.imagesPassIndependently)
        let (batched, reference) = (oneStep(config, batched: true, images: c.images, sizeA: c.sizeA, sizeB: c.sizeB),
                                    oneStep(config, batched: false, images: c.images, sizeA: c.sizeA, sizeB: c.sizeB))
        #expect(batched.losses == reference.losses)
        let (v, w) = (batched.visuals, reference.visuals)
        for (x, y) in [(v.fakeB, w.fakeB), (v.idtA!, w.idtA!), (v.recA, w.recA),
                       (v.fakeA, w.fakeA), (v.idtB!, w.idtB!), (v.recB, w.recB)] {
            #expect(x.scalars == y.scalars)
        }
        #expect(batched.grads.count == reference.grads.count && batched.grads.count > 20)
        // Relative to the largest gradient: the biases before an instance norm have gradients of rounding alone.
        let scale = reference.grads.map { $0.maxAbs() }.max()!
        let worst = zip(batched.grads, reference.grads).map { ($0 - $1).maxAbs() }.max()! / scale
        print("batched passes: largest gradient difference \(worst) of the largest gradient")
        #expect(worst < 1e-5)
    }

    @Test("not with batch norm (its statistics would mix the images) nor with dropout (its masks' order)")
    func onlyWhereNothingChanges() {
        #expect(!NetworkConfig(norm: .batch).imagesPassIndependently)
        #expect(!NetworkConfig(useDropout: true).imagesPassIndependently)
        #expect(NetworkConfig(norm: .none).imagesPassIndependently)
    }
}
