import ArgumentParser
import Benchmarks
import CycleGAN
import Foundation
import Tensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time convolution kernels, training iterations or translations (build with -c release).",
        discussion: """
        Kernels:
          cyclegan bench --kernels [--size 128 --size 256] [--iters K]
        Forward, input-gradient and weight-gradient kernels of the generator's convolution shapes, in GFLOP/s \
        beside cblas_sgemm alone on the im2col GEMM of the same layer (ratio = kernel GFLOP/s / sgemm GFLOP/s; \
        a Winograd or direct kernel's GFLOP/s counts the im2col FLOPs, so a ratio above 1 is work saved).

        Steps:
          cyclegan bench [--size 128] [--netG resnet_6blocks] [--ngf 32] \\
            [--ndf 32] [--iters 5] [--warmup 1] [--translate]
        Full training iterations (Trainer.step on random images: batch 1, lsgan, λ_identity 0.5, the networks \
        of the same flags and defaults as `train`), or with --translate generator forwards with frozen \
        parameters. Prints median and min, GFLOP/s of the analytically counted convolution FLOPs, peak \
        resident memory (VmHWM) and a per-op profile. The last line is seconds_per_iter=<median> \
        (seconds_per_image=<median> with --translate).

        FLOPs: a convolution's forward is 2·Cout·Cin·k²·Ho·Wo (a transposed conv counts its input pixels); \
        each input or weight gradient computed costs as much again. A generator's first conv needs no input \
        gradient when fed a real image; D in the G step computes input gradients only.

        Winograd computes 3×3 stride-1 convolutions with 4× fewer multiplies: their FLOPs are still counted \
        as direct convolutions, so GFLOP/s is "effective". --conv_algorithm im2col|winograd forces one path \
        to compare.

        OpenBLAS picks its kernels when it loads: OPENBLAS_CORETYPE in the environment overrides the choice.
        """)

    @Flag(help: "Benchmark the convolution kernels against sgemm instead of training iterations.")
    var kernels = false
    @Option(help: "Image side; repeat with --kernels for several (default 128, or 128 and 256 with --kernels).")
    var size: [Int] = []
    @OptionGroup(title: "Networks") var network: NetworkArguments
    @Option(help: "Timed repetitions (default 5 iterations, 10 kernel runs with --kernels).")
    var iters: Int?
    @Option(help: "Untimed warm-up repetitions.")
    var warmup = 1
    @Flag(help: "Time translations (generator forward, nothing recorded) instead of training iterations.")
    var translate = false
    @Option(name: .customLong("conv_algorithm"),
            help: "3×3 stride-1 convolutions: automatic (by layer shape), im2col or winograd (forced everywhere).")
    var convAlgorithm: ConvAlgorithm = .automatic
    @OptionGroup(title: "Compute") var compute: ComputeArguments
    @OptionGroup(title: "Compute") var precision: PrecisionArguments

    func validate() throws {
        if !kernels && size.count > 1 { throw ValidationError("give one --size without --kernels") }
        let m = network.netG.sideMultiple, least = max(16, m)
        for s in size where s < least || s % m != 0 {
            throw ValidationError("--size \(s): --netG \(network.netG.rawValue) needs a multiple of \(m), at least \(least) (try \(max(least, s / m * m)))")
        }
        if let k = iters, k < 1 { throw ValidationError("--iters must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must be 0 or more") }
        if network.ngf < 1 || network.ndf < 1 { throw ValidationError("--ngf and --ndf must be at least 1") }
        if kernels && translate { throw ValidationError("--translate times whole translations: drop --kernels") }
        if precision.precision == .bf16 && BF16Arithmetic.current == .oneDNN && convAlgorithm == .winograd {
            throw ValidationError("--conv_algorithm winograd: bf16 through oneDNN (on this CPU's AMX) runs every convolution through im2col (drop one of the two)")
        }
    }

    func run() throws {
        try compute.start()
        let coreType = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"
        let machine = "CPU \(CPUInfo.modelName) (\(CPUInfo.vectorFeatures.joined(separator: " "))), OpenBLAS core \(blasCoreName()), BLAS threads \(blasThreads()), "
            + "kernel threads \(KernelThreads.count), OPENBLAS_CORETYPE \(coreType), conv algorithm "
            + (precision.precision == .bf16 && BF16Arithmetic.current == .oneDNN ? "im2col (bf16 in oneDNN)" : convAlgorithm.rawValue)
            + ", precision \(precision.precision.rawValue)"
        try precision.run {
            ConvAlgorithm.$current.withValue(convAlgorithm) {
                if kernels { runKernels(machine) } else { runSteps(machine) }
            }
        }
    }

    private func runKernels(_ machine: String) {
        let sizes = size.isEmpty ? [128, 256] : size
        let k = iters ?? 10
        print("cyclegan bench --kernels: generator convolution shapes (ngf \(network.ngf)), batch 1")
        print(machine)
        print("median of \(k) runs after \(warmup) warm-up; GFLOP/s = 2·M·N·K / time of the im2col GEMM's M, N, K; "
              + "ratio = kernel GFLOP/s / sgemm GFLOP/s")
        if Precision.productsInOneDNN { print("bf16: both columns' products through oneDNN on bf16 inputs, the rounding included") }
        print("kernel = the Tensor kernel as the ops call it, by its ConvPlan (im2col + sgemm, Winograd or direct; "
              + "output allocation, bias on forward)")
        print("")
        print("| size | layer | pass | M × N × K | kernel ms | kernel GFLOP/s | sgemm ms | sgemm GFLOP/s | ratio |")
        print("|---|---|---|---|---:|---:|---:|---:|---:|")
        var rng = SeededGenerator(seed: 1)
        for s in sizes {
            for layer in generatorKernelShapes(size: s, ngf: network.ngf) {
                for t in benchmarkKernel(layer, size: s, warmup: warmup, iterations: k, using: &rng) {
                    let g = t.gemm
                    let shape = "\(g.m) × \(g.n) × \(g.k)" + (g.transA ? " (Aᵀ)" : "") + (g.transB ? " (Bᵀ)" : "")
                    print(String(format: "| %d² | %@ | %@ | %@ | %.2f | %.1f | %.2f | %.1f | %.2f |", s,
                                 layer.name as NSString, t.pass.rawValue as NSString, shape as NSString,
                                 t.kernelSeconds * 1e3, t.kernelGFLOPS, t.gemmSeconds * 1e3, t.gemmGFLOPS,
                                 t.kernelGFLOPS / t.gemmGFLOPS))
                    fflush(nil)
                }
            }
        }
    }

    private func runSteps(_ machine: String) {
        let s = size.first ?? 128
        let k = iters ?? 5
        let config = network.value
        let what = translate ? "translation (generator forward, frozen parameters)"
                             : "training iteration (batch 1, norm \(config.norm.rawValue), lsgan, λ_identity 0.5)"
        print("cyclegan bench: \(what), \(s)², \(config.netG.rawValue), ngf \(config.ngf), ndf \(config.ndf)")
        print(machine)
        let result = benchmarkSteps(config, size: s, warmup: warmup, iterations: k, translate: translate) {
            print($0)
            fflush(nil)
        }
        let unit = translate ? "image" : "iter"
        print(String(format: "median %.4f s, min %.4f s over %d timed (%d warm-up)", result.median, result.min, k, warmup))
        print(String(format: "conv FLOPs per %@: %.2f GFLOP (analytic) → %.1f GFLOP/s at the median, %.1f at the min",
                     unit as NSString, result.flops / 1e9, result.flops / result.median / 1e9, result.flops / result.min / 1e9))
        if let peak = result.peakResidentBytes {
            print(String(format: "peak resident memory (VmHWM): %.0f MB", Double(peak) / 1_048_576))
        }
        print(String(format: "minor page faults per %@: %.0f", unit as NSString, result.minorFaultsPerIteration))
        print("profile (exclusive times, summed over the timed runs, per \(unit)):")
        print(profileTable(result))
        print(String(format: "seconds_per_%@=%.4f", (translate ? "image" : "iter") as NSString, result.median))
    }
}

extension ConvAlgorithm: ExpressibleByArgument {}
