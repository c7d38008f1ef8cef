import Foundation
import Testing
@testable import Tensor

/// |t|, element by element: the magnitudes the rounding bounds scale with.
private func absolute(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, values: t.scalars.map { abs($0) }) }

/// Whether oneDNN computes bf16 products on this machine: the tests of that arithmetic are skipped, with this
/// reason, elsewhere. (The f32 arithmetic on rounded operands runs on any CPU.)
let oneDNNAvailable: Bool =
    BF16Arithmetic.$current.withValue(.oneDNN) { (try? Precision.bf16.checkSupported()) != nil }
let oneDNNReason: Comment = "needs a CPU with AVX512_BF16 or AMX and oneDNN (libdnnl2)"

/// bf16 products against f32 ones. Bounds, with u = 2⁻⁸ (bf16's unit roundoff: 8 significant bits):
/// - against f32 on the same inputs rounded to bf16, only the f32 sums differ (their order): per element
///   ≤ (k + 2)·2⁻²³ · (|α|·|A|·|B| + |β|·|C₀|). This is what tells a product on bf16 inputs from one on
///   f32 inputs (the difference would be ≈ 2⁻⁹ relative, ~10⁴× the bound) or on truncated ones.
/// - against f32 on the unrounded inputs: each product a·b carries (1 + δ₁)(1 + δ₂), |δ| ≤ u, so per
///   element ≤ (2u + u²) · |α|·|A|·|B| plus the bound above.
@Suite("bf16 precision")
struct PrecisionTests {
    @Test("rounding to bf16: to nearest, ties to even; NaN, infinities and signed zeros kept")
    func rounding() {
        let one: Float = 1, ulp: Float = 1.0 / 128   // bf16's spacing at 1
        let cases: [(Float, Float)] = [
            (one, one), (one + ulp / 2, one),                        // a tie rounds to the even 1.0
            (one + 3 * ulp / 2, one + 2 * ulp),                      // a tie rounds up to the even 1 + 2ulp
            (one + ulp / 2 + ulp / 64, one + ulp),                   // above the tie: up
            (one + ulp / 2 - ulp / 64, one),                         // below the tie: down
            // PyTorch's `.to(torch.bfloat16)` of the same values (it rounds to nearest even too):
            (-3.14159265, -3.140625), (65504, 65536), (1e-30, 9.98402083170343e-31),
            (.infinity, .infinity), (-.infinity, -.infinity), (Float.greatestFiniteMagnitude, .infinity),
        ]
        let rounded = bf16Rounded(Tensor(shape: [cases.count], values: cases.map(\.0))).scalars
        for (i, (x, expected)) in cases.enumerated() {
            #expect(rounded[i] == expected || abs(rounded[i] - expected) <= abs(expected) * 1e-5,
                    "bf16(\(x)) = \(rounded[i]), expected \(expected)")
        }
        let special = bf16Rounded(Tensor(shape: [3], values: [.nan, -0.0, 0])).scalars
        #expect(special[0].isNaN)
        #expect(special[1] == 0 && special[1].sign == .minus && special[2].sign == .plus)
    }

    @Test("a CPU without AVX512_BF16 or AMX is refused with one line naming what it lacks")
    func refusedWithoutBF16() {
        #expect(throws: PrecisionError.self) { try Precision.bf16.checkSupported(cpuHasBF16: false) }
        do {
            try Precision.bf16.checkSupported(cpuHasBF16: false)
        } catch {
            #expect(error.description.contains("has neither AVX512_BF16 nor AMX-BF16; use --precision f32"))
        }
        #expect(throws: Never.self) { try Precision.f32.checkSupported(cpuHasBF16: false) }
    }

    @Test("prepared products are kept up to the capacity; beyond it each call prepares and frees its own",
          .enabled(if: oneDNNAvailable, oneDNNReason))
    func preparedProducts() throws {
        let products = BF16Products(capacity: 2)
        let shapes = (1...3).map {
            BF16Products.Shape(transA: false, transB: false, m: 4, n: 16 * $0, k: 8, lda: 8, ldb: 16 * $0,
                               ldc: 16 * $0, alpha: 1, beta: 0)
        }
        var kept: [OpaquePointer] = []
        for shape in shapes { kept.append(try products.with(shape) { $0 }) }
        #expect(products.keptCount == 2)
        #expect(try products.with(shapes[0]) { $0 } == kept[0] && products.with(shapes[1]) { $0 } == kept[1])
        var ran = false
        try products.with(shapes[2]) { _ in ran = true }
        #expect(ran && products.keptCount == 2)
    }

    struct GEMMCase: CustomStringConvertible, Sendable {
        let transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float, widerB: Int, widerC: Int
        var description: String {
            "\(m)×\(n)×\(k)\(transA ? " Aᵀ" : "")\(transB ? " Bᵀ" : "") α \(alpha) β \(beta) ldb+\(widerB) ldc+\(widerC)"
        }
    }
    static let gemmCases: [GEMMCase] = [
        GEMMCase(transA: false, transB: false, m: 37, n: 300, k: 70, alpha: 1, beta: 0, widerB: 0, widerC: 0),
        GEMMCase(transA: true, transB: false, m: 37, n: 300, k: 70, alpha: 1, beta: 1, widerB: 5, widerC: 3),
        GEMMCase(transA: false, transB: true, m: 37, n: 300, k: 70, alpha: 0.5, beta: 1, widerB: 2, widerC: 0),
        GEMMCase(transA: true, transB: true, m: 20, n: 9, k: 33, alpha: 1, beta: 0, widerB: 0, widerC: 7),
        // Cut into 16 blocks of columns, and into blocks of rows (C tall).
        GEMMCase(transA: false, transB: false, m: 64, n: 4096, k: 24, alpha: 1, beta: 1, widerB: 0, widerC: 0),
        GEMMCase(transA: true, transB: false, m: 4100, n: 40, k: 24, alpha: 1, beta: 0, widerB: 0, widerC: 0),
        GEMMCase(transA: false, transB: true, m: 64, n: 4096, k: 24, alpha: 1, beta: 0, widerB: 3, widerC: 0),
    ]

    @Test("sgemm in bf16 through oneDNN equals f32 on the inputs rounded to bf16, and f32 within bf16's rounding",
          .enabled(if: oneDNNAvailable, oneDNNReason), arguments: gemmCases)
    func gemm(_ g: GEMMCase) {
        let (aRows, aColumns) = g.transA ? (g.k, g.m) : (g.m, g.k)
        let (bRows, bColumns) = g.transB ? (g.n, g.k) : (g.k, g.n)
        let ldb = bColumns + g.widerB, ldc = g.n + g.widerC
        let a = randn([aRows * aColumns], seed: 1), b = randn([bRows * ldb], seed: 2)
        let c0 = randn([g.m * ldc], seed: 3)
        let initial = c0.scalars
        func product(_ a: Tensor, _ b: Tensor, _ c: Tensor, alpha: Float, beta: Float, _ precision: Precision) -> [Float] {
            var c = c
            a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                BF16Arithmetic.$current.withValue(.oneDNN) {
                    Precision.$current.withValue(precision) {
                        sgemm(transA: g.transA, transB: g.transB, m: g.m, n: g.n, k: g.k, alpha: alpha,
                              a: ap.baseAddress!, b: bp.baseAddress!, ldb: ldb, beta: beta, c: cp.baseAddress!, ldc: ldc)
                    }
                }
            }}}
            return c.scalars
        }
        let bf16 = product(a, b, c0, alpha: g.alpha, beta: g.beta, .bf16)
        let (ar, br) = (bf16Rounded(a), bf16Rounded(b))
        let onRounded = product(ar, br, c0, alpha: g.alpha, beta: g.beta, .f32)
        let f32 = product(a, b, c0, alpha: g.alpha, beta: g.beta, .f32)
        let magnitude = product(absolute(ar), absolute(br), absolute(c0), alpha: abs(g.alpha), beta: abs(g.beta), .f32)
        let magnitudeOfProducts = product(absolute(a), absolute(b), c0, alpha: abs(g.alpha), beta: 0, .f32)
        let (u, sums) = (Float(1) / 256, Float(g.k + 2) / Float(1 << 23))
        var (worstSums, worstRounding, rounded) = (Float(0), Float(0), false)
        for i in 0..<g.m {
            for j in 0..<ldc {
                let e = i * ldc + j
                if j >= g.n {   // beyond the columns of C: untouched
                    #expect(bf16[e] == initial[e])
                    continue
                }
                worstSums = max(worstSums, abs(bf16[e] - onRounded[e]) / (sums * magnitude[e]))
                worstRounding = max(worstRounding, abs(bf16[e] - f32[e]) / ((2 * u + u * u) * magnitudeOfProducts[e]
                                                                        + sums * magnitude[e]))
                rounded = rounded || bf16[e] != f32[e]
            }
        }
        print("bf16 sgemm \(g): |bf16 − f32 on rounded inputs| ≤ \(worstSums) of its bound, "
              + "|bf16 − f32| ≤ \(worstRounding) of its bound")
        #expect(worstSums <= 1 && worstRounding <= 1 && rounded)
    }

    @Test("a convolution and both its gradients in bf16 through oneDNN: f32 on rounded inputs, and f32 within bf16's rounding",
          .enabled(if: oneDNNAvailable, oneDNNReason))
    func convolutionInOneDNN() {
        // 32 → 32 channels on 16 × 16: Winograd's shape in f32; bf16 in oneDNN must take im2col.
        let x = randn([2, 32, 16, 16], seed: 4), w = randn([32, 32, 3, 3], seed: 5, std: 0.1)
        let dy = randn([2, 32, 16, 16], seed: 6)
        let plan = BF16Arithmetic.$current.withValue(.oneDNN) {
            Precision.$current.withValue(.bf16) {
                ConvPlan(input: x.shape, weight: w.shape, stride: 1, padding: 1, needInput: true, needWeight: true)
            }
        }
        #expect(plan.forward == .im2col && plan.weightGradient == .im2col)
        func run(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ p: Precision, _ algorithm: ConvAlgorithm = .im2col)
            -> [Tensor] {
            BF16Arithmetic.$current.withValue(.oneDNN) {
                Precision.$current.withValue(p) {
                    ConvAlgorithm.$current.withValue(algorithm) {
                        let y = conv2dForward(x, weight: w, bias: nil, stride: 1, padding: 1)
                        let g = conv2dBackward(dy, input: x, weight: w, stride: 1, padding: 1, needInput: true,
                                               needWeight: true, needBias: false)
                        return [y, g.dInput!, g.dWeight!]
                    }
                }
            }
        }
        let bf16 = run(x, w, dy, .bf16, .automatic).map(\.scalars)
        let onRounded = run(bf16Rounded(x), bf16Rounded(w), bf16Rounded(dy), .f32).map(\.scalars)
        let f32 = run(x, w, dy, .f32).map(\.scalars)
        let magnitude = run(absolute(x), absolute(w), absolute(dy), .f32).map(\.scalars)
        let u = Float(1) / 256
        for (i, name) in ["forward", "input gradient", "weight gradient"].enumerated() {
            // Terms per sum: Cin·9 for the forward and input gradient, images·pixels for the weight gradient.
            let terms: Int = i == 2 ? 2 * 16 * 16 : 32 * 9
            let sums = Float(terms + 2) / Float(1 << 23)
            var (worstSums, worstRounding) = (Float(0), Float(0))
            for e in 0..<bf16[i].count {
                let (b, m) = (bf16[i][e], magnitude[i][e])
                worstSums = max(worstSums, abs(b - onRounded[i][e]) / (sums * m))
                worstRounding = max(worstRounding, abs(b - f32[i][e]) / ((2 * u + u * u + sums) * m))
            }
            print("bf16 conv 3×3 32→32 \(name): ≤ \(worstSums) of the f32-sums bound, ≤ \(worstRounding) of bf16's")
            #expect(worstSums <= 1 && worstRounding <= 1, "\(name)")
            #expect(bf16[i] != f32[i], "\(name) was not computed in bf16")
        }
    }

    /// A convolution case for the f32 arithmetic: each of the three algorithms, and the transposed convolution.
    struct ConvCase: CustomStringConvertible, Sendable {
        let name: String, transposed: Bool, input: [Int], weight: [Int], stride: Int, padding: Int
        /// The algorithm the forward takes (as in f32): Winograd too, unlike in oneDNN.
        var forward: ConvPlan.Forward? {
            transposed ? nil : name.contains("Winograd") ? .winograd : name.contains("few") ? .fewOutputs : .im2col
        }
        var description: String { name }
    }
    static let convCases: [ConvCase] = [
        ConvCase(name: "3×3 32→32 (Winograd)", transposed: false, input: [2, 32, 16, 16], weight: [32, 32, 3, 3],
                 stride: 1, padding: 1),
        ConvCase(name: "4×4 stride 2, 3→8 (im2col)", transposed: false, input: [1, 3, 16, 16], weight: [8, 3, 4, 4],
                 stride: 2, padding: 1),
        ConvCase(name: "7×7 16→3 (few outputs)", transposed: false, input: [1, 16, 14, 14], weight: [3, 16, 7, 7],
                 stride: 1, padding: 0),
        ConvCase(name: "transposed 3×3 stride 2, 16→8", transposed: true, input: [1, 16, 8, 8], weight: [16, 8, 3, 3],
                 stride: 2, padding: 1),
    ]

    @Test("bf16 in f32 arithmetic: every convolution and both its gradients are f32's on the operands rounded to bf16, bit for bit",
          arguments: convCases)
    func convolutionInF32(_ c: ConvCase) {
        let x = randn(c.input, seed: 7), w = randn(c.weight, seed: 8, std: 0.1), bias = randn([c.weight[c.transposed ? 1 : 0]], seed: 9)
        let reference = BF16Arithmetic.$current.withValue(.f32) {
            Precision.$current.withValue(.bf16) { c.run(x, w, bias, dy: nil, cache: nil) }
        }
        let dy = randn(reference[0].shape, seed: 10)
        if let forward = c.forward {
            let plan = BF16Arithmetic.$current.withValue(.f32) {
                Precision.$current.withValue(.bf16) {
                    ConvPlan(input: x.shape, weight: w.shape, stride: c.stride, padding: c.padding, needInput: true,
                             needWeight: true)
                }
            }
            #expect(plan.forward == forward)
        }
        func run(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ p: Precision, cache: ConvFilterCache? = nil) -> [[Float]] {
            BF16Arithmetic.$current.withValue(.f32) {
                Precision.$current.withValue(p) { c.run(x, w, bias, dy: dy, cache: cache).map(\.scalars) }
            }
        }
        let bf16 = run(x, w, dy, .bf16)
        let onRounded = run(bf16Rounded(x), bf16Rounded(w), bf16Rounded(dy), .f32)
        let f32 = run(x, w, dy, .f32)
        // A weight's forms kept by an f32 call are not those of its bf16 calls.
        let cache = ConvFilterCache()
        _ = run(x, w, dy, .f32, cache: cache)
        let bf16Cached = run(x, w, dy, .bf16, cache: cache)
        for (i, name) in ["forward", "input gradient", "weight gradient"].enumerated() {
            #expect(bf16[i] == onRounded[i], "\(c) \(name): not f32's on the rounded operands")
            #expect(bf16Cached[i] == bf16[i], "\(c) \(name): an f32 call's cached forms were used")
            #expect(bf16[i] != f32[i], "\(c) \(name) was computed on unrounded operands")
        }
        #expect(bf16[3] == f32[3] && bf16Cached[3] == f32[3], "the bias gradient is a sum of the f32 gradient")
    }
}

extension PrecisionTests.ConvCase {
    /// [y, dInput, dWeight, dBias] (only y without `dy`).
    func run(_ x: Tensor, _ w: Tensor, _ bias: Tensor, dy: Tensor?, cache: ConvFilterCache?) -> [Tensor] {
        if transposed {
            let y = convTranspose2dForward(x, weight: w, bias: bias, stride: stride, padding: padding, outputPadding: 1)
            guard let dy else { return [y] }
            let g = convTranspose2dBackward(dy, input: x, weight: w, stride: stride, padding: padding, needInput: true,
                                            needWeight: true, needBias: true)
            return [y, g.dInput!, g.dWeight!, g.dBias!]
        }
        let plan = ConvPlan(input: x.shape, weight: w.shape, stride: stride, padding: padding, needInput: true,
                            needWeight: true)
        let state = ConvCallState()   // as the ops pass one: Winograd's weight gradient takes the forward's V
        let y = conv2dForward(x, weight: w, bias: bias, stride: stride, padding: padding, plan: plan, cache: cache,
                              state: state)
        guard let dy else { return [y] }
        let g = conv2dBackward(dy, input: x, weight: w, stride: stride, padding: padding, plan: plan, needBias: true,
                               cache: cache, state: state)
        return [y, g.dInput!, g.dWeight!, g.dBias!]
    }
}
