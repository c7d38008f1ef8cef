import Foundation
import Testing
import Tensor
@testable import Codecs

/// TIFF through libtiff. Oracle: files written by tifffile (Scripts/pytorch/make_tiff_fixtures.py), an
/// independent writer, whose pixel values follow a formula recomputed here.
@Suite("TIFF")
struct TIFFTests {
    /// Sample (c, y, x) of the fixtures: (x·37 + y·101 + c·59)·97 mod 2^bits, images 13×7.
    static func expected(channels: Int, bits: Int) -> [Float] {
        let top = Float((1 << bits) - 1), modulus = 1 << bits
        var out: [Float] = []
        for c in 0..<channels {
            for y in 0..<7 {
                for x in 0..<13 {
                    let v: Int = ((x * 37 + y * 101 + c * 59) * 97) % modulus
                    out.append(Float(v) / top)
                }
            }
        }
        return out
    }

    func read(_ name: String, channels: Int? = nil) throws -> (Tensor, Int) {
        let path = fixture("tiff/" + name)
        let (image, depth) = try ImageFile.readWithDepth(path, channels: channels ?? (name.hasPrefix("gray") ? 1 : 3))
        return (image, depth)
    }

    @Test("16-bit RGB (deflate, planar, big-endian) and 16-bit gray tiles keep all 16 bits",
          arguments: ["rgb16_deflate.tif", "rgb16_planar.tif", "rgb16_bigendian.tif", "gray16_tiled.tif"])
    func sixteenBits(_ name: String) throws {
        let (image, depth) = try read(name)
        let channels = name.hasPrefix("gray") ? 1 : 3
        #expect(image.shape == [channels, 7, 13] && depth == 16)
        #expect(image.scalars == Self.expected(channels: channels, bits: 16), "\(name)")
        #expect(try ImageFile.info(fixture("tiff/" + name)) == (width: 13, height: 7, bitDepth: 16))
    }

    @Test("8-bit gray, min-is-white (inverted), RGB with alpha (dropped), tiled planes")
    func eightBits() throws {
        #expect(try read("gray8.tif").0.scalars == Self.expected(channels: 1, bits: 8))
        #expect(try read("gray8_miniswhite.tif").0.scalars == Self.expected(channels: 1, bits: 8).map { (255 - ($0 * 255).rounded()) / 255 })
        let (rgba, depth) = try read("rgba8.tif")
        #expect(rgba.scalars == Self.expected(channels: 3, bits: 8) && depth == 8)
        #expect(try read("rgb8_tiled_planar.tif").0.scalars == Self.expected(channels: 3, bits: 8))
        // Gray from RGB: PIL's luma, on 16-bit samples too.
        let gray = try read("rgb16_deflate.tif", channels: 1).0
        let rgb = Self.expected(channels: 3, bits: 16).map { Int(($0 * 65535).rounded()) }
        let luma = (0..<91).map { (i: Int) -> Float in
            let weighted: Int = rgb[i] * 19595 + rgb[91 + i] * 38470 + rgb[182 + i] * 7471 + 0x8000
            return Float(weighted >> 16) / 65535
        }
        #expect(gray.scalars == luma)
    }

    @Test("a palette TIFF is read through libtiff's RGBA path: its colours")
    func palette() throws {
        let (image, depth) = try read("palette8.tif")
        #expect(depth == 8 && image.shape == [3, 7, 13])
        let index = Self.expected(channels: 1, bits: 8).map { Int(($0 * 255).rounded()) % 4 }
        let colours = [(0, 255, 0), (60, 205, 20), (120, 155, 40), (180, 105, 60)]
        var want: [Float] = []
        for c in 0..<3 {
            for i in index { want.append(Float(c == 0 ? colours[i].0 : c == 1 ? colours[i].1 : colours[i].2) / 255) }
        }
        #expect(image.scalars == want)
    }

    @Test("a floating-point TIFF is refused with the file and what to do")
    func floatingPoint() throws {
        let path = fixture("tiff/float32.tif")
        let error = #expect(throws: CodecError.self) { try ImageFile.read(path, channels: 1) }
        #expect(error?.description.contains(path) == true && error?.description.contains("floating-point samples") == true,
                "\(String(describing: error))")
    }

    @Test("writing 8- and 16-bit gray and RGB TIFFs and PNGs reads back the same values", arguments: [8, 16])
    func roundTrip(_ bits: Int) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let rgb = Tensor(shape: [3, 7, 13], values: Self.expected(channels: 3, bits: bits))
        let gray = Tensor(shape: [1, 7, 13], values: Self.expected(channels: 1, bits: bits))
        for format in ImageFile.WriteFormat.allCases {
            for image in [rgb, gray] {
                let path = folder.file("out\(image.shape[0]).\(format.fileExtension)")
                try ImageFile.write(image, to: path, format: format, bitDepth: bits)
                let (back, depth) = try ImageFile.readWithDepth(path, channels: image.shape[0])
                #expect(back.scalars == image.scalars && depth == bits, "\(format) \(bits)-bit \(image.shape[0]) channels")
            }
        }
    }

    /// Found by Scripts/fuzz-libfuzzer.sh: a 348-byte file declaring a 4109×132864 image (546 M samples) over 91
    /// bytes of strips, which made 4 GB of allocations before the strips were read.
    @Test("a header that declares more pixels than the file holds is refused before any allocation")
    func declaredTooLarge() throws {
        let path = fixture("tiff/bad_4109x132864.tif")
        let error = #expect(throws: CodecError.self) { try ImageFile.read(path, channels: 1) }
        #expect(error?.description.contains("4109×132864 image needs more pixel data than the file holds") == true,
                "\(String(describing: error))")
    }

    @Test("a truncated TIFF and a TIFF header without an image are refused with the file's name")
    func corrupt() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let whole = try bytes(fixture("tiff/rgb16_deflate.tif"))
        for (name, data) in [("cut.tif", Array(whole.prefix(whole.count / 2))), ("header.tif", [0x49, 0x49, 42, 0, 8, 0, 0, 0])] {
            let path = folder.file(name)
            try writeBytes(data, to: path)
            let error = #expect(throws: CodecError.self) { try ImageFile.read(path, channels: 3) }
            #expect(error?.path == path, "\(name): \(String(describing: error))")
        }
    }
}
