import Foundation
import Layers

/// Every option of a training run: the run's own (folder, seed, logging, saving) and the library's option
/// types, each of which holds its defaults (the reference's) in one place. Saved as the run's config.json, one
/// flat object whose keys are named as the reference's flags.
public struct TrainConfig: Codable, Equatable, Sendable {
    // The run and its folder
    public var name = "experiment"
    public var runsDir = "Runs"
    public var dataroot = ""
    public var seed: UInt64 = 0
    public var continueTrain = false
    /// With `continueTrain`: resume from checkpoints/epoch_N.h5 instead of latest.h5 (the reference's --epoch N).
    public var resumeEpoch: Int?
    /// Weights a new run starts from (`InitialWeights`); nil: fresh from the seed.
    public var initFrom: String?
    /// The SHA-256 of `initFrom` (of each file, for a folder), recorded when the run starts.
    public var initFromSHA256: String?
    // What is trained, and how
    public var network = NetworkConfig()
    public var initialization = WeightInit()
    public var method = MethodOptions()
    public var schedule = LRSchedule()
    public var preprocessing = PreprocessOptions()
    public var dataset = DatasetOptions()
    public var validation = ValidationOptions()
    public var batchSize = 1
    // Logging and saving
    public var printFreq = 100
    public var displayFreq = 400
    public var saveLatestFreq = 5000
    /// Minutes between saves of latest.h5 besides `saveLatestFreq` (0: off), so that a crash or kill -9 loses
    /// minutes of training, not the hours 5000 iterations take at 256² on a CPU.
    public var saveLatestMinutes: Double = 10
    public var saveEpochFreq = 5
    /// Also keep checkpoints/iter_N.h5 at every --save_latest_freq save (the reference's --save_by_iter).
    public var saveByIter = false
    /// Also write TensorBoard event files under <run>/tensorboard/ (losses.csv stays the log of record).
    public var tensorboard = false
    /// Stop after this many iterations in all (0: no limit), saving latest.h5: for short trials and for
    /// testing that a resumed run matches an uninterrupted one.
    public var maxIterations = 0
    public var version = toolVersion

    /// The run's own keys; the composed options encode theirs into the same object.
    enum CodingKeys: String, CodingKey {
        case name, runsDir = "runs_dir", dataroot, seed, continueTrain = "continue_train", batchSize = "batch_size"
        case resumeEpoch = "epoch", saveByIter = "save_by_iter", tensorboard
        case initFrom = "init_from", initFromSHA256 = "init_from_sha256"
        case printFreq = "print_freq", displayFreq = "display_freq", saveLatestFreq = "save_latest_freq"
        case saveLatestMinutes = "save_latest_minutes", saveEpochFreq = "save_epoch_freq", maxIterations = "max_iterations", version
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        runsDir = try c.decode(String.self, forKey: .runsDir)
        dataroot = try c.decode(String.self, forKey: .dataroot)
        seed = try c.decode(UInt64.self, forKey: .seed)
        continueTrain = try c.decode(Bool.self, forKey: .continueTrain)
        resumeEpoch = try c.decodeIfPresent(Int.self, forKey: .resumeEpoch)
        saveByIter = try c.decodeIfPresent(Bool.self, forKey: .saveByIter) ?? false
        tensorboard = try c.decodeIfPresent(Bool.self, forKey: .tensorboard) ?? false
        initFrom = try c.decodeIfPresent(String.self, forKey: .initFrom)
        initFromSHA256 = try c.decodeIfPresent(String.self, forKey: .initFromSHA256)
        network = try NetworkConfig(from: decoder)
        initialization = try WeightInit(from: decoder)
        method = try MethodOptions(from: decoder)
        schedule = try LRSchedule(from: decoder)
        preprocessing = try PreprocessOptions(from: decoder)
        dataset = try DatasetOptions(from: decoder)
        validation = try ValidationOptions(from: decoder)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        printFreq = try c.decode(Int.self, forKey: .printFreq)
        displayFreq = try c.decode(Int.self, forKey: .displayFreq)
        saveLatestFreq = try c.decode(Int.self, forKey: .saveLatestFreq)
        saveLatestMinutes = try c.decode(Double.self, forKey: .saveLatestMinutes)
        saveEpochFreq = try c.decode(Int.self, forKey: .saveEpochFreq)
        maxIterations = try c.decode(Int.self, forKey: .maxIterations)
        version = try c.decode(String.self, forKey: .version)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(runsDir, forKey: .runsDir)
        try c.encode(dataroot, forKey: .dataroot)
        try c.encode(seed, forKey: .seed)
        try c.encode(continueTrain, forKey: .continueTrain)
        try c.encodeIfPresent(resumeEpoch, forKey: .resumeEpoch)
        try c.encode(saveByIter, forKey: .saveByIter)
        try c.encode(tensorboard, forKey: .tensorboard)
        try c.encodeIfPresent(initFrom, forKey: .initFrom)
        try c.encodeIfPresent(initFromSHA256, forKey: .initFromSHA256)
        try network.encode(to: encoder)
        try initialization.encode(to: encoder)
        try method.encode(to: encoder)
        try schedule.encode(to: encoder)
        try preprocessing.encode(to: encoder)
        try dataset.encode(to: encoder)
        try validation.encode(to: encoder)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(printFreq, forKey: .printFreq)
        try c.encode(displayFreq, forKey: .displayFreq)
        try c.encode(saveLatestFreq, forKey: .saveLatestFreq)
        try c.encode(saveLatestMinutes, forKey: .saveLatestMinutes)
        try c.encode(saveEpochFreq, forKey: .saveEpochFreq)
        try c.encode(maxIterations, forKey: .maxIterations)
        try c.encode(version, forKey: .version)
    }

    /// The learning rate during `epoch`: the one place it is computed (the schedule steps once per finished
    /// epoch; after the last epoch it stays at the last epoch's).
    public func learningRate(epoch: Int, plateau: Plateau = Plateau()) -> Float {
        method.lr * schedule.factor(epoch: min(epoch, schedule.lastEpoch)) * (schedule.policy == .plateau ? plateau.scale : 1)
    }

    public var runFolder: String { (runsDir as NSString).appendingPathComponent(name) }

    /// Problems with the options themselves, before any file is touched.
    public func problems() -> [String] {
        var p: [String] = []
        let (preprocess, loadSize, cropSize) = (preprocessing.preprocess, preprocessing.loadSize, preprocessing.cropSize)
        if method.lambdaIdentity > 0 && network.inputNC != network.outputNC {
            p.append("--lambda_identity \(method.lambdaIdentity) needs --input_nc equal to --output_nc (they are \(network.inputNC) and \(network.outputNC)): "
                     + "the identity loss feeds B images to G_A; pass --lambda_identity 0")
        }
        for (flag, value) in [("--input_nc", network.inputNC), ("--output_nc", network.outputNC)] where value != 1 && value != 3 {
            p.append("\(flag) \(value): images have 1 (gray) or 3 (RGB) channels")
        }
        let multiple = network.netG.sideMultiple, netG = network.netG.rawValue
        if preprocess != .none && preprocess != .scale_width && cropSize % multiple != 0 {
            let near = max(multiple, cropSize / multiple * multiple)
            p.append("--crop_size \(cropSize) is not a multiple of \(multiple), which --netG \(netG) needs: try \(near)"
                     + (multiple > 4 ? " (or a ResNet generator, which takes multiples of 4)" : ""))
        }
        if multiple > 4 && (preprocess == .none || preprocess == .scale_width) {
            p.append("--netG \(netG) needs image sides that are multiples of \(multiple), and --preprocess \(preprocess.rawValue) keeps "
                     + "the images' own sizes: use a cropping --preprocess (resize_and_crop, crop, scale_width_and_crop)")
        }
        if preprocess == .resize_and_crop && cropSize > loadSize {
            p.append("--crop_size \(cropSize) is larger than --load_size \(loadSize): a crop cannot be larger than the "
                     + "resized image; raise --load_size or lower --crop_size")
        }
        if preprocess == .scale_width_and_crop && cropSize > loadSize {
            p.append("--crop_size \(cropSize) is larger than --load_size \(loadSize) (the scaled width): raise --load_size")
        }
        for (flag, value) in [("--ngf", network.ngf), ("--ndf", network.ndf), ("--batch_size", batchSize), ("--print_freq", printFreq),
                              ("--display_freq", displayFreq), ("--save_latest_freq", saveLatestFreq),
                              ("--save_epoch_freq", saveEpochFreq), ("--epoch_count", schedule.epochCount)] where value < 1 {
            p.append("\(flag) must be at least 1 (got \(value))")
        }
        if !(saveLatestMinutes >= 0) { p.append("--save_latest_minutes must be 0 (off) or more (got \(saveLatestMinutes))") }
        let (nEpochs, nEpochsDecay) = (schedule.nEpochs, schedule.nEpochsDecay)
        if nEpochs < 0 || nEpochsDecay < 0 || nEpochs + nEpochsDecay < 1 {
            p.append("--n_epochs \(nEpochs) + --n_epochs_decay \(nEpochsDecay) must make at least one epoch")
        }
        if let n = dataset.maxDatasetSize, n < 1 { p.append("--max_dataset_size \(n): give 1 or more images per domain") }
        if let e = resumeEpoch {
            if !continueTrain { p.append("--epoch \(e) picks the checkpoint --continue_train resumes from: add --continue_train") }
            if e < 1 { p.append("--epoch \(e): epochs count from 1") }
        }
        if validation.valFreq < 0 { p.append("--val_freq \(validation.valFreq): give 0 (no validation) or a number of epochs") }
        if validation.valFreq == 0 && (validation.valDir != nil || validation.inception != nil) {
            p.append("--val_dir and --inception are for validation while training: add --val_freq N (every N epochs)")
        }
        if network.netD == .n_layers && network.nLayersD < 1 { p.append("--n_layers_D must be at least 1") }
        if name.isEmpty || name.contains("/") { p.append("--name '\(name)' must be a plain folder name") }
        return p
    }
}

public let toolVersion = "0.1.0"
