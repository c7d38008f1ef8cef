import Foundation

/// Netpbm images, as PIL reads them for the reference: PGM (P2 text, P5 binary; gray) and PPM (P3, P6; RGB),
/// maxval 1…65535 (two bytes a sample, big-endian, above 255). Values up to maxval 255 are scaled to 8 bits with
/// rounding (v·255/maxval, as PIL); deeper ones to 16 bits (v·65535/maxval), kept as 16-bit PNGs are. The header is parsed defensively: the raster must be in the file, so no
/// allocation is larger than the file.
enum PNM {
    static func isSignature(_ head: [UInt8]) -> Bool {
        head.count >= 2 && head[0] == 0x50 && [0x32, 0x33, 0x35, 0x36].contains(head[1])   // P2 P3 P5 P6
    }

    static func decode(_ path: String) throws -> DecodedImage {
        try decode(try ImageFile.readAll(path), path: path)
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> DecodedImage {
        func bad(_ why: String) -> CodecError {
            CodecError(path: path, message: "is not a readable PGM/PPM image (\(why)); replace or remove it")
        }
        guard isSignature(bytes) else { throw bad("no P2, P3, P5 or P6 signature") }
        let text = bytes[1] == 0x32 || bytes[1] == 0x33
        let channels = bytes[1] == 0x33 || bytes[1] == 0x36 ? 3 : 1
        var i = 2, inRaster = false
        /// The next number of the header or of a text raster, skipping whitespace and # comments.
        func number() throws -> Int {
            while i < bytes.count {
                if bytes[i] == 0x23 {   // '#': to the end of the line
                    while i < bytes.count && bytes[i] != 0x0A && bytes[i] != 0x0D { i += 1 }
                } else if [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains(bytes[i]) {
                    i += 1
                } else { break }
            }
            var value = 0, digits = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                value = value * 10 + Int(bytes[i] - 0x30)
                digits += 1; i += 1
                if value > 1 << 24 { throw bad("a number beyond 16777216") }
            }
            if digits == 0 {
                if i < bytes.count { throw bad(inRaster ? "a pixel value that is not a number" : "a header field that is not a number") }
                throw bad(inRaster ? "fewer values than its size needs" : "it ends inside its header")
            }
            return value
        }
        let width = try number(), height = try number(), maxval = try number()
        guard width > 0, height > 0 else { throw bad("size \(width)×\(height)") }
        guard (1...65535).contains(maxval) else { throw bad("maxval \(maxval), not 1–65535") }
        let samples = width * height * channels   // ≤ 2⁴⁸·3: no overflow
        let wide = maxval > 255
        var raw = [Int]()
        if text {
            guard samples <= bytes.count - i else { throw bad("fewer values than its \(width)×\(height) size needs") }
            raw.reserveCapacity(samples)
            inRaster = true
            for _ in 0..<samples { raw.append(try number()) }
        } else {
            i += 1   // the single whitespace after maxval
            let need = samples * (wide ? 2 : 1)
            guard i <= bytes.count, need <= bytes.count - i else {
                throw bad("truncated: \(width)×\(height) needs \(need) bytes of pixels, the file has \(max(0, bytes.count - i))")
            }
            raw = wide ? (0..<samples).map { Int(bytes[i + 2 * $0]) << 8 | Int(bytes[i + 2 * $0 + 1]) }
                       : (0..<samples).map { Int(bytes[i + $0]) }
        }
        guard raw.allSatisfy({ $0 <= maxval }) else { throw bad("a value above its maxval \(maxval)") }
        if wide {
            let samples = raw.map { UInt16(($0 * 65535 * 2 + maxval) / (2 * maxval)) }
            return DecodedImage(width: width, height: height, channels: channels, pixels: [], wide: samples)
        }
        let pixels = maxval == 255 ? raw.map { UInt8($0) } : raw.map { UInt8(($0 * 255 * 2 + maxval) / (2 * maxval)) }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }
}
