import Dispatch

/// Wraps a value that is not `Sendable` (a raw pointer) so that it can cross into `concurrentPerform`.
/// Safe here because every parallel loop writes disjoint ranges.
public struct Unchecked<T>: @unchecked Sendable {
    public let value: T
    @inlinable public init(_ value: T) { self.value = value }
}

/// Number of worker threads for the non-GEMM kernels (the machine has 2 cores; GEMM runs OpenBLAS's own).
public nonisolated(unsafe) var kernelThreads = 2

/// Runs `body(range)` over `0..<count` split into contiguous chunks, in parallel when the work
/// (`count × costPerItem` floats touched) is big enough to pay for the ~5 µs dispatch overhead.
@inlinable
public func parallelChunks(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = kernelThreads
    if threads <= 1 || count < 2 || count &* costPerItem < 1 << 16 {
        body(0..<count)
        return
    }
    let chunks = min(threads, count)
    withoutActuallyEscaping(body) { body in
        let b = Unchecked(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let lo = count * i / chunks, hi = count * (i + 1) / chunks
            b.value(lo..<hi)
        }
    }
}
