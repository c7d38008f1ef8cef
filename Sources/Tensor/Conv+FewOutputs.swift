// Direct convolution for layers with very few output channels, stride 1, no padding: the generator's
// last layer (7×7, ngf → 3 channels, on a reflection-padded input). As im2col + GEMM it has M = 3 and a
// column matrix of Cin·49 rows (822 MB at 256²) and ran at 7–14 GFLOP/s (BENCHMARKS.md); here a run of 16
// outputs of every output channel at once is accumulated in registers (each input vector loaded once for
// all of them) from rows of the input that stay in cache. Both kernels do the operations of the simpler
// ones they replaced, in the same order (over ci, ky, kx; the weight gradient per image row, then in
// Double): the same bits.

/// Layers with at most this many output channels take the direct path.
public let fewOutputsLimit = 4

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// x [N, Cin, H, W], weight [Cout, Cin, k, k] (Cout ≤ fewOutputsLimit), bias [Cout]? → [N, Cout, H − k + 1, W − k + 1]
func conv2dFewOutputsForward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let (N, Cin, H, W) = (x.n, x.c, x.h, x.w)
    let (Cout, k) = (weight.shape[0], weight.shape[2])
    precondition(Cout <= fewOutputsLimit, "the direct convolution takes at most \(fewOutputsLimit) outputs")
    let (Ho, Wo, taps) = (H - k + 1, W - k + 1, Cin * k * k)
    var y = Tensor(uninitializedShape: [N, Cout, Ho, Wo])
    let biasValues = (bias?.scalars ?? []) + [Float](repeating: 0, count: fewOutputsLimit - (bias == nil ? 0 : Cout))
    // The weight as [Cin, k, k, 4]: the four outputs' taps of one input tap side by side (zero beyond Cout).
    var weight4 = [Float](repeating: 0, count: taps * fewOutputsLimit)
    weight.withUnsafeBufferPointer { w in
        for co in 0..<Cout { for t in 0..<taps { weight4[t &* fewOutputsLimit &+ co] = w[co &* taps &+ t] } }
    }
    x.withUnsafeBufferPointer { xb in
    weight4.withUnsafeBufferPointer { wb in
    y.withUnsafeMutableBufferPointer { yb in
        let (xs, ws, ys) = (Unchecked(xb.baseAddress!), Unchecked(wb.baseAddress!), Unchecked(yb.baseAddress!))
        parallelChunks(N * Ho, costPerItem: fewOutputsLimit * taps * Wo) { rows in
            for r in rows {
                let (n, oy) = (r / Ho, r % Ho)
                let input = xs.value + ((n &* Cin &* H &+ oy) &* W)   // row oy of channel 0
                func store<V: SIMD>(_ sums: (V, V, V, V), at ox: Int) where V.Scalar == Float {
                    for co in 0..<Cout {
                        let v = co == 0 ? sums.0 : co == 1 ? sums.1 : co == 2 ? sums.2 : sums.3
                        let out = ys.value + (((n &* Cout &+ co) &* Ho &+ oy) &* Wo &+ ox)
                        UnsafeMutableRawPointer(out).storeBytes(of: v, as: V.self)
                    }
                }
                var ox = 0
                while ox &+ 16 <= Wo {
                    store(fewOutputsRun(SIMD16<Float>.self, input + ox, H * W, W, Cin, k, wb: ws.value, biasValues), at: ox)
                    ox &+= 16
                }
                if ox &+ 8 <= Wo {
                    store(fewOutputsRun(SIMD8<Float>.self, input + ox, H * W, W, Cin, k, wb: ws.value, biasValues), at: ox)
                    ox &+= 8
                }
                for o in ox..<Wo {
                    for co in 0..<Cout {
                        var s = biasValues[co]
                        for ci in 0..<Cin {
                            for ky in 0..<k {
                                let xrow = input + (ci &* H &* W &+ ky &* W &+ o)
                                let w = ws.value + (((ci &* k &+ ky) &* k) &* fewOutputsLimit &+ co)
                                for kx in 0..<k { s += w[kx &* fewOutputsLimit] * xrow[kx] }
                            }
                        }
                        ys.value[((n &* Cout &+ co) &* Ho &+ oy) &* Wo &+ o] = s
                    }
                }
            }
        }
    }}}
    return y
}

/// One run of V.scalarCount outputs of the four output channels: bias + Σ_ci Σ_ky Σ_kx w · x, in that order.
/// `input`: the first input of the run in channel 0, `plane`: floats per input channel.
@inline(__always)
private func fewOutputsRun<V: SIMD>(_: V.Type, _ input: UnsafePointer<Float>, _ plane: Int, _ W: Int, _ Cin: Int,
                                    _ k: Int, wb w4: UnsafePointer<Float>, _ bias: [Float]) -> (V, V, V, V)
where V.Scalar == Float {
    var (a0, a1, a2, a3) = (V(repeating: bias[0]), V(repeating: bias[1]), V(repeating: bias[2]), V(repeating: bias[3]))
    for ci in 0..<Cin {
        for ky in 0..<k {
            let xrow = UnsafeRawPointer(input + (ci &* plane &+ ky &* W))
            let w = w4 + ((ci &* k &+ ky) &* k) &* 4
            for kx in 0..<k {
                let xv = xrow.loadUnaligned(fromByteOffset: kx &* 4, as: V.self)
                let t = w + kx &* 4
                a0 = a0.addingProduct(V(repeating: t[0]), xv)
                a1 = a1.addingProduct(V(repeating: t[1]), xv)
                a2 = a2.addingProduct(V(repeating: t[2]), xv)
                a3 = a3.addingProduct(V(repeating: t[3]), xv)
            }
        }
    }
    return (a0, a1, a2, a3)
}

/// dOutput [N, Cout, Ho, Wo], input x [N, Cin, H, W] → dWeight [Cout, Cin, k, k] of the direct convolution.
func conv2dFewOutputsWeightGradient(_ dOutput: Tensor, input x: Tensor, kernel k: Int) -> Tensor {
    let (N, Cin, H, W) = (x.n, x.c, x.h, x.w)
    let (Cout, Ho, Wo) = (dOutput.c, dOutput.h, dOutput.w)
    precondition(Cout <= fewOutputsLimit, "the direct convolution takes at most \(fewOutputsLimit) outputs")
    var dWeight = Tensor(shape: [Cout, Cin, k, k])
    let zeros = [Float](repeating: 0, count: Wo)   // the gradient rows of the outputs beyond Cout
    x.withUnsafeBufferPointer { xb in
    dOutput.withUnsafeBufferPointer { gb in
    dWeight.withUnsafeMutableBufferPointer { db in
    zeros.withUnsafeBufferPointer { zb in
        let (xs, gs, ds, zs) = (Unchecked(xb.baseAddress!), Unchecked(gb.baseAddress!), Unchecked(db.baseAddress!),
                                Unchecked(zb.baseAddress!))
        // Each input channel owns its slice dWeight[:, ci, :, :]: the two threads never write the same value.
        parallelChunks(Cin, costPerItem: N * fewOutputsLimit * k * k * Ho * Wo) { channels in
            var sums = [Double](repeating: 0, count: fewOutputsLimit * k * k)
            for ci in channels {
                for i in sums.indices { sums[i] = 0 }
                for ky in 0..<k {
                    // Two taps kx at a time: 4 outputs × 2 taps of sums, each gradient vector loaded once for both.
                    for kx in Swift.stride(from: 0, to: k, by: 2) {
                        let pair = kx &+ 1 < k
                        for n in 0..<N {
                            for oy in 0..<Ho {
                                let xrow = UnsafePointer(xs.value + (((n &* Cin &+ ci) &* H &+ oy &+ ky) &* W &+ kx))
                                func gradientRow(_ co: Int) -> UnsafePointer<Float> {
                                    co < Cout ? UnsafePointer(gs.value + ((n &* Cout &+ co) &* Ho &+ oy) &* Wo) : zs.value
                                }
                                let (first, second) = weightGradientRow(gradientRow(0), gradientRow(1), gradientRow(2),
                                                                        gradientRow(3), xrow, Wo, pair: pair)
                                for co in 0..<Cout {
                                    let tap = (co &* k &+ ky) &* k &+ kx
                                    sums[tap] += Double(first[co])
                                    if pair { sums[tap &+ 1] += Double(second[co]) }
                                }
                            }
                        }
                    }
                }
                let d = ds.value
                for co in 0..<Cout {
                    for t in 0..<(k * k) { d[(co &* Cin &+ ci) &* k &* k &+ t] = Float(sums[(co &* k &* k) &+ t]) }
                }
            }
        }
    }}}}
    return dWeight
}

/// Σ_ox g_co[ox] · x[ox + j] for the four gradient rows and the taps j = 0 (and 1 with `pair`), per row:
/// in eight lanes, their sum, then the scalar tail (the plain loop's order).
@inline(__always)
private func weightGradientRow(
    _ g0: UnsafePointer<Float>, _ g1: UnsafePointer<Float>, _ g2: UnsafePointer<Float>, _ g3: UnsafePointer<Float>,
    _ x: UnsafePointer<Float>, _ Wo: Int, pair: Bool
) -> (SIMD4<Float>, SIMD4<Float>) {
    var (a0, a1, a2, a3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    var (b0, b1, b2, b3) = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    var ox = 0
    while ox &+ 8 <= Wo {
        let (v0, v1, v2, v3) = (load8(g0 + ox), load8(g1 + ox), load8(g2 + ox), load8(g3 + ox))
        let xa = load8(x + ox)
        a0 = a0.addingProduct(v0, xa); a1 = a1.addingProduct(v1, xa)
        a2 = a2.addingProduct(v2, xa); a3 = a3.addingProduct(v3, xa)
        if pair {
            let xb = load8(x + (ox &+ 1))
            b0 = b0.addingProduct(v0, xb); b1 = b1.addingProduct(v1, xb)
            b2 = b2.addingProduct(v2, xb); b3 = b3.addingProduct(v3, xb)
        }
        ox &+= 8
    }
    func withTail(_ g: UnsafePointer<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> (Float, Float) {
        var (s, t) = (a.sum(), b.sum())
        for o in ox..<Wo {
            s += g[o] * x[o]
            if pair { t += g[o] * x[o &+ 1] }
        }
        return (s, t)
    }
    let (r0, r1, r2, r3) = (withTail(g0, a0, b0), withTail(g1, a1, b1), withTail(g2, a2, b2), withTail(g3, a3, b3))
    return (SIMD4(r0.0, r1.0, r2.0, r3.0), SIMD4(r0.1, r1.1, r2.1, r3.1))
}
