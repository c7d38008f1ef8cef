import Foundation

/// Writes a file so that readers only ever see the old contents or the whole new ones: through a hidden
/// temporary file beside it, renamed onto it (atomic within one file system). On any failure the temporary
/// file is removed and the old file is left as it was. Every file the toolkit writes goes through here.
public enum AtomicFile {
    /// Runs `body` with a temporary path in the folder of `path`, then renames that file onto `path`.
    public static func write(_ path: String, _ body: (_ temporary: String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw CodecError(path: path, message: "cannot be written: the folder \(folder) does not exist; create it first")
        }
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try body(temporary)
        } catch {
            unlink(temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let e = errno
            unlink(temporary)
            throw CodecError(path: path, message: "could not be written (rename failed): \(String(cString: strerror(e)))")
        }
    }

    /// Writes `text` as UTF-8.
    public static func write(_ text: String, to path: String) throws {
        try write(path) { temporary in
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            } catch {
                throw CodecError(path: path, message: "could not be written (\(error.localizedDescription))")
            }
        }
    }
}
