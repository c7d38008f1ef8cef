import CBLAS

// GEMM through OpenBLAS, threaded by us: OpenBLAS itself runs single-threaded, and a large GEMM is cut
// into column (or row) blocks, one per kernel thread. OpenBLAS's own threads spin (sched_yield) for a
// while after each call; on 2 cores they competed with our threads for every element-wise kernel that
// followed: ≈ 30 % of all CPU samples at 64² were in the scheduler (perf, `cyclegan bench`).

/// OpenBLAS single-threaded, once per process, before the first GEMM.
private let blasSingleThreaded: Void = openblas_set_num_threads(1)

/// GEMMs below this many multiply-adds run on one thread: splitting costs a hand-off.
@usableFromInline let gemmSplitThreshold = 1 << 21

/// C[M, N] = alpha · op(A) · op(B) + beta · C, row-major, through OpenBLAS.
/// `transA`: A is stored [K, M] instead of [M, K]; `transB`: B is stored [N, K] instead of [K, N].
/// Large GEMMs are split between the kernel threads (by columns of C, or by rows when C is tall).
public func sgemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    beta: Float = 0, c: UnsafeMutablePointer<Float>
) {
    Profiler.measure(.gemm) {
        let parts = m &* n &* k < gemmSplitThreshold ? 1 : min(kernelThreads, 2)
        if parts == 1 {
            sgemmBlock(transA: transA, transB: transB, rows: 0..<m, columns: 0..<n, m: m, n: n, k: k,
                       alpha: alpha, a: a, b: b, beta: beta, c: c)
            return
        }
        let (pa, pb, pc) = (Unchecked(a), Unchecked(b), Unchecked(c))
        let byColumns = n >= m
        let length = byColumns ? n : m
        parallelParts(parts) { part in
            // Block edges on multiples of 16, the kernels' panel width.
            let lo = part == 0 ? 0 : (length * part / parts + 8) & ~15
            let hi = part == parts - 1 ? length : (length * (part + 1) / parts + 8) & ~15
            sgemmBlock(transA: transA, transB: transB, rows: byColumns ? 0..<m : lo..<hi,
                       columns: byColumns ? lo..<hi : 0..<n, m: m, n: n, k: k,
                       alpha: alpha, a: pa.value, b: pb.value, beta: beta, c: pc.value)
        }
    }
}

/// The block C[rows, columns] of `sgemm`'s product, on the calling thread.
private func sgemmBlock(
    transA: Bool, transB: Bool, rows: Range<Int>, columns: Range<Int>, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float, c: UnsafeMutablePointer<Float>
) {
    _ = blasSingleThreaded
    if rows.isEmpty || columns.isEmpty { return }
    let aBlock = transA ? a + rows.lowerBound : a + rows.lowerBound * k
    let bBlock = transB ? b + columns.lowerBound * k : b + columns.lowerBound
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(rows.count), Int32(columns.count), Int32(k), alpha,
                aBlock, Int32(transA ? m : k), bBlock, Int32(transB ? k : n), beta,
                c + rows.lowerBound * n + columns.lowerBound, Int32(n))
}

/// `count` independent GEMMs of one shape, C_i = op(A_i) · op(B_i) with A_i = a + i·strideA (and so on),
/// shared out whole between the kernel threads: for many small GEMMs (Winograd's 36 per convolution)
/// this beats splitting each (measured: 36 × 128·64·128 in 0.85 ms against 1.46 ms).
public func sgemmBatch(
    _ count: Int, transB: Bool = false, m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, strideA: Int, b: UnsafePointer<Float>, strideB: Int,
    c: UnsafeMutablePointer<Float>, strideC: Int
) {
    let (pa, pb, pc) = (Unchecked(a), Unchecked(b), Unchecked(c))
    Profiler.measure(.gemm) {
        parallelChunks(count, costPerItem: 1 << 16) { range in
            for i in range {
                sgemmBlock(transA: false, transB: transB, rows: 0..<m, columns: 0..<n, m: m, n: n, k: k, alpha: 1,
                           a: pa.value + i * strideA, b: pb.value + i * strideB, beta: 0, c: pc.value + i * strideC)
            }
        }
    }
}

/// OpenBLAS's thread count (1: we thread GEMMs ourselves; see above).
public func blasThreads() -> Int {
    _ = blasSingleThreaded
    return Int(openblas_get_num_threads())
}

/// The OpenBLAS kernel family in use, e.g. "Haswell" or "Cooperlake".
public func blasCoreName() -> String { String(cString: openblas_get_corename()) }
