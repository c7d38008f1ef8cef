import Codecs
import Layers
import Foundation
import Testing
@testable import CycleGAN

/// --netG unet_128 / unet_256 and --use_dropout through the library and the binary.
@Suite("U-Net generators and dropout", .serialized)
struct GeneratorOptionsTests {
    /// A tiny U-Net run: 128² crops (unet_128 halves the sides 7 times), ngf 2.
    func unetConfig(_ root: String) -> TrainConfig {
        var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        c.network.netG = .unet_128; c.network.ngf = 2
        c.preprocessing.loadSize = 128; c.preprocessing.cropSize = 128
        c.network.useDropout = true
        return c
    }

    @Test("--netG unet_128 --use_dropout: a seeded run repeats, and an interrupted one resumes to the same losses")
    func seededAndResumed() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        var c = unetConfig(root)
        c.maxIterations = 6
        let first = TrainingRun(c); first.log = { _ in }
        _ = try first.run()
        let whole = try csvRowsWithoutTiming(root + "/runs/tiny/losses.csv")

        c.name = "stopped"; c.maxIterations = 3
        let stopped = TrainingRun(c); stopped.log = { _ in }
        _ = try stopped.run()
        c.continueTrain = true; c.maxIterations = 6
        let resumed = TrainingRun(c); resumed.log = { _ in }
        _ = try resumed.run()
        #expect(try csvRowsWithoutTiming(root + "/runs/stopped/losses.csv") == whole, "dropout masks continue from the saved random state")

        c.name = "no_dropout"; c.continueTrain = false; c.network.useDropout = false
        let plain = TrainingRun(c); plain.log = { _ in }
        _ = try plain.run()
        #expect(try csvRowsWithoutTiming(root + "/runs/no_dropout/losses.csv") != whole, "dropout changes the training")
    }

    @Test("translate from a U-Net run: any image size, the same output each time (no dropout in translation)")
    func translateThroughBinary() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let (status, _, stderr) = try runCycleGAN(["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "u",
                                                   "--netG", "unet_128", "--use_dropout", "--ngf", "2", "--ndf", "4",
                                                   "--load_size", "128", "--crop_size", "128", "--n_epochs", "1", "--n_epochs_decay", "0",
                                                   "--max_iterations", "2"])
        #expect(status == 0, "\(stderr)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/runs/u/config.json"))) as! [String: Any]
        #expect(config["netG"] as? String == "unet_128" && config["use_dropout"] as? Bool == true)
        var outputs: [[UInt8]] = []
        for out in ["out1", "out2"] {
            let (s, _, e) = try runCycleGAN(["translate", "--run", root + "/runs/u", "--direction", "AtoB",
                                             "--input", root + "/data/testA", "--output", root + "/" + out])
            #expect(s == 0, "\(e)")
            let image = try ImageFile.read(root + "/\(out)/img_1.png", channels: 3)
            #expect(image.shape == [3, 22, 30], "the 30×22 test image keeps its size (padded to 128, cropped back)")
            outputs.append(try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + "/\(out)/img_1.png"))))
        }
        #expect(outputs[0] == outputs[1], "no dropout in translation")
    }

    @Test("a crop that is not a multiple of the U-Net's, an uncropped U-Net, and contradicting flags are refused; nothing written",
          arguments: [
              (["--netG", "unet_128", "--crop_size", "64", "--load_size", "72"], "--crop_size 64 is not a multiple of 128, which --netG unet_128 needs: try 128"),
              (["--netG", "unet_256", "--preprocess", "none"], "--netG unet_256 needs image sides that are multiples of 256"),
              (["--use_dropout", "--no_dropout"], "--use_dropout and --no_dropout contradict each other"),
          ])
    func refused(_ flags: [String], _ message: String) throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let (status, _, stderr) = try runCycleGAN(["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "r"] + flags)
        #expect(status != 0)
        #expect(stderr.contains(message), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/runs/r"))
    }
}

/// --lr_policy plateau through a run: its scheduler state survives an interruption.
@Suite("Plateau learning-rate policy", .serialized)
struct PlateauPolicyTests {
    @Test("--lr_policy plateau steps on the epoch's cycle loss, logs each cut, and resumes exactly (mid-epoch and from epoch_N.h5)")
    func plateauRun() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        c.schedule = LRSchedule(policy: .plateau, nEpochs: 14, nEpochsDecay: 0)
        c.dataset.maxDatasetSize = 2
        // Cycle weights 0: the metric is a constant 0, which never improves (as the reference's own constant):
        // ReduceLROnPlateau cuts at its 7th and 13th step (the ends of epochs 7 and 13): lr/5 from epoch 8, lr/25 from 14.
        c.method.lambdaA = 0; c.method.lambdaB = 0; c.method.lambdaIdentity = 0
        var lines: [String] = []
        let whole = TrainingRun(c); whole.log = { lines.append($0) }
        _ = try whole.run()
        let rows = try csvRowsWithoutTiming(root + "/runs/tiny/losses.csv")
        let rates = rows.dropFirst().map { Double($0.split(separator: ",").last!)! }
        let expected = (1...14).flatMap { epoch in Array(repeating: 0.0002 * pow(0.2, Double(max(0, epoch - 2) / 6)), count: 2) }
        #expect(rates.count == 28 && zip(rates, expected).allSatisfy { abs($0 / $1 - 1) < 1e-5 }, "\(rates)")
        #expect(lines.filter { $0.hasPrefix("Plateau: the mean cycle loss (0) has not improved by 1 % for 6 steps") }.count == 2, "\(lines)")

        c.name = "resumed"; c.maxIterations = 15   // mid-epoch 8: the scheduler's state and the epoch's sum are saved
        let first = TrainingRun(c); first.log = { _ in }
        _ = try first.run()
        c.continueTrain = true; c.maxIterations = 0
        let second = TrainingRun(c); second.log = { _ in }
        _ = try second.run()
        #expect(try csvRowsWithoutTiming(root + "/runs/resumed/losses.csv") == rows)

        // From epoch_7.h5, the epoch whose end cuts the rate: the checkpoint holds the cut, epoch 8 runs at lr/5.
        c.name = "tiny"; c.resumeEpoch = 7
        let fromEpoch = TrainingRun(c); fromEpoch.log = { _ in }
        _ = try fromEpoch.run()
        #expect(try csvRowsWithoutTiming(root + "/runs/tiny/losses.csv") == rows)
    }
}
