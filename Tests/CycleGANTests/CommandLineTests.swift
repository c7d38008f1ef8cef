import Foundation
import Testing

/// The `cyclegan` binary built beside the test bundle.
func cycleganBinary() -> String? {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [folder.appendingPathComponent("cyclegan").path,
                      folder.deletingLastPathComponent().appendingPathComponent("cyclegan").path]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs the binary, with `environment` added to this process's; returns (exit status, stdout, stderr).
func runCycleGAN(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
    guard let binary = cycleganBinary() else {
        Issue.record("the cyclegan binary was not found beside \(CommandLine.arguments[0])")
        return (-1, "", "")
    }
    return try runProcess(binary, arguments, environment: environment)
}

/// Runs a command through bash; returns (exit status, stdout, stderr).
func runShell(_ command: String) throws -> (Int32, String, String) {
    try runProcess("/bin/bash", ["-c", command])
}

func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, stdout, stderr)
}

/// `cyclegan train …` started in the background, its stdout a pipe (as under `nohup … > log` or `| tee`).
final class TrainingProcess {
    let process = Process()
    let out = Pipe(), err = Pipe()
    /// stdout read so far.
    private(set) var seen = ""

    init(_ arguments: [String]) throws {
        guard let binary = cycleganBinary() else { throw CocoaError(.fileNoSuchFile) }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["train"] + arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Reads stdout until it holds `marker` (or the process closes it); returns what was read.
    @discardableResult
    func read(until marker: String) -> String {
        while !seen.contains(marker) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        return seen
    }

    /// Sends `signal`, waits for the exit; returns (status, the rest of stdout, stderr).
    func stop(_ signal: Int32) -> (Int32, String, String) {
        kill(pid, signal)
        let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, rest, errors)
    }
}

@Suite("Command line")
struct CommandLineTests {
    @Test("bad input exits non-zero with one line naming the folder")
    func missingData() throws {
        let root = temporaryFolder()
        let (status, _, stderr) = try runCycleGAN(["train", "--dataroot", root + "/missing", "--runs_dir", root + "/runs"])
        #expect(status != 0)
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("missing/trainA does not exist"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/runs"))
    }

    @Test("option problems are caught before reading any data")
    func badOptions() throws {
        let (status, _, stderr) = try runCycleGAN(["train", "--dataroot", "x", "--input_nc", "1", "--output_nc", "3"])
        #expect(status != 0 && stderr.contains("--lambda_identity 0"), "\(stderr)")
    }

    @Test("train, inspect and translate through the command line")
    func trainInspectTranslate() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let (status, stdout, stderr) = try runCycleGAN([
            "train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", "cli", "--netG", "resnet_6blocks",
            "--ngf", "4", "--ndf", "4", "--load_size", "36", "--crop_size", "32", "--n_epochs", "1", "--n_epochs_decay", "0",
            "--print_freq", "2"])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("epoch 1/1") && stdout.contains("s/it"), "progress lines: \(stdout)")
        let (inspectStatus, info, _) = try runCycleGAN(["inspect", root + "/runs/cli/checkpoints/latest.h5"])
        #expect(inspectStatus == 0 && info.contains("G_A (generator A→B)") && info.contains("iteration 5"), "\(info)")
        let (translateStatus, _, translateErr) = try runCycleGAN([
            "translate", "--run", root + "/runs/cli", "--direction", "BtoA", "--input", root + "/data/testB"])
        #expect(translateStatus == 0, "\(translateErr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: root + "/runs/cli/translations/BtoA").sorted()
        #expect(written == ["img_0.png", "img_1.png"])
    }
}
