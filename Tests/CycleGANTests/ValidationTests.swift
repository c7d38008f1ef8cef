import Codecs
import Evaluation
import Foundation
import RunLayout
import Tensor
import Testing
@testable import CycleGAN

/// `--val_freq`: translations under val/epoch_N/, a row of val.csv per validation, and no effect on training.
@Suite("Validation while training", .serialized)
struct ValidationTests {
    static func rows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
    }

    @Test("validation leaves training bit for bit unchanged, survives a resume, and its PSNR is that of the written images translated back")
    func validationRun() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        func train(_ name: String, valFreq: Int, maxIterations: Int = 0, resume: Bool = false) throws -> [String] {
            var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs", name: name)
            c.validation.valFreq = valFreq
            c.maxIterations = maxIterations
            c.continueTrain = resume
            var lines: [String] = []
            let run = TrainingRun(c)
            run.log = { lines.append($0) }
            try run.run()
            return lines
        }
        let log = try train("validated", valFreq: 1)
        _ = try train("plain", valFreq: 0)
        _ = try train("resumed", valFreq: 1, maxIterations: 7)
        _ = try train("resumed", valFreq: 1, resume: true)
        let folder = root + "/runs/validated"

        // Training is untouched: the same losses as without validation (timing column aside).
        #expect(try csvRowsWithoutTiming(folder + "/losses.csv") == csvRowsWithoutTiming(root + "/runs/plain/losses.csv"))
        #expect(!FileManager.default.fileExists(atPath: root + "/runs/plain/val.csv"))

        // val.csv: the header and one row per epoch (iterations 5 and 10), PSNR finite, no KID without weights.
        let rows = try Self.rows(folder + "/val.csv")
        #expect(rows.first == ValidationColumns.header)
        #expect(rows.count == 3 && rows[1][0] == "5" && rows[1][1] == "1" && rows[2][0] == "10" && rows[2][1] == "2")
        #expect(rows.dropFirst().allSatisfy { Double($0[2])!.isFinite && Double($0[3])!.isFinite && $0[4] == "nan" })
        #expect(log.contains { $0.hasPrefix("Validating every 1 epoch on 2 images in") && $0.contains("KID needs --inception") })
        #expect(log.contains { $0.hasPrefix("Validation after epoch 2: cycle PSNR A") })

        // Interrupted after epoch 1 and resumed: the same rows.
        let resumed = try Self.rows(root + "/runs/resumed/val.csv")
        #expect(resumed.map { $0.dropLast() } == rows.map { $0.dropLast() })
        // A row beyond the checkpoint (a validation whose run died before saving) goes on resume, even without --val_freq.
        let handle = try #require(FileHandle(forWritingAtPath: root + "/runs/resumed/val.csv"))
        handle.seekToEndOfFile(); handle.write(Data("999,9,1,1,nan,nan,nan,nan,1\n".utf8)); try handle.close()
        _ = try train("resumed", valFreq: 0, resume: true)
        #expect(try Self.rows(root + "/runs/resumed/val.csv").count == 3)

        // The images: every validation image, both ways, under its own name.
        for epoch in [1, 2] {
            let images = folder + "/" + RunLayout.validationFolder(epoch: epoch)
            #expect(try FileManager.default.contentsOfDirectory(atPath: images + "/AtoB").sorted() == ["img_0.png", "img_1.png"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: images + "/BtoA").sorted() == ["img_0.png", "img_1.png"])
        }
        // psnr_cycle_A: the A → B images as written, translated back by epoch_2.h5's G_B, against testA.
        let back = try Translator(checkpoint: folder + "/checkpoints/epoch_2.h5", direction: .BtoA)
        var psnr = 0.0
        for name in ["img_0", "img_1"] {
            let fake = try ImageFile.read(folder + "/val/epoch_2/AtoB/\(name).png", channels: 3)
            let real = try ImageFile.read(root + "/data/testA/\(name).png", channels: 3)
            psnr += peakSignalToNoiseRatio(real, ImageFile.eightBit(back.translate(fake))) / 2
        }
        #expect(String(format: "%.6g", psnr) == rows[2][2])
    }

    @Test("train --val_freq with Inception weights: KID in val.csv equals `evaluate` on the written images")
    func kidThroughTheBinary() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        var (status, stdout, stderr) = try runCycleGAN([
            "train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "kid", "--seed", "3",
            "--netG", "resnet_6blocks", "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32",
            "--n_epochs", "1", "--n_epochs_decay", "0", "--val_freq", "1", "--inception", RandomInception.weightsFile])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("Validating every 1 epoch") && stdout.contains("(cycle PSNR and KID)"))
        #expect(stdout.contains("Validation after epoch 1: cycle PSNR A") && stdout.contains("KID A→B"))
        let row = try Self.rows(root + "/runs/kid/val.csv")[1]
        (status, stdout, stderr) = try runCycleGAN(["evaluate", "--real", root + "/data/testB", "--fake",
                                                    root + "/runs/kid/val/epoch_1/AtoB", "--inception",
                                                    RandomInception.weightsFile, "--json"])
        #expect(status == 0, "\(stderr)")
        let kid = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Double])["kid"]
        #expect(String(format: "%.6g", try #require(kid)) == row[4])
        // config.json records the validation options.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/runs/kid/config.json"))) as! [String: Any]
        #expect(json["val_freq"] as? Int == 1 && json["inception"] as? String == RandomInception.weightsFile)
    }

    @Test("bad validation input stops before anything is written: a negative --val_freq, no testA, missing or wrong weights")
    func badInput() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        try FileManager.default.createDirectory(atPath: root + "/novalidation/testB", withIntermediateDirectories: true)
        for domain in ["testA", "testB"] {
            try FileManager.default.createDirectory(atPath: root + "/tiny/\(domain)", withIntermediateDirectories: true)
            try ImageFile.writePNG(pixels: [UInt8](repeating: 9, count: 36), width: 4, height: 3, channels: 3,
                                   to: root + "/tiny/\(domain)/small.png")
        }
        let base = ["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "bad",
                    "--netG", "resnet_6blocks", "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32"]
        let generator = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../CodecsTests/Fixtures/pth/generator.pth").standardizedFileURL.path
        for (extra, message) in [(["--val_freq=-1"], "--val_freq -1: give 0"),
                                 (["--val_freq", "1", "--val_dir", root + "/novalidation"], "novalidation/testA does not exist"),
                                 (["--val_freq", "1", "--inception", root + "/none.pth"], "none.pth does not exist"),
                                 (["--val_freq", "1", "--inception", generator], "it is not the FID Inception network"),
                                 (["--val_dir", root + "/data"], "add --val_freq N"),
                                 (["--val_freq", "1", "--val_dir", root + "/tiny"], "tiny/testA/small.png is 4×3: the generator needs both sides at least 5")] {
            let (status, _, stderr) = try runCycleGAN(base + extra)
            #expect(status != 0 && stderr.contains(message), "\(extra): \(stderr)")
            #expect(!FileManager.default.fileExists(atPath: root + "/runs/bad"), "\(extra)")
        }
    }
}
