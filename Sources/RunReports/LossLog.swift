import Foundation
import RunLayout

/// The loss log of one run, `Runs/NAME/losses.csv`, read into columns.
///
/// The trainer appends one row per logging interval and flushes it, so the file can be read while the run
/// is still writing it: a last line cut short (no newline yet, too few fields, or a field that is not a
/// number) is skipped and counted in `skippedPartialLine`, never fatal. Other lines that cannot be read
/// are skipped too and listed in `notes`, so that nothing is dropped silently.
///
/// Values that are `nan`, `inf` or empty are kept as non-finite numbers: the plot draws them as gaps and
/// the summary reports the first iteration where they appear.
public struct LossLog: Sendable {
    /// The file the log was read from (as given).
    public let path: String
    /// The header's column names, in file order (required ones first, extra columns kept).
    public let columns: [String]
    /// One array per column, all of `rowCount` values.
    public let values: [String: [Double]]
    /// True when the last line was incomplete (the run is probably still writing it) and was skipped.
    public let skippedPartialLine: Bool
    /// Lines that were skipped or superseded, one human-readable sentence each.
    public let notes: [String]

    /// The columns every log must have: the iteration and the eight losses, with the reference's names.
    public static let requiredColumns = ["iteration"] + lossColumns
    /// The eight losses in the reference's order: `D_A, G_A, cycle_A, idt_A, D_B, G_B, cycle_B, idt_B`.
    public static let lossColumns = LossColumns.losses
    /// Columns that are plotted when present.
    public static let optionalColumns = ["epoch", "lr", "seconds_per_iter"]

    public var rowCount: Int { values["iteration"]?.count ?? 0 }

    /// The values of one column, or nil when the log has no such column.
    public subscript(column: String) -> [Double]? { values[column] }

    /// The iteration of each row.
    public var iterations: [Double] { values["iteration"] ?? [] }

    /// The epoch of each row, when the log has an `epoch` column.
    public var epochs: [Double]? { values["epoch"] }

    /// The seconds-per-iteration column: `seconds_per_iter`, or `seconds` as some loggers name it.
    public var secondsPerIteration: [Double]? { values["seconds_per_iter"] ?? values["seconds"] }

    public init(path: String, columns: [String], values: [String: [Double]],
                skippedPartialLine: Bool = false, notes: [String] = []) {
        self.path = path
        self.columns = columns
        self.values = values
        self.skippedPartialLine = skippedPartialLine
        self.notes = notes
    }

    // MARK: - Reading

    /// Reads `losses.csv` at `csvPath`.
    ///
    /// Throws `RunReportError` (one line naming the file and what to do) when the file is missing or
    /// unreadable, empty, has no data row yet, or lacks a required column.
    public static func load(from csvPath: String, required: [String] = requiredColumns,
                            header: [String] = LossColumns.header) throws -> LossLog {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: csvPath, isDirectory: &isDirectory) else {
            throw RunReportError.missingFile(path: csvPath, advice:
                "the run has not logged any loss yet; start or resume it with `cyclegan train`, or check the path")
        }
        if isDirectory.boolValue {
            throw RunReportError.unreadable(path: csvPath, reason: "is a folder, not a CSV file")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: csvPath)) } catch {
            throw RunReportError.unreadable(path: csvPath, reason: error.localizedDescription)
        }
        // Decode leniently: a crash can leave a cut multi-byte sequence at the end.
        let text = String(decoding: data, as: UTF8.self)
        return try parse(text, path: csvPath, required: required, header: header)
    }

    /// Parses the text of a loss log; `path` is only used in messages.
    /// `required`: the columns the file must have (losses.csv's by default; val.csv has others).
    public static func parse(_ text: String, path: String, required: [String] = requiredColumns,
                             header: [String] = LossColumns.header) throws -> LossLog {
        // Swift reads "\r\n" as one Character, a newline like "\n": both line ends are accepted.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if text.last?.isNewline == true { lines.removeLast() }  // the empty string after the final newline

        // Header: the first line that is not blank.
        guard let headerIndex = lines.firstIndex(where: { !$0.allSatisfy(\.isWhitespace) }) else {
            throw RunReportError.emptyLog(path: path, expected: header)
        }
        let columns = splitFields(lines[headerIndex])
        let missing = required.filter { !columns.contains($0) }
        if !missing.isEmpty {
            throw RunReportError.badHeader(path: path, missing: missing, found: columns, expected: header)
        }
        if Set(columns).count != columns.count {
            let repeated = columns.filter { name in columns.filter { $0 == name }.count > 1 }
            throw RunReportError.badHeader(path: path, missing: [], found: columns,
                                           reason: "repeats the column \(repeated[0])", expected: header)
        }

        var table = [[Double]](repeating: [], count: columns.count)
        var notes: [String] = []
        var skippedPartialLine = false
        let iterationColumn = columns.firstIndex(of: "iteration")!
        let lastIndex = lines.count - 1

        for index in (headerIndex + 1)..<lines.count {
            let line = lines[index]
            if line.allSatisfy(\.isWhitespace) { continue }
            let lineNumber = index + 1
            let fields = splitFields(line)
            if fields == columns {  // a resumed run may write its header again
                continue
            }
            let row = fields.count == columns.count ? fields.map(parseNumber) : nil
            let rowIsComplete = row.map { !$0.contains(nil) && $0[iterationColumn]?.isFinite == true } ?? false
            if !rowIsComplete {
                if index == lastIndex {
                    // The run is writing this line right now (or died while writing it).
                    skippedPartialLine = true
                } else {
                    let reason = fields.count != columns.count
                        ? "\(fields.count) fields where the header has \(columns.count)"
                        : "a field that is not a number"
                    notes.append("skipped line \(lineNumber): \(reason)")
                }
                continue
            }
            let numbers = row!.map { $0! }

            // A run resumed from an earlier checkpoint logs the same iterations again: the newer rows win.
            let iteration = numbers[iterationColumn]
            let previous = table[iterationColumn]
            if let last = previous.last, iteration <= last {
                let keep = previous.firstIndex(where: { $0 >= iteration }) ?? previous.count
                let dropped = previous.count - keep
                for c in table.indices { table[c].removeLast(dropped) }
                notes.append("line \(lineNumber): iteration \(formatIteration(iteration)) logged again "
                             + "(a resumed run?); \(dropped) earlier row\(dropped == 1 ? "" : "s") replaced")
            }
            for c in table.indices { table[c].append(numbers[c]) }
        }

        if table[iterationColumn].isEmpty {
            throw RunReportError.noRows(path: path, partialLine: skippedPartialLine)
        }
        var values: [String: [Double]] = [:]
        for (c, name) in columns.enumerated() { values[name] = table[c] }
        return LossLog(path: path, columns: columns, values: values,
                       skippedPartialLine: skippedPartialLine, notes: notes)
    }

    /// Splits one CSV line at commas and trims spaces and quotes (the log holds names and numbers only).
    static func splitFields(_ line: Substring) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { field in
            var f = field.trimmingCharacters(in: .whitespaces)
            if f.count >= 2, f.hasPrefix("\""), f.hasSuffix("\"") { f = String(f.dropFirst().dropLast()) }
            return f
        }
    }

    /// A number as written by C, Swift or Python: also `nan`, `inf`, `-inf`, `infinity` in any case;
    /// an empty field is a missing value (NaN). Nil for anything else.
    static func parseNumber(_ field: String) -> Double? {
        if field.isEmpty { return .nan }
        if let value = Double(field) { return value }
        switch field.lowercased() {
        case "nan", "-nan", "+nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return nil
        }
    }
}

/// An iteration number as text, without a fractional part when it has none.
func formatIteration(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
}
