import ArgumentParser
import CycleGAN
import Foundation
import Layers

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train CycleGAN on two folders of unpaired images.",
        discussion: """
        --dataroot holds trainA/ and trainB/ (PNG or JPEG, any size and colour type). The run is written
        to <runs_dir>/<name>/: config.json, losses.csv (one row every --print_freq iterations),
        checkpoints/latest.h5 and epoch_N.h5, and samples/ (PNG grids: real_A, fake_B, rec_A, idt_B over
        real_B, fake_A, rec_B, idt_A). Ctrl-C, SIGTERM and SIGHUP save latest.h5 before stopping (exit status 130, 143, 129; a second signal quits at once); --continue_train resumes
        exactly where it stopped (weights, optimizer moments, learning rate, image pools, random state).

        Defaults are those of the reference PyTorch code (256×256 crops of 286×286 images, resnet_9blocks,
        200 epochs). On a CPU, start small:
          cyclegan train --dataroot Data/photo2painting --name quick \\
            --load_size 72 --crop_size 64 --netG resnet_6blocks --ngf 32 --ndf 32 --n_epochs 5 --n_epochs_decay 5
        Then: cyclegan curves Runs/quick, cyclegan translate --run Runs/quick --direction AtoB --input photo.jpg
        """)

    @Option(help: "Folder holding trainA/ and trainB/.")
    var dataroot: String
    @Option(help: "Name of the run: its folder under --runs_dir.")
    var name = "experiment"
    @Option(name: .customLong("runs_dir"), help: "Parent folder of run folders.")
    var runsDir = "Runs"
    @Option(help: "Seed of every random choice (weights, crops, flips, order, pools): same seed and data, same run.")
    var seed: UInt64 = 0
    @Flag(name: .customLong("continue_train"), help: "Resume the run from its checkpoints/latest.h5.")
    var continueTrain = false

    @OptionGroup(title: "Networks") var network: NetworkOptions
    @OptionGroup(title: "Compute") var compute: ComputeOptions
    @Option(name: .customLong("init_type"), help: "Weight initialisation: normal, xavier or kaiming.")
    var initType: InitType = .normal
    @Option(name: .customLong("init_gain"), help: "Scale of the initialisation.")
    var initGain: Float = 0.02

    @Option(name: .customLong("lambda_A"), help: "Weight of the cycle loss A→B→A.")
    var lambdaA: Float = 10
    @Option(name: .customLong("lambda_B"), help: "Weight of the cycle loss B→A→B.")
    var lambdaB: Float = 10
    @Option(name: .customLong("lambda_identity"),
            help: "Weight of the identity loss as a fraction of lambda_A/B (0.5 → 5·L1); 0 turns it off.")
    var lambdaIdentity: Float = 0.5
    @Option(name: .customLong("gan_mode"), help: "Adversarial loss: lsgan (least squares) or vanilla (cross-entropy).")
    var ganMode: GANMode = .lsgan
    @Option(name: .customLong("pool_size"), help: "Generated images kept for the discriminators (0: none).")
    var poolSize = 50
    @Option(help: "Initial learning rate of Adam.")
    var lr: Float = 0.0002
    @Option(help: "Adam's beta1.")
    var beta1: Float = 0.5
    @Option(name: .customLong("lr_policy"), help: "Learning-rate schedule: linear, step or cosine.")
    var lrPolicy: LRPolicy = .linear
    @Option(name: .customLong("n_epochs"), help: "Epochs at the initial learning rate.")
    var nEpochs = 100
    @Option(name: .customLong("n_epochs_decay"), help: "Epochs of linear decay to zero after --n_epochs.")
    var nEpochsDecay = 100
    @Option(name: .customLong("epoch_count"), help: "Number of the first epoch.")
    var epochCount = 1
    @Option(name: .customLong("lr_decay_iters"), help: "Epochs between ×0.1 steps with --lr_policy step.")
    var lrDecayIters = 50

    @Option(name: .customLong("batch_size"), help: "Images per step.")
    var batchSize = 1
    @Option(help: "resize_and_crop, crop, scale_width, scale_width_and_crop or none.")
    var preprocess: Preprocess = .resize_and_crop
    @Option(name: .customLong("load_size"), help: "Resize images to this size (resize_*) or width (scale_width*).")
    var loadSize = 286
    @Option(name: .customLong("crop_size"), help: "Then crop at random to this size.")
    var cropSize = 256
    @Flag(name: .customLong("no_flip"), help: "Do not flip images left-right at random.")
    var noFlip = false

    @Option(name: .customLong("print_freq"), help: "Iterations between CSV rows and progress lines.")
    var printFreq = 100
    @Option(name: .customLong("display_freq"), help: "Iterations between sample grids.")
    var displayFreq = 400
    @Option(name: .customLong("save_latest_freq"), help: "Iterations between saves of checkpoints/latest.h5.")
    var saveLatestFreq = 5000
    @Option(name: .customLong("save_latest_minutes"),
            help: "Also save checkpoints/latest.h5 every this many minutes (0: only by --save_latest_freq).")
    var saveLatestMinutes = 10.0
    @Option(name: .customLong("save_epoch_freq"), help: "Epochs between checkpoints/epoch_N.h5.")
    var saveEpochFreq = 5
    @Option(name: .customLong("max_iterations"), help: "Stop after this many iterations in all (0: no limit).")
    var maxIterations = 0

    var config: TrainConfig {
        var c = TrainConfig()
        c.name = name; c.runsDir = runsDir; c.dataroot = dataroot; c.seed = seed; c.continueTrain = continueTrain
        network.apply(to: &c)
        c.initType = initType; c.initGain = initGain
        c.lambdaA = lambdaA; c.lambdaB = lambdaB; c.lambdaIdentity = lambdaIdentity; c.ganMode = ganMode
        c.poolSize = poolSize; c.lr = lr; c.beta1 = beta1; c.lrPolicy = lrPolicy
        c.nEpochs = nEpochs; c.nEpochsDecay = nEpochsDecay; c.epochCount = epochCount; c.lrDecayIters = lrDecayIters
        c.batchSize = batchSize; c.preprocess = preprocess; c.loadSize = loadSize; c.cropSize = cropSize; c.noFlip = noFlip
        c.printFreq = printFreq; c.displayFreq = displayFreq; c.saveLatestFreq = saveLatestFreq
        c.saveLatestMinutes = saveLatestMinutes
        c.saveEpochFreq = saveEpochFreq; c.maxIterations = maxIterations
        return c
    }

    func validate() throws {
        if let problem = config.problems().first { throw ValidationError(problem) }
    }

    func run() throws {
        try compute.start()
        do {
            try TrainingRun(config).run()
        } catch let interrupted as InterruptedError {
            throw ExitCode(interrupted.exitCode)
        }
    }
}
