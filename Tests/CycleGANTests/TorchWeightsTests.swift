import Codecs
import Foundation
import Layers
import Tensor
import Testing
@testable import CycleGAN

/// A generator saved by PyTorch, read natively: the architecture inferred from its keys, its output equal to
/// the reference network's (Scripts/pytorch/make_pth_fixtures.py; the fixture is shared with CodecsTests).
@Suite("PyTorch generators")
struct TorchWeightsTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../CodecsTests/Fixtures/pth").standardizedFileURL.path

    @Test("a legacy-format generator with a DataParallel prefix and pre-0.4 InstanceNorm statistics translates as PyTorch")
    func sameOutputAsPyTorch() throws {
        let torch = try TorchFile(path: Self.folder + "/generator.pth")
        let (config, inputNC, outputNC) = try TorchWeights.generatorConfig(torch)
        #expect(config == NetworkConfig(netG: .resnet_6blocks, ngf: 4, norm: .instance) && inputNC == 3 && outputNC == 3)
        let generator = ResnetGenerator(config, inputNC: inputNC, outputNC: outputNC)
        try TorchWeights.load(generator, from: torch, norm: config.norm)
        let h5 = try HDF5File(path: Self.folder + "/expected.h5", mode: .read)
        defer { h5.close() }
        let x = try h5.read("generator_input"), expected = try h5.read("generator_output")
        let y = generator(Tape().constant(x)).value
        #expect(y.shape == expected.shape)
        let difference = (y - expected).maxAbs()
        print("PyTorch generator fixture: max |ours − torch| = \(difference)")
        #expect(difference < 1e-5)
    }

    @Test("translate --checkpoint X.pth end to end; a file that is not a generator is refused in one line")
    func translateCommand() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let (status, stdout, stderr) = try runCycleGAN(["translate", "--checkpoint", Self.folder + "/generator.pth",
                                                        "--direction", "BtoA", "--input", root + "/data/testA",
                                                        "--output", root + "/out"])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("the PyTorch generator"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/out").sorted() == ["img_0.png", "img_1.png"])

        let (bad, _, badErr) = try runCycleGAN(["translate", "--checkpoint", Self.folder + "/os_system.pth",
                                                "--direction", "AtoB", "--input", root + "/data/testA",
                                                "--output", root + "/bad"])
        #expect(bad != 0 && badErr.contains("refused without running it") && badErr.split(separator: "\n").count == 1, "\(badErr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/bad"))
    }

    @Test("import: a generator file becomes G_A (G_B with --direction BtoA) of a checkpoint that translates as the .pth")
    func importCommand() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let (status, stdout, stderr) = try runCycleGAN(["import", Self.folder + "/generator.pth", "--direction", "BtoA",
                                                        "--output", root + "/g.h5"])
        #expect(status == 0 && stdout.contains("G_B from"), "\(stderr)")
        let file = try HDF5File(path: root + "/g.h5", mode: .read)
        #expect(try Checkpoint.networkNames(in: file) == ["G_B"])
        file.close()
        let image = root + "/data/testA/img_0.png"
        let fromH5 = try Translator(checkpoint: root + "/g.h5", direction: .BtoA).translate(try ImageFile.read(image, channels: 3))
        let fromPth = try Translator(checkpoint: Self.folder + "/generator.pth", direction: .BtoA)
            .translate(try ImageFile.read(image, channels: 3))
        #expect(fromH5.scalars == fromPth.scalars)

        let (bad, _, badErr) = try runCycleGAN(["import", root + "/missing.pth", "--output", root + "/x.h5"])
        #expect(bad != 0 && badErr.contains("missing.pth does not exist") && badErr.split(separator: "\n").count == 1, "\(badErr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/x.h5"))
    }

    @Test("export: a run's checkpoint as the reference's .pth files, read back key for key, bit for bit; same bytes twice")
    func exportCommand() throws {
        let root = temporaryFolder()
        let checkpoint = try tinyCheckpoint(in: root, iterations: 1)
        let (status, stdout, stderr) = try runCycleGAN(["export", checkpoint, "--output", root + "/pth"])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.split(separator: "\n").map { ($0 as NSString).lastPathComponent }
                == ["latest_net_G_A.pth", "latest_net_G_B.pth", "latest_net_D_A.pth", "latest_net_D_B.pth"])
        let model = try Checkpoint.loadModel(from: checkpoint)
        for (name, network) in model.networks {
            let file = try TorchFile(path: root + "/pth/latest_net_\(name).pth")
            let expected = network.stateDict()
            #expect(file.entries.map(\.key) == expected.map(\.key), "\(name): PyTorch's state_dict order")
            for (entry, (_, p)) in zip(file.entries, expected) {
                #expect(entry.shape == p.value.shape && entry.values == p.value.scalars, "\(name)/\(entry.key)")
            }
        }
        let (again, _, _) = try runCycleGAN(["export", checkpoint, "--output", root + "/again", "--single_generator", "G_B"])
        #expect(again == 0)
        _ = try TorchWeights.export(checkpoint: checkpoint, to: root + "/twice", single: .G_B)
        #expect(FileManager.default.contents(atPath: root + "/again/latest_net_G.pth")
                == FileManager.default.contents(atPath: root + "/twice/latest_net_G.pth"))
    }

    @Test("sizes read off a crafted file are bounded before a network is built (ngf 2⁴⁰ in an empty tensor)")
    func absurdArchitecture() throws {
        let path = temporaryFolder() + "/absurd.pth"
        try TorchFileWriter.write([TorchFileWriter.Tensor(key: "model.1.weight", shape: [1 << 40, 3, 7, 0], values: [])],
                                  to: path)
        #expect(throws: CheckpointError.self) { _ = try Translator(checkpoint: path, direction: .AtoB) }
        let nan = TorchFileWriter.Tensor(key: "model.2.num_batches_tracked", shape: [], values: [.nan], dtype: .int64)
        #expect(throws: CodecError.self) { try TorchFileWriter.write([nan], to: path + ".nan") }
    }

    @Test("a pixel discriminator's .pth (net.0, net.2, net.3, net.5) is recognised as --netD pixel")
    func pixelDiscriminatorFile() throws {
        let root = temporaryFolder()
        let d = PatchDiscriminator(pixelInputNC: 3, ndf: 4, norm: .instance)
        #expect(d.stateDict().map(\.key) == ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.5.weight", "net.5.bias"])
        try TorchFileWriter.write(d.stateDict().map { TorchFileWriter.Tensor(key: $0.key, shape: $0.parameter.value.shape,
                                                                             values: $0.parameter.value.scalars) },
                                  to: root + "/latest_net_D_A.pth")
        let found = try TorchWeights.discriminatorConfig(try TorchFile(path: root + "/latest_net_D_A.pth"))
        #expect(found.ndf == 4 && found.inputNC == 3 && found.netD == .pixel)
    }
}
