import Foundation
import Testing
import Tensor
@testable import Codecs

/// PGM and PPM (the reference reads them through PIL). Oracle: the values PIL 13 gives for the same bytes
/// (8-bit maxval < 255 scaled by v·255/maxval rounded half up: 1/100 → 3, 50/100 → 128).
@Suite struct PNMTests {
    func levels(_ t: Tensor) -> [Int] { t.scalars.map { Int(($0 * 255).rounded()) } }

    func write(_ bytes: [UInt8], _ name: String, in folder: TemporaryFolder) throws -> String {
        let path = folder.file(name)
        try writeBytes(bytes, to: path)
        return path
    }

    @Test("binary and text PGM with maxval 100 read as PIL reads them; comments in the header are skipped")
    func grayMaxval() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        for bytes in [Array("P5 4 1 100\n".utf8) + [0, 1, 50, 100], Array("P2\n# a comment\n4 1\n100\n0 1 50\n100\n".utf8)] {
            let path = try write(bytes, "g.pgm", in: folder)
            #expect(try ImageFile.size(path) == (width: 4, height: 1))
            let t = try ImageFile.read(path)
            #expect(t.shape == [1, 1, 4] && levels(t) == [0, 3, 128, 255])
        }
    }

    @Test("PPM (P6 and P3) is RGB; read as gray it is PIL's luma")
    func colour() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let pixels: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let text = "P3 2 2 255 " + pixels.map(String.init).joined(separator: " ")
        for bytes in [Array("P6 2 2 255\n".utf8) + pixels, Array(text.utf8)] {
            let path = try write(bytes, "c.ppm", in: folder)
            let t = try ImageFile.read(path)
            #expect(t.shape == [3, 2, 2])
            #expect(levels(t) == [255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30])   // planes R, G, B
            #expect(levels(try ImageFile.read(path, channels: 1)) == [76, 150, 29, 18])
        }
    }

    @Test("16-bit PGM (maxval 1000) is scaled to 16 bits with rounding, and kept as 16-bit PNGs are")
    func sixteenBit() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try write(Array("P5 4 1 1000\n".utf8) + [0, 0, 0, 1, 1, 244, 3, 232], "w.pgm", in: folder)
        // 0, 1, 500, 1000 of 1000 → round(v·65535/1000) = 0, 66, 32768, 65535.
        let (image, depth) = try ImageFile.readWithDepth(path, channels: 1)
        #expect(image.scalars == [0, 66, 32768, 65535].map { Float($0) / 65535 } && depth == 16)
    }

    @Test("bad PGM/PPM files: one error naming the file, no allocation sized by the header",
          arguments: [("P6 2 2 255\n\u{1}\u{2}", "truncated"), ("P5 2 1 100\n\u{0}\u{C8}", "above its maxval 100"),
                      ("P5 2 1 0\n\u{0}\u{0}", "maxval 0"), ("P6 0 4 255\n", "size 0×4"), ("P6 abc", "not a number"),
                      ("P5 16777216 16777216 255\n\u{0}", "truncated"), ("P5 99999999999 1 255\n", "beyond 16777216"),
                      ("P3 2 1 255 1 2 3", "fewer values"), ("P6 2", "ends inside its header")])
    func badFiles(_ contents: String, _ message: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try write(Array(contents.utf8), "bad.ppm", in: folder)
        #expect { try ImageFile.read(path) } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(path) && text.contains(message) && text.contains("replace or remove it")
        }
    }

    @Test("a folder of .ppm/.pgm files is a folder of images")
    func names() {
        #expect(ImageFile.isImageFileName("a/x.PPM") && ImageFile.isImageFileName("y.pgm") && ImageFile.isImageFileName("z.pnm"))
    }
}
