import Codecs
import Foundation
import Layers
import RunLayout
import Tensor

/// A generator as an ONNX model (opset 17), for onnxruntime and the tools that read ONNX: input `input`
/// [1, C, H, W] in [−1, 1] with H and W dynamic (multiples of 4 for a ResNet, 2^downsamplings for a U-Net),
/// output `output` [1, C′, H, W]; weights as
/// initializers in raw little-endian float32. The graph is the network's forward as `translate` runs it:
/// reflection padding as Pad (mode reflect), instance norm as InstanceNormalization (ε 1e-5, scale 1, bias 0);
/// batch norm, which translation runs on the image's own statistics as the reference's test does without
/// --eval, as InstanceNormalization with the layer's weight and bias (the same thing for one image).
public enum ONNXExport {
    public static let opset = 17

    public static func write(_ generator: any Generator, to path: String) throws {
        try AtomicFile.write(path) { temporary in
            do {
                try Data(model(generator)).write(to: URL(fileURLWithPath: temporary))
            } catch {
                throw CodecError(path: path, message: "could not be written (\(error.localizedDescription))")
            }
        }
    }

    /// The generators of our checkpoint at `path` as `<prefix>_net_G_A.onnx`, `…G_B.onnx` in `folder` (or
    /// with `single` that one as `<prefix>_net_G.onnx`). Returns the files written.
    public static func export(checkpoint path: String, to folder: String, prefix: String = "latest",
                              single: Network? = nil) throws -> [String] {
        let file = try HDF5File(path: path, mode: .read)
        defer { file.close() }
        let config = try Checkpoint.config(of: file)
        let generators = try Checkpoint.networkNames(in: file).compactMap(Network.init(rawValue:))
            .filter { $0 == .G_A || $0 == .G_B }
        let wanted = single.map { [$0] } ?? generators
        if let missing = wanted.first(where: { !generators.contains($0) }) ?? (wanted.isEmpty ? .G_A : nil) {
            throw CheckpointError(.missingNetwork, path: path, "holds no \(missing.rawValue) to export as ONNX")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try wanted.map { network in
            let (inputNC, outputNC) = network == .G_A ? (config.inputNC, config.outputNC) : (config.outputNC, config.inputNC)
            let generator = makeGenerator(config, inputNC: inputNC, outputNC: outputNC)
            try Checkpoint.load(generator, from: file, group: network.rawValue)
            let out = (folder as NSString).appendingPathComponent(
                single == nil ? "\(prefix)_net_\(network.rawValue).onnx" : "\(prefix)_net_G.onnx")
            try write(generator, to: out)
            return out
        }
    }

    /// The serialized ModelProto.
    public static func model(_ generator: any Generator) -> [UInt8] {
        var graph = Graph()
        if let g = generator as? ResnetGenerator { resnet(g, into: &graph) }
        if let g = generator as? UnetGenerator { _ = unet(g.outermost, "input", name: "model.model", into: &graph) }
        let first = generator.parameters(prefix: "").first!.parameter.value.shape[1]
        let last = generator.stateDict().last { $0.key.hasSuffix("weight") }!.parameter.value.shape
        var w = ProtobufWriter()
        w.int(1, 8)                                        // ir_version 8 (ONNX 1.13, opset 17)
        w.string(2, "cyclegan-swift")                      // producer_name
        // The last weight is the final convolution's [C′, ngf, 7, 7] (ResNet) or transposed one's [2ngf, C′, 4, 4].
        w.message(7) { graph.encode(into: &$0, name: String(describing: type(of: generator)), inputChannels: first,
                                    outputChannels: generator is UnetGenerator ? last[1] : last[0]) }
        w.message(8) { $0.string(1, ""); $0.int(2, opset) } // opset_import
        return w.bytes
    }

    /// A U-Net block as the reference runs it (UnetSkipConnectionBlock), nodes named by its keys.
    private static func unet(_ b: UnetBlock, _ x: String, name: String, into graph: inout Graph) -> String {
        if b.position == .outermost {
            var h = graph.convBlock(x, b.downConv, nil, name: name + ".0", reflect: 0, relu: false)
            h = unet(b.submodule!, h, name: name + ".1.model", into: &graph)
            h = graph.node("Relu", [h], name: name + ".2")
            h = graph.convTranspose(h, b.upConv, name: name + ".3")
            return graph.node("Tanh", [h], name: name + ".4", output: "output")
        }
        let skip = graph.node("LeakyRelu", [x], name: name + ".0", attributes: [("alpha", .float(0.2))])
        var h = graph.convBlock(skip, b.downConv, b.downNorm, name: name + ".1", reflect: 0, relu: false)
        if let sub = b.submodule { h = unet(sub, h, name: name + ".3.model", into: &graph) }
        h = graph.node("Relu", [h], name: name + (b.submodule == nil ? ".2" : ".4"))
        let up = b.submodule == nil ? 3 : 5
        h = graph.convTranspose(h, b.upConv, name: name + ".\(up)")
        if let norm = b.upNorm { h = graph.norm(h, norm, channels: b.upConv.weight.value.shape[1], name: name + ".\(up + 1)") }
        return graph.node("Concat", [skip, h], name: name + ".cat", attributes: [("axis", .int(1))])
    }

    private static func resnet(_ g: ResnetGenerator, into graph: inout Graph) {
        var h = "input"
        h = graph.convBlock(h, g.inConv, g.inNorm, name: "model.1", reflect: 3, relu: true)
        for (i, (conv, norm)) in g.down.enumerated() {
            h = graph.convBlock(h, conv, norm, name: "model.\(4 + 3 * i)", reflect: 0, relu: true)
        }
        for (i, block) in g.blocks.enumerated() {
            let name = "model.\(10 + i).conv_block"
            let inner = graph.convBlock(h, block.conv1, block.norm1, name: name + ".1", reflect: 1, relu: true)
            let outer = graph.convBlock(inner, block.conv2, block.norm2, name: name + ".5", reflect: 1, relu: false)
            h = graph.node("Add", [h, outer], name: "model.\(10 + i).add")
        }
        let n = g.blocks.count
        for (i, (conv, norm)) in g.up.enumerated() {
            let name = "model.\(10 + n + 3 * i)"
            h = graph.convTranspose(h, conv, name: name)
            h = graph.norm(h, norm, channels: conv.weight.value.shape[1], name: "model.\(11 + n + 3 * i)")
            h = graph.node("Relu", [h], name: name + ".relu")
        }
        h = graph.convBlock(h, g.outConv, nil, name: "model.\(17 + n)", reflect: 3, relu: false)
        graph.node("Tanh", [h], name: "model.\(18 + n)", output: "output")
    }

    /// Nodes and initializers, in order.
    struct Graph {
        var nodes: [[UInt8]] = []
        var initializers: [[UInt8]] = []

        enum Attribute { case int(Int), ints([Int]), float(Float), string(String) }

        @discardableResult
        mutating func node(_ op: String, _ inputs: [String], name: String, output: String? = nil,
                           attributes: [(String, Attribute)] = []) -> String {
            let out = output ?? name + ".out"
            var w = ProtobufWriter()
            for i in inputs { w.string(1, i) }
            w.string(2, out)
            w.string(3, name)
            w.string(4, op)
            for (attribute, value) in attributes {
                w.message(5) { a in
                    a.string(1, attribute)
                    switch value {
                    case .int(let v): a.int(3, v); a.int(20, 2)
                    case .ints(let vs): for v in vs { a.int(8, v) }; a.int(20, 7)
                    case .float(let v): a.float(2, v); a.int(20, 1)
                    case .string(let s): a.string(4, s); a.int(20, 3)
                    }
                }
            }
            nodes.append(w.bytes)
            return out
        }

        mutating func initializer(_ name: String, _ t: Tensor) -> String {
            initializer(name, dims: t.shape, floats: t.scalars)
        }

        mutating func initializer(_ name: String, dims: [Int], floats: [Float]) -> String {
            var w = ProtobufWriter()
            for d in dims { w.int(1, d) }
            w.int(2, 1)                                    // FLOAT
            w.string(8, name)
            var raw = [UInt8](); raw.reserveCapacity(floats.count * 4)
            for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { raw += $0 } }
            w.bytes(9, raw)
            initializers.append(w.bytes)
            return name
        }

        mutating func int64Initializer(_ name: String, _ values: [Int]) -> String {
            var w = ProtobufWriter()
            w.int(1, values.count)
            w.int(2, 7)                                    // INT64
            w.string(8, name)
            var raw = [UInt8]()
            for v in values { withUnsafeBytes(of: Int64(v).littleEndian) { raw += $0 } }
            w.bytes(9, raw)
            initializers.append(w.bytes)
            return name
        }

        /// [reflection pad] → conv → [norm] → [relu]
        mutating func convBlock(_ x: String, _ conv: Conv2D, _ norm: Norm2D?, name: String, reflect: Int, relu: Bool) -> String {
            var h = x
            if reflect > 0 {
                let pads = int64Initializer(name + ".pads", [0, 0, reflect, reflect, 0, 0, reflect, reflect])
                h = node("Pad", [h, pads], name: name + ".pad", attributes: [("mode", .string("reflect"))])
            }
            let k = conv.weight.value.shape[2], p = conv.padding
            var inputs = [h, initializer(name + ".weight", conv.weight.value)]
            if let bias = conv.bias { inputs.append(initializer(name + ".bias", bias.value)) }
            h = node("Conv", inputs, name: name, attributes: [
                ("kernel_shape", .ints([k, k])), ("strides", .ints([conv.stride, conv.stride])), ("pads", .ints([p, p, p, p])),
            ])
            if let norm { h = self.norm(h, norm, channels: conv.weight.value.shape[0], name: name + ".norm") }
            return relu ? node("Relu", [h], name: name + ".relu") : h
        }

        mutating func convTranspose(_ x: String, _ conv: ConvTranspose2D, name: String) -> String {
            let k = conv.weight.value.shape[2], p = conv.padding, s = conv.stride, o = conv.outputPadding
            var inputs = [x, initializer(name + ".weight", conv.weight.value)]
            if let bias = conv.bias { inputs.append(initializer(name + ".bias", bias.value)) }
            return node("ConvTranspose", inputs, name: name, attributes: [
                ("kernel_shape", .ints([k, k])), ("strides", .ints([s, s])), ("pads", .ints([p, p, p, p])),
                ("output_padding", .ints([o, o])),
            ])
        }

        mutating func norm(_ x: String, _ norm: Norm2D, channels c: Int, name: String) -> String {
            guard norm.kind != .none else { return x }
            let scale: String, shift: String
            if norm.kind == .batch {
                scale = initializer(name + ".weight", norm.weight!.value)
                shift = initializer(name + ".bias", norm.bias!.value)
            } else {
                scale = initializer(name + ".scale", dims: [c], floats: [Float](repeating: 1, count: c))
                shift = initializer(name + ".shift", dims: [c], floats: [Float](repeating: 0, count: c))
            }
            return node("InstanceNormalization", [x, scale, shift], name: name, attributes: [("epsilon", .float(1e-5))])
        }

        func encode(into w: inout ProtobufWriter, name: String, inputChannels: Int, outputChannels: Int) {
            for n in nodes { w.bytes(1, n) }
            w.string(2, name)
            for i in initializers { w.bytes(5, i) }
            func valueInfo(_ field: Int, _ name: String, channels: Int) {
                w.message(field) { v in
                    v.string(1, name)
                    v.message(2) { type in
                        type.message(1) { tensor in
                            tensor.int(1, 1)               // FLOAT
                            tensor.message(2) { shape in
                                shape.message(1) { $0.int(1, 1) }
                                shape.message(1) { $0.int(1, channels) }
                                shape.message(1) { $0.string(2, "height") }
                                shape.message(1) { $0.string(2, "width") }
                            }
                        }
                    }
                }
            }
            valueInfo(11, "input", channels: inputChannels)
            valueInfo(12, "output", channels: outputChannels)
        }
    }
}
