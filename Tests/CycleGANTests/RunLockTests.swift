import Foundation
import Testing

/// One training process per run folder, through the binary.
@Suite("Run-folder lock", .serialized)
struct RunLockTests {
    @Test("a second training process on a run is refused, naming the first; a lock left by an ended process does not block")
    func secondProcessRefused() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let common = endlessTrainArguments(root, name: "locked") + ["--save_latest_freq", "1"]
        let first = try TrainingProcess(common)
        first.read(until: "s/it")
        // The first save follows the first progress line: wait for it (on a busy machine it can lag).
        let latest = root + "/runs/locked/checkpoints/latest.h5"
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: latest) { usleep(50_000) }
        // (--max_iterations 1: were the lock broken, this would end at once instead of training on.)
        let (status, _, stderr) = try runCycleGAN(["train", "--continue_train", "--max_iterations", "1"] + common)
        #expect(status != 0 && stderr.contains("is being trained by another process (pid \(first.pid))"), "\(stderr)")
        #expect(first.stop(SIGTERM).0 == 143)

        // The lock file is still there, holding the ended process's id: it must not block.
        let lockFile = root + "/runs/locked/.lock"
        #expect(try String(contentsOfFile: lockFile, encoding: .utf8) == "\(first.pid)\n")
        let (resumed, _, resumeErr) = try runCycleGAN(["train", "--continue_train", "--max_iterations", "1"] + common)
        #expect(resumed == 0, "\(resumeErr)")
    }
}
