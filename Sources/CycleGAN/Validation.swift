import Codecs
import Evaluation
import Foundation
import Layers
import RunLayout
import Tensor

/// Validation while training: every `valFreq` epochs (0: never), the images of testA/ and testB/ (under
/// `valDir`, default the dataroot) are translated by both generators, at their own size.
public struct ValidationOptions: Codable, Equatable, Sendable {
    public var valFreq: Int
    /// The folder holding testA/ and testB/; nil: the dataroot.
    public var valDir: String?
    /// pytorch-fid's Inception weights: with them each validation also computes KID.
    public var inception: String?

    enum CodingKeys: String, CodingKey { case valFreq = "val_freq", valDir = "val_dir", inception }

    public init(valFreq: Int = 0, valDir: String? = nil, inception: String? = nil) {
        self.valFreq = valFreq; self.valDir = valDir; self.inception = inception
    }

    /// Runs from before validation existed have none of the keys.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        valFreq = try c.decodeIfPresent(Int.self, forKey: .valFreq) ?? 0
        valDir = try c.decodeIfPresent(String.self, forKey: .valDir)
        inception = try c.decodeIfPresent(String.self, forKey: .inception)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(valFreq, forKey: .valFreq)
        try c.encodeIfPresent(valDir, forKey: .valDir)
        try c.encodeIfPresent(inception, forKey: .inception)
    }

    /// Whether a validation follows `epoch` of a run whose first epoch is `first`.
    public func isDue(after epoch: Int, first: Int) -> Bool {
        valFreq > 0 && (epoch - first + 1) % valFreq == 0
    }
}

/// What one validation measured.
public struct ValidationResult: Sendable {
    public let psnrCycleA: Double, psnrCycleB: Double
    public let kidAtoB: KernelInceptionDistance?, kidBtoA: KernelInceptionDistance?
    public let seconds: Double

    /// The scores under their val.csv column names (KID only where it was computed).
    public var namedScores: [(name: String, value: Double)] {
        [(ValidationColumns.psnrA, psnrCycleA), (ValidationColumns.psnrB, psnrCycleB)]
            + (kidAtoB.map { [(ValidationColumns.kidAtoB, $0.mean), (ValidationColumns.kidAtoBStd, $0.standardDeviation)] } ?? [])
            + (kidBtoA.map { [(ValidationColumns.kidBtoA, $0.mean), (ValidationColumns.kidBtoAStd, $0.standardDeviation)] } ?? [])
    }
}

/// Runs the validations of a run: checks its images and weights before training, writes each validation's
/// translations under val/epoch_N/ and a row of val.csv (written at once).
final class Validation {
    let options: ValidationOptions
    let folderA: ImageFolder, folderB: ImageFolder
    let channelsA: Int, channelsB: Int
    let extractor: FeatureExtractor?
    /// Inception features of the real validation images, computed at the first validation.
    private var realFeatures: (a: Tensor, b: Tensor)?
    private var csv: LossLogAppender?

    /// Checks the validation images (readable, large enough for the generators, small enough for the memory
    /// there is) and the Inception weights.
    /// `folders`: the domains' folder names (testA, testB; swapped by --direction BtoA).
    init(_ options: ValidationOptions, dataroot: String, folders: (a: String, b: String) = ("testA", "testB"),
         channelsA: Int, channelsB: Int, ngf: Int, memoryLimit: Int? = Translator.availableMemory()) throws {
        let root = options.valDir ?? dataroot
        folderA = try ImageFolder.scan((root as NSString).appendingPathComponent(folders.a), role: "domain A validation")
        folderB = try ImageFolder.scan((root as NSString).appendingPathComponent(folders.b), role: "domain B validation")
        let unchanged = PreprocessOptions(preprocess: .none)
        _ = try decodeAll(folderA.files, channels: channelsA, preprocess: unchanged, keep: false)
        _ = try decodeAll(folderB.files, channels: channelsB, preprocess: unchanged, keep: false)
        for file in folderA.files + folderB.files {
            let (width, height) = try ImageFile.size(file)
            if let problem = Translator.sizeProblem(width: width, height: height) {
                throw DataError("\(file) \(problem) (it is a validation image)")
            }
            let need = Translator.estimatedPeakBytes(ngf: ngf, height: height, width: width)
            if let memoryLimit, need > memoryLimit {
                throw InsufficientMemoryError(String(format: "%@ (%d×%d) needs about %.1f GB to translate and %.1f GB are "
                    + "available: put smaller validation images in a folder of their own and pass it as --val_dir", file,
                    width, height, Double(need) / 1e9, Double(memoryLimit) / 1e9))
            }
        }
        self.options = options
        self.channelsA = channelsA; self.channelsB = channelsB
        if let path = options.inception {
            for folder in [folderA, folderB] where folder.files.count < 2 {
                throw DataError("\(folder.path) holds 1 image: KID needs at least 2 validation images per domain")
            }
            extractor = FeatureExtractor(network: try InceptionWeights.load(path))
        } else {
            extractor = nil
        }
    }

    /// Drops the rows of val.csv logged after `iteration` (a resumed run validates those epochs again, or, without
    /// --val_freq, the rows would describe a discarded stretch of training); `validation` then appends to it.
    static func trimLog(in runFolder: String, keepingRowsThrough iteration: Int, keepOpen validation: Validation?) throws {
        let path = (runFolder as NSString).appendingPathComponent(RunLayout.validation)
        guard validation != nil || FileManager.default.fileExists(atPath: path) else { return }
        let csv = try LossLogAppender(path: path, header: ValidationColumns.header, keepingRowsThrough: iteration)
        validation?.csv = csv
    }

    /// Translates both validation sets, writes them under `<run>/val/epoch_N/`, appends the row of val.csv.
    /// The reconstruction starts from the translation as written (8 bits), as translating the saved PNGs
    /// back would; the networks are left exactly as they were (`inInference`).
    func run(_ model: CycleGANModel, runFolder: String, epoch: Int, iteration: Int,
             log: (String) -> Void) throws -> ValidationResult {
        let start = Date()
        let folder = (runFolder as NSString).appendingPathComponent(RunLayout.validationFolder(epoch: epoch))
        let (fakeB, psnrA) = try pass(folderA, channels: channelsA, forward: model.gA, backward: model.gB,
                                      into: (folder as NSString).appendingPathComponent(Direction.AtoB.rawValue),
                                      label: "A → B → A", log: log)
        let (fakeA, psnrB) = try pass(folderB, channels: channelsB, forward: model.gB, backward: model.gA,
                                      into: (folder as NSString).appendingPathComponent(Direction.BtoA.rawValue),
                                      label: "B → A → B", log: log)
        var kid: (KernelInceptionDistance, KernelInceptionDistance)?
        if let extractor {
            if realFeatures == nil {
                realFeatures = (try extractor.features(ofFiles: folderA.files, channels: channelsA, label: folderA.path, progress: log),
                                try extractor.features(ofFiles: folderB.files, channels: channelsB, label: folderB.path, progress: log))
            }
            let real = realFeatures!
            kid = (KernelInceptionDistance(extractor.features(of: fakeB, label: "A → B translations", progress: log), real.b),
                   KernelInceptionDistance(extractor.features(of: fakeA, label: "B → A translations", progress: log), real.a))
        }
        let result = ValidationResult(psnrCycleA: psnrA, psnrCycleB: psnrB, kidAtoB: kid?.0, kidBtoA: kid?.1,
                                      seconds: Date().timeIntervalSince(start))
        let kids = [result.kidAtoB, result.kidBtoA].flatMap { k in [k?.mean, k?.standardDeviation] }
        try csv?.append([Double(iteration), Double(epoch), psnrA, psnrB] + kids.map { $0 ?? .nan } + [result.seconds])
        var line = String(format: "Validation after epoch %d: cycle PSNR A %.2f dB, B %.2f dB", epoch, psnrA, psnrB)
        if let (ab, ba) = kid {
            line += String(format: "; KID A→B %.4f ± %.4f, B→A %.4f ± %.4f", ab.mean, ab.standardDeviation, ba.mean,
                           ba.standardDeviation)
        }
        log(line + String(format: " (%.1f s, images in %@/)", result.seconds, folder))
        return result
    }

    /// Each image through `forward` (written as PNG) and back through `backward`; the translations (as
    /// written, 8 bits) and the mean PSNR of the reconstructions against the originals.
    private func pass(_ images: ImageFolder, channels: Int, forward: any Generator, backward: any Generator,
                      into folder: String, label: String, log: (String) -> Void) throws -> (translations: [Tensor], psnr: Double) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var translations: [Tensor] = [], psnr = 0.0
        let start = Date()
        try forward.inInference {
            try backward.inInference {
                var used = Set<String>()
                for file in images.files {
                    let real = try ImageFile.read(file, channels: channels)
                    let fake = ImageFile.eightBit(translateImage(real, with: forward))
                    try ImageFile.writePNG(fake, to: (folder as NSString).appendingPathComponent(uniqueName(file, &used)))
                    psnr += peakSignalToNoiseRatio(real, ImageFile.eightBit(translateImage(fake, with: backward)))
                    translations.append(fake)
                    if translations.count % 25 == 0 || translations.count == images.files.count {
                        log(String(format: "  Validation %@: %d/%d (%.1f s)", label, translations.count, images.files.count,
                                   Date().timeIntervalSince(start)))
                    }
                }
            }
        }
        return (translations, psnr / Double(images.files.count))
    }
}

/// `<stem>.png`, or `<stem>_2.png`, … when the name is taken.
func uniqueName(_ path: String, _ used: inout Set<String>, fileExtension: String = "png") -> String {
    let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    var name = "\(stem).\(fileExtension)", k = 2
    while used.contains(name) { name = "\(stem)_\(k).\(fileExtension)"; k += 1 }
    used.insert(name)
    return name
}
