import Foundation
import Tensor
import Testing
@testable import Codecs

/// The native reader of PyTorch checkpoint files against torch itself (fixtures by
/// Scripts/pytorch/make_pth_fixtures.py): every tensor bit for bit, both formats, every dtype, views with
/// strides and offsets; and every kind of bad file refused with one line naming it, without a crash.
@Suite("PyTorch files")
struct TorchFileTests {
    static let expected = fixture("pth/expected.h5")

    /// Every key of `group` in expected.h5, in the file's order, equals the reader's entry bit for bit.
    func expectSameAsTorch(_ name: String, group: String? = nil) throws {
        let file = try TorchFile(path: fixture("pth/\(name).pth"))
        let h5 = try HDF5File(path: Self.expected, mode: .read)
        defer { h5.close() }
        let keys = try h5.children(of: group ?? name)
        #expect(Set(file.entries.map(\.key)).isSuperset(of: keys), "\(name): \(file.entries.map(\.key))")
        for key in keys {
            let torch = try h5.read("\(group ?? name)/\(key)")
            guard let ours = file[key] else { Issue.record("\(name) lacks \(key)"); continue }
            #expect(ours.shape == torch.shape, "\(name)/\(key): \(ours.shape) vs \(torch.shape)")
            #expect(ours.values.map(\.bitPattern) == torch.scalars.map(\.bitPattern), "\(name)/\(key)")
        }
    }

    @Test("zip format, float32, with a transposed view and a slice", arguments: ["zip_f32", "legacy_f32"])
    func float32(_ name: String) throws { try expectSameAsTorch(name) }

    @Test("half, bfloat16, double and int64 become float32 as torch converts them")
    func dtypes() throws { try expectSameAsTorch("zip_dtypes") }

    @Test("legacy format, half")
    func legacyHalf() throws { try expectSameAsTorch("legacy_f16") }

    @Test("a DataParallel `module.` prefix is stripped; the file's order is kept")
    func dataParallel() throws {
        let file = try TorchFile(path: fixture("pth/generator.pth"))
        #expect(file.entries.allSatisfy { !$0.key.hasPrefix("module.") })
        #expect(file.entries.first?.key == "model.1.weight")
        try expectSameAsTorch("generator")
    }

    @Test("bad files: one line naming the file and what is wrong", arguments: [
        ("truncated_zip", "zip"), ("truncated_legacy", "truncated"), ("not_torch", "not a PyTorch file"),
        ("os_system", "posix.system, which a weights file does not need: refused without running it"),
        ("os_system_zip", "posix.system"), ("short_storage", "shorter than its tensor"),
        ("huge_shape", "overflow"),
    ])
    func badFiles(_ name: String, _ words: String) throws {
        let path = fixture("pth/\(name).pth")
        do {
            _ = try TorchFile(path: path)
            Issue.record("\(name) was read")
        } catch let error as CodecError {
            #expect(error.description.hasPrefix(path) && error.description.contains(words)
                    && !error.description.contains("\n"), "\(error)")
        }
    }

    @Test("the pickle naming os.system is refused before anything runs")
    func noCodeRuns() throws {
        var unpickler = Unpickler(try bytes(fixture("pth/os_system.pth")))
        #expect(throws: PickleError.self) { try unpickler.load() }
    }

    @Test("every prefix of a good file is refused cleanly, never a crash", arguments: ["zip_f32", "legacy_f32"])
    func everyTruncation(_ name: String) throws {
        let whole = try bytes(fixture("pth/\(name).pth"))
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var refused = 0
        for length in stride(from: 0, to: whole.count, by: max(1, whole.count / 97)) {
            let path = folder.file("cut.pth")
            try writeBytes(Array(whole[..<length]), to: path)
            if (try? TorchFile(path: path)) == nil { refused += 1 }
        }
        #expect(refused > 90)
    }

    @Test("Python 2 pickles: BINSTRING and SHORT_BINSTRING keys read as text (the official files' era)")
    func python2Strings() throws {
        // {'ab': 5, 'c': 300} as Python 2 writes it: EMPTY_DICT, MARK, SHORT_BINSTRING 'ab', BININT1 5,
        // BINSTRING 'c', BININT2 300, SETITEMS, STOP.
        let bytes: [UInt8] = [0x80, 0x02, 0x7D, 0x28, 0x55, 2, 0x61, 0x62, 0x4B, 5,
                              0x54, 1, 0, 0, 0, 0x63, 0x4D, 0x2C, 0x01, 0x75, 0x2E]
        var unpickler = Unpickler(bytes)
        #expect(try unpickler.load() == .dict([(.string("ab"), .int(5)), (.string("c"), .int(300))]))
    }

    @Test("a tensor of zero strides over a tiny storage (2⁶⁰ elements announced) is refused before allocating")
    func zeroStrides() {
        #expect(throws: PickleError.self) {
            _ = try TorchFile.gather([UInt8](repeating: 0, count: 16), .float32, offset: 0, shape: [1 << 30, 1 << 30],
                                     strides: [0, 0], key: "expanded")
        }
    }

    func refusedPickle(_ bytes: [UInt8], mentioning words: String) {
        var unpickler = Unpickler(bytes)
        do {
            _ = try unpickler.load()
            Issue.record("read")
        } catch let error as PickleError {
            #expect(error.message.contains(words), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("pickles built to exhaust the stack, time or memory are refused by the budgets, without a crash")
    func budgets() {
        // 100,000 nested one-tuples: depth.
        refusedPickle([0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E], mentioning: "deep")
        // (x, x) saved and fetched 60 times: a value of 2⁶⁰ logical elements from 300 bytes.
        refusedPickle([0x80, 0x02, 0x4E] + (0..<60).flatMap { _ in [0x71, 0, 0x68, 0, 0x86] as [UInt8] } + [0x2E],
                      mentioning: "larger than the file")
        // A saved list fetched and extended 5,000 times: each extension copies it.
        refusedPickle([0x80, 0x02, 0x5D, 0x71, 0] + (0..<5000).flatMap { _ in [0x68, 0, 0x4E, 0x61, 0x71, 0] as [UInt8] }
                      + [0x2E], mentioning: "larger than the file")
    }

    @Test("zip archives torch.save does not write are refused before ZIPFoundation reads them: compressed, a huge zip64 offset")
    func unusualZips() throws {
        let original = try bytes(fixture("pth/zip_f32.pth"))
        let eocd = (0...(original.count - 22)).last { Array(original[$0 ..< $0 + 4]) == [0x50, 0x4B, 0x05, 0x06] }!
        let directory = (0..<4).reduce(0) { $0 | Int(original[eocd + 16 + $1]) << (8 * $1) }
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var compressed = original
        compressed[directory + 10] = 8                       // the first record "deflated"
        // torch.save writes a zip64 end record: its directory offset set to 2⁶⁴ − 1 (ZIPFoundation would trap on it).
        let locator = eocd - 20
        #expect(Array(original[locator ..< locator + 4]) == [0x50, 0x4B, 0x06, 0x07])
        let record = (0..<8).reduce(0) { $0 | Int(original[locator + 8 + $1]) << (8 * $1) }
        var zip64 = original
        for k in 0..<8 { zip64[record + 48 + k] = 0xFF }
        for (name, data, words) in [("compressed", compressed, "compressed record"),
                                    ("zip64", zip64, "beyond the end of the file")] {
            let path = folder.file(name + ".pth")
            try writeBytes(data, to: path)
            do {
                _ = try TorchFile(path: path)
                Issue.record("\(name) was read")
            } catch let error as CodecError {
                #expect(error.description.contains(words), "\(error)")
            }
        }
    }
}
