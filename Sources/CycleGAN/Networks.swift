import Layers
import Tensor

// The reference networks (models/networks.py). Keys are the indices of its nn.Sequential, so a
// state dict maps one-to-one: `model.1.weight`, `model.10.conv_block.1.weight`, ….

/// A generator: images [N, C, H, W] in [−1, 1] → images in [−1, 1], H and W multiples of `sideMultiple`.
public protocol Generator: Module {
    func callAsFunction(_ x: Variable) -> Variable
    var sideMultiple: Int { get }
}

/// The generator `--netG` names: a ResNet or a U-Net.
public func makeGenerator(_ config: NetworkConfig, inputNC: Int, outputNC: Int) -> any Generator {
    if let downsamplings = config.netG.downsamplings {
        return UnetGenerator(inputNC: inputNC, outputNC: outputNC, ngf: config.ngf, norm: config.norm,
                             downsamplings: downsamplings, dropout: config.useDropout)
    }
    return ResnetGenerator(config, inputNC: inputNC, outputNC: outputNC)
}

/// ResnetGenerator: c7s1-ngf, two stride-2 downsamplings, n residual blocks, two transposed-conv
/// upsamplings, c7s1-nc, tanh. Height and width must be multiples of 4.
public final class ResnetGenerator: Generator {
    let inConv: Conv2D, inNorm: Norm2D
    let down: [(conv: Conv2D, norm: Norm2D)]
    let blocks: [ResnetBlock]
    let up: [(conv: ConvTranspose2D, norm: Norm2D)]
    let outConv: Conv2D

    public init(inputNC: Int, outputNC: Int, ngf: Int, norm: NormKind, blocks n: Int, dropout: Bool = false) {
        let bias = norm.convolutionsHaveBias
        inConv = Conv2D(inputNC, ngf, kernel: 7, bias: bias)
        inNorm = Norm2D(norm, channels: ngf)
        down = [1, 2].map { mult in
            (Conv2D(ngf * mult, ngf * mult * 2, kernel: 3, stride: 2, padding: 1, bias: bias),
             Norm2D(norm, channels: ngf * mult * 2))
        }
        blocks = (0..<n).map { _ in ResnetBlock(channels: ngf * 4, norm: norm, dropout: dropout) }
        up = [4, 2].map { mult in
            (ConvTranspose2D(ngf * mult, ngf * mult / 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1, bias: bias),
             Norm2D(norm, channels: ngf * mult / 2))
        }
        outConv = Conv2D(ngf, outputNC, kernel: 7, bias: true)
    }

    public convenience init(_ config: NetworkConfig, inputNC: Int, outputNC: Int) {
        precondition(config.netG.blocks != nil, "\(config.netG) is not a ResNet")
        self.init(inputNC: inputNC, outputNC: outputNC, ngf: config.ngf, norm: config.norm, blocks: config.netG.blocks ?? 0,
                  dropout: config.useDropout)
    }

    public var sideMultiple: Int { 4 }

    /// x [N, inputNC, H, W] in [−1, 1] → [N, outputNC, H, W] in [−1, 1]
    public func callAsFunction(_ x: Variable) -> Variable {
        var h = relu(inNorm(inConv(reflectionPad(x, 3))))
        for (conv, norm) in down { h = relu(norm(conv(h))) }
        for block in blocks { h = block(h) }
        for (conv, norm) in up { h = relu(norm(conv(h))) }
        return tanh(outConv(reflectionPad(h, 3)))
    }

    /// Sequential indices: 0 pad, 1 conv, 2 norm, 3 relu, 4–9 downsampling, 10… blocks,
    /// then per upsampling convT, norm, relu; then pad, conv, tanh.
    var indexed: [(index: Int, module: Module)] {
        let n = blocks.count
        var list: [(Int, Module)] = [(1, inConv), (2, inNorm), (4, down[0].conv), (5, down[0].norm),
                                     (7, down[1].conv), (8, down[1].norm)]
        list += blocks.enumerated().map { (10 + $0.offset, $0.element as Module) }
        list += [(10 + n, up[0].conv), (11 + n, up[0].norm), (13 + n, up[1].conv), (14 + n, up[1].norm),
                 (17 + n, outConv)]
        return list
    }

    public var children: [(name: String, module: Module)] { indexed.map { ("model.\($0.index)", $0.module) } }
}

/// x + (pad, conv3×3, norm, relu, [dropout,] pad, conv3×3, norm)(x). Keys `conv_block.1`, `.2`, `.5`, `.6`;
/// with dropout, which takes index 4, `.1`, `.2`, `.6`, `.7`.
public final class ResnetBlock: Module {
    let conv1: Conv2D, norm1: Norm2D, conv2: Conv2D, norm2: Norm2D
    let usesDropout: Bool

    public init(channels: Int, norm: NormKind, dropout: Bool = false) {
        self.usesDropout = dropout
        let bias = norm.convolutionsHaveBias
        conv1 = Conv2D(channels, channels, kernel: 3, bias: bias)
        norm1 = Norm2D(norm, channels: channels)
        conv2 = Conv2D(channels, channels, kernel: 3, bias: bias)
        norm2 = Norm2D(norm, channels: channels)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        var h = relu(norm1(conv1(reflectionPad(x, 1))))
        if usesDropout { h = dropout(h, p: 0.5) }
        return x + norm2(conv2(reflectionPad(h, 1)))
    }

    var indexed: [(index: Int, module: Module)] {
        let shift = usesDropout ? 1 : 0
        return [(1, conv1), (2, norm1), (5 + shift, conv2), (6 + shift, norm2)]
    }

    public var children: [(name: String, module: Module)] { indexed.map { ("conv_block.\($0.index)", $0.module) } }
}

/// UnetGenerator: `downsamplings` nested skip-connection blocks, each halving the sides (so they must be
/// multiples of 2^downsamplings: 256 for unet_256, 128 for unet_128). Filters ngf, 2ngf, 4ngf, then 8ngf for
/// the rest; dropout, when on, in the 8ngf blocks between the innermost and the 4ngf one, as the reference.
public final class UnetGenerator: Generator {
    let outermost: UnetBlock
    public let sideMultiple: Int

    public init(inputNC: Int, outputNC: Int, ngf: Int, norm: NormKind, downsamplings n: Int, dropout: Bool = false) {
        precondition(n >= 5, "a U-Net has at least 5 downsamplings")
        var block = UnetBlock(outer: ngf * 8, inner: ngf * 8, position: .innermost, norm: norm)
        for _ in 0..<(n - 5) { block = UnetBlock(outer: ngf * 8, inner: ngf * 8, submodule: block, norm: norm, dropout: dropout) }
        for mult in [4, 2, 1] { block = UnetBlock(outer: ngf * mult, inner: ngf * mult * 2, submodule: block, norm: norm) }
        outermost = UnetBlock(outer: outputNC, inner: ngf, input: inputNC, submodule: block, position: .outermost, norm: norm)
        sideMultiple = 1 << n
    }

    public func callAsFunction(_ x: Variable) -> Variable { outermost(x) }

    public var children: [(name: String, module: Module)] { [("model", outermost)] }
}

/// The reference's UnetSkipConnectionBlock. Outermost: conv↓, submodule, relu, convT↑, tanh. Innermost:
/// lrelu, conv↓, relu, convT↑, norm. In between: lrelu, conv↓, norm, submodule, relu, convT↑, norm, [dropout].
/// All but the outermost return [x, block(x)] concatenated on channels, where x is the LeakyReLU of the
/// input: the reference's LeakyReLU works in place, so its skip connection carries the activated input.
final class UnetBlock: Module {
    enum Position { case outermost, middle, innermost }
    let position: Position
    let downConv: Conv2D, downNorm: Norm2D?
    let submodule: UnetBlock?
    let upConv: ConvTranspose2D, upNorm: Norm2D?
    let usesDropout: Bool

    init(outer: Int, inner: Int, input: Int? = nil, submodule: UnetBlock? = nil, position: Position = .middle,
         norm: NormKind, dropout: Bool = false) {
        let bias = norm.convolutionsHaveBias
        self.position = position
        self.submodule = submodule
        self.usesDropout = dropout
        downConv = Conv2D(input ?? outer, inner, kernel: 4, stride: 2, padding: 1, bias: bias)
        downNorm = position == .middle ? Norm2D(norm, channels: inner) : nil
        upConv = ConvTranspose2D(position == .innermost ? inner : inner * 2, outer, kernel: 4, stride: 2, padding: 1,
                                 bias: position == .outermost || bias)
        upNorm = position == .outermost ? nil : Norm2D(norm, channels: outer)
    }

    func callAsFunction(_ x: Variable) -> Variable {
        if position == .outermost { return tanh(upConv(relu(submodule!(downConv(x))))) }
        let skip = leakyRelu(x, slope: 0.2)
        var h = downConv(skip)
        if let downNorm { h = downNorm(h) }
        if let submodule { h = submodule(h) }
        h = upConv(relu(h))
        if let upNorm { h = upNorm(h) }
        if usesDropout { h = dropout(h, p: 0.5) }
        return concatChannels(skip, h)
    }

    /// Indices in the block's `model` Sequential.
    var indexed: [(index: Int, module: Module)] {
        switch position {
        case .outermost: [(0, downConv), (1, submodule!), (3, upConv)]
        case .innermost: [(1, downConv), (3, upConv), (4, upNorm!)]
        case .middle: [(1, downConv), (2, downNorm!), (3, submodule!), (5, upConv), (6, upNorm!)]
        }
    }

    var children: [(name: String, module: Module)] { indexed.map { ("model.\($0.index)", $0.module) } }
}

/// NLayerDiscriminator (PatchGAN): conv4×4 s2 → lrelu; (n − 1) × [conv4×4 s2, norm, lrelu];
/// conv4×4 s1, norm, lrelu; conv4×4 s1 → 1 channel of patch scores (logits).
public final class PatchDiscriminator: Module {
    let convs: [Conv2D]
    let norms: [Norm2D?]
    /// The reference's attribute: `model` (NLayerDiscriminator), `net` (PixelDiscriminator).
    let prefix: String

    /// The 1×1 PatchGAN (`--netD pixel`, the reference's PixelDiscriminator): conv1 → lrelu → conv1 → norm →
    /// lrelu → conv1 to one channel; the convolutions after the first have a bias only without batch norm.
    public init(pixelInputNC inputNC: Int, ndf: Int, norm: NormKind) {
        let bias = norm.convolutionsHaveBias
        convs = [Conv2D(inputNC, ndf, kernel: 1, bias: true), Conv2D(ndf, 2 * ndf, kernel: 1, bias: bias),
                 Conv2D(2 * ndf, 1, kernel: 1, bias: bias)]
        norms = [nil, Norm2D(norm, channels: 2 * ndf), nil]
        prefix = "net"
    }

    public init(inputNC: Int, ndf: Int, layers n: Int, norm: NormKind) {
        prefix = "model"
        let bias = norm.convolutionsHaveBias
        var convs = [Conv2D(inputNC, ndf, kernel: 4, stride: 2, padding: 1, bias: true)]
        var norms: [Norm2D?] = [nil]
        var mult = 1
        for i in 1...n {
            let previous = mult
            mult = min(1 << i, 8)
            convs.append(Conv2D(ndf * previous, ndf * mult, kernel: 4, stride: i < n ? 2 : 1, padding: 1, bias: bias))
            norms.append(Norm2D(norm, channels: ndf * mult))
        }
        convs.append(Conv2D(ndf * mult, 1, kernel: 4, stride: 1, padding: 1, bias: true))
        norms.append(nil)
        self.convs = convs
        self.norms = norms
    }

    public convenience init(_ config: NetworkConfig, inputNC: Int) {
        if config.netD == .pixel {
            self.init(pixelInputNC: inputNC, ndf: config.ndf, norm: config.norm)
        } else {
            self.init(inputNC: inputNC, ndf: config.ndf, layers: config.discriminatorLayers, norm: config.norm)
        }
    }

    /// x [N, C, H, W] → patch logits [N, 1, H', W']
    public func callAsFunction(_ x: Variable) -> Variable {
        var h = x
        for (i, conv) in convs.enumerated() {
            h = conv(h)
            if let norm = norms[i] { h = norm(h) }
            if i < convs.count - 1 { h = leakyRelu(h, slope: 0.2) }
        }
        return h
    }

    /// Sequential indices: conv 0, lrelu 1, then conv/norm/lrelu triples from 2, the last conv at 3n + 2.
    var indexed: [(index: Int, module: Module)] {
        var list: [(Int, Module)] = [(0, convs[0])]
        for i in 1..<convs.count - 1 {
            list.append((3 * i - 1, convs[i]))
            list.append((3 * i, norms[i]!))
        }
        list.append((3 * (convs.count - 2) + 2, convs.last!))
        return list
    }

    public var children: [(name: String, module: Module)] { indexed.map { ("\(prefix).\($0.index)", $0.module) } }
}
