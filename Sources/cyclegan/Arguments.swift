import ArgumentParser
import Codecs
import Evaluation
import CycleGAN
import Layers
import RunLayout
import Tensor

extension GeneratorKind: ExpressibleByArgument {}
extension DiscriminatorKind: ExpressibleByArgument {}
extension NormKind: ExpressibleByArgument {}
extension InitType: ExpressibleByArgument {}
extension GANMode: ExpressibleByArgument {}
extension LRPolicy: ExpressibleByArgument {}
extension Preprocess: ExpressibleByArgument {}
extension Direction: ExpressibleByArgument {}
extension ImageFile.WriteFormat: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}

// Option groups of the commands, one per library options type. Each takes its defaults from that type (the
// reference's, held there once); `CommandLineDefaultsTests` checks that parsing no flags gives the library's
// defaults. Adding a flag: a property of the library type, an option here, one line in `value`.

/// The architecture flags, named as the reference's (shared by `train` and `bench`).
struct NetworkArguments: ParsableArguments {
    private static let defaults = NetworkConfig()
    @Option(name: .customLong("netG"), help: "Generator: resnet_9blocks (for 256²), resnet_6blocks (for 128²), unet_256 or unet_128 (U-Nets: crops a multiple of 256 or 128).")
    var netG = defaults.netG
    @Option(name: .customLong("ngf"), help: "Generator filters in the first conv layer.")
    var ngf = defaults.ngf
    @Option(name: .customLong("netD"), help: "Discriminator: basic (70×70 PatchGAN), n_layers (see --n_layers_D) or pixel (1×1 PatchGAN).")
    var netD = defaults.netD
    @Option(name: .customLong("ndf"), help: "Discriminator filters in the first conv layer.")
    var ndf = defaults.ndf
    @Option(name: .customLong("n_layers_D"), help: "Discriminator layers when --netD n_layers.")
    var nLayersD = defaults.nLayersD
    @Option(name: .customLong("norm"), help: "Normalisation: instance, batch or none.")
    var norm = defaults.norm
    @Option(name: .customLong("input_nc"), help: "Channels of domain A images: 3 (RGB) or 1 (gray).")
    var inputNC = defaults.inputNC
    @Option(name: .customLong("output_nc"), help: "Channels of domain B images: 3 (RGB) or 1 (gray).")
    var outputNC = defaults.outputNC
    @Flag(name: .customLong("use_dropout"),
          help: "Dropout (p 0.5) in the generators while training (residual blocks, inner U-Net blocks); translation runs without it.")
    var useDropout = defaults.useDropout
    @Flag(name: .customLong("no_dropout"), help: "No dropout: the default, as the reference's CycleGAN (accepted for its command lines).")
    var noDropout = false

    func validate() throws {
        if useDropout && noDropout { throw ValidationError("--use_dropout and --no_dropout contradict each other: give one") }
    }

    var value: NetworkConfig {
        NetworkConfig(netG: netG, ngf: ngf, netD: netD, ndf: ndf, nLayersD: nLayersD, norm: norm, inputNC: inputNC,
                      outputNC: outputNC, useDropout: useDropout)
    }
}

/// `--init_type`, `--init_gain`.
struct InitArguments: ParsableArguments {
    private static let defaults = WeightInit()
    @Option(name: .customLong("init_type"), help: "Weight initialisation: normal, xavier, kaiming or orthogonal.")
    var initType = defaults.type
    @Option(name: .customLong("init_gain"), help: "Scale of the initialisation.")
    var initGain = defaults.gain

    var value: WeightInit { WeightInit(type: initType, gain: initGain) }
}

/// The losses' weights, the image pools and Adam.
struct MethodArguments: ParsableArguments {
    private static let defaults = MethodOptions()
    @Option(name: .customLong("lambda_A"), help: "Weight of the cycle loss A→B→A.")
    var lambdaA = defaults.lambdaA
    @Option(name: .customLong("lambda_B"), help: "Weight of the cycle loss B→A→B.")
    var lambdaB = defaults.lambdaB
    @Option(name: .customLong("lambda_identity"),
            help: "Weight of the identity loss as a fraction of lambda_A/B (0.5 → 5·L1); 0 turns it off.")
    var lambdaIdentity = defaults.lambdaIdentity
    @Option(name: .customLong("gan_mode"), help: "Adversarial loss: lsgan (least squares), vanilla (cross-entropy) or wgangp (the Wasserstein critic loss, without a gradient penalty, as the reference's CycleGAN).")
    var ganMode = defaults.ganMode
    @Option(name: .customLong("pool_size"), help: "Generated images kept for the discriminators (0: none).")
    var poolSize = defaults.poolSize
    @Option(help: "Initial learning rate of Adam.")
    var lr = defaults.lr
    @Option(help: "Adam's beta1.")
    var beta1 = defaults.beta1

    var value: MethodOptions {
        MethodOptions(lambdaA: lambdaA, lambdaB: lambdaB, lambdaIdentity: lambdaIdentity, ganMode: ganMode,
                      poolSize: poolSize, lr: lr, beta1: beta1)
    }
}

/// The learning-rate schedule and the number of epochs.
struct ScheduleArguments: ParsableArguments {
    private static let defaults = LRSchedule()
    @Option(name: .customLong("lr_policy"), help: "Learning-rate schedule: linear, step, cosine or plateau (× 0.2 once the metric has not improved by 1 % for 6 steps: the validation cycle PSNR after each --val_freq validation, or without validation the epoch's mean cycle loss after each epoch).")
    var lrPolicy = defaults.policy
    @Option(name: .customLong("n_epochs"), help: "Epochs at the initial learning rate.")
    var nEpochs = defaults.nEpochs
    @Option(name: .customLong("n_epochs_decay"), help: "Epochs of linear decay to zero after --n_epochs.")
    var nEpochsDecay = defaults.nEpochsDecay
    @Option(name: .customLong("epoch_count"), help: "Number of the first epoch.")
    var epochCount = defaults.epochCount
    @Option(name: .customLong("lr_decay_iters"), help: "Epochs between ×0.1 steps with --lr_policy step.")
    var lrDecayIters = defaults.decayIters

    var value: LRSchedule {
        LRSchedule(policy: lrPolicy, nEpochs: nEpochs, nEpochsDecay: nEpochsDecay, epochCount: epochCount,
                   decayIters: lrDecayIters)
    }
}

/// Which images train, and in which order.
struct DatasetArguments: ParsableArguments {
    private static let defaults = DatasetOptions()
    @Option(help: "AtoB, or BtoA to swap the domains (G_A then learns trainB → trainA).")
    var direction = defaults.direction
    @Option(name: .customLong("max_dataset_size"), help: "Use the first N images (sorted by path) of each domain.")
    var maxDatasetSize: Int?
    @Flag(name: .customLong("serial_batches"), help: "Take A in order and B at the same position, not shuffled and at random.")
    var serialBatches = defaults.serialBatches

    var value: DatasetOptions {
        DatasetOptions(direction: direction, maxDatasetSize: maxDatasetSize, serialBatches: serialBatches)
    }
}

/// How a training image becomes a network input.
struct PreprocessArguments: ParsableArguments {
    private static let defaults = PreprocessOptions()
    @Option(help: "resize_and_crop, crop, scale_width, scale_width_and_crop or none.")
    var preprocess = defaults.preprocess
    @Option(name: .customLong("load_size"), help: "Resize images to this size (resize_*) or width (scale_width*).")
    var loadSize = defaults.loadSize
    @Option(name: .customLong("crop_size"), help: "Then crop at random to this size.")
    var cropSize = defaults.cropSize
    @Flag(name: .customLong("no_flip"), help: "Do not flip images left-right at random.")
    var noFlip = defaults.noFlip

    var value: PreprocessOptions {
        PreprocessOptions(preprocess: preprocess, loadSize: loadSize, cropSize: cropSize, noFlip: noFlip)
    }
}

/// Validation while training: when, on which images, with which Inception weights.
struct ValidationArguments: ParsableArguments {
    private static let defaults = ValidationOptions()
    @Option(name: .customLong("val_freq"),
            help: "Every this many epochs (0: never), translate testA/ and testB/ with both generators into <run>/val/epoch_N/ and log their cycle PSNR (and KID, with Inception weights) to val.csv.")
    var valFreq = defaults.valFreq
    @Option(name: .customLong("val_dir"), help: "The folder holding the validation testA/ and testB/ (default: --dataroot).")
    var valDir: String?
    @Option(help: "pytorch-fid's Inception weights (\(InceptionV3.weightsFileName); default: $\(InceptionV3.environmentVariable)): validation then also computes KID.")
    var inception: String?

    var value: ValidationOptions {
        // $CYCLEGAN_INCEPTION only where there is validation; a flag without --val_freq is refused (TrainConfig.problems).
        ValidationOptions(valFreq: valFreq, valDir: valDir, inception: valFreq > 0 ? InceptionWeights.path(flag: inception) : inception)
    }
}

/// `--precision`, shared by the commands that run the networks (`train`, `translate`, `bench`).
struct PrecisionArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Arithmetic of the convolutions: f32, or bf16 as PyTorch's autocast (inputs rounded to bfloat16, sums in f32; weights, optimizer, norms and losses stay f32). bf16 needs a CPU with AVX512_BF16 or AMX; with AMX its products run in oneDNN (libdnnl2; Scripts/setup.sh installs it), the one case where bf16 is faster than f32; elsewhere they run as f32 products of the rounded values, at f32's speed. Checkpoints are the same in both: a run may resume in either.",
                               valueName: "f32|bf16"))
    var precision: Precision = .f32

    /// Checks that this CPU and system can compute in the precision (else throws one line, without the
    /// usage text: the flag is right, the machine lacks it), prints it when not f32, and runs `body` in it.
    func run<T>(_ report: (String) -> Void = { print($0) }, _ body: () throws -> T) throws -> T {
        try precision.checkSupported()
        if precision != .f32 { report("Precision: \(precision.summary)") }
        return try Precision.$current.withValue(precision) { try body() }
    }
}

/// `--num_threads`, shared by the commands that compute (`train`, `translate`, `bench`).
struct ComputeArguments: ParsableArguments {
    @Option(name: .customLong("num_threads"),
            help: ArgumentHelp("Threads for the kernels (default: the CPUs this process may use, from its affinity mask and cgroup quota; or \(KernelThreads.variable)).",
                               valueName: "n"))
    var numThreads: Int?

    func validate() throws {
        if let n = numThreads, n < 1 { throw ValidationError("--num_threads \(n): give 1 or more threads") }
    }

    /// Fixes the thread count before any kernel runs and prints the machine line: threads and kernels.
    func start(_ report: (String) -> Void = { print($0) }) throws {
        do {
            if let n = numThreads { try KernelThreads.request(n, source: "--num_threads") }
            _ = try KernelThreads.resolve()
        } catch {
            throw ValidationError("\(error)")
        }
        report("Compute: \(KernelThreads.describe()); OpenBLAS \(blasCoreName()) kernels")
    }
}
