import Foundation
import Testing
import Tensor
@testable import Codecs

/// HDF5 round trips. Oracle: the values written (float32 and int64 are stored losslessly, so equality is
/// exact; attributes too). Errors: CodecError whose description names the file and the dataset.
@Suite struct HDF5Tests {
    func sampleTensors() -> [(String, Tensor)] {
        var rng = SplitMix64(state: 7)
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -2...2, using: &rng) })
        }
        return [
            ("G_A/model.1.weight", random([4, 3, 3, 3])),
            ("G_A/model.1.bias", random([4])),
            ("G_A/model.10.conv_block.1.weight", random([2, 2, 1, 1])),
            ("D_B/model.0.weight", random([1, 2, 4, 4])),
            ("top", Tensor(shape: [2, 3], values: [1, -1, 0.5, .greatestFiniteMagnitude, -.leastNonzeroMagnitude, 0])),
            ("deep/a/b/c/scalar", Tensor(shape: [], values: [3.25])),
            ("empty", Tensor(shape: [0, 3])),
        ]
    }

    @Test func roundTripWithGroupsDotsAndAttributes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("ckpt.h5")
        let tensors = sampleTensors()
        do {
            let file = try HDF5File(path: path, mode: .create)
            for (name, t) in tensors { try file.write(t, at: name) }
            try file.writeInt64([1, -2, 3, Int64.max, Int64.min, 0], shape: [2, 3], at: "meta/steps")
            try file.writeInt64([42], shape: [1], at: "meta/epoch")
            try file.setAttribute("format", string: "cyclegan-swift v1", at: "/")
            try file.setAttribute("note", string: "zèbre → cheval ✓", at: "G_A")
            try file.setAttribute("lr", number: 2e-4)
            try file.setAttribute("epoch", int: 17)
            try file.setAttribute("scale", number: -1.5, at: "G_A/model.1.weight")
            // Overwriting an attribute and a dataset replaces them.
            try file.setAttribute("epoch", int: 18)
            try file.write(Tensor(shape: [1], values: [9]), at: "replaced")
            try file.write(Tensor(shape: [2], values: [7, 8]), at: "replaced")
            file.close()
            file.close()   // idempotent
        }
        let file = try HDF5File(path: path, mode: .read)
        defer { file.close() }
        for (name, t) in tensors {
            let back = try file.read(name)
            #expect(back.shape == t.shape, "\(name)")
            #expect(back.scalars == t.scalars, "\(name)")
            #expect(try file.shape(of: name) == t.shape)
            #expect(file.exists(name))
        }
        #expect(try file.read("replaced").scalars == [7, 8])
        #expect(try file.readInt64("meta/steps") == [1, -2, 3, Int64.max, Int64.min, 0])
        #expect(try file.shape(of: "meta/steps") == [2, 3])
        #expect(try file.readInt64("meta/epoch") == [42])
        // Integer datasets also read as float.
        #expect(try file.read("meta/epoch").scalars == [42])

        #expect(try file.stringAttribute("format") == "cyclegan-swift v1")
        #expect(try file.stringAttribute("note", at: "G_A") == "zèbre → cheval ✓")
        #expect(try file.numberAttribute("lr") == 2e-4)
        #expect(try file.intAttribute("epoch") == 18)
        #expect(try file.numberAttribute("epoch") == 18)   // ints read as numbers too
        #expect(try file.numberAttribute("scale", at: "G_A/model.1.weight") == -1.5)
        #expect(try file.stringAttribute("absent") == nil)
        #expect(try file.numberAttribute("absent") == nil)
        #expect(try file.intAttribute("absent", at: "G_A") == nil)
        // Wrong kinds are errors, not silent conversions.
        #expect(throws: CodecError.self) { try file.intAttribute("lr") }
        #expect(throws: CodecError.self) { try file.stringAttribute("epoch") }
        #expect(throws: CodecError.self) { try file.numberAttribute("format") }

        #expect(try file.children(of: "") == ["D_B", "G_A", "deep", "empty", "meta", "replaced", "top"])
        #expect(try file.children(of: "/") == file.children(of: ""))
        #expect(try file.children(of: "G_A") == ["model.1.bias", "model.1.weight", "model.10.conv_block.1.weight"])
        #expect(try file.datasetNames(under: "G_A") == ["model.1.bias", "model.1.weight", "model.10.conv_block.1.weight"])
        #expect(try file.datasetNames(under: "/") == (tensors.map(\.0) + ["meta/epoch", "meta/steps", "replaced"]).sorted())
        #expect(try file.datasetNames(under: "deep/a") == ["b/c/scalar"])

        #expect(file.exists(""))
        #expect(file.exists("/G_A"))
        #expect(!file.exists("G_A/model.2.weight"))
        #expect(!file.exists("nope/deeper/still"))          // missing intermediate groups
        #expect(!file.exists("top/inside"))                 // a dataset has no members
    }

    @Test func missingDatasetNamesIt() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("m.h5")
        let writer = try HDF5File(path: path, mode: .create)
        try writer.write(Tensor(shape: [1]), at: "G_A/model.1.weight")
        writer.close()
        let file = try HDF5File(path: path, mode: .read)
        for name in ["G_A/model.2.weight", "G_B/model.1.weight", "x/y/z"] {
            let error = #expect(throws: CodecError.self) { try file.read(name) }
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains("has no dataset '\(name)'") == true, "\(String(describing: error))")
        }
        // The nearest existing group's members are listed as a hint.
        let error = #expect(throws: CodecError.self) { try file.read("G_A/model.2.weight") }
        #expect(error?.description.contains("model.1.weight") == true)
        #expect(throws: CodecError.self) { try file.readInt64("G_A") }     // a group
        #expect(throws: CodecError.self) { try file.shape(of: "missing") }
        #expect(throws: CodecError.self) { try file.children(of: "missing") }
        #expect(throws: CodecError.self) { try file.datasetNames(under: "G_A/model.1.weight") }
        #expect(throws: CodecError.self) { try file.readInt64("G_A/model.1.weight") }  // float, not int
        // Writing to a file opened for reading is an error that says so.
        let readOnly = #expect(throws: CodecError.self) { try file.write(Tensor(shape: [1]), at: "new") }
        #expect(readOnly?.description.contains("opened for reading") == true)
        file.close()
        let closed = #expect(throws: CodecError.self) { try file.read("G_A/model.1.weight") }
        #expect(closed?.description.contains("closed") == true)
        #expect(!file.exists("G_A"))
    }

    @Test func notAnHDF5FileSaysSo() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let text = folder.file("notes.h5")
        try writeBytes(Array("just some text, not HDF5\n".utf8), to: text)
        let error = #expect(throws: CodecError.self) { try HDF5File(path: text, mode: .read) }
        #expect(error?.description.hasPrefix(text) == true)
        #expect(error?.description.contains("is not an HDF5 file") == true, "\(String(describing: error))")

        let empty = folder.file("empty.h5")
        try writeBytes([], to: empty)
        let emptyError = #expect(throws: CodecError.self) { try HDF5File(path: empty, mode: .read) }
        #expect(emptyError?.description.hasPrefix(empty) == true)

        let missing = folder.file("missing.h5")
        let missingError = #expect(throws: CodecError.self) { try HDF5File(path: missing, mode: .read) }
        #expect(missingError?.description == "\(missing) does not exist")

        let noFolder = folder.file("no/such/folder/x.h5")
        let createError = #expect(throws: CodecError.self) { try HDF5File(path: noFolder, mode: .create) }
        #expect(createError?.description.hasPrefix(noFolder) == true)
    }

    @Test func truncatedHDF5FileIsAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("cut.h5")
        let writer = try HDF5File(path: path, mode: .create)
        try writer.write(Tensor(shape: [64, 64], repeating: 1), at: "G_A/w")
        writer.close()
        let data = try bytes(path)
        try writeBytes(Array(data.prefix(data.count / 2)), to: path)
        // Oracle: either open or read fails with a CodecError naming the file (HDF5 may open a file whose
        // superblock survived and fail only on the data).
        let error = #expect(throws: CodecError.self) {
            let file = try HDF5File(path: path, mode: .read)
            _ = try file.read("G_A/w")
        }
        #expect(error?.description.hasPrefix(path) == true, "\(String(describing: error))")
    }

    @Test func concurrentUseIsSerialised() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // Oracle: every file written concurrently reads back its own values.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                let path = folder.file("c\(i).h5")
                group.addTask {
                    let file = try HDF5File(path: path, mode: .create)
                    for j in 0..<10 { try file.write(Tensor(shape: [3], repeating: Float(i * 100 + j)), at: "g/d\(j)") }
                    try file.setAttribute("i", int: Int64(i))
                    file.close()
                    let back = try HDF5File(path: path, mode: .read)
                    #expect(try back.read("g/d9").scalars == [Float](repeating: Float(i * 100 + 9), count: 3))
                    #expect(try back.intAttribute("i") == Int64(i))
                }
            }
            try await group.waitForAll()
        }
    }
}
