import Codecs
import Foundation
import Tensor
import Testing
@testable import CycleGAN

/// 16 bits end to end, and TIFF folders, through the binary.
@Suite("16-bit and TIFF images", .serialized)
struct ImageDepthTests {
    /// trainA/trainB/testA/testB of 16-bit gray images: TIFF in A, PNG in B (smooth ramps with fine steps
    /// that 8 bits cannot hold).
    func makeSixteenBitDataset(at root: String, eightBitB: Bool = false) throws {
        var rng = SeededGenerator(seed: 5)
        for (folder, count) in [("trainA", 3), ("trainB", 3), ("testA", 2), ("testB", 1)] {
            let dir = root + "/" + folder
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for i in 0..<count {
                let offset = rng.nextUniform() * 0.5
                var image = Tensor(shape: [1, 36, 36])
                for y in 0..<36 { for x in 0..<36 { image[0, y, x] = offset + Float(x * 36 + y) / 3000 } }
                let tiff = folder.hasSuffix("A")
                try ImageFile.write(image, to: "\(dir)/img_\(i).\(tiff ? "tif" : "png")", format: tiff ? .tiff : .png,
                                    bitDepth: eightBitB && !tiff ? 8 : 16)
            }
        }
    }

    /// `train` on the 16-bit gray dataset at `root/data`: a tiny network on 32² crops.
    func trainGray(_ root: String, name: String, _ extra: [String]) throws -> (Int32, String, String) {
        try runCycleGAN(["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", name,
                         "--input_nc", "1", "--output_nc", "1", "--netG", "resnet_6blocks",
                         "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32"] + extra)
    }

    @Test("16-bit TIFF and PNG domains train, and translate to 16-bit PNG files (TIFF with --output_format tiff)")
    func sixteenBitsEndToEnd() throws {
        let root = temporaryFolder()
        try makeSixteenBitDataset(at: root + "/data")
        let (status, stdout, stderr) = try trainGray(root, name: "deep", ["--n_epochs", "1", "--n_epochs_decay", "0"])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("Checking 3 images"))
        for (direction, input, ext) in [("AtoB", "testA", "tif"), ("BtoA", "testB", "png"), ("AtoB", "testA", "png")] {
            let out = root + "/out_" + direction + ext
            let (s, _, e) = try runCycleGAN(["translate", "--run", root + "/runs/deep", "--direction", direction,
                                             "--input", root + "/data/" + input, "--output", out]
                                            + (ext == "tif" ? ["--output_format", "tiff"] : []))
            #expect(s == 0, "\(e)")
            let path = out + "/img_0." + ext
            let info = try ImageFile.info(path)
            #expect(info == (width: 36, height: 36, bitDepth: 16), "\(path): \(info)")
            // 16 bits, not 8 widened: some level is not a multiple of 257.
            let levels = try ImageFile.read(path, channels: 1).scalars.map { Int(($0 * 65535).rounded()) }
            #expect(levels.contains { $0 % 257 != 0 }, "\(path) holds only 8-bit levels")
        }
    }

    @Test("the report shows TIFF inputs and outputs through PNG previews, linking the files themselves")
    func reportPreviews() throws {
        let root = temporaryFolder()
        try makeSixteenBitDataset(at: root + "/data")
        let (status, _, stderr) = try trainGray(root, name: "tif", ["--max_iterations", "1"])
        #expect(status == 0, "\(stderr)")
        let (s, _, e) = try runCycleGAN(["translate", "--run", root + "/runs/tif", "--direction", "AtoB", "--output_format", "tiff",
                                         "--input", root + "/data/testA"])
        #expect(s == 0, "\(e)")
        let (r, _, re) = try runCycleGAN(["report", root + "/runs/tif"])
        #expect(r == 0, "\(re)")
        let html = try String(contentsOfFile: root + "/runs/tif/index.html", encoding: .utf8)
        for kind in ["input", "output"] {
            let preview = "report_previews/AtoB/\(kind)_img_0.png"
            #expect(html.contains("src=\"\(preview)\""), "the report shows the \(kind) through \(preview)")
            let image = try ImageFile.read(root + "/runs/tif/" + preview)
            #expect(image.shape == [1, 36, 36])
        }
        #expect(html.contains("href=\"translations/AtoB/img_0.tif\""), "the link opens the TIFF itself")
    }

    @Test("a 16-bit domain with an 8-bit one is refused while the identity loss is on; nothing written")
    func mixedDepthsWithIdentity() throws {
        let root = temporaryFolder()
        try makeSixteenBitDataset(at: root + "/data", eightBitB: true)
        let (status, _, stderr) = try trainGray(root, name: "mixed", ["--max_iterations", "1"])
        #expect(status != 0)
        #expect(stderr.contains("\(root)/data/trainA holds 16-bit images and \(root)/data/trainB only 8-bit ones"), "\(stderr)")
        #expect(stderr.contains("pass --lambda_identity 0"))
        #expect(!FileManager.default.fileExists(atPath: root + "/runs/mixed"))
        let (ok, _, e) = try trainGray(root, name: "mixed_noidt", ["--max_iterations", "1", "--lambda_identity", "0"])
        #expect(ok == 0, "\(e)")
    }
}

/// `train --tensorboard` through the binary: the events hold what losses.csv and samples/ hold.
@Suite("TensorBoard logging")
struct TensorBoardRunTests {
    @Test("--tensorboard writes every CSV value and every sample grid as events; without it, no folder")
    func eventsMatchTheCSV() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let flags = ["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--netG", "resnet_6blocks",
                     "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32", "--n_epochs", "1", "--n_epochs_decay", "0",
                     "--print_freq", "2", "--display_freq", "2", "--val_freq", "1"]
        let (status, stdout, stderr) = try runCycleGAN(flags + ["--name", "tb", "--tensorboard"])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("TensorBoard events: \(root)/runs/tb/tensorboard/events.out.tfevents."))
        let folder = root + "/runs/tb/tensorboard"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(files.count == 1)
        let events = try TensorBoardReader.events(folder + "/" + files[0])
        #expect(events.first?.fileVersion == "brain.Event:2")
        var scalars: [String: Float] = [:], images: [Int: [UInt8]] = [:]
        for e in events {
            for v in e.values {
                if let s = v.scalar { scalars["\(v.tag)@\(e.step)"] = s }
                if let png = v.image { images[e.step] = png }
            }
        }
        let lines = try String(contentsOfFile: root + "/runs/tb/losses.csv", encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        for line in lines.dropFirst() {
            let values = line.split(separator: ",").map { Double($0)! }
            for (column, value) in zip(header, values).dropFirst(2) {
                let tag = column == "lr" || column == "seconds_per_iter" ? column : "loss/" + column
                let logged = scalars["\(tag)@\(Int(values[0]))"]
                #expect(logged.map { abs(Double($0) - value) <= 1e-5 * max(1, abs(value)) } == true, "\(tag) at \(Int(values[0]))")
            }
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: root + "/runs/tb/samples") {
            let step = Int(name.dropFirst(5).prefix(7))!
            #expect(images[step] == (try ImageFile.readAll(root + "/runs/tb/samples/" + name)), "sample grid \(name)")
        }
        #expect(scalars.keys.contains { $0.hasPrefix("val/psnr_cycle_A@") })

        let (plain, _, e) = try runCycleGAN(flags + ["--name", "plain"])
        #expect(plain == 0, "\(e)")
        #expect(!FileManager.default.fileExists(atPath: root + "/runs/plain/tensorboard"))
    }
}
