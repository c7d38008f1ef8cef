import CycleGAN
import Foundation
import Layers
import Tensor

// Benchmarks behind `cyclegan bench`: convolution kernels against cblas_sgemm on the same GEMM shapes,
// and whole training iterations / translations with an analytic FLOP count, peak memory and a per-op
// profile (Tensor's `Profiler`).
//
// FLOP counting (multiply + add = 2 FLOPs; convolutions only — norms, activations, losses and Adam are
// not counted, they are memory-bound and small in FLOPs):
//   forward of a convolution        F = 2 · Cout · Cin · k² · Ho · Wo
//   forward of a transposed conv    F = 2 · Cout · Cin · k² · H · W  (H × W its *input*: the adjoint conv's output)
//   backward                        F for the input gradient where one is computed, F for the weight gradient
//                                   where one is computed (so 2F for an inner layer of a trained network)
// In a training iteration (batch 1, λ_identity > 0):
//   6 generator passes (fake_B, rec_A, fake_A, rec_B, idt_A, idt_B), all with weight gradients; the first conv
//   of a generator needs no input gradient when its input is a real image (fake_B, fake_A, idt_A, idt_B), but
//   does for rec_A and rec_B, whose inputs are the generated fake_B and fake_A;
//   2 discriminator passes in the G step (D_A(fake_B), D_B(fake_A)): D frozen, input gradients only;
//   4 discriminator passes in the D step (real and pooled fake for each D): weight gradients, and input
//   gradients for every conv but the first (its input is a constant image).
// A translation is one generator forward.

// MARK: - Convolution layers and their cost

/// One convolution of a network, with the sizes of the GEMMs it runs.
public struct ConvLayer: Sendable {
    public let name: String
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    /// Input side (square), after any reflection padding the network applies before the conv.
    public let inSize: Int
    public let transposed: Bool
    /// Output side.
    public let outSize: Int

    public init(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                inSize: Int, transposed: Bool = false, outputPadding: Int? = nil) {
        self.name = name
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.stride = stride; self.padding = padding
        self.inSize = inSize; self.transposed = transposed
        outSize = transposed
            ? convTransposeOutputSize(inSize, kernel: kernel, stride: stride, padding: padding, outputPadding: outputPadding ?? stride - 1)
            : (inSize + 2 * padding - kernel) / stride + 1
    }

    /// Pixels of the GEMM's N side: the conv's output, or a transposed conv's input.
    public var gemmPixels: Int { transposed ? inSize * inSize : outSize * outSize }

    /// Forward FLOPs, 2 · Cout · Cin · k² · pixels; each computed backward gradient costs the same.
    public var flops: Double { 2 * Double(outChannels * inChannels * kernel * kernel) * Double(gemmPixels) }

    /// M, N, K and transpositions of the `sgemm` that `pass` runs (per image).
    public func gemm(_ pass: KernelPass) -> GEMMShape {
        let P = gemmPixels, k2 = kernel * kernel
        switch (transposed, pass) {
        case (false, .forward): return GEMMShape(m: outChannels, n: P, k: inChannels * k2)
        case (false, .inputGradient): return GEMMShape(m: inChannels * k2, n: P, k: outChannels, transA: true)
        case (false, .weightGradient): return GEMMShape(m: outChannels, n: inChannels * k2, k: P, transB: true, beta: 1)
        case (true, .forward): return GEMMShape(m: outChannels * k2, n: P, k: inChannels, transA: true)
        case (true, .inputGradient): return GEMMShape(m: inChannels, n: P, k: outChannels * k2)
        case (true, .weightGradient): return GEMMShape(m: inChannels, n: outChannels * k2, k: P, transB: true, beta: 1)
        }
    }
}

public struct GEMMShape: Sendable {
    public let m: Int, n: Int, k: Int
    public var transA = false, transB = false
    public var beta: Float = 0
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// The convolutions of a generator at `size`² input, in order.
public func generatorConvs(_ config: NetworkConfig, size: Int, inputNC: Int = 3, outputNC: Int = 3) -> [ConvLayer] {
    let ngf = config.ngf
    if let n = config.netG.downsamplings {   // U-Net: n convs down, n transposed up (inner ones on concatenations)
        let channels = (0..<n).map { ngf * min(1 << $0, 8) }
        var layers: [ConvLayer] = []
        var (c, s) = (inputNC, size)
        for out in channels {
            layers.append(ConvLayer("down \(c)→\(out)", c, out, kernel: 4, stride: 2, padding: 1, inSize: s))
            (c, s) = (out, s / 2)
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            let input = i == n - 1 ? channels[i] : 2 * channels[i], output = i == 0 ? outputNC : channels[i - 1]
            layers.append(ConvLayer("up \(input)→\(output) (T)", input, output, kernel: 4, stride: 2, padding: 1, inSize: s,
                                    transposed: true, outputPadding: 0))
            s *= 2
        }
        return layers
    }
    var layers = [ConvLayer("c7s1 \(inputNC)→\(ngf)", inputNC, ngf, kernel: 7, inSize: size + 6),
                  ConvLayer("down \(ngf)→\(2 * ngf)", ngf, 2 * ngf, kernel: 3, stride: 2, padding: 1, inSize: size),
                  ConvLayer("down \(2 * ngf)→\(4 * ngf)", 2 * ngf, 4 * ngf, kernel: 3, stride: 2, padding: 1, inSize: size / 2)]
    for _ in 0..<(2 * (config.netG.blocks ?? 0)) {
        layers.append(ConvLayer("res \(4 * ngf)→\(4 * ngf)", 4 * ngf, 4 * ngf, kernel: 3, inSize: size / 4 + 2))
    }
    layers += [ConvLayer("up \(4 * ngf)→\(2 * ngf) (T)", 4 * ngf, 2 * ngf, kernel: 3, stride: 2, padding: 1,
                         inSize: size / 4, transposed: true),
               ConvLayer("up \(2 * ngf)→\(ngf) (T)", 2 * ngf, ngf, kernel: 3, stride: 2, padding: 1,
                         inSize: size / 2, transposed: true),
               ConvLayer("c7s1 \(ngf)→\(outputNC)", ngf, outputNC, kernel: 7, inSize: size + 6)]
    return layers
}

/// The convolutions of a PatchGAN discriminator at `size`² input, in order.
public func discriminatorConvs(_ config: NetworkConfig, size: Int, inputNC: Int = 3) -> [ConvLayer] {
    let ndf = config.ndf, n = config.discriminatorLayers
    if config.netD == .pixel {
        return [ConvLayer("d0", inputNC, ndf, kernel: 1, inSize: size), ConvLayer("d1", ndf, 2 * ndf, kernel: 1, inSize: size),
                ConvLayer("d2", 2 * ndf, 1, kernel: 1, inSize: size)]
    }
    var layers = [ConvLayer("d0", inputNC, ndf, kernel: 4, stride: 2, padding: 1, inSize: size)]
    var mult = 1
    for i in 1...n {
        let previous = mult
        mult = min(1 << i, 8)
        layers.append(ConvLayer("d\(i)", ndf * previous, ndf * mult, kernel: 4, stride: i < n ? 2 : 1, padding: 1,
                                inSize: layers.last!.outSize))
    }
    layers.append(ConvLayer("d\(n + 1)", ndf * mult, 1, kernel: 4, stride: 1, padding: 1, inSize: layers.last!.outSize))
    return layers
}

/// FLOPs of one pass through `convs`: forward, and backward with weight gradients when `trainable`
/// and input gradients for every conv but the first, whose input gradient is computed only when
/// `inputNeedsGradient`.
public func passFLOPs(_ convs: [ConvLayer], trainable: Bool, inputNeedsGradient: Bool, backward: Bool = true)
    -> (forward: Double, backward: Double) {
    let forward = convs.reduce(0) { $0 + $1.flops }
    guard backward else { return (forward, 0) }
    var back = 0.0
    for (i, conv) in convs.enumerated() {
        if trainable { back += conv.flops }
        if i > 0 || inputNeedsGradient { back += conv.flops }
    }
    return (forward, back)
}

/// Convolution FLOPs of one CycleGAN training iteration (batch 1), as counted in the header comment.
public func trainingIterationFLOPs(_ config: NetworkConfig, size: Int, identity: Bool = true) -> Double {
    let g = generatorConvs(config, size: size), d = discriminatorConvs(config, size: size)
    let gReal = passFLOPs(g, trainable: true, inputNeedsGradient: false)
    let gFake = passFLOPs(g, trainable: true, inputNeedsGradient: true)
    let dInG = passFLOPs(d, trainable: false, inputNeedsGradient: true)
    let dStep = passFLOPs(d, trainable: true, inputNeedsGradient: false)
    let realGenerators = identity ? 4.0 : 2.0   // fake_B, fake_A (+ idt_A, idt_B)
    return realGenerators * (gReal.forward + gReal.backward) + 2 * (gFake.forward + gFake.backward)
        + 2 * (dInG.forward + dInG.backward) + 4 * (dStep.forward + dStep.backward)
}

/// Convolution FLOPs of one translation (a generator forward).
public func translationFLOPs(_ config: NetworkConfig, size: Int) -> Double {
    passFLOPs(generatorConvs(config, size: size), trainable: false, inputNeedsGradient: false, backward: false).forward
}

// MARK: - Kernel benchmark

public enum KernelPass: String, CaseIterable, Sendable {
    case forward = "forward"
    case inputGradient = "input grad"
    case weightGradient = "weight grad"
}

/// The seven distinct convolution shapes of a ResNet generator (3 → 64 channels) at `size`².
public func generatorKernelShapes(size: Int, ngf: Int = 64) -> [ConvLayer] {
    let all = generatorConvs(NetworkConfig(netG: .resnet_6blocks, ngf: ngf), size: size)
    var seen = Set<String>()
    return all.filter { seen.insert($0.name).inserted }
}

public struct KernelTiming: Sendable {
    public let size: Int
    public let layer: ConvLayer
    public let pass: KernelPass
    public let gemm: GEMMShape
    /// Median seconds of the kernel (im2col/col2im + sgemm + allocation, as the ops call it).
    public let kernelSeconds: Double
    /// Median seconds of `sgemm` alone on the same M, N, K and transpositions.
    public let gemmSeconds: Double

    public var kernelGFLOPS: Double { gemm.flops / kernelSeconds / 1e9 }
    public var gemmGFLOPS: Double { gemm.flops / gemmSeconds / 1e9 }
}

/// Median wall time of `body` over `iterations` runs after `warmup` runs.
public func medianSeconds(warmup: Int, iterations: Int, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    for _ in 0..<max(iterations, 1) {
        let start = Profiler.clockNanoseconds()
        body()
        times.append(Double(Profiler.clockNanoseconds() - start) * 1e-9)
    }
    return median(times)
}

public func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Times one layer's forward, input-gradient and weight-gradient kernels (batch 1) and `sgemm` on the
/// same shapes.
public func benchmarkKernel(_ layer: ConvLayer, size: Int, warmup: Int, iterations: Int,
                            using rng: inout SeededGenerator) -> [KernelTiming] {
    let (cin, cout, k) = (layer.inChannels, layer.outChannels, layer.kernel)
    let x = Tensor.randomUniform([1, cin, layer.inSize, layer.inSize], low: -1, high: 1, using: &rng)
    let weight = Tensor.randomNormal(layer.transposed ? [cin, cout, k, k] : [cout, cin, k, k], std: 0.02, using: &rng)
    let bias = Tensor.randomNormal([cout], std: 0.02, using: &rng)
    let dy = Tensor.randomUniform([1, cout, layer.outSize, layer.outSize], low: -1, high: 1, using: &rng)
    var results: [KernelTiming] = []
    for pass in KernelPass.allCases {
        let kernel: () -> Void
        switch (layer.transposed, pass) {
        case (false, .forward):
            kernel = { _ = conv2dForward(x, weight: weight, bias: bias, stride: layer.stride, padding: layer.padding) }
        case (false, _):
            kernel = {
                _ = conv2dBackward(dy, input: x, weight: weight, stride: layer.stride, padding: layer.padding,
                                   needInput: pass == .inputGradient, needWeight: pass == .weightGradient, needBias: false)
            }
        case (true, .forward):
            kernel = {
                _ = convTranspose2dForward(x, weight: weight, bias: bias, stride: layer.stride, padding: layer.padding,
                                           outputPadding: layer.stride - 1)
            }
        case (true, _):
            kernel = {
                _ = convTranspose2dBackward(dy, input: x, weight: weight, stride: layer.stride, padding: layer.padding,
                                            needInput: pass == .inputGradient, needWeight: pass == .weightGradient,
                                            needBias: false)
            }
        }
        let kernelSeconds = medianSeconds(warmup: warmup, iterations: iterations, kernel)

        let g = layer.gemm(pass)
        let a = Tensor.randomUniform([g.m * g.k], low: -1, high: 1, using: &rng)
        let b = Tensor.randomUniform([g.k * g.n], low: -1, high: 1, using: &rng)
        var c = Tensor(shape: [g.m * g.n])
        let gemmSeconds = a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    medianSeconds(warmup: warmup, iterations: iterations) {
                        sgemm(transA: g.transA, transB: g.transB, m: g.m, n: g.n, k: g.k, a: ap.baseAddress!,
                              b: bp.baseAddress!, beta: g.beta, c: cp.baseAddress!)
                    }
                }
            }
        }
        results.append(KernelTiming(size: size, layer: layer, pass: pass, gemm: g, kernelSeconds: kernelSeconds,
                                    gemmSeconds: gemmSeconds))
    }
    return results
}

// MARK: - Training and translation benchmark

public struct StepBenchmarkResult: Sendable {
    /// Wall seconds of each timed iteration (or translation).
    public let seconds: [Double]
    /// Convolution FLOPs of one iteration (or translation).
    public let flops: Double
    /// Profiler buckets summed over the timed iterations.
    public let profile: [Profiler.Entry]
    /// Peak resident set of the process (VmHWM), bytes.
    public let peakResidentBytes: Int?
    /// Minor page faults per timed iteration (fresh memory being touched).
    public let minorFaultsPerIteration: Double

    public var median: Double { Benchmarks.median(seconds) }
    public var min: Double { seconds.min() ?? .nan }
    public var totalSeconds: Double { seconds.reduce(0, +) }
}

/// Times `Trainer.step` on random images (batch 1, the reference's method defaults: instance norm as
/// configured, lsgan, λ_identity 0.5, pool 50), or with `translate` a generator forward with frozen
/// parameters. The profiler records during the timed iterations only.
public func benchmarkSteps(_ config: NetworkConfig, size: Int, warmup: Int, iterations: Int, translate: Bool,
                           seed: UInt64 = 0, progress: (String) -> Void = { _ in }) -> StepBenchmarkResult {
    var rng = SeededGenerator(seed: seed)
    let model = CycleGANModel(config)
    model.initialize(using: &rng)
    let a = Tensor.randomUniform([1, config.inputNC, size, size], low: -1, high: 1, using: &rng)
    let b = Tensor.randomUniform([1, config.outputNC, size, size], low: -1, high: 1, using: &rng)
    let run: () -> Void
    if translate {
        model.gA.setRequiresGrad(false)
        run = { _ = model.gA(Tape().constant(a)).value }   // a tape per image, as `Translator`
    } else {
        let trainer = Trainer(model: model, options: MethodOptions(), rng: rng)
        run = { _ = trainer.step(realA: a, realB: b) }
    }
    let what = translate ? "translation" : "iteration"
    for i in 0..<warmup {
        let start = Profiler.clockNanoseconds()
        run()
        progress(String(format: "warm-up %@ %d: %.3f s", what, i + 1, Double(Profiler.clockNanoseconds() - start) * 1e-9))
    }
    Profiler.reset()
    Profiler.start()
    let faultsBefore = minorPageFaults()
    var seconds: [Double] = []
    for i in 0..<max(iterations, 1) {
        let start = Profiler.clockNanoseconds()
        run()
        seconds.append(Double(Profiler.clockNanoseconds() - start) * 1e-9)
        progress(String(format: "%@ %d: %.3f s", what, i + 1, seconds.last!))
    }
    Profiler.stop()
    let faults = Double(minorPageFaults() - faultsBefore) / Double(seconds.count)
    let flops = translate ? translationFLOPs(config, size: size) : trainingIterationFLOPs(config, size: size)
    return StepBenchmarkResult(seconds: seconds, flops: flops, profile: Profiler.entries(),
                               peakResidentBytes: peakResidentBytes(), minorFaultsPerIteration: faults)
}

/// A per-op table of the profile: forward, backward and total milliseconds per iteration and share of
/// the wall time. What no measure covered is "other": tape bookkeeping, gradient accumulation into
/// parameters, zeroGrad, the image pool, allocation outside kernels.
public func profileTable(_ result: StepBenchmarkResult) -> String {
    let n = Double(result.seconds.count), wall = result.totalSeconds
    func ms(_ s: Double?) -> String { s.map { String(format: "%.1f", $0 / n * 1e3) } ?? "–" }
    func row(_ name: String, _ f: Double?, _ b: Double?, total: Double? = nil) -> String {
        let t = total ?? (f ?? 0) + (b ?? 0)
        return name.padding(toLength: 36, withPad: " ", startingAt: 0)
            + [ms(f), ms(b), ms(t)].map { $0.leftPadded(12) }.joined()
            + String(format: "%.1f%%", t / wall * 100).leftPadded(8)
    }
    var lines = ["op".padding(toLength: 36, withPad: " ", startingAt: 0)
                 + ["fwd ms/iter", "bwd ms/iter", "total ms"].map { $0.leftPadded(12) }.joined() + "share".leftPadded(8)]
    var measured = 0.0, convF = 0.0, convB = 0.0
    for op in Profiler.Op.allCases {
        let f = result.profile.first { $0.op == op && $0.pass == .forward }?.seconds ?? 0
        let b = result.profile.first { $0.op == op && $0.pass == .backward }?.seconds ?? 0
        measured += f + b
        if [.conv, .im2col, .gemm, .winograd].contains(op) { convF += f; convB += b }
        // Adam runs once per network update, outside both passes: shown as a total only.
        lines.append(op == .optimizer ? row("  " + op.name, nil, nil, total: f + b) : row("  " + op.name, f, b))
    }
    lines.append(row("  other (tape, pool, allocation)", nil, nil, total: wall - measured))
    lines.append(row("= all convolution work", convF, convB))
    lines.append(row("= wall", nil, nil, total: wall))
    return lines.joined(separator: "\n")
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}

// MARK: - Process measurements

/// The process's peak resident set size (VmHWM in /proc/self/status), in bytes; nil where unavailable.
public func peakResidentBytes() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if fields.count >= 2, let kB = Int(fields[1]) { return kB * 1024 }
    }
    return nil
}

/// Minor page faults of the process so far.
public func minorPageFaults() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF_ARG, &usage)
    return usage.ru_minflt
}

#if canImport(Glibc)
private let RUSAGE_SELF_ARG = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_SELF_ARG = RUSAGE_SELF
#endif
