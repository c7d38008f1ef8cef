import Codecs
import CycleGAN
import Foundation
import Testing
@testable import Evaluation
@testable import Tensor

/// Fixtures of Scripts/pytorch/make_eval_fixtures.py (Tests/EvaluationTests/Fixtures/README.md). The tests
/// that need the random-weight network are here, beside the command-line tests, so that its formula is
/// written once.
func evaluationFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../EvaluationTests/Fixtures/\(name)").standardizedFileURL.path
}

/// The random-weight FID Inception of the fixtures: convolution weights from the script's formula (so that
/// 90 MB of them need not be committed), batch norms from inception_bn.pth as torch saved it.
enum RandomInception {
    static let network: InceptionV3 = {
        do { return try InceptionV3(path: "random Inception", entries: entries()) }
        catch { fatalError("\(error)") }
    }()

    static func entries() throws -> [TorchFile.Entry] {
        var entries = try TorchFile(path: evaluationFixture("inception_bn.pth")).entries
        for (name, shape) in InceptionV3.architecture {
            let dims = [shape.outChannels, shape.inChannels, shape.kernel.height, shape.kernel.width]
            let key = "\(name).conv.weight"
            entries.append(TorchFile.Entry(key: key, shape: dims, values: formulaWeights(key, count: dims.reduce(1, *),
                                                                                    fanIn: dims.dropFirst().reduce(1, *))))
        }
        return entries
    }

    /// The whole state dict as a .pth (torch.save's zip format), for the command line: written once per process.
    static let weightsFile: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("random-inception-\(UUID().uuidString).pth").path
        do {
            try TorchFileWriter.write(try entries().map { TorchFileWriter.Tensor(key: $0.key, shape: $0.shape, values: $0.values) },
                                      to: path)
        } catch { fatalError("\(error)") }
        return path
    }()

    /// make_eval_fixtures.py's formula_weights: SplitMix64 of (FNV-1a of the key) + golden · (i + 1), its top
    /// 24 bits as u in [0, 1), (u − ½) · √(24 / fan_in) in float32.
    static func formulaWeights(_ key: String, count: Int, fanIn: Int) -> [Float] {
        var seed: UInt64 = 0xcbf29ce484222325
        for byte in key.utf8 { seed = (seed ^ UInt64(byte)) &* 0x100000001b3 }
        let scale = Float((24.0 / Double(fanIn)).squareRoot())
        return (1...count).map { i in
            var z = seed &+ 0x9E3779B97F4A7C15 &* UInt64(i)
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            z ^= z >> 31
            return (Float(z >> 40) / 16_777_216 - 0.5) * scale
        }
    }
}

/// max |a − b| / max |b|.
func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    let scale = b.map(abs).max() ?? 0
    return zip(a, b).map { abs($0 - $1) }.max()! / max(scale, .leastNormalMagnitude)
}

@Suite("FID Inception")
struct InceptionTests {
    @Test("the 2048-d features of four images (64², 48×80, 120×100, 299²) equal pytorch-fid's within 1e-4 relative (2e-4 on ill-conditioned noise)")
    func featuresEqualPyTorch() throws {
        let h5 = try HDF5File(path: evaluationFixture("inception.h5"), mode: .read)
        defer { h5.close() }
        let expected = try h5.read("features"), expected64 = try h5.read("features_f64"), means = try (0..<3).map { try h5.read("block\($0)") }
        for i in 0..<4 {
            let image = try h5.read("input/\(i)")
            let side = InceptionV3.inputSize
            var x = FeatureMaps(channels: 3, images: 1, height: side, width: side)
            x.values = Tensor(shape: [3, 1, side, side], values: resizeBilinear(image, height: side, width: side).scalars.map { 2 * $0 - 1 })
            let blocks = RandomInception.network.blocks(x)
            // The blocks' spatial means first: they say where a mismatch starts.
            for b in 0..<3 {
                let row = means[b].shape[1]
                let difference = relativeDifference(globalAverage(blocks[b]).scalars,
                                                    Array(means[b].scalars[(i * row)..<((i + 1) * row)]))
                print("  input \(i), block \(b): relative difference \(difference)")
                #expect(difference < 1e-4, "input \(i), block \(b): \(difference)")
            }
            let features = RandomInception.network.features([image]).scalars
            let torch = Array(expected.scalars[(i * 2048)..<((i + 1) * 2048)])
            let exact = Array(expected64.scalars[(i * 2048)..<((i + 1) * 2048)])
            let difference = relativeDifference(features, torch)
            let ours = relativeDifference(features, exact), theirs = relativeDifference(torch, exact)
            print("FID Inception, input \(i) \(image.shape): relative difference to pytorch-fid \(difference); "
                  + "to float64: ours \(ours), PyTorch's float32 \(theirs)")
            // Rounding, not a slip: no further from the float64 network than twice PyTorch's own float32 is.
            #expect(ours < 2 * theirs + 1e-6)
            // Within 1e-4 of PyTorch where its own float32 is within 1e-5 of float64 (inputs 0–2). On the 299²
            // noise (input 3) PyTorch's float32 is itself 5.2e-5 from float64, and two float32 networks can
            // differ by the sum of their distances: 2e-4 is the bound there (measured 8e-5 to 9e-5).
            #expect(difference < (theirs < 1e-5 ? 1e-4 : 2e-4))
        }
    }

    @Test("a batch gives each image the features it gets alone")
    func batchEqualsSingles() throws {
        let h5 = try HDF5File(path: evaluationFixture("inception.h5"), mode: .read)
        defer { h5.close() }
        let images = try (0..<2).map { try h5.read("input/\($0)") }
        let batch = RandomInception.network.features(images).scalars
        for (i, image) in images.enumerated() {
            let alone = RandomInception.network.features([image]).scalars
            #expect(relativeDifference(Array(batch[(i * 2048)..<((i + 1) * 2048)]), alone) < 1e-5)
        }
    }

    @Test("the features do not depend on the thread count: 1, 2 and 3 kernel threads give the same bits")
    func sameBitsWhateverTheThreads() throws {
        let h5 = try HDF5File(path: evaluationFixture("inception.h5"), mode: .read)
        defer { h5.close() }
        let image = try h5.read("input/1")
        let reference = RandomInception.network.features([image]).scalars
        for workers in [0, 2] {
            let pool = WorkerPool(workers: workers)
            let features = WorkerPool.$override.withValue(pool) { RandomInception.network.features([image]).scalars }
            #expect(features == reference, "\(workers + 1) threads")
        }
    }

    @Test("a gray domain's images are read gray, then replicated: a colour file of a gray domain gets its luma's features")
    func grayDomain() throws {
        let file = evaluationFixture("folders/real/00.png")
        let extractor = FeatureExtractor(network: RandomInception.network)
        let gray = try extractor.features(ofFiles: [file], channels: 1, label: "gray").scalars
        #expect(gray == extractor.features(of: [try ImageFile.read(file, channels: 1)], label: "luma").scalars)
        #expect(gray != (try extractor.features(ofFiles: [file], label: "colour").scalars))
    }

    @Test("weights of another network, or of the wrong shape, are refused in one line naming the file and what is expected")
    func wrongWeights() throws {
        let generator = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../CodecsTests/Fixtures/pth/generator.pth").standardizedFileURL.path
        #expect { try InceptionV3(path: generator) } throws: { error in
            let text = "\(error)"
            return error is InceptionWeightsError && text.hasPrefix(generator) && text.contains("has no Conv2d_1a_3x3.conv.weight")
                && text.contains(InceptionV3.weightsFileName)
        }
        var entries = try RandomInception.entries()
        let index = entries.firstIndex { $0.key == "Mixed_6b.branch7x7_2.conv.weight" }!
        entries[index] = TorchFile.Entry(key: entries[index].key, shape: [128, 128, 7, 1], values: entries[index].values)
        #expect { try InceptionV3(path: "x.pth", entries: entries) } throws: { error in
            "\(error)".contains("has Mixed_6b.branch7x7_2.conv.weight of shape [128, 128, 7, 1], not [128, 128, 1, 7]")
        }
    }
}
