import Testing
@testable import Tensor

/// Fast kernels against direct-loop oracles and hand-computed values.
@Suite("Kernels")
struct KernelTests {
    func maxDiff(_ a: Tensor, _ b: Tensor) -> Float { (a - b).maxAbs() }

    @Test("sgemm split between threads equals the loops (all transposes, wide, tall, and deep: summed over slices of k)",
          arguments: [(m: 70, n: 300, k: 120), (m: 300, n: 41, k: 200), (m: 9, n: 10, k: 7), (m: 6, n: 9, k: 50000)])
    func gemmSplit(_ s: (m: Int, n: Int, k: Int)) {
        if s.k > 16384 { #expect(gemmBlocks(m: s.m, n: s.n, k: s.k) == 1 && gemmSlices(m: s.m, n: s.n, k: s.k) == 4) }
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = randn(transA ? [s.k, s.m] : [s.m, s.k], seed: 1), b = randn(transB ? [s.n, s.k] : [s.k, s.n], seed: 2)
            let c0 = randn([s.m, s.n], seed: 3)
            var c = c0
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                sgemm(transA: transA, transB: transB, m: s.m, n: s.n, k: s.k, alpha: 0.5, a: ap.baseAddress!,
                      b: bp.baseAddress!, beta: 1, c: cp.baseAddress!)
            }}}
            let (av, bv, cv, c0v) = (a.scalars, b.scalars, c.scalars, c0.scalars)
            var worst: Double = 0
            for i in 0..<s.m { for j in 0..<s.n {
                var sum = 0.0
                for p in 0..<s.k {
                    sum += Double(av[transA ? p * s.m + i : i * s.k + p]) * Double(bv[transB ? j * s.k + p : p * s.n + j])
                }
                worst = max(worst, abs(0.5 * sum + Double(c0v[i * s.n + j]) - Double(cv[i * s.n + j])))
            }}
            // Sums of k products of N(0, 1) values: float rounding grows with k (≈ 3e-3 at k = 50000).
            #expect(worst < 1e-3 * max(1, Double(s.k) / 1000),
                    "m \(s.m) n \(s.n) k \(s.k) transA \(transA) transB \(transB): \(worst)")
        }
    }

    /// Column matrices built in slabs of output rows (the limit lowered from 64 MB to 16 KB so that small
    /// shapes are cut; bias, stride 2 and odd sizes so that slab edges cut through everything).
    @Test("convolution and transposed convolution in slabs of rows equal the direct loops")
    func columnSlabs() {
        $columnSlabLimit.withValue(4000) {
            let x = randn([2, 3, 29, 23], seed: 8), w = randn([5, 3, 7, 7], seed: 9), b = randn([5], seed: 10)
            let g = ConvGeometry(channels: 3, height: 29, width: 23, kernel: 7, stride: 1, padding: 2)
            #expect(columnSlabRows(g) == 1)   // one row per slab
            let d = maxDiff(conv2dForward(x, weight: w, bias: b, stride: 1, padding: 2),
                            conv2dNaive(x, weight: w, bias: b, stride: 1, padding: 2))
            let xt = randn([2, 6, 17, 13], seed: 11), wt = randn([6, 4, 3, 3], seed: 12), bt = randn([4], seed: 13)
            let gt = ConvGeometry(channels: 4, height: 34, width: 26, kernel: 3, stride: 2, padding: 1)
            #expect(gt.outHeight == 17 && columnSlabRows(gt) > 1 && columnSlabRows(gt) < gt.outHeight)
            let dt = maxDiff(convTranspose2dForward(xt, weight: wt, bias: bt, stride: 2, padding: 1, outputPadding: 1),
                             convTranspose2dNaive(xt, weight: wt, bias: bt, stride: 2, padding: 1, outputPadding: 1))
            print("slabs: conv max |fast − naive| = \(d), transposed \(dt)")
            #expect(d < 1e-4 && dt < 1e-4)
        }
    }

    @Test("the unpacked narrow GEMM equals OpenBLAS's (row blocks of 4 and the rows left over)",
          arguments: [(m: 13, n: 16, k: 37), (m: 8, n: 32, k: 5), (m: 3, n: 16, k: 128)])
    func narrowGEMM(_ s: (m: Int, n: Int, k: Int)) {
        let a = randn([s.m, s.k], seed: 4), b = randn([s.k, s.n], seed: 5)
        var narrow = Tensor(shape: [s.m, s.n]), blas = Tensor(shape: [s.m, s.n])
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
            narrow.withUnsafeMutableBufferPointer {
                sgemmNarrow(m: s.m, n: s.n, k: s.k, a: ap.baseAddress!, b: bp.baseAddress!, c: $0.baseAddress!)
            }
            blas.withUnsafeMutableBufferPointer {
                sgemm(m: s.m, n: s.n, k: s.k, a: ap.baseAddress!, b: bp.baseAddress!, c: $0.baseAddress!)
            }
        }}
        #expect(maxDiff(narrow, blas) < 1e-4 * max(1, blas.maxAbs()))
    }

    @Test("conv2d (im2col + sgemm) equals the direct loops", arguments: [
        (k: 3, s: 1, p: 1), (k: 3, s: 2, p: 1), (k: 4, s: 2, p: 1), (k: 4, s: 1, p: 1), (k: 7, s: 1, p: 0), (k: 1, s: 1, p: 0),
    ])
    func convMatchesNaive(_ c: (k: Int, s: Int, p: Int)) {
        let x = randn([2, 3, 9, 8], seed: 1), w = randn([5, 3, c.k, c.k], seed: 2), b = randn([5], seed: 3)
        let d = maxDiff(conv2dForward(x, weight: w, bias: b, stride: c.s, padding: c.p),
                        conv2dNaive(x, weight: w, bias: b, stride: c.s, padding: c.p))
        print("conv k\(c.k) s\(c.s) p\(c.p): max |fast − naive| = \(d)")
        #expect(d < 1e-4)
    }

    @Test("few-output-channel direct convolution (the generator's last layer) equals the direct loops",
          arguments: [(cout: 3, k: 7), (cout: 1, k: 3), (cout: 4, k: 4)])
    func fewOutputs(_ c: (cout: Int, k: Int)) {
        // 37 columns: outputs in runs of 16 and 8 and one by one (31 for k = 7: 16 + 8 + 7).
        let x = randn([2, 5, 13, 37], seed: 7), w = randn([c.cout, 5, c.k, c.k], seed: 8), b = randn([c.cout], seed: 9)
        let d = maxDiff(conv2dForward(x, weight: w, bias: b, stride: 1, padding: 0),
                        conv2dNaive(x, weight: w, bias: b, stride: 1, padding: 0))
        // The weight gradient against im2col + GEMM's formula: dW = dY × colsᵀ, summed over the batch.
        let dy = randn([2, c.cout, 13 - c.k + 1, 37 - c.k + 1], seed: 10)
        let direct = conv2dFewOutputsWeightGradient(dy, input: x, kernel: c.k)
        let g = ConvGeometry(channels: 5, height: 13, width: 37, kernel: c.k, stride: 1, padding: 0)
        var viaGEMM = Tensor(shape: w.shape)
        var cols = Tensor(shape: [g.patchSize, g.outPixels])
        for n in 0..<2 {
            x.withUnsafeBufferPointer { xp in cols.withUnsafeMutableBufferPointer { im2col(xp.baseAddress! + n * 5 * 13 * 37, g, into: $0.baseAddress!) } }
            dy.withUnsafeBufferPointer { dp in cols.withUnsafeBufferPointer { cp in viaGEMM.withUnsafeMutableBufferPointer { vp in
                sgemm(transB: true, m: c.cout, n: g.patchSize, k: g.outPixels, a: dp.baseAddress! + n * c.cout * g.outPixels,
                      b: cp.baseAddress!, beta: 1, c: vp.baseAddress!)
            }}}
        }
        let dw = maxDiff(direct, viaGEMM) / viaGEMM.maxAbs()
        print("few outputs Cout \(c.cout) k \(c.k): forward max |direct − naive| = \(d), dW relative \(dw)")
        #expect(d < 1e-4 && dw < 1e-5)
    }

    @Test("transposed conv2d equals the direct loops", arguments: [0, 1])
    func convTransposeMatchesNaive(_ outputPadding: Int) {
        let x = randn([2, 4, 5, 3], seed: 4), w = randn([4, 3, 3, 3], seed: 5), b = randn([3], seed: 6)
        let fast = convTranspose2dForward(x, weight: w, bias: b, stride: 2, padding: 1, outputPadding: outputPadding)
        let naive = convTranspose2dNaive(x, weight: w, bias: b, stride: 2, padding: 1, outputPadding: outputPadding)
        #expect(fast.shape == [2, 3, 9 + outputPadding, 5 + outputPadding])
        let d = maxDiff(fast, naive)
        print("convT output_padding \(outputPadding): max |fast − naive| = \(d)")
        #expect(d < 1e-4)
    }

    @Test("the U-Net's 4×4 stride-2 convolutions down to 1×1 and transposed ones back equal the direct loops",
          arguments: [1, 2, 4, 8])
    func unetShapes(_ side: Int) {
        let x = randn([1, 6, 2 * side, 2 * side], seed: 11), w = randn([5, 6, 4, 4], seed: 12), b = randn([5], seed: 13)
        let down = maxDiff(conv2dForward(x, weight: w, bias: b, stride: 2, padding: 1), conv2dNaive(x, weight: w, bias: b, stride: 2, padding: 1))
        let z = randn([1, 6, side, side], seed: 14), wt = randn([6, 3, 4, 4], seed: 15)
        let fast = convTranspose2dForward(z, weight: wt, bias: nil, stride: 2, padding: 1, outputPadding: 0)
        let up = maxDiff(fast, convTranspose2dNaive(z, weight: wt, bias: nil, stride: 2, padding: 1, outputPadding: 0))
        print("U-Net shapes at \(side): conv max |fast − naive| = \(down), convT \(up)")
        #expect(fast.shape == [1, 3, 2 * side, 2 * side] && down < 1e-4 && up < 1e-4)
    }

    @Test("reflection pad mirrors without repeating the edge (as PyTorch)")
    func reflection() {
        let wide = Tensor(shape: [1, 1, 3, 4], values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        #expect(reflectionPadForward(wide, padding: 2).shape == [1, 1, 7, 8])
        // Row 0 of the padded 3×4 input is input row 2 (reflect(−2) = 2): [11, 10, 9, 10, 11, 12, 11, 10].
        let padded = reflectionPadForward(wide, padding: 2).scalars
        #expect(Array(padded[0..<8]) == [11, 10, 9, 10, 11, 12, 11, 10])
    }

    @Test("instance norm: zero mean, unit (biased) variance per plane, eps 1e-5")
    func instanceNormStats() {
        let x = Tensor(shape: [1, 1, 1, 4], values: [1, 2, 3, 4])
        let (y, stats) = normalizeForward(x, groups: .instance)
        // mean 2.5, biased variance 1.25
        #expect(stats.mean == [2.5] && stats.variance == [1.25])
        let inv = 1 / (Float(1.25) + 1e-5).squareRoot()
        for (got, want) in Swift.zip(y.scalars, [-1.5 * inv, -0.5 * inv, 0.5 * inv, 1.5 * inv]) {
            #expect(abs(got - want) < 1e-6)
        }
    }

    @Test("tape: a frozen parameter gets no gradient, a parameter used twice sums, detach cuts")
    func tapeSemantics() {
        let tape = Tape()
        let used = Parameter(Tensor(shape: [1, 1, 1, 1], values: [3]))
        let frozen = Parameter(Tensor(shape: [1, 1, 1, 1], values: [5]))
        frozen.requiresGrad = false
        let x = tape.constant(Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4]))
        let w = tape.parameter(used), f = tape.parameter(frozen)
        // y = f * (w * x) + w * x  (1×1 convs); d/dw Σy = (f + 1) Σx = 6 · 10 = 60
        let wx = conv2d(x, weight: w, bias: nil)
        let y = conv2d(wx, weight: f, bias: nil) + conv2d(x, weight: tape.parameter(used), bias: nil)
        let cut = conv2d(wx.detached(), weight: f, bias: nil)   // detached and frozen: contributes nothing to dw
        tape.backward(mean(y + cut))
        #expect(abs(used.grad.scalar - 60.0 / 4) < 1e-5)
        #expect(frozen.grad.scalar == 0)
    }

    @Test("seeded generator: same seed, same stream; normal samples have mean 0, std 1")
    func generator() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        var c = SeededGenerator(state: a.state)
        #expect(c.next() == a.next())
        let t = Tensor.randomNormal([100_000], using: &b)
        let m = t.mean(), s = (t.map { $0 * $0 }.mean() - m * m).squareRoot()
        #expect(abs(m) < 0.01 && abs(s - 1) < 0.01)
    }
}
