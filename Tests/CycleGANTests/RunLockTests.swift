import Foundation
import Testing

/// One training process per run folder, through the binary.
@Suite("Run-folder lock", .serialized)
struct RunLockTests {
    @Test("a second training process on a run is refused, naming the first; a lock left by an ended process does not block")
    func secondProcessRefused() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        guard let binary = cycleganBinary() else { Issue.record("no cyclegan binary"); return }
        let common = ["--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "locked", "--netG", "resnet_6blocks",
                      "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32", "--n_epochs", "1000",
                      "--n_epochs_decay", "0", "--print_freq", "1", "--save_latest_freq", "1"]
        let first = Process()
        first.executableURL = URL(fileURLWithPath: binary)
        first.arguments = ["train"] + common
        let out = Pipe()
        first.standardOutput = out
        first.standardError = FileHandle.nullDevice
        try first.run()
        var seen = ""
        while !seen.contains("s/it") {   // a checkpoint exists once the first progress line is out
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        // (--max_iterations 1: were the lock broken, this would end at once instead of training on.)
        let (status, _, stderr) = try runCycleGAN(["train", "--continue_train", "--max_iterations", "1"] + common)
        #expect(status != 0 && stderr.contains("is being trained by another process (pid \(first.processIdentifier))"),
                "\(stderr)")
        kill(first.processIdentifier, SIGTERM)
        _ = out.fileHandleForReading.readDataToEndOfFile()
        first.waitUntilExit()
        #expect(first.terminationStatus == 143)

        // The lock file is still there, holding the ended process's id: it must not block.
        let lockFile = root + "/runs/locked/.lock"
        #expect(try String(contentsOfFile: lockFile, encoding: .utf8) == "\(first.processIdentifier)\n")
        let (resumed, _, resumeErr) = try runCycleGAN(["train", "--continue_train", "--max_iterations", "1"] + common)
        #expect(resumed == 0, "\(resumeErr)")
    }
}
