import CTurboJPEG
import Foundation
import Testing
import Tensor
@testable import Codecs

/// JPEG decoding.
///
/// Oracle: the flat colours the fixture script fed to cjpeg (quality 95, 4:4:4): left half (200, 40, 40),
/// right half (30, 90, 220) for colors.jpg; 64 | 192 for gray.jpg. Tolerance: 4 levels (4/255) at pixels
/// at least 4 pixels from the colour edge, where JPEG's ringing is small at quality 95.
@Suite struct JPEGTests {
    static let tolerance: Float = 4 / 255

    func near(_ a: Float, _ level: Int) -> Bool { abs(a - Float(level) / 255) <= Self.tolerance }

    @Test func colourFixtureDecodes() throws {
        let path = fixture("colors.jpg")
        #expect(try ImageFile.size(path) == (width: 32, height: 16))
        let t = try ImageFile.read(path, channels: 3)
        #expect(t.shape == [3, 16, 32])
        for (x, rgb) in [(4, [200, 40, 40]), (27, [30, 90, 220])] {
            for y in [2, 8, 13] {
                for c in 0..<3 {
                    #expect(near(t[c, y, x], rgb[c]), "pixel (\(x), \(y)) channel \(c): \(t[c, y, x] * 255) vs \(rgb[c])")
                }
            }
        }
        // All values are levels k/255 (decoded 8-bit samples).
        #expect(t.scalars.allSatisfy { ($0 * 255).rounded() == $0 * 255 && $0 >= 0 && $0 <= 1 })
    }

    @Test func colourFixtureToGrayUsesPILLuma() throws {
        let rgb = try ImageFile.read(fixture("colors.jpg"), channels: 3)
        let gray = try ImageFile.read(fixture("colors.jpg"), channels: 1)
        #expect(gray.shape == [1, 16, 32])
        // Oracle: PIL's convert('L') applied to the decoded RGB levels; exact.
        for y in 0..<16 {
            for x in 0..<32 {
                let (r, g, b) = (Int(rgb[0, y, x] * 255), Int(rgb[1, y, x] * 255), Int(rgb[2, y, x] * 255))
                #expect(gray[0, y, x] == Float(pilLuma(r, g, b)) / 255)
            }
        }
        #expect(near(gray[0, 8, 4], pilLuma(200, 40, 40)))
    }

    @Test func grayscaleJPEGDecodes() throws {
        let path = fixture("gray.jpg")
        #expect(try ImageFile.size(path) == (width: 16, height: 16))
        let t = try ImageFile.read(path, channels: 1)
        #expect(t.shape == [1, 16, 16])
        #expect(near(t[0, 8, 2], 64) && near(t[0, 8, 13], 192))
        // channels 3 replicates gray exactly.
        let rgb = try ImageFile.read(path, channels: 3)
        #expect(rgb.shape == [3, 16, 16])
        let plane = Array(t.scalars)
        #expect(Array(rgb.scalars[0..<256]) == plane)
        #expect(Array(rgb.scalars[256..<512]) == plane)
        #expect(Array(rgb.scalars[512..<768]) == plane)
    }

    @Test func truncatedJPEGIsAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // A 64×64 noise JPEG (so the entropy-coded data is most of the file), cut at 2/3.
        let full = try compress(width: 64, height: 64, format: TJPF_RGB, seed: 3)
        let path = folder.file("cut.jpg")
        try writeBytes(Array(full.prefix(full.count * 2 / 3)), to: path)
        let error = #expect(throws: CodecError.self) { try ImageFile.read(path, channels: 3) }
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("truncated or corrupt") == true)
        // The uncut file decodes (the failure is the truncation, not the encoder).
        try writeBytes(full, to: path)
        #expect(try ImageFile.read(path, channels: 3).shape == [3, 64, 64])
    }

    @Test func headerOnlyJPEGIsAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("soi.jpg")
        try writeBytes([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00], to: path)
        let error = #expect(throws: CodecError.self) { try ImageFile.read(path, channels: 3) }
        #expect(error?.description.contains(path) == true)
        #expect(throws: CodecError.self) { try ImageFile.size(path) }
    }

    /// Oracle: PIL (the reference's reader) on a CMYK JPEG it wrote itself (Adobe marker, inverted samples):
    /// Scripts/pytorch/make_cmyk_fixtures.py stores its `convert('RGB')` beside it.
    @Test func cmykJPEGConvertedAsPIL() throws {
        let jpeg = try ImageFile.read(fixture("cmyk_adobe.jpg")), pil = try ImageFile.read(fixture("cmyk_adobe_pil.png"))
        #expect(jpeg.shape == [3, 8, 16] && pil.shape == [3, 8, 16])
        let worst = zip(levels(jpeg), levels(pil)).map { abs($0 - $1) }.max() ?? 255
        print("CMYK JPEG: largest difference from PIL's RGB \(worst) levels")
        #expect(worst < 0.01)
        #expect(try ImageFile.size(fixture("cmyk_adobe.jpg")) == (width: 16, height: 8))
    }

    @Test("CMYK to RGB: PIL's formula, by hand; samples inverted with or without an Adobe marker, as PIL")
    func cmykFormula() throws {
        // n = 255 − K; R = n − round(C·n/255): C 0 K 0 → 255, C 255 → 0, C 128 K 64 → 191 − 96 = 95.
        #expect(JPEG.rgbFromCMYK([0, 255, 128, 0, 128, 128, 128, 64], inverted: false) == [255, 0, 127, 95, 95, 95])
        #expect(JPEG.rgbFromCMYK([255, 0, 127, 255], inverted: true) == [255, 0, 127])
        // Inverted with or without the Adobe marker, as PIL: the same file with its APP14 segment cut out
        // decodes to the same colours.
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let marked = try bytes(fixture("cmyk_adobe.jpg"))   // PIL's: plain CMYK (transform 0) and an Adobe marker
        var i = 2, unmarked = marked
        while i + 4 <= marked.count, marked[i] == 0xFF, marked[i + 1] != 0xDA {
            let length = Int(marked[i + 2]) << 8 | Int(marked[i + 3])
            if marked[i + 1] == 0xEE { unmarked.removeSubrange(i..<(i + 2 + length)); break }
            i += 2 + length
        }
        #expect(unmarked.count < marked.count, "the file has an APP14 segment to cut")
        try writeBytes(marked, to: folder.file("marked.jpg"))
        try writeBytes(unmarked, to: folder.file("unmarked.jpg"))
        let a = try ImageFile.read(folder.file("marked.jpg"), channels: 3), b = try ImageFile.read(folder.file("unmarked.jpg"), channels: 3)
        #expect(a.shape == [3, 8, 16] && a.scalars == b.scalars)
    }

    /// A JPEG of pseudo-random pixels made with TurboJPEG (quality 90, 4:4:4).
    func compress(width: Int, height: Int, format: TJPF, seed: UInt64) throws -> [UInt8] {
        let channels = format == TJPF_CMYK ? 4 : 3
        var rng = SplitMix64(state: seed)
        let pixels = (0..<(width * height * channels)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        guard let handle = tjInitCompress() else { throw CodecError(path: "-", message: "tjInitCompress failed") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue),
                        &buffer, &size, Int32(TJSAMP_444.rawValue), 90, 0)
        }
        guard status == 0, let buffer else {
            throw CodecError(path: "-", message: "tjCompress2 failed: \(String(cString: tjGetErrorStr2(handle)))")
        }
        defer { tjFree(buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }
}
