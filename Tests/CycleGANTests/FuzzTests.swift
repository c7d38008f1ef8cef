import Codecs
import Foundation
import Tensor
import Testing
@testable import CycleGAN

/// Seeded mutation fuzzing of the untrusted-file readers: image decoders (PNG, JPEG), checkpoints and
/// PyTorch files.
/// Each case mutates a valid file (flipped bytes, overwritten runs, truncation, inserted bytes), writes it
/// and reads it: an image must decode or throw a CodecError naming it; a checkpoint must be refused (it is
/// sealed: any change is caught before HDF5 parses it). A crash or hang fails the whole run.
/// CYCLEGAN_FUZZ_CASES sets the cases per reader (default 150; Scripts/fuzz.sh runs thousands).
@Suite("Fuzzing", .serialized)
struct FuzzTests {
    static let cases = Int(ProcessInfo.processInfo.environment["CYCLEGAN_FUZZ_CASES"] ?? "") ?? 150
    static let seed = UInt64(ProcessInfo.processInfo.environment["CYCLEGAN_FUZZ_SEED"] ?? "") ?? 1

    /// One mutation of `bytes`, chosen by `rng`.
    static func mutate(_ original: Data, _ rng: inout SeededGenerator) -> Data {
        var bytes = [UInt8](original)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        for _ in 0..<(1 + below(4)) {
            switch below(4) {
            case 0:   // flip bits of one byte
                let i = below(bytes.count); bytes[i] ^= UInt8(1 + below(255))
            case 1:   // overwrite a run with random or extreme values
                let i = below(bytes.count), n = min(1 + below(16), bytes.count - i)
                let fill = [UInt8(0), 0xFF, UInt8(below(256))][below(3)]
                for k in i..<(i + n) { bytes[k] = below(2) == 0 ? fill : UInt8(below(256)) }
            case 2:   // truncate
                bytes.removeLast(below(bytes.count))
            default:  // insert bytes
                let i = below(bytes.count + 1)
                bytes.insert(contentsOf: (0..<(1 + below(32))).map { _ in UInt8(below(256)) }, at: i)
            }
            if bytes.isEmpty { bytes = [0] }
        }
        return Data(bytes)
    }

    static var sourceRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Mutates the corpus's files in turn, writes each case and reads it with `read`: it must read (and pass
    /// `read`'s own expectations) or throw a CodecError naming the case's file. Returns (read, refused).
    static func fuzz(_ corpus: [String], _ read: (String) throws -> Void) throws -> (read: Int, refused: Int) {
        let folder = temporaryFolder()
        var rng = SeededGenerator(seed: seed)
        var counts = (read: 0, refused: 0)
        for i in 0..<cases {
            let source = corpus[i % corpus.count]
            let path = folder + "/case\(i)." + (source as NSString).pathExtension
            try mutate(try Data(contentsOf: URL(fileURLWithPath: source)), &rng).write(to: URL(fileURLWithPath: path))
            do {
                try read(path)
                counts.read += 1
            } catch let error as CodecError {
                #expect(error.path == path)
                counts.refused += 1
            }
        }
        return counts
    }

    @Test("mutated PNG, JPEG, TIFF, BMP, PGM and PPM files decode or give a CodecError naming the file")
    func images() throws {
        let fixtures = Self.sourceRoot + "/Tests/CodecsTests/Fixtures"
        let files = try FileManager.default.contentsOfDirectory(atPath: fixtures).map { fixtures + "/" + $0 }
            + FileManager.default.contentsOfDirectory(atPath: fixtures + "/tiff").map { fixtures + "/tiff/" + $0 }
        let corpus = files.sorted().filter { ["png", "jpg", "ppm", "pgm", "bmp", "tif"].contains(($0 as NSString).pathExtension) }
        #expect(corpus.count >= 18)
        let (decoded, refused) = try Self.fuzz(corpus) { path in
            let image = try ImageFile.read(path, channels: 3)
            #expect(image.shape.count == 3 && image.shape[0] == 3)
        }
        print("fuzz images (seed \(Self.seed)): \(Self.cases) cases from \(corpus.count) files: \(refused) refused, \(decoded) decoded")
    }

    @Test("mutated checkpoints are all refused with the file's name")
    func checkpoints() throws {
        let root = temporaryFolder()
        let original = try Data(contentsOf: URL(fileURLWithPath: try tinyCheckpoint(in: root, iterations: 1)))
        var rng = SeededGenerator(seed: Self.seed)
        var (refused, unchanged) = (0, 0)
        let path = root + "/case.h5"
        for _ in 0..<Self.cases {
            let bytes = Self.mutate(original, &rng)
            try bytes.write(to: URL(fileURLWithPath: path))
            do {
                _ = try Checkpoint.loadModel(from: path)
                // Only a mutation that changed nothing a reader sees (the header's zero padding) may load.
                #expect(bytes.count == original.count && bytes.suffix(from: 512) == original.suffix(from: 512),
                        "a corrupted checkpoint loaded")
                unchanged += 1
            } catch let error as CodecError {
                #expect(error.path == path)
                refused += 1
            }
        }
        print("fuzz checkpoints (seed \(Self.seed)): \(Self.cases) cases: \(refused) refused, \(unchanged) left the contents intact")
    }

    @Test("mutated PyTorch files are read or refused with a CodecError naming the file")
    func pytorchFiles() throws {
        let fixtures = Self.sourceRoot + "/Tests/CodecsTests/Fixtures/pth"
        let corpus = ["zip_f32.pth", "zip_dtypes.pth", "legacy_f32.pth", "legacy_f16.pth"].map { fixtures + "/" + $0 }
        let (read, refused) = try Self.fuzz(corpus) { path in
            let file = try TorchFile(path: path)
            #expect(file.entries.allSatisfy { $0.values.count == $0.shape.reduce(1, *) })
        }
        print("fuzz PyTorch files (seed \(Self.seed)): \(Self.cases) cases: \(refused) refused, \(read) read")
    }
}
