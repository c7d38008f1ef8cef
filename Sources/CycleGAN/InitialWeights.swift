import Codecs
import Foundation
import RunLayout

/// `--init_from`: the networks a new run starts from instead of fresh weights (fine-tuning). The source is
/// one of our checkpoints (every network it holds), a generator saved by PyTorch (`horse2zebra.pth`:
/// becomes G_A), or a folder of the reference's files (`latest_net_G_A.pth`, `…G_B`, `…D_A`, `…D_B`:
/// each one present). Networks the source lacks keep their fresh weights; optimizer state, epochs and
/// schedule start anew. Each network must be the run's architecture, key for key and shape for shape.
public enum InitialWeights {
    static let architecture = "this run's options (--netG, --ngf, --ndf, --norm, --input_nc, …) describe"

    /// Loads what `path` holds into `model`; returns the networks loaded, each with the file it came from.
    public static func load(into model: CycleGANModel, from path: String) throws -> [(network: Network, file: String)] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw OptionsError("\(path) does not exist: --init_from takes a checkpoint (.h5), a generator saved by "
                                 + "PyTorch (.pth) or a folder of the reference's latest_net_G_A.pth, … files")
        }
        let networks = Dictionary(uniqueKeysWithValues: model.networks.map { ($0.name, $0.module) })
        if isFolder.boolValue {
            let files = try TorchWeights.referenceFiles(in: path)
            for (network, file) in files {
                try TorchWeights.load(networks[network.rawValue]!, from: try TorchFile(path: file), norm: model.config.norm,
                                      architecture: architecture)
            }
            return files.map { ($0.network, $0.path) }
        }
        if Translator.isPyTorchFile(path) {
            try TorchWeights.load(model.gA, from: try TorchFile(path: path), norm: model.config.norm,
                                  architecture: architecture)
            return [(.G_A, path)]
        }
        let file = try HDF5File(path: path, mode: .read)
        defer { file.close() }
        _ = try Checkpoint.config(of: file)   // a readable checkpoint of a format this version knows
        let present = try Checkpoint.networkNames(in: file)
        for name in present { try Checkpoint.load(networks[name]!, from: file, group: name, architecture: architecture) }
        return present.compactMap(Network.init(rawValue:)).map { ($0, path) }
    }
}
