import Foundation

/// Windows bitmaps, as PIL reads them for the reference: uncompressed 1, 4 and 8 bits with a palette, 16 bits
/// (5-5-5, or bit fields of contiguous bits), 24 bits, 32 bits (BGRX, or bit fields); bottom-up or top-down; every header
/// version (core, info, v2–v5). A palette of grays gives a gray image, as PIL's mode L; alpha is dropped.
/// RLE compression is refused with advice. Parsed defensively: the pixel rows must be in the file.
enum BMP {
    static func isSignature(_ head: [UInt8]) -> Bool { head.count >= 2 && head[0] == 0x42 && head[1] == 0x4D }   // "BM"

    static func decode(_ path: String) throws -> DecodedImage {
        try decode(try ImageFile.readAll(path), path: path)
    }

    static func decode(_ b: [UInt8], path: String) throws -> DecodedImage {
        func bad(_ why: String) -> CodecError {
            CodecError(path: path, message: "is not a readable BMP image (\(why)); replace or remove it")
        }
        func u16(_ o: Int) throws -> Int {
            guard o >= 0, o + 2 <= b.count else { throw bad("truncated header") }
            return Int(b[o]) | Int(b[o + 1]) << 8
        }
        func u32(_ o: Int) throws -> Int {
            guard o >= 0, o + 4 <= b.count else { throw bad("truncated header") }
            return Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24
        }
        guard isSignature(b) else { throw bad("no BM signature") }
        let dataOffset = try u32(10), headerSize = try u32(14)
        let width: Int, rawHeight: Int, bpp: Int, compression: Int, colorsUsed: Int
        if headerSize == 12 {
            (width, rawHeight, bpp, compression, colorsUsed) = (try u16(18), try u16(20), try u16(24), 0, 0)
        } else if [40, 52, 56, 64, 108, 124].contains(headerSize) {
            width = try u32(18)
            let h = try u32(22)
            rawHeight = h >= 1 << 31 ? h - (1 << 32) : h
            (bpp, compression, colorsUsed) = (try u16(28), try u32(30), try u32(46))
        } else {
            throw bad("a header of \(headerSize) bytes")
        }
        let height = abs(rawHeight), topDown = rawHeight < 0
        guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24 else { throw bad("size \(width)×\(rawHeight)") }
        if compression == 1 || compression == 2 { throw bad("RLE compression, which this reader does not decode: save it as PNG") }
        guard compression == 0 || (compression == 3 && (bpp == 16 || bpp == 32)) else {
            throw bad("compression \(compression) with \(bpp) bits a pixel")
        }

        // Channel masks: the defaults, or bit fields (inside v2+ headers, else right after the info header).
        var masks: [Int] = bpp == 16 ? [0x7C00, 0x03E0, 0x001F] : [0xFF_0000, 0x00_FF00, 0x00_00FF]
        if compression == 3 {
            let at = 14 + 40
            masks = [try u32(at), try u32(at + 4), try u32(at + 8)]
            guard masks.allSatisfy({ $0 != 0 }) else { throw bad("an empty colour mask") }
        }
        // The palette, for 1, 4 and 8 bits.
        var palette: [(UInt8, UInt8, UInt8)] = []
        if bpp <= 8 {
            guard [1, 4, 8].contains(bpp) else { throw bad("\(bpp) bits a pixel") }
            let entry = headerSize == 12 ? 3 : 4, start = 14 + headerSize
            let count = colorsUsed == 0 ? 1 << bpp : colorsUsed
            guard count <= 1 << bpp, start + count * entry <= b.count else { throw bad("a palette outside the file") }
            palette = (0..<count).map { (b[start + $0 * entry + 2], b[start + $0 * entry + 1], b[start + $0 * entry]) }
        } else {
            guard [16, 24, 32].contains(bpp) else { throw bad("\(bpp) bits a pixel") }
        }
        let rowBytes = (width * bpp + 31) / 32 * 4
        guard dataOffset >= 14, dataOffset <= b.count, rowBytes * height <= b.count - dataOffset else {
            throw bad("truncated: \(width)×\(height) at \(bpp) bits needs \(rowBytes * height) bytes of pixels")
        }
        let gray = !palette.isEmpty && palette.allSatisfy { $0.0 == $0.1 && $0.1 == $0.2 }
        let channels = gray ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        /// A channel from its bit-field mask, widened to 8 bits by repeating its bits (5 bits v → v·8 + v/4), as
        /// PIL does; wider fields keep their top 8 bits.
        func field(_ value: Int, _ mask: Int) -> UInt8 {
            let shift = mask.trailingZeroBitCount, bits = (mask >> shift).nonzeroBitCount
            let v = (value & mask) >> shift
            var r = 0, filled = 0
            while filled < 8 { r = r << bits | v; filled += bits }
            return UInt8(truncatingIfNeeded: r >> (filled - 8))
        }
        for y in 0..<height {
            let row = dataOffset + (topDown ? y : height - 1 - y) * rowBytes
            for x in 0..<width {
                var rgb: (UInt8, UInt8, UInt8)
                switch bpp {
                case 1, 4, 8:
                    let bit = x * bpp, byte = Int(b[row + bit / 8])
                    let index = (byte >> (8 - bpp - bit % 8)) & ((1 << bpp) - 1)
                    guard index < palette.count else { throw bad("a pixel beyond its \(palette.count)-colour palette") }
                    rgb = palette[index]
                case 16:
                    let v = Int(b[row + 2 * x]) | Int(b[row + 2 * x + 1]) << 8
                    rgb = (field(v, masks[0]), field(v, masks[1]), field(v, masks[2]))
                case 24:
                    rgb = (b[row + 3 * x + 2], b[row + 3 * x + 1], b[row + 3 * x])
                default:   // 32
                    let o = row + 4 * x
                    let v = Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24
                    rgb = (field(v, masks[0]), field(v, masks[1]), field(v, masks[2]))
                }
                let p = (y * width + x) * channels
                if gray { pixels[p] = rgb.0 } else { pixels[p] = rgb.0; pixels[p + 1] = rgb.1; pixels[p + 2] = rgb.2 }
            }
        }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }
}
