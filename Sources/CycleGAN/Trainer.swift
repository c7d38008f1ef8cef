import Layers
import Tensor

/// The options of the method itself (the reference's defaults), separate from data and run options.
public struct MethodOptions: Codable, Equatable, Sendable {
    public var lambdaA: Float
    public var lambdaB: Float
    /// Identity loss weight, as a fraction of λ_A / λ_B (0.5 → 5·L1).
    public var lambdaIdentity: Float
    public var ganMode: GANMode
    public var poolSize: Int
    /// The initial learning rate of both Adam optimizers.
    public var lr: Float
    public var beta1: Float

    /// The reference's defaults.
    public init(lambdaA: Float = 10, lambdaB: Float = 10, lambdaIdentity: Float = 0.5, ganMode: GANMode = .lsgan,
                poolSize: Int = 50, lr: Float = 2e-4, beta1: Float = 0.5) {
        self.lambdaA = lambdaA; self.lambdaB = lambdaB; self.lambdaIdentity = lambdaIdentity; self.ganMode = ganMode
        self.poolSize = poolSize; self.lr = lr; self.beta1 = beta1
    }

    enum CodingKeys: String, CodingKey {
        case lambdaA = "lambda_A", lambdaB = "lambda_B", lambdaIdentity = "lambda_identity", ganMode = "gan_mode"
        case poolSize = "pool_size", lr, beta1
    }
}

/// The coordinator of one CycleGAN iteration (models/cycle_gan_model.py `optimize_parameters`):
/// both cycles forward; a generator step with the discriminators frozen; a discriminator step on
/// detached fakes drawn through the image pools. Values go in and come out; nothing is stashed.
public final class Trainer {
    public let model: CycleGANModel
    public let options: MethodOptions
    public let optimizerG: Adam
    public let optimizerD: Adam
    /// Pool of generated A images (fed to D_B) and of generated B images (fed to D_A).
    public var poolA: ImagePool
    public var poolB: ImagePool
    /// Randomness of the pools; saved in checkpoints.
    public var rng: SeededGenerator
    /// Whether passes of one network on independent images share a batch where `imagesPassIndependently`
    /// allows (G_A's translation and identity passes, G_B's three, a discriminator's real and fake ones). The same
    /// values, in less time; off in the parity tests, which replay the reference's activations in its order.
    var batchesIndependentPasses = true

    public init(model: CycleGANModel, options: MethodOptions, rng: SeededGenerator) {
        self.model = model
        self.options = options
        let params = { (nets: [Module]) in nets.flatMap { $0.parameters(prefix: "").map(\.parameter) } }
        optimizerG = Adam(params(model.generators), learningRate: options.lr, beta1: options.beta1)
        optimizerD = Adam(params(model.discriminators), learningRate: options.lr, beta1: options.beta1)
        poolA = ImagePool(capacity: options.poolSize)
        poolB = ImagePool(capacity: options.poolSize)
        self.rng = rng
    }

    public var learningRate: Float {
        get { optimizerG.learningRate }
        set { optimizerG.learningRate = newValue; optimizerD.learningRate = newValue }
    }

    /// One iteration on a batch of A images and a batch of B images ([N, C, H, W] in [−1, 1]).
    /// Runs the generators' forward passes with dropout on, when the networks have it: its masks are drawn from
    /// `rng`, which continues after them (so a seeded run repeats and a resumed one goes on as it would have),
    /// unless the caller supplied masks of its own (the parity tests: the reference's).
    private func withDropout<R>(_ body: () -> R) -> R {
        guard model.config.useDropout, DropoutMasks.current == nil else { return body() }
        let masks = DropoutMasks(generator: rng)
        defer { rng = masks.generator! }
        return DropoutMasks.$current.withValue(masks, operation: body)
    }

    public func step(realA a: Tensor, realB b: Tensor) -> (Losses, Visuals) {
        let (gA, gB, dA, dB) = (model.gA, model.gB, model.dA, model.dB)
        let (lambdaA, lambdaB, lambdaIdt) = (options.lambdaA, options.lambdaB, options.lambdaIdentity)
        let gan = options.ganMode
        var losses = Losses()

        // 1. Generators G_A and G_B, with D_A and D_B frozen (no weight gradients computed for them).
        dA.setRequiresGrad(false); dB.setRequiresGrad(false)
        gA.zeroGrad(); gB.zeroGrad()
        let tape = Tape()
        let realA = tape.constant(a), realB = tape.constant(b)
        let (fakeB, recA, fakeA, recB, idtA, idtB) = withDropout {
            if lambdaIdt > 0 && batchesPasses(a, b) {
                // G_A's translation and identity passes in one batch, then all three of G_B's (its
                // reconstruction of fake_B included): a second image costs 0.6–0.7 of the first at 64²
                // (`cyclegan bench`, batch 2 against 1).
                let (n, m) = (a.shape[0], b.shape[0])
                let outA = Self.split(gA(concatBatch(realA, realB)), [n, m])
                let (fakeB, idtA) = (outA[0], outA[1])
                let outB = Self.split(gB(concatBatch(concatBatch(realB, realA), fakeB)), [m, n, n])
                let (fakeA, idtB, recA) = (outB[0], outB[1], outB[2])
                return (fakeB, recA, fakeA, gA(fakeA), Optional(idtA), Optional(idtB))
            }
            let fakeB = gA(realA), recA = gB(fakeB)
            let fakeA = gB(realB), recB = gA(fakeA)
            return (fakeB, recA, fakeA, recB, lambdaIdt > 0 ? gA(realB) : nil, lambdaIdt > 0 ? gB(realA) : nil)
        }
        var identity: [Variable] = []
        if let idtA, let idtB {
            let lossIdtA = (lambdaIdt * lambdaB) * l1Loss(idtA, realB)
            let lossIdtB = (lambdaIdt * lambdaA) * l1Loss(idtB, realA)
            losses.idt_A = lossIdtA.value.scalar
            losses.idt_B = lossIdtB.value.scalar
            identity = [lossIdtA, lossIdtB]
        }
        let lossGA = gan.loss(dA(fakeB), real: true)
        let lossGB = gan.loss(dB(fakeA), real: true)
        let cycleA = lambdaA * l1Loss(recA, realA)
        let cycleB = lambdaB * l1Loss(recB, realB)
        let lossG = ([lossGB, cycleA, cycleB] + identity).reduce(lossGA, +)
        tape.backward(lossG)
        optimizerG.update()
        losses.G_A = lossGA.value.scalar; losses.G_B = lossGB.value.scalar
        losses.cycle_A = cycleA.value.scalar; losses.cycle_B = cycleB.value.scalar

        // 2. Discriminators on the fakes of this forward pass (before the G update), through the pools.
        dA.setRequiresGrad(true); dB.setRequiresGrad(true)
        dA.zeroGrad(); dB.zeroGrad()
        let pooledB = poolB.query(fakeB.value, using: &rng)
        let pooledA = poolA.query(fakeA.value, using: &rng)
        let dTape = Tape()
        let lossDA = discriminatorLoss(dA, real: dTape.constant(b), fake: dTape.constant(pooledB), gan)
        let lossDB = discriminatorLoss(dB, real: dTape.constant(a), fake: dTape.constant(pooledA), gan)
        dTape.backward(lossDA + lossDB)
        optimizerD.update()
        losses.D_A = lossDA.value.scalar; losses.D_B = lossDB.value.scalar

        let visuals = Visuals(realA: a, fakeB: fakeB.value, recA: recA.value, idtB: idtB?.value,
                              realB: b, fakeA: fakeA.value, recB: recB.value, idtA: idtA?.value)
        return (losses, visuals)
    }

    /// ½ · (GAN(D(real), real) + GAN(D(fake), fake)), both through D in one pass where that changes nothing.
    private func discriminatorLoss(_ d: PatchDiscriminator, real: Variable, fake: Variable, _ gan: GANMode) -> Variable {
        let out = batchesPasses(real.value, fake.value)
            ? Self.split(d(concatBatch(real, fake)), [real.shape[0], fake.shape[0]]) : [d(real), d(fake)]
        return 0.5 * (gan.loss(out[0], real: true) + gan.loss(out[1], real: false))
    }

    /// Whether x and y go through one network as one batch: images of one size (with `--preprocess none` or
    /// `scale_width`, A's and B's may differ), and networks that treat each image alone.
    private func batchesPasses(_ x: Tensor, _ y: Tensor) -> Bool {
        batchesIndependentPasses && model.config.imagesPassIndependently && x.shape.dropFirst() == y.shape.dropFirst()
    }

    /// A batch cut into consecutive parts of `counts` images.
    private static func split(_ x: Variable, _ counts: [Int]) -> [Variable] {
        precondition(counts.reduce(0, +) == x.shape[0], "parts of \(counts) images from a batch of \(x.shape[0])")
        var start = 0
        return counts.map { count in
            defer { start += count }
            return images(x, start..<(start + count))
        }
    }
}
