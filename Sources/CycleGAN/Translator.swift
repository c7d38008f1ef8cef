import Codecs
import Foundation
import Layers
import RunLayout
import Tensor

/// Translates images with one generator of a checkpoint: G_A for AtoB, G_B for BtoA.
/// A file holding only that generator (e.g. converted from an official pretrained model) is enough, and so is a
/// generator saved by PyTorch (`.pth`: the reference's `latest_net_G_A.pth`, a pretrained `horse2zebra.pth`),
/// read natively, its architecture inferred from its keys; it translates in the direction asked.
public final class Translator {
    public let direction: Direction
    public let generator: any Generator
    public let inputChannels: Int
    public let outputChannels: Int
    /// Set when the checkpoint carries no checksums (`Checkpoint.checksumNote`).
    public let checksumNote: String?
    /// Filters of the generator's first layer: its activations set the memory a translation needs.
    public let ngf: Int

    public init(checkpoint path: String, direction: Direction) throws {
        if Self.isPyTorchFile(path) {
            let torch = try TorchFile(path: path)
            let (config, inputNC, outputNC) = try TorchWeights.generatorConfig(torch)
            (self.direction, inputChannels, outputChannels, ngf, checksumNote) = (direction, inputNC, outputNC, config.ngf, nil)
            generator = makeGenerator(config, inputNC: inputNC, outputNC: outputNC)
            try TorchWeights.load(generator, from: torch, norm: config.norm)
            generator.setRequiresGrad(false)
            return
        }
        let file = try HDF5File(path: path, mode: .read)
        defer { file.close() }
        let config = try Checkpoint.config(of: file)
        checksumNote = try Checkpoint.checksumNote(file)
        ngf = config.ngf
        let name = direction.generatorName
        guard try Checkpoint.networkNames(in: file).contains(name) else {
            let other: Direction = direction == .AtoB ? .BtoA : .AtoB
            throw CheckpointError(.missingNetwork, path: path, "holds no \(name), which --direction \(direction.rawValue) needs"
                                  + " (it translates \(other.rawValue) only: pass --direction \(other.rawValue))")
        }
        self.direction = direction
        (inputChannels, outputChannels) = direction == .AtoB ? (config.inputNC, config.outputNC)
                                                             : (config.outputNC, config.inputNC)
        generator = makeGenerator(config, inputNC: inputChannels, outputNC: outputChannels)
        try Checkpoint.load(generator, from: file, group: name)
        generator.setRequiresGrad(false)   // inference: the tape records nothing
    }

    /// A file torch.save wrote (by name: .pth or .pt), rather than one of our HDF5 checkpoints.
    public static func isPyTorchFile(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".pth") || lower.hasSuffix(".pt")
    }

    /// image [C, H, W] in [0, 1] (C = inputChannels) → [outputChannels, H, W] in [0, 1]. Sides that are not
    /// multiples of 4 are padded (edge pixels repeated) for the network and cropped back.
    public func translate(_ image: Tensor) -> Tensor { translateImage(image, with: generator) }
}

/// image [C, H, W] in [0, 1] → the generator's output [C', H, W] in [0, 1]. Sides that are not multiples of the
/// generator's `sideMultiple` (4 for a ResNet, 128 or 256 for a U-Net) are padded (edge pixels repeated) for the
/// network and cropped back. The generator should be frozen (`setRequiresGrad(false)` or `inInference`): then
/// the tape records nothing.
func translateImage(_ image: Tensor, with generator: any Generator) -> Tensor {
    let (H, W) = (image.shape[1], image.shape[2])
    let m = generator.sideMultiple
    let padded = padEdges(image, height: (H + m - 1) / m * m, width: (W + m - 1) / m * m).map { $0 * 2 - 1 }
    // A tape of its own per image: with frozen parameters and a constant input it records nothing; what is
    // derived from the weights (Winograd's transformed filters) stays with them (`Parameter.derived`).
    let out = generator(Tape().constant(padded.reshaped([1] + padded.shape))).value
    let cropped = crop(out.reshaped(Array(out.shape.dropFirst())), top: 0, left: 0, height: H, width: W)
    return cropped.map { min(max(($0 + 1) / 2, 0), 1) }
}

extension Translator {
    /// Translates each file and writes `<name>.png` into `folder` (a second file with the same name gets
    /// `_2`, …). Every input is checked readable before anything is written. Returns the written paths.
    /// With `scaleWidth`, images are resized to that width (aspect kept) first.
    /// Bytes a translation of a height × width image needs at its peak, about: three activations of the
    /// first layer (ngf channels, float32) and 300 MB of the rest. Measured peaks, resnet_9blocks ngf 64:
    /// 1024×768 0.79 GB (estimate 0.90), 2048×1536 2.27 GB (2.72), 4032×3024 8.17 GB (9.66).
    public func estimatedPeakBytes(height: Int, width: Int) -> Int {
        Self.estimatedPeakBytes(ngf: ngf, height: height, width: width)
    }

    public static func estimatedPeakBytes(ngf: Int, height: Int, width: Int) -> Int {
        3 * ngf * height * width * 4 + (300 << 20)
    }

    /// The smallest side a generator translates: padded to 8 (a multiple of 4), its two downsamplings leave 2,
    /// the least the residual blocks' reflection padding of 1 takes.
    public static let minimumSide = 5

    /// Why an image of this size cannot be translated, or nil.
    public static func sizeProblem(width: Int, height: Int) -> String? {
        min(width, height) >= minimumSide ? nil
            : "is \(width)×\(height): the generator needs both sides at least \(minimumSide) pixels; enlarge it or leave it out"
    }

    /// Memory this process may use: MemAvailable, capped by a cgroup's memory.max; nil where unknown.
    public static func availableMemory() -> Int? {
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        var available: Int?
        if let line = read("/proc/meminfo")?.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
            available = kb * 1024
        }
        if let text = read("/sys/fs/cgroup/memory.max")?.trimmingCharacters(in: .whitespacesAndNewlines),
           let limit = Int(text) {
            let used = read("/sys/fs/cgroup/memory.current").flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            available = min(available ?? Int.max, max(0, limit - used))
        }
        return available
    }

    public func translateFiles(_ inputs: [String], to folder: String, scaleWidth: Int? = nil, format: ImageFile.WriteFormat = .png,
                               memoryLimit: Int? = Translator.availableMemory(),
                               progress: (String) -> Void = { _ in }) throws -> [String] {
        for path in inputs {
            let size = try ImageFile.size(path)
            let (w, h) = scaleWidth.map { ($0, max(4, size.height * $0 / size.width)) } ?? (size.width, size.height)
            if let problem = Self.sizeProblem(width: w, height: h) { throw DataError("\(path) \(problem)") }
            guard let limit = memoryLimit else { continue }
            let need = estimatedPeakBytes(height: h, width: w)
            if need <= limit { continue }
            func gb(_ bytes: Int) -> String { String(format: "%.1f GB", Double(bytes) / 1e9) }
            // The widest multiple of 4 that fits, aspect kept.
            let perPixel = Double(3 * ngf * 4), room = Double(limit - (300 << 20))
            let fit = room > 0 ? Int((room / perPixel * Double(size.width) / Double(size.height)).squareRoot()) / 4 * 4 : 0
            let advice = fit >= 4 ? "pass --scale_width \(fit) (about \(gb(estimatedPeakBytes(height: max(4, size.height * fit / size.width), width: fit))))"
                                  : "this machine cannot translate it at any size with this network"
            throw InsufficientMemoryError("\(path) (\(w)×\(h)) needs about \(gb(need)) to translate and \(gb(limit)) are available: \(advice)")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var used = Set<String>(), written: [String] = []
        for (i, path) in inputs.enumerated() {
            let start = Date()
            var (image, bitDepth) = try ImageFile.readWithDepth(path, channels: inputChannels)
            if let w = scaleWidth, image.shape[2] != w {
                image = resizeBicubic(image, height: max(4, image.shape[1] * w / image.shape[2]), width: w)
            }
            let result = translate(image)
            // The input's bit depth: a 16-bit image translates to a 16-bit file.
            let target = (folder as NSString).appendingPathComponent(uniqueName(path, &used, fileExtension: format.fileExtension))
            try ImageFile.write(result, to: target, format: format, bitDepth: bitDepth)
            written.append(target)
            progress(String(format: "[%d/%d] %@ → %@ (%d×%d, %.2f s)", i + 1, inputs.count, path, target,
                            result.shape[2], result.shape[1], Date().timeIntervalSince(start)))
        }
        return written
    }
}

/// image [C, H, W] → [C, height, width], the last row and column repeated.
func padEdges(_ image: Tensor, height: Int, width: Int) -> Tensor {
    let (C, H, W) = (image.shape[0], image.shape[1], image.shape[2])
    if H == height && W == width { return image }
    var out = Tensor(uninitializedShape: [C, height, width])
    image.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
        for c in 0..<C { for y in 0..<height { for x in 0..<width {
            dst[(c * height + y) * width + x] = src[(c * H + min(y, H - 1)) * W + min(x, W - 1)]
        }}}
    }}
    return out
}
