import Foundation
import Testing
@testable import RunReports

/// The HTML report: what it shows, in which order, and that every link is relative and leads to a file.
@Suite struct ReportTests {
    /// Every `src="…"` and `href="…"` value of the page, unescaped.
    static func links(in html: String) -> [String] {
        var found: [String] = []
        for attribute in ["src=\"", "href=\""] {
            var rest = html[...]
            while let start = rest.range(of: attribute) {
                let tail = rest[start.upperBound...]
                guard let end = tail.firstIndex(of: "\"") else { break }
                found.append(String(tail[..<end]).replacingOccurrences(of: "&amp;", with: "&"))
                rest = tail[end...]
            }
        }
        return found
    }

    @Test("index.html: samples newest first, translations with their inputs, config, curves; relative links that resolve")
    func fullReport() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("Data/horse2zebra")
        // Sample iterations written out of order: the page must sort them, newest first.
        let run = try FakeRun.make(at: folder.appendingPathComponent("Runs"), sampleIterations: [6000, 18000, 2000, 10000],
                                   translations: 2, dataroot: data)

        let output = try RunReport.write(runFolder: run, now: Date(timeIntervalSince1970: 0))
        #expect(output.url.path == run + "/index.html")
        #expect(output.sampleCount == 4 && output.translationCount == 4 && output.curvesProblem == nil)
        let html = try String(contentsOf: output.url, encoding: .utf8)

        // Samples newest first, each with its iteration.
        let order = [18000, 10000, 6000, 2000].map { iteration -> String.Index in
            let name = String(format: "samples/iter_%07d.png", iteration)
            let range = html.range(of: name)
            #expect(range != nil, "missing \(name)")
            return range?.lowerBound ?? html.startIndex
        }
        #expect(order == order.sorted(), "samples are not newest first")
        #expect(html.contains("iteration 18,000 · epoch 18"))

        // Curves regenerated and embedded; the configuration as a table.
        #expect(FileManager.default.fileExists(atPath: run + "/curves.png"))
        #expect(html.contains("<svg") && html.contains(">Discriminators</text>"))
        #expect(html.contains("<th>netG</th><td>resnet_9blocks</td>"))
        #expect(html.contains("<th>lambda_identity</th><td>0.5</td>") && html.contains("<th>no_flip</th><td>false</td>"))
        // The NaN of the fake log is reported.
        #expect(html.contains("G_A is NaN or infinite first at iteration 12,550"))

        // Translations: output next to input, named.
        #expect(html.contains("translations/AtoB/n02381460_7.png") && html.contains("translations/BtoA/n02391049_17.png"))
        #expect(html.contains("n02381460_7.png <span class=\"arrow\">→</span> output"))

        // Links: relative only (no scheme, no absolute path), and each one resolves to a file on disk.
        let links = ReportTests.links(in: html)
        #expect(links.count >= 4 + 4 * 2 + 3)
        for link in links where !link.hasPrefix("#") {
            #expect(!link.contains(":") && !link.hasPrefix("/"), "not relative: \(link)")
            let target = URL(fileURLWithPath: run).appendingPathComponent(link.removingPercentEncoding ?? link).standardizedFileURL
            #expect(FileManager.default.fileExists(atPath: target.path), "broken link: \(link)")
        }
        #expect(links.contains("../../Data/horse2zebra/testA/n02381460_7.png"))
    }

    @Test("the sample legend follows config.json's lambda_identity, not the grid's shape")
    func sampleLegendFromConfig() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try FakeRun.make(at: folder, sampleIterations: [100], translations: 0)
        let withIdentity = try String(contentsOf: RunReport.write(runFolder: run).url, encoding: .utf8)
        #expect(withIdentity.contains("top row real_A · fake_B · rec_A · idt_B; bottom row real_B · fake_A · rec_B · idt_A"))

        // The same 4-column grid file, but a run without the identity loss draws 3 columns: say so.
        let configPath = run + "/config.json"
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "\"lambda_identity\": 0.5", with: "\"lambda_identity\": 0")
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let without = try String(contentsOf: RunReport.write(runFolder: run).url, encoding: .utf8)
        #expect(without.contains("top row real_A · fake_B · rec_A; bottom row real_B · fake_A · rec_B."))
    }

    @Test("a run without losses.csv still gets its page, saying why there are no curves")
    func runWithoutLog() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try FakeRun.make(at: folder, sampleIterations: [100], translations: 0)
        try FileManager.default.removeItem(atPath: run + "/losses.csv")
        let output = try RunReport.write(runFolder: run)
        #expect(output.curvesProblem?.contains("losses.csv: no such file") == true)
        let html = try String(contentsOf: output.url, encoding: .utf8)
        #expect(html.contains("No curves:") && html.contains("samples/iter_0000100.png"))
        #expect(!html.contains("<svg"))
    }

    @Test("a missing run folder is an error naming it")
    func missingRun() {
        let error = #expect(throws: RunReportError.self) { try RunReport.write(runFolder: "/nonexistent/Runs/x") }
        #expect(error.map(String.init(describing:))?.hasPrefix("/nonexistent/Runs/x: no such run folder") == true)
    }

    @Test("names that need escaping: a run called a&b <1> with a sample, escaped in text and encoded in links")
    func escaping() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try FakeRun.make(at: folder, name: "a&b <1>", rows: 30, sampleIterations: [500], translations: 0)
        let html = try String(contentsOf: try RunReport.write(runFolder: run).url, encoding: .utf8)
        #expect(html.contains("<h1>a&amp;b &lt;1&gt;</h1>"))
        #expect(!html.contains("a&b <1>"))
    }

    @Test("relative paths between folders")
    func relativePaths() {
        #expect(RunReport.relativePath(from: "/w/Runs/x", to: "/w/Data/h/testA/1.jpg") == "../../Data/h/testA/1.jpg")
        #expect(RunReport.relativePath(from: "/w/Runs/x", to: "/w/Runs/x/samples/a.png") == "samples/a.png")
        #expect(RunReport.relativeURL("translations/AtoB/my image#1.png") == "translations/AtoB/my%20image%231.png")
    }
}
