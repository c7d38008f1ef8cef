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
