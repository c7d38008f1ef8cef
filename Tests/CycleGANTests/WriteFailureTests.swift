import Foundation
import Testing

/// Writes that fail (a full disk, a quota) end training with one line, keep the last good checkpoint and
/// leave no temporary file. The failure is injected with a file-size limit (`ulimit -f`: writes past it fail
/// with EFBIG, as on a full disk with ENOSPC), which needs no privileges; checked by hand on a full tmpfs too.
@Suite("Write failures", .serialized)
struct WriteFailureTests {
    @Test("a checkpoint that cannot be written: one line, exit 1, the previous latest.h5 intact, no .partial")
    func checkpointWriteFails() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        guard let binary = cycleganBinary() else { Issue.record("no cyclegan binary"); return }
        let common = ["--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "full", "--netG", "resnet_6blocks",
                      "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32", "--print_freq", "1"]
        let (first, _, firstErr) = try runCycleGAN(["train", "--max_iterations", "2"] + common)
        #expect(first == 0, "\(firstErr)")
        let checkpoints = root + "/runs/full/checkpoints"
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoints + "/latest.h5"))
        #expect(before.count > 200_000)

        // 100 KiB per file: the CSV rows fit, the checkpoint does not. SIGXFSZ ignored: the write fails instead.
        let quoted = (["train", "--continue_train", "--max_iterations", "4"] + common).map { "'\($0)'" }.joined(separator: " ")
        let (status, _, stderr) = try runShell("trap '' XFSZ; ulimit -f 100; exec '\(binary)' \(quoted)")
        let lines = stderr.split(separator: "\n")
        #expect(status == 1 && lines.count == 1 && lines[0].contains("latest.h5 could not be saved")
                && lines[0].contains("unchanged"), "status \(status): \(stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoints + "/latest.h5")) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints).filter { $0.hasSuffix(".partial") }.isEmpty)
        let rows = try String(contentsOfFile: root + "/runs/full/losses.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.allSatisfy { $0.split(separator: ",").count == 12 }, "\(rows)")

        let (resumed, _, resumeErr) = try runCycleGAN(["train", "--continue_train", "--max_iterations", "3"] + common)
        #expect(resumed == 0, "the intact checkpoint resumes: \(resumeErr)")
    }
}

/// Runs a command through bash; returns (exit status, stdout, stderr).
func runShell(_ command: String) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", command]
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, stdout, stderr)
}
