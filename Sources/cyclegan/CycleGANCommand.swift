import ArgumentParser
import Foundation

@main
struct CycleGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cyclegan",
        abstract: "Unpaired image-to-image translation (CycleGAN) on the CPU.",
        discussion: """
        Train on two folders of images (trainA/, trainB/), follow the run through its loss curves,
        and translate images in either direction.
        """,
        subcommands: [Train.self, Translate.self, Curves.self, Report.self, Inspect.self, Bench.self])

    static func main() {
        selectBLASKernels()
        main(Array(CommandLine.arguments.dropFirst()))
    }
}

/// OpenBLAS picks its kernels when the library loads. Its `Haswell` kernels were ahead of the auto-selected
/// ones on some thin convolution GEMMs (NATIVE.md; BENCHMARKS.md: on the Zen 3 CI machine whole iterations
/// are within noise), so unless the user set OPENBLAS_CORETYPE, the process restarts itself once with it set:
/// one kernel family everywhere, whatever OpenBLAS would guess.
func selectBLASKernels() {
    guard getenv("OPENBLAS_CORETYPE") == nil,
          let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = cpu.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
          flags.contains(" avx2"), flags.contains(" fma") else { return }
    setenv("OPENBLAS_CORETYPE", "Haswell", 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv returns only on failure: carry on with the kernels already loaded.
}
