import Foundation
import RunLayout

/// A run's val.csv (`ValidationColumns`, written by `train --val_freq`): one row per validation, and the
/// best of them.
public struct ValidationLog: Sendable {
    public let log: LossLog

    /// Reads val.csv; errors name the file and what to do, as for losses.csv.
    public static func load(from path: String) throws -> ValidationLog {
        let required = [LossColumns.iteration, LossColumns.epoch, ValidationColumns.psnrA, ValidationColumns.psnrB]
        return ValidationLog(log: try LossLog.load(from: path, required: required, header: ValidationColumns.header))
    }

    public var rowCount: Int { log.rowCount }
    public var iterations: [Double] { log.iterations }
    public func column(_ name: String) -> [Double] { log[name] ?? Array(repeating: .nan, count: rowCount) }

    /// Whether the validations computed KID (Inception weights were given) in every row.
    public var hasKID: Bool {
        rowCount > 0 && [ValidationColumns.kidAtoB, ValidationColumns.kidBtoA].allSatisfy { column($0).allSatisfy(\.isFinite) }
    }

    /// What `best` means.
    public var criterion: String { hasKID ? "lowest mean KID of the two directions" : "highest mean cycle PSNR" }

    /// The row of the best validation: the lowest mean KID when KID was computed (it compares translations
    /// with real images of their domain), else the highest mean cycle PSNR (how well each domain survives
    /// the round trip, which says nothing of realism). The first such row on a tie.
    public var best: Int {
        let score: [Double] = hasKID
            ? zip(column(ValidationColumns.kidAtoB), column(ValidationColumns.kidBtoA)).map { -($0 + $1) / 2 }
            : zip(column(ValidationColumns.psnrA), column(ValidationColumns.psnrB)).map { ($0 + $1) / 2 }
        var best = 0
        for (i, value) in score.enumerated() where value > score[best] || (score[best].isNaN && !value.isNaN) { best = i }
        return best
    }

    /// The epoch of row `row`.
    public func epoch(_ row: Int) -> Int { Int(column(LossColumns.epoch)[row]) }

    /// One line: how many validations and the best one.
    public var headline: String {
        let b = best
        var text = "Validation: \(rowCount) row\(rowCount == 1 ? "" : "s"); best epoch \(epoch(b)) (\(criterion)): "
            + String(format: "cycle PSNR A %.2f dB, B %.2f dB", column(ValidationColumns.psnrA)[b], column(ValidationColumns.psnrB)[b])
        if hasKID {
            text += String(format: ", KID A→B %.4g, B→A %.4g", column(ValidationColumns.kidAtoB)[b], column(ValidationColumns.kidBtoA)[b])
        }
        return text
    }
}
