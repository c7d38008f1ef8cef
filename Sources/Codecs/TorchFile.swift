import Foundation
import ZIPFoundation

/// A PyTorch checkpoint file (`torch.save` of a state dict), read without Python, as float32 tensors in the
/// file's key order. Both formats:
/// - zip (torch ≥ 1.6): `<root>/data.pkl` and one record `<root>/data/<key>` per storage, stored uncompressed;
///   the root folder's name is read from the archive (it is not always `archive/`), sizes from the central
///   directory (ZIPFoundation).
/// - legacy (torch ≤ 1.5, `_use_new_zipfile_serialization=False`, the reference's pretrained models): pickles
///   of the magic number, the protocol (1001) and sys_info, then the state dict, then the list of storage
///   keys, then each storage as an 8-byte element count and its bytes.
/// The pickles go through `Unpickler`, which runs no code. Half, bfloat16, double and int64 tensors become
/// float32 (exactly, except double, which rounds to nearest).
public struct TorchFile {
    public struct Entry: Sendable {
        public let key: String
        public let shape: [Int]
        public let values: [Float]

        public init(key: String, shape: [Int], values: [Float]) {
            self.key = key; self.shape = shape; self.values = values
        }
    }

    public let path: String
    public let entries: [Entry]

    public subscript(key: String) -> Entry? { entries.first { $0.key == key } }

    /// 0x1950a86a20f9469cfc6c, the magic number of torch.save's legacy format, as pickle's LONG1 stores it.
    static let legacyMagicBytes: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

    public init(path: String) throws {
        self.path = path
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
            throw CodecError(path: path, message: "cannot be read (\(error.localizedDescription))")
        }
        let bytes = [UInt8](data)
        do {
            if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
                _ = try ZipCheck.validate(bytes)
                entries = try Self.readZip(path, fileSize: bytes.count)
            } else if bytes.starts(with: [0x80]) {
                entries = try Self.readLegacy(bytes)
            } else {
                throw PickleError(message: "is not a PyTorch file (neither a zip archive nor a pickle): expected a .pth "
                                  + "saved by torch.save")
            }
        } catch let error as PickleError {
            throw CodecError(path: path, message: error.message)
        }
    }

    // MARK: - Formats

    private static func readZip(_ path: String, fileSize: Int) throws -> [Entry] {
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw PickleError(message: "is a damaged zip archive (\(error)): save it again with torch.save")
        }
        var index: [String: ZIPFoundation.Entry] = [:]   // one pass over the directory: lookups by name stay cheap
        for entry in archive where index[entry.path] == nil { index[entry.path] = entry }
        guard let pickle = index.keys.sorted().first(where: { $0.hasSuffix("/data.pkl") || $0 == "data.pkl" }) else {
            throw PickleError(message: "is a zip archive without data.pkl: not a file written by torch.save")
        }
        let root = String(pickle.dropLast("data.pkl".count))
        func record(_ name: String) throws -> [UInt8] {
            guard let entry = index[root + name], entry.type == .file else {
                throw PickleError(message: "lacks the record \(root + name) that its data.pkl points at (truncated or damaged)")
            }
            // Sizes come from the central directory (checked by ZipCheck: stored records inside the file).
            let declared = entry.uncompressedSize
            guard declared <= UInt64(fileSize), entry.compressedSize <= UInt64(fileSize) else {
                throw PickleError(message: "has a record \(root + name) of \(declared) bytes in a file of \(fileSize): corrupt")
            }
            var out = [UInt8]()
            out.reserveCapacity(Int(min(declared, UInt64(fileSize))))
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    guard UInt64(out.count + chunk.count) <= declared else {
                        throw PickleError(message: "has a record \(root + name) longer than its directory says: corrupt")
                    }
                    out.append(contentsOf: chunk)
                }
            } catch let error as PickleError {
                throw error
            } catch {
                throw PickleError(message: "has a damaged record \(root + name) (\(error)): truncated or corrupted")
            }
            return out
        }
        var unpickler = Unpickler(try record("data.pkl"))
        let object = try unpickler.load()
        return try entries(of: object) { key in try record("data/" + key) }
    }

    private static func readLegacy(_ bytes: [UInt8]) throws -> [Entry] {
        var unpickler = Unpickler(bytes)
        // The magic number is a pickled 10-byte LONG1: compare its bytes (it does not fit an Int).
        guard bytes.count > 14, Array(bytes[2..<4]) == [0x8A, 0x0A], Array(bytes[4..<14]) == legacyMagicBytes else {
            _ = try unpickler.load()   // a refused global (os.system, …) says so; nothing runs either way
            throw PickleError(message: "is a pickle but not a PyTorch file (no torch.save magic number)")
        }
        unpickler = Unpickler(bytes, at: 15)   // PROTO 2, LONG1 10 bytes, STOP
        guard case .int(1001) = try unpickler.load() else {
            throw PickleError(message: "has a PyTorch legacy protocol other than 1001: not readable here")
        }
        _ = try unpickler.load()              // sys_info
        let object = try unpickler.load()
        guard case .list(let keys) = try unpickler.load() else {
            throw PickleError(message: "lacks the list of storage keys after its state dict (truncated)")
        }
        // Each storage: its element count (8 bytes little-endian), then count × element size bytes.
        var storages: [String: [UInt8]] = [:]
        var offset = unpickler.position
        let sizes = try storageElementSizes(object)
        for key in keys {
            guard case .string(let name) = key, let size = sizes[name] else {
                throw PickleError(message: "lists a storage key no tensor uses: corrupt")
            }
            guard bytes.count - offset >= 8 else { throw PickleError(message: "ends before storage \(name) (truncated)") }
            let count = bytes[offset ..< offset + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            offset += 8
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
            guard !overflow, byteCount <= UInt64(bytes.count - offset) else {
                throw PickleError(message: "ends inside storage \(name) (\(count) elements announced): truncated")
            }
            storages[name] = Array(bytes[offset ..< offset + Int(byteCount)])
            offset += Int(byteCount)
        }
        return try entries(of: object) { key in
            guard let s = storages[key] else { throw PickleError(message: "lacks storage \(key) (truncated)") }
            return s
        }
    }

    // MARK: - Tensors

    /// A storage's element type, from its persistent id.
    enum StorageType {
        case float32, float16, bfloat16, float64, int64, int32, uint8
        var size: Int {
            switch self {
            case .float32, .int32: return 4
            case .float16, .bfloat16: return 2
            case .float64, .int64: return 8
            case .uint8: return 1
            }
        }
        init?(_ global: PickleValue) {
            guard case .global(_, let name) = global else { return nil }
            switch name {
            case "FloatStorage", "float32": self = .float32
            case "HalfStorage", "float16": self = .float16
            case "BFloat16Storage", "bfloat16": self = .bfloat16
            case "DoubleStorage", "float64": self = .float64
            case "LongStorage", "int64": self = .int64
            case "IntStorage": self = .int32
            case "ByteStorage": self = .uint8
            default: return nil
            }
        }
    }

    /// ('storage', type, key, location, size[, view]) → (key, type).
    static func storage(_ id: PickleValue) throws -> (key: String, type: StorageType) {
        guard case .persistent(.tuple(let t)) = id, t.count >= 5, case .string("storage") = t[0],
              let type = StorageType(t[1]) else {
            throw PickleError(message: "has a tensor storage of a kind this reader does not take (\(id))")
        }
        if t.count > 5, t[5] != .none {   // the legacy format's view of a larger storage: never in a state dict
            throw PickleError(message: "has a tensor on a view of a storage (legacy view metadata): not readable here")
        }
        switch t[2] {
        case .string(let key): return (key, type)
        case .int(let key): return (String(key), type)
        default: throw PickleError(message: "has a tensor storage without a key: corrupt")
        }
    }

    /// The element size of every storage key the object's tensors use (for the legacy format's records).
    static func storageElementSizes(_ object: PickleValue) throws -> [String: Int] {
        var sizes: [String: Int] = [:]
        func walk(_ v: PickleValue) throws {
            switch v {
            case .persistent: let s = try storage(v); sizes[s.key] = s.type.size
            case .tuple(let items), .list(let items): for i in items { try walk(i) }
            case .dict(let entries): for e in entries { try walk(e.value) }
            case .call(_, let arguments): for a in arguments { try walk(a) }
            default: break
            }
        }
        try walk(object)
        return sizes
    }

    /// The state dict's tensors, keys as the reference loads them: a DataParallel `module.` prefix stripped.
    static func entries(of object: PickleValue, storage bytes: (String) throws -> [UInt8]) throws -> [Entry] {
        guard case .dict(let items) = object else {
            throw PickleError(message: "holds a pickled \(kind(object)), not a state dict (an OrderedDict of tensors): "
                              + "save model.state_dict(), not the model")
        }
        var cache: [String: [UInt8]] = [:]
        var storageBytes = 0, elements = 0
        return try items.compactMap { item -> Entry? in
            guard case .string(var key) = item.key else { throw PickleError(message: "has a state-dict key that is not text") }
            if key.hasPrefix("module.") { key.removeFirst("module.".count) }
            guard let (s, offset, shape, strides) = try tensorArguments(item.value) else { return nil }
            if cache[s.key] == nil {
                cache[s.key] = try bytes(s.key)
                storageBytes += cache[s.key]!.count
            }
            let values = try gather(cache[s.key]!, s.type, offset: offset, shape: shape, strides: strides, key: key)
            // Views share storages, but all the tensors together stay within a few times the storages' size.
            elements += values.count
            guard elements <= 4 * storageBytes + 1024 else {
                throw PickleError(message: "has tensors of \(elements) elements in all over storages of \(storageBytes) bytes: corrupt")
            }
            return Entry(key: key, shape: shape, values: values)
        }
    }

    /// _rebuild_tensor_v2(storage, offset, size, stride, …) or _rebuild_tensor(storage, offset, size, stride);
    /// nil for a value that is not a tensor (e.g. a number in the dict).
    static func tensorArguments(_ v: PickleValue) throws
        -> (storage: (key: String, type: StorageType), offset: Int, shape: [Int], strides: [Int])? {
        var value = v
        if case .call(.global("torch._utils", "_rebuild_parameter"), let a) = value, let first = a.first { value = first }
        guard case .call(.global("torch._utils", let f), let a) = value,
              f == "_rebuild_tensor_v2" || f == "_rebuild_tensor" else { return nil }
        guard a.count >= 4, case .int(let offset) = a[1], case .tuple(let size) = a[2], case .tuple(let stride) = a[3] else {
            throw PickleError(message: "has a tensor whose arguments are not (storage, offset, size, stride): corrupt")
        }
        let shape = try size.map { v -> Int in guard case .int(let n) = v, n >= 0 else { throw PickleError(message: "has a negative tensor size: corrupt") }; return n }
        let strides = try stride.map { v -> Int in guard case .int(let n) = v, n >= 0 else { throw PickleError(message: "has a negative tensor stride: corrupt") }; return n }
        guard shape.count == strides.count, offset >= 0 else { throw PickleError(message: "has a tensor with mismatched size and stride: corrupt") }
        return (try storage(a[0]), offset, shape, strides)
    }

    /// The tensor's elements in row-major order, read through its strides, as Float. Every index is checked
    /// against the storage before anything is allocated.
    static func gather(_ storage: [UInt8], _ type: StorageType, offset: Int, shape: [Int], strides: [Int],
                       key: String) throws -> [Float] {
        var count = 1, last = offset
        for (n, s) in zip(shape, strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: n)
            guard !o1 else { throw PickleError(message: "has tensor \(key) of shape \(shape), whose size overflows: corrupt") }
            count = c
            if n > 0 {
                let (reach, o2) = (n - 1).multipliedReportingOverflow(by: s)
                let (sum, o3) = last.addingReportingOverflow(reach)
                guard !o2 && !o3 else { throw PickleError(message: "has tensor \(key) whose strides overflow: corrupt") }
                last = sum
            }
        }
        let elements = storage.count / type.size
        guard count == 0 || last < elements else {
            throw PickleError(message: "has tensor \(key) of shape \(shape) that reaches element \(last) of a storage "
                              + "of \(elements): the storage is shorter than its tensor (truncated or corrupt)")
        }
        // More elements than its storage holds means zero strides (an expanded view), which no saved weight has:
        // refused, so that the allocation below stays within the file's size.
        guard count <= elements else {
            throw PickleError(message: "has tensor \(key) of \(count) elements over a storage of \(elements) (zero "
                              + "strides): not a weight tensor (corrupt)")
        }
        var out = [Float](repeating: 0, count: count)
        if count == 0 { return out }
        storage.withUnsafeBytes { raw in
            func element(_ i: Int) -> Float {
                let at = i * type.size
                switch type {
                case .float32: return Float(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
                case .float16: return Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian))
                case .bfloat16: return Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian) << 16)
                case .float64: return Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian))
                case .int64: return Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self)))
                case .int32: return Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                case .uint8: return Float(raw[at])
                }
            }
            var index = [Int](repeating: 0, count: shape.count)
            for j in 0..<count {
                var i = offset
                for d in 0..<shape.count { i += index[d] * strides[d] }
                out[j] = element(i)
                var d = shape.count - 1
                while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
            }
        }
        return out
    }

    static func kind(_ v: PickleValue) -> String {
        switch v {
        case .call(.global(let m, let n), _): return "\(m).\(n)(…)"
        case .list: return "list"
        case .tuple: return "tuple"
        default: return "value"
        }
    }
}
