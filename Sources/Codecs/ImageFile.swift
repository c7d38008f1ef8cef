import CShims
import Foundation
import Tensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing images as tensors [channels, height, width] with values in [0, 1].
public enum ImageFile {
    /// zlib level for writing PNGs: level 1 writes ≈ 4× faster than the default 6 for slightly larger files.
    static let pngCompressionLevel: Int32 = 1

    /// Reads a PNG (8/16-bit; gray, gray+alpha, RGB, RGBA, palette, with tRNS), JPEG (gray, RGB, CMYK), TIFF (8/16-bit),
    /// BMP or PGM/PPM (by content, not extension: check the magic bytes) as a tensor [channels, height, width] with
    /// values in [0, 1]: k/255 for 8-bit images, k/65535 for 16-bit ones (all 16 bits kept).
    /// channels 1: colour images are converted to gray (ITU-R 601 luma, as PIL's convert('L') does, with its
    /// rounding: L = (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16, i.e. R·0.299 + G·0.587 + B·0.114 rounded);
    /// channels 3: gray is replicated. Alpha is dropped (not composited).
    public static func read(_ path: String, channels: Int) throws -> Tensor {
        try readWithDepth(path, channels: channels).image
    }

    /// `read`, and the file's bits per sample (8, or 16 for 16-bit PNG, TIFF and PGM/PPM): what a translation
    /// of it is written with.
    public static func readWithDepth(_ path: String, channels: Int) throws -> (image: Tensor, bitDepth: Int) {
        guard channels == 1 || channels == 3 else {
            throw CodecError(path: path, message: "cannot be read with \(channels) channels: ask for 1 (gray) or 3 (RGB)")
        }
        let decoded = try decode(path)
        return (decoded.tensor(channels: channels), decoded.bitDepth)
    }

    /// The image in its own colours: 1 channel for gray (and gray + alpha), 3 for colour (RGB, RGBA, palette).
    public static func read(_ path: String) throws -> Tensor {
        let decoded = try decode(path)
        return decoded.tensor(channels: decoded.channels)
    }

    private static func decode(_ path: String) throws -> DecodedImage {
        switch try sniff(path) {
        case .png: return try readPNGPixels(path)
        case .jpeg: return try JPEG.decode(path)
        case .pnm: return try PNM.decode(path)
        case .bmp: return try BMP.decode(path)
        case .tiff: return try readTIFFPixels(path)
        }
    }

    /// (width, height) of an image without decoding pixels (PNG IHDR / tjDecompressHeader3 / TIFF tags).
    public static func size(_ path: String) throws -> (width: Int, height: Int) {
        let i = try info(path)
        return (i.width, i.height)
    }

    /// Width, height and bits per sample (8 or 16: what `read` keeps) of an image, from its header where the
    /// format has one.
    public static func info(_ path: String) throws -> (width: Int, height: Int, bitDepth: Int) {
        var message = [CChar](repeating: 0, count: 512)
        var width: Int32 = 0, height: Int32 = 0, depth: Int32 = 0
        switch try sniff(path) {
        case .png:
            let code = cshim_png_read_size(path, &width, &height, &depth, &message, message.count)
            if code != CSHIM_PNG_OK { throw pngError(path, code: code, message: message) }
            return (Int(width), Int(height), depth == 16 ? 16 : 8)
        case .tiff:
            let code = cshim_tiff_read_size(path, &width, &height, &depth, &message, message.count)
            if code != CSHIM_PNG_OK { throw tiffError(path, code: code, message: message) }
            return (Int(width), Int(height), depth == 16 ? 16 : 8)
        case .jpeg:
            let s = try JPEG.size(path)
            return (s.width, s.height, 8)
        case .pnm, .bmp:
            let d = try decode(path)
            return (d.width, d.height, d.bitDepth)
        }
    }

    /// The image as `writePNG` stores it and `read` gives it back: each value rounded to k/255.
    public static func eightBit(_ image: Tensor) -> Tensor {
        image.map { DecodedImage.scale[Int(quantize($0))] }
    }

    /// The image files this tool writes.
    public enum WriteFormat: String, CaseIterable, Sendable {
        case png, tiff
        public var fileExtension: String { self == .png ? "png" : "tif" }
    }

    /// Writes [channels, H, W] (channels 1 or 3) values in [0, 1] (clamped, rounded) as an 8-bit PNG,
    /// gray or RGB. Written to a temporary file in the same folder and renamed into place, so a crash
    /// never leaves a half-written file. A [1, C, H, W] tensor (a batch of one) is accepted too.
    public static func writePNG(_ image: Tensor, to path: String) throws {
        try write(image, to: path, format: .png, bitDepth: 8)
    }

    /// Writes [channels, H, W] (channels 1 or 3) values in [0, 1] as a PNG or TIFF of 8 bits (values rounded to
    /// k/255) or 16 (k/65535), atomically as `writePNG`.
    public static func write(_ image: Tensor, to path: String, format: WriteFormat, bitDepth: Int) throws {
        var shape = image.shape
        if shape.count == 4 && shape[0] == 1 { shape.removeFirst() }
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3, shape[1] > 0, shape[2] > 0 else {
            throw CodecError(path: path, message: "was not written: an image tensor must be [1 or 3, H, W] with H, W > 0, not \(image.shape)")
        }
        guard bitDepth == 8 || bitDepth == 16 else {
            throw CodecError(path: path, message: "was not written: images are written with 8 or 16 bits, not \(bitDepth)")
        }
        let (c, h, w) = (shape[0], shape[1], shape[2])
        if bitDepth == 8 {
            let pixels: [UInt8] = interleaved(image, c, h * w, quantize)
            if format == .png { return try writePNG(pixels: pixels, width: w, height: h, channels: c, to: path) }
            return try writeSamples(pixels, path, w, h, c, 8, format)
        }
        let samples: [UInt16] = interleaved(image, c, h * w, quantize16)
        try writeSamples(samples, path, w, h, c, 16, format)
    }

    /// Planar [C, H·W] floats → interleaved samples.
    private static func interleaved<T: FixedWidthInteger>(_ image: Tensor, _ c: Int, _ plane: Int, _ q: (Float) -> T) -> [T] {
        var out = [T](repeating: 0, count: c * plane)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c {
                    for i in 0..<plane { dst[i &* c &+ ch] = q(src[ch &* plane &+ i]) }
                }
            }
        }
        return out
    }

    private static func writeSamples<T: FixedWidthInteger>(_ samples: [T], _ path: String, _ w: Int, _ h: Int, _ c: Int,
                                                           _ depth: Int, _ format: WriteFormat) throws {
        guard w <= Int(Int32.max), h <= Int(Int32.max) else {
            throw CodecError(path: path, message: "was not written: \(w)×\(h) is too large")
        }
        try AtomicFile.write(path) { temporary in
            var message = [CChar](repeating: 0, count: 512)
            let code = samples.withUnsafeBytes {
                format == .png
                    ? cshim_png_write(temporary, $0.baseAddress, Int32(w), Int32(h), Int32(c), Int32(depth),
                                      pngCompressionLevel, &message, message.count)
                    : cshim_tiff_write(temporary, $0.baseAddress, Int32(w), Int32(h), Int32(c), Int32(depth), &message, message.count)
            }
            if code != CSHIM_PNG_OK {
                throw CodecError(path: path, message: "could not be written: \(string(message))")
            }
        }
    }

    /// Writes interleaved 8-bit pixels (channels 1, 3 or 4) as PNG, same atomic write. For plots.
    public static func writePNG(pixels: [UInt8], width: Int, height: Int, channels: Int, to path: String) throws {
        guard channels == 1 || channels == 3 || channels == 4 else {
            throw CodecError(path: path, message: "was not written: channels must be 1, 3 or 4, not \(channels)")
        }
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw CodecError(path: path, message: "was not written: width and height must be positive, not \(width)×\(height)")
        }
        guard pixels.count == width * height * channels else {
            throw CodecError(path: path, message: "was not written: \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        }
        try AtomicFile.write(path) { temporary in
            var message = [CChar](repeating: 0, count: 512)
            let code = pixels.withUnsafeBufferPointer {
                cshim_png_write(temporary, $0.baseAddress, Int32(width), Int32(height), Int32(channels), 8,
                                pngCompressionLevel, &message, message.count)
            }
            if code != CSHIM_PNG_OK {
                throw CodecError(path: path, message: "could not be written: \(string(message))")
            }
        }
    }

    /// True when the file name has an image extension this reader handles (.png .jpg .jpeg .tif .tiff .bmp .ppm
    /// .pgm .pnm, any case).
    /// Hidden files (a leading dot, e.g. macOS "._x.jpg" resource forks) are not images.
    public static func isImageFileName(_ name: String) -> Bool {
        let base = name.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? name
        guard !base.hasPrefix("."), let dot = base.lastIndex(of: "."), dot != base.startIndex else { return false }
        switch base[base.index(after: dot)...].lowercased() {
        case "png", "jpg", "jpeg", "tif", "tiff", "ppm", "pgm", "pnm", "bmp": return true
        default: return false
        }
    }

    // MARK: - Internals

    enum Format { case png, jpeg, pnm, bmp, tiff }

    /// The format by magic bytes: PNG's 8-byte signature, JPEG's SOI + marker (FF D8 FF).
    static func sniff(_ path: String) throws -> Format {
        let head = try readPrefix(path, count: 8)
        if head.isEmpty { throw CodecError(path: path, message: "is empty (0 bytes): it is not a PNG, JPEG, TIFF, BMP, PGM or PPM image") }
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF { return .jpeg }
        if PNM.isSignature(head) { return .pnm }
        if BMP.isSignature(head) { return .bmp }
        // TIFF: "II" (little-endian) or "MM", then 42 (classic) or 43 (BigTIFF).
        if head.count >= 4 && ((head[0] == 0x49 && head[1] == 0x49 && (head[2] == 42 || head[2] == 43) && head[3] == 0)
                               || (head[0] == 0x4D && head[1] == 0x4D && head[2] == 0 && (head[3] == 42 || head[3] == 43))) {
            return .tiff
        }
        if head.count >= 4 && head.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            throw CodecError(path: path, message: "is truncated or corrupt: damaged PNG signature")
        }
        let hex = head.prefix(4).map { String(format: "%02X", $0) }.joined(separator: " ")
        throw CodecError(path: path, message: "is not a PNG, JPEG, TIFF, BMP, PGM or PPM image (it starts with bytes \(hex)); remove it or convert it")
    }

    /// Up to `count` first bytes of the file; errors name the reason (missing, a folder, permissions).
    static func readPrefix(_ path: String, count: Int) throws -> [UInt8] {
        let fd = posixOpen(path)
        if fd < 0 { throw openError(path, errno) }
        defer { posixClose(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw openError(path, errno)
            }
            if n == 0 { break }
            filled += n
        }
        return Array(bytes.prefix(filled))
    }

    /// The whole file (errors name the reason, as `read`'s).
    public static func readAll(_ path: String) throws -> [UInt8] {
        let fd = posixOpen(path)
        if fd < 0 { throw openError(path, errno) }
        defer { posixClose(fd) }
        var info = stat()
        var bytes = [UInt8]()
        if fstat(fd, &info) == 0 && info.st_size > 0 { bytes.reserveCapacity(Int(info.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { posixRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw openError(path, errno)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    static func openError(_ path: String, _ code: Int32) -> CodecError {
        switch code {
        case ENOENT: return CodecError(path: path, message: "does not exist")
        case EISDIR: return CodecError(path: path, message: "is a folder, not an image file")
        case EACCES: return CodecError(path: path, message: "cannot be read: permission denied")
        default: return CodecError(path: path, message: "cannot be read: \(String(cString: strerror(code)))")
        }
    }

    static func readPNGPixels(_ path: String) throws -> DecodedImage {
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0, depth: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let code = cshim_png_read(path, &pixels, &width, &height, &channels, nil, &depth, 1, &message, message.count)
        guard code == CSHIM_PNG_OK, let pixels else { throw pngError(path, code: code, message: message) }
        defer { cshim_free(pixels) }
        return DecodedImage(UnsafeRawPointer(pixels), width: Int(width), height: Int(height), channels: Int(channels),
                            bitDepth: depth == 16 ? 16 : 8)
    }

    static func readTIFFPixels(_ path: String) throws -> DecodedImage {
        var pixels: UnsafeMutableRawPointer? = nil
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0, depth: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let code = cshim_tiff_read(path, &pixels, &width, &height, &channels, &depth, &message, message.count)
        guard code == CSHIM_PNG_OK, let pixels else { throw tiffError(path, code: code, message: message) }
        defer { cshim_free(pixels) }
        return DecodedImage(UnsafeRawPointer(pixels), width: Int(width), height: Int(height), channels: Int(channels),
                            bitDepth: Int(depth))
    }

    static func tiffError(_ path: String, code: Int32, message: [CChar]) -> CodecError {
        let text = string(message)
        switch code {
        case CSHIM_PNG_CANNOT_OPEN: return CodecError(path: path, message: "cannot be read: \(text)")
        case CSHIM_PNG_NO_MEMORY: return CodecError(path: path, message: "cannot be decoded: \(text)")
        case CSHIM_UNSUPPORTED: return CodecError(path: path, message: text)
        default: return CodecError(path: path, message: "is truncated or corrupt (libtiff: \(text)); replace or remove it")
        }
    }

    static func pngError(_ path: String, code: Int32, message: [CChar]) -> CodecError {
        let text = string(message)
        switch code {
        case CSHIM_PNG_NOT_PNG:
            return CodecError(path: path, message: "is not a PNG or JPEG image (\(text))")
        case CSHIM_PNG_CANNOT_OPEN:
            return CodecError(path: path, message: "cannot be read: \(text)")
        case CSHIM_PNG_NO_MEMORY:
            return CodecError(path: path, message: "cannot be decoded: \(text)")
        default:
            return CodecError(path: path, message: "is truncated or corrupt: \(text); replace or remove it")
        }
    }

    static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { p in
            let n = p.firstIndex(of: 0) ?? p.count
            return String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<n]), as: UTF8.self)
        }
    }

    /// [0, 1] → 0…255, clamped and rounded; NaN → 0.
    @inline(__always) static func quantize(_ v: Float) -> UInt8 {
        guard v > 0 else { return 0 }
        guard v < 1 else { return 255 }
        return UInt8((v * 255).rounded())
    }

    /// [0, 1] → 0…65535, clamped and rounded; NaN → 0.
    @inline(__always) static func quantize16(_ v: Float) -> UInt16 {
        guard v > 0 else { return 0 }
        guard v < 1 else { return 65535 }
        return UInt16((Double(v) * 65535).rounded())
    }
}

// POSIX calls whose names ImageFile's own members (read) would shadow.
private func posixOpen(_ path: String) -> Int32 { open(path, O_RDONLY | O_CLOEXEC) }
private func posixClose(_ fd: Int32) { _ = close(fd) }
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

/// Decoded interleaved pixels, 1 (gray) or 3 (RGB) channels: 8-bit samples in `pixels`, or for a 16-bit file
/// 16-bit samples in `wide` (and `pixels` empty).
struct DecodedImage {
    var width: Int
    var height: Int
    var channels: Int
    var pixels: [UInt8]
    var wide: [UInt16]? = nil

    var bitDepth: Int { wide == nil ? 8 : 16 }

    init(width: Int, height: Int, channels: Int, pixels: [UInt8], wide: [UInt16]? = nil) {
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels; self.wide = wide
    }

    /// From a C buffer of width·height·channels samples of `bitDepth` bits (16: host-order uint16).
    init(_ buffer: UnsafeRawPointer, width: Int, height: Int, channels: Int, bitDepth: Int) {
        let count = width * height * channels
        if bitDepth == 16 {
            self.init(width: width, height: height, channels: channels, pixels: [],
                      wide: Array(UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt16.self), count: count)))
        } else {
            self.init(width: width, height: height, channels: channels,
                      pixels: Array(UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt8.self), count: count)))
        }
    }

    /// 0…255 → k/255 (correctly rounded float division).
    static let scale: [Float] = (0..<256).map { Float($0) / 255 }

    /// PIL's convert('L'): ITU-R 601 luma in 16-bit fixed point, rounded (the same weights for 16-bit samples).
    @inline(__always) static func luma<T: FixedWidthInteger & UnsignedInteger>(_ r: T, _ g: T, _ b: T) -> T {
        T(truncatingIfNeeded: (UInt64(r) &* 19595 &+ UInt64(g) &* 38470 &+ UInt64(b) &* 7471 &+ 0x8000) >> 16)
    }

    /// [channels, height, width] in [0, 1]: k/255, or k/65535 for 16-bit samples.
    func tensor(channels wanted: Int) -> Tensor {
        let t = wide.map { wide in Self.planes(wide, width * height, channels, wanted) { Float($0) / 65535 } }
            ?? DecodedImage.scale.withUnsafeBufferPointer { lut in Self.planes(pixels, width * height, channels, wanted) { lut[Int($0)] } }
        return t.reshaped([wanted, height, width])
    }

    private static func planes<T: FixedWidthInteger & UnsignedInteger>(
        _ samples: [T], _ plane: Int, _ channels: Int, _ wanted: Int, _ value: (T) -> Float
    ) -> Tensor {
        var t = Tensor(uninitializedShape: [wanted, plane])
        t.withUnsafeMutableBufferPointer { out in
            samples.withUnsafeBufferPointer { px in
                switch (channels, wanted) {
                case (1, _):
                    for i in 0..<plane { out[i] = value(px[i]) }
                    for ch in 1..<max(wanted, 1) {
                        for i in 0..<plane { out[ch &* plane &+ i] = out[i] }
                    }
                case (3, 1):
                    for i in 0..<plane {
                        let p = i &* 3
                        out[i] = value(luma(px[p], px[p &+ 1], px[p &+ 2]))
                    }
                default: // (3, 3)
                    for i in 0..<plane {
                        let p = i &* 3
                        out[i] = value(px[p])
                        out[plane &+ i] = value(px[p &+ 1])
                        out[2 &* plane &+ i] = value(px[p &+ 2])
                    }
                }
            }
        }
        return t
    }
}
