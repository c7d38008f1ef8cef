import Foundation
import Testing
import Tensor
@testable import Codecs

/// Bad inputs must be CodecErrors naming the file, never a crash (libpng's longjmp is caught in C).
/// Oracle: the error type and the presence of the path and the stated reason in `description`.
@Suite struct BadFileTests {
    func expectError(_ path: String, contains phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for read in [{ _ = try ImageFile.read(path, channels: 3) }, { _ = try ImageFile.size(path) }] {
            let error = #expect(throws: CodecError.self, sourceLocation: sourceLocation) { try read() }
            #expect(error?.path == path, sourceLocation: sourceLocation)
            #expect(error?.description.hasPrefix(path) == true, sourceLocation: sourceLocation)
            #expect(error?.description.contains(phrase) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
            #expect(error?.description.contains("\n") == false, sourceLocation: sourceLocation)
        }
    }

    /// A 32×32 noise PNG written by writePNG (so the compressed data is most of the file).
    func noisePNG(_ folder: TemporaryFolder) throws -> [UInt8] {
        var rng = SplitMix64(state: 5)
        let values = (0..<(3 * 32 * 32)).map { _ in Float(Int.random(in: 0...255, using: &rng)) / 255 }
        let path = folder.file("noise.png")
        try ImageFile.writePNG(Tensor(shape: [3, 32, 32], values: values), to: path)
        return try bytes(path)
    }

    @Test func truncatedPNG() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let full = try noisePNG(folder)
        let path = folder.file("cut.png")
        try writeBytes(Array(full.prefix(full.count * 3 / 5)), to: path)
        // size() reads only IHDR, which survives the cut: only read must fail.
        let error = #expect(throws: CodecError.self) { try ImageFile.read(path, channels: 3) }
        #expect(error?.description.hasPrefix(path) == true)
        #expect(error?.description.contains("is truncated or corrupt") == true, "\(String(describing: error))")
        #expect(try ImageFile.size(path) == (width: 32, height: 32))
        // Cut inside the header: both fail.
        try writeBytes(Array(full.prefix(20)), to: path)
        expectError(path, contains: "is truncated or corrupt")
    }

    @Test func corruptPNG() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var data = try noisePNG(folder)
        // Flip bits in the middle of the IDAT data: the chunk CRC (or zlib) must catch it.
        data[data.count / 2] ^= 0x5A
        let path = folder.file("corrupt.png")
        try writeBytes(data, to: path)
        let error = #expect(throws: CodecError.self) { try ImageFile.read(path, channels: 1) }
        #expect(error?.description.hasPrefix(path) == true)
        #expect(error?.description.contains("is truncated or corrupt") == true, "\(String(describing: error))")
        // A corrupt IHDR CRC fails both read and size.
        var header = try noisePNG(folder)
        header[20] ^= 0x01
        try writeBytes(header, to: path)
        expectError(path, contains: "is truncated or corrupt")
    }

    @Test func emptyFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("empty.png")
        try writeBytes([], to: path)
        expectError(path, contains: "is empty")
        expectError(path, contains: "not a PNG, JPEG, TIFF, BMP, PGM or PPM image")
    }

    @Test func textFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("notes.jpg")
        try writeBytes(Array("<!DOCTYPE html> not an image\n".utf8), to: path)
        expectError(path, contains: "is not a PNG, JPEG, TIFF, BMP, PGM or PPM image")
    }

    @Test func missingFileAndFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        expectError(folder.file("missing.png"), contains: "does not exist")
        expectError(folder.path, contains: "is a folder")
    }

    @Test func badChannelCount() {
        #expect(throws: CodecError.self) { try ImageFile.read(fixture("gray16.png"), channels: 2) }
    }
}
