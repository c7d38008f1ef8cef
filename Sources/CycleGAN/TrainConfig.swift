import Foundation
import Layers

/// Every option of a training run as resolved, flat, keys named as the reference's flags.
/// Saved as the run's config.json.
public struct TrainConfig: Codable, Equatable, Sendable {
    // Run
    public var name = "experiment"
    public var runsDir = "Runs"
    public var dataroot = ""
    public var seed: UInt64 = 0
    public var continueTrain = false
    // Networks
    public var netG: GeneratorKind = .resnet_9blocks
    public var ngf = 64
    public var netD: DiscriminatorKind = .basic
    public var ndf = 64
    public var nLayersD = 3
    public var norm: NormKind = .instance
    public var inputNC = 3
    public var outputNC = 3
    public var initType: InitType = .normal
    public var initGain: Float = 0.02
    // Method
    public var lambdaA: Float = 10
    public var lambdaB: Float = 10
    public var lambdaIdentity: Float = 0.5
    public var ganMode: GANMode = .lsgan
    public var poolSize = 50
    public var lr: Float = 2e-4
    public var beta1: Float = 0.5
    public var lrPolicy: LRPolicy = .linear
    public var nEpochs = 100
    public var nEpochsDecay = 100
    public var epochCount = 1
    public var lrDecayIters = 50
    // Data
    public var batchSize = 1
    public var preprocess: Preprocess = .resize_and_crop
    public var loadSize = 286
    public var cropSize = 256
    public var noFlip = false
    // Logging and saving
    public var printFreq = 100
    public var displayFreq = 400
    public var saveLatestFreq = 5000
    /// Minutes between saves of latest.h5 besides `saveLatestFreq` (0: off), so that a crash or kill -9 loses
    /// minutes of training, not the hours 5000 iterations take at 256² on a CPU.
    public var saveLatestMinutes: Double = 10
    public var saveEpochFreq = 5
    /// Stop after this many iterations in all (0: no limit), saving latest.h5: for short trials and for
    /// testing that a resumed run matches an uninterrupted one.
    public var maxIterations = 0
    public var version = toolVersion

    enum CodingKeys: String, CodingKey {
        case name, runsDir = "runs_dir", dataroot, seed, continueTrain = "continue_train"
        case netG, ngf, netD, ndf, nLayersD = "n_layers_D", norm, inputNC = "input_nc", outputNC = "output_nc"
        case initType = "init_type", initGain = "init_gain"
        case lambdaA = "lambda_A", lambdaB = "lambda_B", lambdaIdentity = "lambda_identity", ganMode = "gan_mode"
        case poolSize = "pool_size", lr, beta1, lrPolicy = "lr_policy", nEpochs = "n_epochs"
        case nEpochsDecay = "n_epochs_decay", epochCount = "epoch_count", lrDecayIters = "lr_decay_iters"
        case batchSize = "batch_size", preprocess, loadSize = "load_size", cropSize = "crop_size", noFlip = "no_flip"
        case printFreq = "print_freq", displayFreq = "display_freq", saveLatestFreq = "save_latest_freq"
        case saveLatestMinutes = "save_latest_minutes", saveEpochFreq = "save_epoch_freq", maxIterations = "max_iterations", version
    }

    public init() {}

    public var network: NetworkConfig {
        NetworkConfig(netG: netG, ngf: ngf, netD: netD, ndf: ndf, nLayersD: nLayersD, norm: norm,
                      inputNC: inputNC, outputNC: outputNC)
    }

    public var method: MethodOptions {
        var m = MethodOptions()
        m.lambdaA = lambdaA; m.lambdaB = lambdaB; m.lambdaIdentity = lambdaIdentity; m.ganMode = ganMode
        m.poolSize = poolSize; m.lr = lr; m.beta1 = beta1
        return m
    }

    public var preprocessOptions: PreprocessOptions {
        PreprocessOptions(preprocess: preprocess, loadSize: loadSize, cropSize: cropSize, noFlip: noFlip)
    }

    public var schedule: LRSchedule {
        LRSchedule(policy: lrPolicy, nEpochs: nEpochs, nEpochsDecay: nEpochsDecay, epochCount: epochCount,
                   decayIters: lrDecayIters)
    }

    /// The last epoch of the run.
    public var lastEpoch: Int { epochCount + nEpochs + nEpochsDecay - 1 }

    public var runFolder: String { (runsDir as NSString).appendingPathComponent(name) }

    /// Problems with the options themselves, before any file is touched.
    public func problems() -> [String] {
        var p: [String] = []
        if lambdaIdentity > 0 && inputNC != outputNC {
            p.append("--lambda_identity \(lambdaIdentity) needs --input_nc equal to --output_nc (they are \(inputNC) and \(outputNC)): "
                     + "the identity loss feeds B images to G_A; pass --lambda_identity 0")
        }
        for (flag, value) in [("--input_nc", inputNC), ("--output_nc", outputNC)] where value != 1 && value != 3 {
            p.append("\(flag) \(value): images have 1 (gray) or 3 (RGB) channels")
        }
        if preprocess != .none && preprocess != .scale_width && cropSize % 4 != 0 {
            p.append("--crop_size \(cropSize) is not a multiple of 4, which the generator needs: try \(cropSize / 4 * 4)")
        }
        if preprocess == .resize_and_crop && cropSize > loadSize {
            p.append("--crop_size \(cropSize) is larger than --load_size \(loadSize): a crop cannot be larger than the "
                     + "resized image; raise --load_size or lower --crop_size")
        }
        if preprocess == .scale_width_and_crop && cropSize > loadSize {
            p.append("--crop_size \(cropSize) is larger than --load_size \(loadSize) (the scaled width): raise --load_size")
        }
        for (flag, value) in [("--ngf", ngf), ("--ndf", ndf), ("--batch_size", batchSize), ("--print_freq", printFreq),
                              ("--display_freq", displayFreq), ("--save_latest_freq", saveLatestFreq),
                              ("--save_epoch_freq", saveEpochFreq), ("--epoch_count", epochCount)] where value < 1 {
            p.append("\(flag) must be at least 1 (got \(value))")
        }
        if !(saveLatestMinutes >= 0) { p.append("--save_latest_minutes must be 0 (off) or more (got \(saveLatestMinutes))") }
        if nEpochs < 0 || nEpochsDecay < 0 || nEpochs + nEpochsDecay < 1 {
            p.append("--n_epochs \(nEpochs) + --n_epochs_decay \(nEpochsDecay) must make at least one epoch")
        }
        if netD == .n_layers && nLayersD < 1 { p.append("--n_layers_D must be at least 1") }
        if name.isEmpty || name.contains("/") { p.append("--name '\(name)' must be a plain folder name") }
        return p
    }
}

public let toolVersion = "0.1.0"
