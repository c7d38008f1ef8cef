// Reflection padding, as PyTorch's ReflectionPad2d: the edge row is not repeated (p < H, p < W).

@inline(__always) func reflect(_ i: Int, _ n: Int) -> Int {
    i < 0 ? -i : (i >= n ? 2 &* (n &- 1) &- i : i)
}

/// x [N, C, H, W] → [N, C, H + 2p, W + 2p]
public func reflectionPadForward(_ x: Tensor, padding p: Int) -> Tensor {
    let (H, W) = (x.h, x.w)
    precondition(p < H && p < W, "reflection padding \(p) needs an input larger than \(p) (got \(H)×\(W))")
    let (Hp, Wp) = (H + 2 * p, W + 2 * p)
    var y = Tensor(uninitializedShape: [x.n, x.c, Hp, Wp])
    x.withUnsafeBufferPointer { xp in
    y.withUnsafeMutableBufferPointer { yp in
        let src = Unchecked(xp.baseAddress!), dst = Unchecked(yp.baseAddress!)
        parallelChunks(x.n * x.c, costPerItem: Hp * Wp) { planes in
            for plane in planes {
                let s = src.value + plane &* H &* W, d = dst.value + plane &* Hp &* Wp
                for i in 0..<Hp {
                    let srow = s + reflect(i &- p, H) &* W, drow = d + i &* Wp
                    for j in 0..<p { drow[j] = srow[p &- j] }
                    (drow + p).update(from: srow, count: W)
                    for j in 0..<p { drow[p &+ W &+ j] = srow[W &- 2 &- j] }
                }
            }
        }
    }}
    return y
}

/// dOutput [N, C, H + 2p, W + 2p] → dInput [N, C, H, W]: the padded border folds back onto the edge.
public func reflectionPadBackward(_ dy: Tensor, padding p: Int) -> Tensor {
    let (Hp, Wp) = (dy.h, dy.w), (H, W) = (Hp - 2 * p, Wp - 2 * p)
    var dx = Tensor(shape: [dy.n, dy.c, H, W])
    dy.withUnsafeBufferPointer { gp in
    dx.withUnsafeMutableBufferPointer { xp in
        let src = Unchecked(gp.baseAddress!), dst = Unchecked(xp.baseAddress!)
        parallelChunks(dy.n * dy.c, costPerItem: Hp * Wp) { planes in
            for plane in planes {
                let s = src.value + plane &* Hp &* Wp, d = dst.value + plane &* H &* W
                for i in 0..<Hp {
                    let srow = s + i &* Wp, drow = d + reflect(i &- p, H) &* W
                    for j in 0..<p { drow[p &- j] += srow[j] }
                    for j in 0..<W { drow[j] += srow[p &+ j] }
                    for j in 0..<p { drow[W &- 2 &- j] += srow[p &+ W &+ j] }
                }
            }
        }
    }}
    return dx
}
