import Foundation
import Testing
@testable import RunReports

/// The terminal summary: its numbers against an independent reading of the CSV, and the trend and
/// failure flags on made-up series whose answer is known.
@Suite struct SummaryTests {
    /// A log of made-up columns (every loss column present: the given ones, the rest at 0.3).
    static func log(rows: Int, _ columns: [String: (Int) -> Double]) -> LossLog {
        var values: [String: [Double]] = ["iteration": (0..<rows).map { Double(($0 + 1) * 100) }]
        for name in LossLog.lossColumns { values[name] = (0..<rows).map { columns[name]?($0) ?? 0.3 } }
        return LossLog(path: "made-up.csv", columns: ["iteration"] + LossLog.lossColumns, values: values)
    }

    @Test("last, min and mean of the last 10 % match an independent reading of the CSV (relative error < 1e-12)")
    func numbersMatchTheCSV() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("losses.csv").path
        let text = FakeRun.csv(rows: 347, seed: 7, nanRows: [200, 201], truncateLast: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)

        let summary = CurveSummary(log: try LossLog.load(from: path))

        // Independent oracle: split the text by hand, drop the header and the line without a newline.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().dropLast()
        let header = LossLogTests.header.split(separator: ",").map(String.init)
        let rows = lines.map { $0.split(separator: ",").map { Double(String($0)) ?? .nan } }
        #expect(rows.count == 347)
        let recentCount = Int((Double(rows.count) / 10).rounded(.up))  // 35 rows
        var largest = 0.0
        for name in LossLog.lossColumns {
            let c = header.firstIndex(of: name)!
            let column = rows.map { $0[c] }
            let finite = column.filter(\.isFinite)
            let recent = column.suffix(recentCount).filter(\.isFinite)
            let expectedMean = recent.reduce(0, +) / Double(recent.count)
            let stats = try #require(summary.statistics(name))
            #expect(stats.last == column.last!, "\(name) last")
            #expect(stats.min == finite.min()!, "\(name) min")
            let error = abs(stats.recentMean! - expectedMean) / abs(expectedMean)
            largest = max(largest, error)
            #expect(error < 1e-12, "\(name) recent mean \(stats.recentMean!) vs \(expectedMean)")
        }
        print("largest relative difference of the recent means: \(largest)")
        // The G_A column's NaN rows (200 and 201) are at iterations 10050 and 10100.
        #expect(summary.statistics("G_A")!.nonFiniteCount == 2)
        #expect(summary.warnings.contains(.nonFinite(column: "G_A", firstIteration: 10050, count: 2, persists: false)))

        // The printed table shows those numbers.
        let table = summary.formattedTable()
        let d = try #require(summary.statistics("cycle_A"))
        let line = try #require(table.split(separator: "\n").first { $0.hasPrefix("cycle_A ") })
        #expect(line.contains(formatNumber(d.last)) && line.contains(formatNumber(d.min!))
                && line.contains(formatNumber(d.recentMean!)))
        #expect(table.contains("still being written"))
    }

    @Test("trend: falling, rising and flat on made-up series (slope ±30 % over the window vs noise ±0.02)")
    func trends() {
        var random = SeededRandom(seed: 3)
        let xs = (0..<300).map { Double($0 * 100) }
        let noise = (0..<300).map { _ in 0.02 * random.normal() }
        let falling = (0..<300).map { 1.0 - 0.3 * Double($0) / 300 + noise[$0] }
        let rising = (0..<300).map { 0.5 + 0.4 * Double($0) / 300 + noise[$0] }
        let flat = (0..<300).map { 0.25 + noise[$0] * 3 }
        #expect(Trend.estimate(iterations: xs, values: falling).trend == .falling)
        #expect(Trend.estimate(iterations: xs, values: rising).trend == .rising)
        #expect(Trend.estimate(iterations: xs, values: flat).trend == .flat)
        // A short tail of pure noise is not a trend.
        #expect(Trend.estimate(iterations: [1, 2, 3], values: [1, 5, 9]).trend == .flat)
        // Oracle: a straight line without noise falls by exactly its slope over the window:
        // last third of 300 rows = 100 rows, y = 4 − x/10000 over x = 20000…29900 → change −0.99, mean 1.505.
        let line = xs.map { 4 - $0 / 10000 }
        let estimate = Trend.estimate(iterations: xs, values: line)
        #expect(estimate.trend == .falling)
        #expect(abs(estimate.relativeChange - (-0.99 / 1.505)) < 1e-9, "\(estimate.relativeChange)")
    }

    @Test("flags: D stuck near 0, cycle rising, NaN with its first iteration")
    func failureFlags() {
        let log = SummaryTests.log(rows: 200, [
            "D_A": { $0 < 60 ? 0.25 : 0.004 + 0.001 * Double($0 % 3) },  // D_A wins from row 60 on
            "D_B": { _ in 0.24 },
            "cycle_A": { 2.0 - 0.005 * Double(min($0, 120)) + 0.01 * Double(max(0, $0 - 120)) },  // turns up
            "cycle_B": { 2.0 - 0.005 * Double($0) },
            "G_B": { $0 == 150 || $0 == 151 ? .nan : ($0 == 180 ? .infinity : 0.4) },
        ])
        let summary = CurveSummary(log: log)
        #expect(summary.warnings.contains { if case .discriminatorWins("D_A", let m) = $0 { return m < 0.01 } else { return false } })
        #expect(!summary.warnings.contains { $0.column == "D_B" })
        #expect(summary.warnings.contains { if case .cycleRising("cycle_A", let c) = $0 { return c > 0.05 } else { return false } })
        #expect(!summary.warnings.contains { $0.column == "cycle_B" })
        // Rows 150, 151 (NaN) and 180 (inf): the first is iteration 15100.
        #expect(summary.warnings.contains(.nonFinite(column: "G_B", firstIteration: 15100, count: 3, persists: false)))
        #expect(summary.warnings.count == 3)
        #expect(summary.formattedTable().contains("warning: D_A stuck near 0"))
    }

    @Test("a NaN on the last row says the run diverged")
    func diverged() {
        let log = SummaryTests.log(rows: 50, ["G_A": { $0 >= 45 ? .nan : 0.4 }])
        let warning = CurveSummary(log: log).warnings.first { $0.column == "G_A" }
        #expect(warning == .nonFinite(column: "G_A", firstIteration: 4600, count: 5, persists: true))
        #expect(warning!.description.contains("diverged"))
    }

    @Test("a healthy fake run raises no flag but its NaN")
    func healthyRun() throws {
        let log = try LossLog.parse(FakeRun.csv(rows: 400, nanRows: [250]), path: "l.csv")
        let summary = CurveSummary(log: log)
        #expect(summary.warnings == [.nonFinite(column: "G_A", firstIteration: 12550, count: 1, persists: false)])
        #expect(summary.statistics("cycle_A")!.trend == .falling)
        #expect(summary.learningRate?.trend == .falling)
    }

    @Test("number formatting: four significant digits, scientific when tiny")
    func formatting() {
        #expect(formatNumber(0.24567) == "0.2457")
        #expect(formatNumber(12.0) == "12")
        #expect(formatNumber(2e-4) == "2e-4")
        #expect(formatNumber(1.8e-5) == "1.8e-5")
        #expect(formatNumber(.nan) == "nan" && formatNumber(-.infinity) == "-inf")
    }
}
