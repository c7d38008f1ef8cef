import Codecs
import Foundation
import Layers
import RunLayout
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
        if file["model.model.0.weight"] != nil { return try unetConfig(file) }
        guard let first = file["model.1.weight"], first.shape.count == 4, first.shape[2] == 7 else {
            let keys = file.entries.prefix(2).map(\.key).joined(separator: ", ")
            throw fail("is not a generator of the reference (its first keys are \(keys), not model.1.weight "
                       + "[ngf, input_nc, 7, 7] of a ResNet nor model.model.0.weight of a U-Net)")
        }
        let (ngf, inputNC) = (first.shape[0], first.shape[1])
        guard (1...4096).contains(ngf), inputNC == 1 || inputNC == 3, !first.values.isEmpty else {
            throw fail("has model.1.weight of shape \(first.shape): not a generator's first layer (ngf 1–4096, 1 or 3 channels)")
        }
        let indices = file.entries.compactMap { entry -> Int? in
            let parts = entry.key.split(separator: ".")
            return parts.count >= 3 && parts[0] == "model" ? Int(parts[1]) : nil
        }
        let blocks = Set(file.entries.compactMap { entry -> Int? in
            let parts = entry.key.split(separator: ".")
            return parts.count >= 4 && parts[2] == "conv_block" ? Int(parts[1]) : nil
        }).count
        guard let netG = GeneratorKind.allCases.first(where: { $0.blocks == blocks }), blocks > 0 else {
            throw fail("has a generator with \(blocks) residual blocks: only 6 (resnet_6blocks) and 9 (resnet_9blocks) are read")
        }
        guard let lastIndex = indices.max(), let last = file["model.\(lastIndex).weight"], last.shape.count == 4 else {
            throw fail("has no final convolution (model.N.weight [output_nc, ngf, 7, 7])")
        }
        guard last.shape[0] == 1 || last.shape[0] == 3 else {
            throw fail("has a final convolution of \(last.shape[0]) output channels: images have 1 or 3")
        }
        let norm: NormKind = file["model.1.bias"] != nil ? .instance : file["model.2.weight"] != nil ? .batch : .none
        // With dropout, the residual blocks' second convolution sits at conv_block.6 instead of .5.
        let dropout = file.entries.contains { $0.key.hasSuffix(".conv_block.6.weight") && $0.shape.count == 4 }
        let config = NetworkConfig(netG: netG, ngf: ngf, norm: norm, inputNC: inputNC, outputNC: last.shape[0], useDropout: dropout)
        return (config, inputNC, last.shape[0])
    }

    /// The U-Net a state dict holds: model.model.0.weight is the outermost convolution [ngf, input_nc, 4, 4],
    /// model.model.3.weight its transposed one [2ngf, output_nc, 4, 4]; each block nests its inner one under
    /// `model.1.` or `model.3.`, so the deepest key says the downsamplings (unet_256: 8, unet_128: 7). Dropout
    /// has no weights: a U-Net read from PyTorch translates, and fine-tunes without dropout unless asked.
    static func unetConfig(_ file: TorchFile) throws -> (config: NetworkConfig, inputNC: Int, outputNC: Int) {
        guard let first = file["model.model.0.weight"], first.shape.count == 4, first.shape[2] == 4, first.shape[3] == 4,
              let last = file["model.model.3.weight"], last.shape.count == 4, last.shape[0] == 2 * first.shape[0],
              (1...4096).contains(first.shape[0]), first.shape[1] == 1 || first.shape[1] == 3,
              last.shape[1] == 1 || last.shape[1] == 3 else {
            throw CheckpointError(.architectureMismatch, path: file.path, "has model.model.0.weight but not the outermost "
                                  + "block of a U-Net (model.model.0.weight [ngf, 1 or 3, 4, 4], model.model.3.weight [2·ngf, 1 or 3, 4, 4])")
        }
        let depth = file.entries.map { $0.key.split(separator: ".").filter { $0 == "model" }.count }.max() ?? 0
        guard let netG = GeneratorKind.allCases.first(where: { $0.downsamplings == depth - 1 }) else {
            throw CheckpointError(.architectureMismatch, path: file.path, "has a U-Net of \(depth - 1) downsamplings: only "
                                  + "unet_256 (8) and unet_128 (7) are read")
        }
        let norm: NormKind = file["model.model.0.bias"] != nil ? .instance
            : file["model.model.1.model.2.weight"] != nil ? .batch : .none
        let (ngf, inputNC, outputNC) = (first.shape[0], first.shape[1], last.shape[1])
        return (NetworkConfig(netG: netG, ngf: ngf, norm: norm, inputNC: inputNC, outputNC: outputNC), inputNC, outputNC)
    }

    /// The discriminator a state dict holds (NLayerDiscriminator): ndf and input channels from model.0.weight
    /// [ndf, input_nc, 4, 4]; n_layers from its convolutions (n + 2 of them); `basic` when n is 3.
    public static func discriminatorConfig(_ file: TorchFile) throws -> (ndf: Int, inputNC: Int, netD: DiscriminatorKind, layers: Int) {
        if let first = file["net.0.weight"], first.shape.count == 4, first.shape[2] == 1, first.shape[3] == 1,
           (1...4096).contains(first.shape[0]) {
            return (first.shape[0], first.shape[1], .pixel, 1)   // the reference's PixelDiscriminator
        }
        guard let first = file["model.0.weight"], first.shape.count == 4, first.shape[2] == 4 else {
            throw CheckpointError(.architectureMismatch, path: file.path, "is not a PatchGAN discriminator of the reference "
                                  + "(no model.0.weight [ndf, input_nc, 4, 4], nor a pixel one's net.0.weight [ndf, input_nc, 1, 1])")
        }
        let convs = file.entries.filter { $0.key.hasSuffix(".weight") && $0.shape.count == 4 }.count
        let layers = convs - 2
        guard (1...8).contains(layers), (1...4096).contains(first.shape[0]), !first.values.isEmpty else {
            throw CheckpointError(.architectureMismatch, path: file.path, "has a discriminator of \(convs) convolutions and "
                                  + "ndf \(first.shape[0]): not one of the reference's (1–8 layers, ndf 1–4096)")
        }
        return (first.shape[0], first.shape[1], layers == 3 ? .basic : .n_layers, layers)
    }

    /// Our checkpoint's networks from PyTorch files: a folder of the reference's `*net_G_A.pth`, … (each one
    /// present; `latest_` preferred), or one generator file, which becomes G_A (or G_B with `direction` BtoA).
    /// Returns the model (architecture read off the files) and the networks loaded.
    public static func importModel(from path: String, direction: Direction = .AtoB) throws -> (CycleGANModel, [Network]) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw OptionsError("\(path) does not exist: give a .pth file or a folder of latest_net_G_A.pth, … files")
        }
        var files: [Network: TorchFile] = [:]
        if isFolder.boolValue {
            for (network, file) in try referenceFiles(in: path) { files[network] = try TorchFile(path: file) }
        } else {
            files[direction.generator] = try TorchFile(path: path)
        }
        guard let generator = files[.G_A] ?? files[.G_B] else {
            throw OptionsError("\(path) holds discriminators only: a checkpoint needs a generator to say its architecture")
        }
        var (config, inputNC, outputNC) = try generatorConfig(generator)
        if files[.G_A] == nil { (inputNC, outputNC) = (outputNC, inputNC) }   // G_B maps B → A
        config.inputNC = inputNC; config.outputNC = outputNC
        if let d = files[.D_A] ?? files[.D_B] {
            let found = try discriminatorConfig(d)
            (config.ndf, config.netD, config.nLayersD) = (found.ndf, found.netD, found.netD == .n_layers ? found.layers : 3)
        }
        let model = CycleGANModel(config)
        let modules = Dictionary(uniqueKeysWithValues: model.networks.map { ($0.name, $0.module) })
        for (network, file) in files {
            try load(modules[network.rawValue]!, from: file, norm: config.norm, architecture: "its generator's keys describe")
        }
        return (model, Network.allCases.filter { files[$0] != nil })
    }

    /// Writes the networks of our checkpoint at `path` as the reference's files in `folder`:
    /// `<prefix>_net_G_A.pth`, … for each network it holds, or with `single` that generator alone as
    /// `<prefix>_net_G.pth` (what the reference's test model loads). Returns the files written.
    public static func export(checkpoint path: String, to folder: String, prefix: String = "latest",
                              single: Network? = nil) throws -> [String] {
        let file = try HDF5File(path: path, mode: .read)
        let present = try Checkpoint.networkNames(in: file).compactMap(Network.init(rawValue:))
        file.close()
        if let single, !present.contains(single) {
            throw CheckpointError(.missingNetwork, path: path, "holds no \(single.rawValue) to export (it holds "
                                  + "\(present.map(\.rawValue).joined(separator: ", ")))")
        }
        let model = try Checkpoint.loadModel(from: path, only: single.map { [$0] } ?? present)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let modules = Dictionary(uniqueKeysWithValues: model.networks.map { ($0.name, $0.module) })
        var written: [String] = []
        for network in single.map({ [$0] }) ?? present {
            let name = single == nil ? "\(prefix)_net_\(network.rawValue).pth" : "\(prefix)_net_G.pth"
            let tensors = modules[network.rawValue]!.stateDict().map { key, p in
                TorchFileWriter.Tensor(key: key, shape: p.value.shape, values: p.value.scalars,
                                       dtype: key.hasSuffix("num_batches_tracked") ? .int64 : .float32)
            }
            let out = (folder as NSString).appendingPathComponent(name)
            try TorchFileWriter.write(tensors, to: out)
            written.append(out)
        }
        return written
    }

    /// The reference's files in a checkpoints folder, by network: `<prefix>_net_G_A.pth`, … (`latest_` when there
    /// are several prefixes, else the last by name); at least one, or an error saying what was looked for.
    static func referenceFiles(in folder: String) throws -> [(network: Network, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let found = Network.allCases.compactMap { network -> (Network, String)? in
            let matching = names.filter { $0.hasSuffix("net_\(network.rawValue).pth") }.sorted()
            return (matching.first(where: { $0.hasPrefix("latest_") }) ?? matching.last).map { (network, folder + "/" + $0) }
        }
        if found.isEmpty {
            throw OptionsError("\(folder) holds no *net_G_A.pth, *net_G_B.pth, *net_D_A.pth or *net_D_B.pth: nothing to read")
        }
        return found
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
