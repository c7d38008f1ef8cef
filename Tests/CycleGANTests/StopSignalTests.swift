import Foundation
import Testing

/// Stop signals through the binary, with stdout a pipe as under `nohup … > train.log` or `| tee`.
@Suite("Stop signals", .serialized)
struct StopSignalTests {
    @Test("SIGTERM and SIGHUP save latest.h5 and exit 143 / 129; progress lines arrive while training runs",
          arguments: [(SIGTERM, Int32(143)), (SIGHUP, Int32(129))])
    func stopSignal(_ signalAndStatus: (Int32, Int32)) throws {
        let (number, status) = signalAndStatus
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        guard let binary = cycleganBinary() else { Issue.record("no cyclegan binary"); return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "sig",
                             "--netG", "resnet_6blocks", "--ngf", "4", "--ndf", "4", "--load_size", "36",
                             "--crop_size", "32", "--print_freq", "1", "--save_latest_freq", "100000",
                             "--n_epochs", "1000", "--n_epochs_decay", "0"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // A progress line must arrive while the process runs: line-buffered output.
        var seen = ""
        let deadline = Date().addingTimeInterval(120)
        while !seen.contains("s/it"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(seen.contains("s/it"), "no progress line before the signal: \(seen)")
        // Block-buffered, the first bytes would come in one 4 KiB block, ~25 progress lines late.
        #expect(seen.utf8.count < 4096, "the first progress line came in a block of \(seen.utf8.count) bytes")
        #expect(process.isRunning)
        kill(process.processIdentifier, number)
        let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == status, "\(errors)")
        #expect(rest.contains("Interrupted by") && rest.contains("resume with --continue_train"), "\(rest)")
        #expect(FileManager.default.fileExists(atPath: root + "/runs/sig/checkpoints/latest.h5"))
        let (resumed, _, resumeErr) = try runCycleGAN([
            "train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "sig", "--continue_train",
            "--netG", "resnet_6blocks", "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32",
            "--n_epochs", "1000", "--n_epochs_decay", "0", "--max_iterations", "1"])
        #expect(resumed == 0, "resuming after the signal: \(resumeErr)")
    }

    @Test("--save_latest_minutes saves latest.h5 by the clock: after kill -9 the run resumes from it")
    func timeBasedSave() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        guard let binary = cycleganBinary() else { Issue.record("no cyclegan binary"); return }
        let common = ["--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "clock", "--netG", "resnet_6blocks",
                      "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32", "--n_epochs", "1000",
                      "--n_epochs_decay", "0", "--print_freq", "1", "--save_latest_freq", "100000"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["train", "--save_latest_minutes", "0.001"] + common   // 60 ms
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("Saved ") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(seen.contains("(every 0.001 min)"), "\(seen)")
        kill(process.processIdentifier, SIGKILL)   // no chance to save on the way out
        _ = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(FileManager.default.fileExists(atPath: root + "/runs/clock/checkpoints/latest.h5"))
        let (resumed, stdout, stderr) = try runCycleGAN(["train", "--continue_train", "--max_iterations", "1"] + common)
        #expect(resumed == 0 && stdout.contains("Resuming"), "\(stderr)")

        let (status, _, badErr) = try runCycleGAN(["train", "--save_latest_minutes=-1"] + common)
        #expect(status != 0 && badErr.contains("--save_latest_minutes must be 0 (off) or more"), "\(badErr)")
    }
}
