import CycleGAN
import Layers
import Tensor
import Testing
@testable import cyclegan

/// The command line takes every default from the library's options types (where the reference's defaults are
/// written once): parsing no flags must give exactly the library's configuration. A default restated by hand
/// in an option, and then changed on one side only, fails here.
@Suite("Command-line defaults")
struct CommandLineDefaultsTests {
    @Test("train with only --dataroot gives TrainConfig()'s every option")
    func trainDefaults() throws {
        let parsed = try Train.parse(["--dataroot", "data"])
        var expected = TrainConfig()
        expected.dataroot = "data"
        #expect(parsed.config == expected)
    }

    @Test("bench's network flags are train's, with the library's defaults")
    func benchDefaults() throws {
        #expect(try Bench.parse([]).network.value == NetworkConfig())
    }

    @Test("every flag reaches the configuration (none parsed and dropped)")
    func everyFlagReachesTheConfig() throws {
        let parsed = try Train.parse([
            "--dataroot", "d", "--name", "n", "--runs_dir", "r", "--seed", "3", "--continue_train", "--init_from", "w.pth",
            "--netG", "resnet_6blocks", "--ngf", "8", "--netD", "n_layers", "--ndf", "9", "--n_layers_D", "2",
            "--norm", "batch", "--input_nc", "1", "--output_nc", "1",
            "--init_type", "xavier", "--init_gain", "0.5",
            "--lambda_A", "1", "--lambda_B", "2", "--lambda_identity", "0.25", "--gan_mode", "vanilla",
            "--pool_size", "4", "--lr", "0.1", "--beta1", "0.9",
            "--lr_policy", "step", "--n_epochs", "3", "--n_epochs_decay", "4", "--epoch_count", "2",
            "--lr_decay_iters", "5",
            "--preprocess", "crop", "--load_size", "40", "--crop_size", "32", "--no_flip", "--batch_size", "2",
            "--print_freq", "6", "--display_freq", "7", "--save_latest_freq", "8", "--save_latest_minutes", "1.5",
            "--save_epoch_freq", "9", "--max_iterations", "10",
            "--val_freq", "2", "--val_dir", "v", "--inception", "i.pth",
            "--direction", "BtoA", "--max_dataset_size", "11", "--serial_batches", "--save_by_iter", "--epoch", "4",
        ])
        var e = TrainConfig()
        e.dataroot = "d"; e.name = "n"; e.runsDir = "r"; e.seed = 3; e.continueTrain = true; e.initFrom = "w.pth"
        e.network = NetworkConfig(netG: .resnet_6blocks, ngf: 8, netD: .n_layers, ndf: 9, nLayersD: 2, norm: .batch,
                                  inputNC: 1, outputNC: 1)
        e.initialization = WeightInit(type: .xavier, gain: 0.5)
        e.method = MethodOptions(lambdaA: 1, lambdaB: 2, lambdaIdentity: 0.25, ganMode: .vanilla, poolSize: 4, lr: 0.1,
                                 beta1: 0.9)
        e.schedule = LRSchedule(policy: .step, nEpochs: 3, nEpochsDecay: 4, epochCount: 2, decayIters: 5)
        e.preprocessing = PreprocessOptions(preprocess: .crop, loadSize: 40, cropSize: 32, noFlip: true)
        e.batchSize = 2
        e.printFreq = 6; e.displayFreq = 7; e.saveLatestFreq = 8; e.saveLatestMinutes = 1.5; e.saveEpochFreq = 9
        e.maxIterations = 10
        e.validation = ValidationOptions(valFreq: 2, valDir: "v", inception: "i.pth")
        e.dataset = DatasetOptions(direction: .BtoA, maxDatasetSize: 11, serialBatches: true)
        e.saveByIter = true; e.resumeEpoch = 4
        #expect(parsed.config == e)
    }

    @Test("--precision: f32 unless asked, bf16 on train, translate and bench; other values refused")
    func precision() throws {
        let translate = ["--run", "r", "--direction", "AtoB", "--input", "i"]
        #expect(try Train.parse(["--dataroot", "d"]).precision.precision == .f32)
        #expect(try Translate.parse(translate).precision.precision == .f32)
        #expect(try Bench.parse([]).precision.precision == .f32)
        #expect(try Train.parse(["--dataroot", "d", "--precision", "bf16"]).precision.precision == .bf16)
        #expect(try Translate.parse(translate + ["--precision", "bf16"]).precision.precision == .bf16)
        #expect(try Bench.parse(["--precision", "bf16"]).precision.precision == .bf16)
        #expect(throws: (any Error).self) { try Train.parse(["--dataroot", "d", "--precision", "fp16"]) }
        // Winograd with bf16: refused where bf16 runs in oneDNN (im2col only), taken in f32 arithmetic.
        let winogradBF16 = ["--precision", "bf16", "--conv_algorithm", "winograd"]
        #expect(BF16Arithmetic.$current.withValue(.oneDNN) { (try? Bench.parse(winogradBF16)) == nil })
        let taken = try BF16Arithmetic.$current.withValue(.f32) { try Bench.parse(winogradBF16) }
        #expect(taken.convAlgorithm == .winograd)
    }
}
