import ArgumentParser
import CycleGAN
import Foundation
import RunLayout

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint's networks as the reference's PyTorch files (no Python needed).",
        discussion: """
        Writes <prefix>_net_G_A.pth, …G_B, …D_A, …D_B (each network the checkpoint holds) into --output, in \
        torch.save's zip format: the reference's --continue_train loads them from its checkpoints folder, \
        torch.load reads them (also with weights_only=True). With --single_generator G_A (or G_B), that \
        generator alone as <prefix>_net_G.pth, the file the reference's test.py loads. Weights only: optimizer \
        state and image pools stay here.

        With --onnx, the generators as ONNX models instead (<prefix>_net_G_A.onnx, …; opset 17, input \
        "input" [1, C, H, W] in [−1, 1] with H and W dynamic, multiples of 4, or of 128 or 256 for a U-Net; output "output"), for \
        onnxruntime and the tools that read ONNX.

        Examples:
          cyclegan export Runs/p2p/checkpoints/latest.h5 --output checkpoints/p2p
          cyclegan export Runs/p2p/checkpoints/latest.h5 --output onnx/ \\
            --onnx --single_generator G_A
        """)

    @Argument(help: "A checkpoint (.h5).")
    var checkpoint: String
    @Option(help: "The folder to write the .pth files into.")
    var output: String
    @Option(help: "The files' prefix, as the reference's --epoch: latest or an epoch number.")
    var prefix = "latest"
    @Option(name: .customLong("single_generator"), help: "Write only this generator (G_A or G_B), as <prefix>_net_G.pth.")
    var singleGenerator: Network?
    @Flag(help: "Write the generators as ONNX models instead of .pth files.")
    var onnx = false

    func validate() throws {
        if let g = singleGenerator, g != .G_A && g != .G_B {
            throw ValidationError("--single_generator \(g.rawValue): give G_A or G_B")
        }
    }

    func run() throws {
        let files = onnx ? try ONNXExport.export(checkpoint: checkpoint, to: output, prefix: prefix, single: singleGenerator)
                         : try TorchWeights.export(checkpoint: checkpoint, to: output, prefix: prefix, single: singleGenerator)
        for file in files { print(file) }
    }
}

extension Network: ExpressibleByArgument {}
