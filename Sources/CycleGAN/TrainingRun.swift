import Codecs
import Dispatch
import Foundation
import Layers
import RunLayout
import Tensor

/// A training run and its folder `Runs/NAME/` (RunLayout): config.json, losses.csv, checkpoints/, samples/.
/// Checks all input before training, resumes with `continue_train`, and saves `latest.h5` on the way out
/// (also on Ctrl-C).
public final class TrainingRun {
    public let config: TrainConfig
    /// Where progress lines go (the terminal by default).
    public var log: (String) -> Void = { print($0) }

    public init(_ config: TrainConfig) { self.config = config }

    public var folder: String { config.runFolder }
    var checkpoints: String { (folder as NSString).appendingPathComponent(RunLayout.checkpoints) }
    var samples: String { (folder as NSString).appendingPathComponent(RunLayout.samples) }
    var csvPath: String { (folder as NSString).appendingPathComponent(RunLayout.losses) }
    public var latestCheckpoint: String { (checkpoints as NSString).appendingPathComponent(RunLayout.latestCheckpoint) }
    /// What --continue_train resumes from: latest.h5, or epoch_N.h5 with --epoch N.
    var resumeCheckpoint: String {
        (checkpoints as NSString).appendingPathComponent(config.resumeEpoch.map(RunLayout.epochCheckpoint) ?? RunLayout.latestCheckpoint)
    }

    /// Trains to the end (or to max_iterations); returns the last training state.
    @discardableResult
    public func run() throws -> TrainingState {
        let (dataset, validation) = try checkInputs()
        let (model, recorded) = try buildModel()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lock = try RunLock(folder: folder)   // the folder is this process's alone until it returns
        defer { withExtendedLifetime(lock) {} }
        let (trainer, start) = try startOrResume(model)
        let output = try prepareFolder(trainer, recording: recorded, resumingAfter: start.iteration)
        try Validation.trimLog(in: folder, keepingRowsThrough: start.iteration, keepOpen: validation)
        return try train(trainer, on: dataset, from: start, writing: output, validating: validation)
    }

    // MARK: - Phases

    /// 1. Everything the user gave is checked before anything is written: options, training images, the
    /// run folder, validation images and weights.
    private func checkInputs() throws -> (UnalignedDataset, Validation?) {
        let c = config
        if let problem = c.problems().first { throw OptionsError(problem) }
        let root = c.dataroot
        let names = c.dataset.folders("train")
        let folderA = c.dataset.limited(try ImageFolder.scan((root as NSString).appendingPathComponent(names.a), role: "domain A training"))
        let folderB = c.dataset.limited(try ImageFolder.scan((root as NSString).appendingPathComponent(names.b), role: "domain B training"))
        log("Checking \(folderA.files.count) images in \(folderA.path) and \(folderB.files.count) in \(folderB.path)…"
            + (c.dataset.direction == .BtoA ? " (--direction BtoA: G_A learns \(names.a) → \(names.b))" : ""))
        let dataset = try UnalignedDataset(folderA: folderA, folderB: folderB, channelsA: c.network.inputNC,
                                           channelsB: c.network.outputNC, preprocess: c.preprocessing, seed: c.seed,
                                           serial: c.dataset.serialBatches)
        // The identity loss asks each generator to hand back its own domain's images unchanged: with one domain of
        // 16-bit images and the other of 8-bit ones, that asks the A→B generator to keep 8-bit levels in a 16-bit
        // domain (and the reverse). Checked when a run starts (a run begun before 16-bit reading still resumes).
        if c.method.lambdaIdentity > 0 && !c.continueTrain {
            if dataset.sixteenBitA != dataset.sixteenBitB {
                let (deep, shallow) = dataset.sixteenBitA ? (folderA.path, folderB.path) : (folderB.path, folderA.path)
                throw OptionsError("\(deep) holds 16-bit images and \(shallow) only 8-bit ones, and --lambda_identity "
                                   + "\(c.method.lambdaIdentity) compares each generator's output with its input's depth: "
                                   + "convert one domain to the other's depth, or pass --lambda_identity 0")
            }
        }
        let fm = FileManager.default
        if c.continueTrain {
            guard fm.fileExists(atPath: resumeCheckpoint) else {
                if c.resumeEpoch != nil {
                    let saved = ((try? fm.contentsOfDirectory(atPath: checkpoints)) ?? []).compactMap(RunLayout.epoch(ofCheckpoint:)).sorted()
                    throw RunFolderError("\(resumeCheckpoint) does not exist: --epoch picks a saved epoch ("
                                         + (saved.isEmpty ? "this run has none" : "this run has \(saved.map(String.init).joined(separator: ", "))") + ")")
                }
                throw RunFolderError("\(latestCheckpoint) does not exist: --continue_train resumes a run that saved a checkpoint; "
                                + "check --name and --runs_dir, or start without --continue_train")
            }
        } else if fm.fileExists(atPath: csvPath) || fm.fileExists(atPath: latestCheckpoint) {
            throw RunFolderError("\(folder) already holds a run: pass --continue_train to resume it, or choose another --name")
        }
        guard c.validation.valFreq > 0 else { return (dataset, nil) }
        let validation = try Validation(c.validation, dataroot: root, folders: c.dataset.folders("test"), channelsA: c.network.inputNC, channelsB: c.network.outputNC,
                                        ngf: c.network.ngf)
        log("Validating every \(c.validation.valFreq) epoch\(c.validation.valFreq == 1 ? "" : "s") on \(validation.folderA.files.count) "
            + "images in \(validation.folderA.path) and \(validation.folderB.files.count) in \(validation.folderB.path)"
            + (validation.extractor == nil ? " (cycle PSNR; KID needs --inception)" : " (cycle PSNR and KID)"))
        return (dataset, validation)
    }

    /// 2. The networks, fresh from the seed, then those `--init_from` holds (read before anything is written,
    /// so that a mismatch leaves no folder). Returns the configuration to record: with the source's SHA-256,
    /// or on a resumed run the source the run started from.
    private func buildModel() throws -> (CycleGANModel, TrainConfig) {
        var c = config
        var rng = SeededGenerator(seed: c.seed)
        let model = CycleGANModel(c.network)
        model.initialize(c.initialization, using: &rng)
        if c.continueTrain {   // the checkpoint supersedes --init_from; keep what the run started from
            (c.initFrom, c.initFromSHA256) = recordedInitialWeights()
        } else if let source = c.initFrom {
            let loaded = try InitialWeights.load(into: model, from: source)
            let files = Array(Set(loaded.map(\.file))).sorted()
            c.initFromSHA256 = try files.count == 1 ? SHA256.hex(ofFile: files[0])
                : files.map { "\(($0 as NSString).lastPathComponent):\(try SHA256.hex(ofFile: $0))" }.joined(separator: " ")
            log("Starting \(loaded.map(\.network.rawValue).joined(separator: ", ")) from \(source) (sha256 \(c.initFromSHA256!)); "
                + "the other networks, the optimizers and the schedule start fresh")
        }
        return (model, c)
    }

    /// `init_from` and its SHA-256 as the run's config.json recorded them when it started.
    private func recordedInitialWeights() -> (String?, String?) {
        let path = (folder as NSString).appendingPathComponent(RunLayout.config)
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return (nil, nil) }
        return (json["init_from"] as? String, json["init_from_sha256"] as? String)
    }

    /// 3. Optimizers and pools: new from the seed, or restored with where training stood.
    private func startOrResume(_ model: CycleGANModel) throws -> (Trainer, TrainingState) {
        let c = config
        let trainer = Trainer(model: model, options: c.method, rng: SeededGenerator(seed: mix(c.seed, poolSeedSalt)))
        var state = TrainingState(iteration: 0, epoch: c.schedule.epochCount, epochIteration: 0,
                                  learningRate: c.learningRate(epoch: c.schedule.epochCount))
        if c.continueTrain {
            state = try Checkpoint.restore(trainer, from: resumeCheckpoint)
            if let note = try Checkpoint.checksumNote(try HDF5File(path: resumeCheckpoint, mode: .read)) { log(note) }
            log("Resuming \(folder) from \((resumeCheckpoint as NSString).lastPathComponent) at iteration \(state.iteration) (epoch \(state.epoch), lr \(state.learningRate))")
        }
        trainer.learningRate = state.learningRate
        return (trainer, state)
    }

    /// Where a run writes: its CSV, TensorBoard events (with --tensorboard) and how it saves a checkpoint.
    private struct Output {
        let csv: LossLogAppender
        let tensorboard: TensorBoardWriter?
        let save: (_ path: String, _ state: TrainingState) throws -> Void
    }

    /// 4. The run folder's contents: config.json (`recorded`), the CSV (rows logged after `iteration` dropped:
    /// a resumed run logs them again).
    private func prepareFolder(_ trainer: Trainer, recording recorded: TrainConfig, resumingAfter iteration: Int) throws -> Output {
        let fm = FileManager.default
        for dir in [checkpoints, samples] { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try AtomicFile.write(try jsonText(recorded, pretty: true), to: (folder as NSString).appendingPathComponent(RunLayout.config))
        let csv = try LossLogAppender(path: csvPath, header: LossColumns.header, keepingRowsThrough: iteration)
        // A new event file per start: after a resume TensorBoard shows the steps logged again on top of the old ones.
        let tensorboard = try recorded.tensorboard ? TensorBoardWriter(folder: (folder as NSString).appendingPathComponent(RunLayout.tensorboard)) : nil
        if let tensorboard { log("TensorBoard events: \(tensorboard.path) (follow with `tensorboard --logdir \(recorded.runsDir)`)") }
        let options = try Checkpoint.jsonString(recorded)
        return Output(csv: csv, tensorboard: tensorboard) { path, state in
            try Checkpoint.save(trainer.model, trainer: trainer, state: state, options: options, to: path)
        }
    }

    /// 5. The loop: one iteration, then whatever is due (a CSV row, a sample grid, the end of an epoch, a save,
    /// a stop signal).
    private func train(_ trainer: Trainer, on dataset: UnalignedDataset, from start: TrainingState,
                       writing output: Output, validating validation: Validation?) throws -> TrainingState {
        let c = config
        var state = start
        let loader = BatchLoader(dataset: dataset, batchSize: c.batchSize, start: (state.epoch, state.epochIteration),
                                 lastEpoch: c.schedule.lastEpoch)
        defer { loader.stop() }
        let interrupt = InterruptFlag()
        let perEpoch = loader.iterationsPerEpoch
        let totalIterations = (c.schedule.lastEpoch - c.schedule.epochCount + 1) * perEpoch
        let endIteration = c.maxIterations > 0 ? min(totalIterations, c.maxIterations) : totalIterations
        let n = c.network
        log("Training \(folder): \(perEpoch) iterations per epoch, epochs \(state.epoch)…\(c.schedule.lastEpoch), "
            + "\(n.netG.rawValue) ngf \(n.ngf), \(n.netD.rawValue) ndf \(n.ndf), \(c.preprocessing.preprocess.rawValue) "
            + "\(c.preprocessing.cropSize)")
        var clock = Date(), iterationsSinceLog = 0, secondsPerIteration = 0.0, lastSave = Date()
        while state.iteration < endIteration, let batch = try loader.next() {
            if batch.epoch != state.epoch {   // the loader is in another epoch (possible after the data set shrank since the checkpoint; untested)
                begin(epoch: batch.epoch, &state, trainer)
            }
            let (losses, visuals) = trainer.step(realA: batch.realA, realB: batch.realB)
            state.epochCycleLoss += Double(losses.cycle_A) + Double(losses.cycle_B)
            state.iteration += 1
            state.epochIteration += 1
            iterationsSinceLog += 1

            if state.iteration % c.printFreq == 0 || state.iteration == endIteration {
                secondsPerIteration = Date().timeIntervalSince(clock) / Double(iterationsSinceLog)
                clock = Date(); iterationsSinceLog = 0
                try output.csv.append([Double(state.iteration), Double(state.epoch)] + losses.values.map(Double.init)
                                      + [Double(state.learningRate), secondsPerIteration])
                try output.tensorboard?.scalars(Swift.zip(LossColumns.losses, losses.values).map { ("loss/\($0)", Double($1)) }
                                                + [(LossColumns.learningRate, Double(state.learningRate)),
                                                   (LossColumns.secondsPerIteration, secondsPerIteration)], step: state.iteration)
                log(progressLine(state, losses, perEpoch: perEpoch, secondsPerIteration: secondsPerIteration,
                                 remaining: endIteration - state.iteration))
            }
            if state.iteration % c.displayFreq == 0 {
                let grid = sampleGrid(visuals), path = (samples as NSString).appendingPathComponent(RunLayout.sampleName(iteration: state.iteration))
                try ImageFile.writePNG(grid, to: path)
                try output.tensorboard?.image("samples", png: try ImageFile.readAll(path), width: grid.shape[2], height: grid.shape[1],
                                              channels: grid.shape[0], step: state.iteration)
            }
            if state.epochIteration == perEpoch {
                // Validation and the plateau step come before epoch_N.h5, which then holds the epoch complete: a
                // run resumed from it (--epoch N) starts epoch N + 1 as an uninterrupted one does.
                if let validation, c.validation.isDue(after: state.epoch, first: c.schedule.epochCount) {
                    let result = try validation.run(trainer.model, runFolder: folder, epoch: state.epoch,
                                                    iteration: state.iteration, log: log)
                    clock += result.seconds   // seconds per iteration measure training alone
                    try output.tensorboard?.scalars(result.namedScores.map { ("val/\($0)", $1) }, step: state.iteration)
                    if c.schedule.policy == .plateau {
                        stepPlateau(&state, (result.psnrCycleA + result.psnrCycleB) / 2, higherIsBetter: true, "validation cycle PSNR")
                    }
                } else if c.schedule.policy == .plateau && validation == nil {
                    stepPlateau(&state, state.epochCycleLoss / Double(perEpoch), higherIsBetter: false, "mean cycle loss")
                }
                if (state.epoch - c.schedule.epochCount + 1) % c.saveEpochFreq == 0 {
                    try output.save((checkpoints as NSString).appendingPathComponent(RunLayout.epochCheckpoint(state.epoch)), state)
                }
                begin(epoch: state.epoch + 1, &state, trainer)   // a saved state points at the next epoch's start
            }
            if state.iteration % c.saveLatestFreq == 0 {
                try output.save(latestCheckpoint, state)
                if c.saveByIter {
                    try output.save((checkpoints as NSString).appendingPathComponent(RunLayout.iterationCheckpoint(state.iteration)), state)
                }
                lastSave = Date()
            } else if c.saveLatestMinutes > 0 && Date().timeIntervalSince(lastSave) >= c.saveLatestMinutes * 60 {
                let start = Date()
                try output.save(latestCheckpoint, state)
                lastSave = Date()
                log(String(format: "Saved %@ at iteration %d in %.2f s (every %g min)", latestCheckpoint, state.iteration,
                           lastSave.timeIntervalSince(start), c.saveLatestMinutes))
            }
            if let number = interrupt.stopSignal {
                try output.save(latestCheckpoint, state)
                log("Interrupted by \(InterruptFlag.name(number)): saved \(latestCheckpoint) at iteration \(state.iteration); "
                    + "resume with --continue_train")
                throw InterruptedError(signal: number)
            }
        }
        try output.save(latestCheckpoint, state)
        log("Done: \(state.iteration) iterations. Checkpoint \(latestCheckpoint), losses \(csvPath), samples in \(samples)/")
        return state
    }

    /// `--lr_policy plateau`: one scheduler step on this epoch's metric. The reference steps on a constant 0
    /// (its CycleGAN sets no metric), which cuts the rate every 6 epochs whatever happens; we step on what says
    /// whether the translation still improves: the validation images' mean cycle PSNR after each validation
    /// (with --val_freq; held-out images), else the epoch's mean training cycle loss (cycle_A + cycle_B).
    private func stepPlateau(_ state: inout TrainingState, _ metric: Double, higherIsBetter: Bool, _ what: String) {
        let before = state.plateau.scale
        state.plateau.step(metric, higherIsBetter: higherIsBetter, rate: config.method.lr)
        if state.plateau.scale != before {
            log(String(format: "Plateau: the %@ (%.4g) has not improved by 1 %% for %d steps: learning rate × %g",
                       what, metric, Plateau.patience + 1, Plateau.factor))
        }
    }

    /// Moves the run to `epoch` at its learning rate: the only place the epoch changes.
    private func begin(epoch: Int, _ state: inout TrainingState, _ trainer: Trainer) {
        state.epoch = epoch
        state.epochIteration = 0
        state.epochCycleLoss = 0
        state.learningRate = config.learningRate(epoch: epoch, plateau: state.plateau)
        trainer.learningRate = state.learningRate
    }

    private func progressLine(_ s: TrainingState, _ l: Losses, perEpoch: Int, secondsPerIteration: Double,
                              remaining: Int) -> String {
        let values = Swift.zip(Losses.names, l.values).map { "\($0) \(String(format: "%.3f", $1))" }.joined(separator: " ")
        return String(format: "epoch %d/%d  iter %d (%d/%d)  %@  lr %.2e  %.3f s/it  %@ left",
                      s.epoch, config.schedule.lastEpoch, s.iteration, s.epochIteration == 0 ? perEpoch : s.epochIteration, perEpoch,
                      values, s.learningRate, secondsPerIteration, formatDuration(Double(remaining) * secondsPerIteration))
    }
}

/// Mixed into the seed for the image pools' generator, so that their draws differ from the weights' (which use
/// the seed itself). The bytes spell "pool"; changing them changes every seeded run.
let poolSeedSalt: UInt64 = 0x706F6F6C

/// Thrown once latest.h5 is saved after a stop signal (Ctrl-C, `kill`, a closed terminal).
public struct InterruptedError: Error, CustomStringConvertible {
    public let signal: Int32
    /// 128 + the signal's number, as a shell reports a process ended by it: 130 SIGINT, 143 SIGTERM, 129 SIGHUP.
    public var exitCode: Int32 { 128 + signal }
    public var description: String { "interrupted by \(InterruptFlag.name(signal))" }
}

/// Set by SIGINT (Ctrl-C), SIGTERM (what `kill`, systemd, `docker stop` and SLURM send) and SIGHUP (the
/// terminal closed) so the loop can save before it stops; a second signal ends the process at once.
final class InterruptFlag: @unchecked Sendable {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var received: Int32?

    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT (Ctrl-C)"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(signal)"
        }
    }

    init() {
        for number in Self.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [unowned self] in
                lock.lock(); defer { lock.unlock() }
                if received != nil { exit(128 + number) }
                received = number
                FileHandle.standardError.write(Data(
                    "\n\(Self.name(number)): stopping after this iteration to save latest.h5 (send it again to quit now)…\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }

    /// The first stop signal received, if any.
    var stopSignal: Int32? { lock.lock(); defer { lock.unlock() }; return received }
}

/// "1h 02m", "3m 20s", "12s"
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite && seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh %02dm", s / 3600, s % 3600 / 60) }
    if s >= 60 { return String(format: "%dm %02ds", s / 60, s % 60) }
    return "\(s)s"
}

/// The one JSON encoding of the toolkit (config.json, checkpoint attributes): keys sorted, so that files diff
/// cleanly and repeat byte for byte; slashes unescaped, so that paths read as typed. `pretty`: indented, one key
/// per line, with a final newline.
func jsonText<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + (pretty ? "\n" : "")
}
