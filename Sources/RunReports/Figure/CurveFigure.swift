import Foundation
import RunLayout

/// The loss-curve figure: a grid of panels, x = iteration, each loss drawn raw (faint) and smoothed
/// (bold), with ticks, labels, legends, epoch marks and red marks where values are NaN or infinite.
///
/// Build it from one run (`init(run:log:smoothing:)`: one panel per network pair) or from several
/// (`init(comparing:smoothing:)`: one panel per loss, one colour per run), then `render` it to a raster
/// for PNG or write it as `svg`. Both go through the same `draw(on:)`, so they show the same picture.
public struct CurveFigure: Sendable {
    /// One line of a panel.
    public struct Series: Sendable {
        public var label: String
        public var color: Color
        public var iterations: [Double]
        public var values: [Double]
        /// False for values that are not noisy measurements (the learning rate): drawn as they are.
        public var smoothed: Bool
        public init(label: String, color: Color, iterations: [Double], values: [Double], smoothed: Bool = true) {
            self.label = label; self.color = color; self.iterations = iterations; self.values = values
            self.smoothed = smoothed
        }
    }

    public struct Panel: Sendable {
        public var title: String
        public var series: [Series]
        /// Shown in place of the curves when no series has a finite value.
        public var emptyNote: String
        public init(title: String, series: [Series], emptyNote: String = "not logged") {
            self.title = title; self.series = series; self.emptyNote = emptyNote
        }
    }

    public struct LegendEntry: Sendable {
        public var label: String
        public var color: Color
    }

    /// The first iteration of an epoch, drawn as a dashed vertical line.
    public struct EpochMark: Sendable, Equatable {
        public var iteration: Double
        public var epoch: Int
    }

    public var title: String
    public var subtitle: String
    public var panels: [Panel]
    public var columns: Int
    /// A figure-wide legend (run names in a comparison); when empty each panel names its own series.
    public var legend: [LegendEntry]
    public var epochMarks: [EpochMark]
    public var smoothing: Smoothing

    // MARK: - Palette

    static let colorA = Color(hex: 0x1F77B4), colorB = Color(hex: 0xFF7F0E)
    static let colorRate = Color(hex: 0x2CA02C), colorSpeed = Color(hex: 0x9467BD)
    /// One colour per compared run (Tableau 10).
    public static let runColors: [Color] = [0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
                                            0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF].map(Color.init(hex:))
    static let ink = Color(hex: 0x222222), mutedInk = Color(hex: 0x555555), faintInk = Color(hex: 0x888888)
    static let grid = Color(hex: 0xE9E9E9), frame = Color(hex: 0xA8A8A8), epochLine = Color(hex: 0xB8B8B8)
    static let alarm = Color(hex: 0xD62728)

    // MARK: - Building

    public init(title: String, subtitle: String, panels: [Panel], columns: Int, legend: [LegendEntry] = [],
                epochMarks: [EpochMark] = [], smoothing: Smoothing) {
        self.title = title; self.subtitle = subtitle; self.panels = panels; self.columns = max(1, columns)
        self.legend = legend; self.epochMarks = epochMarks; self.smoothing = smoothing
    }

    /// One run: six panels, discriminators (D_A, D_B), adversarial generator losses (G_A, G_B), cycle,
    /// identity, learning rate and seconds per iteration. `smoothing` nil = exponential, automatic window.
    /// With `validation` (val.csv), two more panels: the cycle PSNR of each domain and, when computed, KID.
    public init(run name: String, log: LossLog, validation: ValidationLog? = nil, smoothing: Smoothing? = nil) {
        let x = log.iterations
        func pair(_ title: String, _ a: String, _ b: String) -> Panel {
            Panel(title: title, series: [(a, CurveFigure.colorA), (b, CurveFigure.colorB)].compactMap { column, color in
                log[column].map { Series(label: column, color: color, iterations: x, values: $0) }
            })
        }
        let panels = [
            pair("Discriminators", "D_A", "D_B"),
            pair("Adversarial (G)", "G_A", "G_B"),
            pair("Cycle", "cycle_A", "cycle_B"),
            pair("Identity", "idt_A", "idt_B"),
            Panel(title: "Learning rate", series: log["lr"].map {
                [Series(label: "lr", color: CurveFigure.colorRate, iterations: x, values: $0, smoothed: false)] } ?? []),
            Panel(title: "Seconds per iteration", series: log.secondsPerIteration.map {
                [Series(label: "s/iter", color: CurveFigure.colorSpeed, iterations: x, values: $0)] } ?? []),
        ] + (validation.map(CurveFigure.validationPanels) ?? [])
        let smoothing = (smoothing ?? .exponential(window: 0)).resolved(rowCount: log.rowCount)
        let summary = CurveSummary(log: log)
        var subtitle = summary.headline.replacingOccurrences(of: log.path + ": ", with: "")
        subtitle = subtitle.replacingOccurrences(of: " (last line still being written: skipped)", with: " (live)")
        self.init(title: "Loss curves: \(name)", subtitle: subtitle, panels: panels, columns: validation == nil ? 3 : 4,
                  epochMarks: CurveFigure.epochMarks(log), smoothing: smoothing)
    }

    /// Several runs overlaid: one panel per loss (A losses on the top row, B losses below, then the
    /// learning rate and speed), one colour per run.
    public init(comparing runs: [(name: String, log: LossLog)], smoothing: Smoothing? = nil) {
        let colors = runs.indices.map { CurveFigure.runColors[$0 % CurveFigure.runColors.count] }
        func panel(_ title: String, smoothed: Bool = true, _ column: (LossLog) -> [Double]?) -> Panel {
            Panel(title: title, series: zip(runs, colors).compactMap { run, color in
                column(run.log).map { Series(label: run.name, color: color, iterations: run.log.iterations,
                                             values: $0, smoothed: smoothed) }
            })
        }
        let top = ["D_A", "G_A", "cycle_A", "idt_A"].map { name in panel(name) { $0[name] } }
            + [panel("lr", smoothed: false) { $0["lr"] }]
        let bottom = ["D_B", "G_B", "cycle_B", "idt_B"].map { name in panel(name) { $0[name] } }
            + [panel("s/iter") { $0.secondsPerIteration }]
        let rows = runs.map(\.log.rowCount).max() ?? 0
        let smoothing = (smoothing ?? .exponential(window: 0)).resolved(rowCount: rows)
        let subtitle = runs.map { "\($0.name): \($0.log.rowCount) rows" }.joined(separator: ", ")
        self.init(title: "Loss curves: \(runs.count) runs", subtitle: subtitle, panels: top + bottom, columns: 5,
                  legend: zip(runs, colors).map { LegendEntry(label: $0.name, color: $1) }, smoothing: smoothing)
    }

    /// The validation panels: points per validation, not smoothed (they are few and each is a measurement).
    static func validationPanels(_ v: ValidationLog) -> [Panel] {
        func panel(_ title: String, _ columns: [(label: String, column: String)]) -> Panel {
            Panel(title: title, series: zip(columns, [CurveFigure.colorA, CurveFigure.colorB]).map { c, color in
                Series(label: c.label, color: color, iterations: v.iterations, values: v.column(c.column), smoothed: false)
            })
        }
        let psnr = panel("Val. cycle PSNR, dB", [("A", ValidationColumns.psnrA), ("B", ValidationColumns.psnrB)])
        guard v.hasKID else { return [psnr] }
        return [psnr, panel("Val. KID", [("AtoB", ValidationColumns.kidAtoB), ("BtoA", ValidationColumns.kidBtoA)])]
    }

    /// The first row of each epoch after the first, from the log's `epoch` column.
    static func epochMarks(_ log: LossLog) -> [EpochMark] {
        guard let epochs = log.epochs else { return [] }
        var marks: [EpochMark] = []
        var previous: Int? = nil
        for (iteration, epoch) in zip(log.iterations, epochs) where epoch.isFinite {
            let e = Int(epoch.rounded(.down))
            if let p = previous, e > p { marks.append(EpochMark(iteration: iteration, epoch: e)) }
            previous = e
        }
        return marks
    }

    // MARK: - Output

    /// The figure as an RGB raster of `width`×`height` pixels.
    public func render(width: Int, height: Int) -> RasterImage {
        var raster = RasterImage(width: width, height: height)
        draw(on: &raster)
        return raster
    }

    /// The figure as an SVG document of `width`×`height` user units.
    public func svg(width: Int, height: Int, responsive: Bool = false) -> String {
        var document = SVGDocument(width: width, height: height)
        draw(on: &document)
        return document.rendered(responsive: responsive)
    }

    // MARK: - Layout and drawing

    /// The text scale for a figure size: 2 at 1200×800, 1 below 600×400.
    static func textScale(width: Int, height: Int) -> Int {
        max(1, min(4, Int(min(Double(width) / 600, Double(height) / 400))))
    }

    func draw<S: Surface>(on surface: inout S) {
        let s = CurveFigure.textScale(width: surface.width, height: surface.height)
        let u = Double(s)  // one font pixel
        let width = Double(surface.width), height = Double(surface.height)
        let margin = 8 * u

        // Header: title, subtitle, key of the line styles, and the run legend of a comparison.
        var y = margin + 7 * Double(s + 1)
        surface.text(title, x: margin, baseline: y, scale: s + 1, color: CurveFigure.ink, anchor: .start, bold: true)
        let key = "x: iteration" + (epochMarks.isEmpty ? "" : ", dashed: epoch start")
            + (smoothing.window > 1 ? ", faint: raw, bold: \(smoothing)" : "")
        let titleRight = margin + surface.textWidth(title, scale: s + 1, bold: true) + 12 * u
        if width - margin - surface.textWidth(key, scale: s) >= titleRight {
            surface.text(key, x: width - margin, baseline: y, scale: s, color: CurveFigure.mutedInk, anchor: .end, bold: false)
            y += 6 * u + 7 * u
            surface.text(subtitle, x: margin, baseline: y, scale: s, color: CurveFigure.mutedInk, anchor: .start, bold: false)
        } else {
            y += 6 * u + 7 * u
            surface.text(subtitle, x: margin, baseline: y, scale: s, color: CurveFigure.mutedInk, anchor: .start, bold: false)
            y += 5 * u + 7 * u
            surface.text(key, x: margin, baseline: y, scale: s, color: CurveFigure.mutedInk, anchor: .start, bold: false)
        }
        if !legend.isEmpty {
            y += 6 * u + 7 * u
            y = drawLegend(legend, on: &surface, left: margin, right: width - margin, baseline: y, scale: s)
        }

        // Panels in a grid.
        let top = y + 9 * u
        let rows = (panels.count + columns - 1) / columns
        let gapX = 12 * u, gapY = 12 * u
        let panelWidth = (width - 2 * margin - Double(columns - 1) * gapX) / Double(columns)
        let panelHeight = (height - margin - top - Double(rows - 1) * gapY) / Double(rows)
        // One iteration axis for every panel, so that their ticks line up.
        let xRange = iterationRange()
        func iterationAxis(_ count: Int) -> Axis { Axis(lower: xRange.0, upper: xRange.1, targetCount: count, snap: false) }
        var tickCount = max(2, Int((panelWidth - 45 * u) / (30 * u)))
        var xAxis = iterationAxis(tickCount)
        // Fewer ticks while neighbouring labels (proportional text) would come closer than 8 font pixels.
        while tickCount > 2, xAxis.ticks.count > 1 {
            let gap = (xAxis.ticks[1] - xAxis.ticks[0]) / (xRange.1 - xRange.0) * (panelWidth - 45 * u)
            let widest = xAxis.labels(compactThousands: true).map { surface.textWidth($0, scale: s) }.max() ?? 0
            if gap >= widest + 8 * u { break }
            tickCount -= 1
            xAxis = iterationAxis(tickCount)
        }
        for (index, panel) in panels.enumerated() {
            let column = index % columns, row = index / columns
            let frame = Rect(x: margin + Double(column) * (panelWidth + gapX), y: top + Double(row) * (panelHeight + gapY),
                             width: panelWidth, height: panelHeight)
            drawPanel(panel, in: frame, xAxis: xAxis, on: &surface, scale: s)
        }
    }

    /// Legend entries (swatch + label) flowing left to right, wrapping; returns the last baseline.
    private func drawLegend<S: Surface>(_ entries: [LegendEntry], on surface: inout S, left: Double, right: Double,
                                        baseline: Double, scale s: Int) -> Double {
        let u = Double(s)
        var x = left, y = baseline
        for entry in entries {
            let entryWidth = 14 * u + surface.textWidth(entry.label, scale: s) + 12 * u
            if x > left, x + entryWidth > right { x = left; y += 11 * u }
            surface.line(from: Point(x, y - 3.5 * u), to: Point(x + 10 * u, y - 3.5 * u), color: entry.color, width: 2.5 * u)
            surface.text(entry.label, x: x + 14 * u, baseline: y, scale: s, color: CurveFigure.ink, anchor: .start, bold: false)
            x += entryWidth
        }
        return y
    }

    /// First and last iteration over all series (the x axis, shared by every panel).
    func iterationRange() -> (Double, Double) {
        var lo = Double.infinity, hi = -Double.infinity
        for panel in panels { for series in panel.series { for x in series.iterations where x.isFinite {
            lo = min(lo, x); hi = max(hi, x)
        } } }
        if !lo.isFinite { return (0, 1) }
        return lo == hi ? (lo - 1, hi + 1) : (lo, hi)
    }

    /// The value range of a panel: from the 0.5 % to the 99.5 % quantile of the raw values (so that one
    /// spike does not flatten the rest), widened to the smoothed lines, anchored at 0 when the values are
    /// positive and 0 is near, with a little headroom.
    static func valueRange(_ raw: [Double], smoothed: [Double]) -> (Double, Double)? {
        let sorted = raw.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return nil }
        func quantile(_ q: Double) -> Double { sorted[Int((Double(sorted.count - 1) * q).rounded())] }
        var lo = quantile(0.005), hi = quantile(0.995)
        for v in smoothed where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        if lo >= 0, lo < 0.4 * hi { lo = 0 }
        if hi > lo { hi += 0.04 * (hi - lo) }
        return (lo, hi)
    }

    private func drawPanel<S: Surface>(_ panel: Panel, in frame: Rect, xAxis: Axis,
                                       on surface: inout S, scale s: Int) {
        let u = Double(s)
        let smoothed = panel.series.map { $0.smoothed ? smoothing.apply($0.values) : Smoothing.none.apply($0.values) }

        // Title row: title left, legend right (single-run figures).
        let titleBaseline = frame.minY + 7 * u
        surface.text(panel.title, x: frame.minX, baseline: titleBaseline, scale: s, color: CurveFigure.ink,
                     anchor: .start, bold: true)
        // The legend goes in the title row when it fits there, else in the plot's top right corner.
        let legendWidth = panel.series.map { 15 * u + surface.textWidth($0.label, scale: s) }.reduce(0, +)
            + Double(max(0, panel.series.count - 1)) * 10 * u
        // A single series is named by the panel's title: no legend.
        let showPanelLegend = legend.isEmpty && panel.series.count > 1
        let legendInTitleRow = surface.textWidth(panel.title, scale: s, bold: true) + 16 * u + legendWidth <= frame.width
        func drawPanelLegend(right: Double, baseline: Double) {
            var x = right
            for series in panel.series.reversed() {
                x -= surface.textWidth(series.label, scale: s)
                surface.text(series.label, x: x, baseline: baseline, scale: s, color: CurveFigure.ink,
                             anchor: .start, bold: false)
                x -= 5 * u + 10 * u
                surface.line(from: Point(x, baseline - 3.5 * u), to: Point(x + 10 * u, baseline - 3.5 * u),
                             color: series.color, width: 2.5 * u)
                x -= 10 * u
            }
        }
        if showPanelLegend, legendInTitleRow {
            drawPanelLegend(right: frame.maxX, baseline: titleBaseline)
        }

        // Value axis.
        let range = CurveFigure.valueRange(panel.series.flatMap(\.values), smoothed: smoothed.flatMap { $0 })
        let plotTop = titleBaseline + 7 * u
        let plotBottom = frame.maxY - 12 * u
        let yAxis = range.map { Axis(lower: $0.0, upper: $0.1, targetCount: max(2, Int((plotBottom - plotTop) / (24 * u))), snap: true) }
        let yLabels = yAxis?.labels(compactThousands: false) ?? []
        let labelWidth = yLabels.map { surface.textWidth($0, scale: s) }.max() ?? 0
        let plot = Rect(x: (frame.minX + max(labelWidth, 3 * 6 * u) + 5 * u).rounded() + 0.5, y: plotTop.rounded() + 0.5,
                        width: (frame.maxX - 3 * u - frame.minX - max(labelWidth, 18 * u) - 5 * u).rounded(),
                        height: (plotBottom - plotTop).rounded())

        func px(_ iteration: Double) -> Double { xAxis.position(iteration, from: plot.minX, to: plot.maxX) }

        // Grid, ticks and labels.
        if let yAxis {
            for (tick, label) in zip(yAxis.ticks, yLabels) {
                let y = yAxis.position(tick, from: plot.maxY, to: plot.minY).rounded() + 0.5
                surface.line(from: Point(plot.minX, y), to: Point(plot.maxX, y), color: CurveFigure.grid, width: 1)
                surface.line(from: Point(plot.minX - 3 * u, y), to: Point(plot.minX, y), color: CurveFigure.frame, width: 1)
                surface.text(label, x: plot.minX - 5 * u, baseline: y + 3.5 * u, scale: s, color: CurveFigure.mutedInk,
                             anchor: .end, bold: false)
            }
        }
        for (tick, label) in zip(xAxis.ticks, xAxis.labels(compactThousands: true)) {
            let x = px(tick).rounded() + 0.5
            surface.line(from: Point(x, plot.minY), to: Point(x, plot.maxY), color: CurveFigure.grid, width: 1)
            surface.line(from: Point(x, plot.maxY), to: Point(x, plot.maxY + 3 * u), color: CurveFigure.frame, width: 1)
            // Centred on its tick, but kept inside the panel (the last label of the right column would be cut).
            let half = surface.textWidth(label, scale: s) / 2
            let centre = min(max(x, frame.minX + half), frame.maxX - half)
            surface.text(label, x: centre, baseline: plot.maxY + 4 * u + 7 * u, scale: s, color: CurveFigure.mutedInk,
                         anchor: .middle, bold: false)
        }

        drawEpochMarks(in: plot, x: px, on: &surface, scale: s)

        // Curves: every faint raw line first, then the bold smoothed lines on top.
        if let yAxis {
            func py(_ value: Double) -> Double { yAxis.position(value, from: plot.maxY, to: plot.minY) }
            let showRaw = smoothing.window > 1
            let rawWidth = max(1, 0.6 * u), boldWidth = 1.25 * u
            if showRaw {
                for series in panel.series where series.smoothed {
                    let paths = CurveFigure.paths(series.iterations, series.values, plotWidth: plot.width, x: px, y: py)
                    surface.stroke(paths, color: series.color, width: rawWidth, opacity: 0.28, clip: plot, dash: nil)
                }
            }
            for (series, values) in zip(panel.series, smoothed) {
                let paths = CurveFigure.paths(series.iterations, values, plotWidth: plot.width, x: px, y: py)
                surface.stroke(paths, color: series.color, width: boldWidth, opacity: 1, clip: plot, dash: nil)
            }
        } else {
            surface.text(panel.emptyNote, x: plot.midX, baseline: plot.midY + 3.5 * u, scale: s,
                         color: CurveFigure.faintInk, anchor: .middle, bold: false)
        }

        // NaN and infinities: red marks along the bottom edge, labelled at the first one.
        var bad: [Double] = []
        var first: (iteration: Double, series: String)? = nil
        for series in panel.series {
            for (x, v) in zip(series.iterations, series.values) where !v.isFinite && x.isFinite {
                bad.append(x)
                if first == nil || x < first!.iteration { first = (x, series.label) }
            }
        }
        if let (first, name) = first {
            let marks = bad.map { [Point(px($0), plot.maxY - 5 * u), Point(px($0), plot.maxY)] }
            surface.stroke(marks, color: CurveFigure.alarm, width: max(1, 0.75 * u), opacity: 1, clip: nil, dash: nil)
            let label = (panel.series.count > 1 ? "\(name): " : "") + "NaN/inf from \(formatThousands(first))"
            // Right of the first mark if it fits, else left of it, kept inside the plot.
            let x = px(first), labelWidth = surface.textWidth(label, scale: s)
            let left = x + 2 * u + labelWidth <= plot.maxX ? x + 2 * u
                : max(plot.minX + 2 * u, x - 2 * u - labelWidth)
            surface.text(label, x: left, baseline: plot.maxY - 7 * u, scale: s,
                         color: CurveFigure.alarm, anchor: .start, bold: false)
        }

        if showPanelLegend, !legendInTitleRow {
            let box = Rect(x: plot.maxX - legendWidth - 6 * u, y: plot.minY + 1, width: legendWidth + 6 * u - 1,
                           height: 13 * u)
            surface.fill(box, color: .white, opacity: 0.85)
            drawPanelLegend(right: plot.maxX - 3 * u, baseline: plot.minY + 10 * u)
        }

        // Frame last, over the curves' ends.
        surface.stroke([[Point(plot.minX, plot.minY), Point(plot.maxX, plot.minY), Point(plot.maxX, plot.maxY),
                         Point(plot.minX, plot.maxY), Point(plot.minX, plot.minY)]],
                       color: CurveFigure.frame, width: 1, opacity: 1, clip: nil, dash: nil)
    }

    /// Dashed lines at epoch starts, thinned to a readable count, numbered at the top of the plot.
    private func drawEpochMarks<S: Surface>(in plot: Rect, x px: (Double) -> Double, on surface: inout S, scale s: Int) {
        guard !epochMarks.isEmpty else { return }
        let u = Double(s)
        let labelScale = max(1, s - 1)
        let widest = surface.textWidth("ep \(epochMarks.last!.epoch)", scale: labelScale) + 6 * u
        let room = max(1, Int(plot.width / widest))
        var every = 1
        for candidate in [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000] {
            every = candidate
            if epochMarks.count / candidate < room { break }
        }
        let shown = epochMarks.filter { $0.epoch % every == 0 }
        var lastLabelEnd = -Double.infinity
        for mark in shown {
            let x = px(mark.iteration).rounded() + 0.5
            guard x > plot.minX + 1, x < plot.maxX - 1 else { continue }
            surface.line(from: Point(x, plot.minY), to: Point(x, plot.maxY), color: CurveFigure.epochLine,
                         width: 1, dash: 3 * u)
            let label = "ep \(mark.epoch)"
            let labelWidth = surface.textWidth(label, scale: labelScale)
            if x + 2 * u > lastLabelEnd, x + 2 * u + labelWidth < plot.maxX - 2 * u {
                surface.text(label, x: x + 2 * u, baseline: plot.minY + 2 * u + 7 * Double(labelScale), scale: labelScale,
                             color: CurveFigure.faintInk, anchor: .start, bold: false)
                lastLabelEnd = x + 2 * u + labelWidth + 4 * u
            }
        }
    }

    /// Pixel polylines of a series: one per run of finite values (NaN rows are gaps). Runs denser than
    /// two points per pixel column are reduced to each column's first, minimum, maximum and last point,
    /// which keeps every spike while bounding the SVG's size.
    static func paths(_ iterations: [Double], _ values: [Double], plotWidth: Double,
                      x: (Double) -> Double, y: (Double) -> Double) -> [[Point]] {
        var paths: [[Point]] = []
        var current: [Point] = []
        var column = Int.min
        var bucket: [Point] = []
        let dense = Double(values.count) > 2 * plotWidth

        func flushBucket() {
            guard !bucket.isEmpty else { return }
            if bucket.count <= 4 { current += bucket } else {
                let low = bucket.min { $0.y > $1.y }!, high = bucket.min { $0.y < $1.y }!  // y grows downward
                let middle = low.x <= high.x ? [low, high] : [high, low]
                current += [bucket.first!] + middle + [bucket.last!]
            }
            bucket = []
        }
        func endPath() {
            flushBucket()
            if !current.isEmpty { paths.append(current) }
            current = []
            column = Int.min
        }
        for (i, v) in zip(iterations, values) {
            guard v.isFinite, i.isFinite else { endPath(); continue }
            let p = Point(x(i), y(v))
            if dense {
                let c = Int(p.x.rounded(.down))
                if c != column { flushBucket(); column = c }
                bucket.append(p)
            } else {
                current.append(p)
            }
        }
        endPath()
        return paths
    }
}
