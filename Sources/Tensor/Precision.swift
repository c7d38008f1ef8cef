import CDNNL
import Synchronization

// bf16 products, as PyTorch's `torch.autocast("cpu", dtype=torch.bfloat16)` computes convolutions: both
// operands rounded to bfloat16 (8 significant bits), products summed in f32, the result in f32. Everything
// else stays f32: weights, Adam's moments, norms' statistics, losses, reductions.

/// The arithmetic of the products in the convolutions and GEMMs. Task-local, like `ConvAlgorithm`:
///
///     try Precision.bf16.checkSupported()
///     Precision.$current.withValue(.bf16) { … }
///
/// Under `bf16`, every convolution (forward, both gradients, transposed too) rounds its operands to bf16
/// before any algorithm sees them; the products then run as `BF16Arithmetic.current` says.
public enum Precision: String, Sendable, CaseIterable {
    case f32, bf16

    @TaskLocal public static var current = Precision.f32

    /// Whether `sgemm` runs its products in oneDNN on bf16 (and 3×3 convolutions therefore take im2col:
    /// Winograd's GEMMs would round transformed values instead of the operands).
    public static var productsInOneDNN: Bool { current == .bf16 && BF16Arithmetic.current == .oneDNN }

    /// Throws, in one sentence, what this CPU or system lacks for this precision. (`cpuHasBF16`: for tests.)
    public func checkSupported(cpuHasBF16: Bool = CPUInfo.hasBF16) throws(PrecisionError) {
        guard self == .bf16 else { return }
        guard cpuHasBF16 else {
            throw PrecisionError("--precision bf16: this CPU (\(CPUInfo.modelName)) has neither AVX512_BF16 nor "
                                 + "AMX-BF16; use --precision f32 (the default)")
        }
        guard BF16Arithmetic.current == .oneDNN else { return }
        var message = [CChar](repeating: 0, count: 512)
        guard cdnnl_load(&message, message.count) == 0 else {
            throw PrecisionError("--precision bf16: " + cText(message))
        }
        // A first product: oneDNN refuses what it cannot run here (e.g. a library older than the CPU).
        try BF16Products.shared.with(BF16Products.probe) { _ in }
    }

    /// For the start of a command, e.g. "bf16 operands … through oneDNN 2.6.3 (brg:avx512_core_amx)".
    /// Only after `checkSupported()` succeeded.
    public var summary: String {
        guard self == .bf16 else { return "f32" }
        let operands = "bf16 operands (every convolution's inputs rounded to bf16, sums in f32)"
        guard BF16Arithmetic.current == .oneDNN else {
            return operands + ", multiplied as f32 (exact for bf16 values): without AMX, this CPU's bf16 products "
                + "run at about half f32's rate (BENCHMARKS.md), so bf16 gives f32's speed here, not more"
        }
        let implementation = (try? BF16Products.shared.with(BF16Products.probe) {
            String(cString: cdnnl_matmul_implementation($0))
        }) ?? "?"
        return operands + " through oneDNN \(String(cString: cdnnl_version())) (\(implementation))"
    }
}

/// How bf16 operands are multiplied. A product of two bf16 values is exact in f32 (8 + 8 significant bits
/// fit in 24), so f32 arithmetic on the rounded operands gives what bf16 hardware gives, up to the order of
/// the f32 sums. Which is faster is the CPU's: with AMX tiles oneDNN's bf16 convolution measured 650 GFLOP/s
/// against f32's 128; with AVX512_BF16 alone, oneDNN's bf16 matmul ran at 62–80 GFLOP/s against OpenBLAS's
/// f32 110–151 (`Scripts/bf16-probe`), and f32 keeps Winograd (docs/native-libraries.md). Chosen once from
/// the CPU, so a run's numbers do not depend on a timing; task-local so that tests can run both.
public enum BF16Arithmetic: String, Sendable {
    /// oneDNN's bf16 matmul (AMX tiles): `sgemm` converts to bf16, 3×3 convolutions take im2col.
    case oneDNN
    /// The f32 kernels, Winograd included, on the rounded operands.
    case f32

    @TaskLocal public static var current: BF16Arithmetic = CPUInfo.has("amxbf16") ? .oneDNN : .f32
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

/// `sgemm`'s product through oneDNN, A and B converted to bf16 (rounded, where a caller passes values that are
/// not bf16 already), cut into the same blocks of C.
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
        bf16Halves(pa.value + lo, pa16.value + lo, count: hi - lo)
    }
    parallelChunks(bRows, costPerItem: bColumns) { rows in
        for r in rows { bf16Halves(pb.value + r * ldb, pb16.value + r * bColumns, count: bColumns) }
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

/// The bits of a float rounded to bf16 (to nearest, ties to even, on the 16 bits dropped), the low 16 zero.
/// A NaN stays NaN (its quiet bit set: rounding could carry its mantissa into the exponent's infinity).
@inline(__always)
func bf16Bits(_ u: UInt32) -> UInt32 {
    if u & 0x7FFF_FFFF > 0x7F80_0000 { return (u | 0x0040_0000) & 0xFFFF_0000 }
    return (u &+ 0x7FFF &+ ((u >> 16) & 1)) & 0xFFFF_0000
}

/// `count` floats rounded to bf16, as bf16 values (the upper halves), for oneDNN.
func bf16Halves(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>, count: Int) {
    for i in 0..<count { destination[i] = UInt16(truncatingIfNeeded: bf16Bits(source[i].bitPattern) >> 16) }
}

/// `x` with every value rounded to bf16 (and kept as f32): the operands of bf16 products.
public func bf16Rounded(_ x: Tensor) -> Tensor {
    var rounded = Tensor(uninitializedShape: x.shape)
    let count = x.count, chunk = 1 << 14
    x.withUnsafeBufferPointer { xp in
    rounded.withUnsafeMutableBufferPointer { rp in
        let (source, destination) = (Unchecked(xp.baseAddress!), Unchecked(rp.baseAddress!))
        parallelChunks((count + chunk - 1) / chunk, costPerItem: chunk) { chunks in
            for i in chunks.lowerBound * chunk..<min(count, chunks.upperBound * chunk) {
                destination.value[i] = Float(bitPattern: bf16Bits(source.value[i].bitPattern))
            }
        }
    }}
    return rounded
}

/// A convolution's operand as its products take it: rounded to bf16 under `Precision.bf16`.
func productOperand(_ t: Tensor) -> Tensor { Precision.current == .bf16 ? bf16Rounded(t) : t }

/// A convolution's weight as its products take it, and the cache of the forms derived from that: under bf16
/// the rounded weight, kept with its own forms (`ConvFilterCache.bf16`) apart from the f32 weight's.
func productWeight(_ weight: Tensor, cache: ConvFilterCache?) -> (Tensor, ConvFilterCache?) {
    guard Precision.current == .bf16 else { return (weight, cache) }
    guard let forms = cache?.bf16 else { return (bf16Rounded(weight), nil) }
    let rounded = forms.weight ?? bf16Rounded(weight)
    forms.weight = rounded
    return (rounded, forms)
}

/// The text of a NUL-terminated C buffer.
private func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
