import Foundation
import Testing
@testable import RunReports

/// Reading losses.csv: a live run's partial last line, NaN values, resumed runs, and the errors a user
/// sees for a missing, empty or foreign file.
@Suite struct LossLogTests {
    static let header = "iteration,epoch,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B,lr,seconds_per_iter"

    @Test("a realistic log with a NaN and a truncated last line: every complete row, the partial one skipped")
    func realisticLog() throws {
        // Oracle: the generator wrote 300 complete rows (row 123's G_A is NaN) and then half a row.
        let text = FakeRun.csv(rows: 300, nanRows: [123], truncateLast: true)
        let log = try LossLog.parse(text, path: "Runs/x/losses.csv")
        #expect(log.rowCount == 300)
        #expect(log.skippedPartialLine)
        #expect(log.notes.isEmpty)
        #expect(log.columns == LossLogTests.header.split(separator: ",").map(String.init))
        #expect(log.iterations.first == 50 && log.iterations.last == 15000)
        #expect(log["G_A"]![123].isNaN)
        #expect(log["G_A"]!.filter(\.isNaN).count == 1)
        let finiteD = log["D_A"]!.allSatisfy { $0.isFinite }
        #expect(finiteD)
        // Exact: the parser reads the same decimal text the generator printed.
        let row7 = text.split(separator: "\n")[8].split(separator: ",").map { Double($0)! }
        #expect(log["cycle_B"]![7] == row7[8])
    }

    @Test("a complete last line without a newline is kept; a short one is skipped as partial")
    func lastLineWithoutNewline() throws {
        let complete = "\(LossLogTests.header)\n100,1,0.2,0.3,1,0.5,0.2,0.3,1,0.5,0.0002,0.4\n200,1,0.2,0.3,1,0.5,0.2,0.3,1,0.5,0.0002,0.4"
        let log = try LossLog.parse(complete, path: "l.csv")
        #expect(log.rowCount == 2 && !log.skippedPartialLine)

        // Cut inside its last field but still 12 numbers: kept (only seconds_per_iter can be cut so).
        let partial = "\(LossLogTests.header)\n100,1,0.2,0.3,1,0.5,0.2,0.3,1,0.5,0.0002,0.4\n200,1,0.2,0.3,1,0.5,0.2,0.3,1,0.5,0.0002,0."
        let cut = try LossLog.parse(partial, path: "l.csv")
        #expect(cut.rowCount == 2 && !cut.skippedPartialLine)

        let short = "\(LossLogTests.header)\n100,1,0.2,0.3,1,0.5,0.2,0.3,1,0.5,0.0002,0.4\n200,1,0.2,0."
        let shortLog = try LossLog.parse(short, path: "l.csv")
        #expect(shortLog.rowCount == 1 && shortLog.skippedPartialLine)
    }

    @Test("nan, inf, -inf and empty fields are values (non-finite), not errors; CRLF line ends are accepted")
    func nonFiniteFields() throws {
        let text = "\(LossLogTests.header)\r\n100,1,nan,inf,-inf,NaN,,0.3,1,0.5,0.0002,0.4\r\n"
        let log = try LossLog.parse(text, path: "l.csv")
        #expect(log.rowCount == 1)
        #expect(log["D_A"]![0].isNaN && log["G_A"]![0] == .infinity && log["cycle_A"]![0] == -.infinity)
        #expect(log["idt_A"]![0].isNaN && log["D_B"]![0].isNaN)
        #expect(log["seconds_per_iter"]![0] == 0.4)
    }

    @Test("a resumed run that logs earlier iterations again: the newer rows replace the older ones, with a note")
    func resumedRun() throws {
        let row = { (i: Int, d: Double) in "\(i),1,\(d),0.3,1,0.5,0.2,0.3,1,0.5,0.0002,0.4" }
        let text = [LossLogTests.header, row(100, 0.1), row(200, 0.2), row(300, 0.3),
                    LossLogTests.header, row(200, 0.25), row(300, 0.35), row(400, 0.45)].joined(separator: "\n") + "\n"
        let log = try LossLog.parse(text, path: "l.csv")
        #expect(log.iterations == [100, 200, 300, 400])
        #expect(log["D_A"]! == [0.1, 0.25, 0.35, 0.45])
        #expect(log.notes.count == 1)
        #expect(log.notes[0].contains("iteration 200 logged again"))
    }

    @Test("a broken line in the middle is skipped and named in the notes, not silently")
    func brokenMiddleLine() throws {
        let text = "\(LossLogTests.header)\n100,1,0.2,0.3,1,0.5,0.2,0.3,1,0.5,0.0002,0.4\n"
            + "200,1,0.2,oops,1,0.5,0.2,0.3,1,0.5,0.0002,0.4\n300,1,0.2,0.3,1,0.5,0.2,0.3,1,0.5,0.0002,0.4\n"
        let log = try LossLog.parse(text, path: "l.csv")
        #expect(log.iterations == [100, 300])
        #expect(log.notes == ["skipped line 3: a field that is not a number"])
    }

    @Test("extra columns are kept; lr and seconds_per_iter are optional")
    func optionalAndExtraColumns() throws {
        let text = "iteration,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B,grad_norm\n10,1,2,3,4,5,6,7,8,9\n"
        let log = try LossLog.parse(text, path: "l.csv")
        #expect(log["grad_norm"] == [9])
        #expect(log["lr"] == nil && log.epochs == nil && log.secondsPerIteration == nil)
    }

    // MARK: - Errors: one line, naming the file, saying what to do

    /// Oracle for every user error: a single line that starts with the file's path.
    func expectOneClearLine(_ error: RunReportError?, path: String, mentions words: [String]) {
        guard let error else { Issue.record("no error thrown"); return }
        let message = String(describing: error)
        #expect(message.hasPrefix(path), "message: \(message)")
        #expect(!message.contains("\n"), "message: \(message)")
        for word in words { #expect(message.contains(word), "message lacks \(word): \(message)") }
    }

    @Test("missing losses.csv, missing run folder")
    func missingFiles() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("losses.csv").path
        expectOneClearLine(#expect(throws: RunReportError.self) { try LossLog.load(from: csv) },
                           path: csv, mentions: ["no such file", "cyclegan train"])
        let run = folder.appendingPathComponent("nope").path
        expectOneClearLine(#expect(throws: RunReportError.self) { try CurvePlot.plotRun(run) },
                           path: run, mentions: ["no such run folder"])
        // A run folder without losses.csv: the error names the CSV inside it.
        expectOneClearLine(#expect(throws: RunReportError.self) { try CurvePlot.plotRun(folder.path) },
                           path: folder.path + "/losses.csv", mentions: ["no such file"])
    }

    @Test("empty file, header only, wrong header")
    func badContent() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("losses.csv").path

        try "".write(toFile: path, atomically: true, encoding: .utf8)
        expectOneClearLine(#expect(throws: RunReportError.self) { try LossLog.load(from: path) },
                           path: path, mentions: ["empty", "header"])

        try "\(LossLogTests.header)\n".write(toFile: path, atomically: true, encoding: .utf8)
        expectOneClearLine(#expect(throws: RunReportError.self) { try LossLog.load(from: path) },
                           path: path, mentions: ["no rows"])

        try "step,loss_G,loss_D\n1,2,3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: RunReportError.self) { try LossLog.load(from: path) }
        expectOneClearLine(error, path: path, mentions: ["lacks the columns", "iteration", "D_A", "cycle_B"])
        if case .badHeader(_, let missing, _, _, _)? = error { #expect(missing == LossLog.requiredColumns) }
    }

    @Test("number syntax: what Swift, C and Python print")
    func numbers() {
        #expect(LossLog.parseNumber("0.25") == 0.25)
        #expect(LossLog.parseNumber("2e-4") == 2e-4)
        #expect(LossLog.parseNumber("-Infinity") == -.infinity)
        #expect(LossLog.parseNumber("nan")!.isNaN && LossLog.parseNumber("-nan")!.isNaN)
        #expect(LossLog.parseNumber("")!.isNaN)
        #expect(LossLog.parseNumber("0.2.5") == nil && LossLog.parseNumber("abc") == nil)
    }
}
