import Layers
import RunLayout
import Tensor

/// The four networks of CycleGAN, named as the reference:
/// G_A: A→B (paper G); G_B: B→A (paper F); D_A judges domain B (paper D_Y); D_B judges domain A (paper D_X).
public final class CycleGANModel {
    public let config: NetworkConfig
    public let gA: any Generator
    public let gB: any Generator
    public let dA: PatchDiscriminator
    public let dB: PatchDiscriminator

    public init(_ config: NetworkConfig) {
        self.config = config
        gA = makeGenerator(config, inputNC: config.inputNC, outputNC: config.outputNC)
        gB = makeGenerator(config, inputNC: config.outputNC, outputNC: config.inputNC)
        dA = PatchDiscriminator(config, inputNC: config.outputNC)
        dB = PatchDiscriminator(config, inputNC: config.inputNC)
    }

    /// The networks under their checkpoint group names, in the reference's order.
    public var networks: [(name: String, module: Module)] {
        [(Network.G_A.rawValue, gA), (Network.G_B.rawValue, gB), (Network.D_A.rawValue, dA), (Network.D_B.rawValue, dB)]
    }

    public var generators: [Module] { [gA, gB] }
    public var discriminators: [Module] { [dA, dB] }

    /// Initialises all four networks as the reference (`init_weights`), in order G_A, G_B, D_A, D_B.
    public func initialize(_ weights: WeightInit = WeightInit(), using generator: inout SeededGenerator) {
        for (_, net) in networks { net.initialize(weights.type, gain: weights.gain, using: &generator) }
    }

    /// The generator that translates in `direction`.
    public func generator(_ direction: Direction) -> any Generator { direction == .AtoB ? gA : gB }
}
