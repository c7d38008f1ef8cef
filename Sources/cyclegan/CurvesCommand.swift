import ArgumentParser
import Foundation
import RunReports

/// `cyclegan curves Runs/NAME`: the loss curves of a run as PNG and SVG, and a summary on the terminal.
struct Curves: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plot a run's losses (curves.png, curves.svg) and summarise them.",
        discussion: """
        Reads RUN/losses.csv, also while the run is still writing it, and writes RUN/curves.png and \
        RUN/curves.svg: one panel per network pair (discriminators, adversarial, cycle, identity), the \
        learning rate and the speed; raw values faint, smoothed values bold, epochs dashed, NaN or \
        infinite values marked in red.

        On the terminal: per loss the last value, the minimum, the mean of the last 10 % of the rows and \
        the trend over the last third, then the known failure signs: a discriminator loss stuck near 0, \
        a rising cycle loss, NaN or infinite values (with the first iteration where they appear).

        Examples:
          cyclegan curves Runs/horse2zebra
          cyclegan curves --compare Runs/lr2e-4 Runs/lr1e-4 --output lr.png
        """)

    @Argument(help: ArgumentHelp("The run folder (Runs/NAME).", valueName: "run-folder"))
    var runFolder: String?

    @Option(parsing: .upToNextOption,
            help: ArgumentHelp("Overlay several runs, one colour per run.", valueName: "run-folder"))
    var compare: [String] = []

    @Option(help: ArgumentHelp("""
        Where to write the PNG; the SVG goes beside it. \
        Default: RUN/curves.png, or curves-compare.png in the current folder with --compare.
        """, valueName: "png"))
    var output: String?

    @Option(help: ArgumentHelp("Smoothing window in rows; 1 draws the raw values only. Default: about 3 % of the rows, at least 3.",
                               valueName: "rows"))
    var smooth: Int?

    @Option(help: "How to smooth: ema (exponential, as TensorBoard) or mean (centred moving average, no lag).")
    var smoothing: SmoothingKind = .ema

    @Option(help: "Figure width in pixels.")
    var width = RunReports.CurvePlot.defaultWidth

    @Option(help: "Figure height in pixels.")
    var height = RunReports.CurvePlot.defaultHeight

    @Flag(help: "Exit with status 2 when a failure sign is found (for scripts).")
    var strict = false

    mutating func validate() throws {
        if runFolder == nil && compare.isEmpty {
            throw ValidationError("Give a run folder (cyclegan curves Runs/NAME) or several with --compare Runs/A Runs/B.")
        }
        if let runFolder, !compare.isEmpty, !compare.contains(runFolder) { compare.insert(runFolder, at: 0) }
        guard (200...8000).contains(width), (150...8000).contains(height) else {
            throw ValidationError("--width must be 200…8000 and --height 150…8000 pixels (got \(width)×\(height)).")
        }
        if let smooth, smooth < 1 {
            throw ValidationError("--smooth must be at least 1 row (1 = no smoothing); got \(smooth).")
        }
        if let output, !output.lowercased().hasSuffix(".png") {
            throw ValidationError("--output names the PNG to write and must end in .png (got \(output)).")
        }
    }

    func run() throws {
        let smoothing = smoothing.smoothing(window: smooth)
        let result: RunReports.CurvePlot.Output
        if compare.isEmpty, let runFolder {
            result = try RunReports.CurvePlot.plotRun(runFolder, output: output, width: width, height: height, smoothing: smoothing)
        } else {
            result = try RunReports.CurvePlot.compareRuns(compare, output: output ?? "curves-compare.png",
                                               width: width, height: height, smoothing: smoothing)
        }

        let colors = terminalSupportsColor()
        for (index, summary) in result.summaries.enumerated() {
            if index > 0 { print("") }
            print(summary.formattedTable(colors: colors))
        }
        if let validation = result.validation { print(""); print(validation.headline) }
        print("")
        print("wrote \(result.pngPath) and \(result.svgPath)")
        if strict, result.summaries.contains(where: { !$0.warnings.isEmpty }) {
            throw ExitCode(2)
        }
    }
}

/// The smoothing kinds offered on the command line.
enum SmoothingKind: String, ExpressibleByArgument, CaseIterable {
    case ema, mean

    /// The smoothing for a window in rows; nil = the automatic window.
    func smoothing(window: Int?) -> RunReports.Smoothing {
        switch self {
        case .ema: return .exponential(window: window ?? 0)
        case .mean: return .movingAverage(window: window ?? 0)
        }
    }
}

/// Colours on a terminal, unless NO_COLOR is set (no-color.org).
func terminalSupportsColor() -> Bool {
    isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        && ProcessInfo.processInfo.environment["TERM"] != "dumb"
}
