import Testing
@testable import Tensor

/// The profiler behind `cyclegan bench`. Oracle: which buckets a known sequence of ops fills; times are
/// only checked to be positive and to add up (exclusive nesting), never against fixed values.
/// Serialized: the profiler is global (it records on the thread that started it only, so other suites
/// running ops in parallel are not recorded).
@Suite("Profiler", .serialized)
struct ProfilerTests {
    func seconds(_ op: Profiler.Op, _ pass: Profiler.Pass) -> Double {
        Profiler.entries().first { $0.op == op && $0.pass == pass }!.seconds
    }
    func calls(_ op: Profiler.Op, _ pass: Profiler.Pass) -> Int {
        Profiler.entries().first { $0.op == op && $0.pass == pass }!.calls
    }

    @Test("off by default: ops record nothing")
    func offByDefault() {
        Profiler.reset()
        #expect(!Profiler.isEnabled)
        let tape = Tape()
        let y = relu(tape.variable(randn([1, 2, 4, 4], seed: 1)))
        tape.backward(mean(y))
        #expect(Profiler.entries().allSatisfy { $0.calls == 0 && $0.seconds == 0 })
    }

    @Test("a conv on the tape fills conv, im2col and gemm, forward and backward; nested time is exclusive")
    func convBuckets() {
        let tape = Tape()
        let x = tape.variable(randn([1, 8, 24, 24], seed: 2))
        let w = tape.variable(randn([16, 8, 3, 3], seed: 3))
        Profiler.reset()
        Profiler.start()
        let outer = Profiler.clockNanoseconds()
        let y = conv2d(x, weight: w, bias: nil, stride: 1, padding: 1)
        tape.backward(mean(y))
        let wall = Double(Profiler.clockNanoseconds() - outer) * 1e-9
        Profiler.stop()
        for pass in Profiler.Pass.allCases {
            #expect(calls(.conv, pass) == 1)
            #expect(calls(.gemm, pass) >= 1)
            #expect(calls(.im2col, pass) >= 1)
            #expect(seconds(.gemm, pass) > 0)
        }
        #expect(calls(.gemm, .backward) == 2)        // input and weight gradients
        #expect(calls(.arithmetic, .forward) == 1)   // mean
        let measured = Profiler.entries().reduce(0) { $0 + $1.seconds }
        print("profiled \(measured) s of \(wall) s wall")
        #expect(measured <= wall)
        // After stop, nothing more is recorded.
        let before = calls(.conv, .forward)
        _ = conv2d(tape.constant(randn([1, 8, 6, 6], seed: 4)), weight: tape.constant(randn([4, 8, 3, 3], seed: 5)), bias: nil)
        #expect(calls(.conv, .forward) == before)
    }

    @Test("measure inherits the enclosing pass; begin/end scopes a body")
    func nesting() {
        Profiler.reset()
        Profiler.start()
        Profiler.measure(.norm, .backward) {
            Profiler.measure(.gemm) { _ = (0..<1000).reduce(0, +) }
        }
        let scope = Profiler.begin(.optimizer)
        Profiler.end(scope)
        Profiler.stop()
        #expect(calls(.gemm, .backward) == 1 && calls(.gemm, .forward) == 0)
        #expect(calls(.norm, .backward) == 1)
        #expect(calls(.optimizer, .forward) == 1)
    }
}
