import Codecs
import Foundation
import Tensor
import Testing
@testable import CycleGAN

/// Checkpoints carry checksums: a corrupted byte never loads as silently wrong weights.
@Suite("Checkpoint integrity", .serialized)
struct CheckpointIntegrityTests {
    /// Every dataset and attribute a restore reads, as bits; throws where the file is refused.
    func contents(_ path: String) throws -> [[UInt32]] {
        let model = try Checkpoint.loadModel(from: path)
        var config = tinyConfig(dataroot: "", runsDir: "")
        config.maxIterations = 2
        let trainer = Trainer(model: CycleGANModel(model.config), options: config.method, rng: SeededGenerator(seed: 0))
        let state = try Checkpoint.restore(trainer, from: path)
        var all = model.networks.flatMap { $0.module.stateEntries().map { $0.parameter.value.scalars.map(\.bitPattern) } }
        all += (trainer.optimizerG.m + trainer.optimizerG.v + trainer.optimizerD.m + trainer.optimizerD.v).map { $0.scalars.map(\.bitPattern) }
        all += (trainer.poolA.images + trainer.poolB.images).map { $0.scalars.map(\.bitPattern) }
        all.append([UInt32(state.iteration), UInt32(state.epoch), state.learningRate.bitPattern])
        return all
    }

    @Test("a flipped byte anywhere is refused with the file's name, or leaves every value intact")
    func flippedBytes() throws {
        let path = try tinyCheckpoint()
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let good = try contents(path)
        #expect(try Checkpoint.checksumNote(HDF5File(path: path, mode: .read)) == nil)
        var rng = SeededGenerator(seed: 11)
        var refused = 0, intact = 0
        let copy = path + ".corrupt.h5"
        let cases = 120
        for _ in 0..<cases {
            var bytes = original
            let offset = Int(rng.next() % UInt64(bytes.count))
            bytes[offset] ^= UInt8(1 + rng.next() % 255)
            try bytes.write(to: URL(fileURLWithPath: copy))
            do {
                let loaded = try contents(copy)
                #expect(loaded == good, "byte \(offset) of \(original.count) changed what loads, with no error")
                intact += 1
            } catch let error as CodecError {
                #expect("\(error)".contains(copy), "\(error)")
                refused += 1
            }
        }
        print("checkpoint of \(original.count) bytes, \(cases) single-byte corruptions: \(refused) refused, \(intact) in unused bytes")
        #expect(refused > cases / 2)
    }

    @Test("a checkpoint written without checksums (by h5py, or an earlier version) loads, with a note")
    func oldCheckpointsLoad() throws {
        let file = try HDF5File(path: fixturePath("parity_r6_32_none.h5"), mode: .read)
        defer { file.close() }
        let note = try Checkpoint.checksumNote(file)
        #expect(note?.contains("carries no checksums") == true)
        let model = CycleGANModel(try Checkpoint.config(of: file))
        for (group, net) in model.networks { try Checkpoint.load(net, from: file, group: group) }
    }

    @Test("through the binary: a corrupted or truncated checkpoint stops translate with one line naming it")
    func binaryRefuses() throws {
        let path = try tinyCheckpoint()
        let root = (path as NSString).deletingLastPathComponent
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        var flipped = original
        flipped[original.count / 2] ^= 0x40
        let truncated = original.prefix(original.count - 1000)
        try makeDataset(at: root + "/data")
        for (name, bytes, words) in [("flipped.h5", flipped, "is corrupted"), ("truncated.h5", Data(truncated), "truncated")] {
            let file = root + "/" + name
            try bytes.write(to: URL(fileURLWithPath: file))
            let (status, _, stderr) = try runCycleGAN(["translate", "--checkpoint", file, "--direction", "AtoB",
                                                       "--input", root + "/data/testA", "--output", root + "/out-" + name])
            let lines = stderr.split(separator: "\n")
            #expect(status == 1 && lines.count == 1 && lines[0].contains(file) && lines[0].contains(words), "\(stderr)")
            #expect(!FileManager.default.fileExists(atPath: root + "/out-" + name + "/img_0.png"))
        }
    }
}
