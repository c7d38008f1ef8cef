import Codecs
import Foundation
import Tensor
import Testing
@testable import CycleGAN

/// Fine-tuning (`--init_from`): the networks the source holds start from it, the others as a fresh run's;
/// config.json records the source and its SHA-256; a source of another architecture is refused in one line
/// before anything is written.
@Suite("Fine-tuning from weights")
struct InitFromTests {
    static let pth = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../CodecsTests/Fixtures/pth/generator.pth").standardizedFileURL.path

    /// Weights of `group` in a checkpoint, by key.
    func weights(_ path: String, _ group: String) throws -> [String: [Float]] {
        let file = try HDF5File(path: path, mode: .read)
        defer { file.close() }
        return Dictionary(uniqueKeysWithValues: try file.children(of: group).map { ($0, try file.read("\(group)/\($0)").scalars) })
    }

    /// A run of one iteration at learning rate 0 (Adam then leaves every weight as it started).
    func startingWeights(_ root: String, name: String, initFrom: String?, seed: UInt64 = 11) throws -> TrainingRun {
        var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs", name: name)
        c.seed = seed; c.initFrom = initFrom; c.maxIterations = 1; c.method.lr = 0
        let run = TrainingRun(c); run.log = { _ in }
        try run.run()
        return run
    }

    @Test("from one of our checkpoints: all four networks start from it; config.json records its SHA-256")
    func fromCheckpoint() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let source = try startingWeights(root, name: "source", initFrom: nil, seed: 5).latestCheckpoint
        let tuned = try startingWeights(root, name: "tuned", initFrom: source)
        for group in ["G_A", "G_B", "D_A", "D_B"] {
            #expect(try weights(tuned.latestCheckpoint, group) == weights(source, group), "\(group)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tuned.folder + "/config.json"))) as! [String: Any]
        #expect(json["init_from"] as? String == source)
        #expect(json["init_from_sha256"] as? String == (try SHA256.hex(ofFile: source)))
    }

    @Test("from a folder of the reference's files (here: exported by us), each network from its file")
    func fromReferenceFolder() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let source = try startingWeights(root, name: "source", initFrom: nil, seed: 5).latestCheckpoint
        _ = try TorchWeights.export(checkpoint: source, to: root + "/reference")
        let tuned = try startingWeights(root, name: "tuned", initFrom: root + "/reference")
        for group in ["G_A", "G_B", "D_A", "D_B"] {
            #expect(try weights(tuned.latestCheckpoint, group) == weights(source, group), "\(group)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tuned.folder + "/config.json"))) as! [String: Any]
        #expect((json["init_from_sha256"] as? String)?.split(separator: " ").count == 4)
    }

    @Test("from a PyTorch generator: G_A from the file, the rest as a fresh run with the same seed")
    func fromPyTorchGenerator() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let fresh = try startingWeights(root, name: "fresh", initFrom: nil)
        let tuned = try startingWeights(root, name: "tuned", initFrom: Self.pth)
        let torch = try TorchFile(path: Self.pth)
        let gA = try weights(tuned.latestCheckpoint, "G_A")
        for entry in torch.entries where !entry.key.contains("running_") {
            #expect(gA[entry.key] == entry.values, "G_A/\(entry.key)")
        }
        for group in ["G_B", "D_A", "D_B"] {
            #expect(try weights(tuned.latestCheckpoint, group) == weights(fresh.latestCheckpoint, group), "\(group)")
        }
    }

    @Test("another architecture: one line naming the first key and both shapes, exit 1, no run folder")
    func mismatch() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let (status, _, stderr) = try runCycleGAN(["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs",
                                                   "--name", "wrong", "--netG", "resnet_6blocks", "--ngf", "8",
                                                   "--load_size", "36", "--crop_size", "32", "--init_from", Self.pth])
        let lines = stderr.split(separator: "\n")
        #expect(status == 1 && lines.count == 1 && lines[0].contains("model.1.weight")
                && lines[0].contains("[4, 3, 7, 7]") && lines[0].contains("[8, 3, 7, 7]"), "\(status): \(stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/runs/wrong"))
    }

    @Test("SHA-256 of the FIPS 180-4 test messages")
    func sha256() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
