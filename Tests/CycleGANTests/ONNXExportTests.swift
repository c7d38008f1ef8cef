import Codecs
import Foundation
import Layers
import Tensor
import Testing
@testable import CycleGAN

/// The ONNX export decodes (with the wire-format reader) to the graph the generator runs: opset 17, the
/// nodes in order, the weights as raw float32 initializers, height and width dynamic. onnxruntime's outputs
/// are checked against PyTorch's and our translations by Scripts/pytorch/check_pretrained.sh (step 6) for the
/// ResNets and by Scripts/pytorch/check_unet.py for the U-Nets.
@Suite("ONNX export")
struct ONNXExportTests {
    func messages(_ bytes: [UInt8], field: Int) throws -> [[UInt8]] {
        try ProtobufReader.fields(bytes).compactMap { f in
            if f.field == field, case .bytes(let b) = f.value { return b } else { return nil }
        }
    }
    func strings(_ bytes: [UInt8], field: Int) throws -> [String] {
        try messages(bytes, field: field).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("a resnet_6blocks generator: opset 17, nodes in forward order, raw initializers, dynamic height and width")
    func graph() throws {
        var rng = SeededGenerator(seed: 3)
        let config = NetworkConfig(netG: .resnet_6blocks, ngf: 4)
        let generator = ResnetGenerator(config, inputNC: 3, outputNC: 1)
        generator.initialize(.normal, gain: 0.02, using: &rng)
        let model = ONNXExport.model(generator)

        let opset = try messages(model, field: 8).first!
        #expect(try ProtobufReader.fields(opset).contains { $0.field == 2 && $0.value == .varint(17) })
        let graph = try messages(model, field: 7).first!
        let ops = try messages(graph, field: 1).map { try strings($0, field: 4).first! }
        let norm = "InstanceNormalization"
        var expected: [String] = ["Pad", "Conv", norm, "Relu"]
        for _ in 0..<2 { expected += ["Conv", norm, "Relu"] }
        for _ in 0..<6 { expected += ["Pad", "Conv", norm, "Relu", "Pad", "Conv", norm, "Add"] }
        for _ in 0..<2 { expected += ["ConvTranspose", norm, "Relu"] }
        expected += ["Pad", "Conv", "Tanh"]
        #expect(ops == expected)

        // The first convolution's weight, bit for bit, as raw little-endian float32.
        let initializers = try messages(graph, field: 5)
        let first = try #require(try initializers.first { try strings($0, field: 8) == ["model.1.weight"] })
        let fields = try ProtobufReader.fields(first)
        let dims = fields.compactMap { f -> Int? in if f.field == 1, case .varint(let v) = f.value { return Int(v) } else { return nil } }
        #expect(dims == [4, 3, 7, 7])
        let raw = try messages(first, field: 9).first!
        let floats = stride(from: 0, to: raw.count, by: 4).map { i in
            Float(bitPattern: raw[i ..< i + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        #expect(floats == generator.inConv.weight.value.scalars)

        // Input [1, 3, height, width], output [1, 1, height, width].
        for (field, channels) in [(11, 3), (12, 1)] {
            let info = try messages(graph, field: field).first!
            let tensor = try messages(try messages(try messages(info, field: 2).first!, field: 1).first!, field: 2).first!
            let dimensions = try messages(tensor, field: 1).map { try ProtobufReader.fields($0).first!.value }
            #expect(dimensions == [.varint(1), .varint(UInt64(channels)), .bytes(Array("height".utf8)), .bytes(Array("width".utf8))])
        }
    }

    /// onnxruntime runs it as PyTorch runs the reference's U-Net (≤ 1e-5) in Scripts/pytorch/check_unet.py.
    @Test("a unet_128 generator: its blocks' nodes in the reference's order, skip connections concatenated")
    func unetGraph() throws {
        var rng = SeededGenerator(seed: 4)
        let generator = UnetGenerator(inputNC: 1, outputNC: 3, ngf: 2, norm: .instance, downsamplings: 7)
        generator.initialize(.normal, gain: 0.02, using: &rng)
        let graph = try messages(ONNXExport.model(generator), field: 7).first!
        let nodes = try messages(graph, field: 1)
        let ops = try nodes.map { try strings($0, field: 4).first! }
        let norm = "InstanceNormalization"
        // Down: conv; 5 × (lrelu, conv, norm); innermost lrelu, conv. Up: relu, convT, norm, concat per inner
        // block; then relu, convT, tanh.
        var expected = ["Conv"]
        for _ in 0..<5 { expected += ["LeakyRelu", "Conv", norm] }
        expected += ["LeakyRelu", "Conv"]
        for _ in 0..<6 { expected += ["Relu", "ConvTranspose", norm, "Concat"] }
        expected += ["Relu", "ConvTranspose", "Tanh"]
        #expect(ops == expected)
        #expect(try strings(graph, field: 2) == ["UnetGenerator"])
        // Each Concat joins its block's LeakyReLU output (the skip) with the block's last norm.
        let concats = try nodes.filter { try strings($0, field: 4) == ["Concat"] }
        #expect(try concats.allSatisfy { try strings($0, field: 1).first!.hasSuffix(".0.out") })
        for (field, channels) in [(11, 1), (12, 3)] {
            let info = try messages(graph, field: field).first!
            let tensor = try messages(try messages(try messages(info, field: 2).first!, field: 1).first!, field: 2).first!
            let dimensions = try messages(tensor, field: 1).map { try ProtobufReader.fields($0).first!.value }
            #expect(dimensions[1] == .varint(UInt64(channels)))
        }
    }

    @Test("export --onnx through the binary; a checkpoint without the generator asked for is refused in one line")
    func command() throws {
        let root = temporaryFolder()
        let checkpoint = try tinyCheckpoint(in: root, iterations: 1)
        let (status, stdout, stderr) = try runCycleGAN(["export", checkpoint, "--output", root + "/onnx", "--onnx"])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.split(separator: "\n").map { ($0 as NSString).lastPathComponent } == ["latest_net_G_A.onnx", "latest_net_G_B.onnx"])
        #expect(try ProtobufReader.fields([UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/onnx/latest_net_G_A.onnx")))).count == 4)

        let (_, _, _) = try runCycleGAN(["import", TorchWeightsTests.folder + "/generator.pth", "--output", root + "/g.h5"])
        let (bad, _, badErr) = try runCycleGAN(["export", root + "/g.h5", "--output", root + "/bad", "--onnx",
                                                "--single_generator", "G_B"])
        #expect(bad != 0 && badErr.contains("holds no G_B") && badErr.split(separator: "\n").count == 1, "\(badErr)")
    }
}
