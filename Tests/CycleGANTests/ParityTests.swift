import Codecs
import Foundation
import Layers
import Tensor
import Testing
@testable import CycleGAN

/// The fixture files of Scripts/pytorch/make_fixtures.py: one reference training iteration each.
let parityFixtures = ["parity_r6_32_instance", "parity_r9_64_instance", "parity_r6_32_gray_nlayers2",
                      "parity_r6_32_1to3_noidt", "parity_r6_32_batch_vanilla", "parity_r6_32_none", "parity_r6_32_pixel",
                      "parity_r6_32_wgangp", "parity_r6_32_dropout", "parity_u128_128_instance", "parity_u128_128_batch_dropout"]

func fixturePath(_ name: String) -> String {
    Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)?.path
        ?? Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(name)").path
}

/// The method options a fixture was made with (its `config` attribute).
struct FixtureMethod: Decodable {
    let gan_mode: GANMode
    let lambda_A: Float, lambda_B: Float, lambda_identity: Float
    let lr: Float, beta1: Float

    var options: MethodOptions {
        var m = MethodOptions()
        m.ganMode = gan_mode; m.lambdaA = lambda_A; m.lambdaB = lambda_B; m.lambdaIdentity = lambda_identity
        m.lr = lr; m.beta1 = beta1; m.poolSize = 0   // the fixtures feed this iteration's fakes to D
        return m
    }
}

/// Keys of the conv biases that an instance norm follows (their exact gradient is zero).
func biasesBeforeInstanceNorm(_ net: Module) -> [String] {
    func pairs(_ list: [(index: Int, module: Module)], prefix: String) -> [String] {
        var keys: [String] = []
        for (i, entry) in list.enumerated() {
            if let block = entry.module as? ResnetBlock {
                keys += pairs(block.indexed, prefix: "\(prefix)\(entry.index).conv_block.")
            } else if i + 1 < list.count, let norm = list[i + 1].module as? Norm2D, norm.kind == .instance,
                      !entry.module.parameters(prefix: "").filter({ $0.key == "bias" }).isEmpty {
                keys.append("\(prefix)\(entry.index).bias")
            }
        }
        return keys
    }
    if let g = net as? ResnetGenerator { return pairs(g.indexed, prefix: "model.") }
    if let g = net as? UnetGenerator {
        // A U-Net block's convolutions are followed by a norm in the same block (conv↓ → model.2 in the middle
        // ones; convT↑ → the next index); the outermost's have none.
        var keys: [String] = []
        var block: UnetBlock? = g.outermost, prefix = "model."
        while let b = block {
            keys += pairs(b.indexed, prefix: prefix + "model.")
            prefix += "model.\(b.indexed.first { $0.module === b.submodule }?.index ?? 0)."
            block = b.submodule
        }
        return keys
    }
    if let d = net as? PatchDiscriminator { return pairs(d.indexed, prefix: d.prefix + ".") }
    return []
}

/// The dropout masks the reference drew for a fixture's step (nil for networks without dropout), fresh: each
/// use takes them from the first call on.
func referenceDropoutMasks(_ file: HDF5File) throws -> DropoutMasks? {
    guard file.exists("dropout/counts") else { return nil }
    return DropoutMasks(counts: try file.readInt64("dropout/counts").map(Int.init),
                        kept: try file.readInt64("dropout/kept").map { UInt64(bitPattern: $0) })
}

/// ‖a − b‖ / ‖b‖ (norm-wise relative difference; 0 when both are 0).
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
    let diff = (a.reshaped(b.shape) - b).norm(), ref = b.norm()
    return ref == 0 ? diff : diff / ref
}

/// Parity with the PyTorch reference on committed fixtures (oracle: the reference's own numbers).
/// Tolerances: outputs 1e-4 absolute; losses 1e-5 relative; gradients 1e-3 relative norm-wise per tensor;
/// weights after one Adam step of G and of D 1e-5 absolute.
@Suite("PyTorch parity")
struct ParityTests {
    func load(_ name: String) throws -> (HDF5File, CycleGANModel, FixtureMethod) {
        let file = try HDF5File(path: fixturePath("\(name).h5"), mode: .read)
        let model = CycleGANModel(try Checkpoint.config(of: file))
        for (group, net) in model.networks { try Checkpoint.load(net, from: file, group: group) }
        let method = try JSONDecoder().decode(FixtureMethod.self, from: Data(try file.stringAttribute("config")!.utf8))
        return (file, model, method)
    }

    /// Each check runs with both algorithms for the 3×3 stride-1 convolutions: the fixtures' networks are too
    /// narrow for `automatic` to pick Winograd, so it is forced here.
    static let algorithms: [ConvAlgorithm] = [.im2col, .winograd]

    @Test("network outputs match the reference", arguments: parityFixtures, algorithms)
    func outputs(_ name: String, _ algorithm: ConvAlgorithm) throws {
        try ConvAlgorithm.$current.withValue(algorithm) { try outputs(name) }
    }

    func outputs(_ name: String) throws {
        let (file, model, method) = try load(name)
        defer { file.close() }
        for (_, net) in model.networks { net.setRequiresGrad(false) }
        let tape = Tape()
        let realA = tape.constant(try file.read("inputs/real_A")), realB = tape.constant(try file.read("inputs/real_B"))
        // The generators run in the reference's order (fake_B, rec_A, fake_A, rec_B, idt_A, idt_B): dropout
        // takes the reference's masks in that order.
        let masks = try referenceDropoutMasks(file)
        let outputs: [(String, Tensor)] = DropoutMasks.$current.withValue(masks) {
            let fakeB = model.gA(realA), recA = model.gB(fakeB), fakeA = model.gB(realB), recB = model.gA(fakeA)
            var outputs = [("fake_B", fakeB.value), ("rec_A", recA.value), ("fake_A", fakeA.value), ("rec_B", recB.value)]
            if method.lambda_identity > 0 {
                outputs += [("idt_A", model.gA(realB).value), ("idt_B", model.gB(realA).value)]
            }
            return outputs + [("D_A_fake_B", model.dA(fakeB).value), ("D_B_fake_A", model.dB(fakeA).value),
                              ("D_A_real_B", model.dA(realB).value), ("D_B_real_A", model.dB(realA).value)]
        }
        #expect(masks?.remainingCalls ?? 0 == 0, "\(name): every dropout call of the reference made")
        for (key, ours) in outputs {
            let ref = try file.read("outputs/\(key)")
            #expect(ours.shape == ref.shape, "\(name) \(key) shape")
            let d = (ours - ref).maxAbs()
            print("parity \(name) [\(ConvAlgorithm.current)] \(key): max |ours − torch| = \(d)")
            #expect(d < 1e-4, "\(name) \(key): max difference \(d)")
        }
    }

    @Test("losses, gradients and weights after one iteration match the reference", arguments: parityFixtures, algorithms)
    func trainingStep(_ name: String, _ algorithm: ConvAlgorithm) throws {
        try ConvAlgorithm.$current.withValue(algorithm) { try trainingStep(name) }
    }

    func trainingStep(_ name: String) throws {
        let (file, model, method) = try load(name)
        defer { file.close() }
        let trainer = Trainer(model: model, options: method.options, rng: SeededGenerator(seed: 1))
        trainer.batchesIndependentPasses = false   // the decisions below come in the reference's pass order
        // The reference's side of every ReLU / LeakyReLU kink (see KinkDecisions): ours may differ only
        // where an input lies within rounding of 0; 1e-4 is 3× the largest output difference measured
        // between our runs and PyTorch's, on values of unit scale (they follow a normalisation).
        let decisions = KinkDecisions(counts: try file.readInt64("kinks/counts").map(Int.init),
                                      sides: try file.readInt64("kinks/signs").map { UInt64(bitPattern: $0) })
        let masks = try referenceDropoutMasks(file)
        let (losses, _) = try KinkDecisions.$current.withValue(decisions) {
            try DropoutMasks.$current.withValue(masks) {
                trainer.step(realA: try file.read("inputs/real_A"), realB: try file.read("inputs/real_B"))
            }
        }
        #expect(masks?.remainingCalls ?? 0 == 0, "\(name): \(masks?.remainingCalls ?? 0) dropout calls of the reference not made")
        print("parity \(name) [\(ConvAlgorithm.current)] kinks: \(decisions.disagreements) inputs on the other side "
              + "of 0 than in the reference, the largest |x| \(decisions.largestDisagreement)")
        #expect(decisions.remainingCalls == 0, "\(name): \(decisions.remainingCalls) activation calls of the reference not made")
        #expect(decisions.largestDisagreement < 1e-4,
                "\(name): an activation input \(decisions.largestDisagreement) from 0 is on the other side than in the reference")

        for (key, ours) in Swift.zip(Losses.names, losses.values) {
            let ref = try file.read("losses/\(key)").scalar
            let rel = abs(ours - ref) / max(abs(ref), 1e-12)
            print("parity \(name) [\(ConvAlgorithm.current)] loss \(key): ours \(ours) torch \(ref) relative \(rel)")
            // 1e-5 relative, plus 1e-6: a loss that is a difference of means (wgangp's −mean(real) + mean(fake))
            // can be near 0 while its terms are of order 1, and their rounding is then all there is (3e-7 here).
            #expect(abs(ours - ref) <= 1e-5 * abs(ref) + 1e-6, "\(name) loss \(key): \(ours) vs \(ref)")
        }
        // Conv biases followed by instance norm have a zero gradient in exact arithmetic (the norm subtracts
        // the mean): both sides hold rounding noise there, so they are checked against their weight's gradient.
        let zeroGradientBiases = Set(model.networks.flatMap { group, net in
            biasesBeforeInstanceNorm(net).map { "\(group)/\($0)" } })
        var worstGradient: (Float, String) = (0, "")
        var referenceGradients: [ObjectIdentifier: Tensor] = [:]
        for (step, groups) in [("grads_G", ["G_A", "G_B"]), ("grads_D", ["D_A", "D_B"])] {
            for group in groups {
                let net = model.networks.first { $0.name == group }!.module
                for (key, p) in net.parameters(prefix: "") {
                    let ref = try file.read("\(step)/\(group)/\(key)")
                    referenceGradients[ObjectIdentifier(p)] = ref
                    if zeroGradientBiases.contains("\(group)/\(key)") {
                        let weightKey = String(key.dropLast("bias".count)) + "weight"
                        let scale = try file.read("\(step)/\(group)/\(weightKey)").norm()
                        #expect(p.grad.norm() <= 1e-4 * scale && ref.norm() <= 1e-4 * scale,
                                "\(name) \(group)/\(key) should be ~0: ours \(p.grad.norm()), torch \(ref.norm()), weight grad \(scale)")
                        continue
                    }
                    let rel = relativeDifference(p.grad, ref)
                    if rel > worstGradient.0 { worstGradient = (rel, "\(group)/\(key)") }
                    #expect(rel < 1e-3, "\(name) gradient \(group)/\(key): relative difference \(rel)")
                }
            }
        }
        print("parity \(name) [\(ConvAlgorithm.current)] gradients: worst relative difference \(worstGradient.0) at \(worstGradient.1) "
              + "(\(zeroGradientBiases.count) zero-gradient biases checked against their weights)")

        // Weights after the step. Adam's first step is −lr·g/(|g| + ε) ≈ −lr·sign(g): where rounding decides
        // the sign of g (|g_torch| < 1e-6, or our g differs from it by half its size or more, or a zero-gradient
        // bias) the weight moves by ±lr either way; those elements are counted and left to the check below
        // (Adam on the reference's own gradients). All others must match within 1e-5.
        var worstWeight: (Float, String) = (0, "")
        var illConditioned = 0
        for (group, net) in model.networks {
            for (key, p) in net.stateEntries() {
                let ref = try file.read("after/\(group)/\(key)").reshaped(p.value.shape).scalars
                let g = referenceGradients[ObjectIdentifier(p)]?.scalars
                let ourGradient = g == nil ? nil : p.grad.scalars
                var d: Float = 0
                for (i, (ours, theirs)) in Swift.zip(p.value.scalars, ref).enumerated() {
                    if let g, let mine = ourGradient,
                       abs(g[i]) < 1e-6 || abs(mine[i] - g[i]) >= 0.5 * abs(g[i]) || zeroGradientBiases.contains("\(group)/\(key)") {
                        illConditioned += 1; continue
                    }
                    d = max(d, abs(ours - theirs))
                }
                if d > worstWeight.0 { worstWeight = (d, "\(group)/\(key)") }
                #expect(d < 1e-5, "\(name) weight after step \(group)/\(key): max difference \(d)")
            }
        }
        print("parity \(name) [\(ConvAlgorithm.current)] weights after the step: worst max difference \(worstWeight.0) at \(worstWeight.1) "
              + "(\(illConditioned) elements whose gradient sign is rounding noise left to the Adam check)")
    }

    @Test("Adam on the reference's gradients gives the reference's weights", arguments: parityFixtures)
    func adamOnReferenceGradients(_ name: String) throws {
        let (file, model, method) = try load(name)
        defer { file.close() }
        var worst: Float = 0
        for (step, groups) in [("grads_G", ["G_A", "G_B"]), ("grads_D", ["D_A", "D_B"])] {
            let nets = groups.map { g in (g, model.networks.first { $0.name == g }!.module) }
            let params = nets.flatMap { g, net in net.parameters(prefix: "").map { (g, $0.key, $0.parameter) } }
            for (g, key, p) in params { p.grad = try file.read("\(step)/\(g)/\(key)").reshaped(p.value.shape) }
            Adam(params.map(\.2), learningRate: method.lr, beta1: method.beta1).update()
            for (g, key, p) in params {
                let d = (p.value - (try file.read("after/\(g)/\(key)")).reshaped(p.value.shape)).maxAbs()
                worst = max(worst, d)
                #expect(d < 1e-5, "\(name) \(g)/\(key): max difference \(d)")
            }
        }
        print("parity \(name) [\(ConvAlgorithm.current)] Adam on reference gradients: worst max difference \(worst)")
    }
}
