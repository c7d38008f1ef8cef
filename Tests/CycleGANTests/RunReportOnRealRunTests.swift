import Codecs
import Foundation
import RunReports
import Testing
@testable import CycleGAN

/// Curves and report on the folder of a short real training run (oracle: the run's own losses.csv).
@Suite("Curves and report on a real run")
struct RunReportOnRealRunTests {
    @Test("curves.png has the asked size and ink; the summary's last values are the CSV's; the report lists samples")
    func curvesAndReport() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        var config = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        config.displayFreq = 3
        let run = TrainingRun(config); run.log = { _ in }
        try run.run()
        let folder = config.runFolder

        let plot = try CurvePlot.plotRun(folder)
        let png = try ImageFile.read(plot.pngPath, channels: 1)
        #expect(png.shape == [1, 800, 1200])
        let ink = png.scalars.filter { $0 < 0.9 }.count
        print("curves.png: \(ink) of \(png.count) pixels darker than 0.9")
        #expect(ink > png.count / 50, "the figure is not blank")

        let rows = try String(contentsOfFile: folder + "/losses.csv", encoding: .utf8).split(separator: "\n")
        let header = rows[0].split(separator: ",").map(String.init)
        let last = rows.last!.split(separator: ",").map { Double($0)! }
        let summary = try #require(plot.summaries.first)
        for name in Losses.names {
            let column = header.firstIndex(of: name)!
            let stats = try #require(summary.statistics(name))
            #expect(abs(stats.last - last[column]) <= 1e-9 * max(1, abs(last[column])), "\(name)")
        }

        let report = try RunReport.write(runFolder: folder)
        let html = try String(contentsOf: report.url, encoding: .utf8)
        #expect(report.sampleCount == 3)
        let newest = try #require(html.range(of: "iter_0000009.png")), oldest = try #require(html.range(of: "iter_0000003.png"))
        #expect(newest.lowerBound < oldest.lowerBound, "newest sample first")
        #expect(!html.contains("file://") && !html.contains("src=\"/"), "links are relative")
    }
}
