import Codecs
import Foundation
import Tensor
import Testing
@testable import CycleGAN

@Suite("Translation memory", .serialized)
struct TranslateMemoryTests {
    @Test("an image too big for the memory available is refused before anything is written, with a --scale_width that fits")
    func tooBigRefused() throws {
        let root = temporaryFolder()
        let translator = try Translator(checkpoint: try tinyCheckpoint(in: root, iterations: 1), direction: .AtoB)
        let big = root + "/big.png"
        try ImageFile.writePNG(Tensor(shape: [3, 300, 400], repeating: 0.5), to: big)
        // ngf 4: 48 bytes a pixel above 300 MB; room for 60 000 pixels, not 300 × 400.
        let limit = (300 << 20) + 48 * 60_000
        #expect(translator.estimatedPeakBytes(height: 300, width: 400) > limit)
        let folder = root + "/out"
        var message = ""
        do {
            _ = try translator.translateFiles([root + "/data/testA/img_0.png", big], to: folder, memoryLimit: limit)
            Issue.record("translated an image the memory limit does not allow")
        } catch let error as InsufficientMemoryError {
            message = "\(error)"
        }
        #expect(message.contains(big) && message.contains("400×300") && message.contains("--scale_width 400") == false
                && message.contains("--scale_width "), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: folder))
        let width = Int(message.split(separator: " ").drop { $0 != "--scale_width" }.dropFirst().first ?? "") ?? 0
        #expect(width >= 4 && width < 400 && translator.estimatedPeakBytes(height: 300 * width / 400, width: width) <= limit)
        let written = try translator.translateFiles([big], to: folder, scaleWidth: width, memoryLimit: limit)
        #expect(written.count == 1)
    }

    @Test("an image too small for the generator (a side under 5 pixels) is refused before anything is written")
    func tooSmallRefused() throws {
        let root = temporaryFolder()
        let translator = try Translator(checkpoint: try tinyCheckpoint(in: root, iterations: 1), direction: .AtoB)
        let small = root + "/small.png"
        try ImageFile.writePNG(Tensor(shape: [3, 4, 40], repeating: 0.5), to: small)
        #expect { try translator.translateFiles([root + "/data/testA/img_0.png", small], to: root + "/out") } throws: { error in
            "\(error)" == "\(small) is 40×4: the generator needs both sides at least 5 pixels; enlarge it or leave it out"
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))
        try ImageFile.writePNG(Tensor(shape: [3, 5, 5], repeating: 0.5), to: small)
        #expect(try translator.translateFiles([small], to: root + "/out").count == 1)   // 5 is enough
    }
}
