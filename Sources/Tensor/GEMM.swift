import CBLAS

/// C[M, N] = alpha · op(A) · op(B) + beta · C, row-major, through OpenBLAS.
/// `transA`: A is stored [K, M] instead of [M, K]; `transB`: B is stored [N, K] instead of [K, N].
@inlinable
public func sgemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    beta: Float = 0, c: UnsafeMutablePointer<Float>
) {
    Profiler.measure(.gemm) {
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(transA ? m : k), b, Int32(transB ? k : n), beta, c, Int32(n))
    }
}

/// Sets OpenBLAS's thread count (it reads OPENBLAS_NUM_THREADS at load; this changes it later).
public func setBLASThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

/// OpenBLAS's current thread count.
public func blasThreads() -> Int { Int(openblas_get_num_threads()) }

/// The OpenBLAS kernel family in use, e.g. "Haswell" or "Cooperlake".
public func blasCoreName() -> String { String(cString: openblas_get_corename()) }

/// `count` independent GEMMs of one shape, C_i = op(A_i) · B_i with A_i = a + i·strideA (and so on),
/// split between the kernel threads, each running OpenBLAS single-threaded. For many small GEMMs
/// (Winograd's 36 per convolution) this is faster than OpenBLAS's own two threads on each call,
/// whose hand-offs cost more than the work (measured: 36 × 128·64·128 in 0.85 ms against 1.46 ms).
/// OpenBLAS's thread count is process-wide: no other GEMM may run meanwhile (none does here).
public func sgemmBatch(
    _ count: Int, transB: Bool = false, m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, strideA: Int, b: UnsafePointer<Float>, strideB: Int,
    c: UnsafeMutablePointer<Float>, strideC: Int
) {
    let previous = blasThreads()
    if previous > 1 && kernelThreads > 1 { setBLASThreads(1) }
    defer { if previous > 1 && kernelThreads > 1 { setBLASThreads(previous) } }
    let (pa, pb, pc) = (Unchecked(a), Unchecked(b), Unchecked(c))
    Profiler.measure(.gemm) {
        parallelChunks(count, costPerItem: 1 << 16) { range in
            for i in range {
                sgemm(transB: transB, m: m, n: n, k: k, a: pa.value + i * strideA, b: pb.value + i * strideB,
                      c: pc.value + i * strideC)
            }
        }
    }
}
