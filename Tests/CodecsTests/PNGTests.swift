import Foundation
import Testing
import Tensor
@testable import Codecs

/// PNG decoding and writing.
///
/// Oracles: for the committed fixtures, the raw samples written by Scripts/make_codec_fixtures.py (its own
/// zlib-based encoder, not libpng), repeated here as literals; 16-bit samples v keep their 16 bits, v/65535,
/// and every 8-bit level k must come back as exactly Float(k)/255.
/// Tolerance: none (exact equality) for PNG, a lossless format.
@Suite struct PNGTests {
    @Test func gray16KeepsSixteenBits() throws {
        let (t, depth) = try ImageFile.readWithDepth(fixture("gray16.png"), channels: 1)
        #expect(t.shape == [1, 1, 8] && depth == 16)
        let raw = [0, 5049, 32768, 65535, 25700, 128, 1000, 40000]
        #expect(t.scalars == raw.map { Float($0) / 65535 })
        // 5049/65535, not 79/255 (the simplified API's gamma conversion) nor 20/255 (8 bits).
        #expect(t.scalars[1] == Float(5049) / 65535)
        #expect(try ImageFile.info(fixture("gray16.png")) == (width: 8, height: 1, bitDepth: 16))
    }

    @Test func rgba16DropsAlphaKeepsSixteenBits() throws {
        let t = try ImageFile.read(fixture("rgba16.png"), channels: 3)
        #expect(t.shape == [3, 1, 2])
        // (65535, 0, 5049), (1000, 40000, 32768); alpha ignored.
        #expect(t.scalars == [65535, 1000, 0, 40000, 5049, 32768].map { Float($0) / 65535 })
    }

    @Test func grayAlphaDropsAlpha() throws {
        let t = try ImageFile.read(fixture("gray_alpha.png"), channels: 1)
        #expect(t.shape == [1, 1, 3])
        #expect(t.scalars == [10, 128, 250].map { Float($0) / 255 })
        // channels 3 replicates gray.
        let rgb = try ImageFile.read(fixture("gray_alpha.png"), channels: 3)
        #expect(rgb.scalars == planar([[10, 10, 10], [128, 128, 128], [250, 250, 250]], channels: 3))
    }

    @Test func rgbaKeepsColourUnderTransparentPixelsAndIgnoresGamma() throws {
        // The fixture has alpha 0 on a red pixel and a gAMA chunk: colours must come back as stored.
        let t = try ImageFile.read(fixture("rgba.png"), channels: 3)
        #expect(t.shape == [3, 2, 2])
        #expect(t.scalars == planar([[255, 0, 0], [0, 255, 0], [0, 0, 255], [12, 34, 56]], channels: 3))
        let gray = try ImageFile.read(fixture("rgba.png"), channels: 1)
        #expect(gray.scalars == [[255, 0, 0], [0, 255, 0], [0, 0, 255], [12, 34, 56]].map { Float(pilLuma($0[0], $0[1], $0[2])) / 255 })
    }

    @Test func paletteWithTRNSExpandsToRGB() throws {
        let t = try ImageFile.read(fixture("palette_trns.png"), channels: 3)
        #expect(t.shape == [3, 2, 5])
        let palette = [[255, 0, 0], [0, 128, 255], [10, 20, 30], [200, 200, 200]]
        let indices = [0, 1, 2, 3, 0, 3, 2, 1, 0, 1]
        #expect(t.scalars == planar(indices.map { palette[$0] }, channels: 3))
    }

    @Test func lowBitDepthGrayExpands() throws {
        let two = try ImageFile.read(fixture("gray2_trns.png"), channels: 1)
        #expect(two.scalars == [0, 85, 170, 255].map { Float($0) / 255 })
        let one = try ImageFile.read(fixture("gray1.png"), channels: 1)
        #expect(one.scalars == [1, 0, 1, 1, 0, 0, 1, 0, 1, 1].map { Float($0 * 255) / 255 })
    }

    @Test func interlacedPNGDecodes() throws {
        let t = try ImageFile.read(fixture("interlaced_rgb.png"), channels: 3)
        #expect(t.shape == [3, 7, 9])
        var pixels: [[Int]] = []
        for y in 0..<7 { for x in 0..<9 { pixels.append([28 * x, 40 * y, (7 * x * y) % 256]) } }
        #expect(t.scalars == planar(pixels, channels: 3))
        #expect(try ImageFile.size(fixture("interlaced_rgb.png")) == (width: 9, height: 7))
    }

    @Test func grayRoundTripIsExact() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var rng = SplitMix64(state: 1)
        let (h, w) = (5, 7)
        let values = (0..<(h * w)).map { _ in Float(Int.random(in: 0...255, using: &rng)) / 255 }
        let path = folder.file("gray.png")
        try ImageFile.writePNG(Tensor(shape: [1, h, w], values: values), to: path)
        let back = try ImageFile.read(path, channels: 1)
        #expect(back.shape == [1, h, w])
        #expect(back.scalars == values)
        #expect(try ImageFile.size(path) == (width: w, height: h))
    }

    @Test func rgbRoundTripIsExactAndConvertsToPILGray() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var rng = SplitMix64(state: 2)
        let (h, w) = (4, 6)
        let levelsRGB = (0..<(3 * h * w)).map { _ in Int.random(in: 0...255, using: &rng) }
        let values = levelsRGB.map { Float($0) / 255 }
        let path = folder.file("rgb.png")
        try ImageFile.writePNG(Tensor(shape: [3, h, w], values: values), to: path)
        #expect(try ImageFile.read(path, channels: 3).scalars == values)
        // channels 1: PIL's convert('L'), which is within half a level of 0.299 R + 0.587 G + 0.114 B.
        let gray = try ImageFile.read(path, channels: 1)
        let plane = h * w
        for i in 0..<plane {
            let (r, g, b) = (levelsRGB[i], levelsRGB[plane + i], levelsRGB[2 * plane + i])
            #expect(gray.scalars[i] == Float(pilLuma(r, g, b)) / 255)
            let exact = 0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)
            #expect(abs(Double(gray.scalars[i] * 255) - exact) <= 0.5 + 1e-3)
        }
    }

    @Test func writeClampsAndRounds() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("clamp.png")
        // -0.5 → 0, 1.7 → 255, NaN → 0, 0.62 → round(158.1) = 158, 0.2 → 51, 1 → 255.
        try ImageFile.writePNG(Tensor(shape: [1, 1, 6], values: [-0.5, 1.7, .nan, 0.62, 0.2, 1]), to: path)
        #expect(levels(try ImageFile.read(path, channels: 1)) == [0, 255, 0, 158, 51, 255])
    }

    @Test func writeIsAtomicAndLeavesNoTemporaryFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("plot.png")
        try writeBytes(Array("old".utf8), to: path)
        // RGBA pixels for plots: read back as RGB (alpha dropped).
        let pixels: [UInt8] = [255, 0, 0, 255, 0, 255, 0, 0]
        try ImageFile.writePNG(pixels: pixels, width: 2, height: 1, channels: 4, to: path)
        #expect(try ImageFile.read(path, channels: 3).scalars == planar([[255, 0, 0], [0, 255, 0]], channels: 3))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["plot.png"])
        // A failing write (wrong byte count) leaves the old file alone and no temporary file.
        #expect(throws: CodecError.self) {
            try ImageFile.writePNG(pixels: [1, 2, 3], width: 2, height: 1, channels: 3, to: path)
        }
        #expect(try ImageFile.read(path, channels: 3).shape == [3, 1, 2])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["plot.png"])
    }

    @Test func writeIntoMissingFolderSaysSo() throws {
        let error = #expect(throws: CodecError.self) {
            try ImageFile.writePNG(Tensor(shape: [1, 2, 2]), to: "/nonexistent-folder-xyz/out.png")
        }
        #expect(error?.description.contains("/nonexistent-folder-xyz/out.png") == true)
        #expect(error?.description.contains("does not exist") == true)
    }

    @Test func batchOfOneIsAccepted() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("batch.png")
        try ImageFile.writePNG(Tensor(shape: [1, 3, 2, 2], repeating: 1), to: path)
        #expect(try ImageFile.read(path, channels: 3).scalars == [Float](repeating: 1, count: 12))
        #expect(throws: CodecError.self) { try ImageFile.writePNG(Tensor(shape: [2, 3, 3]), to: path) }
    }

    @Test func formatIsChosenByContentNotExtension() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let pngNamedJPG = folder.file("really-a-png.jpg")
        try writeBytes(try bytes(fixture("gray_alpha.png")), to: pngNamedJPG)
        #expect(try ImageFile.read(pngNamedJPG, channels: 1).scalars == [10, 128, 250].map { Float($0) / 255 })
        let jpgNamedPNG = folder.file("really-a-jpeg.png")
        try writeBytes(try bytes(fixture("colors.jpg")), to: jpgNamedPNG)
        #expect(try ImageFile.size(jpgNamedPNG) == (width: 32, height: 16))
    }

    @Test func imageFileNames() {
        for name in ["a.png", "B.PNG", "c.jpg", "d.JPEG", "dir/e.Jpg", "f.jpeg"] {
            #expect(ImageFile.isImageFileName(name), "\(name)")
        }
        for name in ["a.txt", "png", ".png", "a.png.txt", "._a.jpg", "a.gif", "a.", "README"] {
            #expect(!ImageFile.isImageFileName(name), "\(name)")
        }
    }
}
