import Layers

/// `--netG`: the ResNet generator with 9 blocks (default, for 256×256) or 6 (for 128×128), or the U-Net with 8
/// downsamplings (for 256×256) or 7 (for 128×128).
public enum GeneratorKind: String, Codable, CaseIterable, Sendable {
    case resnet_9blocks, resnet_6blocks, unet_256, unet_128

    /// Residual blocks of a ResNet; nil for a U-Net.
    public var blocks: Int? {
        switch self {
        case .resnet_9blocks: 9
        case .resnet_6blocks: 6
        case .unet_256, .unet_128: nil
        }
    }

    /// Stride-2 downsamplings of a U-Net (the reference's num_downs); nil for a ResNet.
    public var downsamplings: Int? {
        switch self {
        case .unet_256: 8
        case .unet_128: 7
        case .resnet_9blocks, .resnet_6blocks: nil
        }
    }

    /// Image sides must be multiples of this: 4 for the ResNets (two downsamplings), 2^downsamplings for a U-Net.
    public var sideMultiple: Int { downsamplings.map { 1 << $0 } ?? 4 }
}

/// `--netD`: `basic` is the 70×70 PatchGAN (n_layers 3); `n_layers` takes `--n_layers_D`.
public enum DiscriminatorKind: String, Codable, CaseIterable, Sendable {
    /// PatchGAN with 3 layers (70×70 receptive field), `n_layers` with --n_layers_D, `pixel` the 1×1 PatchGAN.
    case basic, n_layers, pixel
}

/// The architecture options, saved as the `config` attribute of every checkpoint and in config.json,
/// keys named as the reference's flags.
public struct NetworkConfig: Codable, Equatable, Sendable {
    public var netG: GeneratorKind
    public var ngf: Int
    public var netD: DiscriminatorKind
    public var ndf: Int
    public var nLayersD: Int
    public var norm: NormKind
    public var inputNC: Int
    public var outputNC: Int
    /// Dropout (p 0.5) in the generators: after the first ReLU of each residual block, after the inner U-Net
    /// blocks. Off by default, as the reference's CycleGAN (`--no_dropout`); on only while training.
    public var useDropout: Bool

    enum CodingKeys: String, CodingKey {
        case netG, ngf, netD, ndf, nLayersD = "n_layers_D", norm, inputNC = "input_nc", outputNC = "output_nc"
        case useDropout = "use_dropout"
    }

    /// The reference's defaults.
    public init(netG: GeneratorKind = .resnet_9blocks, ngf: Int = 64, netD: DiscriminatorKind = .basic, ndf: Int = 64,
                nLayersD: Int = 3, norm: NormKind = .instance, inputNC: Int = 3, outputNC: Int = 3, useDropout: Bool = false) {
        self.netG = netG; self.ngf = ngf; self.netD = netD; self.ndf = ndf
        self.nLayersD = nLayersD; self.norm = norm; self.inputNC = inputNC; self.outputNC = outputNC
        self.useDropout = useDropout
    }

    /// Whether a network's output for an image is the same alone or in a batch with others, so that the trainer
    /// may send independent images through it in one pass (what the reference runs one after the other).
    /// Not with batch norm (the batch's statistics), nor with dropout (its masks would be drawn in another
    /// order, and the parity tests replay the reference's).
    public var imagesPassIndependently: Bool { norm != .batch && !useDropout }

    /// Layers of a PatchGAN discriminator: 3 for `basic`, `n_layers_D` for `n_layers` (`pixel` ignores it).
    public var discriminatorLayers: Int { netD == .basic ? 3 : nLayersD }

    /// Missing keys take the defaults (a config written by an older or other tool still loads).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = NetworkConfig()
        netG = try c.decodeIfPresent(GeneratorKind.self, forKey: .netG) ?? d.netG
        ngf = try c.decodeIfPresent(Int.self, forKey: .ngf) ?? d.ngf
        netD = try c.decodeIfPresent(DiscriminatorKind.self, forKey: .netD) ?? d.netD
        ndf = try c.decodeIfPresent(Int.self, forKey: .ndf) ?? d.ndf
        nLayersD = try c.decodeIfPresent(Int.self, forKey: .nLayersD) ?? d.nLayersD
        norm = try c.decodeIfPresent(NormKind.self, forKey: .norm) ?? d.norm
        inputNC = try c.decodeIfPresent(Int.self, forKey: .inputNC) ?? d.inputNC
        outputNC = try c.decodeIfPresent(Int.self, forKey: .outputNC) ?? d.outputNC
        useDropout = try c.decodeIfPresent(Bool.self, forKey: .useDropout) ?? d.useDropout
    }
}
