import Codecs
import Foundation
import Layers
import Tensor
import Testing
@testable import CycleGAN

/// Each kind of problem throws its own error type (callers and tests need not match words), and a
/// checkpoint is checked dataset by dataset: shapes, not only element counts; no key left unused; a format
/// from a later version refused.
@Suite("Error kinds and checkpoint checks")
struct ErrorKindTests {
    static let config = NetworkConfig(netG: .resnet_6blocks, ngf: 4, ndf: 4)

    /// A weights-only checkpoint of `config`'s model, written dataset by dataset as `Checkpoint.save` does,
    /// with `change` applied to each (key, tensor) and `extra` datasets added.
    func writeCheckpoint(_ path: String, formatVersion: Int64 = Checkpoint.formatVersion,
                         change: (String, Tensor) -> Tensor = { $1 }, extra: [String: Tensor] = [:]) throws {
        let model = CycleGANModel(Self.config)
        let file = try HDF5File(path: path, mode: .create)
        try file.setAttribute("format", string: Checkpoint.format)
        try file.setAttribute("format_version", int: formatVersion)
        try file.setAttribute("config", string: try Checkpoint.jsonString(Self.config))
        for (name, net) in model.networks {
            for (key, p) in net.stateEntries() { try file.write(change("\(name)/\(key)", p.value), at: "\(name)/\(key)") }
        }
        for (name, t) in extra { try file.write(t, at: name) }
        try file.finish()
    }

    func expectCheckpointError(_ kind: CheckpointError.Kind, mentioning words: [String], _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("no error; expected \(kind)")
        } catch let error as CheckpointError {
            #expect(error.kind == kind, "\(error)")
            for word in words { #expect(error.description.contains(word), "\(error)") }
        } catch {
            Issue.record("\(type(of: error)) instead of CheckpointError.\(kind): \(error)")
        }
    }

    @Test("the file as written loads (the helper is sound)")
    func intactLoads() throws {
        let path = temporaryFolder() + "/ok.h5"
        try writeCheckpoint(path)
        #expect(try Checkpoint.loadModel(from: path).config == Self.config)
    }

    @Test("a ConvTranspose weight stored transposed (same element count) is refused, naming it and both shapes")
    func transposedWeight() throws {
        let generator = ResnetGenerator(Self.config, inputNC: 3, outputNC: 3)
        let name = generator.children.first { $0.module is ConvTranspose2D }!.name
        let key = "G_A/\(name).weight"
        let path = temporaryFolder() + "/transposed.h5"
        try writeCheckpoint(path, change: { k, t in
            k == key ? Tensor(shape: [t.shape[1], t.shape[0]] + t.shape.dropFirst(2), values: t.scalars) : t
        })
        expectCheckpointError(.architectureMismatch, mentioning: [key, "[8, 16, 3, 3]", "[16, 8, 3, 3]"]) {
            _ = try Checkpoint.loadModel(from: path)
        }
    }

    @Test("a dataset the architecture does not use is refused, named")
    func unusedKey() throws {
        let path = temporaryFolder() + "/extra.h5"
        try writeCheckpoint(path, extra: ["G_B/model.1.running_mean": Tensor(shape: [4])])
        expectCheckpointError(.architectureMismatch, mentioning: ["G_B/model.1.running_mean", "does not use"]) {
            _ = try Checkpoint.loadModel(from: path)
        }
    }

    @Test("a checkpoint format from a later version is refused with what to do")
    func newerFormat() throws {
        let path = temporaryFolder() + "/future.h5"
        try writeCheckpoint(path, formatVersion: Checkpoint.formatVersion + 1)
        expectCheckpointError(.newerFormat, mentioning: ["format 2", "update cyclegan"]) {
            _ = try Checkpoint.loadModel(from: path)
        }
    }

    @Test("weights only cannot be resumed; another architecture cannot be resumed; a missing generator is named")
    func resumeAndDirection() throws {
        let path = temporaryFolder() + "/weights.h5"
        try writeCheckpoint(path)
        var rng = SeededGenerator(seed: 1)
        let same = CycleGANModel(Self.config)
        same.initialize(using: &rng)
        expectCheckpointError(.notResumable, mentioning: ["weights only"]) {
            _ = try Checkpoint.restore(Trainer(model: same, options: MethodOptions(), rng: rng), from: path)
        }
        let other = CycleGANModel(NetworkConfig(netG: .resnet_6blocks, ngf: 8, ndf: 4))
        expectCheckpointError(.architectureMismatch, mentioning: ["resume with the run's own options"]) {
            _ = try Checkpoint.restore(Trainer(model: other, options: MethodOptions(), rng: rng), from: path)
        }

        let onlyGA = temporaryFolder() + "/g_a.h5"
        let file = try HDF5File(path: onlyGA, mode: .create)
        try file.setAttribute("config", string: try Checkpoint.jsonString(Self.config))
        for (key, p) in same.gA.stateEntries() { try file.write(p.value, at: "G_A/\(key)") }
        try file.finish()
        expectCheckpointError(.missingNetwork, mentioning: ["holds no G_B", "--direction AtoB"]) {
            _ = try Translator(checkpoint: onlyGA, direction: .BtoA)
        }
    }

    @Test("options, run folders and memory each have their own error type")
    func otherKinds() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        var bad = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        bad.preprocessing.cropSize = 30
        #expect(throws: OptionsError.self) { let run = TrainingRun(bad); run.log = { _ in }; try run.run() }

        var config = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        config.continueTrain = true
        #expect(throws: RunFolderError.self) { let run = TrainingRun(config); run.log = { _ in }; try run.run() }
        config.continueTrain = false
        config.maxIterations = 1
        let first = TrainingRun(config); first.log = { _ in }
        try first.run()
        #expect(throws: RunFolderError.self) { let run = TrainingRun(config); run.log = { _ in }; try run.run() }

        let translator = try Translator(checkpoint: first.latestCheckpoint, direction: .AtoB)
        #expect(throws: InsufficientMemoryError.self) {
            _ = try translator.translateFiles([root + "/data/testA/img_0.png"], to: root + "/out", memoryLimit: 1)
        }
    }
}
