import Codecs
import Layers
import Tensor

/// A generator saved by PyTorch (the reference's `latest_net_G_A.pth`, a pretrained `horse2zebra.pth`): its
/// architecture read off its keys and shapes, its weights loaded as the reference loads them.
public enum TorchWeights {
    /// The ResNet generator a state dict holds, and its channels (input, output). Everything is in the keys:
    /// model.1.weight is [ngf, input_nc, 7, 7]; the residual blocks are the model.N.conv_block entries; the
    /// last convolution is [output_nc, ngf, 7, 7]; inner convolutions have biases with instance norm only,
    /// and batch norm has weights of its own (model.2.weight).
    public static func generatorConfig(_ file: TorchFile) throws -> (config: NetworkConfig, inputNC: Int, outputNC: Int) {
        func fail(_ why: String) -> CheckpointError {
            CheckpointError(.architectureMismatch, path: file.path, why)
        }
        guard let first = file["model.1.weight"], first.shape.count == 4, first.shape[2] == 7 else {
            let keys = file.entries.prefix(2).map(\.key).joined(separator: ", ")
            throw fail("is not a ResNet generator of the reference (its first keys are \(keys), not model.1.weight "
                       + "[ngf, input_nc, 7, 7]): only resnet_6blocks and resnet_9blocks generators are read, not U-Nets "
                       + "or discriminators")
        }
        let (ngf, inputNC) = (first.shape[0], first.shape[1])
        let indices = file.entries.compactMap { entry -> Int? in
            let parts = entry.key.split(separator: ".")
            return parts.count >= 3 && parts[0] == "model" ? Int(parts[1]) : nil
        }
        let blocks = Set(file.entries.compactMap { entry -> Int? in
            let parts = entry.key.split(separator: ".")
            return parts.count >= 4 && parts[2] == "conv_block" ? Int(parts[1]) : nil
        }).count
        guard let netG = GeneratorKind.allCases.first(where: { $0.blocks == blocks }) else {
            throw fail("has a generator with \(blocks) residual blocks: only 6 (resnet_6blocks) and 9 (resnet_9blocks) are read")
        }
        guard let lastIndex = indices.max(), let last = file["model.\(lastIndex).weight"], last.shape.count == 4 else {
            throw fail("has no final convolution (model.N.weight [output_nc, ngf, 7, 7])")
        }
        let norm: NormKind = file["model.1.bias"] != nil ? .instance : file["model.2.weight"] != nil ? .batch : .none
        let config = NetworkConfig(netG: netG, ngf: ngf, norm: norm, inputNC: inputNC, outputNC: last.shape[0])
        return (config, inputNC, last.shape[0])
    }

    /// Loads a network from a state dict, as the reference's `load_networks` does: the running statistics
    /// that InstanceNorm layers of files older than PyTorch 0.4 carry are dropped (its
    /// `__patch_instance_norm_state_dict`); every other key must match, with its shape.
    public static func load(_ network: Module, from file: TorchFile, norm: NormKind,
                            architecture: String = "read off its keys") throws {
        let statistics = ["running_mean", "running_var", "num_batches_tracked"]
        let kept = file.entries.filter { entry in
            norm != .instance || !statistics.contains { entry.key.hasSuffix("." + $0) }
        }
        let byKey = Dictionary(kept.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        try Checkpoint.load(network, storedKeys: kept.map(\.key), path: file.path, architecture: architecture) { key in
            let entry = byKey[key]!
            return Tensor(shape: entry.shape, values: entry.values)
        }
    }
}
