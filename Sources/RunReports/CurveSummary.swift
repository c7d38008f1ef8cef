import Foundation

// MARK: - Trend

/// Which way a loss is heading at the end of the run.
public enum Trend: String, Sendable, Equatable {
    case falling, flat, rising

    /// The fraction of the rows, counted from the end, over which the trend is measured.
    public static let window = 1.0 / 3.0
    /// A change smaller than this fraction of the window's mean is `flat`.
    public static let relativeTolerance = 0.05
    /// A change is only believed when the fitted slope is this many standard errors away from zero,
    /// so that noise in a short or jumpy tail reads as `flat`.
    public static let minimumTScore = 2.0

    /// The least-squares line through the finite values of the last third of the rows:
    /// `relativeChange` = fitted change across the window / |mean of the window|.
    /// Needs at least 4 finite values (else `flat`, change 0).
    public static func estimate(iterations: [Double], values: [Double]) -> (trend: Trend, relativeChange: Double) {
        let n = values.count
        let start = n - max(1, Int((Double(n) * window).rounded(.up)))
        var xs: [Double] = [], ys: [Double] = []
        for i in start..<n where values[i].isFinite && iterations[i].isFinite {
            xs.append(iterations[i]); ys.append(values[i])
        }
        guard xs.count >= 4 else { return (.flat, 0) }
        let count = Double(xs.count)
        let meanX = xs.reduce(0, +) / count, meanY = ys.reduce(0, +) / count
        var sxx = 0.0, sxy = 0.0
        for (x, y) in zip(xs, ys) { sxx += (x - meanX) * (x - meanX); sxy += (x - meanX) * (y - meanY) }
        guard sxx > 0 else { return (.flat, 0) }
        let slope = sxy / sxx
        var residuals = 0.0
        for (x, y) in zip(xs, ys) { let r = y - (meanY + slope * (x - meanX)); residuals += r * r }
        let standardError = (residuals / (count - 2) / sxx).squareRoot()
        let tScore = standardError > 0 ? abs(slope) / standardError : .infinity
        let change = slope * (xs.last! - xs.first!)
        let relative = change / max(abs(meanY), 1e-12)
        guard abs(relative) >= relativeTolerance, tScore >= minimumTScore else { return (.flat, relative) }
        return (relative < 0 ? .falling : .rising, relative)
    }
}

// MARK: - Per-loss statistics

/// What the terminal table shows for one column.
public struct LossStatistics: Sendable, Equatable {
    public let column: String
    /// The value of the last row (NaN or ±inf if that row has one).
    public let last: Double
    /// The smallest finite value, and the iteration where it was reached (nil when none is finite).
    public let min: Double?
    public let minIteration: Double?
    /// The mean of the finite values of the last 10 % of the rows (at least one row); nil if none is finite.
    public let recentMean: Double?
    public let trend: Trend
    /// Fitted change over the last third of the rows, as a fraction of its mean (see `Trend.estimate`).
    public let relativeChange: Double
    /// How many rows hold NaN or ±inf, and the iteration of the first one.
    public let nonFiniteCount: Int
    public let firstNonFiniteIteration: Double?

    /// The fraction of the rows, counted from the end, that `recentMean` averages.
    public static let recentFraction = 0.10

    /// The number of rows (from the end) that `recentMean` averages for a log of `rowCount` rows.
    public static func recentRowCount(_ rowCount: Int) -> Int {
        max(1, Int((Double(rowCount) * recentFraction).rounded(.up)))
    }

    public init(column: String, iterations: [Double], values: [Double]) {
        self.column = column
        last = values.last ?? .nan
        var minimum: Double? = nil, minimumAt: Double? = nil
        var badCount = 0, firstBad: Double? = nil
        for (x, v) in zip(iterations, values) {
            if v.isFinite {
                if minimum == nil || v < minimum! { minimum = v; minimumAt = x }
            } else {
                badCount += 1
                if firstBad == nil { firstBad = x }
            }
        }
        min = minimum; minIteration = minimumAt
        nonFiniteCount = badCount; firstNonFiniteIteration = firstBad
        let recent = values.suffix(LossStatistics.recentRowCount(values.count)).filter(\.isFinite)
        recentMean = recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
        (trend, relativeChange) = Trend.estimate(iterations: iterations, values: values)
    }
}

// MARK: - Warnings

/// A known sign of a failing CycleGAN run.
public enum CurveWarning: Sendable, Equatable, CustomStringConvertible {
    /// A discriminator loss stuck near 0: the discriminator wins, its generator gets little signal.
    case discriminatorWins(loss: String, recentMean: Double)
    /// A cycle-consistency loss that rises at the end of the run.
    case cycleRising(loss: String, relativeChange: Double)
    /// NaN or infinite values, from `firstIteration` on (`count` rows in all); `persists` when the last
    /// row is one of them (the run diverged).
    case nonFinite(column: String, firstIteration: Double, count: Int, persists: Bool)

    public var column: String {
        switch self {
        case .discriminatorWins(let c, _), .cycleRising(let c, _), .nonFinite(let c, _, _, _): return c
        }
    }

    public var description: String {
        switch self {
        case .discriminatorWins(let loss, let mean):
            let generator = loss == "D_A" ? "G_A" : loss == "D_B" ? "G_B" : "its generator"
            return "\(loss) stuck near 0 (mean \(formatNumber(mean)) over the last 10 % of rows): "
                + "the discriminator wins and \(generator) gets little signal"
        case .cycleRising(let loss, let change):
            return "\(loss) rising (\(formatPercent(change)) over the last third of rows): "
                + "the translations drift away from what can be reconstructed"
        case .nonFinite(let column, let first, let count, let persists):
            let rows = "\(count) row\(count == 1 ? "" : "s") in all"
            return persists
                ? "\(column) is NaN or infinite from iteration \(formatThousands(first)) to the end (\(rows)): "
                    + "the run diverged; resume from a checkpoint before it, with a lower learning rate"
                : "\(column) is NaN or infinite first at iteration \(formatThousands(first)) (\(rows)): "
                    + "a numerical blow-up; watch whether it comes back"
        }
    }
}

// MARK: - Summary of one run

/// The terminal summary of a loss log: per loss the last value, the minimum, the mean of the last 10 %
/// and the trend, and the known failure signs.
public struct CurveSummary: Sendable {
    /// A discriminator whose recent mean loss is below this is "stuck near 0" (LSGAN's balance is ~0.25).
    public static let discriminatorNearZero = 0.05

    public let log: LossLog
    public let losses: [LossStatistics]
    /// Statistics of the learning rate and of the seconds per iteration, when logged.
    public let learningRate: LossStatistics?
    public let secondsPerIteration: LossStatistics?
    public let warnings: [CurveWarning]

    public init(log: LossLog) {
        self.log = log
        let iterations = log.iterations
        losses = LossLog.lossColumns.compactMap { column in
            log[column].map { LossStatistics(column: column, iterations: iterations, values: $0) }
        }
        learningRate = log["lr"].map { LossStatistics(column: "lr", iterations: iterations, values: $0) }
        secondsPerIteration = log.secondsPerIteration.map {
            LossStatistics(column: "seconds_per_iter", iterations: iterations, values: $0)
        }

        var warnings: [CurveWarning] = []
        for column in log.columns where column != "iteration" {
            let values = log[column]!
            let stats = LossStatistics(column: column, iterations: iterations, values: values)
            if let first = stats.firstNonFiniteIteration {
                warnings.append(.nonFinite(column: column, firstIteration: first, count: stats.nonFiniteCount,
                                           persists: !stats.last.isFinite))
            }
        }
        for stats in losses {
            if stats.column.hasPrefix("D_"), let mean = stats.recentMean, mean < CurveSummary.discriminatorNearZero {
                warnings.append(.discriminatorWins(loss: stats.column, recentMean: mean))
            }
            if stats.column.hasPrefix("cycle_"), stats.trend == .rising {
                warnings.append(.cycleRising(loss: stats.column, relativeChange: stats.relativeChange))
            }
        }
        self.warnings = warnings
    }

    /// The statistics of one loss column.
    public func statistics(_ column: String) -> LossStatistics? {
        losses.first { $0.column == column }
    }

    /// One line on what was read: rows, iteration and epoch range, skipped lines.
    public var headline: String {
        let iterations = log.iterations
        var text = "\(log.path): \(formatThousands(Double(log.rowCount))) row\(log.rowCount == 1 ? "" : "s"), "
            + "iterations \(formatThousands(iterations.first!))–\(formatThousands(iterations.last!))"
        if let epochs = log.epochs?.filter(\.isFinite), let first = epochs.first, let last = epochs.last {
            text += first == last ? ", epoch \(formatThousands(first))"
                : ", epochs \(formatThousands(first))–\(formatThousands(last))"
        }
        if log.skippedPartialLine { text += " (last line still being written: skipped)" }
        return text
    }

    /// The summary as a plain-text table, with ANSI colours when `colors` is true.
    public func formattedTable(colors: Bool = false) -> String {
        func paint(_ text: String, _ code: String) -> String { colors ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        let header = ["loss", "last", "min", "mean last 10%", "trend"]
        var rows: [[String]] = losses.map { s in
            [s.column, formatNumber(s.last), s.min.map(formatNumber) ?? "–", s.recentMean.map(formatNumber) ?? "–",
             s.trend.rawValue + (s.trend == .flat ? "" : " (\(formatPercent(s.relativeChange)))")]
        }
        for extra in [learningRate, secondsPerIteration].compactMap({ $0 }) {
            rows.append([extra.column, formatNumber(extra.last), extra.min.map(formatNumber) ?? "–",
                         extra.recentMean.map(formatNumber) ?? "–", extra.trend.rawValue])
        }
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                if c == cells.count - 1 { return cell }
                return c == 0 ? cell + pad : pad + cell  // numbers right-aligned
            }.joined(separator: "  ")
        }
        let flagged = Set(warnings.map(\.column))
        var out = [headline, "", paint(line(header), "1")]
        for row in rows {
            let text = line(row)
            out.append(flagged.contains(row[0]) ? paint(text, "31") : text)
        }
        for note in log.notes { out.append("note: \(note)") }
        if warnings.isEmpty {
            out.append("")
            out.append("no known failure sign (D stuck near 0, cycle loss rising, NaN or inf)")
        } else {
            out.append("")
            for warning in warnings { out.append(paint("warning: ", "1;31") + warning.description) }
        }
        return out.joined(separator: "\n")
    }
}

// MARK: - Number formatting

/// Four significant digits, plain for ordinary sizes and scientific for tiny or huge ones; `nan`, `inf`.
public func formatNumber(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == 0 { return "0" }
    let magnitude = abs(value)
    if magnitude >= 1e-3 && magnitude < 1e5 {
        let decimals = Swift.max(0, 3 - Int(log10(magnitude).rounded(.down)))
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
    // Scientific: mantissa with up to 4 significant digits, exponent without padding (2e-4, 1.82e-5).
    let parts = String(format: "%.3e", value).split(separator: "e")
    var mantissa = String(parts[0])
    while mantissa.hasSuffix("0") { mantissa.removeLast() }
    if mantissa.hasSuffix(".") { mantissa.removeLast() }
    return mantissa + "e" + String(Int(parts[1])!)
}

/// An integral value with thousands separators: 41200 → "41,200" (others as `formatNumber`).
public func formatThousands(_ value: Double) -> String {
    guard value.isFinite, value == value.rounded(), abs(value) < 1e15 else { return formatNumber(value) }
    let digits = String(Int(abs(value)))
    var out = ""
    for (i, d) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(d)
    }
    return (value < 0 ? "-" : "") + out
}

/// A signed percentage: `+12 %`, `-4 %`.
func formatPercent(_ fraction: Double) -> String {
    guard fraction.isFinite else { return "?" }
    let percent = (fraction * 100).rounded()
    return (percent >= 0 ? "+" : "") + String(Int(percent)) + " %"
}
