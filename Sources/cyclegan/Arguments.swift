import ArgumentParser
import CycleGAN
import Layers
import Tensor

extension GeneratorKind: ExpressibleByArgument {}
extension DiscriminatorKind: ExpressibleByArgument {}
extension NormKind: ExpressibleByArgument {}
extension InitType: ExpressibleByArgument {}
extension GANMode: ExpressibleByArgument {}
extension LRPolicy: ExpressibleByArgument {}
extension Preprocess: ExpressibleByArgument {}
extension Direction: ExpressibleByArgument {}

/// The architecture flags, named as the reference's (shared by `train` and `bench`).
struct NetworkOptions: ParsableArguments {
    @Option(name: .customLong("netG"), help: "Generator: resnet_9blocks (for 256²) or resnet_6blocks (for 128²).")
    var netG: GeneratorKind = .resnet_9blocks
    @Option(name: .customLong("ngf"), help: "Generator filters in the first conv layer.")
    var ngf = 64
    @Option(name: .customLong("netD"), help: "Discriminator: basic (70×70 PatchGAN) or n_layers (see --n_layers_D).")
    var netD: DiscriminatorKind = .basic
    @Option(name: .customLong("ndf"), help: "Discriminator filters in the first conv layer.")
    var ndf = 64
    @Option(name: .customLong("n_layers_D"), help: "Discriminator layers when --netD n_layers.")
    var nLayersD = 3
    @Option(name: .customLong("norm"), help: "Normalisation: instance, batch or none.")
    var norm: NormKind = .instance
    @Option(name: .customLong("input_nc"), help: "Channels of domain A images: 3 (RGB) or 1 (gray).")
    var inputNC = 3
    @Option(name: .customLong("output_nc"), help: "Channels of domain B images: 3 (RGB) or 1 (gray).")
    var outputNC = 3

    func apply(to c: inout TrainConfig) {
        c.netG = netG; c.ngf = ngf; c.netD = netD; c.ndf = ndf; c.nLayersD = nLayersD; c.norm = norm
        c.inputNC = inputNC; c.outputNC = outputNC
    }
}

/// `--num_threads`, shared by the commands that compute (`train`, `translate`, `bench`).
struct ComputeOptions: ParsableArguments {
    @Option(name: .customLong("num_threads"),
            help: ArgumentHelp("Threads for the kernels (default: the CPUs this process may use, from its affinity mask and cgroup quota; or \(KernelThreads.variable)).",
                               valueName: "n"))
    var numThreads: Int?

    func validate() throws {
        if let n = numThreads, n < 1 { throw ValidationError("--num_threads \(n): give 1 or more threads") }
    }

    /// Fixes the thread count before any kernel runs and prints the machine line: threads and kernels.
    func start() throws {
        do {
            if let n = numThreads { try KernelThreads.request(n, source: "--num_threads") }
            _ = try KernelThreads.resolve()
        } catch {
            throw ValidationError("\(error)")
        }
        print("Compute: \(KernelThreads.describe()); OpenBLAS \(blasCoreName()) kernels")
    }
}
