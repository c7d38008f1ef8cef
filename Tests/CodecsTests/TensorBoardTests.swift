import Foundation
import Testing
@testable import Codecs

/// TensorBoard's record framing. Oracles: the CRC-32C check values of RFC 3720 (B.4) and of the common
/// "123456789" test; the reader (`TensorBoardReader`) re-checks every CRC; Scripts/check-tensorboard.sh reads a
/// run's files with the tensorboard package itself.
@Suite("TensorBoard event files")
struct TensorBoardTests {
    @Test("CRC-32C of the RFC 3720 vectors and of \"123456789\"")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        // Masking: rotate right by 15, add 0xa282ead8.
        let crc = CRC32C.checksum(Array("123456789".utf8))
        #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    @Test("an event file: the version event, then scalars and an image, each record framed and checked")
    func writerRoundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let writer = try TensorBoardWriter(folder: folder.path + "/tb", wallTime: 1_700_000_000.25)
        try writer.scalars([("loss/G_A", 0.5), ("lr", 0.0002)], step: 7, wallTime: 1_700_000_001.5)
        try writer.image("samples", png: [1, 2, 3], width: 4, height: 2, channels: 3, step: 8)
        #expect((writer.path as NSString).lastPathComponent.hasPrefix("events.out.tfevents.1700000000."))
        let events = try TensorBoardReader.events(writer.path)
        #expect(events.count == 3)
        #expect(events[0].fileVersion == "brain.Event:2" && events[0].wallTime == 1_700_000_000.25)
        #expect(events[1].step == 7 && events[1].wallTime == 1_700_000_001.5)
        #expect(events[1].values.map(\.tag) == ["loss/G_A", "lr"] && events[1].values.map(\.scalar) == [0.5, 0.0002])
        #expect(events[2].step == 8 && events[2].values.first?.image == [1, 2, 3])
        // A flipped bit is found: in the length (byte 3), in the first record's data (byte 20: its 24 bytes run from
        // 12 to 35), and a file cut inside a record.
        var bytes = try ImageFile.readAll(writer.path)
        try writeBytes(Array(bytes.prefix(bytes.count - 3)), to: folder.file("cut"))
        #expect(throws: CodecError.self) { try TensorBoardReader.events(folder.file("cut")) }
        for position in [3, 20] {
            bytes[position] ^= 4
            let path = folder.file("bad\(position)")
            try writeBytes(bytes, to: path)
            bytes[position] ^= 4
            #expect(throws: CodecError.self) { try TensorBoardReader.events(path) }
        }
        // A second writer in the same second gets a file of its own.
        #expect(try TensorBoardWriter(folder: folder.path + "/tb", wallTime: 1_700_000_000.25).path != writer.path)
    }
}
