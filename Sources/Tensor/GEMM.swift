import CBLAS

// GEMM through OpenBLAS, threaded by us: OpenBLAS itself runs single-threaded, and a large GEMM is cut
// into column (or row) blocks, one per kernel thread. OpenBLAS's own threads spin (sched_yield) for a
// while after each call; on 2 cores they competed with our threads for every element-wise kernel that
// followed: ≈ 30 % of all CPU samples at 64² were in the scheduler (perf, `cyclegan bench`).

/// OpenBLAS single-threaded, once per process, before the first GEMM.
private let blasSingleThreaded: Void = openblas_set_num_threads(1)

/// GEMMs below this many multiply-adds run on one thread: splitting costs a hand-off.
let gemmSplitThreshold = 1 << 21

/// C[M, N] = alpha · op(A) · op(B) + beta · C, row-major, through OpenBLAS.
/// `transA`: A is stored [K, M] instead of [M, K]; `transB`: B is stored [N, K] instead of [K, N].
/// `ldb`, `ldc`: the row strides of B and C when they are columns of wider matrices (default: dense).
/// Large GEMMs are cut into blocks of C (`gemmBlocks`) shared out between the kernel threads.
public func sgemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    sgemm(blocks: gemmBlocks(m: m, n: n, k: k), transA: transA, transB: transB, m: m, n: n, k: k,
          alpha: alpha, a: a, b: b, ldb: ldb ?? (transB ? k : n), beta: beta, c: c, ldc: ldc ?? n)
}

/// How many blocks of C a GEMM is cut into: a function of its shape alone, never of the thread count,
/// because OpenBLAS's AVX2 and AVX-512 kernels round a block of C differently from the whole (measured:
/// 3 × 4096 × 576 cut in 3 differs from uncut in the last bits), so a count that followed the threads
/// would make results depend on them. Blocks of at least 256 rows or columns (each block packs the
/// other operand again: ≤ 1/256 extra memory traffic), at most 16 (enough for 16 threads), and a power of
/// two, so that 2, 4 or 8 threads get equal shares (3 blocks on 2 threads left one idle a third of the time).
func gemmBlocks(m: Int, n: Int, k: Int) -> Int {
    if m &* n &* k < gemmSplitThreshold { return 1 }
    let most = min(16, max(1, max(m, n) / 256))
    return 1 << (Int.bitWidth - 1 - most.leadingZeroBitCount)
}

/// `sgemm` cut into `blocks` blocks of C (by columns, or by rows when C is tall), run on the kernel
/// threads. The result depends on `blocks`, not on how many threads run them.
func sgemm(
    blocks: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    Profiler.measure(.gemm) {
        if Precision.productsInOneDNN {
            bf16GEMM(blocks: blocks, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, b: b,
                     ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let slices = blocks == 1 ? gemmSlices(m: m, n: n, k: k) : 1
        if slices > 1 {
            sgemmSliced(slices, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, b: b,
                        ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let (pa, pb, pc) = (Unchecked(a), Unchecked(b), Unchecked(c))
        forEachGEMMBlock(blocks, m: m, n: n) { rows, columns in
            sgemmBlock(transA: transA, transB: transB, rows: rows, columns: columns, m: m, n: n, k: k,
                       alpha: alpha, a: pa.value, lda: transA ? m : k, b: pb.value, ldb: ldb, beta: beta,
                       c: pc.value, ldc: ldc)
        }
    }
}

/// How many slices of k an f32 GEMM too small in C to cut into blocks is summed over: the weight gradients
/// of layers with few channels and a large image (the generator's first 7×7 convolution at 256²,
/// 64 × 147 × 65536, ran on one thread while the others waited). Slices of at least 8192, at most 16, a
/// power of two; a function of the shape alone, as `gemmBlocks`.
func gemmSlices(m: Int, n: Int, k: Int) -> Int {
    if m &* n &* k < gemmSplitThreshold || k < 2 * 8192 { return 1 }
    let most = min(16, k / 8192)
    return 1 << (Int.bitWidth - 1 - most.leadingZeroBitCount)
}

/// C = alpha · Σ_s op(A)[·, s] · op(B)[s, ·] + beta · C over `slices` equal slices s of k: each slice's
/// product on a kernel thread into a buffer of its own, then the buffers added in slice order, so that the
/// bits do not depend on which thread ran which slice.
private func sgemmSliced(
    _ slices: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: slices * m * n)
    defer { partials.deallocate() }
    let (pa, pb, pp) = (Unchecked(a), Unchecked(b), Unchecked(partials))
    parallelParts(slices) { s in
        let (lo, hi) = (k * s / slices, k * (s + 1) / slices)
        // A is [m, k] (row stride k) or stored [k, m]; B is [k, n] (row stride ldb) or stored [n, k].
        sgemmBlock(transA: transA, transB: transB, rows: 0..<m, columns: 0..<n, m: m, n: n, k: hi - lo,
                   alpha: 1, a: transA ? pa.value + lo * m : pa.value + lo, lda: transA ? m : k,
                   b: transB ? pb.value + lo : pb.value + lo * ldb, ldb: ldb, beta: 0,
                   c: pp.value + s * m * n, ldc: n)
    }
    for i in 0..<m {
        let row = c + i * ldc
        for j in 0..<n {
            var total = partials[i * n + j]
            for s in 1..<slices { total += partials[(s * m + i) * n + j] }
            row[j] = beta == 0 ? alpha * total : alpha * total + beta * row[j]
        }
    }
}

/// Runs `body` on each of `blocks` blocks of C[m, n] (by columns, or by rows when C is tall), shared out
/// between the kernel threads: the same cut in both precisions. Block edges on multiples of 16, the
/// kernels' panel width.
func forEachGEMMBlock(_ blocks: Int, m: Int, n: Int, _ body: (_ rows: Range<Int>, _ columns: Range<Int>) -> Void) {
    if blocks == 1 {
        body(0..<m, 0..<n)
        return
    }
    let byColumns = n >= m
    let length = byColumns ? n : m
    parallelParts(blocks) { part in
        let lo = part == 0 ? 0 : (length * part / blocks + 8) & ~15
        let hi = part == blocks - 1 ? length : (length * (part + 1) / blocks + 8) & ~15
        if hi <= lo { return }
        body(byColumns ? 0..<m : lo..<hi, byColumns ? lo..<hi : 0..<n)
    }
}

/// The block C[rows, columns] of `sgemm`'s product, on the calling thread.
private func sgemmBlock(
    transA: Bool, transB: Bool, rows: Range<Int>, columns: Range<Int>, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    _ = blasSingleThreaded
    if rows.isEmpty || columns.isEmpty { return }
    let aBlock = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
    let bBlock = transB ? b + columns.lowerBound * ldb : b + columns.lowerBound
    cblas_sgemm(CblasRowMajor,
                transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(rows.count), Int32(columns.count), Int32(k), alpha,
                aBlock, Int32(lda), bBlock, Int32(ldb), beta,
                c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
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
    let narrow = narrowPays(transB: transB, n: n)
    Profiler.measure(.gemm) {
        parallelChunks(count, costPerItem: 1 << 16) { range in
            for i in range {
                if narrow {
                    sgemmNarrow(m: m, n: n, k: k, a: pa.value + i * strideA, b: pb.value + i * strideB,
                                c: pc.value + i * strideC)
                    continue
                }
                sgemmBlock(transA: false, transB: transB, rows: 0..<m, columns: 0..<n, m: m, n: n, k: k, alpha: 1,
                           a: pa.value + i * strideA, lda: k, b: pb.value + i * strideB, ldb: transB ? k : n, beta: 0,
                           c: pc.value + i * strideC, ldc: n)
            }
        }
    }
}

/// Where `sgemmNarrow` beats OpenBLAS (36 GEMMs of m = k = 128: n = 16 in 0.43 ms against 0.64; m = k = 256:
/// 0.58 against 0.85; n = 64 a tie, wider slower): Winograd's forward GEMMs on 16 × 16 maps, as at 64².
func narrowPays(transB: Bool, n: Int) -> Bool { !transB && n == 16 }

/// OpenBLAS's thread count (1: we thread GEMMs ourselves; see above).
public func blasThreads() -> Int {
    _ = blasSingleThreaded
    return Int(openblas_get_num_threads())
}

/// The OpenBLAS kernel family in use, e.g. "Haswell" or "Cooperlake".
public func blasCoreName() -> String { String(cString: openblas_get_corename()) }

/// The kernel family to run instead of OpenBLAS's own choice, or nil to keep it: its choice when it uses
/// the CPU's widest vectors (AVX-512 or AVX2; arm64 families are all NEON), else the family measured best
/// for that width (BENCHMARKS.md, per CPU): SkylakeX for AVX-512, Haswell for AVX2.
public func blasCoreOverride(ownChoice: String, avx512: Bool, avx2: Bool) -> String? {
    let avx512Families: Set = ["SkylakeX", "Cooperlake", "SapphireRapids"]
    let avx2Families = avx512Families.union(["Haswell", "Zen"])
    if avx512 && !avx512Families.contains(ownChoice) { return "SkylakeX" }
    if avx2 && !avx2Families.contains(ownChoice) { return "Haswell" }
    return nil
}

// MARK: - Narrow products without packing

/// C[m, n] = A[m, k] · B[k, n] (row-major, C overwritten; n a multiple of 16) by register blocks of
/// 4 rows × 16 columns, reading A and B in place. For Winograd's GEMMs on small maps (n = tiles, 16–64) OpenBLAS spent as
/// long packing A (the transformed filters, m × k) as multiplying: `perf` at 64² put `sgemm_oncopy`
/// at 19 % of a translation beside `sgemm_kernel`'s 22 %.
func sgemmNarrow(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                 c: UnsafeMutablePointer<Float>) {
    var j = 0
    while j &+ 16 <= n {
        var i = 0
        while i &+ 4 <= m { narrowBlock(rows: 4, i, j, k: k, n: n, a, b, c); i &+= 4 }
        while i < m { narrowBlock(rows: 1, i, j, k: k, n: n, a, b, c); i &+= 1 }
        j &+= 16
    }
    precondition(j == n, "sgemmNarrow needs n to be a multiple of 16")
}

@inline(__always)
private func narrowBlock(rows: Int, _ i: Int, _ j: Int, k: Int, n: Int, _ a: UnsafePointer<Float>,
                         _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
    if rows == 4 {
        let (a0, a1, a2, a3) = (a + i &* k, a + (i &+ 1) &* k, a + (i &+ 2) &* k, a + (i &+ 3) &* k)
        var (c00, c01, c10, c11) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var (c20, c21, c30, c31) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var bp = b + j
        for p in 0..<k {
            let (b0, b1) = (load(bp), load(bp + 8))
            let (x0, x1, x2, x3) = (SIMD8(repeating: a0[p]), SIMD8(repeating: a1[p]), SIMD8(repeating: a2[p]),
                                    SIMD8(repeating: a3[p]))
            c00 = c00.addingProduct(x0, b0); c01 = c01.addingProduct(x0, b1)
            c10 = c10.addingProduct(x1, b0); c11 = c11.addingProduct(x1, b1)
            c20 = c20.addingProduct(x2, b0); c21 = c21.addingProduct(x2, b1)
            c30 = c30.addingProduct(x3, b0); c31 = c31.addingProduct(x3, b1)
            bp += n
        }
        let out = c + (i &* n &+ j)
        store(c00, out); store(c01, out + 8)
        store(c10, out + n); store(c11, out + (n &+ 8))
        store(c20, out + 2 &* n); store(c21, out + (2 &* n &+ 8))
        store(c30, out + 3 &* n); store(c31, out + (3 &* n &+ 8))
    } else {
        let a0 = a + i &* k
        var (c00, c01) = (SIMD8<Float>(), SIMD8<Float>())
        var bp = b + j
        for p in 0..<k {
            let x0 = SIMD8(repeating: a0[p])
            c00 = c00.addingProduct(x0, load(bp)); c01 = c01.addingProduct(x0, load(bp + 8))
            bp += n
        }
        store(c00, c + (i &* n &+ j)); store(c01, c + (i &* n &+ j &+ 8))
    }
}
