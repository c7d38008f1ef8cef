import CDNNL
import Synchronization

// bf16 products, as PyTorch's `torch.autocast("cpu", dtype=torch.bfloat16)` computes convolutions: both
// inputs rounded to bfloat16 (8 significant bits), products summed in f32, the result in f32. Everything
// else stays f32: weights, Adam's moments, norms' statistics, losses, reductions. The arithmetic is
// oneDNN's (AMX tiles where the CPU has them, else AVX512_BF16's dot products), loaded only when asked for.

/// The arithmetic of the products in the convolutions and GEMMs. Task-local, like `ConvAlgorithm`:
///
///     try Precision.bf16.checkSupported()
///     Precision.$current.withValue(.bf16) { … }
///
/// Under `bf16`, `sgemm` rounds A and B to bf16, and every 3×3 convolution takes im2col: autocast runs
/// direct convolutions, and Winograd would round transformed values instead (docs/native-libraries.md).
public enum Precision: String, Sendable, CaseIterable {
    case f32, bf16

    @TaskLocal public static var current = Precision.f32

    /// Throws, in one sentence, what this CPU or system lacks for this precision. (`cpuHasBF16`: for tests.)
    public func checkSupported(cpuHasBF16: Bool = CPUInfo.hasBF16) throws(PrecisionError) {
        guard self == .bf16 else { return }
        guard cpuHasBF16 else {
            throw PrecisionError("--precision bf16: this CPU (\(CPUInfo.modelName)) has neither AVX512_BF16 nor "
                                 + "AMX-BF16; use --precision f32 (the default)")
        }
        var message = [CChar](repeating: 0, count: 512)
        guard cdnnl_load(&message, message.count) == 0 else {
            throw PrecisionError("--precision bf16: " + cText(message))
        }
        // A first product: oneDNN refuses what it cannot run here (e.g. a library older than the CPU).
        try BF16Products.shared.with(BF16Products.probe) { _ in }
    }

    /// For the start of a command, e.g. "bf16 products (…) through oneDNN 2.6.3 (brg:avx512_core_amx)".
    /// Only after `checkSupported()` succeeded.
    public var summary: String {
        guard self == .bf16 else { return "f32" }
        let implementation = (try? BF16Products.shared.with(BF16Products.probe) {
            String(cString: cdnnl_matmul_implementation($0))
        }) ?? "?"
        let isa = String(cString: cdnnl_cpu_isa())
        let speed = isa.contains("amx") ? ""
            : "; without AMX, bf16 products run at about half f32's rate (BENCHMARKS.md): expect a slower run than f32"
        return "bf16 products (inputs rounded to bf16, sums in f32) through oneDNN \(String(cString: cdnnl_version())) "
            + "(\(implementation))" + speed
    }
}

public struct PrecisionError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// oneDNN's prepared products, one per shape (preparing one compiles a kernel: 0.5–1 ms), kept for the
/// process up to `capacity`; beyond it a product is prepared for its call alone (translating a folder of
/// photos of many sizes meets new shapes at every size).
final class BF16Products: Sendable {
    static let shared = BF16Products(capacity: 1024)
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }

    struct Shape: Hashable {
        let transA: Bool, transB: Bool
        let m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int
        let alpha: Float, beta: Float
    }

    /// A small product: the first one prepared, which tells whether oneDNN runs here and what it picked.
    static let probe = Shape(transA: false, transB: false, m: 16, n: 16, k: 16, lda: 16, ldb: 16, ldc: 16,
                             alpha: 1, beta: 0)

    private let kept = Mutex<[Shape: Unchecked<OpaquePointer>]>([:])

    /// Runs `body` with the prepared product of `shape` (kept ones are never freed: another thread may run them).
    func with<R>(_ shape: Shape, _ body: (OpaquePointer) -> R) throws(PrecisionError) -> R {
        if let product = kept.withLock({ $0[shape] }) { return body(product.value) }
        let made = try prepare(shape)   // outside the lock: other shapes need not wait for it
        let product = kept.withLock { [made = Unchecked(made)] table -> Unchecked<OpaquePointer>? in
            if let other = table[shape] { return other }
            guard table.count < capacity else { return nil }
            table[shape] = made
            return made
        }?.value
        guard let product else {
            defer { cdnnl_matmul_destroy(made) }
            return body(made)
        }
        if product != made { cdnnl_matmul_destroy(made) }   // another thread kept one first
        return body(product)
    }

    var keptCount: Int { kept.withLock { $0.count } }

    private func prepare(_ s: Shape) throws(PrecisionError) -> OpaquePointer {
        var message = [CChar](repeating: 0, count: 512)
        guard let made = cdnnl_matmul_create(s.transA ? 1 : 0, s.transB ? 1 : 0, Int64(s.m), Int64(s.n), Int64(s.k),
                                             Int64(s.lda), Int64(s.ldb), Int64(s.ldc), s.alpha, s.beta, &message,
                                             message.count) else {
            throw PrecisionError("--precision bf16: " + cText(message))
        }
        return made
    }
}

/// `sgemm`'s product with A and B rounded to bf16 (see `Precision`), cut into the same blocks of C.
func bf16GEMM(
    blocks: Int, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 0 || n == 0 { return }
    if k == 0 {   // no products: C = β·C, as BLAS
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    // Dense bf16 copies: A as stored ([k, m] or [m, k]), B without its row stride ([n, k] or [k, n]).
    let (bRows, bColumns) = transB ? (n, k) : (k, n)
    let a16 = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, m * k))
    let b16 = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, bRows * bColumns))
    defer { a16.deallocate(); b16.deallocate() }
    let (pa, pb, pa16, pb16, pc) = (Unchecked(a), Unchecked(b), Unchecked(a16), Unchecked(b16), Unchecked(c))
    parallelChunks(m * k / 4096 + 1, costPerItem: 4096) { chunks in
        let lo = min(m * k, chunks.lowerBound * 4096), hi = min(m * k, chunks.upperBound * 4096)
        cdnnl_to_bf16(pa.value + lo, pa16.value + lo, hi - lo)
    }
    parallelChunks(bRows, costPerItem: bColumns) { rows in
        for r in rows { cdnnl_to_bf16(pb.value + r * ldb, pb16.value + r * bColumns, bColumns) }
    }
    let (lda, ldb16) = (transA ? m : k, transB ? k : n)
    forEachGEMMBlock(blocks, m: m, n: n) { rows, columns in
        let shape = BF16Products.Shape(transA: transA, transB: transB, m: rows.count, n: columns.count, k: k,
                                       lda: lda, ldb: ldb16, ldc: ldc, alpha: alpha, beta: beta)
        let aBlock = transA ? pa16.value + rows.lowerBound : pa16.value + rows.lowerBound * k
        let bBlock = transB ? pb16.value + columns.lowerBound * k : pb16.value + columns.lowerBound
        let cBlock = pc.value + rows.lowerBound * ldc + columns.lowerBound
        // checkSupported() prepared a product at start-up: a failure now is oneDNN's, not the input's.
        let status: Int32
        do {
            status = try BF16Products.shared.with(shape) { cdnnl_matmul_run($0, aBlock, bBlock, cBlock) }
        } catch { fatalError("\(error)") }
        precondition(status == 0, "oneDNN's bf16 product \(shape) failed with status \(status)")
    }
}

/// `x` with every value rounded to bf16 (and back to f32), as `bf16GEMM` rounds its inputs.
func bf16Rounded(_ x: Tensor) -> Tensor {
    var rounded = x
    var halves = [UInt16](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { cdnnl_to_bf16($0.baseAddress!, &halves, x.count) }
    rounded.withUnsafeMutableBufferPointer { out in
        for i in 0..<halves.count { out[i] = Float(bitPattern: UInt32(halves[i]) << 16) }
    }
    return rounded
}

/// The text of a NUL-terminated C buffer.
private func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
