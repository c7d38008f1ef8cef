import Synchronization

// Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016): the residual blocks' convolutions, ≈ 80 % of a generator's FLOPs.
//
// The output is cut into 4×4 tiles; each reads a 6×6 input patch d. With the 6×6, 6×3 and 4×6 matrices
// Bᵀ, G and Aᵀ below, one tile of one output channel is
//     Y = Aᵀ [ Σ_ci (G g Gᵀ) ⊙ (Bᵀ d Bᵀᵀ) ] A
// so the channel sum becomes 36 independent GEMMs, one per position ξ of the 6×6 transformed tile:
//     M[ξ] (Cout × tiles) = U[ξ] (Cout × Cin) · V[ξ] (Cin × tiles)
// with 36 multiplies per 16 outputs instead of 144: 4× fewer. The transforms are cheap (a few adds per
// element) and run vectorised over a row of tiles.
//
// The weight gradient is the adjoint of the same computation: dU[ξ] = dM[ξ] · V[ξ]ᵀ with dM = A dY Aᵀ per
// tile, then dW = Gᵀ dU G. The input gradient needs nothing here: at stride 1 it is itself a 3×3
// convolution (with the flipped weights, `conv2dBackward`), so it takes this path too.
//
// Rounding: the transforms hold coefficients up to 8 and 1/24, so results differ from im2col's by
// ≈ 1e-6 relative (tests: `WinogradTests`); im2col + GEMM stays the always-available path and the oracle.

/// Which algorithm the 3×3 stride-1 convolutions use. `automatic` picks by layer shape (`winogradPays`),
/// a pure function of the shapes, so a run and its resumption compute bit-identical results.
/// Tests and benchmarks force the others to compare both paths:
///
///     ConvAlgorithm.$current.withValue(.im2col) { … }
public enum ConvAlgorithm: String, Sendable, CaseIterable {
    case automatic, im2col, winograd

    /// The algorithm in force (task-local, so that concurrent tests can each force their own).
    @TaskLocal public static var current = ConvAlgorithm.automatic
}

/// Whether a convolution (kernel k, stride s) of Cin → Cout channels with an output of batch × outHeight ×
/// outWidth goes through Winograd under `ConvAlgorithm.current`; never when bf16 products run in oneDNN
/// (`Precision.productsInOneDNN`). Asked by `ConvPlan` only.
func usesWinograd(kernel: Int, stride: Int, inChannels: Int, outChannels: Int, outHeight: Int, outWidth: Int,
                  batch: Int) -> Bool {
    guard kernel == 3 && stride == 1, !Precision.productsInOneDNN else { return false }
    switch ConvAlgorithm.current {
    case .im2col: return false
    case .winograd: return true
    case .automatic:
        let tiles = batch * ((outHeight + 3) / 4) * ((outWidth + 3) / 4)
        return winogradPays(inChannels: inChannels, outChannels: outChannels, tiles: tiles)
    }
}

/// Winograd won in every benchmark config, down to the residual blocks at 64² (128 channels, 4 × 4 tiles:
/// 0.30–0.34 s/iter against im2col's 0.35–0.47, alternating `cyclegan bench --conv_algorithm` runs);
/// thinner layers (few channels, fewer tiles) keep im2col, untested either way.
func winogradPays(inChannels: Int, outChannels: Int, tiles: Int) -> Bool {
    inChannels >= 32 && outChannels >= 32 && tiles >= 16
}

// MARK: - Geometry

/// How a convolution's output [N, ·, Ho, Wo] is cut into 4×4 tiles, each reading a 6×6 patch of the
/// zero-padded input. Tile t = (n·tilesY + ty)·tilesX + tx.
struct WinogradTiling {
    let batch: Int, height: Int, width: Int, padding: Int
    let outHeight: Int, outWidth: Int
    let tilesY: Int, tilesX: Int

    init(batch: Int, height: Int, width: Int, padding: Int) {
        self.batch = batch; self.height = height; self.width = width; self.padding = padding
        outHeight = height + 2 * padding - 2
        outWidth = width + 2 * padding - 2
        precondition(outHeight > 0 && outWidth > 0, "a 3×3 convolution does not fit a \(height)×\(width) input")
        tilesY = (outHeight + 3) / 4
        tilesX = (outWidth + 3) / 4
    }

    var tiles: Int { batch * planeTiles }
    /// Tiles of one image.
    var planeTiles: Int { tilesY * tilesX }
    /// Scratch row lengths: a plane's tiles, and a row of tiles plus one, rounded up to whole vectors.
    var planeStride: Int { (planeTiles + 7) & ~7 }
    var rowStride: Int { (tilesX + 1 + 7) & ~7 }
}

/// The 36 matrices of a transformed tensor (U [36, Cout, Cin], V [36, C, tiles], M and the gradients), each
/// `stride` floats after the previous. Not `rows · columns` apart: at power-of-two channel counts that is a
/// multiple of 4 KiB, and the transforms, which write or read all 36 at once, then crowd into one set of
/// the L1 cache (measured: U of a 128 × 128 weight in 226 µs, of 128 × 136 in 118 µs). An odd multiple of
/// 64 bytes puts the 36 in different sets.
struct WinogradMatrices {
    let rows: Int, columns: Int
    let stride: Int
    var storage: Tensor

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        stride = ((rows * columns + 15) & ~15) | 16
        storage = Tensor(uninitializedShape: [36 * stride])
    }
}

// MARK: - Convolution

/// Whether keeping U pays for its memory: when it is larger than one image's input transform (narrow maps,
/// where transforming the weights is most of the transforms' work). At 256² (U ≤ V) it is not kept. Per
/// image, not per batch: the work saved does not shrink with the batch (the trainer's batches of two at
/// 128², 32 × 32 maps, lost it: 0.76 → 0.8x s/iter).
func keepsWinogradFilters(outChannels: Int, imageTiles: Int) -> Bool { outChannels > imageTiles }

/// How many floats of input transforms V the forwards of the whole process may keep at once for their
/// backward (`ConvCallState`): 1 GiB. Each Winograd call on a tape keeps its V, 2.25 times its input, until
/// its backward, which then need not transform x again for the weight gradient. Measured (`cyclegan bench`,
/// BENCHMARKS.md): 256² resnet_9blocks 64/64 keeps all of its V in 0.9 GB (Winograd transforms 1.72 → 1.40
/// s/iter, peak memory 3.3 → 4.3 GB); 128² 64/64 in 0.12 GB (0.41 → 0.34 s/iter). Beyond the limit (larger
/// images or batches) the calls that find no room transform x again: the same bits either way.
/// Task-local so that a test can lower it.
@TaskLocal var keptWinogradInputsLimit = 1 << 28

/// The floats of V kept now, by every `ConvCallState` of the process.
private let keptWinogradInputFloats = Atomic<Int>(0)

/// Takes room for `floats` more kept floats if the limit allows; false, taking none, otherwise.
func reserveKeptWinogradInputs(_ floats: Int) -> Bool {
    let limit = keptWinogradInputsLimit
    var kept = keptWinogradInputFloats.load(ordering: .relaxed)
    while kept &+ floats <= limit {
        let (exchanged, original) = keptWinogradInputFloats.compareExchange(
            expected: kept, desired: kept &+ floats, ordering: .relaxed)
        if exchanged { return true }
        kept = original
    }
    return false
}

/// Gives back the room of `reserveKeptWinogradInputs`.
func releaseKeptWinogradInputs(_ floats: Int) {
    keptWinogradInputFloats.subtract(floats, ordering: .relaxed)
}

/// x [N, Cin, H, W], weight [Cout, Cin, 3, 3] (or its transform U in `cache`), bias [Cout]?
/// → [N, Cout, H + 2p − 2, W + 2p − 2]. `adjoint`: convolve with the flipped, transposed weight instead
/// (the input gradient of a convolution with `weight`, whose output channels are the weight's inputs).
/// `keepingInputsIn`: where to leave the input's transform V for the weight gradient, if there is room.
func conv2dWinogradForward(_ x: Tensor, weight: Tensor, adjoint: Bool = false, bias: Tensor?,
                           padding: Int, cache: ConvFilterCache? = nil, keepingInputsIn state: ConvCallState? = nil)
    -> Tensor {
    let (N, Cin) = (x.n, x.c)
    let Cout = weight.shape[adjoint ? 1 : 0]
    let tiling = WinogradTiling(batch: N, height: x.h, width: x.w, padding: padding)
    let T = tiling.tiles
    let u: WinogradMatrices
    if let kept = cache?.winograd {
        u = kept
    } else {
        u = winogradFilters(weight, adjoint: adjoint)
        if keepsWinogradFilters(outChannels: Cout, imageTiles: tiling.planeTiles) { cache?.winograd = u }
    }
    let v = winogradInputs(x, tiling)
    state?.keep(v)
    var m = WinogradMatrices(rows: Cout, columns: T)
    u.storage.withUnsafeBufferPointer { up in
    v.storage.withUnsafeBufferPointer { vp in
    m.storage.withUnsafeMutableBufferPointer { mp in
        sgemmBatch(36, m: Cout, n: T, k: Cin, a: up.baseAddress!, strideA: u.stride,
                   b: vp.baseAddress!, strideB: v.stride, c: mp.baseAddress!, strideC: m.stride)
    }}}
    return winogradOutputs(m, tiling, bias: bias)
}

/// dOutput [N, Cout, Ho, Wo], input x [N, Cin, H, W] → dWeight [Cout, Cin, 3, 3] of `conv2dWinogradForward`.
/// `inputs`: x's transform V, if the forward kept it.
func conv2dWinogradWeightGradient(_ dOutput: Tensor, input x: Tensor, padding: Int, inputs: WinogradMatrices? = nil)
    -> Tensor {
    let (Cin, Cout) = (x.c, dOutput.c)
    let tiling = WinogradTiling(batch: x.n, height: x.h, width: x.w, padding: padding)
    precondition(dOutput.h == tiling.outHeight && dOutput.w == tiling.outWidth, "inconsistent gradient shape")
    let T = tiling.tiles
    let v = inputs ?? winogradInputs(x, tiling)
    precondition(v.rows == Cin && v.columns == T, "the kept transform is of another input")
    let dm = winogradOutputGradients(dOutput, tiling)
    var du = WinogradMatrices(rows: Cout, columns: Cin)
    dm.storage.withUnsafeBufferPointer { dmp in
    v.storage.withUnsafeBufferPointer { vp in
    du.storage.withUnsafeMutableBufferPointer { dup in
        sgemmBatch(36, transB: true, m: Cout, n: Cin, k: T, a: dmp.baseAddress!, strideA: dm.stride,
                   b: vp.baseAddress!, strideB: v.stride, c: dup.baseAddress!, strideC: du.stride)
    }}}
    return winogradFilterGradients(du)
}

// MARK: - Transforms

/// weight [Cout, Cin, 3, 3] → U [36, Cout, Cin], U[·, o, i] = G g Gᵀ.
private func winogradFilters(_ weight: Tensor, adjoint: Bool) -> WinogradMatrices {
    let scope = Profiler.begin(.winograd); defer { Profiler.end(scope) }
    let (weightOut, weightIn) = (weight.shape[0], weight.shape[1])
    // The convolution's channels: the adjoint maps the weight's outputs to its inputs.
    let (Cout, Cin) = adjoint ? (weightIn, weightOut) : (weightOut, weightIn)
    var u = WinogradMatrices(rows: Cout, columns: Cin)
    let (stride, matrixStride) = ((Cin + 7) & ~7, u.stride)
    weight.withUnsafeBufferPointer { wb in
    u.storage.withUnsafeMutableBufferPointer { ub in
        let (ws, us) = (Unchecked(wb.baseAddress!), Unchecked(ub.baseAddress!))
        parallelChunks(Cout, costPerItem: Cin * 36) { outputs in
            // g[tap][ci] gathered for one output channel, then G·g (6 × 3 rows) per column tap.
            let g = UnsafeMutablePointer<Float>.allocate(capacity: 9 * stride + 18 * stride)
            defer { g.deallocate() }
            let h = g + 9 * stride
            for o in outputs {
                if adjoint {   // g[tap][ci] = weight[ci][o] rotated by 180°
                    for ci in 0..<Cin {
                        let w = ws.value + (ci &* weightIn &+ o) &* 9
                        for tap in 0..<9 { g[tap &* stride &+ ci] = w[8 &- tap] }
                    }
                } else {
                    let w = ws.value + o &* Cin &* 9
                    for ci in 0..<Cin { for tap in 0..<9 { g[tap &* stride &+ ci] = w[ci &* 9 &+ tap] } }
                }
                for kx in 0..<3 {   // h[i][kx] = Σ_ky G[i][ky] g[ky][kx]
                    applyG(g + kx &* stride, inStride: 3 &* stride, h + kx &* stride, outStride: 3 &* stride, count: Cin)
                }
                for i in 0..<6 {    // U[i][j] = Σ_kx G[j][kx] h[i][kx]
                    applyG(h + i &* 3 &* stride, inStride: stride,
                           us.value + (i &* 6 &* matrixStride &+ o &* Cin), outStride: matrixStride, count: Cin)
                }
            }
        }
    }}
    return u
}

/// dU [36, Cout, Cin] → dWeight [Cout, Cin, 3, 3] = Gᵀ dU G (the adjoint of `winogradFilters`).
private func winogradFilterGradients(_ du: WinogradMatrices) -> Tensor {
    let scope = Profiler.begin(.winograd); defer { Profiler.end(scope) }
    let (Cout, Cin) = (du.rows, du.columns)
    var dw = Tensor(uninitializedShape: [Cout, Cin, 3, 3])
    let (stride, matrixStride) = ((Cin + 7) & ~7, du.stride)
    du.storage.withUnsafeBufferPointer { db in
    dw.withUnsafeMutableBufferPointer { wb in
        let (ds, ws) = (Unchecked(db.baseAddress!), Unchecked(wb.baseAddress!))
        parallelChunks(Cout, costPerItem: Cin * 36) { outputs in
            let h = UnsafeMutablePointer<Float>.allocate(capacity: 18 * stride + 9 * stride)
            defer { h.deallocate() }
            let g = h + 18 * stride
            for o in outputs {
                for i in 0..<6 {    // h[i][kx] = Σ_j G[j][kx] dU[i][j]
                    applyGTransposed(ds.value + (i &* 6 &* matrixStride &+ o &* Cin), inStride: matrixStride,
                                     h + i &* 3 &* stride, outStride: stride, count: Cin)
                }
                for kx in 0..<3 {   // g[ky][kx] = Σ_i G[i][ky] h[i][kx]
                    applyGTransposed(h + kx &* stride, inStride: 3 &* stride, g + kx &* stride,
                                     outStride: 3 &* stride, count: Cin)
                }
                let w = ws.value + o &* Cin &* 9
                for ci in 0..<Cin { for tap in 0..<9 { w[ci &* 9 &+ tap] = g[tap &* stride &+ ci] } }
            }
        }
    }}
    return dw
}

/// x [N, C, H, W] → V [36, C, tiles], V[·, c, t] = Bᵀ d B for tile t's 6×6 patch d of the padded input.
private func winogradInputs(_ x: Tensor, _ tiling: WinogradTiling) -> WinogradMatrices {
    let scope = Profiler.begin(.winograd); defer { Profiler.end(scope) }
    let (N, C, H, W, p) = (x.n, x.c, x.h, x.w, tiling.padding)
    let (TY, TX, T, P, S, R) = (tiling.tilesY, tiling.tilesX, tiling.tiles, tiling.planeTiles, tiling.planeStride,
                                tiling.rowStride)
    var v = WinogradMatrices(rows: C, columns: T)
    let matrixStride = v.stride
    x.withUnsafeBufferPointer { xb in
    v.storage.withUnsafeMutableBufferPointer { vb in
        let (xs, vs) = (Unchecked(xb.baseAddress!), Unchecked(vb.baseAddress!))
        parallelChunks(N * C, costPerItem: 36 * P) { planes in
            // q[row][phase][j] = padded input (row, 4j + phase): patch column l of the tiles of one tile row
            // is the contiguous run q[row][l % 4][l / 4 ..< l / 4 + TX].
            let rows = 4 * TY + 2
            // The j of q whose four input columns 4j − p ..< 4j − p + 4 all lie inside [0, W).
            let insideLow = (p + 3) / 4
            let inside = insideLow ..< max(insideLow, min(TX + 1, (W + p) / 4))
            let q = UnsafeMutablePointer<Float>.allocate(capacity: rows * 4 * R + 72 * S)
            defer { q.deallocate() }
            let d = q + rows * 4 * R   // d[j][l][t]: the plane's patches, tile t = ty·TX + tx
            let e = d + 36 * S         // e[i][l] = Σ_j Bᵀ[i][j] d[j][l]
            for plane in planes {
                let src = xs.value + plane &* H &* W
                for row in 0..<rows {
                    let iy = row &- p
                    let dst = q + row &* 4 &* R
                    if iy < 0 || iy >= H { dst.update(repeating: 0, count: 4 &* R); continue }
                    let line = src + iy &* W
                    // Where all four phases lie inside the row, a plain de-interleave (vectorised); the
                    // padded ends one by one.
                    for j in inside {
                        let from = line + (4 &* j &- p)
                        dst[j] = from[0]; dst[R &+ j] = from[1]; dst[2 &* R &+ j] = from[2]; dst[3 &* R &+ j] = from[3]
                    }
                    func edge(_ columns: Range<Int>) {
                        for j in columns {
                            for phase in 0..<4 {
                                let ix = 4 &* j &+ phase &- p
                                dst[phase &* R &+ j] = ix >= 0 && ix < W ? line[ix] : 0
                            }
                        }
                    }
                    edge(0..<inside.lowerBound)
                    edge(inside.upperBound..<TX + 1)
                }
                for ty in 0..<TY {
                    for j in 0..<6 {
                        for l in 0..<6 {
                            let to = d + ((j &* 6 &+ l) &* S &+ ty &* TX)
                            let from = q + (((4 &* ty &+ j) &* 4 &+ l % 4) &* R &+ l / 4)
                            for tx in 0..<TX { to[tx] = from[tx] }   // runs of 4–17: no memmove call
                        }
                    }
                }
                // All the plane's tiles at once: long vectors even when a tile row is short.
                for l in 0..<6 { applyBT(d + l &* S, inStride: 6 &* S, e + l &* S, outStride: 6 &* S, count: P) }
                let (n, c) = (plane / C, plane % C)
                for i in 0..<6 {
                    applyBT(e + i &* 6 &* S, inStride: S, vs.value + (i &* 6 &* matrixStride &+ c &* T &+ n &* P),
                            outStride: matrixStride, count: P)
                }
            }
        }
    }}
    return v
}

/// M [36, C, tiles] → y [N, C, Ho, Wo] = Aᵀ m A per tile (+ bias), cropped to the output.
private func winogradOutputs(_ m: WinogradMatrices, _ tiling: WinogradTiling, bias: Tensor?) -> Tensor {
    let scope = Profiler.begin(.winograd); defer { Profiler.end(scope) }
    let (N, C, matrixStride) = (tiling.batch, m.rows, m.stride)
    let (Ho, Wo, TY, TX, T, P, S) = (tiling.outHeight, tiling.outWidth, tiling.tilesY, tiling.tilesX, tiling.tiles,
                                     tiling.planeTiles, tiling.planeStride)
    var y = Tensor(uninitializedShape: [N, C, Ho, Wo])
    let biasValues = bias?.scalars ?? [Float](repeating: 0, count: C)
    let wholeTiles = Wo / 4   // tiles of a row with all four columns inside the output
    m.storage.withUnsafeBufferPointer { mb in
    y.withUnsafeMutableBufferPointer { yb in
        let (ms, ys) = (Unchecked(mb.baseAddress!), Unchecked(yb.baseAddress!))
        parallelChunks(N * C, costPerItem: 36 * P) { planes in
            let f = UnsafeMutablePointer<Float>.allocate(capacity: 40 * S)
            defer { f.deallocate() }
            let o = f + 24 * S   // o[a][b][t]: output (4ty + a, 4tx + b) of tile t = ty·TX + tx
            for plane in planes {
                let (n, c) = (plane / C, plane % C)
                for k in 0..<6 {    // f[a][k] = Σ_i Aᵀ[a][i] m[i][k]
                    applyAT(ms.value + (k &* matrixStride &+ c &* T &+ n &* P), inStride: 6 &* matrixStride,
                            f + k &* S, outStride: 6 &* S, count: P)
                }
                for a in 0..<4 {    // o[a][b] = Σ_k Aᵀ[b][k] f[a][k]
                    applyAT(f + a &* 6 &* S, inStride: S, o + a &* 4 &* S, outStride: S, count: P)
                }
                let b = biasValues[c]
                let dst = ys.value + plane &* Ho &* Wo
                for ty in 0..<TY {
                    for a in 0..<min(4, Ho &- 4 &* ty) {
                        let line = dst + (4 &* ty &+ a) &* Wo
                        let values = o + (a &* 4 &* S &+ ty &* TX)   // column col of tile tx: values[col·S + tx]
                        // Whole tiles interleaved (vectorised), then the cropped last one.
                        for tx in 0..<wholeTiles {
                            let to = line + 4 &* tx
                            to[0] = values[tx] + b; to[1] = values[S &+ tx] + b
                            to[2] = values[2 &* S &+ tx] + b; to[3] = values[3 &* S &+ tx] + b
                        }
                        for tx in wholeTiles..<TX {
                            for col in 0..<min(4, Wo &- 4 &* tx) { line[4 &* tx &+ col] = values[col &* S &+ tx] + b }
                        }
                    }
                }
            }
        }
    }}
    return y
}

/// dY [N, C, Ho, Wo] → dM [36, C, tiles] = A dy Aᵀ per tile (the adjoint of `winogradOutputs`),
/// zero beyond the output's edge.
private func winogradOutputGradients(_ dy: Tensor, _ tiling: WinogradTiling) -> WinogradMatrices {
    let scope = Profiler.begin(.winograd); defer { Profiler.end(scope) }
    let (N, C) = (tiling.batch, dy.c)
    let (Ho, Wo, TY, TX, T, P, S) = (tiling.outHeight, tiling.outWidth, tiling.tilesY, tiling.tilesX, tiling.tiles,
                                     tiling.planeTiles, tiling.planeStride)
    var dm = WinogradMatrices(rows: C, columns: T)
    let matrixStride = dm.stride
    let wholeTiles = Wo / 4   // tiles of a row with all four columns inside the output
    dy.withUnsafeBufferPointer { gb in
    dm.storage.withUnsafeMutableBufferPointer { mb in
        let (gs, ms) = (Unchecked(gb.baseAddress!), Unchecked(mb.baseAddress!))
        parallelChunks(N * C, costPerItem: 36 * P) { planes in
            let d = UnsafeMutablePointer<Float>.allocate(capacity: 40 * S)
            defer { d.deallocate() }
            let f = d + 16 * S   // f[i][b] = Σ_a Aᵀ[a][i] d[a][b]
            for plane in planes {
                let src = gs.value + plane &* Ho &* Wo
                for ty in 0..<TY {
                    for a in 0..<4 {    // d[a][b][t] = dY(4ty + a, 4tx + b)
                        let oy = 4 &* ty &+ a
                        let dst = d + (a &* 4 &* S &+ ty &* TX)   // column col of tile tx: dst[col·S + tx]
                        if oy >= Ho {
                            for col in 0..<4 { (dst + col &* S).update(repeating: 0, count: TX) }
                            continue
                        }
                        let line = src + oy &* Wo
                        // Whole tiles de-interleaved (vectorised), then the last one, zero beyond the edge.
                        for tx in 0..<wholeTiles {
                            let from = line + 4 &* tx
                            dst[tx] = from[0]; dst[S &+ tx] = from[1]; dst[2 &* S &+ tx] = from[2]; dst[3 &* S &+ tx] = from[3]
                        }
                        for tx in wholeTiles..<TX {
                            for col in 0..<4 {
                                let ox = 4 &* tx &+ col
                                dst[col &* S &+ tx] = ox < Wo ? line[ox] : 0
                            }
                        }
                    }
                }
                for col in 0..<4 {
                    applyATTransposed(d + col &* S, inStride: 4 &* S, f + col &* S, outStride: 4 &* S, count: P)
                }
                let (n, c) = (plane / C, plane % C)
                for i in 0..<6 {
                    applyATTransposed(f + i &* 4 &* S, inStride: S, ms.value + (i &* 6 &* matrixStride &+ c &* T &+ n &* P),
                                      outStride: matrixStride, count: P)
                }
            }
        }
    }}
    return dm
}

// MARK: - One-dimensional transforms
//
// Each applies a small matrix to vectors: out[r][t] = Σ_s matrix[r][s] · in[s][t] for t < count, where
// in[s] starts at `input + s·inStride` and out[r] at `output + r·outStride`. Eight lanes at a time,
// then one by one; the formulas are written once, for any `WinogradLane`.

/// What the transforms compute on: one Float or eight.
protocol WinogradLane {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Float) -> Self
}
extension Float: WinogradLane {}
extension SIMD8: WinogradLane where Scalar == Float {}

@inline(__always)
private func forEachLane(count: Int, _ body: (Int, _ wide: Bool) -> Void) {
    var t = 0
    while t &+ 8 <= count { body(t, true); t &+= 8 }
    while t < count { body(t, false); t &+= 1 }
}

@inline(__always) private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Runs `formula` (n inputs → m outputs) over `count` lanes.
@inline(__always)
private func transform<let n: Int, let m: Int>(
    _ input: UnsafePointer<Float>, inStride: Int, _ output: UnsafeMutablePointer<Float>, outStride: Int,
    count: Int, _ formula: (borrowing InlineArray<n, SIMD8<Float>>) -> InlineArray<m, SIMD8<Float>>,
    _ scalarFormula: (borrowing InlineArray<n, Float>) -> InlineArray<m, Float>
) {
    forEachLane(count: count) { t, wide in
        if wide {
            let x = InlineArray<n, SIMD8<Float>> { load(input + ($0 &* inStride &+ t)) }
            let y = formula(x)
            for r in 0..<m { store(y[r], output + (r &* outStride &+ t)) }
        } else {
            let x = InlineArray<n, Float> { input[$0 &* inStride &+ t] }
            let y = scalarFormula(x)
            for r in 0..<m { output[r &* outStride &+ t] = y[r] }
        }
    }
}

/// Bᵀ (6 → 6): the input transform.
@inline(__always) private func bt<V: WinogradLane>(_ d: borrowing InlineArray<6, V>) -> InlineArray<6, V> {
    let s12 = d[1] + d[2], s34 = d[3] + d[4]
    let d13 = d[3] - d[1], d42 = d[4] - d[2]
    return [d[0] * 4 - d[2] * 5 + d[4],
            s34 - s12 * 4,
            (d[4] - d[3]) + (d[1] - d[2]) * 4,
            d42 + d13 * 2,
            d42 - d13 * 2,
            d[1] * 4 - d[3] * 5 + d[5]]
}

/// Aᵀ (6 → 4): the output transform.
@inline(__always) private func at<V: WinogradLane>(_ m: borrowing InlineArray<6, V>) -> InlineArray<4, V> {
    let s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4]
    return [m[0] + s12 + s34, d12 + d34 * 2, s12 + s34 * 4, d12 + d34 * 8 + m[5]]
}

/// A (4 → 6): the adjoint of the output transform.
@inline(__always) private func atT<V: WinogradLane>(_ o: borrowing InlineArray<4, V>) -> InlineArray<6, V> {
    let s = o[0] + o[2], t = o[1] + o[3]
    let s4 = o[0] + o[2] * 4, t8 = o[1] * 2 + o[3] * 8
    return [o[0], s + t, s - t, s4 + t8, s4 - t8, o[3]]
}

/// G (3 → 6): the filter transform.
@inline(__always) private func g<V: WinogradLane>(_ w: borrowing InlineArray<3, V>) -> InlineArray<6, V> {
    let s02 = w[0] + w[2]
    let a = s02 * (1 / 24) + w[2] * (1 / 8), b = w[1] * (1 / 12)
    return [w[0] * (1 / 4), (s02 + w[1]) * (-1 / 6), (s02 - w[1]) * (-1 / 6), a + b, a - b, w[2]]
}

/// Gᵀ (6 → 3): the adjoint of the filter transform.
@inline(__always) private func gT<V: WinogradLane>(_ u: borrowing InlineArray<6, V>) -> InlineArray<3, V> {
    let s12 = u[1] + u[2], d12 = u[2] - u[1], s34 = u[3] + u[4], d34 = u[3] - u[4]
    return [u[0] * (1 / 4) - s12 * (1 / 6) + s34 * (1 / 24),
            d12 * (1 / 6) + d34 * (1 / 12),
            s34 * (1 / 6) - s12 * (1 / 6) + u[5]]
}

private func applyBT(_ i: UnsafePointer<Float>, inStride: Int, _ o: UnsafeMutablePointer<Float>, outStride: Int,
                     count: Int) {
    transform(i, inStride: inStride, o, outStride: outStride, count: count, { bt($0) }, { bt($0) })
}
private func applyAT(_ i: UnsafePointer<Float>, inStride: Int, _ o: UnsafeMutablePointer<Float>, outStride: Int,
                     count: Int) {
    transform(i, inStride: inStride, o, outStride: outStride, count: count, { at($0) }, { at($0) })
}
private func applyATTransposed(_ i: UnsafePointer<Float>, inStride: Int, _ o: UnsafeMutablePointer<Float>,
                               outStride: Int, count: Int) {
    transform(i, inStride: inStride, o, outStride: outStride, count: count, { atT($0) }, { atT($0) })
}
private func applyG(_ i: UnsafePointer<Float>, inStride: Int, _ o: UnsafeMutablePointer<Float>, outStride: Int,
                    count: Int) {
    transform(i, inStride: inStride, o, outStride: outStride, count: count, { g($0) }, { g($0) })
}
private func applyGTransposed(_ i: UnsafePointer<Float>, inStride: Int, _ o: UnsafeMutablePointer<Float>,
                              outStride: Int, count: Int) {
    transform(i, inStride: inStride, o, outStride: outStride, count: count, { gT($0) }, { gT($0) })
}
