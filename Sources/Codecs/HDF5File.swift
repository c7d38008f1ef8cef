import CHDF5
import CShims
import Foundation
import Tensor

/// Debian's serial HDF5 build is not thread-safe: every HDF5 call in this process goes through this lock
/// (recursive, because public methods call each other).
private let hdf5Lock = NSRecursiveLock()

/// HDF5's clean-up at process exit flushes files it still holds: after a failed write (a full disk) that
/// flush crashed inside libhdf5 (SIGSEGV) although the error had been reported. Files are closed explicitly
/// (`finish`), so the exit-time clean-up is switched off, once, before the first HDF5 call.
private let noCleanupAtExit: Void = { _ = H5dont_atexit() }()

/// HDF5 prints no error stacks of its own; failures become CodecErrors. Debian's serial library is built
/// thread-safe, which makes this setting per thread: it is set again on every entry (a cheap store).
@inline(__always) private func withHDF5<T>(_ body: () throws -> T) rethrows -> T {
    hdf5Lock.lock()
    defer { hdf5Lock.unlock() }
    _ = noCleanupAtExit
    _ = cshim_h5_silence_errors()
    return try body()
}

/// The current HDF5 error stack in one line (then cleared); "" when empty.
private func hdf5ErrorMessage() -> String {
    var buffer = [CChar](repeating: 0, count: 1024)
    let n = cshim_h5_error_message(&buffer, buffer.count)
    return n == 0 ? "" : ImageFile.string(buffer)
}

/// An HDF5 file of named float32 datasets in groups, e.g. "G_A/model.1.weight" (dataset names may
/// contain dots). Safe to use from several threads: all HDF5 calls in the process are serialised.
public final class HDF5File: @unchecked Sendable {
    public enum Mode: Sendable { case read, create }   // create truncates

    public let path: String
    public let mode: Mode
    /// Opened for reading with a `SealedFile` header, which its contents matched.
    public private(set) var isSealed = false
    /// The HDF5 file id; -1 once closed. Only touched under hdf5Lock.
    private var file: hid_t = -1

    /// `reservingHeader` (create mode): the file starts with `SealedFile.headerSize` zero bytes for
    /// `SealedFile.seal` to fill after `close()`. A file read that starts with such a header is verified
    /// against it before HDF5 parses anything.
    public init(path: String, mode: Mode, reservingHeader: Bool = false) throws {
        self.path = path
        self.mode = mode
        try withHDF5 {
            let fapl = H5Pcreate(cshim_H5P_FILE_ACCESS())
            defer { if fapl >= 0 { H5Pclose(fapl) } }
            // Closing the file closes any object still open in it.
            if fapl >= 0 { H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) }
            let access = fapl >= 0 ? fapl : cshim_H5P_DEFAULT()
            switch mode {
            case .create:
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                    throw CodecError(path: path, message: "cannot be created: the folder \(folder) does not exist; create it first")
                }
                let fcpl = H5Pcreate(cshim_H5P_FILE_CREATE())
                defer { if fcpl >= 0 { H5Pclose(fcpl) } }
                if reservingHeader {
                    guard fcpl >= 0, H5Pset_userblock(fcpl, hsize_t(SealedFile.headerSize)) >= 0 else {
                        throw failure("cannot be created with a header block")
                    }
                }
                file = H5Fcreate(path, cshim_H5F_ACC_TRUNC(), reservingHeader ? fcpl : cshim_H5P_DEFAULT(), access)
                if file < 0 { throw failure("cannot be created as an HDF5 file") }
            case .read:
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                    throw CodecError(path: path, message: "does not exist")
                }
                if isFolder.boolValue { throw CodecError(path: path, message: "is a folder, not an HDF5 file") }
                isSealed = try SealedFile.verify(path) == true
                let isHDF5 = H5Fis_hdf5(path)
                if isHDF5 == 0 {
                    _ = hdf5ErrorMessage()
                    throw CodecError(path: path, message: "is not an HDF5 file (no HDF5 signature); give the path of a checkpoint (.h5) written by this tool or h5py")
                }
                if isHDF5 < 0 { throw failure("cannot be opened as an HDF5 file") }
                file = H5Fopen(path, cshim_H5F_ACC_RDONLY(), access)
                if file < 0 { throw failure("cannot be opened as an HDF5 file") }
            }
        }
    }

    deinit { close() }

    /// Closes the file; idempotent. Later calls throw (or return false / nil). A writer calls `finish`.
    public func close() { try? finish() }

    /// Closes the file, and throws when what was written could not all reach the disk (HDF5 writes its
    /// metadata at close: a full disk or a quota shows here).
    public func finish() throws {
        try withHDF5 {
            guard file >= 0 else { return }
            let status = H5Fclose(file)
            file = -1
            if status < 0 { throw failure("could not be written completely") }
        }
    }

    // MARK: - Datasets

    /// Writes a float32 dataset of shape `tensor.shape`, creating intermediate groups. An existing
    /// dataset of that name is replaced.
    public func write(_ tensor: Tensor, at name: String) throws {
        try withHDF5 {
            try tensor.withUnsafeBufferPointer { values in
                try writeDataset(name, shape: tensor.shape, fileType: cshim_H5T_IEEE_F32LE(),
                                 memoryType: cshim_H5T_NATIVE_FLOAT(), data: UnsafeRawPointer(values.baseAddress!))
            }
        }
    }

    /// Writes an int64 dataset of `shape` (product = values.count), creating intermediate groups.
    public func writeInt64(_ values: [Int64], shape: [Int], at name: String) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw CodecError(path: path, message: "was not written: int64 dataset '\(name)' of shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        }
        try withHDF5 {
            var storage = values.isEmpty ? [Int64(0)] : values
            try storage.withUnsafeMutableBufferPointer { p in
                try writeDataset(name, shape: shape, fileType: cshim_H5T_STD_I64LE(),
                                 memoryType: cshim_H5T_NATIVE_INT64(), data: UnsafeRawPointer(p.baseAddress!))
            }
        }
    }

    /// A dataset as float32 (integer and other float types are converted by HDF5).
    public func read(_ name: String) throws -> Tensor {
        try withHDF5 {
            let (dataset, shape) = try openDataset(name, allowed: [H5T_FLOAT, H5T_INTEGER], purpose: "a float tensor")
            defer { H5Dclose(dataset) }
            try checkStored(dataset, name, shape: shape)
            var tensor = Tensor(uninitializedShape: shape)
            let status = tensor.withUnsafeMutableBufferPointer {
                H5Dread(dataset, cshim_H5T_NATIVE_FLOAT(), cshim_H5S_ALL(), cshim_H5S_ALL(), cshim_H5P_DEFAULT(), $0.baseAddress)
            }
            if status < 0 { throw readFailure(name) }
            return tensor
        }
    }

    /// An integer dataset as int64.
    public func readInt64(_ name: String) throws -> [Int64] {
        try withHDF5 {
            let (dataset, shape) = try openDataset(name, allowed: [H5T_INTEGER], purpose: "an integer dataset")
            defer { H5Dclose(dataset) }
            try checkStored(dataset, name, shape: shape)
            let count = shape.reduce(1, *)
            var values = [Int64](repeating: 0, count: max(count, 1))
            let status = values.withUnsafeMutableBufferPointer {
                H5Dread(dataset, cshim_H5T_NATIVE_INT64(), cshim_H5S_ALL(), cshim_H5S_ALL(), cshim_H5P_DEFAULT(), $0.baseAddress)
            }
            if status < 0 { throw readFailure(name) }
            return count == 0 ? [] : values
        }
    }

    /// The shape of a dataset ([] for a scalar dataset).
    public func shape(of name: String) throws -> [Int] {
        try withHDF5 {
            let (dataset, shape) = try openDataset(name, allowed: nil, purpose: "a dataset")
            H5Dclose(dataset)
            return shape
        }
    }

    /// True when `name` names an object (group or dataset). Checks each level, since H5Lexists fails on
    /// missing intermediate groups. "" and "/" are the root.
    public func exists(_ name: String) -> Bool {
        withHDF5 {
            guard file >= 0 else { return false }
            let parts = components(name)
            var prefix = ""
            for part in parts {
                prefix += "/" + part
                if H5Lexists(file, prefix, cshim_H5P_DEFAULT()) <= 0 {
                    _ = hdf5ErrorMessage()
                    return false
                }
            }
            if parts.isEmpty { return true }
            // A soft link may dangle: the object itself must be there.
            let ok = H5Oexists_by_name(file, prefix, cshim_H5P_DEFAULT()) > 0
            if !ok { _ = hdf5ErrorMessage() }
            return ok
        }
    }

    /// Names of the direct members of a group, sorted by name; "" or "/" is the root.
    public func children(of group: String) throws -> [String] {
        try withHDF5 {
            try requireOpen()
            let location = absolute(group)
            guard exists(location), cshim_h5_object_kind(file, location) == 1 else {
                _ = hdf5ErrorMessage()
                throw CodecError(path: path, message: "has no group '\(group)'\(nearby(group))")
            }
            return try memberNames(location)
        }
    }

    /// All datasets under a group, recursively, as paths relative to the group, sorted.
    public func datasetNames(under group: String) throws -> [String] {
        try withHDF5 {
            try requireOpen()
            let location = absolute(group)
            guard exists(location), cshim_h5_object_kind(file, location) == 1 else {
                _ = hdf5ErrorMessage()
                throw CodecError(path: path, message: "has no group '\(group)'\(nearby(group))")
            }
            var found: [String] = []
            func walk(_ absolutePath: String, _ relative: String) throws {
                for child in try memberNames(absolutePath) {
                    let childPath = absolutePath == "/" ? "/" + child : absolutePath + "/" + child
                    let childRelative = relative.isEmpty ? child : relative + "/" + child
                    switch cshim_h5_object_kind(file, childPath) {
                    case 1: try walk(childPath, childRelative)
                    case 2: found.append(childRelative)
                    default: _ = hdf5ErrorMessage()   // named datatype or dangling link
                    }
                }
            }
            try walk(location, "")
            return found.sorted()
        }
    }

    // MARK: - Attributes

    /// Sets a variable-length UTF-8 string attribute (h5py reads it as str) on a group or dataset.
    public func setAttribute(_ name: String, string value: String, at object: String = "/") throws {
        try withHDF5 {
            let type = H5Tcopy(cshim_H5T_C_S1())
            guard type >= 0 else { throw failure("cannot create a string type") }
            defer { H5Tclose(type) }
            H5Tset_size(type, cshim_H5T_VARIABLE())
            H5Tset_cset(type, H5T_CSET_UTF8)
            try value.withCString { cString in
                var pointer: UnsafePointer<CChar>? = cString
                try withUnsafePointer(to: &pointer) { p in
                    try writeAttribute(name, at: object, fileType: type, memoryType: type, data: UnsafeRawPointer(p))
                }
            }
        }
    }

    /// Sets a float64 attribute.
    public func setAttribute(_ name: String, number value: Double, at object: String = "/") throws {
        try withHDF5 {
            var v = value
            try writeAttribute(name, at: object, fileType: cshim_H5T_IEEE_F64LE(), memoryType: cshim_H5T_NATIVE_DOUBLE(), data: &v)
        }
    }

    /// Sets an int64 attribute.
    public func setAttribute(_ name: String, int value: Int64, at object: String = "/") throws {
        try withHDF5 {
            var v = value
            try writeAttribute(name, at: object, fileType: cshim_H5T_STD_I64LE(), memoryType: cshim_H5T_NATIVE_INT64(), data: &v)
        }
    }

    /// A string attribute (variable or fixed length); nil when absent.
    public func stringAttribute(_ name: String, at object: String = "/") throws -> String? {
        try withHDF5 {
            guard let (attribute, type) = try openAttribute(name, at: object, allowed: [H5T_STRING], purpose: "a string") else { return nil }
            defer { H5Tclose(type); H5Aclose(attribute) }
            let memory = H5Tcopy(cshim_H5T_C_S1())
            defer { H5Tclose(memory) }
            H5Tset_cset(memory, H5Tget_cset(type))
            if H5Tis_variable_str(type) > 0 {
                H5Tset_size(memory, cshim_H5T_VARIABLE())
                var pointer: UnsafeMutablePointer<CChar>? = nil
                if H5Aread(attribute, memory, &pointer) < 0 { throw failure("has attribute '\(name)' on '\(object)' but it cannot be read") }
                guard let pointer else { return "" }
                defer { H5free_memory(pointer) }
                return String(cString: pointer)
            } else {
                let size = H5Tget_size(type)
                H5Tset_size(memory, size + 1)
                H5Tset_strpad(memory, H5T_STR_NULLTERM)
                var buffer = [CChar](repeating: 0, count: size + 1)
                if H5Aread(attribute, memory, &buffer) < 0 { throw failure("has attribute '\(name)' on '\(object)' but it cannot be read") }
                return ImageFile.string(buffer)
            }
        }
    }

    /// A numeric attribute (any float or integer type) as Double; nil when absent.
    public func numberAttribute(_ name: String, at object: String = "/") throws -> Double? {
        try withHDF5 {
            guard let (attribute, type) = try openAttribute(name, at: object, allowed: [H5T_FLOAT, H5T_INTEGER], purpose: "a number") else { return nil }
            defer { H5Tclose(type); H5Aclose(attribute) }
            var value = 0.0
            if H5Aread(attribute, cshim_H5T_NATIVE_DOUBLE(), &value) < 0 { throw failure("has attribute '\(name)' on '\(object)' but it cannot be read") }
            return value
        }
    }

    /// An integer attribute as Int64; nil when absent. A float attribute is an error, not rounded.
    public func intAttribute(_ name: String, at object: String = "/") throws -> Int64? {
        try withHDF5 {
            guard let (attribute, type) = try openAttribute(name, at: object, allowed: [H5T_INTEGER], purpose: "an integer") else { return nil }
            defer { H5Tclose(type); H5Aclose(attribute) }
            var value: Int64 = 0
            if H5Aread(attribute, cshim_H5T_NATIVE_INT64(), &value) < 0 { throw failure("has attribute '\(name)' on '\(object)' but it cannot be read") }
            return value
        }
    }

    // MARK: - Internals (all called under hdf5Lock)

    /// A CodecError with HDF5's own message. Call right after the failing HDF5 call, before any other.
    /// Refuses a dataset whose shape asks for more bytes than the file stores for it (a corrupted shape, or a
    /// truncated file) before anything is allocated for it. None of this tool's datasets is compressed.
    private func checkStored(_ dataset: hid_t, _ name: String, shape: [Int]) throws {
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, d >= 0 else {
                throw CodecError(path: path, message: "has dataset '\(name)' with an impossible shape \(shape): the file is corrupted")
            }
            elements = product
        }
        let type = H5Dget_type(dataset)
        let size = type < 0 ? 0 : H5Tget_size(type)
        if type >= 0 { H5Tclose(type) }
        let stored = Int(H5Dget_storage_size(dataset))
        let needed = elements.multipliedReportingOverflow(by: max(Int(size), 1))
        if needed.overflow || (elements > 0 && stored < needed.partialValue) {
            _ = hdf5ErrorMessage()
            throw CodecError(path: path, message: "has dataset '\(name)' of shape \(shape) but stores only \(stored) bytes "
                             + "for it: the file is corrupted or truncated")
        }
    }

    /// A failed read: a checksum that does not match says the file is corrupted.
    private func readFailure(_ name: String) -> CodecError {
        let detail = hdf5ErrorMessage()
        if detail.lowercased().contains("checksum") || detail.lowercased().contains("fletcher") {
            return CodecError(path: path, message: "is corrupted: dataset '\(name)' does not match its checksum (HDF5 says "
                              + "\(detail)); use an earlier checkpoint (checkpoints/epoch_N.h5) or a backup")
        }
        return CodecError(path: path, message: detail.isEmpty ? "has dataset '\(name)' but it cannot be read"
                          : "has dataset '\(name)' but it cannot be read: HDF5 says \(detail)")
    }

    private func failure(_ what: String) -> CodecError {
        var detail = hdf5ErrorMessage()
        // A failed system call: HDF5's line ends in "errno = 28, error message = 'No space left on device', …".
        if let start = detail.range(of: "error message = '"), let end = detail[start.upperBound...].firstIndex(of: "'") {
            return CodecError(path: path, message: "\(what): \(detail[start.upperBound..<end])")
        }
        detail = String(detail.prefix(300))
        return CodecError(path: path, message: detail.isEmpty ? what : "\(what): HDF5 says \(detail)")
    }

    private func requireOpen() throws {
        if file < 0 { throw CodecError(path: path, message: "was already closed (HDF5File.close())") }
    }

    private func requireWritable() throws {
        try requireOpen()
        if mode != .create { throw CodecError(path: path, message: "was opened for reading; open it with mode .create to write") }
    }

    private func components(_ name: String) -> [String] {
        name.split(separator: "/").map(String.init)
    }

    private func absolute(_ name: String) -> String {
        "/" + components(name).joined(separator: "/")
    }

    /// ", its nearest existing group 'X' holds: a, b, …" to help with a mistyped name.
    private func nearby(_ name: String) -> String {
        var parts = components(name)
        while !parts.isEmpty {
            parts.removeLast()
            let candidate = "/" + parts.joined(separator: "/")
            if exists(candidate) && cshim_h5_object_kind(file, candidate) == 1 {
                guard let names = try? memberNames(candidate) else { return "" }
                let shown = names.prefix(8).joined(separator: ", ") + (names.count > 8 ? ", …" : "")
                let label = parts.isEmpty ? "the root group" : "group '\(parts.joined(separator: "/"))'"
                return names.isEmpty ? " (\(label) is empty)" : " (\(label) holds: \(shown))"
            }
            _ = hdf5ErrorMessage()
        }
        return ""
    }

    private func memberNames(_ group: String) throws -> [String] {
        let g = H5Gopen2(file, group, cshim_H5P_DEFAULT())
        if g < 0 { throw failure("cannot open group '\(group)'") }
        defer { H5Gclose(g) }
        var info = H5G_info_t()
        if H5Gget_info(g, &info) < 0 { throw failure("cannot list group '\(group)'") }
        var names: [String] = []
        names.reserveCapacity(Int(info.nlinks))
        for i in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, cshim_H5P_DEFAULT())
            if length < 0 { throw failure("cannot list group '\(group)'") }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            if H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, cshim_H5P_DEFAULT()) < 0 {
                throw failure("cannot list group '\(group)'")
            }
            names.append(ImageFile.string(buffer))
        }
        return names
    }

    /// Opens a dataset after checking it exists and (when `allowed` is given) its type class.
    private func openDataset(_ name: String, allowed: [H5T_class_t]?, purpose: String) throws -> (hid_t, [Int]) {
        try requireOpen()
        let location = absolute(name)
        guard !components(name).isEmpty else {
            throw CodecError(path: path, message: "has no dataset '\(name)': give a dataset name such as 'G_A/model.1.weight'")
        }
        guard exists(location) else {
            throw CodecError(path: path, message: "has no dataset '\(name)'\(nearby(name))")
        }
        let kind = cshim_h5_object_kind(file, location)
        guard kind == 2 else {
            _ = hdf5ErrorMessage()
            throw CodecError(path: path, message: "has '\(name)' but it is \(kind == 1 ? "a group" : "not a dataset"), not \(purpose)")
        }
        let dataset = H5Dopen2(file, location, cshim_H5P_DEFAULT())
        if dataset < 0 { throw failure("has dataset '\(name)' but it cannot be opened") }
        var ok = false
        defer { if !ok { H5Dclose(dataset) } }
        if let allowed {
            let type = H5Dget_type(dataset)
            if type < 0 { throw failure("has dataset '\(name)' but its type cannot be read") }
            let typeClass = H5Tget_class(type)
            H5Tclose(type)
            guard allowed.contains(typeClass) else {
                throw CodecError(path: path, message: "has dataset '\(name)' but it is \(className(typeClass)), not \(purpose)")
            }
        }
        let space = H5Dget_space(dataset)
        if space < 0 { throw failure("has dataset '\(name)' but its shape cannot be read") }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        if rank < 0 { throw failure("has dataset '\(name)' but its shape cannot be read") }
        var dims = [hsize_t](repeating: 0, count: max(Int(rank), 1))
        if rank > 0 && H5Sget_simple_extent_dims(space, &dims, nil) < 0 {
            throw failure("has dataset '\(name)' but its shape cannot be read")
        }
        ok = true
        return (dataset, dims.prefix(Int(rank)).map { Int($0) })
    }

    private func className(_ c: H5T_class_t) -> String {
        switch c {
        case H5T_INTEGER: return "an integer dataset"
        case H5T_FLOAT: return "a float dataset"
        case H5T_STRING: return "a string dataset"
        case H5T_COMPOUND: return "a compound dataset"
        case H5T_ENUM: return "an enum (e.g. boolean) dataset"
        default: return "a dataset of type class \(c.rawValue)"
        }
    }

    private func writeDataset(_ name: String, shape: [Int], fileType: hid_t, memoryType: hid_t, data: UnsafeRawPointer) throws {
        try requireWritable()
        let location = absolute(name)
        guard !components(name).isEmpty else {
            throw CodecError(path: path, message: "was not written: a dataset needs a name such as 'G_A/model.1.weight'")
        }
        if exists(location) {
            if cshim_h5_object_kind(file, location) != 2 {
                _ = hdf5ErrorMessage()
                throw CodecError(path: path, message: "was not written: '\(name)' is already a group")
            }
            if H5Ldelete(file, location, cshim_H5P_DEFAULT()) < 0 { throw failure("could not replace dataset '\(name)'") }
        }
        let space: hid_t
        if shape.isEmpty {
            space = H5Screate(H5S_SCALAR)
        } else {
            let dims = shape.map { hsize_t($0) }
            space = H5Screate_simple(Int32(dims.count), dims, nil)
        }
        if space < 0 { throw failure("was not written: cannot make a dataspace of shape \(shape) for '\(name)'") }
        defer { H5Sclose(space) }
        let lcpl = H5Pcreate(cshim_H5P_LINK_CREATE())
        if lcpl < 0 { throw failure("was not written: cannot create a property list") }
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        // Each dataset one chunk with HDF5's Fletcher32 checksum, which every read verifies (h5py too).
        let dcpl = H5Pcreate(cshim_H5P_DATASET_CREATE())
        if dcpl < 0 { throw failure("was not written: cannot create a property list") }
        defer { H5Pclose(dcpl) }
        if !shape.isEmpty && shape.allSatisfy({ $0 > 0 }) {
            let dims = shape.map { hsize_t($0) }
            if H5Pset_chunk(dcpl, Int32(dims.count), dims) < 0 || H5Pset_fletcher32(dcpl) < 0 {
                throw failure("was not written: cannot set a checksum for '\(name)'")
            }
        }
        let dataset = H5Dcreate2(file, location, fileType, space, lcpl, dcpl, cshim_H5P_DEFAULT())
        if dataset < 0 { throw failure("could not create dataset '\(name)'") }
        defer { H5Dclose(dataset) }
        if shape.reduce(1, *) > 0 {
            if H5Dwrite(dataset, memoryType, cshim_H5S_ALL(), cshim_H5S_ALL(), cshim_H5P_DEFAULT(), data) < 0 {
                throw failure("could not write dataset '\(name)'")
            }
        }
    }

    private func writeAttribute(_ name: String, at object: String, fileType: hid_t, memoryType: hid_t, data: UnsafeRawPointer) throws {
        try requireWritable()
        let location = absolute(object)
        guard exists(location) else {
            throw CodecError(path: path, message: "has no object '\(object)' to hold attribute '\(name)'\(nearby(object))")
        }
        let present = H5Aexists_by_name(file, location, name, cshim_H5P_DEFAULT())
        if present < 0 { throw failure("could not set attribute '\(name)' on '\(object)'") }
        if present > 0 && H5Adelete_by_name(file, location, name, cshim_H5P_DEFAULT()) < 0 {
            throw failure("could not replace attribute '\(name)' on '\(object)'")
        }
        let space = H5Screate(H5S_SCALAR)
        if space < 0 { throw failure("could not set attribute '\(name)' on '\(object)'") }
        defer { H5Sclose(space) }
        let attribute = H5Acreate_by_name(file, location, name, fileType, space, cshim_H5P_DEFAULT(), cshim_H5P_DEFAULT(), cshim_H5P_DEFAULT())
        if attribute < 0 { throw failure("could not create attribute '\(name)' on '\(object)'") }
        defer { H5Aclose(attribute) }
        if H5Awrite(attribute, memoryType, data) < 0 { throw failure("could not write attribute '\(name)' on '\(object)'") }
    }

    /// Opens an attribute holding one value of an allowed class; nil when the attribute is absent.
    /// The caller closes both ids.
    private func openAttribute(_ name: String, at object: String, allowed: [H5T_class_t], purpose: String) throws -> (hid_t, hid_t)? {
        try requireOpen()
        let location = absolute(object)
        guard exists(location) else {
            throw CodecError(path: path, message: "has no object '\(object)' to read attribute '\(name)' from\(nearby(object))")
        }
        let present = H5Aexists_by_name(file, location, name, cshim_H5P_DEFAULT())
        if present < 0 { throw failure("could not look up attribute '\(name)' on '\(object)'") }
        if present == 0 { return nil }
        let attribute = H5Aopen_by_name(file, location, name, cshim_H5P_DEFAULT(), cshim_H5P_DEFAULT())
        if attribute < 0 { throw failure("could not open attribute '\(name)' on '\(object)'") }
        let type = H5Aget_type(attribute)
        if type < 0 {
            let error = failure("could not read the type of attribute '\(name)' on '\(object)'")
            H5Aclose(attribute)
            throw error
        }
        let typeClass = H5Tget_class(type)
        let space = H5Aget_space(attribute)
        let points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1
        if space >= 0 { H5Sclose(space) }
        guard allowed.contains(typeClass), points == 1 else {
            H5Tclose(type)
            H5Aclose(attribute)
            let what = points == 1 ? className(typeClass).replacingOccurrences(of: " dataset", with: "") : "an array of \(points) values"
            throw CodecError(path: path, message: "has attribute '\(name)' on '\(object)' but it is \(what), not \(purpose)")
        }
        return (attribute, type)
    }
}
