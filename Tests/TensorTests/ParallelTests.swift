import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Tensor

/// The worker pool: every part runs exactly once, whatever the part count, nesting or callers.
@Suite("Worker pool")
struct ParallelTests {
    func counts(_ parts: Int, _ run: (_ body: (Int) -> Void) -> Void) -> [Int] {
        let hits = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: parts)
        for i in 0..<parts { (hits + i).initialize(to: Atomic(0)) }
        defer { hits.deallocate() }
        let h = Unchecked(hits)
        run { h.value[$0].add(1, ordering: .relaxed) }
        return (0..<parts).map { hits[$0].load(ordering: .relaxed) }
    }

    @Test("each part runs once: fewer, as many and more parts than threads", arguments: [1, 2, 3, 7, 64])
    func partCounts(_ parts: Int) {
        for _ in 0..<200 {
            #expect(counts(parts) { body in parallelParts(parts, body) } == Array(repeating: 1, count: parts))
        }
    }

    @Test("pools of 1, 3 and 8 threads run each part once", arguments: [1, 3, 8])
    func poolSizes(_ threads: Int) {
        let pool = WorkerPool(workers: threads - 1)
        for parts in [1, 2, 3, 7, 8, 9, 64] {
            for _ in 0..<50 {
                #expect(counts(parts) { body in pool.run(parts, body) } == Array(repeating: 1, count: parts))
            }
        }
    }

    /// The blocks are what must not depend on the threads: the same blocks run by pools of 1, 3 and 8
    /// threads (any order, any thread) give the same bits. A block count that followed the thread count
    /// would fail here: OpenBLAS's AVX2 and AVX-512 kernels round 3 × 4096 × 576 cut in 3 unlike uncut.
    @Test("a GEMM gives the same bits whichever pool runs its blocks", arguments: [
        (false, false, 64, 1000, 147), (false, false, 3, 4096, 576), (true, false, 256, 300, 64),
        (false, true, 37, 530, 129), (false, false, 900, 40, 200), (true, true, 128, 4096, 128),
        (false, true, 64, 147, 40000), (true, false, 8, 7, 40000),   // summed over slices of k
    ])
    func gemmAnyPool(_ shape: (Bool, Bool, Int, Int, Int)) {
        let (transA, transB, m, n, k) = shape
        var rng = SeededGenerator(seed: 5)
        let a = (0..<m * k).map { _ in rng.nextUniform() - 0.5 }, b = (0..<k * n).map { _ in rng.nextUniform() - 0.5 }
        let c0 = (0..<m * n).map { _ in rng.nextUniform() }
        let blocks = gemmBlocks(m: m, n: n, k: k)
        if k > 16384 { #expect(blocks == 1 && gemmSlices(m: m, n: n, k: k) == 4) }
        func product(_ pool: WorkerPool?) -> [Float] {
            var c = c0
            WorkerPool.$override.withValue(pool) {
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    sgemm(blocks: blocks, transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.7,
                          a: pa.baseAddress!, b: pb.baseAddress!, ldb: transB ? k : n, beta: 0.5, c: pc.baseAddress!, ldc: n)
                }}}
            }
            return c
        }
        let reference = product(nil)
        for threads in [1, 3, 8] {
            let ours = product(WorkerPool(workers: threads - 1))
            let differing = zip(ours, reference).filter { $0 != $1 }.count
            #expect(differing == 0, "\(threads) threads: \(differing) of \(ours.count) elements differ, OpenBLAS \(blasCoreName())")
        }
    }

    /// The element-wise passes, channel sums and bias adds split their work between the threads: on pools
    /// of 1, 3 and 8 threads each equals a plain loop over the elements, bit for bit. 70,001 elements in
    /// 7 planes: above the size that goes parallel, and not a multiple of any thread count.
    @Test("element-wise kernels, channel sums and bias adds: any pool gives a plain loop's bits")
    func elementwiseAnyPool() {
        var rng = SeededGenerator(seed: 9)
        let shape = [1, 7, 73, 137]
        let x = Tensor(shape: shape, values: (0..<7 * 73 * 137).map { _ in rng.nextUniform() - 0.5 })
        let y = Tensor(shape: shape, values: (0..<7 * 73 * 137).map { _ in rng.nextUniform() - 0.5 })
        let bias = Tensor(shape: [7], values: (0..<7).map { Float($0) - 3.5 })
        let (a, b) = (x.scalars, y.scalars)
        func plain(_ f: (Float, Float) -> Float) -> [Float] { (0..<a.count).map { f(a[$0], b[$0]) } }
        let plane = 73 * 137
        var sums = [Float](repeating: 0, count: 7)
        a.withUnsafeBufferPointer { p in for i in 0..<7 { sums[i] += sum(UnsafeBufferPointer(rebasing: p[i * plane ..< (i + 1) * plane])) } }
        let expected: [(String, [Float])] = [
            ("relu", a.map { max($0, 0) }), ("relu backward", plain { $1 > 0 ? $0 : 0 }),
            ("leaky relu", a.map { $0 > 0 ? $0 : $0 * 0.2 }), ("leaky relu backward", plain { $1 > 0 ? $0 : $0 * 0.2 }),
            ("tanh", a.map { Foundation.tanh($0) }), ("tanh backward", plain { $0 * (1 - $1 * $1) }),
            ("sum", plain(+)), ("difference", plain(-)), ("scale", a.map { $0 * 0.3 }),
            ("add scaled", plain { $0 + 0.7 * $1 }), ("channel sums", sums),
            ("bias", (0..<a.count).map { a[$0] + bias.scalars[$0 / plane] }),
        ]
        for threads in [1, 3, 8] {
            WorkerPool.$override.withValue(WorkerPool(workers: threads - 1)) {
                var accumulated = x, biased = x
                accumulated.add(y, scaledBy: 0.7)
                addChannelBias(&biased, bias)
                let ours: [[Float]] = [
                    reluForward(x), reluBackward(x, output: y), leakyReluForward(x, slope: 0.2),
                    leakyReluBackward(x, output: y, slope: 0.2), tanhForward(x), tanhBackward(x, output: y),
                    x + y, x - y, x * 0.3, accumulated, channelSums(x), biased,
                ].map(\.scalars)
                for ((name, want), got) in zip(expected, ours) {
                    let differing = zip(want, got).filter { $0 != $1 }.count
                    #expect(got.count == want.count && differing == 0, "\(name), \(threads) threads: \(differing) differ")
                }
            }
        }
    }

    @Test("OpenBLAS's own kernel choice is replaced only when narrower than the CPU's vectors")
    func blasKernelChoice() {
        #expect(blasCoreOverride(ownChoice: "Prescott", avx512: true, avx2: true) == "SkylakeX")
        #expect(blasCoreOverride(ownChoice: "Haswell", avx512: true, avx2: true) == "SkylakeX")
        #expect(blasCoreOverride(ownChoice: "Cooperlake", avx512: true, avx2: true) == nil)
        #expect(blasCoreOverride(ownChoice: "Zen", avx512: false, avx2: true) == nil)
        #expect(blasCoreOverride(ownChoice: "Sandybridge", avx512: false, avx2: true) == "Haswell")
        #expect(blasCoreOverride(ownChoice: "NeoverseN1", avx512: false, avx2: false) == nil)
    }

    @Test("a thread count is checked, and fixed once")
    func threadCount() throws {
        #expect(throws: KernelThreadsError.self) { try KernelThreads.request(0, source: "--num_threads") }
        let running = KernelThreads.count
        #expect(running >= 1)
        #expect(throws: KernelThreadsError.alreadyRunning(running)) {
            try KernelThreads.request(running + 1, source: "--num_threads")
        }
        #expect(KernelThreads.affinityCPUs().map { $0 >= 1 } ?? true)
    }

    @Test("cgroup CPU quotas: v2 own group, v2 root, unlimited, v1")
    func cgroupQuotas() throws {
        let fm = FileManager.default
        func folder(_ files: [String: String]) throws -> String {
            let root = NSTemporaryDirectory() + "cgroup-\(UUID().uuidString.prefix(8))"
            for (path, text) in files {
                let file = root + "/" + path
                try fm.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: file, atomically: true, encoding: .utf8)
            }
            return root
        }
        let own = try folder(["self": "0::/box\n", "box/cpu.max": "150000 100000\n", "cpu.max": "max 100000\n"])
        #expect(KernelThreads.cgroupQuota(root: own, membership: own + "/self") == 1.5)
        let rootOnly = try folder(["self": "0::/\n", "cpu.max": "300000 100000\n"])
        #expect(KernelThreads.cgroupQuota(root: rootOnly, membership: rootOnly + "/self") == 3)
        let unlimited = try folder(["self": "0::/\n", "cpu.max": "max 100000\n"])
        #expect(KernelThreads.cgroupQuota(root: unlimited, membership: unlimited + "/self") == nil)
        let v1 = try folder(["cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"])
        #expect(KernelThreads.cgroupQuota(root: v1, membership: v1 + "/none") == 0.5)
        let v1Unlimited = try folder(["cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"])
        #expect(KernelThreads.cgroupQuota(root: v1Unlimited, membership: v1Unlimited + "/none") == nil)
    }

    @Test("nested and concurrent callers run their parts themselves, once each")
    func nestedAndConcurrent() {
        let inner = counts(4 * 5) { body in
            parallelParts(4) { outer in parallelParts(5) { body(outer * 5 + $0) } }
        }
        #expect(inner == Array(repeating: 1, count: 20))
        let concurrent = counts(8 * 16) { body in
            withoutActuallyEscaping(body) { body in
                let b = Unchecked(body)
                DispatchQueue.concurrentPerform(iterations: 8) { caller in
                    for _ in 0..<50 { parallelParts(16) { _ in } }
                    parallelParts(16) { b.value(caller * 16 + $0) }
                }
            }
        }
        #expect(concurrent == Array(repeating: 1, count: 128))
    }
}
