import Foundation
import Tensor

/// One training batch: A and B images [N, C, h, w] in [−1, 1].
public struct Batch: Sendable {
    public let epoch: Int
    /// Iterations finished within the epoch before this batch.
    public let epochIteration: Int
    public let realA: Tensor
    public let realB: Tensor
}

/// Decodes and preprocesses batches on a background thread, a few ahead of the training step, so the
/// step never waits on disk or resizing. Batches come out in order, from a start position to the end.
public final class BatchLoader: @unchecked Sendable {
    private let dataset: UnalignedDataset
    private let batchSize: Int
    private let condition = NSCondition()
    private var ready: [Result<Batch, Error>] = []
    private var stopped = false
    private let capacity = 3

    public var iterationsPerEpoch: Int { (dataset.epochSize + batchSize - 1) / batchSize }

    /// Batches of epochs `start.epoch ... lastEpoch`, starting after `start.epochIteration` iterations.
    public init(dataset: UnalignedDataset, batchSize: Int, start: (epoch: Int, epochIteration: Int), lastEpoch: Int) {
        self.dataset = dataset
        self.batchSize = batchSize
        let thread = Thread { [unowned self] in self.produce(from: start, lastEpoch: lastEpoch) }
        thread.name = "cyclegan.loader"
        thread.start()
    }

    deinit { stop() }

    /// The next batch (waits for it); nil after the last epoch.
    public func next() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !stopped { condition.wait() }
        if ready.isEmpty { return nil }
        let result = ready.removeFirst()
        condition.signal()
        return try result.get()
    }

    /// Ends the background work.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func produce(from start: (epoch: Int, epochIteration: Int), lastEpoch: Int) {
        var epoch = start.epoch, iteration = start.epochIteration
        while epoch <= lastEpoch {
            let order = dataset.permutation(epoch: epoch)
            while iteration < iterationsPerEpoch {
                let result = Result { try makeBatch(epoch: epoch, iteration: iteration, order: order) }
                condition.lock()
                while ready.count >= capacity && !stopped { condition.wait() }
                if stopped { condition.unlock(); return }
                ready.append(result)
                condition.signal()
                condition.unlock()
                if case .failure = result { return }
                iteration += 1
            }
            epoch += 1
            iteration = 0
        }
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func makeBatch(epoch: Int, iteration: Int, order: [Int]) throws -> Batch {
        let positions = (iteration * batchSize ..< min((iteration + 1) * batchSize, dataset.epochSize))
        let samples = try positions.map { try dataset.sample(epoch: epoch, position: $0, order: order) }
        return Batch(epoch: epoch, epochIteration: iteration,
                     realA: try stack(samples.map(\.a), paths: samples.map(\.pathA)),
                     realB: try stack(samples.map(\.b), paths: samples.map(\.pathB)))
    }

    /// [C, h, w] images → [N, C, h, w]; all must have one size.
    private func stack(_ images: [Tensor], paths: [String]) throws -> Tensor {
        let shape = images[0].shape
        if let odd = images.firstIndex(where: { $0.shape != shape }) {
            throw DataError("\(paths[odd]) has size \(images[odd].shape.dropFirst()) but \(paths[0]) has \(shape.dropFirst()) "
                            + "in the same batch: use --batch_size 1 or a cropping --preprocess")
        }
        return Tensor(shape: [images.count] + shape, values: images.flatMap(\.scalars))
    }
}
