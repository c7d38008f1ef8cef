import RunLayout
import Foundation

/// A mistake in the user's input, told in one line that names the file and says what to do.
public enum RunReportError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The run folder does not exist.
    case missingRunFolder(path: String)
    /// A file the command needs does not exist.
    case missingFile(path: String, advice: String)
    /// The file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// The file is empty (not even a header).
    case emptyLog(path: String, expected: [String] = LossColumns.header)
    /// The header lacks required columns (or is otherwise unusable).
    case badHeader(path: String, missing: [String], found: [String], reason: String? = nil,
                   expected: [String] = LossColumns.header)
    /// The header is there but no complete data row is.
    case noRows(path: String, partialLine: Bool)
    /// An output file could not be written.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingRunFolder(let path):
            return "\(path): no such run folder; give the folder a training run wrote (Runs/NAME), "
                + "or start one with `cyclegan train --name NAME`"
        case .missingFile(let path, let advice):
            return "\(path): no such file; \(advice)"
        case .unreadable(let path, let reason):
            return "\(path): cannot be read (\(reason))"
        case .emptyLog(let path, let expected):
            return "\(path): the file is empty; it should start with the header "
                + "`\(expected.prefix(4).joined(separator: ",")),...`: let the run log its first row, or point to another run"
        case .badHeader(let path, let missing, let found, let reason, let expected):
            let shown = found.prefix(12).joined(separator: ",") + (found.count > 12 ? ",..." : "")
            let kind = expected == LossColumns.header ? "a loss log" : "a validation log"
            if let reason {
                return "\(path): the header \(reason) (found: \(shown)); is this \(kind) of cyclegan train?"
            }
            let plural = missing.count == 1 ? "column" : "columns"
            return "\(path): the header lacks the \(plural) \(missing.joined(separator: ", ")) (found: \(shown)); "
                + "\(kind) of cyclegan train starts with " + expected.joined(separator: ",")
        case .noRows(let path, let partialLine):
            return partialLine
                ? "\(path): no complete row yet (the only row is still being written); try again after the run's first logging interval"
                : "\(path): a header but no rows; let the run log its first interval, then try again"
        case .cannotWrite(let path, let reason):
            return "\(path): cannot be written (\(reason)); check that the folder exists and is writable"
        }
    }

    public var errorDescription: String? { description }
}
