import Foundation
import RunLayout

/// One training process per run folder: an exclusive `flock` on `<run>/.lock`, which holds the holder's
/// process id so that a second process can name it. The kernel drops the lock when its process ends, however
/// it ends (exit, crash, kill -9), so a lock file left behind never blocks the next run.
final class RunLock {
    private let descriptor: Int32

    init(folder: String) throws {
        let path = (folder as NSString).appendingPathComponent(RunLayout.lock)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RunFolderError("\(path) cannot be opened (\(String(cString: strerror(errno)))): check the folder's permissions")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw RunFolderError("\(folder) is being trained by another process (pid \(holder ?? "unknown")): "
                            + "wait for it to finish or stop it (kill \(holder ?? "PID")) before training this run")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit { close(descriptor) }   // closing the last descriptor releases the lock
}
