import Codecs
import Foundation
import Testing

/// The thread count through the binary: chosen by --num_threads or CYCLEGAN_NUM_THREADS, printed, checked,
/// and without effect on any bit of a run.
@Suite("Thread count", .serialized)
struct ThreadCountTests {
    /// 64² crops and ngf = ndf = 8: the residual blocks (32 channels, 16 tiles) take the Winograd path and the
    /// first and last convolutions' GEMMs are large enough to be split between threads.
    func train(_ root: String, name: String, threads: Int, iterations: Int, resume: Bool = false) throws -> String {
        var arguments = ["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", name,
                         "--netG", "resnet_6blocks", "--ngf", "8", "--ndf", "8", "--load_size", "68", "--crop_size", "64",
                         "--seed", "3", "--print_freq", "1", "--save_latest_freq", "100", "--max_iterations", "\(iterations)",
                         "--num_threads", "\(threads)"]
        if resume { arguments.append("--continue_train") }
        let (status, stdout, stderr) = try runCycleGAN(arguments)
        #expect(status == 0, "\(stderr)")
        return stdout
    }

    @Test("trained with 2 threads and resumed with 3 equals trained with 1, bit for bit")
    func sameBitsWhateverTheCount() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data", size: 72)
        let one = try train(root, name: "one", threads: 1, iterations: 4)
        #expect(one.contains("Compute: 1 thread (from --num_threads)"), "\(one)")
        _ = try train(root, name: "parts", threads: 2, iterations: 2)
        let resumed = try train(root, name: "parts", threads: 3, iterations: 4, resume: true)
        #expect(resumed.contains("Compute: 3 threads (from --num_threads)"), "\(resumed)")

        #expect(try csvRowsWithoutTiming(root + "/runs/one/losses.csv") == csvRowsWithoutTiming(root + "/runs/parts/losses.csv"))
        let fa = try HDF5File(path: root + "/runs/one/checkpoints/latest.h5", mode: .read)
        let fb = try HDF5File(path: root + "/runs/parts/checkpoints/latest.h5", mode: .read)
        defer { fa.close(); fb.close() }
        let datasets = try fa.datasetNames(under: "/")
        #expect(datasets == (try fb.datasetNames(under: "/")) && datasets.count > 100)
        var differing: [String] = []
        for name in datasets where name != "rng_state" {
            if try fa.read(name).scalars != fb.read(name).scalars { differing.append(name) }
        }
        #expect(differing.isEmpty, "datasets that differ: \(differing.prefix(5))")
    }

    @Test("the default is printed; bad counts stop with one line, before any data is read")
    func defaultAndBadCounts() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let (status, stdout, stderr) = try runCycleGAN([
            "translate", "--checkpoint", root + "/missing.h5", "--direction", "AtoB", "--input", root + "/data/testA",
            "--output", root + "/out"])
        #expect(status != 0 && stderr.contains("missing.h5"), "\(stderr)")
        #expect(stdout.contains("Compute: ") && stdout.contains("the CPUs this process may use"), "\(stdout)")

        for bad in ["0", "-2"] {
            let (status, _, stderr) = try runCycleGAN(["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs",
                                                       "--num_threads=\(bad)"])
            let lines = stderr.split(separator: "\n")
            #expect(status != 0 && lines.count >= 1 && lines[0].contains("--num_threads \(bad): give 1 or more threads"), "\(stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/runs"))
        let (envStatus, _, envErr) = try runCycleGAN(["bench", "--size", "16", "--iters", "1"],
                                                     environment: ["CYCLEGAN_NUM_THREADS": "many"])
        #expect(envStatus != 0 && envErr.contains("CYCLEGAN_NUM_THREADS=many: give a whole number"), "\(envErr)")
    }
}
