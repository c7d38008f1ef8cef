import Dispatch
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
