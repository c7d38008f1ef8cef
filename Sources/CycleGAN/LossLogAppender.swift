import Codecs
import Foundation

/// losses.csv: a header row, then one row per logging interval, each written straight to the file
/// (no buffering), so a crash loses no logged row.
final class LossLogAppender {
    let path: String
    private let handle: FileHandle

    /// Opens the log for appending. A new file gets the header. On resume, rows logged after the
    /// checkpoint's iteration are dropped: the resumed run logs them again, identically.
    init(path: String, header: [String], keepingRowsThrough iteration: Int) throws {
        self.path = path
        let fm = FileManager.default
        if iteration > 0, let text = try? String(contentsOfFile: path, encoding: .utf8) {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if let first = lines.first, first != header.joined(separator: ",") {
                throw RunFolderError("\(path) has the header '\(first)', not this tool's: move it away to resume")
            }
            lines = [lines.first ?? header.joined(separator: ",")] + lines.dropFirst().filter { line in
                guard let value = Int(line.split(separator: ",").first ?? "") else { return false }  // partial last line
                return value <= iteration
            }
            try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: path)
        } else if !fm.fileExists(atPath: path) || iteration == 0 {
            try AtomicFile.write(header.joined(separator: ",") + "\n", to: path)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw RunFolderError("\(path) cannot be opened for writing: check the folder's permissions")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    func append(_ values: [Double]) throws {
        let row = values.enumerated().map { i, v in i < 2 ? String(Int(v)) : formatValue(v) }.joined(separator: ",")
        let end = handle.offsetInFile
        do {
            try handle.write(contentsOf: Data((row + "\n").utf8))
        } catch {
            try? handle.truncate(atOffset: end)   // no half-written row for a resume to misread
            throw RunFolderError("\(path): a row could not be appended (\(error.localizedDescription)): free disk space, then "
                            + "resume with --continue_train")
        }
    }

    private func formatValue(_ v: Double) -> String {
        v.isNaN ? "nan" : (v.isInfinite ? (v > 0 ? "inf" : "-inf") : String(format: "%.6g", v))
    }
}
