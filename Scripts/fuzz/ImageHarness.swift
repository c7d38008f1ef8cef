// libFuzzer harness for the image decoders (PNG, JPEG, TIFF, BMP, PGM/PPM: the reader sniffs the format from the
// bytes): every input must decode or throw a CodecError.
// Built and run by Scripts/fuzz-libfuzzer.sh (not part of the package: libFuzzer supplies `main`).
import Codecs
import Foundation

private let path: String = {
    let p = NSTemporaryDirectory() + "cyclegan-fuzz-\(getpid())"
    _ = FileManager.default.createFile(atPath: p, contents: nil)
    return p
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The decoders read files: each input becomes the file's bytes (the name does not choose the decoder).
    let bytes = Data(bytes: data, count: size)
    for ext in ["png"] {
        let file = path + "." + ext
        guard (try? bytes.write(to: URL(fileURLWithPath: file))) != nil else { continue }
        do { _ = try ImageFile.read(file, channels: 3) } catch is CodecError {} catch { fatalError("not a CodecError: \(error)") }
    }
    return 0
}
