import CPlatform
import Foundation
import Synchronization

/// Wraps a value that is not `Sendable` (a raw pointer) so that it can cross into a parallel loop.
/// Safe here because every parallel loop writes disjoint ranges.
public struct Unchecked<T>: @unchecked Sendable {
    public let value: T
    @inlinable public init(_ value: T) { self.value = value }
}

/// The number of threads the kernels use, GEMMs included. Fixed once per process, when the first parallel
/// kernel runs, to the first of: a count `request`ed before then (the command line's `--num_threads`), the
/// environment variable CYCLEGAN_NUM_THREADS, and the CPUs this process may use (its affinity mask, e.g.
/// `taskset`, and its cgroup's CPU quota, e.g. `docker --cpus`; not the host's count: threads beyond the
/// CPUs granted spin against each other). No kernel result depends on the count (tested).
public enum KernelThreads {
    public static let variable = "CYCLEGAN_NUM_THREADS"
    private static let requested = Mutex<(count: Int, source: String)?>(nil)
    /// The count the worker pool was made with, once it is.
    private static let started = Mutex<Int?>(nil)

    /// Where the count came from, for the start-up line.
    public enum Source: Sendable, Equatable {
        case requested(String)
        case environment
        case available(affinity: Int?, quota: Double?)
    }

    /// The threads in use (fixes the count if no kernel has run yet).
    public static var count: Int { WorkerPool.shared.workers + 1 }

    /// Fixes the count before the first kernel runs. `source` names it in messages ("--num_threads").
    /// Throws for a count below 1, or when the kernels already run with another count.
    public static func request(_ n: Int, source: String) throws(KernelThreadsError) {
        guard n >= 1 else { throw .invalid("\(source) \(n): give 1 or more threads") }
        if let running = started.withLock({ $0 }) {
            if running != n { throw .alreadyRunning(running) }
            return
        }
        requested.withLock { $0 = (n, source) }
        _ = count
    }

    /// The count for the pool, recorded as fixed.
    fileprivate static func start() throws(KernelThreadsError) -> Int {
        let n = try resolve().count
        started.withLock { $0 = n }
        return n
    }

    /// The count the pool is made with, and why. Throws for a malformed CYCLEGAN_NUM_THREADS.
    public static func resolve() throws(KernelThreadsError) -> (count: Int, source: Source) {
        if let r = requested.withLock({ $0 }) { return (r.count, .requested(r.source)) }
        if let text = ProcessInfo.processInfo.environment[variable] {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 1 else {
                throw .invalid("\(variable)=\(text): give a whole number of threads, 1 or more (or unset it)")
            }
            return (n, .environment)
        }
        let (affinity, quota) = (affinityCPUs(), cgroupQuota())
        var n = affinity ?? ProcessInfo.processInfo.activeProcessorCount
        if let quota { n = min(n, max(1, Int(quota.rounded(.up)))) }
        return (max(n, 1), .available(affinity: affinity, quota: quota))
    }

    /// One line for the start of a command: "2 threads (the CPUs this process may use: …)".
    public static func describe() -> String {
        let source = (try? resolve())?.source
        let why: String
        switch source {
        case .requested(let flag)?: why = "from \(flag)"
        case .environment?: why = "from \(variable)"
        case .available(let affinity, let quota)?:
            why = "the CPUs this process may use: " + (affinity.map { "\($0) in its affinity mask" } ?? "affinity unknown")
                + (quota.map { ", cgroup quota \(String(format: "%.2g", $0)) CPUs" } ?? "")
        case nil: why = "fixed before the options were read"
        }
        let n = count
        return "\(n) thread\(n == 1 ? "" : "s") (\(why))"
    }

    /// CPUs in the affinity mask; nil where the platform has none.
    public static func affinityCPUs() -> Int? {
        let n = Int(cplatform_affinity_cpus())
        return n > 0 ? n : nil
    }

    /// The cgroup's CPU quota in CPUs (v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`); nil when
    /// unlimited or unreadable. `root` and `membership` are the mount and /proc/self/cgroup (tests: a folder).
    public static func cgroupQuota(root: String = "/sys/fs/cgroup", membership: String = "/proc/self/cgroup") -> Double? {
        func read(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // v2: the process's own group (from /proc/self/cgroup, "0::/path"), else the root of the mount.
        var groups = [root]
        if let line = read(membership)?.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) {
            groups.insert(root + line.dropFirst(3), at: 0)
        }
        for group in groups {
            guard let fields = read(group + "/cpu.max")?.split(separator: " "), fields.count == 2 else { continue }
            guard let quota = Double(fields[0]), let period = Double(fields[1]), period > 0 else { return nil }  // "max"
            return quota / period
        }
        if let quota = read(root + "/cpu/cpu.cfs_quota_us").flatMap(Double.init),
           let period = read(root + "/cpu/cpu.cfs_period_us").flatMap(Double.init), quota > 0, period > 0 {
            return quota / period
        }
        return nil
    }
}

public enum KernelThreadsError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case alreadyRunning(Int)

    public var description: String {
        switch self {
        case .invalid(let message): return message
        case .alreadyRunning(let n): return "the kernels already run with \(n) threads: ask for threads before the first kernel runs"
        }
    }
}

/// Runs `body(range)` over `0..<count` split into contiguous chunks, in parallel when the work
/// (`count × costPerItem` floats touched) is big enough to pay for the hand-off (~1 µs to a spinning
/// worker, tens of µs to a sleeping one).
@inlinable
public func parallelChunks(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = poolThreads()
    if threads <= 1 || count < 2 || count &* costPerItem < 1 << 16 {
        body(0..<count)
        return
    }
    let chunks = min(threads, count)
    parallelParts(chunks) { i in body(count * i / chunks ..< count * (i + 1) / chunks) }
}

/// Threads of the pool that `parallelParts` uses.
@usableFromInline func poolThreads() -> Int { (WorkerPool.override ?? WorkerPool.shared).workers + 1 }

/// Runs `body(0)`, …, `body(parts − 1)` at once: part 0 on the calling thread, the others on the workers.
/// At most `KernelThreads.count` parts run in parallel; more run in turn.
public func parallelParts(_ parts: Int, _ body: (Int) -> Void) {
    (WorkerPool.override ?? WorkerPool.shared).run(parts, body)
}

/// The threads behind `parallelParts`: KernelThreads.count − 1 workers that, after a job, wait for the next one
/// for 10 ms (spinning, then yielding) before sleeping. A training iteration at 64² runs thousands of parallel
/// regions, and waking a sleeping thread through the kernel takes tens of µs (perf: ~10 % of CPU time was the
/// scheduler's with `DispatchQueue.concurrentPerform`). One job at a time: a caller that finds the pool busy
/// (another thread, or a parallel loop nested in a job) runs its parts itself, in turn.
final class WorkerPool: @unchecked Sendable {
    /// A pool of another size for the calling task (tests: kernels at 1, 3 and 8 threads in one process).
    @TaskLocal static var override: WorkerPool?

    static let shared: WorkerPool = {
        do { return WorkerPool(workers: try KernelThreads.start() - 1) }
        catch { fatalError("\(error)") }   // the command line checks CYCLEGAN_NUM_THREADS before any kernel runs
    }()

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
    /// How long an idle worker waits for the next job before sleeping. Long, because in a VM a sleeping vCPU
    /// is handed to another guest and comes back late (measured on a 2-vCPU KVM Xeon at 64²: 0.1 ms → 0.33–
    /// 1.1 s/iter with 1–8 % of the CPUs stolen; 10 ms → 0.29–0.31 s/iter, < 0.5 % stolen); OpenMP spins as
    /// long (libgomp: 300 000 pauses).
    private static let spinNanoseconds: UInt64 = 10_000_000
    /// Waits (worker or caller) longer than this many checks yield the CPU at each further check: free when
    /// the CPU is ours, and when it is shared (more threads than CPUs, another busy process) the thread being
    /// waited for runs instead of the waiting one spinning out its time slice (64² with 2 threads on one CPU:
    /// 0.45 s/iter against 10 s without yielding).
    private static let yieldAfterChecks = 2000

    init(workers: Int) {
        self.workers = workers
        for index in 0..<workers {
            // The workers hold their pool: a pool lives as long as the process (tests make a few of other sizes).
            let thread = Thread { self.work(as: index + 1) }
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
            var checks = 0
            while pending.load(ordering: .acquiring) > 0 {
                checks &+= 1
                if checks >= Self.yieldAfterChecks { sched_yield() }
            }
            job = nil
        }
    }

    private func work(as index: Int) {
        var seen = 0
        while true {
            var checks = 0
            var idleSince = DispatchTime.now().uptimeNanoseconds
            var current = generation.load(ordering: .acquiring)
            while current == seen {
                checks &+= 1
                if checks & 255 == 0, DispatchTime.now().uptimeNanoseconds &- idleSince >= Self.spinNanoseconds {
                    // Sleep. `run` checks `sleepers` after bumping `generation`; both are sequentially
                    // consistent, so either it sees this sleeper or the check below sees its job.
                    wake.lock()
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    wake.unlock()
                    idleSince = DispatchTime.now().uptimeNanoseconds
                }
                if checks >= Self.yieldAfterChecks { sched_yield() }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            if index < parts { job!(index) }
            pending.subtract(1, ordering: .releasing)
        }
    }
}
