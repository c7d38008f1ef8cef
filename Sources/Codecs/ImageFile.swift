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

    /// Reads a PNG (8/16-bit; gray, gray+alpha, RGB, RGBA, palette, with tRNS), JPEG, BMP or PGM/PPM (by content, not
    /// extension: check the magic bytes) as a tensor [channels, height, width] with values in [0, 1].
    /// channels 1: colour images are converted to gray (ITU-R 601 luma, as PIL's convert('L') does, with its
    /// rounding: L = (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16, i.e. R·0.299 + G·0.587 + B·0.114 rounded);
    /// channels 3: gray is replicated. Alpha is dropped (not composited).
    /// 16-bit PNG is scaled to 8 bits with rounding (png_set_scale_16): the values are then k/255.
    public static func read(_ path: String, channels: Int) throws -> Tensor {
        guard channels == 1 || channels == 3 else {
            throw CodecError(path: path, message: "cannot be read with \(channels) channels: ask for 1 (gray) or 3 (RGB)")
        }
        return try decode(path).tensor(channels: channels)
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
        }
    }

    /// (width, height) of an image without decoding pixels (PNG IHDR / tjDecompressHeader3).
    public static func size(_ path: String) throws -> (width: Int, height: Int) {
        switch try sniff(path) {
        case .png:
            var width: Int32 = 0, height: Int32 = 0
            var message = [CChar](repeating: 0, count: 512)
            let code = cshim_png_read_size(path, &width, &height, &message, message.count)
            if code != CSHIM_PNG_OK { throw pngError(path, code: code, message: message) }
            return (Int(width), Int(height))
        case .jpeg:
            return try JPEG.size(path)
        case .pnm, .bmp:
            let d = try decode(path)
            return (d.width, d.height)
        }
    }

    /// The image as `writePNG` stores it and `read` gives it back: each value rounded to k/255.
    public static func eightBit(_ image: Tensor) -> Tensor {
        image.map { DecodedImage.scale[Int(quantize($0))] }
    }

    /// Writes [channels, H, W] (channels 1 or 3) values in [0, 1] (clamped, rounded) as an 8-bit PNG,
    /// gray or RGB. Written to a temporary file in the same folder and renamed into place, so a crash
    /// never leaves a half-written file. A [1, C, H, W] tensor (a batch of one) is accepted too.
    public static func writePNG(_ image: Tensor, to path: String) throws {
        var shape = image.shape
        if shape.count == 4 && shape[0] == 1 { shape.removeFirst() }
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3, shape[1] > 0, shape[2] > 0 else {
            throw CodecError(path: path, message: "was not written: an image tensor must be [1 or 3, H, W] with H, W > 0, not \(image.shape)")
        }
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let plane = h * w
        var pixels = [UInt8](repeating: 0, count: c * plane)
        image.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c {
                    for i in 0..<plane {
                        dst[i &* c &+ ch] = quantize(src[ch &* plane &+ i])
                    }
                }
            }
        }
        try writePNG(pixels: pixels, width: w, height: h, channels: c, to: path)
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
                cshim_png_write(temporary, $0.baseAddress, Int32(width), Int32(height), Int32(channels),
                                pngCompressionLevel, &message, message.count)
            }
            if code != CSHIM_PNG_OK {
                throw CodecError(path: path, message: "could not be written: \(string(message))")
            }
        }
    }

    /// True when the file name has an image extension this reader handles (.png .jpg .jpeg, any case).
    /// Hidden files (a leading dot, e.g. macOS "._x.jpg" resource forks) are not images.
    public static func isImageFileName(_ name: String) -> Bool {
        let base = name.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? name
        guard !base.hasPrefix("."), let dot = base.lastIndex(of: "."), dot != base.startIndex else { return false }
        switch base[base.index(after: dot)...].lowercased() {
        case "png", "jpg", "jpeg", "ppm", "pgm", "pnm", "bmp": return true
        default: return false
        }
    }

    // MARK: - Internals

    enum Format { case png, jpeg, pnm, bmp }

    /// The format by magic bytes: PNG's 8-byte signature, JPEG's SOI + marker (FF D8 FF).
    static func sniff(_ path: String) throws -> Format {
        let head = try readPrefix(path, count: 8)
        if head.isEmpty { throw CodecError(path: path, message: "is empty (0 bytes): it is not a PNG, JPEG, BMP, PGM or PPM image") }
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF { return .jpeg }
        if PNM.isSignature(head) { return .pnm }
        if BMP.isSignature(head) { return .bmp }
        if head.count >= 4 && head.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            throw CodecError(path: path, message: "is truncated or corrupt: damaged PNG signature")
        }
        let hex = head.prefix(4).map { String(format: "%02X", $0) }.joined(separator: " ")
        throw CodecError(path: path, message: "is not a PNG, JPEG, BMP, PGM or PPM image (it starts with bytes \(hex)); remove it or convert it")
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

    /// The whole file.
    static func readAll(_ path: String) throws -> [UInt8] {
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
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        var message = [CChar](repeating: 0, count: 512)
        let code = cshim_png_read(path, &pixels, &width, &height, &channels, nil, nil, &message, message.count)
        guard code == CSHIM_PNG_OK, let pixels else { throw pngError(path, code: code, message: message) }
        defer { cshim_free(pixels) }
        let count = Int(width) * Int(height) * Int(channels)
        return DecodedImage(width: Int(width), height: Int(height), channels: Int(channels),
                            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
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
}

// POSIX calls whose names ImageFile's own members (read) would shadow.
private func posixOpen(_ path: String) -> Int32 { open(path, O_RDONLY | O_CLOEXEC) }
private func posixClose(_ fd: Int32) { _ = close(fd) }
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

/// Decoded 8-bit interleaved pixels, 1 (gray) or 3 (RGB) channels.
struct DecodedImage {
    var width: Int
    var height: Int
    var channels: Int
    var pixels: [UInt8]

    /// 0…255 → k/255 (correctly rounded float division).
    static let scale: [Float] = (0..<256).map { Float($0) / 255 }

    /// PIL's convert('L'): ITU-R 601 luma in 16-bit fixed point, rounded.
    @inline(__always) static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: (UInt32(r) &* 19595 &+ UInt32(g) &* 38470 &+ UInt32(b) &* 7471 &+ 0x8000) >> 16)
    }

    /// [channels, height, width] in [0, 1].
    func tensor(channels wanted: Int) -> Tensor {
        let plane = width * height
        var t = Tensor(uninitializedShape: [wanted, height, width])
        let scale = DecodedImage.scale
        t.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { px in
                scale.withUnsafeBufferPointer { lut in
                    switch (channels, wanted) {
                    case (1, _):
                        for i in 0..<plane { out[i] = lut[Int(px[i])] }
                        for ch in 1..<max(wanted, 1) {
                            for i in 0..<plane { out[ch &* plane &+ i] = out[i] }
                        }
                    case (3, 1):
                        for i in 0..<plane {
                            let p = i &* 3
                            out[i] = lut[Int(DecodedImage.luma(px[p], px[p &+ 1], px[p &+ 2]))]
                        }
                    default: // (3, 3)
                        for i in 0..<plane {
                            let p = i &* 3
                            out[i] = lut[Int(px[p])]
                            out[plane &+ i] = lut[Int(px[p &+ 1])]
                            out[2 &* plane &+ i] = lut[Int(px[p &+ 2])]
                        }
                    }
                }
            }
        }
        return t
    }
}
