import Codecs
import Foundation
import RunLayout
import Testing
@testable import CycleGAN

/// The reference's --direction, --max_dataset_size, --serial_batches, --save_by_iter and --epoch N.
@Suite("Reference data and saving options", .serialized)
struct DatasetOptionsTests {
    func run(_ c: TrainConfig) throws -> (TrainingState, [String]) {
        var lines: [String] = []
        let run = TrainingRun(c)
        run.log = { lines.append($0) }
        return (try run.run(), lines)
    }

    @Test("--serial_batches visits A in order and B at the same position; --max_dataset_size keeps the first N sorted")
    func serialAndLimited() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        let options = DatasetOptions(maxDatasetSize: 4, serialBatches: true)
        let a = options.limited(try ImageFolder.scan(root + "/data/trainA", role: "A"))
        let b = options.limited(try ImageFolder.scan(root + "/data/trainB", role: "B"))
        #expect(a.files.map { ($0 as NSString).lastPathComponent } == ["img_0.png", "img_1.png", "img_2.png", "img_3.png"])
        #expect(b.files.count == 3)
        let dataset = try UnalignedDataset(folderA: a, folderB: b, channelsA: 3, channelsB: 3, preprocess: PreprocessOptions(),
                                           seed: 1, serial: true)
        let order = dataset.permutation(epoch: 2)
        #expect(order == [0, 1, 2, 3])
        for position in 0..<4 {
            let s = try dataset.sample(epoch: 2, position: position, order: order)
            #expect(s.pathA == a.files[position] && s.pathB == b.files[position % 3])
        }
        // Without it: shuffled (for this seed and epoch) and B drawn at random.
        let shuffled = try UnalignedDataset(folderA: a, folderB: b, channelsA: 3, channelsB: 3, preprocess: PreprocessOptions(), seed: 1)
        #expect(shuffled.permutation(epoch: 2) != [0, 1, 2, 3])

        var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        c.dataset = DatasetOptions(maxDatasetSize: 2)
        let (state, log) = try run(c)
        #expect(state.iteration == 4)   // 2 epochs × 2 images
        #expect(log.contains { $0.hasPrefix("Checking 2 images in \(root)/data/trainA and 2 in") })
    }

    @Test("--direction BtoA swaps the domains for training and validation")
    func direction() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data", grayB: true)
        var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        c.dataset.direction = .BtoA
        c.network.inputNC = 1   // G_A now reads the gray trainB
        c.method.lambdaIdentity = 0
        c.validation.valFreq = 2
        let (_, log) = try run(c)
        #expect(log.contains { $0.contains("Checking 3 images in \(root)/data/trainB and 5 in \(root)/data/trainA") }, "\(log)")
        #expect(log.contains { $0.contains("(--direction BtoA: G_A learns trainB → trainA)") })
        #expect(log.contains { $0.contains("on 2 images in \(root)/data/testB and 2 in \(root)/data/testA") })
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/runs/tiny/config.json"))) as! [String: Any]
        #expect(json["direction"] as? String == "BtoA" && json["serial_batches"] as? Bool == false)
    }

    @Test("--save_by_iter keeps iter_N.h5; --continue_train --epoch N resumes from epoch_N.h5 and replays the same run")
    func savingAndEpochResume() throws {
        let root = temporaryFolder()
        try makeDataset(at: root + "/data")
        var c = tinyConfig(dataroot: root + "/data", runsDir: root + "/runs")
        c.saveByIter = true
        _ = try run(c)
        let folder = root + "/runs/tiny"
        let saved = try FileManager.default.contentsOfDirectory(atPath: folder + "/checkpoints").sorted()
        #expect(saved == ["epoch_1.h5", "epoch_2.h5", "iter_4.h5", "iter_8.h5", "latest.h5"])
        let original = try csvRowsWithoutTiming(folder + "/losses.csv")

        c.continueTrain = true
        c.resumeEpoch = 1
        let (state, log) = try run(c)
        #expect(log.contains { $0.contains("from epoch_1.h5 at iteration 5") }, "\(log)")
        let replayed = try csvRowsWithoutTiming(folder + "/losses.csv")
        #expect(state.iteration == 10 && replayed == original)

        c.resumeEpoch = 7
        #expect { try run(c) } throws: { "\($0)".contains("epoch_7.h5 does not exist: --epoch picks a saved epoch (this run has 1, 2)") }
        c.continueTrain = false
        #expect(c.problems().contains { $0.contains("--epoch 7 picks the checkpoint --continue_train resumes from") })
    }
}
