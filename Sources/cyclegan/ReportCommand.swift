import ArgumentParser
import Foundation
import RunReports

/// `cyclegan report Runs/NAME`: one HTML page on how a run went.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write RUN/index.html: summary, loss curves, samples, translations and configuration.",
        discussion: """
        Regenerates RUN/curves.png and RUN/curves.svg first, then writes RUN/index.html with the loss \
        summary and warnings, the curves, the sample grids newest first, the translated test images next \
        to their inputs (when `cyclegan translate --run RUN` wrote them), the configuration and the \
        checkpoints. The page opens from disk without a server: every link is relative.
        """)

    @Argument(help: ArgumentHelp("The run folder (Runs/NAME).", valueName: "run-folder"))
    var runFolder: String

    @Option(help: ArgumentHelp("Smoothing window of the curves in rows; 1 = none. Default: about 3 % of the rows, at least 3.",
                               valueName: "rows"))
    var smooth: Int?

    @Option(help: "How to smooth the curves: ema or mean.")
    var smoothing: SmoothingKind = .ema

    mutating func validate() throws {
        if let smooth, smooth < 1 {
            throw ValidationError("--smooth must be at least 1 row (1 = no smoothing); got \(smooth).")
        }
    }

    func run() throws {
        let output = try RunReports.RunReport.write(runFolder: runFolder, smoothing: smoothing.smoothing(window: smooth))
        if let problem = output.curvesProblem {
            FileHandle.standardError.write(Data("warning: the page has no curves: \(problem)\n".utf8))
        }
        if let summary = output.summary, !summary.warnings.isEmpty {
            for warning in summary.warnings { print("warning: \(warning)") }
        }
        let page = (runFolder as NSString).appendingPathComponent("index.html")
        print("wrote \(page): \(output.sampleCount) sample grid\(output.sampleCount == 1 ? "" : "s"), "
              + "\(output.translationCount) translation\(output.translationCount == 1 ? "" : "s")")
        print("open \(output.url.absoluteString)")
    }
}
