import Codecs
import Foundation
import Testing
@testable import RunReports

/// val.csv in the curves and the report: its panels, the best epoch, the best epoch's images.
@Suite struct ValidationReportTests {
    static let header = "iteration,epoch,psnr_cycle_A,psnr_cycle_B,kid_AtoB,kid_AtoB_std,kid_BtoA,kid_BtoA_std,seconds"

    @Test("the best validation: the lowest mean KID when KID was computed, else the highest mean cycle PSNR")
    func best() throws {
        let withKID = try ValidationLog(log: LossLog.parse(Self.header + """

            100,1,20.0,21.0,0.05,0.01,0.07,0.01,3.5
            200,2,19.0,20.0,0.02,0.01,0.04,0.01,3.4
            300,3,22.0,23.0,0.03,0.01,0.05,0.01,3.6

            """, path: "val.csv", required: ["iteration", "epoch"]))
        #expect(withKID.hasKID && withKID.best == 1 && withKID.epoch(withKID.best) == 2)
        #expect(withKID.headline.contains("best epoch 2 (lowest mean KID"))
        let psnrOnly = try ValidationLog(log: LossLog.parse(Self.header + """

            100,1,20.0,21.0,nan,nan,nan,nan,1.5
            200,2,19.0,20.0,nan,nan,nan,nan,1.4
            300,3,22.0,23.0,nan,nan,nan,nan,1.6

            """, path: "val.csv", required: ["iteration", "epoch"]))
        #expect(!psnrOnly.hasKID && psnrOnly.epoch(psnrOnly.best) == 3 && psnrOnly.criterion == "highest mean cycle PSNR")
    }

    @Test("curves get a PSNR panel (and a KID panel with KID); the report a table with the best row and its images")
    func curvesAndReport() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try FakeRun.make(at: folder.appendingPathComponent("Runs"))
        let csv = Self.header + "\n1000,1,20.5,21.5,0.05,0.01,0.07,0.01,3.5\n2000,2,22.5,23.5,0.03,0.01,0.02,0.01,3.4\n"
        try csv.write(toFile: run + "/val.csv", atomically: true, encoding: .utf8)
        for direction in ["AtoB", "BtoA"] {
            try FileManager.default.createDirectory(atPath: run + "/val/epoch_2/\(direction)", withIntermediateDirectories: true)
            try ImageFile.writePNG(pixels: [UInt8](repeating: 128, count: 48), width: 4, height: 4, channels: 3,
                                   to: run + "/val/epoch_2/\(direction)/x.png")
        }
        let validation = try #require(try RunFolder(run).validationLog())
        let figure = CurveFigure(run: "r", log: try RunFolder(run).lossLog(), validation: validation)
        #expect(figure.panels.map(\.title).suffix(2) == ["Val. cycle PSNR, dB", "Val. KID"] && figure.columns == 4)
        let plain = CurveFigure(run: "r", log: try RunFolder(run).lossLog())
        #expect(plain.panels.count == 6 && plain.columns == 3)

        let html = try String(contentsOf: try RunReport.write(runFolder: run).url, encoding: .utf8)
        #expect(html.contains("Best: epoch 2, by the lowest mean KID of the two directions."))
        #expect(html.contains("<tr class=\"best\"><td>2 ★</td><td>2,000</td><td>22.5</td><td>23.5</td><td>0.03</td><td>0.02</td>"))
        #expect(html.contains("src=\"val/epoch_2/AtoB/x.png\"") && html.contains("src=\"val/epoch_2/BtoA/x.png\""))
    }

    @Test("without val.csv the report says how to get one; a damaged val.csv is named, and the rest of the page stays")
    func missingOrDamaged() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try FakeRun.make(at: folder.appendingPathComponent("Runs"))
        var html = try String(contentsOf: try RunReport.write(runFolder: run).url, encoding: .utf8)
        #expect(html.contains("train with <code>--val_freq N</code>"))
        // Before the first validation val.csv holds its header only: no validation yet, not an error.
        try (Self.header + "\n").write(toFile: run + "/val.csv", atomically: true, encoding: .utf8)
        #expect(try RunFolder(run).validationLog() == nil)
        _ = try CurvePlot.plotRun(run)
        html = try String(contentsOf: try RunReport.write(runFolder: run).url, encoding: .utf8)
        #expect(html.contains("None yet: the first validation comes"))
        try "iteration,epoch,nothing\n1,1,2\n".write(toFile: run + "/val.csv", atomically: true, encoding: .utf8)
        html = try String(contentsOf: try RunReport.write(runFolder: run).url, encoding: .utf8)
        #expect(html.contains("val.csv: the header lacks the columns psnr_cycle_A, psnr_cycle_B"))
        #expect(html.contains("a validation log of cyclegan train starts with iteration,epoch,psnr_cycle_A"))
        #expect(html.contains("id=\"curves\""))
    }
}
