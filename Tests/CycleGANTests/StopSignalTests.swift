import Foundation
import Testing

/// Arguments of a tiny, endless run (1000 epochs) on `makeDataset`'s images under `root`.
func endlessTrainArguments(_ root: String, name: String) -> [String] {
    ["--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", name, "--netG", "resnet_6blocks",
     "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32", "--n_epochs", "1000",
     "--n_epochs_decay", "0", "--print_freq", "1"]
}

/// Stop signals through the binary, with stdout a pipe as under `nohup … > train.log` or `| tee`.
@Suite("Stop signals", .serialized)
struct StopSignalTests {
    @Test("SIGTERM and SIGHUP save latest.h5 and exit 143 / 129; progress lines arrive while training runs",
          arguments: [(SIGTERM, Int32(143)), (SIGHUP, Int32(129))])
    func stopSignal(_ signalAndStatus: (Int32, Int32)) throws {
        let (number, status) = signalAndStatus
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let common = endlessTrainArguments(root, name: "sig")
        let training = try TrainingProcess(common + ["--save_latest_freq", "100000"])
        // A progress line must arrive while the process runs: line-buffered output.
        let seen = training.read(until: "s/it")
        #expect(seen.contains("s/it"), "no progress line before the signal: \(seen)")
        // Block-buffered, the first bytes would come in one 4 KiB block, ~25 progress lines late.
        #expect(seen.utf8.count < 4096, "the first progress line came in a block of \(seen.utf8.count) bytes")
        #expect(training.process.isRunning)
        let (exit, rest, errors) = training.stop(number)
        #expect(training.process.terminationReason == .exit && exit == status, "\(errors)")
        #expect(rest.contains("Interrupted by") && rest.contains("resume with --continue_train"), "\(rest)")
        #expect(FileManager.default.fileExists(atPath: root + "/runs/sig/checkpoints/latest.h5"))
        let (resumed, _, resumeErr) = try runCycleGAN(["train", "--continue_train", "--max_iterations", "1"] + common)
        #expect(resumed == 0, "resuming after the signal: \(resumeErr)")
    }

    @Test("--save_latest_minutes saves latest.h5 by the clock: after kill -9 the run resumes from it")
    func timeBasedSave() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let common = endlessTrainArguments(root, name: "clock") + ["--save_latest_freq", "100000"]
        let training = try TrainingProcess(["--save_latest_minutes", "0.001"] + common)   // 60 ms
        #expect(training.read(until: "Saved ").contains("(every 0.001 min)"), "\(training.seen)")
        _ = training.stop(SIGKILL)   // no chance to save on the way out
        #expect(training.process.terminationReason == .uncaughtSignal)
        #expect(FileManager.default.fileExists(atPath: root + "/runs/clock/checkpoints/latest.h5"))
        let (resumed, stdout, stderr) = try runCycleGAN(["train", "--continue_train", "--max_iterations", "1"] + common)
        #expect(resumed == 0 && stdout.contains("Resuming"), "\(stderr)")

        let (status, _, badErr) = try runCycleGAN(["train", "--save_latest_minutes=-1"] + common)
        #expect(status != 0 && badErr.contains("--save_latest_minutes must be 0 (off) or more"), "\(badErr)")
    }
}
