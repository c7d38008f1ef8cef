import Codecs
import Evaluation
import Foundation
import Tensor

/// Where the FID Inception weights come from: --inception, else the CYCLEGAN_INCEPTION environment variable.
public enum InceptionWeights {
    public static func path(flag: String?) -> String? {
        if let flag { return flag }
        let variable = ProcessInfo.processInfo.environment[InceptionV3.environmentVariable]
        return variable?.isEmpty == false ? variable : nil
    }

    /// The one line for a user who has no weights file.
    public static let missing = "FID and KID need pytorch-fid's Inception weights, \(InceptionV3.weightsFileName) "
        + "(91 MB, from \(InceptionV3.weightsURL); this tool does not download): pass --inception FILE or set "
        + "\(InceptionV3.environmentVariable)=FILE"

    public static func load(_ path: String) throws -> InceptionV3 {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError("\(path) does not exist: \(missing)")
        }
        do {
            return try InceptionV3(path: path)
        } catch let error as CodecError {
            // The reader's advice is for files torch wrote here; a damaged download is fetched again.
            let problem = error.message.range(of: ": ", options: .backwards).map { String(error.message[..<$0.lowerBound]) }
                ?? error.message
            throw DataError("\(error.path) \(problem): download \(InceptionV3.weightsFileName) again from \(InceptionV3.weightsURL)")
        }
    }
}

/// Inception features of images on disk or in memory, in batches, with a progress line per batch.
public struct FeatureExtractor {
    public let network: InceptionV3
    public let batchSize: Int

    public init(network: InceptionV3, batchSize: Int = 16) {
        self.network = network; self.batchSize = batchSize
    }

    /// Features [N, 2048] of images [C, H, W] in [0, 1]; gray images are replicated to RGB (PIL's convert("RGB")).
    public func features(of images: [Tensor], label: String, progress: (String) -> Void = { _ in }) -> Tensor {
        batches(images.count, label: label, progress: progress) { range in images[range].map(rgb) }
    }

    /// Features of image files: decoded one batch at a time, so a folder of any size fits in memory.
    /// `channels` 1: read as gray first (as a gray domain's images are), then replicated.
    public func features(ofFiles files: [String], channels: Int = 3, label: String,
                         progress: (String) -> Void = { _ in }) throws -> Tensor {
        let features = try batches(files.count, label: label, progress: progress) { range in
            // 8-bit levels, as pytorch-fid's PIL pipeline sees images (a 16-bit file is rounded to them).
            try files[range].map { rgb(ImageFile.eightBit(try ImageFile.read($0, channels: channels))) }
        }
        if let bad = features.scalars.firstIndex(where: { !$0.isFinite }) {
            throw DataError("\(files[bad / InceptionV3.featureCount]) gives non-finite Inception features: the weights file is damaged")
        }
        return features
    }

    /// The features of `count` images that `load` gives a batch at a time, with a progress line per batch.
    private func batches(_ count: Int, label: String, progress: (String) -> Void,
                         load: (Range<Int>) throws -> [Tensor]) rethrows -> Tensor {
        let start = Date()
        var rows: [Float] = []
        rows.reserveCapacity(count * InceptionV3.featureCount)
        for first in stride(from: 0, to: count, by: batchSize) {
            let range = first..<min(count, first + batchSize)
            rows += network.features(try load(range)).scalars
            progress(String(format: "  Inception features of %@: %d/%d (%.1f s)", label, range.upperBound, count,
                            Date().timeIntervalSince(start)))
        }
        return Tensor(shape: [count, InceptionV3.featureCount], values: rows)
    }
}

/// image [1 or 3, H, W] → [3, H, W].
func rgb(_ image: Tensor) -> Tensor {
    if image.shape[0] == 3 { return image }
    let plane = image.scalars
    return Tensor(shape: [3, image.shape[1], image.shape[2]], values: plane + plane + plane)
}

/// `cyclegan evaluate`: FID and KID between two folders, PSNR and SSIM of pairs.
public enum FolderEvaluation {
    public struct Distances: Sendable {
        public let fid: Double
        public let kid: KernelInceptionDistance
        public let realCount: Int, fakeCount: Int
    }

    public struct Similarity: Sendable {
        /// The mean over the pairs that differ (+∞ when none does: scikit-image's PSNR of identical images).
        public let psnr: Double
        public let ssim: Double
        public let pairs: Int
        /// Pairs of identical images, left out of the mean PSNR (each would make it +∞).
        public let identical: Int
    }

    /// FID and KID between the images of two folders. Folders of gray images against folders of colour
    /// ones are refused: pytorch-fid would compare them, but the distance would mostly measure colour.
    public static func distances(real: ImageFolder, fake: ImageFolder, extractor: FeatureExtractor,
                                 kidSubsets: Int = KernelInceptionDistance.defaultSubsets,
                                 kidSubsetSize: Int = KernelInceptionDistance.defaultSubsetSize,
                                 progress: (String) -> Void = { _ in }) throws -> Distances {
        try checkComparable(real: real, fake: fake)
        let x = try extractor.features(ofFiles: real.files, label: real.path, progress: progress)
        let y = try extractor.features(ofFiles: fake.files, label: fake.path, progress: progress)
        let fid = try frechetDistance(FeatureStatistics(x), FeatureStatistics(y))
        let kid = KernelInceptionDistance(x, y, subsets: kidSubsets, subsetSize: kidSubsetSize)
        return Distances(fid: fid, kid: kid, realCount: real.files.count, fakeCount: fake.files.count)
    }

    /// Mean PSNR and SSIM over pairs: each image of `test` against the image of `truth` with the same path
    /// without extension (a translation's PNG against its JPEG original, say).
    public static func similarity(test: ImageFolder, truth: ImageFolder) throws -> Similarity {
        let truthByName = Dictionary(truth.files.map { (relativeStem($0, in: truth.path), $0) }, uniquingKeysWith: { a, _ in a })
        var psnr = 0.0, ssim = 0.0, identical = 0
        for file in test.files {
            guard let match = truthByName[relativeStem(file, in: test.path)] else {
                throw DataError("\(file) has no image of the same name in \(truth.path): --truth needs one per image")
            }
            let a = try ImageFile.read(match), b = try ImageFile.read(file)
            guard a.shape == b.shape else {
                throw DataError("\(file) is \(describe(b)) and \(match) is \(describe(a)): PSNR and SSIM compare images of one size and colour")
            }
            guard a.shape[1] >= ssimWindow && a.shape[2] >= ssimWindow else {
                throw DataError("\(file) is \(describe(b)), smaller than SSIM's \(ssimWindow)×\(ssimWindow) window: "
                                + "leave it and its truth out")
            }
            let p = peakSignalToNoiseRatio(a, b)
            if p.isFinite { psnr += p } else { identical += 1 }
            ssim += structuralSimilarity(a, b)
        }
        let differing = test.files.count - identical
        return Similarity(psnr: differing > 0 ? psnr / Double(differing) : .infinity,
                          ssim: ssim / Double(test.files.count), pairs: test.files.count, identical: identical)
    }

    /// What can be checked before any Inception work: two images per folder at least, and images of one kind.
    public static func checkComparable(real: ImageFolder, fake: ImageFolder) throws {
        for folder in [real, fake] where folder.files.count < 2 {
            throw DataError("\(folder.path) holds 1 image: FID and KID need at least 2 per folder (and hundreds to mean much)")
        }
        try requireSameColours(real, fake)
    }

    private static func requireSameColours(_ a: ImageFolder, _ b: ImageFolder) throws {
        func colours(_ folder: ImageFolder) throws -> (Set<Int>, String) {
            var seen: [Int: String] = [:]
            for file in folder.files {
                let c = try ImageFile.read(file).shape[0]
                if seen[c] == nil { seen[c] = file }
            }
            return (Set(seen.keys), seen.values.sorted().first!)
        }
        let (ca, fa) = try colours(a), (cb, fb) = try colours(b)
        if ca != cb {
            func kind(_ s: Set<Int>) -> String { s == [1] ? "gray" : s == [3] ? "colour" : "gray and colour" }
            throw DataError("\(a.path) holds \(kind(ca)) images (e.g. \(fa)) and \(b.path) \(kind(cb)) ones (e.g. \(fb)): "
                            + "FID compares images of one kind; convert one folder")
        }
    }

    private static func describe(_ t: Tensor) -> String {
        "\(t.shape[2])×\(t.shape[1]) \(t.shape[0] == 1 ? "gray" : "colour")"
    }
}

/// "sub/name" for <folder>/sub/name.png.
func relativeStem(_ path: String, in folder: String) -> String {
    let prefix = folder.hasSuffix("/") ? folder : folder + "/"
    let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    return (relative as NSString).deletingPathExtension
}
