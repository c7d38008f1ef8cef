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
