// Direct loops, straight from the definitions: the test oracle for the im2col + sgemm kernels
// (as llm.c keeps `matmul_forward_naive` beside the fast one). Slow; for small tensors only.

/// x [N, Cin, H, W], weight [Cout, Cin, k, k], bias [Cout]? → [N, Cout, Ho, Wo]
public func conv2dNaive(_ x: Tensor, weight: Tensor, bias: Tensor?, stride s: Int, padding p: Int) -> Tensor {
    let (Cout, k) = (weight.shape[0], weight.shape[2])
    let g = ConvGeometry(channels: x.c, height: x.h, width: x.w, kernel: k, stride: s, padding: p)
    var y = Tensor(shape: [x.n, Cout, g.outHeight, g.outWidth])
    for n in 0..<x.n { for co in 0..<Cout { for oy in 0..<g.outHeight { for ox in 0..<g.outWidth {
        var acc = Double(bias?[co] ?? 0)
        for ci in 0..<x.c { for ky in 0..<k { for kx in 0..<k {
            let iy = oy * s - p + ky, ix = ox * s - p + kx
            if iy >= 0 && iy < x.h && ix >= 0 && ix < x.w {
                acc += Double(x[n, ci, iy, ix]) * Double(weight[co, ci, ky, kx])
            }
        }}}
        y[n, co, oy, ox] = Float(acc)
    }}}}
    return y
}

/// x [N, Cin, H, W], weight [Cin, Cout, k, k], bias [Cout]? → [N, Cout, Ho, Wo]: each input pixel
/// scatters weight · x into the output at oy = iy·s − p + ky.
public func convTranspose2dNaive(_ x: Tensor, weight: Tensor, bias: Tensor?, stride s: Int, padding p: Int,
                                 outputPadding: Int) -> Tensor {
    let (Cout, k) = (weight.shape[1], weight.shape[2])
    let Ho = convTransposeOutputSize(x.h, kernel: k, stride: s, padding: p, outputPadding: outputPadding)
    let Wo = convTransposeOutputSize(x.w, kernel: k, stride: s, padding: p, outputPadding: outputPadding)
    var acc = [Double](repeating: 0, count: x.n * Cout * Ho * Wo)
    for n in 0..<x.n { for ci in 0..<x.c { for iy in 0..<x.h { for ix in 0..<x.w {
        for co in 0..<Cout { for ky in 0..<k { for kx in 0..<k {
            let oy = iy * s - p + ky, ox = ix * s - p + kx
            if oy >= 0 && oy < Ho && ox >= 0 && ox < Wo {
                acc[((n * Cout + co) * Ho + oy) * Wo + ox] += Double(x[n, ci, iy, ix]) * Double(weight[ci, co, ky, kx])
            }
        }}}
    }}}}
    var y = Tensor(shape: [x.n, Cout, Ho, Wo], values: acc.map { Float($0) })
    if let bias {
        for n in 0..<x.n { for co in 0..<Cout { for i in 0..<Ho { for j in 0..<Wo { y[n, co, i, j] += bias[co] } } } }
    }
    return y
}
