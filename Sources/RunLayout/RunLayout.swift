import Foundation

// The run folder's schema: every name that training writes and the report, the curves and `translate --run`
// read. One place, so that writer and readers cannot drift apart.
//
//     config.json              every option as resolved (keys named as the reference's flags)
//     losses.csv               one row per logging interval (`LossColumns`)
//     checkpoints/latest.h5    and epoch_N.h5, iter_N.h5 with --save_by_iter (groups named by `Network`)
//     samples/iter_NNNNNNN.png sample grids (`SampleGridLayout`)
//     val.csv                  one row per validation (`ValidationColumns`), with --val_freq
//     val/epoch_N/AtoB/*.png   and BtoA/: the validation images translated after epoch N
//     translations/AtoB/*.png  and BtoA/, from `cyclegan translate --run`
//     curves.png, curves.svg   from `cyclegan curves`
//     index.html               from `cyclegan report`
//     .lock                    held while a process trains the run

/// File and folder names inside a run folder.
public enum RunLayout {
    public static let config = "config.json"
    public static let losses = "losses.csv"
    public static let checkpoints = "checkpoints"
    public static let latestCheckpoint = "latest.h5"
    public static let samples = "samples"
    public static let translations = "translations"
    public static let curvesPNG = "curves.png"
    public static let curvesSVG = "curves.svg"
    public static let report = "index.html"
    /// PNG copies the report shows of images browsers cannot display (TIFF, PGM/PPM).
    public static let reportPreviews = "report_previews"
    public static let lock = ".lock"
    public static let validation = "val.csv"
    public static let validationImages = "val"
    /// TensorBoard event files (`--tensorboard`): `tensorboard --logdir Runs` finds them.
    public static let tensorboard = "tensorboard"

    /// `val/epoch_N`: the validation images of epoch N, in AtoB/ and BtoA/.
    public static func validationFolder(epoch: Int) -> String { "\(validationImages)/epoch_\(epoch)" }

    /// `epoch_N.h5`, saved every `--save_epoch_freq` epochs.
    public static func epochCheckpoint(_ epoch: Int) -> String { "epoch_\(epoch).h5" }

    /// `iter_N.h5`, kept at every --save_latest_freq save with --save_by_iter.
    public static func iterationCheckpoint(_ iteration: Int) -> String { "iter_\(iteration).h5" }

    /// The epoch of an `epoch_N.h5` name; nil for any other name.
    public static func epoch(ofCheckpoint name: String) -> Int? {
        guard name.hasPrefix("epoch_"), name.hasSuffix(".h5") else { return nil }
        return Int(name.dropFirst(6).dropLast(3))
    }

    /// `iter_0001200.png`: the sample grid of an iteration.
    public static func sampleName(iteration: Int) -> String { String(format: "iter_%07d.png", iteration) }

    /// The iteration of a sample grid's name; nil for any other name.
    public static func iteration(ofSample name: String) -> Int? {
        guard name.hasPrefix("iter_"), name.lowercased().hasSuffix(".png") else { return nil }
        return Int(name.dropFirst(5).dropLast(4))
    }
}

/// The columns of losses.csv, in order.
public enum LossColumns {
    /// The eight losses in the reference's order.
    public static let losses = ["D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"]
    public static let iteration = "iteration"
    public static let epoch = "epoch"
    public static let learningRate = "lr"
    public static let secondsPerIteration = "seconds_per_iter"
    /// The header the trainer writes.
    public static let header = [iteration, epoch] + losses + [learningRate, secondsPerIteration]
}

/// The columns of val.csv, in order: where the run stood, the cycle-reconstruction PSNR of each domain's
/// validation images (A → B → A against A, in dB), KID of each direction's translations against the real
/// images of its target domain with its standard deviation (nan without Inception weights), and the
/// seconds the validation took.
public enum ValidationColumns {
    public static let psnrA = "psnr_cycle_A", psnrB = "psnr_cycle_B"
    public static let kidAtoB = "kid_AtoB", kidAtoBStd = "kid_AtoB_std", kidBtoA = "kid_BtoA", kidBtoAStd = "kid_BtoA_std"
    public static let seconds = "seconds"
    public static let header = [LossColumns.iteration, LossColumns.epoch, psnrA, psnrB, kidAtoB, kidAtoBStd, kidBtoA,
                                kidBtoAStd, seconds]
}

/// The four networks, under their checkpoint group names (the reference's).
public enum Network: String, CaseIterable, Sendable {
    case G_A, G_B, D_A, D_B

    /// What the network does, in words.
    public var role: String {
        switch self {
        case .G_A: return "generator A→B"
        case .G_B: return "generator B→A"
        case .D_A: return "discriminator of B"
        case .D_B: return "discriminator of A"
        }
    }
}

/// A translation direction: AtoB runs G_A, BtoA runs G_B.
public enum Direction: String, Codable, CaseIterable, Sendable {
    case AtoB, BtoA

    /// The generator that translates in this direction.
    public var generator: Network { self == .AtoB ? .G_A : .G_B }
    /// The checkpoint group of that generator.
    public var generatorName: String { generator.rawValue }
    /// The dataset folder of this direction's test inputs: `testA` for A→B.
    public var inputFolder: String { self == .AtoB ? "testA" : "testB" }
    public var arrow: String { self == .AtoB ? "A → B" : "B → A" }
}

/// The tiles of a sample grid, row by row: real, translated, reconstructed and (when the identity loss is
/// on) the identity image, for A on top and B below.
public enum SampleGridLayout {
    public static func rows(identity: Bool) -> [[String]] {
        identity ? [["real_A", "fake_B", "rec_A", "idt_B"], ["real_B", "fake_A", "rec_B", "idt_A"]]
                 : [["real_A", "fake_B", "rec_A"], ["real_B", "fake_A", "rec_B"]]
    }
}
