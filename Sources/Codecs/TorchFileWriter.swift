import Foundation
import ZIPFoundation

/// Writes a state dict as `torch.save` does (zip format), readable by `torch.load` (also with
/// weights_only=True) and by the reference's `load_networks`: `<root>/data.pkl` (a protocol-2 pickle of an
/// OrderedDict of `torch._utils._rebuild_tensor_v2` calls), one record `<root>/data/<n>` per tensor, stored
/// uncompressed, and the `version` and `byteorder` records PyTorch's reader expects. Entries get a fixed
/// date, so the same weights give the same bytes.
public enum TorchFileWriter {
    public enum DType: Sendable {
        case float32, int64
        var storage: String { self == .float32 ? "FloatStorage" : "LongStorage" }
    }

    public struct Tensor: Sendable {
        public let key: String
        public let shape: [Int]
        public let values: [Float]
        public let dtype: DType
        public init(key: String, shape: [Int], values: [Float], dtype: DType = .float32) {
            self.key = key; self.shape = shape; self.values = values; self.dtype = dtype
        }
    }

    public static func write(_ tensors: [Tensor], to path: String) throws {
        let root = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            .filter { $0.isLetter || $0.isNumber || $0 == "_" }
        let folder = root.isEmpty ? "archive" : root
        let date = Date(timeIntervalSince1970: 315_532_800)   // 1980-01-01, the zip format's first day
        try AtomicFile.write(path) { temporary in
            do {
                let archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create)
                func add(_ name: String, _ data: Data) throws {
                    try archive.addEntry(with: folder + "/" + name, type: .file, uncompressedSize: Int64(data.count),
                                         modificationDate: date, compressionMethod: .none) { position, size in
                        data.subdata(in: Int(position) ..< Int(position) + size)
                    }
                }
                try add("data.pkl", Data(pickle(tensors)))
                try add("byteorder", Data("little".utf8))
                for (i, t) in tensors.enumerated() { try add("data/\(i)", try bytes(of: t, path: path)) }
                try add("version", Data("3\n".utf8))
            } catch let error as CodecError {
                throw error
            } catch {
                throw CodecError(path: path, message: "could not be written (\(error))")
            }
        }
    }

    static func bytes(of t: Tensor, path: String) throws -> Data {
        var data = Data(capacity: t.values.count * 8)
        for v in t.values {
            switch t.dtype {
            case .float32: withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            case .int64:
                guard let n = Int64(exactly: v.rounded()) else {
                    throw CodecError(path: path, message: "was not written: \(t.key) holds \(v), not an integer")
                }
                withUnsafeBytes(of: n.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    /// OrderedDict([(key, _rebuild_tensor_v2(persistent storage, 0, size, stride, False, OrderedDict())), …]).
    static func pickle(_ tensors: [Tensor]) -> [UInt8] {
        var out: [UInt8] = [0x80, 0x02]
        func global(_ module: String, _ name: String) { out += [0x63] + Array("\(module)\n\(name)\n".utf8) }
        func string(_ s: String) {
            let utf8 = Array(s.utf8)
            out += [0x58] + withUnsafeBytes(of: UInt32(utf8.count).littleEndian, Array.init) + utf8
        }
        func int(_ v: Int) {
            if v >= 0 && v < 1 << 31 { out += [0x4A] + withUnsafeBytes(of: Int32(v).littleEndian, Array.init) }
            else { out += [0x8A, 8] + withUnsafeBytes(of: Int64(v).littleEndian, Array.init) }   // LONG1
        }
        func tuple(_ body: () -> Void) { out.append(0x28); body(); out.append(0x74) }
        func emptyOrderedDict() { global("collections", "OrderedDict"); out += [0x29, 0x52] }

        emptyOrderedDict()
        out.append(0x28)                                   // MARK for SETITEMS
        for (i, t) in tensors.enumerated() {
            string(t.key)
            global("torch._utils", "_rebuild_tensor_v2")
            tuple {
                tuple { string("storage"); global("torch", t.dtype.storage); string("\(i)"); string("cpu"); int(t.values.count) }
                out.append(0x51)                           // BINPERSID
                int(0)
                tuple { for n in t.shape { int(n) } }
                var stride = 1, strides: [Int] = []
                for n in t.shape.reversed() { strides.insert(stride, at: 0); stride *= n }
                tuple { for s in strides { int(s) } }
                out.append(0x89)                           // requires_grad False
                emptyOrderedDict()                         // backward hooks
            }
            out.append(0x52)                               // REDUCE
        }
        out += [0x75, 0x2E]                                // SETITEMS, STOP
        return out
    }
}
