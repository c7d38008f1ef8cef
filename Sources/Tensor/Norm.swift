// Normalisation over the spatial positions of each (sample, channel) — InstanceNorm2d — or over the
// batch and spatial positions of each channel — BatchNorm2d in training mode. No affine part here:
// batch norm's scale and shift are a separate `channelAffine` op. Biased variance, as PyTorch.

public enum NormGroups: Sendable {
    /// statistics per (n, c) over H·W (InstanceNorm2d)
    case instance
    /// statistics per c over N·H·W (BatchNorm2d, training mode)
    case batch
}

/// What the backward pass needs, saved by the forward: per group the inverse standard deviation
/// (the output y = x̂ is saved by the caller). `mean` and `variance` also feed batch norm's running stats.
public struct NormStats: Sendable {
    public let mean: [Float]
    public let variance: [Float]
    public let invStd: [Float]
}

/// Calls `body(start)` for each contiguous H·W plane of group `g`.
@inline(__always)
private func forEachPlane(of g: Int, _ groups: NormGroups, n: Int, c: Int, hw: Int, _ body: (Int) -> Void) {
    switch groups {
    case .instance: body(g &* hw)
    case .batch: for i in 0..<n { body((i &* c &+ g) &* hw) }
    }
}

/// x [N, C, H, W] → x̂ [N, C, H, W] with zero mean and unit variance per group.
public func normalizeForward(_ x: Tensor, groups: NormGroups, eps: Float = 1e-5) -> (y: Tensor, stats: NormStats) {
    let (N, C, HW) = (x.n, x.c, x.h * x.w)
    let groupCount = groups == .instance ? N * C : C
    let groupSize = Double(groups == .instance ? HW : N * HW)
    var mean = [Float](repeating: 0, count: groupCount)
    var variance = [Float](repeating: 0, count: groupCount)
    var invStd = [Float](repeating: 0, count: groupCount)
    var y = Tensor(uninitializedShape: x.shape)
    x.withUnsafeBufferPointer { xp in
    y.withUnsafeMutableBufferPointer { yp in
    mean.withUnsafeMutableBufferPointer { mp in
    variance.withUnsafeMutableBufferPointer { vp in
    invStd.withUnsafeMutableBufferPointer { sp in
        let (xs, ys) = (Unchecked(xp), Unchecked(yp))
        let (ms, vs, ss) = (Unchecked(mp), Unchecked(vp), Unchecked(sp))
        parallelChunks(groupCount, costPerItem: Int(groupSize) * 3) { range in
            for g in range {
                var total = 0.0
                forEachPlane(of: g, groups, n: N, c: C, hw: HW) { start in
                    total += sumDouble(UnsafeBufferPointer(rebasing: xs.value[start ..< start &+ HW]))
                }
                let m = Float(total / groupSize)
                var squares = 0.0
                forEachPlane(of: g, groups, n: N, c: C, hw: HW) { start in
                    squares += squaredDeviations(UnsafeBufferPointer(rebasing: xs.value[start ..< start &+ HW]), from: m)
                }
                let v = Float(squares / groupSize)
                let inv = 1 / (v + eps).squareRoot()
                forEachPlane(of: g, groups, n: N, c: C, hw: HW) { start in
                    for i in start ..< start &+ HW { ys.value[i] = (xs.value[i] - m) * inv }
                }
                ms.value[g] = m; vs.value[g] = v; ss.value[g] = inv
            }
        }
    }}}}}
    return (y, NormStats(mean: mean, variance: variance, invStd: invStd))
}

/// dOutput, the saved output x̂ and stats → dInput = invStd · (dy − mean(dy) − x̂ · mean(dy · x̂)) per group.
public func normalizeBackward(_ dy: Tensor, output y: Tensor, stats: NormStats, groups: NormGroups) -> Tensor {
    let (N, C, HW) = (y.n, y.c, y.h * y.w)
    let groupCount = groups == .instance ? N * C : C
    let groupSize = Double(groups == .instance ? HW : N * HW)
    var dx = Tensor(uninitializedShape: y.shape)
    dy.withUnsafeBufferPointer { gp in
    y.withUnsafeBufferPointer { yp in
    dx.withUnsafeMutableBufferPointer { xp in
        let (gs, ys, xs) = (Unchecked(gp), Unchecked(yp), Unchecked(xp))
        parallelChunks(groupCount, costPerItem: Int(groupSize) * 3) { range in
            for g in range {
                var sumDy = 0.0, sumDyY = 0.0
                forEachPlane(of: g, groups, n: N, c: C, hw: HW) { start in
                    let d = UnsafeBufferPointer(rebasing: gs.value[start ..< start &+ HW])
                    sumDy += sumDouble(d)
                    sumDyY += dot(d, UnsafeBufferPointer(rebasing: ys.value[start ..< start &+ HW]))
                }
                let meanDy = Float(sumDy / groupSize), meanDyY = Float(sumDyY / groupSize)
                let inv = stats.invStd[g]
                forEachPlane(of: g, groups, n: N, c: C, hw: HW) { start in
                    for i in start ..< start &+ HW {
                        xs.value[i] = inv * (gs.value[i] - meanDy - ys.value[i] * meanDyY)
                    }
                }
            }
        }
    }}}
    return dx
}

/// y[n, c] = x[n, c] · scale[c] + shift[c] (batch norm's affine part)
public func channelAffineForward(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor {
    let (N, C, HW) = (x.n, x.c, x.h * x.w)
    var y = Tensor(uninitializedShape: x.shape)
    x.withUnsafeBufferPointer { xp in
    y.withUnsafeMutableBufferPointer { yp in
    scale.withUnsafeBufferPointer { sp in
    shift.withUnsafeBufferPointer { bp in
        for i in 0..<N * C {
            let (s, b) = (sp[i % C], bp[i % C])
            for j in i * HW ..< (i + 1) * HW { yp[j] = xp[j] * s + b }
        }
    }}}}
    return y
}

/// dOutput → dInput = dy · scale[c], dScale = Σ dy · x, dShift = Σ dy
public func channelAffineBackward(_ dy: Tensor, input x: Tensor, scale: Tensor)
    -> (dInput: Tensor, dScale: Tensor, dShift: Tensor) {
    let (N, C, HW) = (x.n, x.c, x.h * x.w)
    var dx = Tensor(uninitializedShape: x.shape)
    var dScale = [Double](repeating: 0, count: C), dShift = [Double](repeating: 0, count: C)
    dy.withUnsafeBufferPointer { gp in
    x.withUnsafeBufferPointer { xp in
    dx.withUnsafeMutableBufferPointer { dp in
    scale.withUnsafeBufferPointer { sp in
        for i in 0..<N * C {
            let c = i % C, r = i * HW ..< (i + 1) * HW
            let g = UnsafeBufferPointer(rebasing: gp[r])
            dScale[c] += dot(g, UnsafeBufferPointer(rebasing: xp[r]))
            dShift[c] += sumDouble(g)
            for j in r { dp[j] = gp[j] * sp[c] }
        }
    }}}}
    return (dx, Tensor(shape: [C], values: dScale.map(Float.init)), Tensor(shape: [C], values: dShift.map(Float.init)))
}
