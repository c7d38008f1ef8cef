import Codecs
import Foundation

/// Hand-made run folders that look like real ones: a loss log with plausible LSGAN losses, sample grids,
/// translations with their inputs, a config.json and checkpoints. Deterministic (seeded).
enum FakeRun {
    /// Iterations between logged rows, and iterations per epoch, of the fake log.
    static let logEvery = 50, iterationsPerEpoch = 1000

    /// A plausible `losses.csv`: `rows` rows, every `logEvery` iterations from `logEvery` on.
    /// - `nanRows`: rows whose G_A is NaN (a diverging step) — row indices, 0-based.
    /// - `truncateLast`: append half a row without a newline, as a run writing its next row leaves it.
    static func csv(rows: Int, seed: UInt64 = 1, nanRows: Set<Int> = [], truncateLast: Bool = false) -> String {
        var random = SeededRandom(seed: seed)
        let epochs = Double(rows * logEvery) / Double(iterationsPerEpoch)
        var lines = ["iteration,epoch,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B,lr,seconds_per_iter"]
        for row in 0..<rows {
            let iteration = (row + 1) * logEvery
            let epoch = (iteration - 1) / iterationsPerEpoch + 1
            let progress = Double(row) / Double(max(rows - 1, 1))
            let warmup = exp(-Double(row) / 15)  // the first rows are far from balance
            func noisy(_ base: Double, _ spread: Double) -> Double { max(0.001, base + spread * random.normal()) }
            let cycleA = noisy(0.9 + 1.8 * exp(-progress * 4), 0.12)
            let cycleB = noisy(1.0 + 1.6 * exp(-progress * 3.5), 0.14)
            let values: [Double] = [
                noisy(0.24 - 0.03 * progress + 0.25 * warmup, 0.05),  // D_A
                nanRows.contains(row) ? .nan : noisy(0.35 + 0.05 * progress + 0.6 * warmup, 0.09),  // G_A
                cycleA,
                noisy(cycleA * 0.48, 0.05),  // idt_A ≈ λ_idt · cycle
                noisy(0.23 - 0.02 * progress + 0.25 * warmup, 0.05),  // D_B
                noisy(0.38 + 0.04 * progress + 0.6 * warmup, 0.1),  // G_B
                cycleB,
                noisy(cycleB * 0.5, 0.05),  // idt_B
                learningRate(epoch: epoch, totalEpochs: epochs),
                noisy(0.42, 0.015) + (random.uniform() < 0.02 ? 0.3 : 0),  // an occasional slow iteration
            ]
            lines.append("\(iteration),\(epoch)," + values.map(format).joined(separator: ","))
        }
        var text = lines.joined(separator: "\n") + "\n"
        if truncateLast { text += "\((rows + 1) * logEvery),\((rows * logEvery) / iterationsPerEpoch + 1),0.2213,0.41" }
        return text
    }

    /// The reference's `linear` policy over the fake run: constant for the first half, then to 0.
    static func learningRate(epoch: Int, totalEpochs: Double) -> Double {
        let half = max(1, Int(totalEpochs / 2))
        return 2e-4 * (1 - Double(max(0, epoch - half)) / Double(half + 1))
    }

    /// A float as the trainer would print it (Python-like `%.6g`; `nan` for NaN).
    static func format(_ value: Double) -> String {
        value.isNaN ? "nan" : String(format: "%.6g", value)
    }

    /// Writes a whole run folder under `folder` (created), with its test inputs under `dataroot` when given.
    /// Returns the run folder's path.
    @discardableResult
    static func make(at folder: URL, name: String = "horse2zebra", rows: Int = 400, nanRows: Set<Int> = [250],
                     truncateLast: Bool = true, sampleIterations: [Int] = [2000, 6000, 10000, 14000, 18000],
                     translations: Int = 3, dataroot: URL? = nil, tile: Int = 64) throws -> String {
        let run = folder.appendingPathComponent(name)
        let fm = FileManager.default
        for sub in ["samples", "checkpoints", "translations/AtoB", "translations/BtoA"] {
            try fm.createDirectory(at: run.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try csv(rows: rows, nanRows: nanRows, truncateLast: truncateLast)
            .write(to: run.appendingPathComponent("losses.csv"), atomically: true, encoding: .utf8)

        let dataPath = dataroot?.path ?? "Data/horse2zebra"
        let config = """
        {"name": "\(name)", "dataroot": "\(dataPath)", "netG": "resnet_9blocks", "netD": "basic", "ngf": 64, \
        "ndf": 64, "norm": "instance", "n_epochs": 10, "n_epochs_decay": 10, "lr": 0.0002, "beta1": 0.5, \
        "lambda_A": 10.0, "lambda_B": 10.0, "lambda_identity": 0.5, "gan_mode": "lsgan", "pool_size": 50, \
        "load_size": 286, "crop_size": 256, "no_flip": false, "seed": 42, "version": "0.1.0"}
        """
        try config.write(to: run.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        for checkpoint in ["latest.h5", "epoch_5.h5", "epoch_10.h5", "epoch_15.h5"] {
            try Data(count: 2048).write(to: run.appendingPathComponent("checkpoints/" + checkpoint))
        }
        for iteration in sampleIterations {
            let path = run.appendingPathComponent(String(format: "samples/iter_%07d.png", iteration)).path
            try writeSampleGrid(to: path, iteration: iteration, tile: tile)
        }
        if let dataroot, translations > 0 {
            for (direction, input) in [("AtoB", "testA"), ("BtoA", "testB")] {
                try fm.createDirectory(at: dataroot.appendingPathComponent(input), withIntermediateDirectories: true)
                for k in 0..<translations {
                    let stem = "\(input == "testA" ? "n02381460" : "n02391049")_\(k * 10 + 7)"
                    try writePicture(to: dataroot.appendingPathComponent("\(input)/\(stem).png").path,
                                     size: tile * 2, hue: Double(k) / Double(translations), stripes: direction == "BtoA")
                    try writePicture(to: run.appendingPathComponent("translations/\(direction)/\(stem).png").path,
                                     size: tile * 2, hue: Double(k) / Double(translations) + 0.5, stripes: direction == "AtoB")
                }
            }
        }
        return run.path
    }

    /// A 4×2 grid of tiles (real, fake, rec, idt per row), each a picture that sharpens as training goes.
    static func writeSampleGrid(to path: String, iteration: Int, tile: Int) throws {
        let width = 4 * tile, height = 2 * tile
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let quality = min(1, Double(iteration) / 20000)
        for y in 0..<height {
            for x in 0..<width {
                let column = x / tile, row = y / tile
                let u = Double(x % tile) / Double(tile), v = Double(y % tile) / Double(tile)
                let stripes = (row == 0) == (column % 2 == 0)  // horses ↔ zebras
                let wave = stripes ? 0.5 + 0.5 * sin(u * 30 + v * 8) : 0.6
                let blur = column == 0 ? 1 : quality
                let body = exp(-((u - 0.5) * (u - 0.5) + (v - 0.55) * (v - 0.55)) * 9)
                let grass = v > 0.75 ? 1.0 : 0.0
                let r = 0.55 * body * (blur * wave + (1 - blur) * 0.5) + 0.25 * grass + 0.35 * (1 - body) * v
                let g = 0.5 * body * (blur * wave + (1 - blur) * 0.5) + 0.55 * grass + 0.5 * (1 - body) * (1 - v * 0.5)
                let b = 0.45 * body * (blur * wave + (1 - blur) * 0.5) + 0.15 * grass + 0.75 * (1 - body) * (1 - v)
                let i = 3 * (y * width + x)
                pixels[i] = byte(r); pixels[i + 1] = byte(g); pixels[i + 2] = byte(b)
            }
        }
        try ImageFile.writePNG(pixels: pixels, width: width, height: height, channels: 3, to: path)
    }

    /// A square test picture: a coloured blob on a sky-and-grass background, striped or not.
    static func writePicture(to path: String, size: Int, hue: Double, stripes: Bool) throws {
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                let u = Double(x) / Double(size), v = Double(y) / Double(size)
                let body = exp(-((u - 0.5) * (u - 0.5) * 2 + (v - 0.55) * (v - 0.55) * 5) * 6)
                let stripe = stripes ? 0.5 + 0.5 * sin(u * 40) : 1
                let h = hue * 2 * Double.pi
                let i = 3 * (y * size + x)
                let sky = v < 0.7
                pixels[i] = byte(body * stripe * (0.5 + 0.4 * cos(h)) + (1 - body) * (sky ? 0.55 : 0.3))
                pixels[i + 1] = byte(body * stripe * (0.5 + 0.4 * cos(h + 2.1)) + (1 - body) * (sky ? 0.7 : 0.6))
                pixels[i + 2] = byte(body * stripe * (0.5 + 0.4 * cos(h + 4.2)) + (1 - body) * (sky ? 0.9 : 0.25))
            }
        }
        try ImageFile.writePNG(pixels: pixels, width: size, height: size, channels: 3, to: path)
    }

    private static func byte(_ value: Double) -> UInt8 { UInt8(max(0, min(255, (value * 255).rounded()))) }

    /// A fresh temporary folder.
    static func temporaryFolder(_ label: String = "runreports") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// SplitMix64 with Box–Muller normals: the same numbers on every machine.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Standard normal.
    mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
