import ArgumentParser
import Codecs
import CycleGAN
import Foundation
import RunLayout

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a checkpoint holds: networks, parameter counts, architecture, iteration and epoch.")

    @Argument(help: "A checkpoint (.h5) written by `cyclegan train` or Scripts/pytorch/convert.py.")
    var file: String

    func run() throws {
        let h5 = try HDF5File(path: file, mode: .read)
        defer { h5.close() }
        let config = try Checkpoint.config(of: h5)
        print(file)
        print("  architecture: netG \(config.netG.rawValue), ngf \(config.ngf), netD \(config.netD.rawValue), "
              + "ndf \(config.ndf), n_layers_D \(config.nLayersD), norm \(config.norm.rawValue), "
              + "input_nc \(config.inputNC), output_nc \(config.outputNC)" + (config.useDropout ? ", dropout (training only)" : ""))
        for name in try Checkpoint.networkNames(in: h5) {
            let keys = try h5.datasetNames(under: name)
            var parameters = 0, buffers = 0
            for key in keys {
                let count = try h5.shape(of: "\(name)/\(key)").reduce(1, *)
                if key.hasSuffix("running_mean") || key.hasSuffix("running_var") || key.hasSuffix("num_batches_tracked") {
                    buffers += count
                } else { parameters += count }
            }
            let role = Network(rawValue: name)!.role
            print("  \(name) (\(role)): \(parameters.formatted()) parameters in \(keys.count) tensors"
                  + (buffers > 0 ? ", \(buffers) buffer values" : ""))
        }
        if let iteration = try h5.intAttribute("iteration"), let epoch = try h5.intAttribute("epoch") {
            let lr = try h5.numberAttribute("lr") ?? .nan
            print("  training state: iteration \(iteration), epoch \(epoch), lr \(lr); resumable with --continue_train")
        } else {
            print("  weights only (no training state): usable with `cyclegan translate`")
        }
    }
}
