import Codecs
import Foundation
import Layers
import RunLayout
import Tensor

/// Where a training run stands, saved with the weights so that `--continue_train` resumes exactly.
public struct TrainingState: Equatable, Sendable {
    /// Iterations finished in the whole run.
    public var iteration: Int
    /// The epoch under way (counted from epoch_count).
    public var epoch: Int
    /// Iterations finished within `epoch`.
    public var epochIteration: Int
    public var learningRate: Float
    /// `--lr_policy plateau`: the scheduler, and the sum of this epoch's cycle losses (its metric without validation).
    public var plateau = Plateau()
    public var epochCycleLoss = 0.0

    public init(iteration: Int, epoch: Int, epochIteration: Int, learningRate: Float) {
        self.iteration = iteration
        self.epoch = epoch
        self.epochIteration = epochIteration
        self.learningRate = learningRate
    }
}

/// A checkpoint file (HDF5): groups `G_A`, `G_B`, `D_A`, `D_B` with one float32 dataset per state-dict key
/// in PyTorch shape order, a root attribute `config` (the architecture as JSON, keys named as the flags),
/// and for training checkpoints the full state: Adam moments and steps (`optimizer_G/m/G_A/…`),
/// iteration, epoch, learning rate, both image pools and the generator state.
public enum Checkpoint {
    public static let format = "cyclegan-swift"
    public static let formatVersion: Int64 = 1

    // MARK: - Saving

    /// Writes the networks (and, with a trainer, the training state) through `AtomicFile`: a crash never
    /// leaves a broken checkpoint where a good one was.
    /// `only`: the networks to write (default all four), e.g. the generators a PyTorch folder held.
    public static func save(_ model: CycleGANModel, trainer: Trainer? = nil, state: TrainingState? = nil,
                            options: String? = nil, only: [Network]? = nil, to path: String) throws {
        do {
            try AtomicFile.write(path) { temporary in
                let file = try HDF5File(path: temporary, mode: .create, reservingHeader: true)
                try file.setAttribute("format", string: format)
                try file.setAttribute("format_version", int: formatVersion)
                try file.setAttribute("config", string: try jsonString(model.config))
                if let options { try file.setAttribute("options", string: options) }
                for (name, net) in model.networks where only?.contains(where: { $0.rawValue == name }) ?? true {
                    for (key, p) in net.stateEntries() { try file.write(p.value, at: "\(name)/\(key)") }
                }
                if let trainer, let state { try writeTrainingState(trainer, state, to: file) }
                try file.finish()
                try SealedFile.seal(temporary)   // a checksum of the whole file, checked before HDF5 reads it
            }
        } catch {
            let reason = (error as? CodecError)?.message ?? "\(error)"
            throw CodecError(path: path, message: "could not be saved (\(reason)); the file that was there is unchanged: "
                             + "free disk space (or fix the folder's permissions) and resume with --continue_train")
        }
    }

    private static func writeTrainingState(_ trainer: Trainer, _ state: TrainingState, to file: HDF5File) throws {
        try file.setAttribute("iteration", int: Int64(state.iteration))
        try file.setAttribute("epoch", int: Int64(state.epoch))
        try file.setAttribute("epoch_iteration", int: Int64(state.epochIteration))
        try file.setAttribute("lr", number: Double(state.learningRate))
        try file.setAttribute("plateau_best", number: state.plateau.best ?? .nan)
        try file.setAttribute("plateau_bad_steps", int: Int64(state.plateau.badSteps))
        try file.setAttribute("plateau_scale", number: Double(state.plateau.scale))
        try file.setAttribute("epoch_cycle_loss", number: state.epochCycleLoss)
        for (name, adam, nets) in optimizers(trainer) {
            try file.setAttribute("\(name)_step", int: Int64(adam.step))
            for (i, entry) in optimizerKeys(nets).enumerated() {
                try file.write(adam.m[i], at: "\(name)/m/\(entry)")
                try file.write(adam.v[i], at: "\(name)/v/\(entry)")
            }
        }
        for (name, pool) in [("pool_A", trainer.poolA), ("pool_B", trainer.poolB)] {
            try file.setAttribute("\(name)_count", int: Int64(pool.images.count))
            for (i, image) in pool.images.enumerated() { try file.write(image, at: "\(name)/\(i)") }
        }
        try file.writeInt64(trainer.rng.state.map { Int64(bitPattern: $0) }, shape: [4], at: "rng_state")
    }

    // MARK: - Loading

    /// The architecture stored in a checkpoint (after checking that this version can read its format).
    public static func config(of file: HDF5File) throws -> NetworkConfig {
        if let version = try file.intAttribute("format_version"), version > formatVersion {
            throw CheckpointError(.newerFormat, path: file.path, "is in checkpoint format \(version), written by a later "
                                  + "version of cyclegan; this one reads format \(formatVersion): update cyclegan to read it")
        }
        guard let json = try file.stringAttribute("config") else {
            throw CodecError(path: file.path, message: "has no `config` attribute: it is not a checkpoint of this tool "
                             + "(convert a PyTorch .pth with Scripts/pytorch/convert.py)")
        }
        do {
            return try JSONDecoder().decode(NetworkConfig.self, from: Data(json.utf8))
        } catch {
            throw CodecError(path: file.path, message: "has an unreadable `config` attribute (\(error))")
        }
    }

    /// Which of G_A, G_B, D_A, D_B the file holds.
    public static func networkNames(in file: HDF5File) throws -> [String] {
        let present = Set(try file.children(of: "/"))
        return Network.allCases.map(\.rawValue).filter(present.contains)
    }

    /// A line for the user when `file` was written before checkpoints carried checksums (a corrupted byte in
    /// it would go unnoticed); nil for a sealed file (`SealedFile`), which was verified when it was opened.
    public static func checksumNote(_ file: HDF5File) throws -> String? {
        if file.isSealed { return nil }
        return "note: \(file.path) carries no checksums (written by an earlier version): corruption in it would go "
            + "unnoticed; saving it again (resume the run, or re-import it) adds them"
    }

    /// Loads the weights of group `name` into `module`, checking that every key exists with its shape and that
    /// the group holds no key the module lacks (either means another architecture than the file's `config`).
    /// `architecture`: what the module was built from, for the messages.
    public static func load(_ module: Module, from file: HDF5File, group name: String,
                            architecture: String = "its `config` attribute says") throws {
        try load(module, storedKeys: file.exists(name) ? try file.children(of: name) : [], prefix: name + "/",
                 path: file.path, architecture: architecture) { try file.read(name + "/" + $0) }
    }

    /// Loads `module`'s state from stored keys (read by `read`), checking that every key exists with its shape
    /// and that no stored key is left unused: either means the file holds another architecture than
    /// `architecture` describes. Used for checkpoints and for PyTorch state dicts alike.
    static func load(_ module: Module, storedKeys: [String], prefix: String = "", path: String, architecture: String,
                     read: (String) throws -> Tensor) throws {
        let entries = module.stateEntries()
        let unused = Set(storedKeys).subtracting(entries.map(\.key))
        if !unused.isEmpty {
            let listed = unused.sorted().prefix(3).map { prefix + $0 }.joined(separator: ", ")
            throw CheckpointError(.architectureMismatch, path: path, "has \(unused.count) dataset\(unused.count == 1 ? "" : "s") "
                                  + "the architecture \(architecture) does not use (\(listed)\(unused.count > 3 ? ", …" : "")): "
                                  + "it was saved for other networks (netG, norm, n_layers_D, …)")
        }
        let stored = Set(storedKeys)
        for (key, p) in entries {
            guard stored.contains(key) else {
                throw CheckpointError(.architectureMismatch, path: path, "lacks \(prefix + key): it was saved for another "
                                      + "architecture than \(architecture) (netG, ngf, norm, …)")
            }
            let t = try read(key)
            guard t.shape == p.value.shape else {
                throw CheckpointError(.architectureMismatch, path: path, "has \(prefix + key) of shape \(t.shape) where the "
                                      + "architecture \(architecture) needs \(p.value.shape)")
            }
            p.value = t
        }
    }

    /// A model built from the file's config with all four networks loaded (`only`: those alone).
    public static func loadModel(from path: String, only: [Network]? = nil) throws -> CycleGANModel {
        let file = try HDF5File(path: path, mode: .read)
        defer { file.close() }
        let model = CycleGANModel(try config(of: file))
        let wanted = only?.map(\.rawValue) ?? Network.allCases.map(\.rawValue)
        for (name, net) in model.networks where wanted.contains(name) { try load(net, from: file, group: name) }
        return model
    }

    /// Restores the trainer's networks, optimizers, pools and generator; returns where training stood.
    public static func restore(_ trainer: Trainer, from path: String) throws -> TrainingState {
        let file = try HDF5File(path: path, mode: .read)
        defer { file.close() }
        let stored = try config(of: file)
        guard stored == trainer.model.config else {
            throw CheckpointError(.architectureMismatch, path: path, "was saved with the architecture \(try jsonString(stored)), "
                                  + "not \(try jsonString(trainer.model.config)): resume with the run's own options")
        }
        for (name, net) in trainer.model.networks { try load(net, from: file, group: name) }
        guard let iteration = try file.intAttribute("iteration"), let epoch = try file.intAttribute("epoch"),
              let epochIteration = try file.intAttribute("epoch_iteration"), let lr = try file.numberAttribute("lr")
        else {
            throw CheckpointError(.notResumable, path: path, "holds weights only, no training state: it cannot be resumed "
                                  + "(start a new run, or use it with `cyclegan translate`)")
        }
        for (name, adam, nets) in optimizers(trainer) {
            adam.step = Int(try file.intAttribute("\(name)_step") ?? 0)
            for (i, entry) in optimizerKeys(nets).enumerated() {
                adam.m[i] = try file.read("\(name)/m/\(entry)").reshaped(adam.m[i].shape)
                adam.v[i] = try file.read("\(name)/v/\(entry)").reshaped(adam.v[i].shape)
            }
        }
        trainer.poolA.images = try readPool("pool_A", file)
        trainer.poolB.images = try readPool("pool_B", file)
        trainer.rng = SeededGenerator(state: try file.readInt64("rng_state").map { UInt64(bitPattern: $0) })
        var state = TrainingState(iteration: Int(iteration), epoch: Int(epoch), epochIteration: Int(epochIteration),
                                  learningRate: Float(lr))
        // Absent from checkpoints older than --lr_policy plateau: a fresh scheduler.
        if let scale = try file.numberAttribute("plateau_scale"), let bad = try file.intAttribute("plateau_bad_steps") {
            let best = try file.numberAttribute("plateau_best")
            state.plateau = Plateau(best: best.flatMap { $0.isNaN ? nil : $0 }, badSteps: Int(bad), scale: Float(scale))
        }
        state.epochCycleLoss = try file.numberAttribute("epoch_cycle_loss") ?? 0
        trainer.learningRate = state.learningRate
        return state
    }

    private static func readPool(_ name: String, _ file: HDF5File) throws -> [Tensor] {
        let count = Int(try file.intAttribute("\(name)_count") ?? 0)
        return try (0..<count).map { try file.read("\(name)/\($0)") }
    }

    // MARK: - Helpers

    /// The optimizers with their checkpoint names and the networks whose parameters they hold, in order.
    private static func optimizers(_ t: Trainer) -> [(String, Adam, [(String, Module)])] {
        let m = t.model
        return [("optimizer_G", t.optimizerG, [("G_A", m.gA), ("G_B", m.gB)]),
                ("optimizer_D", t.optimizerD, [("D_A", m.dA), ("D_B", m.dB)])]
    }

    /// "G_A/model.1.weight", … in the order the optimizer holds the parameters.
    private static func optimizerKeys(_ nets: [(String, Module)]) -> [String] {
        nets.flatMap { name, net in net.parameters(prefix: "").map { "\(name)/\($0.key)" } }
    }

    /// Compact JSON, as stored in attributes.
    static func jsonString<T: Encodable>(_ value: T) throws -> String { try jsonText(value) }
}
