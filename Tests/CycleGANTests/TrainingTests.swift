import Codecs
import Foundation
import Layers
import Tensor
import Testing
@testable import CycleGAN

/// End to end on tiny images (32×32 crops of 40×40 PNGs) and tiny networks (ngf = ndf = 4, 6 blocks).
@Suite("Training and translation end to end", .serialized)
struct TrainingTests {
    @Test("a run writes config.json, losses.csv, checkpoints and samples as specified")
    func runFolder() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let config = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        let run = TrainingRun(config)
        run.log = { _ in }
        let state = try run.run()
        #expect(state.iteration == 10)   // 2 epochs × max(5, 3) images
        let folder = root + "/runs/tiny"

        // config.json: every option, under the reference's flag names
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/config.json"))) as! [String: Any]
        for key in ["netG", "ngf", "lambda_A", "lambda_identity", "n_epochs", "n_epochs_decay", "preprocess", "crop_size", "seed"] {
            #expect(json[key] != nil, "config.json lacks \(key)")
        }
        #expect(json["ngf"] as? Int == 4)

        // losses.csv: the header, then one row per print_freq (1) iteration
        let lines = try String(contentsOfFile: folder + "/losses.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "iteration,epoch,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B,lr,seconds_per_iter")
        #expect(lines.count == 11)
        let last = lines.last!.split(separator: ",")
        #expect(last.count == 12 && last[0] == "10" && last[1] == "2")
        #expect(last[2...9].allSatisfy { Float($0)!.isFinite })
        // lr: full in epoch 1, 1 − 1/2 in epoch 2 (linear, n_epochs 1, n_epochs_decay 1)
        #expect(Float(lines[5].split(separator: ",")[10]) == 2e-4 && abs(Float(last[10])! - 1e-4) < 1e-9)

        // checkpoints: latest and one per epoch, datasets named and shaped as the PyTorch state dicts
        let names = try FileManager.default.contentsOfDirectory(atPath: folder + "/checkpoints").sorted()
        #expect(names == ["epoch_1.h5", "epoch_2.h5", "latest.h5"])
        let file = try HDF5File(path: folder + "/checkpoints/latest.h5", mode: .read)
        defer { file.close() }
        let stored = try Checkpoint.config(of: file)
        #expect(stored == config.network)
        let model = CycleGANModel(config.network)
        for (group, net) in model.networks {
            for (key, p) in net.stateEntries() {
                #expect(try file.shape(of: "\(group)/\(key)") == p.value.shape, "\(group)/\(key)")
            }
        }
        #expect(try file.shape(of: "G_A/model.1.weight") == [4, 3, 7, 7])
        #expect(try file.shape(of: "D_A/model.11.weight") == [1, 32, 4, 4])
        #expect(try file.intAttribute("iteration") == 10)
        #expect(try file.intAttribute("optimizer_G_step") == 10)
        #expect(try file.exists("optimizer_D/m/D_B/model.0.weight"))
        #expect(try file.intAttribute("pool_A_count") == 10)

        // samples every display_freq (4) iterations: a 2 × 4 grid of 32² tiles with 4-pixel gaps
        let samples = try FileManager.default.contentsOfDirectory(atPath: folder + "/samples").sorted()
        #expect(samples == ["iter_0000004.png", "iter_0000008.png"])
        #expect(try ImageFile.size(folder + "/samples/iter_0000008.png") == (4 * 32 + 3 * 4, 2 * 32 + 4))
    }

    /// Also with Winograd forced (the tiny network is too narrow for `automatic` to pick it): its kept
    /// filters and GEMMs split between threads must not make a resumed run differ by a bit.
    @Test("a run stopped after 3 iterations and resumed equals one never stopped (same seed)",
          arguments: [ConvAlgorithm.automatic, .winograd])
    func resumeEqualsUninterrupted(_ algorithm: ConvAlgorithm) throws {
        try ConvAlgorithm.$current.withValue(algorithm) { try resumeEqualsUninterrupted() }
    }

    func resumeEqualsUninterrupted() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        var whole = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs", name: "whole")
        whole.saveLatestFreq = 100
        let a = TrainingRun(whole); a.log = { _ in }
        try a.run()

        var parts = whole
        parts.name = "parts"
        parts.maxIterations = 3
        let first = TrainingRun(parts); first.log = { _ in }
        #expect(try first.run().iteration == 3)
        parts.maxIterations = 0
        parts.continueTrain = true
        let second = TrainingRun(parts); second.log = { _ in }
        #expect(try second.run().iteration == 10)

        let rowsWhole = try csvRowsWithoutTiming(root + "/runs/whole/losses.csv")
        let rowsParts = try csvRowsWithoutTiming(root + "/runs/parts/losses.csv")
        #expect(rowsWhole.count == 11)
        #expect(rowsWhole == rowsParts)

        let fa = try HDF5File(path: root + "/runs/whole/checkpoints/latest.h5", mode: .read)
        let fb = try HDF5File(path: root + "/runs/parts/checkpoints/latest.h5", mode: .read)
        defer { fa.close(); fb.close() }
        let datasets = try fa.datasetNames(under: "/")
        #expect(datasets == (try fb.datasetNames(under: "/")))
        #expect(datasets.count > 100)
        var differing: [String] = []
        for name in datasets where name != "rng_state" {
            if try fa.read(name).scalars != fb.read(name).scalars { differing.append(name) }
        }
        #expect(differing.isEmpty, "datasets that differ: \(differing.prefix(5))")
        #expect(try fa.readInt64("rng_state") == fb.readInt64("rng_state"))
    }

    @Test("translate both ways keeps count, size, name and channels; a G_A-only file works for AtoB")
    func translateBothWays() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data", grayB: true)
        var config = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        config.network.outputNC = 1
        config.method.lambdaIdentity = 0   // 3 → 1 channels: no identity loss
        config.schedule.nEpochs = 1; config.schedule.nEpochsDecay = 0
        let run = TrainingRun(config); run.log = { _ in }
        try run.run()
        let checkpoint = run.latestCheckpoint

        let inputsA = try ImageFolder.scan(root + "/data/testA", role: "test").files
        let outA = try Translator(checkpoint: checkpoint, direction: .AtoB).translateFiles(inputsA, to: root + "/out/AtoB")
        #expect(outA.map { ($0 as NSString).lastPathComponent } == ["img_0.png", "img_1.png"])
        let translated = try ImageFile.read(outA[1], channels: 1)
        #expect(try ImageFile.size(outA[1]) == (30, 22))            // odd size kept (padded to 32×24 inside)
        #expect(translated.shape == [1, 22, 30])
        let asRGB = try ImageFile.read(outA[1], channels: 3)          // written gray: the three channels are equal
        #expect(asRGB.scalars[0] == asRGB.scalars[22 * 30])

        let inputsB = try ImageFolder.scan(root + "/data/testB", role: "test").files
        let outB = try Translator(checkpoint: checkpoint, direction: .BtoA).translateFiles(inputsB, to: root + "/out/BtoA")
        #expect(outB.count == 2)
        let rgb = try ImageFile.read(outB[0], channels: 3)
        #expect(rgb.shape == [3, 40, 40])

        // A file holding only G_A (as converted from one official pretrained generator).
        let single = root + "/g_a_only.h5"
        let source = try HDF5File(path: checkpoint, mode: .read)
        let target = try HDF5File(path: single, mode: .create)
        try target.setAttribute("config", string: try source.stringAttribute("config")!)
        for key in try source.datasetNames(under: "G_A") { try target.write(try source.read("G_A/\(key)"), at: "G_A/\(key)") }
        source.close(); target.close()
        let again = try Translator(checkpoint: single, direction: .AtoB).translateFiles(inputsA, to: root + "/out/single")
        #expect(try ImageFile.read(again[0], channels: 1).scalars == ImageFile.read(outA[0], channels: 1).scalars)
        #expect(throws: CheckpointError.self) { try Translator(checkpoint: single, direction: .BtoA) }
        do { _ = try Translator(checkpoint: single, direction: .BtoA) } catch {
            #expect("\(error)".contains("holds no G_B"))
        }
    }
}

/// Bad input stops before training with one message naming the file or the option, and writes nothing.
@Suite("Bad input")
struct BadInputTests {
    func expectRejected(_ config: TrainConfig, mentioning fragments: [String]) {
        let run = TrainingRun(config); run.log = { _ in }
        do {
            try run.run()
            Issue.record("expected an error mentioning \(fragments)")
        } catch {
            let message = "\(error)"
            for f in fragments { #expect(message.contains(f), "\(message) should mention \(f)") }
            #expect(!message.contains("\n"), "one line: \(message)")
        }
        #expect(!FileManager.default.fileExists(atPath: config.runFolder), "nothing written for a rejected run")
    }

    @Test("missing dataroot or trainB folder")
    func missingFolder() throws {
        let root = temporaryFolder()
        expectRejected(tinyConfig(dataroot: root + "/nowhere", runsDir: root + "/runs"), mentioning: ["nowhere/trainA", "does not exist"])
        try makeDataset(at: root + "/data")
        try FileManager.default.removeItem(atPath: root + "/data/trainB")
        expectRejected(tinyConfig(dataroot: root + "/data", runsDir: root + "/runs"), mentioning: ["trainB", "does not exist"])
    }

    @Test("empty folder")
    func emptyFolder() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        for f in try FileManager.default.contentsOfDirectory(atPath: root + "/data/trainA") {
            try FileManager.default.removeItem(atPath: root + "/data/trainA/" + f)
        }
        expectRejected(tinyConfig(dataroot: root + "/data", runsDir: root + "/runs"), mentioning: ["trainA", "no .png"])
    }

    @Test("a corrupt image is named")
    func corruptImage() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let bad = root + "/data/trainB/broken.png"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/data/trainB/img_0.png"))
        bytes = bytes.prefix(bytes.count / 2)
        try bytes.write(to: URL(fileURLWithPath: bad))
        expectRejected(tinyConfig(dataroot: root + "/data", runsDir: root + "/runs"), mentioning: ["broken.png"])
    }

    @Test("crop larger than an image (preprocess crop) and larger than load_size")
    func cropTooLarge() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        c.preprocessing.preprocess = .crop
        c.preprocessing.cropSize = 44
        expectRejected(c, mentioning: ["img_0.png", "smaller than --crop_size 44"])
        c.preprocessing.preprocess = .resize_and_crop
        c.preprocessing.loadSize = 40
        expectRejected(c, mentioning: ["--crop_size 44", "--load_size 40"])
    }

    @Test("identity loss with different channel counts")
    func identityChannels() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data", grayB: true)
        var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        c.network.outputNC = 1
        expectRejected(c, mentioning: ["--lambda_identity", "--lambda_identity 0"])
    }

    @Test("an existing run is not overwritten without --continue_train; resuming needs a checkpoint")
    func existingRun() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        c.continueTrain = true
        expectRejected(c, mentioning: ["latest.h5", "does not exist"])
        c.continueTrain = false
        c.maxIterations = 2
        let run = TrainingRun(c); run.log = { _ in }
        try run.run()
        let csvBefore = try String(contentsOfFile: c.runFolder + "/losses.csv", encoding: .utf8)
        #expect(throws: RunFolderError.self) { try TrainingRun(c).run() }
        #expect(try String(contentsOfFile: c.runFolder + "/losses.csv", encoding: .utf8) == csvBefore)
    }
}
