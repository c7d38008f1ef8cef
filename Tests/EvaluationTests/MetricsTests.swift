import Codecs
import Foundation
import Tensor
import Testing
@testable import Evaluation

/// Fixtures of Scripts/pytorch/make_eval_fixtures.py (Fixtures/README.md).
func fixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), .leastNormalMagnitude) }

@Suite("FID, KID, PSNR and SSIM")
struct MetricsTests {
    static func metrics() throws -> HDF5File { try HDF5File(path: fixturePath("metrics.h5"), mode: .read) }

    @Test("the Fréchet distance of 200 and 150 random 64-d features equals pytorch-fid's (scipy's sqrtm) within 1e-6")
    func frechetAgainstScipy() throws {
        let h5 = try Self.metrics()
        defer { h5.close() }
        let x = FeatureStatistics(try h5.read("frechet/x")), y = FeatureStatistics(try h5.read("frechet/y"))
        let expected = try #require(try h5.numberAttribute("frechet_fid"))
        let fid = try frechetDistance(x, y)
        print("Fréchet distance: ours \(fid), pytorch-fid \(expected)")
        #expect(relative(fid, expected) < 1e-6)
        #expect(abs(try frechetDistance(x, x)) < 1e-9)
    }

    @Test("FID of the folders' features (8 per folder in 2048 dimensions: singular covariances) equals pytorch-fid's within 1e-5")
    func fidOfFolderFeatures() throws {
        let h5 = try Self.metrics()
        defer { h5.close() }
        let real = try h5.read("features_real"), fake = try h5.read("features_fake")
        let expected = try #require(try h5.numberAttribute("fid"))
        let fid = try frechetDistance(FeatureStatistics(real), FeatureStatistics(fake))
        print("FID of the folder features: ours \(fid), pytorch-fid \(expected)")
        #expect(relative(fid, expected) < 1e-5)
        // A set against itself: 0 up to rounding, though its 2040 null-space eigenvalues are rounding noise
        // (pytorch-fid raises on this one). The rank tolerance keeps them out: without it, an earlier form
        // (the eigenvalues of √Σ₁ Σ₂ √Σ₁ over all 2048) gave −0.014 here, which fails this check.
        let stats = FeatureStatistics(real)
        let trace = (0..<stats.dimension).reduce(0.0) { $0 + stats.covariance[$1 * stats.dimension + $1] }
        let same = try frechetDistance(stats, stats)
        print("FID of the folder's features with themselves: \(same) (traces \(2 * trace))")
        #expect(abs(same) < 1e-9 * trace)
    }

    @Test("numpy's legacy RandomState: permutation and the subsets torch-fidelity's KID draws, index for index")
    func numpyRandomState() throws {
        let h5 = try Self.metrics()
        defer { h5.close() }
        var a = NumPyRandomState(seed: 2020)
        #expect(try a.permutation(10) == h5.readInt64("rng/permutation10").map(Int.init))
        var b = NumPyRandomState(seed: KernelInceptionDistance.defaultSeed)
        #expect(try b.choiceWithoutReplacement(60, 25) == h5.readInt64("rng/choice60_25").map(Int.init))
        #expect(try b.choiceWithoutReplacement(50, 25) == h5.readInt64("rng/choice50_25").map(Int.init))
    }

    @Test("KID (20 subsets of 25 from 60 and 50 features) equals torch-fidelity's, mean and standard deviation")
    func kidAgainstTorchFidelity() throws {
        let h5 = try Self.metrics()
        defer { h5.close() }
        let kid = KernelInceptionDistance(try h5.read("kid/x"), try h5.read("kid/y"), subsets: 20, subsetSize: 25)
        let mean = try #require(try h5.numberAttribute("kid_mean")), std = try #require(try h5.numberAttribute("kid_std"))
        print("KID: ours \(kid.mean) ± \(kid.standardDeviation), torch-fidelity \(mean) ± \(std)")
        // torch-fidelity works in float32 (the features' type): ~1e-6 of rounding.
        #expect(relative(kid.mean, mean) < 1e-4 && relative(kid.standardDeviation, std) < 1e-4)
        // Other subsets (another seed) give another estimate: the match above is the subsets' doing.
        let other = KernelInceptionDistance(try h5.read("kid/x"), try h5.read("kid/y"), subsets: 20, subsetSize: 25, seed: 1)
        #expect(relative(other.mean, mean) > 1e-3)
    }

    @Test("KID of the folders' features: 10 subsets of 5, and subsets of all 8 (standard deviation 0)")
    func kidOfFolderFeatures() throws {
        let h5 = try Self.metrics()
        defer { h5.close() }
        let real = try h5.read("features_real"), fake = try h5.read("features_fake")
        let small = KernelInceptionDistance(real, fake, subsets: 10, subsetSize: 5)
        #expect(relative(small.mean, try #require(try h5.numberAttribute("kid_mean_s5_f64"))) < 1e-6)
        #expect(relative(small.standardDeviation, try #require(try h5.numberAttribute("kid_std_s5_f64"))) < 1e-6)
        #expect(relative(small.mean, try #require(try h5.numberAttribute("kid_mean_s5"))) < 1e-4)
        // A subset size above the set's size shrinks to it (torch-fidelity refuses): every subset is the whole set.
        let all = KernelInceptionDistance(real, fake, subsetSize: 1000)
        #expect(all.subsetSize == 8 && all.subsets == 100)
        #expect(relative(all.mean, try #require(try h5.numberAttribute("kid_mean_all_f64"))) < 1e-6)
        #expect(all.standardDeviation <= 1e-9 * abs(all.mean))
    }

    @Test("PSNR and SSIM of RGB and gray pairs equal scikit-image's")
    func psnrAndSSIM() throws {
        let h5 = try HDF5File(path: fixturePath("quality.h5"), mode: .read)
        defer { h5.close() }
        for name in ["a", "b", "c"] {
            let truth = try ImageFile.read(fixturePath("quality/truth/\(name).png"))
            let test = try ImageFile.read(fixturePath("quality/test/\(name).png"))
            #expect(truth.shape[0] == (name == "c" ? 1 : 3))
            let psnr = peakSignalToNoiseRatio(truth, test), ssim = structuralSimilarity(truth, test)
            let expectedPSNR = try #require(try h5.numberAttribute("psnr_\(name)"))
            let expectedSSIM = try #require(try h5.numberAttribute("ssim_\(name)"))
            print("\(name): PSNR \(psnr) (scikit-image \(expectedPSNR)), SSIM \(ssim) (\(expectedSSIM))")
            #expect(relative(psnr, expectedPSNR) < 1e-9 && relative(ssim, expectedSSIM) < 1e-9)
            #expect(peakSignalToNoiseRatio(truth, truth) == .infinity && abs(structuralSimilarity(truth, truth) - 1) < 1e-12)
        }
    }
}
