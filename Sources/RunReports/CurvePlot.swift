import Codecs
import Foundation

/// What `cyclegan curves` does, callable without the command line: read the loss logs, draw the figure
/// as PNG and SVG, and summarise each run.
public enum CurvePlot {
    /// The default figure size: readable at a glance on a laptop screen.
    public static let defaultWidth = 1200, defaultHeight = 800

    /// The files written and the summaries of the runs.
    public struct Output: Sendable {
        public let pngPath: String
        public let svgPath: String
        public let summaries: [CurveSummary]
        /// The run's val.csv, when it has one (one run only).
        public var validation: ValidationLog? = nil
    }

    /// Plots one run: reads `RUN/losses.csv`, writes `RUN/curves.png` and `RUN/curves.svg`
    /// (or `output` and the same name with `.svg`).
    public static func plotRun(_ runPath: String, output: String? = nil, width: Int = defaultWidth,
                               height: Int = defaultHeight, smoothing: Smoothing? = nil) throws -> Output {
        let run = try RunFolder(runPath)
        let log = try run.lossLog()
        let validation = try run.validationLog()
        let figure = CurveFigure(run: run.name, log: log, validation: validation, smoothing: smoothing)
        let png = output ?? run.displayPath("curves.png")
        let svg = output.map { ($0 as NSString).deletingPathExtension + ".svg" } ?? run.displayPath("curves.svg")
        try figure.write(png: png, svg: svg, width: width, height: height)
        return Output(pngPath: png, svgPath: svg, summaries: [CurveSummary(log: log)], validation: validation)
    }

    /// Overlays several runs: writes `output` (PNG) and the same figure as SVG beside it
    /// (`output` with the extension `.svg`). Runs are named by their folder name (made unique).
    public static func compareRuns(_ runPaths: [String], output: String, width: Int = defaultWidth,
                                   height: Int = defaultHeight, smoothing: Smoothing? = nil) throws -> Output {
        var runs: [(name: String, log: LossLog)] = []
        for path in runPaths {
            let run = try RunFolder(path)
            var name = run.name
            if runs.contains(where: { $0.name == name }) { name = run.displayPath }
            runs.append((name, try run.lossLog()))
        }
        let figure = CurveFigure(comparing: runs, smoothing: smoothing)
        let svg = (output as NSString).deletingPathExtension + ".svg"
        try figure.write(png: output, svg: svg, width: width, height: height)
        return Output(pngPath: output, svgPath: svg, summaries: runs.map { CurveSummary(log: $0.log) })
    }
}

extension CurveFigure {
    /// Writes the figure as PNG (8-bit RGB through `ImageFile.writePNG`) and as SVG; each file is written
    /// beside its destination and renamed into place, so a reader never sees half a file.
    public func write(png pngPath: String?, svg svgPath: String?, width: Int, height: Int) throws {
        if let pngPath {
            let canvas = render(width: width, height: height)
            do {
                try ImageFile.writePNG(pixels: canvas.pixels, width: width, height: height, channels: 3, to: pngPath)
            } catch let error as CodecError {
                throw RunReportError.cannotWrite(path: pngPath, reason: error.message)
            }
        }
        if let svgPath {
            try writeTextAtomically(svg(width: width, height: height), to: svgPath)
        }
    }
}

/// Writes text through `AtomicFile`, failures as `RunReportError.cannotWrite`.
func writeTextAtomically(_ text: String, to path: String) throws {
    do {
        try AtomicFile.write(text, to: path)
    } catch {
        throw RunReportError.cannotWrite(path: path, reason: (error as? CodecError)?.message ?? error.localizedDescription)
    }
}
