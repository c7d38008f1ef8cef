import Foundation
import Testing
import Tensor
@testable import Codecs

/// BMP (the reference reads it through PIL). Files PIL writes (24-bit, 8-bit gray, 8-bit palette, 1-bit,
/// 32-bit) were checked to decode exactly as PIL decodes them (see the stop note); here, hand-made files of
/// every kind with their expected pixels, the 16-bit ones as PIL 13 decodes them.
@Suite struct BMPTests {
    /// A BMP: 14-byte file header, a 40-byte info header (or 12-byte core), optional masks, palette, rows.
    static func bmp(width: Int, height: Int, bpp: Int, compression: Int = 0, core: Bool = false, masks: [UInt32] = [],
                    palette: [[UInt8]] = [], rows: [[UInt8]]) -> [UInt8] {
        func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var header: [UInt8] = []
        if core {
            for (v, n) in [(12, 4), (width, 2), (height, 2), (1, 2), (bpp, 2)] { header += le(v, n) }
        } else {
            for (v, n) in [(40, 4), (width, 4), (height, 4), (1, 2), (bpp, 2), (compression, 4), (0, 4), (0, 4), (0, 4),
                           (palette.count, 4), (0, 4)] { header += le(v, n) }
        }
        var extra: [UInt8] = masks.flatMap { le(Int($0), 4) }
        for entry in palette { extra += core ? [entry[2], entry[1], entry[0]] : [entry[2], entry[1], entry[0], 0] }
        var pixels: [UInt8] = []
        for row in rows { pixels += row + [UInt8](repeating: 0, count: (4 - row.count % 4) % 4) }
        let offset = 14 + header.count + extra.count
        var file: [UInt8] = [0x42, 0x4D]
        file += le(offset + pixels.count, 4)
        file += le(0, 4)
        file += le(offset, 4)
        return file + header + extra + pixels
    }

    func read(_ bytes: [UInt8]) throws -> Tensor {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try writeBytes(bytes, to: folder.file("x.bmp"))
        #expect(ImageFile.isImageFileName("x.bmp"))
        return try ImageFile.read(folder.file("x.bmp"))
    }

    func levels(_ t: Tensor) -> [Int] { t.scalars.map { Int(($0 * 255).rounded()) } }

    @Test("24-bit bottom-up rows (padded to 4 bytes) and top-down (negative height) give the same image")
    func truecolour() throws {
        let top: [UInt8] = [30, 20, 10, 60, 50, 40, 90, 80, 70], bottom: [UInt8] = [3, 2, 1, 6, 5, 4, 9, 8, 7]   // BGR
        let up = try read(Self.bmp(width: 3, height: 2, bpp: 24, rows: [bottom, top]))
        let down = try read(Self.bmp(width: 3, height: -2, bpp: 24, rows: [top, bottom]))
        #expect(up.shape == [3, 2, 3] && up.scalars == down.scalars)
        #expect(levels(up) == [10, 40, 70, 1, 4, 7, 20, 50, 80, 2, 5, 8, 30, 60, 90, 3, 6, 9])
    }

    @Test("16 bits: 5-5-5 by default and 5-6-5 bit fields, widened by repeating bits as PIL does")
    func sixteenBit() throws {
        let rgb555 = try read(Self.bmp(width: 2, height: 1, bpp: 16, rows: [[0x01, 0x7C, 0xE0, 0x03]]))
        #expect(levels(rgb555) == [255, 0, 0, 255, 8, 0])   // PIL: (255, 0, 8), (0, 255, 0)
        let rgb565 = try read(Self.bmp(width: 2, height: 1, bpp: 16, compression: 3, masks: [0xF800, 0x07E0, 0x001F],
                                       rows: [[0x00, 0xF8, 0x20, 0x00]]))
        #expect(levels(rgb565) == [255, 0, 0, 4, 0, 0])   // 0x0020: green 1 of 63 → 4
    }

    @Test("palettes: 4 bits in colour, 1 bit of grays (a gray image, as PIL's mode 1/L), in a core header too")
    func palettes() throws {
        let four = try read(Self.bmp(width: 3, height: 1, bpp: 4, palette: [[255, 0, 0], [0, 0, 255], [9, 9, 9]],
                                     rows: [[0x01, 0x20]]))
        #expect(four.shape == [3, 1, 3] && levels(four) == [255, 0, 9, 0, 0, 9, 0, 255, 9])
        let one = try read(Self.bmp(width: 10, height: 1, bpp: 1, core: true, palette: [[0, 0, 0], [255, 255, 255]],
                                    rows: [[0b1010_0000, 0b1100_0000]]))
        #expect(one.shape == [1, 1, 10] && levels(one) == [255, 0, 255, 0, 0, 0, 0, 0, 255, 255])
    }

    @Test("bad BMPs: one error naming the file, with advice; nothing sized by the header")
    func bad() throws {
        let cases: [([UInt8], String)] = [
            (Self.bmp(width: 2, height: 1, bpp: 8, compression: 1, palette: [[0, 0, 0]], rows: [[0, 0]]), "RLE compression"),
            (Array(Self.bmp(width: 4, height: 4, bpp: 24, rows: [[1, 2, 3]]).prefix(60)), "truncated"),
            (Self.bmp(width: 2, height: 1, bpp: 8, palette: [[0, 0, 0], [1, 1, 1]], rows: [[0, 7]]), "beyond its 2-colour palette"),
            (Self.bmp(width: 1 << 20, height: 1 << 20, bpp: 24, rows: [[0, 0, 0]]), "truncated"),
            (Self.bmp(width: 0, height: 1, bpp: 24, rows: []), "size 0×1"),
            (Self.bmp(width: 1, height: 1, bpp: 7, rows: [[0]]), "7 bits a pixel"),
            (Array("BM".utf8), "truncated header"),
        ]
        for (bytes, message) in cases {
            #expect { try read(bytes) } throws: { error in
                let text = "\(error)"
                return text.contains("x.bmp is not a readable BMP image") && text.contains(message) && text.hasSuffix("replace or remove it")
            }
        }
    }
}
