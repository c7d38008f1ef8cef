import Codecs
import Foundation
import Tensor
import Testing
@testable import RunReports
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The curve figure: the PNG's size and content, the SVG's well-formedness, and the pieces under them
/// (smoothing, axes, gaps, decimation) against hand-computed answers.
@Suite struct FigureTests {
    /// Pixel statistics of a decoded [3, H, W] image in [0, 1].
    struct Statistics {
        var nonBackground = 0.0  // fraction of pixels that are not white
        var variance = 0.0  // of all channel values
        var colored = 0  // saturated pixels (curves), not grey (text, grid)
    }

    static func statistics(_ image: Tensor) -> Statistics {
        let channels = image.shape[0], plane = image.shape[1] * image.shape[2]
        let v = image.scalars.map(Double.init)
        var result = Statistics()
        let mean = v.reduce(0, +) / Double(v.count)
        var squares = 0.0
        for x in v { squares += (x - mean) * (x - mean) }
        result.variance = squares / Double(v.count)
        var ink = 0
        for p in 0..<plane {
            let rgb = (0..<channels).map { v[$0 * plane + p] }
            if rgb.contains(where: { $0 < 0.98 }) { ink += 1 }
            if rgb.max()! - rgb.min()! > 0.3 { result.colored += 1 }
        }
        result.nonBackground = Double(ink) / Double(plane)
        return result
    }

    @Test("curves.png: the asked size, not blank, curves in colour; curves.svg beside it")
    func pngOfAFakeRun() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try FakeRun.make(at: folder, rows: 400, nanRows: [250], truncateLast: true, sampleIterations: [])

        let output = try CurvePlot.plotRun(run)
        #expect(output.pngPath == run + "/curves.png")
        let image = try ImageFile.read(output.pngPath, channels: 3)
        #expect(image.shape == [3, 800, 1200])
        let stats = FigureTests.statistics(image)
        print("curves.png: \(String(format: "%.1f", stats.nonBackground * 100)) % ink, variance \(stats.variance), "
              + "\(stats.colored) coloured pixels")
        // Oracle: six framed panels with text, grid and two curves each cover well over 4 % of the
        // figure and far less than half of it; the curves alone give thousands of saturated pixels.
        #expect(stats.nonBackground > 0.04 && stats.nonBackground < 0.5)
        #expect(stats.variance > 0.005)
        #expect(stats.colored > 5000)

        let svg = try String(contentsOfFile: output.svgPath, encoding: .utf8)
        #expect(svg.contains(#"width="1200" height="800""#))
        for title in ["Discriminators", "Adversarial (G)", "Cycle", "Identity", "Learning rate", "Seconds per iteration"] {
            #expect(svg.contains(">\(title)</text>"), "SVG lacks the panel \(title)")
        }
        try FigureTests.expectWellFormedXML(svg)
    }

    @Test("another size: --width 900 --height 500 gives a 900×500 PNG")
    func otherSize() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try FakeRun.make(at: folder, rows: 120, sampleIterations: [])
        let output = try CurvePlot.plotRun(run, output: folder.appendingPathComponent("small.png").path,
                                           width: 900, height: 500, smoothing: .movingAverage(window: 5))
        let image = try ImageFile.read(output.pngPath, channels: 3)
        #expect(image.shape == [3, 500, 900])
        #expect(FigureTests.statistics(image).nonBackground > 0.04)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("small.svg").path))
    }

    @Test("--compare: two runs overlaid in one figure, the legend names both")
    func comparison() throws {
        let folder = try FakeRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = try FakeRun.make(at: folder, name: "lr2e-4", rows: 300, sampleIterations: [])
        let b = try FakeRun.make(at: folder, name: "lr1e-4", rows: 200, nanRows: [], truncateLast: false, sampleIterations: [])
        let png = folder.appendingPathComponent("compare.png").path
        let output = try CurvePlot.compareRuns([a, b], output: png)
        #expect(output.summaries.count == 2)
        let image = try ImageFile.read(png, channels: 3)
        #expect(image.shape == [3, 800, 1200])
        #expect(FigureTests.statistics(image).colored > 5000)
        let svg = try String(contentsOfFile: output.svgPath, encoding: .utf8)
        #expect(svg.contains(">lr2e-4</text>") && svg.contains(">lr1e-4</text>"))
        try FigureTests.expectWellFormedXML(svg)
    }

    static func expectWellFormedXML(_ text: String) throws {
        #if canImport(FoundationXML) || canImport(Darwin)
        let parser = XMLParser(data: Data(text.utf8))
        #expect(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))")
        #endif
    }

    // MARK: - Pieces

    @Test("exponential smoothing: hand-computed values, NaN skipped (exact to 1e-15)")
    func exponential() {
        // window 3 → α = 0.5: s0 = 1, s1 = 1 + 0.5·(3 − 1) = 2, NaN stays a gap, s3 = 2 + 0.5·(6 − 2) = 4.
        let s = Smoothing.exponential(window: 3).apply([1, 3, .nan, 6])
        #expect(abs(s[0] - 1) < 1e-15 && abs(s[1] - 2) < 1e-15 && s[2].isNaN && abs(s[3] - 4) < 1e-15)
        // A constant stays constant.
        #expect(Smoothing.exponential(window: 20).apply(Array(repeating: 0.25, count: 50)).allSatisfy { abs($0 - 0.25) < 1e-15 })
    }

    @Test("moving average: centred window, shrunk at the ends, NaN left out (exact to 1e-15)")
    func movingAverage() {
        let s = Smoothing.movingAverage(window: 3).apply([1, 2, 3, .nan, 5, 6])
        // [mean(1,2), mean(1,2,3), mean(2,3), gap, mean(5,6), mean(5,6)] — the NaN neighbour is not counted.
        let expected = [1.5, 2, 2.5, .nan, 5.5, 5.5]
        for (a, b) in zip(s, expected) { #expect(a.isNaN ? b.isNaN : abs(a - b) < 1e-15) }
        #expect(Smoothing.automaticWindow(rowCount: 400) == 13)
        #expect(Smoothing.automaticWindow(rowCount: 80) == 3 && Smoothing.automaticWindow(rowCount: 9) == 1)
        #expect(Smoothing.exponential(window: 0).resolved(rowCount: 1500) == .exponential(window: 50))
    }

    @Test("axis: nice steps and labels that share an exponent")
    func axis() {
        #expect(Axis.niceStep(0.13) == 0.2)
        #expect(Axis.niceStep(2300) == 2500)
        let loss = Axis(lower: 0, upper: 0.57, targetCount: 5, snap: true)
        #expect(loss.ticks.count >= 4 && loss.upper >= 0.57 && loss.lower == 0)
        #expect(loss.labels(compactThousands: false).first == "0")
        let rate = Axis(lower: 0, upper: 2.1e-4, targetCount: 5, snap: true)
        #expect(rate.labels(compactThousands: false) == ["0", "0.5e-4", "1.0e-4", "1.5e-4", "2.0e-4", "2.5e-4"])
        let iterations = Axis(lower: 50, upper: 20000, targetCount: 4, snap: false)
        #expect(iterations.labels(compactThousands: true) == ["5k", "10k", "15k", "20k"])
        let long = Axis(lower: 50, upper: 5_000_000, targetCount: 3, snap: false)
        #expect(long.labels(compactThousands: true) == ["2M", "4M"])
    }

    @Test("NaN rows are gaps: a series with one NaN becomes two polylines")
    func gaps() {
        let paths = CurveFigure.paths([1, 2, 3, 4, 5], [1, 2, .nan, 4, 5], plotWidth: 100, x: { $0 }, y: { $0 })
        #expect(paths.count == 2)
        #expect(paths[0].map(\.x) == [1, 2] && paths[1].map(\.x) == [4, 5])
    }

    @Test("dense series are reduced per pixel column but keep every spike")
    func decimation() {
        let n = 10_000
        var values = (0..<n).map { 0.5 + 0.01 * sin(Double($0)) }
        values[4321] = 9  // one spike
        let paths = CurveFigure.paths((0..<n).map(Double.init), values, plotWidth: 200,
                                      x: { $0 / Double(n) * 200 }, y: { 100 - $0 * 10 })
        let points = paths.flatMap { $0 }
        #expect(points.count <= 4 * 201)
        #expect(points.contains { abs($0.y - (100 - 90)) < 1e-9 }, "the spike was dropped")
    }

    @Test("text is DejaVu Sans through cairo: every printable ASCII character has ink, bold is wider, PNG and SVG measure alike")
    func font() {
        let raster = RasterImage(width: 40, height: 30)
        let svg = SVGDocument(width: 40, height: 30)
        for code in 33..<127 {
            let character = String(Character(UnicodeScalar(UInt8(code))))
            let glyph = RasterImage(width: 30, height: 30)
            glyph.text(character, x: 5, baseline: 20, scale: 2, color: .black, anchor: .start, bold: false)
            #expect(glyph.pixels.contains { $0 < 128 }, "no ink for \(character)")
            #expect(raster.textWidth(character, scale: 2, bold: false) > 0)
        }
        let width = raster.textWidth("D_A", scale: 2, bold: false)
        #expect(width > 30 && width < 50, "D_A at 20 px: \(width)")   // capitals ≈ 0.7 em wide
        #expect(raster.textWidth("D_A", scale: 2, bold: true) > width)
        // The SVG lays text out with the same font: a bold title measures wider than at the regular weight there too.
        #expect(svg.textWidth("Discriminators", scale: 1, bold: true) > svg.textWidth("Discriminators", scale: 1, bold: false))
        // Capitals are about 7·scale pixels high: rows with ink above the baseline.
        let cap = RasterImage(width: 40, height: 40)
        cap.text("H", x: 5, baseline: 30, scale: 2, color: .black, anchor: .start, bold: false)
        let rows = (0..<40).filter { y in (0..<40).contains { x in cap.color(x: x, y: y).red < 128 } }
        #expect((13...16).contains(rows.count), "H is \(rows.count) px high at scale 2")
    }
}
