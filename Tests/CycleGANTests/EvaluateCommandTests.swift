import Codecs
import Evaluation
import Foundation
import Testing
@testable import CycleGAN

/// `cyclegan evaluate` end to end through the binary, with the random-weight Inception of the fixtures
/// written as a .pth: FID and KID as pytorch-fid and torch-fidelity computed them on the same folders.
@Suite("cyclegan evaluate")
struct EvaluateCommandTests {
    static let real = evaluationFixture("folders/real"), fake = evaluationFixture("folders/fake")

    static func json(_ text: String) throws -> [String: Double] {
        let line = try #require(text.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double])
    }

    @Test("FID, KID and PSNR/SSIM of the fixture folders equal pytorch-fid's, torch-fidelity's and the library's")
    func matchesReference() throws {
        let (status, stdout, stderr) = try runCycleGAN(["evaluate", "--real", Self.real, "--fake", Self.fake,
                                                        "--truth", Self.real, "--inception", RandomInception.weightsFile,
                                                        "--kid_subsets", "10", "--kid_subset_size", "5", "--json"])
        #expect(status == 0, "\(stderr)")
        #expect(stderr.contains("Inception features of \(Self.real): 8/8"))
        let results = try Self.json(stdout)
        let h5 = try HDF5File(path: evaluationFixture("metrics.h5"), mode: .read)
        defer { h5.close() }
        func close(_ key: String, _ attribute: String) throws {
            let expected = try #require(try h5.numberAttribute(attribute)), value = try #require(results[key])
            print("evaluate: \(key) \(value), reference \(expected)")
            #expect(abs(value - expected) <= 1e-3 * abs(expected), "\(key)")
        }
        try close("fid", "fid")
        try close("kid", "kid_mean_s5")
        try close("kid_std", "kid_std_s5")
        // PSNR/SSIM of fake against real by name (00.png with 00.png), as the library computes them.
        var psnr = 0.0, ssim = 0.0
        for i in 0..<8 {
            let a = try ImageFile.read(Self.real + String(format: "/%02d.png", i))
            let b = try ImageFile.read(Self.fake + String(format: "/%02d.png", i))
            psnr += peakSignalToNoiseRatio(a, b) / 8; ssim += structuralSimilarity(a, b) / 8
        }
        let (gotPSNR, gotSSIM) = (try #require(results["psnr"]), try #require(results["ssim"]))
        #expect(abs(gotPSNR - psnr) < 1e-9 && abs(gotSSIM - ssim) < 1e-9)
    }

    @Test("the default KID subset size (1000) shrinks to the 8 images and says so; the text output names every number")
    func smallFolders() throws {
        let (status, stdout, stderr) = try runCycleGAN(["evaluate", "--real", Self.real, "--fake", Self.fake,
                                                        "--inception", RandomInception.weightsFile])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("FID ") && stdout.contains("(8 real, 8 fake images"))
        #expect(stdout.contains("KID ") && stdout.contains("(100 subsets of 8: fewer images than 1000)"))
        #expect(stdout.contains("Inception features of \(Self.fake): 8/8"))
    }

    @Test("identical pairs: SSIM 1, PSNR ∞ left out of the mean and said so (null in JSON when every pair is identical)")
    func identicalPairs() throws {
        var (status, stdout, stderr) = try runCycleGAN(["evaluate", "--fake", Self.real, "--truth", Self.real, "--json"])
        #expect(status == 0, "\(stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        #expect(object["psnr"] is NSNull && (object["ssim"] as? Double).map { abs($0 - 1) < 1e-12 } == true)
        (status, stdout, stderr) = try runCycleGAN(["evaluate", "--fake", Self.real, "--truth", Self.real])
        #expect(status == 0 && stdout.contains("8 identical pairs (PSNR ∞) left out of the PSNR"), "\(stdout)")
    }

    @Test("bad input: no weights, another network's weights, gray against colour, an empty folder, a missing pair")
    func badInput() throws {
        let root = temporaryFolder()
        // No weights anywhere: one line naming the file and where it comes from.
        var (status, _, stderr) = try runCycleGAN(["evaluate", "--real", Self.real, "--fake", Self.fake],
                                                  environment: [InceptionV3.environmentVariable: ""])
        #expect(status != 0 && stderr.contains(InceptionV3.weightsFileName) && stderr.contains(InceptionV3.weightsURL))
        #expect(stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
        // The environment variable is read, and a missing file is named.
        (status, _, stderr) = try runCycleGAN(["evaluate", "--real", Self.real, "--fake", Self.fake],
                                              environment: [InceptionV3.environmentVariable: root + "/nothing.pth"])
        #expect(status != 0 && stderr.contains(root + "/nothing.pth does not exist"))
        // A generator's weights.
        let generator = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../CodecsTests/Fixtures/pth/generator.pth").standardizedFileURL.path
        (status, _, stderr) = try runCycleGAN(["evaluate", "--real", Self.real, "--fake", Self.fake, "--inception", generator])
        #expect(status != 0 && stderr.contains("has no Conv2d_1a_3x3.conv.weight: it is not the FID Inception network"))
        // Gray images against colour ones.
        try FileManager.default.createDirectory(atPath: root + "/gray", withIntermediateDirectories: true)
        for i in 0..<3 {
            try ImageFile.writePNG(pixels: [UInt8](repeating: UInt8(40 * i), count: 64), width: 8, height: 8, channels: 1,
                                   to: root + "/gray/\(i).png")
        }
        (status, _, stderr) = try runCycleGAN(["evaluate", "--real", Self.real, "--fake", root + "/gray",
                                               "--inception", RandomInception.weightsFile])
        #expect(status != 0 && stderr.contains("holds colour images") && stderr.contains("gray ones"))
        // An empty folder.
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        (status, _, stderr) = try runCycleGAN(["evaluate", "--real", root + "/empty", "--fake", Self.fake,
                                               "--inception", RandomInception.weightsFile])
        #expect(status != 0 && stderr.contains(root + "/empty holds no .png"))
        // A fake image without its truth.
        (status, _, stderr) = try runCycleGAN(["evaluate", "--fake", Self.fake, "--truth", root + "/gray"])
        #expect(status != 0 && stderr.contains("00.png has no image of the same name in \(root)/gray"))
        // A damaged download: named, with where to get it again.
        let weights = try Data(contentsOf: URL(fileURLWithPath: RandomInception.weightsFile))
        try weights.prefix(1 << 20).write(to: URL(fileURLWithPath: root + "/cut.pth"))
        (status, _, stderr) = try runCycleGAN(["evaluate", "--real", Self.real, "--fake", Self.fake, "--inception", root + "/cut.pth"])
        #expect(status != 0 && stderr.contains(root + "/cut.pth") && stderr.contains("download \(InceptionV3.weightsFileName) again"),
                "\(stderr)")
        // Neither --real nor --truth.
        (status, _, stderr) = try runCycleGAN(["evaluate", "--fake", Self.fake])
        #expect(status != 0 && stderr.contains("give --real DIR"))
    }
}
