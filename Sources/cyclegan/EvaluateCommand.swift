import ArgumentParser
import CycleGAN
import Evaluation
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure translations: FID and KID against real images, PSNR and SSIM against the truth.",
        discussion: """
        FID and KID compare the Inception features of --fake with those of --real (lower is better; FID is 0 \
        for identical sets, KID near 0 and possibly negative: it is an unbiased estimate). They are pytorch-fid's FID and torch-fidelity's KID (polynomial kernel, 100 subsets \
        of 1000, seed 2020), computed with pytorch-fid's network and preprocessing (bilinear resize to 299, no \
        antialiasing): numbers comparable with papers that use pytorch-fid, not with clean-fid, which resizes \
        differently. With fewer images than the KID subset size, each subset holds all of the smaller set; the \
        output says so. FID from fewer than a few hundred images is biased high: compare runs on the same \
        folders only.

        The weights are pytorch-fid's \(InceptionV3.weightsFileName) (\(InceptionV3.weightsURL)), which this \
        tool cannot download: pass --inception FILE or set \(InceptionV3.environmentVariable).

        With --truth, each fake image is paired with the truth image of the same name (paired data, or \
        A→B→A reconstructions against A) for PSNR (dB, higher is better) and SSIM (1 is identical), as \
        scikit-image computes them.

        Examples:
          export CYCLEGAN_INCEPTION=~/pt_inception-2015-12-05-6726825d.pth
          cyclegan evaluate --real Data/photo2painting/testB \\
            --fake Runs/quick/translations/AtoB
          cyclegan evaluate --fake reconstructed/ --truth Data/photo2painting/testA
        """)

    @Option(help: "Real images of the target domain (for FID and KID).")
    var real: String?
    @Option(help: "The images to measure: translations.")
    var fake: String
    @Option(help: "Images paired with --fake by file name (for PSNR and SSIM).")
    var truth: String?
    @Option(help: "pytorch-fid's Inception weights (default: $\(InceptionV3.environmentVariable)).")
    var inception: String?
    @Option(name: .customLong("batch_size"), help: "Images per Inception batch (memory, not results: ≈ 15 MB each).")
    var batchSize = 16
    @Option(name: .customLong("kid_subsets"), help: "KID: random subsets averaged.")
    var kidSubsets = KernelInceptionDistance.defaultSubsets
    @Option(name: .customLong("kid_subset_size"), help: "KID: images per subset (capped at the smaller folder).")
    var kidSubsetSize = KernelInceptionDistance.defaultSubsetSize
    @Flag(help: "Print the results as one JSON object.")
    var json = false
    @OptionGroup(title: "Compute") var compute: ComputeArguments

    func validate() throws {
        if real == nil && truth == nil { throw ValidationError("give --real DIR (FID, KID) or --truth DIR (PSNR, SSIM), or both") }
        if batchSize < 1 { throw ValidationError("--batch_size must be at least 1") }
        if kidSubsets < 1 { throw ValidationError("--kid_subsets must be at least 1") }
        if kidSubsetSize < 2 { throw ValidationError("--kid_subset_size must be at least 2") }
    }

    func run() throws {
        let fakeFolder = try ImageFolder.scan(fake, role: "fake (translated)")
        let truthFolder = try truth.map { try ImageFolder.scan($0, role: "truth") }
        let realFolder = try real.map { try ImageFolder.scan($0, role: "real") }
        // Progress goes to stderr when stdout carries the JSON.
        let progress: (String) -> Void = json ? { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } : { print($0) }
        var results: [String: Double?] = [:]
        var lines: [String] = []
        if let truthFolder {   // first: cheap, and a missing pair is found before any Inception work
            let s = try FolderEvaluation.similarity(test: fakeFolder, truth: truthFolder)
            results.updateValue(s.psnr.isFinite ? s.psnr : nil, forKey: "psnr")   // JSON has no ∞: null when all pairs are identical
            results["ssim"] = s.ssim
            let left = s.identical > 0 ? String(format: "; %d identical pair%@ (PSNR ∞) left out of the PSNR", s.identical,
                                                s.identical == 1 ? "" : "s") : ""
            lines.append(String(format: "PSNR %.4f dB   SSIM %.6f   (mean over %d pairs%@)", s.psnr, s.ssim, s.pairs, left))
        }
        if let realFolder {
            try FolderEvaluation.checkComparable(real: realFolder, fake: fakeFolder)
            guard let weights = InceptionWeights.path(flag: inception) else { throw DataError(InceptionWeights.missing) }
            let network = try InceptionWeights.load(weights)
            try compute.start(progress)
            let start = Date()
            let d = try FolderEvaluation.distances(real: realFolder, fake: fakeFolder,
                                                   extractor: FeatureExtractor(network: network, batchSize: batchSize),
                                                   kidSubsets: kidSubsets, kidSubsetSize: kidSubsetSize, progress: progress)
            results["fid"] = d.fid
            results["kid"] = d.kid.mean
            results["kid_std"] = d.kid.standardDeviation
            let note = d.kid.subsetSize < kidSubsetSize ? ": fewer images than \(kidSubsetSize)" : ""
            lines.append(String(format: "FID %.4f   (%d real, %d fake images, %.1f s)", d.fid, d.realCount, d.fakeCount,
                                Date().timeIntervalSince(start)))
            lines.append(String(format: "KID %.6f ± %.6f   (%d subsets of %d%@)", d.kid.mean, d.kid.standardDeviation,
                                d.kid.subsets, d.kid.subsetSize, note))
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: results.mapValues { $0 ?? NSNull() as Any }, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            lines.forEach { print($0) }
        }
    }
}
