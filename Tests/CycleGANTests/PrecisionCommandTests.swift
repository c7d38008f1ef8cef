import Codecs
import Foundation
import Testing
import Tensor

/// `--precision` through the binary: bf16 trains, resumes in f32 (checkpoints are the same in both) and
/// translates where the CPU has bf16, close to f32 but not equal to it; elsewhere one line refuses it
/// before anything is written.
@Suite("--precision through the binary", .serialized)
struct PrecisionCommandTests {
    func train(_ root: String, name: String, iterations: Int, _ extra: [String]) throws -> (Int32, String, String) {
        try runCycleGAN(["train", "--dataroot", root + "/data", "--runs_dir", root + "/runs", "--name", name,
                         "--netG", "resnet_6blocks", "--ngf", "8", "--ndf", "8", "--load_size", "36", "--crop_size", "32",
                         "--seed", "3", "--print_freq", "1", "--save_latest_freq", "100",
                         "--max_iterations", "\(iterations)"] + extra)
    }

    /// The loss columns (D_A … idt_B) of each row of a run's losses.csv.
    func losses(_ root: String, _ name: String) throws -> [[Double]] {
        try csvRowsWithoutTiming(root + "/runs/\(name)/losses.csv").dropFirst().map {
            $0.split(separator: ",").dropFirst(2).dropLast().map { Double($0)! }
        }
    }

    @Test("bf16 trains, resumes in f32 and translates, near f32's numbers; refused in one line without bf16")
    func bf16() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let (status, stdout, stderr) = try train(root, name: "bf16", iterations: 2, ["--precision", "bf16"])
        guard (try? Precision.bf16.checkSupported()) != nil else {
            print("this CPU or system cannot compute in bf16: checking the refusal only")
            #expect(status != 0 && stderr.contains("--precision bf16: "), "\(stderr)")
            #expect(!FileManager.default.fileExists(atPath: root + "/runs/bf16"))
            return
        }
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("Precision: bf16 operands (every convolution's inputs rounded to bf16, sums in f32)"), "\(stdout)")
        let (f32Status, f32Out, f32Err) = try train(root, name: "f32", iterations: 2, [])
        #expect(f32Status == 0 && !f32Out.contains("Precision:"), "\(f32Err)")

        // The first row: the same weights and images, so only the products' rounding differs.
        let (bf16Rows, f32Rows) = (try losses(root, "bf16"), try losses(root, "f32"))
        #expect(bf16Rows.count == 2 && f32Rows.count == 2)
        let worst = zip(bf16Rows[0], f32Rows[0]).map { abs($0 - $1) / max(abs($1), 1e-3) }.max()!
        print("first losses, bf16 against f32: largest relative difference \(worst)")
        #expect(worst > 0 && worst < 0.05, "bf16 \(bf16Rows[0]) against f32 \(f32Rows[0])")

        // Resumed in the other precision from the bf16 run's checkpoint.
        let (resumed, _, resumeErr) = try train(root, name: "bf16", iterations: 3, ["--continue_train"])
        #expect(resumed == 0, "\(resumeErr)")
        #expect(try losses(root, "bf16").count == 3)

        var translations: [Tensor] = []
        for precision in ["bf16", "f32"] {
            let (status, stdout, stderr) = try runCycleGAN([
                "translate", "--run", root + "/runs/bf16", "--direction", "AtoB", "--input", root + "/data/testA",
                "--output", root + "/out-\(precision)", "--precision", precision])
            #expect(status == 0 && stdout.contains("Translating 2 images"), "\(stderr)")
            translations.append(try ImageFile.read(root + "/out-\(precision)/img_0.png"))
        }
        let difference = (translations[0] - translations[1]).maxAbs()
        print("translation, bf16 against f32: largest difference \(difference) (of 1)")
        #expect(difference < 0.05)
    }
}
