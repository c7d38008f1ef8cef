#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny per-op wall-clock profiler for `cyclegan bench`. Off by default: then `measure` is one branch
/// on a global flag around its body. When on, each (op, pass) bucket gets the time spent in its bodies
/// *exclusive* of nested measures: a convolution's own time excludes the `im2col` and `gemm` inside it,
/// which land in their own buckets (with the pass of the enclosing measure).
///
/// It records only on the thread that called `start()` (the one running the tape; the kernels' own
/// parallel workers are inside the measured bodies): ops run by other threads at the same time, such as
/// tests running in parallel, pass through unrecorded.
///
///     let y = Profiler.measure(.conv) { conv2dForward(…) }
///     let g = Profiler.measure(.conv, .backward) { conv2dBackward(…) }
///     let scope = Profiler.begin(.optimizer); defer { Profiler.end(scope) }   // a whole function body
public enum Profiler {
    /// What a measured body does.
    public enum Op: Int, CaseIterable, Sendable {
        /// convolution and transposed convolution, excluding their im2col/col2im, GEMM and Winograd transforms
        /// (what remains: the direct few-output loops, output allocation and zeroing, bias add and gradient)
        case conv
        /// im2col and col2im
        case im2col
        /// `sgemm` (cblas_sgemm)
        case gemm
        /// Winograd's tile transforms (input, output, filter and their adjoints)
        case winograd
        /// instance / batch normalisation and batch norm's affine part
        case norm
        /// reflection padding
        case pad
        /// relu, leaky relu, tanh
        case activation
        /// element-wise arithmetic ops on the tape (residual add, scalar multiply, mean)
        case arithmetic
        /// GAN, cycle and identity losses
        case loss
        /// Adam updates
        case optimizer

        public var name: String {
            switch self {
            case .conv: "conv (rest)"
            case .im2col: "im2col/col2im"
            case .gemm: "gemm (sgemm)"
            case .winograd: "winograd transforms"
            case .norm: "norm"
            case .pad: "reflection pad"
            case .activation: "activations"
            case .arithmetic: "arithmetic"
            case .loss: "losses"
            case .optimizer: "optimizer (Adam)"
            }
        }
    }

    public enum Pass: Int, CaseIterable, Sendable { case forward, backward }

    /// Whether `measure` records (on the thread that called `start()`).
    nonisolated(unsafe) public private(set) static var isEnabled = false
    nonisolated(unsafe) static var owner: pthread_t?

    /// Starts recording the calling thread's measures (buckets keep what they hold: see `reset`).
    public static func start() {
        owner = pthread_self()
        isEnabled = true
    }

    /// Stops recording.
    public static func stop() {
        isEnabled = false
        owner = nil
    }

    /// Runs `body`, adding its exclusive time to (op, pass) when enabled. A nil pass inherits the
    /// enclosing measure's pass (forward at top level).
    @inlinable @inline(__always)
    public static func measure<R>(_ op: Op, _ pass: Pass? = nil, _ body: () throws -> R) rethrows -> R {
        guard _slowPath(isEnabled) else { return try body() }
        let scope = enter(op, pass)
        defer { leave(scope) }
        return try body()
    }

    /// Starts measuring (op, pass) until `end`: for a whole function body, `defer { Profiler.end(scope) }`.
    @inlinable @inline(__always)
    public static func begin(_ op: Op, _ pass: Pass? = nil) -> Bool {
        guard _slowPath(isEnabled) else { return false }
        return enter(op, pass)
    }

    @inlinable @inline(__always)
    public static func end(_ scope: Bool) {
        if _slowPath(scope) { leave(scope) }
    }

    // MARK: - Recording (only when enabled)

    nonisolated(unsafe) static var nanoseconds = [UInt64](repeating: 0, count: Op.allCases.count * 2)
    nonisolated(unsafe) static var calls = [Int](repeating: 0, count: Op.allCases.count * 2)
    nonisolated(unsafe) static var stack: [Int] = []
    nonisolated(unsafe) static var mark: UInt64 = 0

    @usableFromInline
    static func enter(_ op: Op, _ pass: Pass?) -> Bool {
        guard let owner, pthread_equal(owner, pthread_self()) != 0 else { return false }
        let now = clockNanoseconds()
        let p = pass?.rawValue ?? (stack.last.map { $0 % 2 } ?? 0)
        let slot = op.rawValue &* 2 &+ p
        if let top = stack.last { nanoseconds[top] &+= now &- mark }
        stack.append(slot)
        calls[slot] += 1
        mark = now
        return true
    }

    @usableFromInline
    static func leave(_ scope: Bool) {
        guard scope, let top = stack.popLast() else { return }
        let now = clockNanoseconds()
        nanoseconds[top] &+= now &- mark
        mark = now
    }

    /// Clears all buckets.
    public static func reset() {
        nanoseconds = [UInt64](repeating: 0, count: Op.allCases.count * 2)
        calls = [Int](repeating: 0, count: Op.allCases.count * 2)
        stack.removeAll()
    }

    /// One bucket: seconds spent (exclusive) and how many bodies were measured.
    public struct Entry: Sendable {
        public let op: Op, pass: Pass
        public let seconds: Double
        public let calls: Int
    }

    /// The buckets so far, in `Op` order, forward before backward.
    public static func entries() -> [Entry] {
        Op.allCases.flatMap { op in
            Pass.allCases.map { pass in
                let slot = op.rawValue * 2 + pass.rawValue
                return Entry(op: op, pass: pass, seconds: Double(nanoseconds[slot]) * 1e-9, calls: calls[slot])
            }
        }
    }

    /// A monotonic clock in nanoseconds.
    public static func clockNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
