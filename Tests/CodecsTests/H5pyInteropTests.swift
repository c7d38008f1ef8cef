import Foundation
import Testing
import Tensor
@testable import Codecs

/// Interoperability with h5py, driven by Scripts/check-h5py.sh (skipped otherwise).
///
/// - CYCLEGAN_H5PY_OUT=path: writes the file that Scripts/check_h5py.py `check` verifies with h5py.
/// - CYCLEGAN_H5PY_IN=path: reads the file that Scripts/check_h5py.py `write` made with h5py.
/// Oracle: the literal names, shapes, values and attributes below, which check_h5py.py repeats.
/// Values are small binary fractions (exact in float32 and float64): equality is exact.
@Suite struct H5pyInteropTests {
    static let outPath = ProcessInfo.processInfo.environment["CYCLEGAN_H5PY_OUT"]
    static let inPath = ProcessInfo.processInfo.environment["CYCLEGAN_H5PY_IN"]

    /// Value i of a dataset: i * 0.25 - 1 (exact in binary).
    static func ramp(_ count: Int) -> [Float] { (0..<count).map { Float($0) * 0.25 - 1 } }

    @Test(.enabled(if: outPath != nil, "set CYCLEGAN_H5PY_OUT (see Scripts/check-h5py.sh)"))
    func writeForH5py() throws {
        let file = try HDF5File(path: Self.outPath!, mode: .create)
        defer { file.close() }
        try file.write(Tensor(shape: [2, 3, 1, 1], values: Self.ramp(6)), at: "G_A/model.1.weight")
        try file.write(Tensor(shape: [4], values: Self.ramp(4)), at: "D_B/model.0.bias")
        try file.write(Tensor(shape: [], values: [0.5]), at: "scalar")
        try file.writeInt64([7, -3, 1 << 40, 0], shape: [2, 2], at: "meta/steps")
        try file.setAttribute("format", string: "cyclegan-swift")
        try file.setAttribute("learning_rate", number: 0.000244140625)   // 2^-12
        try file.setAttribute("epoch", int: 7)
        try file.setAttribute("note", string: "zèbre ✓", at: "G_A")
    }

    @Test(.enabled(if: inPath != nil, "set CYCLEGAN_H5PY_IN (see Scripts/check-h5py.sh)"))
    func readFromH5py() throws {
        let file = try HDF5File(path: Self.inPath!, mode: .read)
        defer { file.close() }
        #expect(try file.datasetNames(under: "/") == [
            "G_B/model.10.conv_block.5.weight", "float64", "int32", "int64", "nested/deeper/x.y",
        ])
        let w = try file.read("G_B/model.10.conv_block.5.weight")
        #expect(w.shape == [3, 2, 2, 2])
        #expect(w.scalars == Self.ramp(24))
        #expect(try file.read("float64").scalars == [0.5, -1.25, 3])
        #expect(try file.read("int32").scalars == [1, 2, -3])
        #expect(try file.readInt64("int32") == [1, 2, -3])
        #expect(try file.readInt64("int64") == [1 << 40, -5])
        #expect(try file.shape(of: "nested/deeper/x.y") == [1, 5])
        #expect(try file.read("nested/deeper/x.y").scalars == Self.ramp(5))
        #expect(try file.stringAttribute("vlen_str") == "hello ✓")
        #expect(try file.stringAttribute("fixed_bytes") == "fixed")
        #expect(try file.numberAttribute("float_attr") == 0.125)
        #expect(try file.intAttribute("int_attr") == 42)
        #expect(try file.intAttribute("int32_attr") == -7)
        #expect(try file.stringAttribute("group_note", at: "nested") == "in a group")
        #expect(try file.numberAttribute("scale", at: "float64") == 2.5)
    }
}
