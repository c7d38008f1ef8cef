import ArgumentParser
import CycleGAN
import Foundation
import Layers

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train CycleGAN on two folders of unpaired images.",
        discussion: """
        --dataroot holds trainA/ and trainB/ (PNG, JPEG, TIFF, BMP, PGM or PPM; any size and colour type, 8 or 16 bits). The run is written to \
        <runs_dir>/<name>/: config.json, losses.csv (one row every --print_freq iterations), checkpoints/latest.h5 \
        and epoch_N.h5, and samples/ (PNG grids: real_A, fake_B, rec_A, idt_B over real_B, fake_A, rec_B, idt_A). \
        Ctrl-C, SIGTERM and SIGHUP save latest.h5 before stopping (exit status 130, 143, 129; a second signal \
        quits at once); --continue_train resumes exactly where it stopped (weights, optimizer moments, learning \
        rate, image pools, random state).

        Defaults are those of the reference PyTorch code (256×256 crops of 286×286 images, resnet_9blocks, 200 \
        epochs). On a CPU, start small:
          cyclegan train --dataroot Data/photo2painting --name quick \\
            --load_size 72 --crop_size 64 --netG resnet_6blocks \\
            --ngf 32 --ndf 32 --n_epochs 5 --n_epochs_decay 5
          cyclegan curves Runs/quick
          cyclegan translate --run Runs/quick --direction AtoB --input photo.jpg

        Also as the reference: --direction BtoA (the domains swapped), --max_dataset_size N, --serial_batches, \
        --save_by_iter, --continue_train --epoch N (resume from epoch_N.h5), --netG unet_256 / unet_128 (U-Nets: \
        crops a multiple of 256 or 128), --netD pixel, --gan_mode wgangp, --init_type orthogonal, and --use_dropout \
        (dropout while training; translation runs without it).
        """)

    private static let defaults = TrainConfig()
    @Option(help: "Folder holding trainA/ and trainB/.")
    var dataroot: String
    @Option(help: "Name of the run: its folder under --runs_dir.")
    var name = defaults.name
    @Option(name: .customLong("runs_dir"), help: "Parent folder of run folders.")
    var runsDir = defaults.runsDir
    @Option(help: "Seed of every random choice (weights, crops, flips, order, pools): same seed and data, same run.")
    var seed = defaults.seed
    @Flag(name: .customLong("continue_train"), help: "Resume the run from its checkpoints/latest.h5.")
    var continueTrain = defaults.continueTrain
    @Option(help: "With --continue_train: resume from checkpoints/epoch_N.h5 instead (rows logged after it are dropped).")
    var epoch: Int?
    @Option(name: .customLong("init_from"),
            help: ArgumentHelp("Fine-tune: start from these weights instead of fresh ones. A checkpoint (.h5: every network it holds), a generator saved by PyTorch (.pth, e.g. a pretrained horse2zebra.pth: becomes G_A) or a folder of the reference's latest_net_G_A.pth, …G_B, …D_A, …D_B files. Networks it lacks start fresh; optimizers, epochs and schedule start anew; config.json records the file and its SHA-256.",
                               valueName: "path"))
    var initFrom: String?

    @OptionGroup(title: "Networks") var network: NetworkArguments
    @OptionGroup(title: "Compute") var compute: ComputeArguments
    @OptionGroup(title: "Compute") var precision: PrecisionArguments
    @OptionGroup(title: "Initialisation") var initialization: InitArguments
    @OptionGroup(title: "Method") var method: MethodArguments
    @OptionGroup(title: "Schedule") var schedule: ScheduleArguments
    @OptionGroup(title: "Data") var preprocessing: PreprocessArguments
    @OptionGroup(title: "Dataset") var dataset: DatasetArguments
    @OptionGroup(title: "Validation") var validation: ValidationArguments
    @Option(name: .customLong("batch_size"), help: "Images per step.")
    var batchSize = defaults.batchSize

    @Option(name: .customLong("print_freq"), help: "Iterations between CSV rows and progress lines.")
    var printFreq = defaults.printFreq
    @Option(name: .customLong("display_freq"), help: "Iterations between sample grids.")
    var displayFreq = defaults.displayFreq
    @Option(name: .customLong("save_latest_freq"), help: "Iterations between saves of checkpoints/latest.h5.")
    var saveLatestFreq = defaults.saveLatestFreq
    @Option(name: .customLong("save_latest_minutes"),
            help: "Also save checkpoints/latest.h5 every this many minutes (0: only by --save_latest_freq).")
    var saveLatestMinutes = defaults.saveLatestMinutes
    @Option(name: .customLong("save_epoch_freq"), help: "Epochs between checkpoints/epoch_N.h5.")
    var saveEpochFreq = defaults.saveEpochFreq
    @Flag(name: .customLong("save_by_iter"), help: "Also keep checkpoints/iter_N.h5 at every --save_latest_freq save.")
    var saveByIter = defaults.saveByIter
    @Flag(help: "Also write TensorBoard event files to <run>/tensorboard/ (losses, learning rate, validation scores, sample grids): follow runs with `tensorboard --logdir Runs`.")
    var tensorboard = defaults.tensorboard
    @Option(name: .customLong("max_iterations"), help: "Stop after this many iterations in all (0: no limit).")
    var maxIterations = defaults.maxIterations

    var config: TrainConfig {
        var c = TrainConfig()
        c.name = name; c.runsDir = runsDir; c.dataroot = dataroot; c.seed = seed; c.continueTrain = continueTrain
        c.resumeEpoch = epoch; c.saveByIter = saveByIter; c.tensorboard = tensorboard
        c.dataset = dataset.value
        c.initFrom = initFrom
        c.network = network.value
        c.initialization = initialization.value
        c.method = method.value
        c.schedule = schedule.value
        c.preprocessing = preprocessing.value
        c.validation = validation.value
        c.batchSize = batchSize
        c.printFreq = printFreq; c.displayFreq = displayFreq; c.saveLatestFreq = saveLatestFreq
        c.saveLatestMinutes = saveLatestMinutes; c.saveEpochFreq = saveEpochFreq; c.maxIterations = maxIterations
        return c
    }

    func validate() throws {
        if let problem = config.problems().first { throw ValidationError(problem) }
    }

    func run() throws {
        try compute.start()
        do {
            try precision.run { _ = try TrainingRun(config).run() }
        } catch let interrupted as InterruptedError {
            throw ExitCode(interrupted.exitCode)
        }
    }
}
