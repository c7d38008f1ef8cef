import Codecs
import Foundation
import Tensor
@testable import CycleGAN

/// A fresh temporary folder for one test.
func temporaryFolder(_ name: String = #function) -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "cyclegan-test-\(safe)-\(UUID().uuidString.prefix(8))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes a tiny dataset: trainA (5 images), trainB (3), testA (2, one of odd size), testB (2), as PNG
/// with smooth random colour fields; `grayB` makes domain B grayscale.
func makeDataset(at root: String, size: Int = 40, grayB: Bool = false) throws {
    var rng = SeededGenerator(seed: 99)
    func image(_ c: Int, _ h: Int, _ w: Int) -> Tensor {
        let base = (0..<c).map { _ in rng.nextUniform() }, slope = (0..<c).map { _ in rng.nextUniform() - 0.5 }
        var t = Tensor(shape: [c, h, w])
        for ch in 0..<c { for y in 0..<h { for x in 0..<w {
            t[ch, y, x] = min(max(base[ch] + slope[ch] * Float(x + y) / Float(h + w) + 0.1 * rng.nextUniform(), 0), 1)
        }}}
        return t
    }
    let sets: [(String, Int, [(Int, Int)])] = [
        ("trainA", 3, Array(repeating: (size, size), count: 5)), ("trainB", grayB ? 1 : 3, Array(repeating: (size, size + 8), count: 3)),
        ("testA", 3, [(size, size), (22, 30)]), ("testB", grayB ? 1 : 3, [(size, size), (size, size)]),
    ]
    for (folder, channels, sizes) in sets {
        let dir = (root as NSString).appendingPathComponent(folder)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (i, (h, w)) in sizes.enumerated() {
            try ImageFile.writePNG(image(channels, h, w), to: "\(dir)/img_\(i).png")
        }
    }
}

/// Options for a tiny, fast run on `makeDataset`'s images.
func tinyConfig(dataroot: String, runsDir: String, name: String = "tiny") -> TrainConfig {
    var c = TrainConfig()
    c.dataroot = dataroot; c.runsDir = runsDir; c.name = name; c.seed = 7
    c.network.netG = .resnet_6blocks; c.network.ngf = 4; c.network.ndf = 4
    c.preprocessing.loadSize = 36; c.preprocessing.cropSize = 32
    c.schedule.nEpochs = 1; c.schedule.nEpochsDecay = 1
    c.printFreq = 1; c.displayFreq = 4; c.saveLatestFreq = 4; c.saveEpochFreq = 1
    return c
}

/// The rows of a losses.csv without the timing column (which differs run to run).
func csvRowsWithoutTiming(_ path: String) throws -> [String] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    return lines.map { $0.split(separator: ",").dropLast().joined(separator: ",") }
}

/// latest.h5 of a tiny run (`tinyConfig`) of `iterations` iterations on `makeDataset`'s images under `root`:
/// weights, Adam moments, pools, attributes.
func tinyCheckpoint(in root: String = temporaryFolder(), iterations: Int = 2) throws -> String {
    try makeDataset(at: root + "/data")
    var config = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
    config.maxIterations = iterations
    let run = TrainingRun(config); run.log = { _ in }
    try run.run()
    return run.latestCheckpoint
}
