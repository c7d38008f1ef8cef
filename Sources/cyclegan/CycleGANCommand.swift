import ArgumentParser
import CPlatform
import Foundation
import Tensor

@main
struct CycleGANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cyclegan",
        abstract: "Unpaired image-to-image translation (CycleGAN) on the CPU.",
        discussion: """
        Train on two folders of images (trainA/, trainB/), follow the run through its loss curves, and \
        translate images in either direction.
        """,
        subcommands: [Train.self, Translate.self, Evaluate.self, Curves.self, Report.self, Inspect.self, Import.self, Export.self, Bench.self])

    static func main() {
        selectBLASKernels()
        // Progress lines reach a log file or pipe (`nohup … > train.log`, `| tee`) as they are printed,
        // not in 4 KiB blocks that a killed process never writes.
        cplatform_line_buffered_stdout()
        main(Array(CommandLine.arguments.dropFirst()))
    }
}

/// OpenBLAS picks its kernels when the library loads, from the CPU's model number; a model newer than the
/// library gets a generic family (0.3.21 runs Prescott, SSE3, kernels on an Emerald Rapids Xeon, family 6
/// model 207). Unless the user set OPENBLAS_CORETYPE, a choice narrower than the CPU's vectors is replaced
/// (`blasCoreOverride`): the process restarts itself once with the variable set, since OpenBLAS reads it
/// only when it loads. Linux only (the restart goes through /proc/self/exe).
func selectBLASKernels() {
#if os(Linux)
    guard getenv("OPENBLAS_CORETYPE") == nil,
          let core = blasCoreOverride(ownChoice: blasCoreName(), avx512: CPUInfo.hasAVX512, avx2: CPUInfo.hasAVX2)
    else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv returns only on failure: carry on with the kernels already loaded.
#endif
}
