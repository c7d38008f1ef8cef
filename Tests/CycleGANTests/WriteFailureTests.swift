import Foundation
import Testing

/// Writes that fail (a full disk, a quota) end training with one line, keep the last good checkpoint and
/// leave no temporary file. The failure is injected with a file-size limit (`ulimit -f`: writes past it fail
/// with EFBIG, as on a full disk with ENOSPC), which needs no privileges; checked by hand on a full tmpfs too.
@Suite("Write failures", .serialized)
struct WriteFailureTests {
    @Test("a checkpoint that cannot be written: one line, exit 1, the previous latest.h5 intact, no temporary file")
    func checkpointWriteFails() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        guard let binary = cycleganBinary() else { Issue.record("no cyclegan binary"); return }
        let common = endlessTrainArguments(root, name: "full")
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
        let left = try FileManager.default.contentsOfDirectory(atPath: checkpoints)
        #expect(left.allSatisfy { $0 == "latest.h5" || $0.hasPrefix("epoch_") && $0.hasSuffix(".h5") },
                "only checkpoints, no temporary file: \(left)")
        let rows = try String(contentsOfFile: root + "/runs/full/losses.csv", encoding: .utf8).split(separator: "\n")
        #expect(rows.allSatisfy { $0.split(separator: ",").count == 12 }, "\(rows)")

        let (resumed, _, resumeErr) = try runCycleGAN(["train", "--continue_train", "--max_iterations", "3"] + common)
        #expect(resumed == 0, "the intact checkpoint resumes: \(resumeErr)")
    }
}
