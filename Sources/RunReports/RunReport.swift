import Codecs
import Foundation
import RunLayout

/// `Runs/NAME/index.html`: one page that tells how a run went, opening from disk without a server.
///
/// It holds the loss summary and warnings, the curves (regenerated first, embedded inline as SVG, with
/// links to curves.png and losses.csv), the sample grids newest first, the translated test images next to
/// their inputs, the configuration and the checkpoints. Every link is relative to the run folder (inputs
/// outside it are reached with `../`), so the page also works when the folder is copied elsewhere together
/// with its data.
public enum RunReport {
    /// What was written, and what could not be shown.
    public struct Output: Sendable {
        /// The page, `RUN/index.html`.
        public let url: URL
        /// Why the curves are missing from the page (no losses.csv yet, a bad header), if they are.
        public let curvesProblem: String?
        public let sampleCount: Int
        public let translationCount: Int
        public let summary: CurveSummary?
    }

    /// Regenerates curves.png and curves.svg, then writes index.html. A run without a usable loss log
    /// still gets its page (with the reason in place of the curves); a missing run folder throws.
    @discardableResult
    public static func write(runFolder path: String, smoothing: Smoothing? = nil,
                             width: Int = CurvePlot.defaultWidth, height: Int = CurvePlot.defaultHeight,
                             now: Date = Date()) throws -> Output {
        let run = try RunFolder(path)
        var summary: CurveSummary? = nil
        var svg: String? = nil
        var curvesProblem: String? = nil
        var validation: ValidationLog? = nil, validationProblem: String? = nil
        do { validation = try run.validationLog() } catch { validationProblem = String(describing: error) }
        do {
            let log = try run.lossLog()
            let figure = CurveFigure(run: run.name, log: log, validation: validation, smoothing: smoothing)
            try figure.write(png: run.curvesPNGPath, svg: run.curvesSVGPath, width: width, height: height)
            summary = CurveSummary(log: log)
            svg = figure.svg(width: width, height: height, responsive: true)
        } catch let error as RunReportError {
            if case .cannotWrite = error { throw error }
            curvesProblem = error.description
        }
        var configProblem: String? = nil
        var configuration: [(key: String, value: String)]? = nil
        do { configuration = try run.configuration() } catch { configProblem = String(describing: error) }

        let samples = run.samples()
        let translations = run.translations()
        let page = html(run: run, summary: summary, inlineSVG: svg, curvesProblem: curvesProblem,
                        validation: validation, validationProblem: validationProblem, configuration: configuration, configProblem: configProblem, samples: samples,
                        translations: translations, checkpoints: run.checkpoints(), now: now,
                        previews: try previews(of: translations, in: run))
        try writeTextAtomically(page, to: run.reportPath)
        return Output(url: URL(fileURLWithPath: run.reportPath), curvesProblem: curvesProblem,
                      sampleCount: samples.count, translationCount: translations.count, summary: summary)
    }

    /// Image files browsers show as they are; the others get a PNG preview.
    static let browserImageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]

    /// For each translation's input and output that a browser cannot show (TIFF, PGM/PPM), a PNG copy under
    /// `report_previews/` (8 bits, written again each time): original path → the preview's path relative to the
    /// run folder. An image that cannot be read keeps its own link.
    static func previews(of translations: [RunFolder.Translation], in run: RunFolder) throws -> [String: String] {
        var out: [String: String] = [:]
        for item in translations {
            for (kind, path, absolute) in [("input", item.inputPath, item.inputPath), ("output", Optional(item.outputPath), run.path(item.outputPath))] {
                guard let path, let absolute,
                      !browserImageExtensions.contains((path as NSString).pathExtension.lowercased()),
                      let image = try? ImageFile.read(absolute) else { continue }
                let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                let relative = "\(RunLayout.reportPreviews)/\(item.direction.rawValue)/\(kind)_\(stem).png"
                try FileManager.default.createDirectory(atPath: (run.path(relative) as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                do {
                    try ImageFile.writePNG(image, to: run.path(relative))
                } catch let error as CodecError {
                    throw RunReportError.cannotWrite(path: run.path(relative), reason: error.message)
                }
                out[path] = relative
            }
        }
        return out
    }

    // MARK: - The page

    static func html(run: RunFolder, summary: CurveSummary?, inlineSVG: String?, curvesProblem: String?,
                     validation: ValidationLog? = nil, validationProblem: String? = nil,
                     configuration: [(key: String, value: String)]?, configProblem: String?,
                     samples: [RunFolder.Sample], translations: [RunFolder.Translation],
                     checkpoints: [RunFolder.CheckpointFile], now: Date, previews: [String: String] = [:]) -> String {
        let name = xmlEscaped(run.name)
        var page = HTMLBuilder()
        page.raw("""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(name) · CycleGAN run</title>
        <style>\(style)</style>
        </head>
        <body>
        <header>
        <h1>\(name)</h1>
        """)
        var facts = ["CycleGAN run"]
        if let summary {
            let log = summary.log
            facts.append("iteration \(formatThousands(log.iterations.last!))")
            if let epoch = log.epochs?.last(where: \.isFinite) { facts.append("epoch \(formatIteration(epoch))") }
            facts.append("\(log.rowCount) logged rows")
            if let modified = modificationDate(run.lossesPath) { facts.append("last row logged \(dateText(modified))") }
        }
        facts.append("report written \(dateText(now))")
        page.raw("<p class=\"facts\">\(facts.map(xmlEscaped).joined(separator: " · "))</p>")
        page.raw("""
        <nav><a href="#summary">Summary</a><a href="#curves">Curves</a><a href="#validation">Validation</a>\
        <a href="#samples">Samples</a>\
        <a href="#translations">Translations</a><a href="#config">Configuration</a>\
        <a href="#checkpoints">Checkpoints</a></nav>
        </header>
        <main>
        """)

        // Summary and curves.
        page.raw("<section id=\"summary\"><h2>Summary</h2>")
        if let summary {
            summaryTable(summary, into: &page)
        } else {
            page.raw("<p class=\"problem\">\(xmlEscaped(curvesProblem ?? "no loss log"))</p>")
        }
        page.raw("</section>")

        page.raw("<section id=\"curves\"><h2>Loss curves</h2>")
        if let inlineSVG {
            page.raw("<div class=\"figure\">\(inlineSVG)</div>")
            page.raw("<p class=\"links\"><a href=\"curves.png\">curves.png</a> · <a href=\"curves.svg\">curves.svg</a>"
                     + " · <a href=\"losses.csv\">losses.csv</a></p>")
        } else {
            page.raw("<p class=\"problem\">No curves: \(xmlEscaped(curvesProblem ?? "no loss log"))</p>")
        }
        page.raw("</section>")

        validationSection(run: run, validation, problem: validationProblem, into: &page)

        // Samples, newest first.
        page.raw("<section id=\"samples\"><h2>Samples <small>\(samples.count), newest first</small></h2>")
        if samples.isEmpty {
            page.raw("<p class=\"empty\">No sample grid yet (samples/iter_NNNNNNN.png appear at the run's sample interval).</p>")
        } else {
            let epochOf = summary.map { epochLookup($0.log) } ?? { _ in nil }
            page.raw(sampleLegend(run: run))
            page.raw("<div class=\"samples\">")
            for (index, sample) in samples.enumerated() {
                var caption = "iteration \(formatThousands(Double(sample.iteration)))"
                if let epoch = epochOf(Double(sample.iteration)) { caption += " · epoch \(formatIteration(epoch))" }
                let href = relativeURL(sample.relativePath)
                page.raw("<figure class=\"\(index == 0 ? "newest" : "older")\"><a href=\"\(href)\">"
                         + "<img src=\"\(href)\" alt=\"samples at iteration \(sample.iteration)\""
                         + (index < 2 ? "" : " loading=\"lazy\"") + "></a>"
                         + "<figcaption>\(xmlEscaped(caption))</figcaption></figure>")
            }
            page.raw("</div>")
        }
        page.raw("</section>")

        // Translations, input next to output.
        page.raw("<section id=\"translations\"><h2>Translations <small>\(translations.count)</small></h2>")
        if translations.isEmpty {
            page.raw("<p class=\"empty\">None yet: <code>cyclegan translate --run \(xmlEscaped(run.displayPath))</code> "
                     + "writes them to translations/AtoB and translations/BtoA.</p>")
        }
        for direction in Direction.allCases {
            let items = translations.filter { $0.direction == direction }
            guard !items.isEmpty else { continue }
            page.raw("<h3>\(direction.arrow) <small>translations/\(direction.rawValue)</small></h3><div class=\"pairs\">")
            for item in items {
                page.raw("<figure class=\"pair\"><div>")
                // The link opens the file itself; the picture is its PNG preview where a browser needs one.
                if let input = item.inputPath {
                    let href = relativeURL(relativePath(from: run.url.path, to: input))
                    let src = previews[input].map(relativeURL) ?? href
                    page.raw("<a href=\"\(href)\"><img src=\"\(src)\" alt=\"input\" loading=\"lazy\"></a>")
                }
                let href = relativeURL(item.outputPath), src = previews[item.outputPath].map(relativeURL) ?? href
                page.raw("<a href=\"\(href)\"><img src=\"\(src)\" alt=\"output\" loading=\"lazy\"></a></div>")
                let caption = item.inputPath == nil
                    ? xmlEscaped(item.inputName)
                    : "\(xmlEscaped(item.inputName)) <span class=\"arrow\">→</span> output"
                page.raw("<figcaption>\(caption)</figcaption></figure>")
            }
            page.raw("</div>")
        }
        page.raw("</section>")

        // Configuration.
        page.raw("<section id=\"config\"><h2>Configuration <small>config.json</small></h2>")
        if let configuration, !configuration.isEmpty {
            // Side by side tables of about equal length (the browser wraps them on narrow screens).
            let perTable = max(8, (configuration.count + 2) / 3)
            page.raw("<div class=\"config\">")
            for start in stride(from: 0, to: configuration.count, by: perTable) {
                page.raw("<table><tbody>")
                for (key, value) in configuration[start..<min(start + perTable, configuration.count)] {
                    page.raw("<tr><th>\(xmlEscaped(key))</th><td>\(xmlEscaped(value))</td></tr>")
                }
                page.raw("</tbody></table>")
            }
            page.raw("</div>")
        } else {
            page.raw("<p class=\"\(configProblem == nil ? "empty" : "problem")\">"
                     + xmlEscaped(configProblem ?? "No config.json in this run folder.") + "</p>")
        }
        page.raw("</section>")

        // Checkpoints.
        page.raw("<section id=\"checkpoints\"><h2>Checkpoints</h2>")
        if checkpoints.isEmpty {
            page.raw("<p class=\"empty\">No checkpoint yet.</p>")
        } else {
            page.raw("<table class=\"numbers\"><thead><tr><th>file</th><th>size</th><th>written</th></tr></thead><tbody>")
            for checkpoint in checkpoints {
                page.raw("<tr><td><code>\(xmlEscaped(checkpoint.relativePath))</code></td>"
                         + "<td>\(byteText(checkpoint.bytes))</td><td>\(checkpoint.modified.map(dateText) ?? "")</td></tr>")
            }
            page.raw("</tbody></table>")
        }
        page.raw("</section>\n</main>\n<footer>Written by <code>cyclegan report</code>. "
                 + "Regenerate with <code>cyclegan report \(xmlEscaped(run.displayPath))</code>.</footer>\n</body>\n</html>\n")
        return page.text
    }

    /// One row per validation, the best one marked, and the best epoch's translations.
    private static func validationSection(run: RunFolder, _ validation: ValidationLog?, problem: String?,
                                          into page: inout HTMLBuilder) {
        page.raw("<section id=\"validation\"><h2>Validation <small>val.csv</small></h2>")
        guard let v = validation, v.rowCount > 0 else {
            let started = FileManager.default.fileExists(atPath: run.path(RunLayout.validation))
            page.raw(problem.map { "<p class=\"problem\">\(xmlEscaped($0))</p>" }
                     ?? (started ? "<p class=\"empty\">None yet: the first validation comes at the end of the run's first "
                                   + "<code>--val_freq</code> epochs.</p>"
                                 : "<p class=\"empty\">None: train with <code>--val_freq N</code> (and <code>--inception FILE</code> "
                                   + "for KID) to translate the test images every N epochs and measure them.</p>"))
            page.raw("</section>")
            return
        }
        let best = v.best
        page.raw("<p>Best: epoch \(v.epoch(best)), by the \(xmlEscaped(v.criterion)).</p>")
        page.raw("<table class=\"numbers\"><thead><tr><th>epoch</th><th>iteration</th><th>cycle PSNR A (dB)</th>"
                 + "<th>cycle PSNR B (dB)</th>" + (v.hasKID ? "<th>KID A→B</th><th>KID B→A</th>" : "")
                 + "<th>seconds</th></tr></thead><tbody>")
        let columns = [ValidationColumns.psnrA, ValidationColumns.psnrB]
            + (v.hasKID ? [ValidationColumns.kidAtoB, ValidationColumns.kidBtoA] : []) + [ValidationColumns.seconds]
        for row in 0..<v.rowCount {
            let cells = columns.map { String(format: "%.4g", v.column($0)[row]) }
            page.raw("<tr\(row == best ? " class=\"best\"" : "")><td>\(v.epoch(row))\(row == best ? " ★" : "")</td>"
                     + "<td>\(formatThousands(v.iterations[row]))</td>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>")
        }
        page.raw("</tbody></table>")
        let folder = RunLayout.validationFolder(epoch: v.epoch(best))
        for direction in Direction.allCases {
            let files = run.listFiles(folder + "/" + direction.rawValue).filter { $0.lowercased().hasSuffix(".png") }.sorted()
            guard !files.isEmpty else { continue }
            page.raw("<h3>\(direction.arrow), epoch \(v.epoch(best)) <small>\(folder)/\(direction.rawValue)</small></h3><div class=\"pairs\">")
            for name in files.prefix(8) {
                let href = relativeURL(folder + "/" + direction.rawValue + "/" + name)
                page.raw("<figure class=\"pair\"><a href=\"\(href)\"><img src=\"\(href)\" alt=\"\(xmlEscaped(name))\" loading=\"lazy\"></a>"
                         + "<figcaption>\(xmlEscaped(name))</figcaption></figure>")
            }
            page.raw("</div>")
        }
        page.raw("</section>")
    }

    /// The loss table with its warnings.
    private static func summaryTable(_ summary: CurveSummary, into page: inout HTMLBuilder) {
        let flagged = Set(summary.warnings.map(\.column))
        page.raw("<table class=\"numbers\"><thead><tr><th>loss</th><th>last</th><th>min</th>"
                 + "<th>mean of last 10 %</th><th>trend</th></tr></thead><tbody>")
        let rows = summary.losses + [summary.learningRate, summary.secondsPerIteration].compactMap { $0 }
        for stats in rows {
            let isLoss = LossLog.lossColumns.contains(stats.column)
            let trend = stats.trend == .flat || !isLoss
                ? stats.trend.rawValue : "\(stats.trend.rawValue) (\(formatPercent(stats.relativeChange)))"
            page.raw("<tr\(flagged.contains(stats.column) ? " class=\"flagged\"" : "")><th>\(xmlEscaped(stats.column))</th>"
                     + "<td>\(formatNumber(stats.last))</td><td>\(stats.min.map(formatNumber) ?? "–")</td>"
                     + "<td>\(stats.recentMean.map(formatNumber) ?? "–")</td>"
                     + "<td class=\"trend \(stats.trend.rawValue)\">\(xmlEscaped(trend))</td></tr>")
        }
        page.raw("</tbody></table>")
        if summary.warnings.isEmpty {
            page.raw("<p class=\"ok\">No known failure sign: no discriminator stuck near 0, no rising cycle loss, no NaN or inf.</p>")
        } else {
            page.raw("<ul class=\"warnings\">")
            for warning in summary.warnings { page.raw("<li>\(xmlEscaped(warning.description))</li>") }
            page.raw("</ul>")
        }
        var notes = summary.log.notes
        if summary.log.skippedPartialLine { notes.append("the last line of losses.csv is still being written: skipped") }
        if !notes.isEmpty {
            page.raw("<p class=\"notes\">" + notes.map(xmlEscaped).joined(separator: "<br>") + "</p>")
        }
    }

    /// Names the tiles of a sample grid, as config.json says the run drew them.
    private static func sampleLegend(run: RunFolder) -> String {
        let rows = run.sampleGridRows()
        return "<p class=\"hint\">Each grid: top row \(rows[0].joined(separator: " · ")); "
            + "bottom row \(rows[1].joined(separator: " · ")). Click a grid for full size.</p>"
    }

    // MARK: - Helpers

    /// The epoch of the last logged row at or before an iteration.
    private static func epochLookup(_ log: LossLog) -> (Double) -> Double? {
        guard let epochs = log.epochs else { return { _ in nil } }
        let iterations = log.iterations
        return { iteration in
            var lo = 0, hi = iterations.count  // first row with iteration > the asked one
            while lo < hi { let mid = (lo + hi) / 2; if iterations[mid] <= iteration { lo = mid + 1 } else { hi = mid } }
            return lo == 0 ? nil : (epochs[lo - 1].isFinite ? epochs[lo - 1] : nil)
        }
    }

    /// A relative path as a URL: each component percent-encoded, then escaped for an HTML attribute.
    static func relativeURL(_ path: String) -> String {
        let encoded = path.split(separator: "/", omittingEmptySubsequences: false).map { component in
            String(component).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/;?#")))
                ?? String(component)
        }.joined(separator: "/")
        return xmlEscaped(encoded)
    }

    /// The path of `target` relative to the folder `base` (both absolute): `../../Data/x/testA/1.jpg`.
    static func relativePath(from base: String, to target: String) -> String {
        let from = URL(fileURLWithPath: base).standardizedFileURL.pathComponents
        let to = URL(fileURLWithPath: target).standardizedFileURL.pathComponents
        var common = 0
        while common < min(from.count, to.count), from[common] == to[common] { common += 1 }
        let ups = Array(repeating: "..", count: from.count - common)
        return (ups + to[common...]).joined(separator: "/")
    }

    private static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    static func dateText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    static func byteText(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB"]
        var value = Double(bytes), unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    static let style = """
    :root { color-scheme: light; --ink: #222; --muted: #666; --line: #e3e3e3; --accent: #1f77b4; --alarm: #c62828; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
           color: var(--ink); background: #f6f6f4; }
    header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
    header { padding-top: 20px; }
    h1 { margin: 0; font-size: 28px; }
    h2 { font-size: 20px; margin: 0 0 10px; }
    h3 { font-size: 16px; margin: 18px 0 8px; }
    small { color: var(--muted); font-weight: normal; font-size: 13px; }
    .facts { color: var(--muted); margin: 4px 0 10px; }
    nav { display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 8px 0 14px; border-bottom: 1px solid var(--line); }
    nav a, .links a { color: var(--accent); text-decoration: none; }
    nav a:hover, .links a:hover { text-decoration: underline; }
    section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 16px 18px; margin: 16px 0; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
    th, td { padding: 3px 12px 3px 0; text-align: left; border-bottom: 1px solid var(--line); vertical-align: top; }
    table.numbers td { text-align: right; }
    table.numbers td:first-child { text-align: left; }
    thead th { color: var(--muted); font-weight: 600; font-size: 13px; }
    tr.flagged th, tr.flagged td { color: var(--alarm); }
    td.trend { text-align: left !important; }
    .warnings { color: var(--alarm); margin: 10px 0 0; padding-left: 20px; }
    .ok { color: #2e7d32; margin: 10px 0 0; }
    .notes, .hint, .empty { color: var(--muted); }
    .problem { color: var(--alarm); }
    .figure svg { display: block; width: 100%; height: auto; }
    .links { margin: 6px 0 0; font-size: 14px; }
    .samples { display: grid; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); gap: 14px; }
    .samples figure.newest { grid-column: 1 / -1; }
    .samples figure.newest img { width: auto; min-width: min(100%, 768px); max-width: 100%; }
    figure { margin: 0; }
    figure img { display: block; width: 100%; height: auto; image-rendering: auto; border: 1px solid var(--line); background: #eee; }
    figcaption { font-size: 13px; color: var(--muted); margin-top: 3px; font-variant-numeric: tabular-nums; }
    .newest figcaption { font-size: 15px; color: var(--ink); }
    .pairs { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 14px; }
    .pair > div { display: flex; gap: 4px; }
    .pair > div a { flex: 1; }
    .arrow { color: var(--accent); }
    .config { display: flex; flex-wrap: wrap; gap: 0 36px; align-items: flex-start; }
    .config table { flex: 1 1 300px; }
    .config th { font-weight: 600; white-space: nowrap; }
    .config td { word-break: break-all; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
    code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
    footer { color: var(--muted); font-size: 13px; padding-bottom: 30px; }
    tr.best td { font-weight: 600; background: #f3f8ee; }
    """
}

/// Accumulates the page's text.
struct HTMLBuilder {
    private(set) var text = ""
    mutating func raw(_ html: String) { text += html; text += "\n" }
}
