// Direct convolution for layers with very few output channels, stride 1, no padding: the generator's
// last layer (7×7, ngf → 3 channels, on a reflection-padded input). As im2col + GEMM it has M = 3 and a
// column matrix of Cin·49 rows (822 MB at 256²) and ran at 7–14 GFLOP/s (BENCHMARKS.md); here each
// output row is accumulated in registers from rows of the input that stay in cache.

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
    let (Ho, Wo) = (H - k + 1, W - k + 1)
    var y = Tensor(uninitializedShape: [N, Cout, Ho, Wo])
    let biasValues = bias?.scalars ?? [Float](repeating: 0, count: Cout)
    x.withUnsafeBufferPointer { xb in
    weight.withUnsafeBufferPointer { wb in
    y.withUnsafeMutableBufferPointer { yb in
        let (xs, ws, ys) = (Unchecked(xb.baseAddress!), Unchecked(wb.baseAddress!), Unchecked(yb.baseAddress!))
        parallelChunks(N * Ho, costPerItem: Cout * Cin * k * k * Wo) { rows in
            let (x, w, y) = (xs.value, ws.value, ys.value)
            for r in rows {
                let (n, oy) = (r / Ho, r % Ho)
                for co in 0..<Cout {
                    (y + ((n &* Cout &+ co) &* Ho &+ oy) &* Wo).update(repeating: biasValues[co], count: Wo)
                }
                for ci in 0..<Cin {
                    for ky in 0..<k {
                        let xrow = UnsafePointer(x + ((n &* Cin &+ ci) &* H &+ oy &+ ky) &* W)
                        for co in 0..<Cout {
                            let taps = UnsafePointer(w + ((co &* Cin &+ ci) &* k &+ ky) &* k)
                            let yrow = y + ((n &* Cout &+ co) &* Ho &+ oy) &* Wo
                            var ox = 0
                            while ox &+ 8 <= Wo {
                                var acc = load8(yrow + ox)
                                for kx in 0..<k {
                                    acc = acc.addingProduct(SIMD8(repeating: taps[kx]), load8(xrow + (ox &+ kx)))
                                }
                                store8(acc, yrow + ox)
                                ox &+= 8
                            }
                            while ox < Wo {
                                var s = yrow[ox]
                                for kx in 0..<k { s += taps[kx] * xrow[ox &+ kx] }
                                yrow[ox] = s
                                ox &+= 1
                            }
                        }
                    }
                }
            }
        }
    }}}
    return y
}

/// dOutput [N, Cout, Ho, Wo], input x [N, Cin, H, W] → dWeight [Cout, Cin, k, k] of the direct convolution.
func conv2dFewOutputsWeightGradient(_ dOutput: Tensor, input x: Tensor, kernel k: Int) -> Tensor {
    let (N, Cin, H, W) = (x.n, x.c, x.h, x.w)
    let (Cout, Ho, Wo) = (dOutput.c, dOutput.h, dOutput.w)
    var dWeight = Tensor(shape: [Cout, Cin, k, k])
    x.withUnsafeBufferPointer { xb in
    dOutput.withUnsafeBufferPointer { gb in
    dWeight.withUnsafeMutableBufferPointer { db in
        let (xs, gs, ds) = (Unchecked(xb.baseAddress!), Unchecked(gb.baseAddress!), Unchecked(db.baseAddress!))
        // Each input channel owns its slice dWeight[:, ci, :, :]: the two threads never write the same value.
        parallelChunks(Cin, costPerItem: N * Cout * k * k * Ho * Wo) { channels in
            let (x, g, d) = (xs.value, gs.value, ds.value)
            var sums = [Double](repeating: 0, count: Cout * k * k)
            for ci in channels {
                for i in sums.indices { sums[i] = 0 }
                for n in 0..<N {
                    for oy in 0..<Ho {
                        for ky in 0..<k {
                            let xrow = UnsafePointer(x + ((n &* Cin &+ ci) &* H &+ oy &+ ky) &* W)
                            for co in 0..<Cout {
                                let grow = UnsafePointer(g + ((n &* Cout &+ co) &* Ho &+ oy) &* Wo)
                                for kx in 0..<k {
                                    var acc = SIMD8<Float>()
                                    var ox = 0
                                    while ox &+ 8 <= Wo {
                                        acc = acc.addingProduct(load8(grow + ox), load8(xrow + (ox &+ kx)))
                                        ox &+= 8
                                    }
                                    var s = acc.sum()
                                    while ox < Wo { s += grow[ox] * xrow[ox &+ kx]; ox &+= 1 }
                                    sums[(co &* k &+ ky) &* k &+ kx] += Double(s)
                                }
                            }
                        }
                    }
                }
                for co in 0..<Cout {
                    for t in 0..<(k * k) { d[(co &* Cin &+ ci) &* k &* k &+ t] = Float(sums[co &* k &* k &+ t]) }
                }
            }
        }
    }}}
    return dWeight
}
