import Layers
@testable import Tensor
import Testing
@testable import Benchmarks
import CycleGAN

/// The analytic FLOP count of `cyclegan bench`. Oracles: the networks' own weight shapes (the layer
/// lists must hold exactly the conv weights of the built networks), hand-computed FLOPs of the
/// reference's default generator, and the per-iteration total written out from the pass structure.
@Suite("Benchmark FLOP counts")
struct BenchmarkTests {
    /// Σ Cin·Cout·k² of the convolutions of a network (weights with 4 dimensions).
    func convWeightCount(_ module: Module) -> Int {
        module.parameters(prefix: "").filter { $0.parameter.value.shape.count == 4 }.reduce(0) { $0 + $1.parameter.value.count }
    }

    @Test("layer lists hold the networks' convolutions", arguments: [
        NetworkConfig(netG: .resnet_9blocks, ngf: 64, ndf: 64), NetworkConfig(netG: .resnet_6blocks, ngf: 32, ndf: 32),
    ])
    func layersMatchNetworks(_ config: NetworkConfig) {
        let model = CycleGANModel(config)
        let g = generatorConvs(config, size: 64), d = discriminatorConvs(config, size: 64)
        #expect(g.reduce(0) { $0 + $1.inChannels * $1.outChannels * $1.kernel * $1.kernel } == convWeightCount(model.gA))
        #expect(d.reduce(0) { $0 + $1.inChannels * $1.outChannels * $1.kernel * $1.kernel } == convWeightCount(model.dA))
        // Output sides: 64, then 32 and 16 down, 16 in the blocks, 32 and 64 up, 64.
        #expect(g.map(\.outSize) == [64, 32, 16] + Array(repeating: 16, count: 2 * config.netG.blocks!) + [32, 64, 64])
    }

    @Test("U-Net layer lists hold its convolutions, sides halving to 1 and back", arguments: [GeneratorKind.unet_128, .unet_256])
    func unetLayers(_ netG: GeneratorKind) {
        let config = NetworkConfig(netG: netG, ngf: 8)
        let n = netG.downsamplings!, size = 1 << n
        let g = generatorConvs(config, size: size)
        #expect(g.reduce(0) { $0 + $1.inChannels * $1.outChannels * $1.kernel * $1.kernel } == convWeightCount(CycleGANModel(config).gA))
        let down = (1...n).map { size >> $0 }, up = (0..<n).reversed().map { size >> $0 }
        #expect(g.map(\.outSize) == down + up)
    }

    @Test("PatchGAN output sizes at 256²: 128, 64, 32, 31, 30")
    func discriminatorSizes() {
        #expect(discriminatorConvs(NetworkConfig(), size: 256).map(\.outSize) == [128, 64, 32, 31, 30])
    }

    @Test("resnet_9blocks, ngf 64, 256²: a generator forward is 99.103 GFLOP")
    func generatorForward() {
        // c7s1 3→64 and 64→3: 2·64·3·49·256² each; 2 downsamplings and 2 transposed convs: 2·(64·128 or
        // 128·256)·9·(128² or 64²) = 2 415 919 104 each; 18 residual convs: 2·256·256·9·64² each.
        let expected = 2.0 * 1_233_125_376 + 4.0 * 2_415_919_104 + 18.0 * 4_831_838_208
        #expect(translationFLOPs(NetworkConfig(netG: .resnet_9blocks), size: 256) == expected)
    }

    @Test("a training iteration = 18·G − 4·G₀ + 16·D − 4·D₀ (first convs G₀, D₀)")
    func trainingIteration() {
        let config = NetworkConfig(netG: .resnet_6blocks, ngf: 32, ndf: 32)
        let g = generatorConvs(config, size: 128), d = discriminatorConvs(config, size: 128)
        let G = g.reduce(0) { $0 + $1.flops }, D = d.reduce(0) { $0 + $1.flops }
        // 6 G passes: forward + weight grads + input grads, minus the first conv's input grad for the 4 fed
        // real images; D in the G step (×2): forward + input grads; D step (×4): forward + weight grads +
        // input grads but the first conv's.
        let expected = 18 * G - 4 * g[0].flops + 16 * D - 4 * d[0].flops
        #expect(abs(trainingIterationFLOPs(config, size: 128) - expected) < 1)
    }

    @Test("GEMM shapes of the kernels multiply out to the layer's FLOPs")
    func gemmShapes() {
        for layer in generatorKernelShapes(size: 64) {
            for pass in KernelPass.allCases {
                #expect(layer.gemm(pass).flops == layer.flops, "\(layer.name) \(pass)")
            }
        }
    }
}

/// The per-op table of `cyclegan bench`.
@Suite("Benchmark profile table")
struct ProfileTableTests {
    @Test("\"all convolution work\" sums the convolution rows, Winograd's transforms included")
    func convolutionTotal() {
        // 10 ms per op and pass over 2 iterations: 5 ms per iteration each.
        let profile = Profiler.Op.allCases.flatMap { op in
            Profiler.Pass.allCases.map { Profiler.Entry(op: op, pass: $0, seconds: 0.01, calls: 1) }
        }
        let result = StepBenchmarkResult(seconds: [0.5, 0.5], flops: 1, profile: profile, peakResidentBytes: nil,
                                         minorFaultsPerIteration: 0)
        let line = profileTable(result).split(separator: "\n").first { $0.hasPrefix("= all convolution work") }
        let numbers = line.map { $0.split(separator: " ").compactMap { Double($0) } }
        // conv, im2col/col2im, gemm and winograd: 4 × 5 ms forward, as much backward.
        #expect(numbers == [20, 20, 40])
    }
}
