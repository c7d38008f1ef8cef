import Codecs
import Foundation
import Layers
import Tensor
import Testing
@testable import CycleGAN

@Suite("Networks")
struct NetworkTests {
    /// Oracle: the parameter counts of the reference networks (docs/reference.md, 3 channels, ngf = ndf = 64).
    @Test("parameter counts at default size equal the reference's")
    func parameterCounts() {
        let model9 = CycleGANModel(NetworkConfig(netG: .resnet_9blocks))
        #expect(model9.gA.parameterCount == 11_378_179)
        #expect(model9.dA.parameterCount == 2_764_737)
        let model6 = CycleGANModel(NetworkConfig(netG: .resnet_6blocks))
        #expect(model6.gB.parameterCount == 7_837_699)
    }

    @Test("state-dict keys follow the reference's nn.Sequential indices")
    func keys() {
        let keys = ResnetGenerator(NetworkConfig(netG: .resnet_9blocks), inputNC: 3, outputNC: 3).stateEntries().map(\.key)
        #expect(keys.first == "model.1.weight" && keys.last == "model.26.bias")
        #expect(keys.contains("model.10.conv_block.1.weight") && keys.contains("model.18.conv_block.6.weight") == false)
        #expect(keys.contains("model.19.weight") && keys.contains("model.22.weight"))
        let dKeys = PatchDiscriminator(inputNC: 3, ndf: 64, layers: 3, norm: .batch).stateEntries().map(\.key)
        #expect(dKeys.contains("model.0.weight") && dKeys.contains("model.11.bias") && dKeys.contains("model.3.running_mean"))
        #expect(!dKeys.contains("model.2.bias"))   // no bias before batch norm
    }

    /// Oracle: the reference's own state dicts (keys in order, shapes) of generators too large for a parity
    /// fixture, written by Scripts/pytorch/make_fixtures.py into reference_keys.json.
    @Test("U-Net and dropout generators have the reference's keys, in order, with its shapes")
    func referenceKeyLists() throws {
        struct Entry: Decodable {
            struct Config: Decodable { let netG: GeneratorKind, norm: NormKind, use_dropout: Bool, input_nc: Int, output_nc: Int, ngf: Int }
            let config: Config
            let keys: [[KeyOrShape]]
        }
        enum KeyOrShape: Decodable, Equatable {
            case key(String), shape([Int])
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .key(s) } else { self = .shape(try c.decode([Int].self)) }
            }
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("reference_keys.json")))
        let lists = try JSONDecoder().decode([String: Entry].self, from: data)
        #expect(lists.count == 4)
        for (name, entry) in lists {
            let c = entry.config
            let g = makeGenerator(NetworkConfig(netG: c.netG, ngf: c.ngf, norm: c.norm, useDropout: c.use_dropout),
                                  inputNC: c.input_nc, outputNC: c.output_nc)
            let ours = g.stateDict().map { [KeyOrShape.key($0.key), .shape($0.parameter.value.shape)] }
            #expect(ours == entry.keys, "\(name): our state dict differs from the reference's")
        }
    }

    @Test("a U-Net or a ResNet with dropout saved as .pth is recognised from its keys", arguments: [
        NetworkConfig(netG: .unet_256, ngf: 4, norm: .batch, inputNC: 3, outputNC: 1),
        NetworkConfig(netG: .unet_128, ngf: 2, norm: .instance, inputNC: 1, outputNC: 3),
        NetworkConfig(netG: .unet_128, ngf: 2, norm: .none),
        NetworkConfig(netG: .resnet_6blocks, ngf: 4, norm: .instance, useDropout: true),
    ])
    func pthRecognised(_ config: NetworkConfig) throws {
        let g = makeGenerator(config, inputNC: config.inputNC, outputNC: config.outputNC)
        let path = temporaryFolder() + "/g.pth"
        try TorchFileWriter.write(g.stateDict().map { TorchFileWriter.Tensor(key: $0.key, shape: $0.parameter.value.shape,
                                                                            values: $0.parameter.value.scalars,
                                                                            dtype: $0.key.hasSuffix("num_batches_tracked") ? .int64 : .float32) },
                                  to: path)
        let (found, inputNC, outputNC) = try TorchWeights.generatorConfig(try TorchFile(path: path))
        #expect(found == config && inputNC == config.inputNC && outputNC == config.outputNC)
    }

    @Test("a U-Net keeps the image size; translation pads to its multiple and crops back")
    func unetShapes() throws {
        let config = NetworkConfig(netG: .unet_128, ngf: 2, ndf: 4)
        let model = CycleGANModel(config)
        var rng = SeededGenerator(seed: 3)
        model.initialize(using: &rng)
        #expect(model.gA.sideMultiple == 128 && CycleGANModel(NetworkConfig(netG: .unet_256, ngf: 1)).gB.sideMultiple == 256)
        #expect(model.gA(Tape().constant(Tensor(shape: [1, 3, 128, 256], repeating: 0.1))).shape == [1, 3, 128, 256])
        model.gA.setRequiresGrad(false)
        let out = translateImage(Tensor.randomNormal([3, 37, 50], using: &rng).map { min(max($0, 0), 1) }, with: model.gA)
        #expect(out.shape == [3, 37, 50])
    }

    @Test("generator keeps the image size; PatchGAN maps 256² to 30×30 patches")
    func shapes() {
        let config = NetworkConfig(netG: .resnet_6blocks, ngf: 4, ndf: 4)
        let model = CycleGANModel(config)
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [1, 3, 20, 28], repeating: 0.1))
        #expect(model.gA(x).shape == [1, 3, 20, 28])
        #expect(model.dA(tape.constant(Tensor(shape: [1, 3, 256, 256]))).shape == [1, 1, 30, 30])
    }
}
