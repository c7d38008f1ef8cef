import ArgumentParser
import Codecs
import CycleGAN
import Foundation
import RunLayout
import Tensor

struct Translate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Translate images A→B (G_A) or B→A (G_B) with a trained checkpoint.",
        discussion: """
        Every image of --input (a file or a folder, searched recursively) is translated at its own size (sides \
        padded to the generator's multiple, 4 for a ResNet, 128 or 256 for a U-Net, and cropped back) unless \
        --scale_width is given, and written under --output with its own name and the generator's channel count, \
        as PNG (or TIFF with --output_format tiff), with 16 bits when the input has 16 (PNG, TIFF, PGM/PPM), else \
        8. With --run, the checkpoint \
        is <run>/checkpoints/latest.h5 (or epoch_N.h5 with --epoch N) and the default output is \
        <run>/translations/<direction>/, which `cyclegan report` shows. A checkpoint converted from one official \
        pretrained generator works for its direction.

        Example:
          cyclegan translate --run Runs/quick --direction BtoA \\
            --input Data/photo2painting/testB
        """)

    @Option(name: .customLong("run"), help: "A run folder (uses its checkpoints/latest.h5).")
    var runFolder: String?
    @Option(help: "A checkpoint file instead of --run: ours (.h5), or a generator saved by PyTorch (.pth: the reference's latest_net_G_A.pth or a pretrained model such as horse2zebra.pth; no Python needed).")
    var checkpoint: String?
    @Option(help: "With --run: use checkpoints/epoch_N.h5.")
    var epoch: Int?
    @Option(help: "AtoB (G_A) or BtoA (G_B).")
    var direction: Direction
    @Option(help: "An image, or a folder of images.")
    var input: String
    @Option(help: "Output folder (default with --run: <run>/translations/<direction>).")
    var output: String?
    @Option(name: .customLong("scale_width"), help: "Resize each image to this width (aspect kept) before translating.")
    var scaleWidth: Int?
    @Option(name: .customLong("output_format"), help: "png (default; `cyclegan report` shows them) or tiff.")
    var outputFormat: ImageFile.WriteFormat = .png
    @OptionGroup(title: "Compute") var compute: ComputeArguments
    @OptionGroup(title: "Compute") var precision: PrecisionArguments

    func validate() throws {
        if (runFolder == nil) == (checkpoint == nil) { throw ValidationError("give either --run RUN_FOLDER or --checkpoint FILE.h5") }
        if epoch != nil && runFolder == nil { throw ValidationError("--epoch needs --run") }
        if output == nil && runFolder == nil { throw ValidationError("give --output DIR (required with --checkpoint)") }
        if let w = scaleWidth, w < 4 { throw ValidationError("--scale_width must be at least 4") }
    }

    func run() throws {
        let checkpointPath = checkpoint ?? ((runFolder! as NSString).appendingPathComponent(RunLayout.checkpoints) as NSString)
            .appendingPathComponent(epoch.map(RunLayout.epochCheckpoint) ?? RunLayout.latestCheckpoint)
        let outputFolder = output ?? (((runFolder! as NSString).appendingPathComponent(RunLayout.translations)) as NSString)
            .appendingPathComponent(direction.rawValue)
        let inputs = try inputFiles()
        try compute.start()
        try precision.run { try translate(inputs, checkpointPath: checkpointPath, to: outputFolder) }
    }

    private func translate(_ inputs: [String], checkpointPath: String, to outputFolder: String) throws {
        // No cache of freed buffers: in a translation almost every tensor has a size of its own, so the cache
        // only grows (1024×768, resnet_9blocks ngf 64: peak 2.57 GB with it, 0.98 GB without, same time).
        StoragePool.shared.limitBytes = 0
        let translator = try Translator(checkpoint: checkpointPath, direction: direction)
        if let note = translator.checksumNote { print(note) }
        print("Translating \(inputs.count) image\(inputs.count == 1 ? "" : "s") \(direction.rawValue) with "
              + "\(Translator.isPyTorchFile(checkpointPath) ? "the PyTorch generator" : direction.generatorName) of "
              + "\(checkpointPath) → \(outputFolder)/")
        _ = try translator.translateFiles(inputs, to: outputFolder, scaleWidth: scaleWidth, format: outputFormat) { print($0) }
    }

    private func inputFiles() throws -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
            throw ValidationError("\(input) does not exist: give an image or a folder of images with --input")
        }
        return isFolder.boolValue ? try ImageFolder.scan(input, role: "input").files : [input]
    }
}
