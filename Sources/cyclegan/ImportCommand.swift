import ArgumentParser
import CycleGAN
import Foundation
import RunLayout

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint of ours from PyTorch files (no Python needed).",
        discussion: """
        SRC is a folder of the reference's files (latest_net_G_A.pth, …G_B, …D_A, …D_B: each one present) or \
        one generator file (a pretrained horse2zebra.pth), which becomes G_A, or G_B with --direction BtoA. The \
        architecture is read off the files' keys and shapes. The checkpoint holds the networks the files held \
        (weights only: no optimizer state), for `translate`, `inspect` or `train --init_from`.

        Example:
          cyclegan import checkpoints/horse2zebra_cyclegan --output h2z.h5
        """)

    @Argument(help: "A .pth file or a folder of *net_G_A.pth, … files.")
    var source: String
    @Option(help: "The checkpoint to write (.h5).")
    var output: String
    @Option(help: "For a single generator file: AtoB stores it as G_A, BtoA as G_B.")
    var direction: Direction = .AtoB

    func run() throws {
        let (model, networks) = try TorchWeights.importModel(from: source, direction: direction)
        try Checkpoint.save(model, only: networks, to: output)
        let c = model.config
        print("\(output): \(networks.map(\.rawValue).joined(separator: ", ")) from \(source) (netG \(c.netG.rawValue), "
              + "ngf \(c.ngf), norm \(c.norm.rawValue), \(c.inputNC)→\(c.outputNC) channels"
              + (networks.contains(.D_A) || networks.contains(.D_B) ? ", netD \(c.netD.rawValue), ndf \(c.ndf))" : ")"))
    }
}
