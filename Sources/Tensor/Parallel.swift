import Foundation
import Synchronization

/// Wraps a value that is not `Sendable` (a raw pointer) so that it can cross into a parallel loop.
/// Safe here because every parallel loop writes disjoint ranges.
public struct Unchecked<T>: @unchecked Sendable {
    public let value: T
    @inlinable public init(_ value: T) { self.value = value }
}

/// Number of worker threads for the kernels, GEMMs included (the machine has 2 cores).
public nonisolated(unsafe) var kernelThreads = 2

/// Runs `body(range)` over `0..<count` split into contiguous chunks, in parallel when the work
/// (`count × costPerItem` floats touched) is big enough to pay for the hand-off (~1 µs to a spinning
/// worker, tens of µs to a sleeping one).
@inlinable
public func parallelChunks(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = kernelThreads
    if threads <= 1 || count < 2 || count &* costPerItem < 1 << 16 {
        body(0..<count)
        return
    }
    let chunks = min(threads, count)
    parallelParts(chunks) { i in body(count * i / chunks ..< count * (i + 1) / chunks) }
}

/// Runs `body(0)`, …, `body(parts − 1)` at once: part 0 on the calling thread, the others on the workers.
/// At most `kernelThreads` parts run in parallel; more run in turn.
public func parallelParts(_ parts: Int, _ body: (Int) -> Void) {
    WorkerPool.shared.run(parts, body)
}

/// The threads behind `parallelParts`: kernelThreads − 1 workers that, after a job, spin for the next one
/// for ~0.1 ms before sleeping. Waking a sleeping thread through the kernel took tens of µs on this VM,
/// and a training iteration at 64² runs thousands of parallel regions (perf: ~10 % of CPU time was
/// the scheduler's, with `DispatchQueue.concurrentPerform`). One job at a time: a caller that finds the
/// pool busy (another thread, or a parallel loop nested in a job) runs its parts itself, in turn.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: max(kernelThreads - 1, 0))

    let workers: Int
    /// Bumped for each job; a worker runs a job when it sees a value it has not seen.
    private let generation = Atomic<Int>(0)
    /// Workers still inside the current job.
    private let pending = Atomic<Int>(0)
    /// Workers asleep on `wake` (they sleep only after spinning without a job).
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let wake = NSCondition()
    /// The current job and its part count: written before `generation` is bumped, read after it is seen.
    private var job: ((Int) -> Void)?
    private var parts = 0
    private static let spinLimit = 1 << 17

    init(workers: Int) {
        self.workers = workers
        for index in 0..<workers {
            let thread = Thread { [unowned self] in self.work(as: index + 1) }
            thread.name = "kernel worker \(index + 1)"
            thread.start()
        }
    }

    func run(_ parts: Int, _ body: (Int) -> Void) {
        guard parts > 1, workers > 0,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<parts { body(i) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        let threads = workers + 1
        withoutActuallyEscaping(body) { body in
            // Parts beyond the thread count go round: thread t runs parts t, t + threads, …
            job = { t in for part in stride(from: t, to: parts, by: threads) { body(part) } }
            self.parts = parts
            pending.store(workers, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock(); wake.broadcast(); wake.unlock()
            }
            job!(0)
            while pending.load(ordering: .acquiring) > 0 {}
            job = nil
        }
    }

    private func work(as index: Int) {
        var seen = 0
        while true {
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                spins &+= 1
                if spins >= Self.spinLimit {
                    // Sleep. `run` checks `sleepers` after bumping `generation`; both are sequentially
                    // consistent, so either it sees this sleeper or the check below sees its job.
                    wake.lock()
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    wake.unlock()
                    spins = 0
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if index < parts { job!(index) }
            pending.subtract(1, ordering: .releasing)
        }
    }
}
