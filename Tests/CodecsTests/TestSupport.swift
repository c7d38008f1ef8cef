import Foundation
import Tensor

/// Path of a committed fixture (Tests/CodecsTests/Fixtures, made by Scripts/make_codec_fixtures.py).
func fixture(_ name: String) -> String {
    guard let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        fatalError("Fixtures folder missing from the test bundle")
    }
    return folder.appendingPathComponent(name).path
}

/// A fresh temporary folder, removed by `cleanup()`.
struct TemporaryFolder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("codecs-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

func bytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The decoded tensor as 8-bit levels (value · 255), which must be integral for 8-bit sources.
func levels(_ t: Tensor) -> [Float] { t.scalars.map { $0 * 255 } }

/// Planar [C, H, W] expected values from interleaved pixels given as levels 0…255, as k/255.
func planar(_ pixels: [[Int]], channels: Int) -> [Float] {
    (0..<channels).flatMap { c in pixels.map { Float($0[c]) / 255 } }
}

/// PIL's convert('L') (Pillow src/libImaging/Convert.c, rgb2l): (R·19595 + G·38470 + B·7471 + 0x8000) >> 16.
func pilLuma(_ r: Int, _ g: Int, _ b: Int) -> Int { (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16 }

/// A deterministic pseudo-random generator (SplitMix64), so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
