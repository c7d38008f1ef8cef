import CTurboJPEG

/// JPEG decoding with the TurboJPEG 2.x API. Any libjpeg warning (a truncated file decodes with grey
/// fill otherwise) is an error: TJFLAG_STOPONWARNING.
enum JPEG {
    /// RAII for a decompressor handle.
    private final class Decompressor {
        let handle: tjhandle
        init?() {
            guard let h = tjInitDecompress() else { return nil }
            handle = h
        }
        deinit { tjDestroy(handle) }
        var lastError: String {
            guard let p = tjGetErrorStr2(handle) else { return "unknown error" }
            return String(cString: p)
        }
    }

    struct Header {
        var width: Int
        var height: Int
        var colorspace: Int32
    }

    private static func header(_ path: String, _ data: [UInt8], _ d: Decompressor) throws -> Header {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = data.withUnsafeBufferPointer {
            tjDecompressHeader3(d.handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        if status != 0 {
            throw CodecError(path: path, message: "is truncated or corrupt: \(d.lastError); replace or remove it")
        }
        guard width > 0, height > 0 else {
            throw CodecError(path: path, message: "is truncated or corrupt: JPEG header gives size \(width)×\(height)")
        }
        return Header(width: Int(width), height: Int(height), colorspace: colorspace)
    }

    private static func decompressor(_ path: String) throws -> Decompressor {
        guard let d = Decompressor() else {
            throw CodecError(path: path, message: "cannot be decoded: TurboJPEG could not start (\(String(cString: tjGetErrorStr2(nil))))")
        }
        return d
    }

    static func size(_ path: String) throws -> (width: Int, height: Int) {
        let data = try ImageFile.readAll(path)
        let h = try header(path, data, try decompressor(path))
        return (h.width, h.height)
    }

    static func decode(_ path: String) throws -> DecodedImage {
        let data = try ImageFile.readAll(path)
        let d = try decompressor(path)
        let h = try header(path, data, d)
        let cmyk = h.colorspace == Int32(TJCS_CMYK.rawValue) || h.colorspace == Int32(TJCS_YCCK.rawValue)
        let gray = h.colorspace == Int32(TJCS_GRAY.rawValue)
        let channels = gray ? 1 : 3
        let format = gray ? TJPF_GRAY : cmyk ? TJPF_CMYK : TJPF_RGB
        var pixels = [UInt8](repeating: 0, count: h.width * h.height * (cmyk ? 4 : channels))
        let status = data.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(d.handle, src.baseAddress, UInt(src.count), dst.baseAddress,
                              Int32(h.width), 0, Int32(h.height), Int32(format.rawValue), TJFLAG_STOPONWARNING)
            }
        }
        if status != 0 {
            throw CodecError(path: path, message: "is truncated or corrupt: \(d.lastError); replace or remove it")
        }
        if cmyk { pixels = rgbFromCMYK(pixels) }
        return DecodedImage(width: h.width, height: h.height, channels: channels, pixels: pixels)
    }

    /// CMYK (4 bytes a pixel) → RGB as PIL converts it (the reference's reader). PIL reads every CMYK JPEG as
    /// inverted ("CMYK;I", "assume adobe conventions": Photoshop stores the samples inverted, and PIL writes them
    /// so), with an Adobe marker or without; then with n = 255 − K, R = n − C·n/255 (rounded as PIL's
    /// MULDIV255), likewise G from M and B from Y.
    static func rgbFromCMYK(_ cmyk: [UInt8], inverted: Bool = true) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: cmyk.count / 4 * 3)
        func mulDiv255(_ a: Int, _ b: Int) -> Int { let t = a * b + 128; return ((t >> 8) + t) >> 8 }
        for p in 0..<(cmyk.count / 4) {
            func sample(_ i: Int) -> Int { let v = Int(cmyk[4 * p + i]); return inverted ? 255 - v : v }
            let n = 255 - sample(3)
            for c in 0..<3 { rgb[3 * p + c] = UInt8(clamping: n - mulDiv255(sample(c), n)) }
        }
        return rgb
    }
}
