// Convolution and transposed convolution. A convolution call runs one of three algorithms, chosen once per
// call by `ConvPlan` for its forward and both gradients: im2col / col2im + one `sgemm` per image (any
// shape; the oracle), Winograd F(4×4, 3×3) for wide 3×3 stride-1 layers (Conv+Winograd.swift), or a direct
// loop for convolutions with few outputs (Conv+FewOutputs.swift). Transposed convolution is the adjoint of
// convolution: its forward is conv's input-gradient path, through im2col / col2im.

/// The geometry of a 2-D convolution from an image [C, H, W] to outputs [·, Ho, Wo]
/// (square kernel k, stride s, zero padding p), as in PyTorch's Conv2d.
public struct ConvGeometry: Equatable, Sendable {
    public let channels: Int, height: Int, width: Int
    public let kernel: Int, stride: Int, padding: Int
    public let outHeight: Int, outWidth: Int

    public init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
        self.channels = channels; self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
        outHeight = (height + 2 * padding - kernel) / stride + 1
        outWidth = (width + 2 * padding - kernel) / stride + 1
        precondition(outHeight > 0 && outWidth > 0,
                     "a \(kernel)×\(kernel) convolution does not fit a \(height)×\(width) input with padding \(padding)")
    }

    /// Rows of the column matrix: C·k·k, ordered (c, ky, kx) like a PyTorch weight [Cout, C, k, k].
    @inlinable public var patchSize: Int { channels * kernel * kernel }
    /// Columns of the column matrix: Ho·Wo.
    @inlinable public var outPixels: Int { outHeight * outWidth }
}

// MARK: - im2col / col2im

/// image [C, H, W] → columns [C·k·k, Ho·Wo], zero outside the image; with `rows`, only the columns of
/// those output rows: [C·k·k, rows.count·Wo].
public func im2col(_ image: UnsafePointer<Float>, _ g: ConvGeometry, rows: Range<Int>? = nil,
                   into cols: UnsafeMutablePointer<Float>) {
    let scope = Profiler.begin(.im2col); defer { Profiler.end(scope) }
    let im = Unchecked(image), out = Unchecked(cols), rows = rows ?? 0..<g.outHeight
    // By (channel, kernel row): an image of 3 channels still splits evenly between the threads.
    parallelChunks(g.channels &* g.kernel, costPerItem: g.kernel &* rows.count &* g.outWidth) { items in
        for item in items { im2colKernelRow(im.value, g, item / g.kernel, item % g.kernel, rows, out.value) }
    }
}

/// The column-matrix rows (c, ky, ·) of `im2col`.
@inline(__always)
private func im2colKernelRow(_ image: UnsafePointer<Float>, _ g: ConvGeometry, _ c: Int, _ ky: Int,
                             _ rows: Range<Int>, _ cols: UnsafeMutablePointer<Float>) {
    let k = g.kernel, s = g.stride, p = g.padding, H = g.height, W = g.width
    let Wo = g.outWidth, P = rows.count &* Wo
    let plane = image + c &* H &* W
    for kx in 0..<k {
        let row = cols + ((c &* k &+ ky) &* k &+ kx) &* P
        // Output columns whose input column ix = ox·s − p + kx lies inside [0, W).
        let (oxLo, oxHi) = insideColumns(g, kx)
        for oy in rows {
            let dst = row + (oy &- rows.lowerBound) &* Wo
            let iy = oy &* s &- p &+ ky
            if iy < 0 || iy >= H || oxLo >= oxHi {
                dst.update(repeating: 0, count: Wo)
                continue
            }
            if oxLo > 0 { dst.update(repeating: 0, count: oxLo) }
            if oxHi < Wo { (dst + oxHi).update(repeating: 0, count: Wo &- oxHi) }
            let src = plane + (iy &* W &- p &+ kx)
            if s == 1 {
                (dst + oxLo).update(from: src + oxLo, count: oxHi &- oxLo)
            } else if s == 2 {   // a constant stride: vectorised (the down-sampling layers and D's)
                for ox in oxLo..<oxHi { dst[ox] = src[ox &* 2] }
            } else {
                for ox in oxLo..<oxHi { dst[ox] = src[ox &* s] }
            }
        }
    }
}

/// The output columns ox (a range, possibly empty) whose input column ox·s − p + kx lies inside [0, W).
/// Both bounds round toward −∞: when the kernel reaches past the padded input (a 4×4 kernel on a 2×2 image
/// with padding 1, the U-Net's innermost layer) the last one is negative, and truncating it toward 0 would
/// count one column too many.
@inline(__always)
private func insideColumns(_ g: ConvGeometry, _ kx: Int) -> (lo: Int, hi: Int) {
    let s = g.stride, p = g.padding
    let lo = max(0, (p &- kx &+ s &- 1) / s)   // ceil((p − kx)/s), clamped at 0: truncation is harmless here
    let last = g.width &- 1 &+ p &- kx
    return (lo, last < 0 ? 0 : min(g.outWidth, last / s &+ 1))
}

/// columns [C·k·k, Ho·Wo] → image [C, H, W], summing overlaps (the adjoint of `im2col`).
/// The image is overwritten; with `rows` (columns [C·k·k, rows.count·Wo] of those output rows only),
/// their contributions are added into it instead.
public func col2im(_ cols: UnsafePointer<Float>, _ g: ConvGeometry, rows: Range<Int>? = nil,
                   into image: UnsafeMutablePointer<Float>) {
    let scope = Profiler.begin(.im2col); defer { Profiler.end(scope) }
    let src = Unchecked(cols), im = Unchecked(image), accumulate = rows != nil, rows = rows ?? 0..<g.outHeight
    parallelChunks(g.channels, costPerItem: g.kernel &* g.kernel &* rows.count &* g.outWidth) { channels in
        for c in channels { col2imChannel(src.value, g, c, rows, accumulate: accumulate, im.value) }
    }
}

@inline(__always)
private func col2imChannel(_ cols: UnsafePointer<Float>, _ g: ConvGeometry, _ c: Int, _ rows: Range<Int>,
                           accumulate: Bool, _ image: UnsafeMutablePointer<Float>) {
    let k = g.kernel, s = g.stride, p = g.padding, H = g.height, W = g.width
    let Wo = g.outWidth, P = rows.count &* Wo
    let plane = image + c &* H &* W
    if !accumulate { plane.update(repeating: 0, count: H &* W) }
    for ky in 0..<k {
        for kx in 0..<k {
            let row = cols + ((c &* k &+ ky) &* k &+ kx) &* P
            let (oxLo, oxHi) = insideColumns(g, kx)
            if oxLo >= oxHi { continue }
            for oy in rows {
                let iy = oy &* s &- p &+ ky
                if iy < 0 || iy >= H { continue }
                let src = row + (oy &- rows.lowerBound) &* Wo
                let dst = plane + (iy &* W &- p &+ kx)
                if s == 1 {
                    for ox in oxLo..<oxHi { dst[ox] += src[ox] }
                } else if s == 2 {   // as in im2col
                    for ox in oxLo..<oxHi { dst[ox &* 2] += src[ox] }
                } else {
                    for ox in oxLo..<oxHi { dst[ox &* s] += src[ox] }
                }
            }
        }
    }
}

// MARK: - The plan of a convolution call

/// How one convolution call computes its output and the gradients it will be asked for: decided once, from
/// the shapes and `ConvAlgorithm.current`, then followed by the forward and captured by the pullback, so
/// that the two cannot disagree.
public struct ConvPlan: Equatable, Sendable {
    public enum Forward: Sendable { case fewOutputs, winograd, im2col }
    /// `adjoint…`: at stride 1 the input gradient is itself a convolution, of dOutput with the flipped,
    /// transposed weights and padding k − 1 − p, an output of Cin × H·W (the forward's well-shaped GEMM
    /// instead of one into a k²-times larger column matrix and col2im). Not for inputs of few channels: that
    /// convolution would have few outputs and a wide padding. `col2im`: a GEMM into columns and col2im,
    /// together with the weight gradient when that is wanted too.
    public enum InputGradient: Sendable { case none, adjointWinograd, adjointIm2col, col2im }
    public enum WeightGradient: Sendable { case none, winograd, fewOutputs, im2col }

    public let forward: Forward
    public let inputGradient: InputGradient
    public let weightGradient: WeightGradient

    /// The plan for x of shape `input` [N, Cin, H, W] and a weight [Cout, Cin, k, k].
    public init(input: [Int], weight: [Int], stride: Int, padding: Int, needInput: Bool, needWeight: Bool) {
        let (N, Cin, H, W) = (input[0], input[1], input[2], input[3])
        let (Cout, k) = (weight[0], weight[2])
        let g = ConvGeometry(channels: Cin, height: H, width: W, kernel: k, stride: stride, padding: padding)
        let winograd = usesWinograd(kernel: k, stride: stride, inChannels: Cin, outChannels: Cout,
                                    outHeight: g.outHeight, outWidth: g.outWidth, batch: N)
        let fewOutputs = stride == 1 && padding == 0 && Cout <= fewOutputsLimit
        forward = fewOutputs ? .fewOutputs : winograd ? .winograd : .im2col
        if !needInput {
            inputGradient = .none
        } else if stride == 1 && padding <= k - 1 && Cin > fewOutputsLimit {
            inputGradient = usesWinograd(kernel: k, stride: 1, inChannels: Cout, outChannels: Cin, outHeight: H,
                                         outWidth: W, batch: N) ? .adjointWinograd : .adjointIm2col
        } else {
            inputGradient = .col2im
        }
        if !needWeight {
            weightGradient = .none
        } else if inputGradient == .col2im {
            weightGradient = .im2col   // in the same pass over the columns
        } else {
            weightGradient = winograd ? .winograd : fewOutputs ? .fewOutputs : .im2col
        }
    }
}

// MARK: - Convolution

/// x [N, Cin, H, W], weight [Cout, Cin, k, k], bias [Cout]? → [N, Cout, Ho, Wo], by `plan` (by default the
/// plan of a call that needs no gradient).
/// `cache`: where the algorithms may keep the weight's transforms for later calls with the same weight.
/// `state`: where the forward may leave what its call's backward would compute again (`ConvCallState`).
public func conv2dForward(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int,
                          plan: ConvPlan? = nil, cache: ConvFilterCache? = nil, state: ConvCallState? = nil) -> Tensor {
    precondition(weight.shape[1] == x.c, "conv weight \(weight.shape) does not take \(x.c) input channels")
    let plan = plan ?? ConvPlan(input: x.shape, weight: weight.shape, stride: stride, padding: padding,
                                needInput: false, needWeight: false)
    let x = productOperand(x), (weight, cache) = productWeight(weight, cache: cache)
    switch plan.forward {
    case .fewOutputs: return conv2dFewOutputsForward(x, weight: weight, bias: bias)
    case .winograd:
        return conv2dWinogradForward(x, weight: weight, bias: bias, padding: padding, cache: cache,
                                     keepingInputsIn: plan.weightGradient == .winograd ? state : nil)
    case .im2col: return conv2dIm2colForward(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }
}

/// `conv2dForward` through im2col + sgemm, for any shape.
func conv2dIm2colForward(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int) -> Tensor {
    let (N, Cout, k) = (x.n, weight.shape[0], weight.shape[2])
    let g = ConvGeometry(channels: x.c, height: x.h, width: x.w, kernel: k, stride: stride, padding: padding)
    var y = Tensor(uninitializedShape: [N, Cout, g.outHeight, g.outWidth])
    let slab = columnSlabRows(g)
    var cols = Tensor(uninitializedShape: [g.patchSize, slab * g.outWidth])
    let biasValues = bias?.scalars
    x.withUnsafeBufferPointer { xp in
    weight.withUnsafeBufferPointer { wp in
    y.withUnsafeMutableBufferPointer { yp in
    cols.withUnsafeMutableBufferPointer { cp in
        for i in 0..<N {
            let out = yp.baseAddress! + i * Cout * g.outPixels
            // With a bias, the output starts as the bias and the GEMM adds onto it (beta 1): this spares
            // both OpenBLAS's pass that zeroes C for beta 0 and a separate pass adding the bias.
            if let biasValues {
                let (b, outs) = (biasValues, Unchecked(out))
                parallelChunks(Cout, costPerItem: g.outPixels) { channels in
                    for o in channels { (outs.value + o &* g.outPixels).update(repeating: b[o], count: g.outPixels) }
                }
            }
            for top in Swift.stride(from: 0, to: g.outHeight, by: slab) {
                let rows = top..<min(top + slab, g.outHeight)
                im2col(xp.baseAddress! + i * x.c * x.h * x.w, g, rows: rows, into: cp.baseAddress!)
                sgemm(m: Cout, n: rows.count * g.outWidth, k: g.patchSize, a: wp.baseAddress!, b: cp.baseAddress!,
                      beta: bias == nil ? 0 : 1, c: out + top * g.outWidth, ldc: g.outPixels)
            }
        }
    }}}}
    return y
}

/// Output rows whose columns are built at once: all of them, unless the column matrix would pass 64 MB
/// (the generator's first 7×7 convolution at 2048×1536 needs 1.8 GB). A function of the shape only.
/// Floats of a column matrix built at once; a test lowers it to cut small shapes into slabs.
@TaskLocal var columnSlabLimit = 16 << 20

func columnSlabRows(_ g: ConvGeometry) -> Int {
    let limit = columnSlabLimit   // floats
    if g.patchSize * g.outPixels <= limit { return g.outHeight }
    return max(1, limit / (g.patchSize * g.outWidth))
}

/// A weight in the forms the convolution algorithms consume, kept for its other uses with the same value:
/// a training step runs each generator three times forward and three times backward, and each
/// discriminator in both the generators' and its own update. A layer keeps one per weight value
/// (`Parameter.derived`), so the forms live only until the optimizer changes the weight.
public final class ConvFilterCache {
    /// Winograd's U of the weight (when `keepsWinogradFilters`).
    var winograd: WinogradMatrices?
    /// The flipped, transposed weight of an im2col input gradient (`flippedTransposed`).
    var flipped: Tensor?
    /// The forms of the input gradient's convolution (its Winograd U).
    private(set) lazy var adjoint = ConvFilterCache()
    /// The weight rounded to bf16 (`productWeight`), in the cache of its own forms: a bf16 convolution's.
    var weight: Tensor?
    private(set) lazy var bf16 = ConvFilterCache()

    public init() {}
}

/// What one convolution call's forward keeps for its backward: Winograd's transform V of the input, which
/// the weight gradient needs again, while the process-wide limit has room (`keptWinogradInputsLimit`). The
/// backward takes it; a state dropped without a backward gives its room back. One per call, for one forward
/// and then its backward, under the same precision: the backward cannot tell a V of another input of the
/// same shape.
public final class ConvCallState {
    private(set) var winogradInputs: WinogradMatrices?
    public init() {}
    deinit { if let v = winogradInputs { releaseKeptWinogradInputs(v.storage.count) } }

    /// Keeps `v` if there is room for it (in place of what an earlier forward kept).
    func keep(_ v: WinogradMatrices) {
        _ = take()
        if reserveKeptWinogradInputs(v.storage.count) { winogradInputs = v }
    }

    /// The kept V, handed over (nil if none was kept), and its room given back.
    func take() -> WinogradMatrices? {
        defer { if let v = winogradInputs { releaseKeptWinogradInputs(v.storage.count); winogradInputs = nil } }
        return winogradInputs
    }
}

/// The gradients of `conv2dForward` that are asked for (nil where not needed), by the plan of a call that
/// needs them. dOutput [N, Cout, Ho, Wo] → dInput [N, Cin, H, W], dWeight [Cout, Cin, k, k], dBias [Cout].
public func conv2dBackward(
    _ dOutput: Tensor, input x: Tensor, weight: Tensor, stride: Int, padding: Int,
    needInput: Bool, needWeight: Bool, needBias: Bool, cache: ConvFilterCache? = nil
) -> (dInput: Tensor?, dWeight: Tensor?, dBias: Tensor?) {
    conv2dBackward(dOutput, input: x, weight: weight, stride: stride, padding: padding,
                   plan: ConvPlan(input: x.shape, weight: weight.shape, stride: stride, padding: padding,
                                  needInput: needInput, needWeight: needWeight),
                   needBias: needBias, cache: cache)
}

/// The gradients `plan` asks for (nil where it asks for none), and the bias gradient with `needBias`.
/// `cache`, `state`: the ones given to `conv2dForward` (the cache's `adjoint` keeps the input gradient's
/// transformed weights).
public func conv2dBackward(
    _ dOutput: Tensor, input x: Tensor, weight: Tensor, stride: Int, padding: Int, plan: ConvPlan,
    needBias: Bool, cache: ConvFilterCache? = nil, state: ConvCallState? = nil
) -> (dInput: Tensor?, dWeight: Tensor?, dBias: Tensor?) {
    let k = weight.shape[2]
    let dBias = needBias ? channelSums(dOutput) : nil   // a sum, not a product: of the f32 gradient
    // Each operand rounded only where a product will read it: x for the weight gradient, the weight for the input's.
    let productsNeedX = plan.weightGradient != .none && state?.winogradInputs == nil
    let dOutput = plan.inputGradient == .none && plan.weightGradient == .none ? dOutput : productOperand(dOutput)
    let x = productsNeedX ? productOperand(x) : x
    let (weight, cache) = plan.inputGradient == .none ? (weight, cache) : productWeight(weight, cache: cache)
    var dInput: Tensor?, dWeight: Tensor?
    switch plan.inputGradient {
    case .none: break
    case .adjointWinograd:
        dInput = conv2dWinogradForward(dOutput, weight: weight, adjoint: true, bias: nil,
                                       padding: k - 1 - padding, cache: cache?.adjoint)
    case .adjointIm2col:
        let flipped = cache?.flipped ?? flippedTransposed(weight)
        cache?.flipped = flipped
        dInput = conv2dIm2colForward(dOutput, weight: flipped, bias: nil, stride: 1, padding: k - 1 - padding)
    case .col2im:
        (dInput, dWeight) = conv2dIm2colBackward(dOutput, input: x, weight: weight, stride: stride, padding: padding,
                                                 needInput: true, needWeight: plan.weightGradient == .im2col)
    }
    switch plan.weightGradient {
    case .none: break
    case .winograd:
        dWeight = conv2dWinogradWeightGradient(dOutput, input: x, padding: padding, inputs: state?.take())
    case .fewOutputs: dWeight = conv2dFewOutputsWeightGradient(dOutput, input: x, kernel: k)
    case .im2col:
        if plan.inputGradient != .col2im {
            dWeight = conv2dIm2colBackward(dOutput, input: x, weight: weight, stride: stride, padding: padding,
                                           needInput: false, needWeight: true).dWeight
        }
    }
    return (dInput, dWeight, dBias)
}

/// The input gradient (GEMM into columns, col2im) and the weight gradient (im2col, GEMM) through column
/// matrices, for any shape, in one pass over the images.
func conv2dIm2colBackward(
    _ dOutput: Tensor, input x: Tensor, weight: Tensor, stride: Int, padding: Int, needInput: Bool, needWeight: Bool
) -> (dInput: Tensor?, dWeight: Tensor?) {
    let (N, Cout, k) = (x.n, weight.shape[0], weight.shape[2])
    let g = ConvGeometry(channels: x.c, height: x.h, width: x.w, kernel: k, stride: stride, padding: padding)
    var dInput: Tensor? = needInput ? Tensor(uninitializedShape: x.shape) : nil
    var dWeight: Tensor? = needWeight ? Tensor(shape: weight.shape) : nil
    var cols = Tensor(uninitializedShape: [g.patchSize, g.outPixels])
    let P = g.outPixels, K = g.patchSize, imageSize = x.c * x.h * x.w
    dOutput.withUnsafeBufferPointer { dyp in
    cols.withUnsafeMutableBufferPointer { cp in
        for i in 0..<N {
            let dy = dyp.baseAddress! + i * Cout * P
            if needWeight {
                x.withUnsafeBufferPointer { im2col($0.baseAddress! + i * imageSize, g, into: cp.baseAddress!) }
                dWeight!.withUnsafeMutableBufferPointer { dwp in
                    sgemm(transB: true, m: Cout, n: K, k: P, a: dy, b: cp.baseAddress!, beta: 1, c: dwp.baseAddress!)
                }
            }
            if needInput {
                weight.withUnsafeBufferPointer { wp in
                    sgemm(transA: true, m: K, n: P, k: Cout, a: wp.baseAddress!, b: dy, c: cp.baseAddress!)
                }
                dInput!.withUnsafeMutableBufferPointer { dxp in
                    col2im(cp.baseAddress!, g, into: dxp.baseAddress! + i * imageSize)
                }
            }
        }
    }}
    return (dInput, dWeight)
}

/// w [Cout, Cin, k, k] → [Cin, Cout, k, k] rotated by 180°: the weights of the adjoint (stride 1) convolution.
func flippedTransposed(_ w: Tensor) -> Tensor {
    let (Cout, Cin, k) = (w.shape[0], w.shape[1], w.shape[2])
    var out = Tensor(uninitializedShape: [Cin, Cout, k, k])
    w.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
        for o in 0..<Cout { for i in 0..<Cin { for ky in 0..<k { for kx in 0..<k {
            dst[((i * Cout + o) * k + (k - 1 - ky)) * k + (k - 1 - kx)] = src[((o * Cin + i) * k + ky) * k + kx]
        }}}}
    }}
    return out
}

// MARK: - Transposed convolution

/// The output size of a transposed convolution, as PyTorch's ConvTranspose2d.
public func convTransposeOutputSize(_ input: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int) -> Int {
    (input - 1) * stride - 2 * padding + kernel + outputPadding
}

/// x [N, Cin, H, W], weight [Cin, Cout, k, k], bias [Cout]? → [N, Cout, Ho, Wo] with
/// Ho = (H − 1)·s − 2p + k + outputPadding. The adjoint of a convolution [Cout, Ho, Wo] → [Cin, H, W].
public func convTranspose2dForward(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int,
                                   outputPadding: Int) -> Tensor {
    let (N, Cin, Cout, k) = (x.n, x.c, weight.shape[1], weight.shape[2])
    precondition(weight.shape[0] == Cin, "transposed conv weight \(weight.shape) does not take \(Cin) channels")
    let (x, weight) = (productOperand(x), productOperand(weight))
    let Ho = convTransposeOutputSize(x.h, kernel: k, stride: stride, padding: padding, outputPadding: outputPadding)
    let Wo = convTransposeOutputSize(x.w, kernel: k, stride: stride, padding: padding, outputPadding: outputPadding)
    let g = ConvGeometry(channels: Cout, height: Ho, width: Wo, kernel: k, stride: stride, padding: padding)
    precondition(g.outHeight == x.h && g.outWidth == x.w, "inconsistent transposed convolution geometry")
    var y = Tensor(uninitializedShape: [N, Cout, Ho, Wo])
    let slab = columnSlabRows(g)   // rows of x (the output rows of the convolution this is the adjoint of)
    var cols = Tensor(uninitializedShape: [g.patchSize, slab * g.outWidth])
    x.withUnsafeBufferPointer { xp in
    weight.withUnsafeBufferPointer { wp in
    y.withUnsafeMutableBufferPointer { yp in
    cols.withUnsafeMutableBufferPointer { cp in
        for i in 0..<N {
            let image = yp.baseAddress! + i * Cout * Ho * Wo
            let whole = slab == g.outHeight
            if !whole { image.update(repeating: 0, count: Cout * Ho * Wo) }
            for top in Swift.stride(from: 0, to: g.outHeight, by: slab) {
                let rows = top..<min(top + slab, g.outHeight)
                sgemm(transA: true, m: g.patchSize, n: rows.count * g.outWidth, k: Cin, a: wp.baseAddress!,
                      b: xp.baseAddress! + i * Cin * g.outPixels + top * g.outWidth, ldb: g.outPixels, c: cp.baseAddress!)
                col2im(cp.baseAddress!, g, rows: whole ? nil : rows, into: image)
            }
        }
    }}}}
    if let bias { addChannelBias(&y, bias) }
    return y
}

/// dOutput [N, Cout, Ho, Wo] → dInput [N, Cin, H, W], dWeight [Cin, Cout, k, k], dBias [Cout].
public func convTranspose2dBackward(
    _ dOutput: Tensor, input x: Tensor, weight: Tensor, stride: Int, padding: Int,
    needInput: Bool, needWeight: Bool, needBias: Bool
) -> (dInput: Tensor?, dWeight: Tensor?, dBias: Tensor?) {
    let (N, Cin, Cout, k) = (x.n, x.c, weight.shape[1], weight.shape[2])
    let g = ConvGeometry(channels: Cout, height: dOutput.h, width: dOutput.w, kernel: k, stride: stride,
                         padding: padding)
    let P = g.outPixels, K = g.patchSize, outSize = Cout * dOutput.h * dOutput.w
    let dBias = needBias ? channelSums(dOutput) : nil   // of the f32 gradient, as conv2dBackward's
    let dOutput = productOperand(dOutput)
    let x = needWeight ? productOperand(x) : x, weight = needInput ? productOperand(weight) : weight
    var dInput: Tensor? = needInput ? Tensor(uninitializedShape: x.shape) : nil
    var dWeight: Tensor? = needWeight ? Tensor(shape: weight.shape) : nil
    if needInput || needWeight {
        var cols = Tensor(uninitializedShape: [K, P])
        dOutput.withUnsafeBufferPointer { dyp in
        cols.withUnsafeMutableBufferPointer { cp in
            for i in 0..<N {
                im2col(dyp.baseAddress! + i * outSize, g, into: cp.baseAddress!)
                if needInput {
                    weight.withUnsafeBufferPointer { wp in
                    dInput!.withUnsafeMutableBufferPointer { dxp in
                        sgemm(m: Cin, n: P, k: K, a: wp.baseAddress!, b: cp.baseAddress!,
                              c: dxp.baseAddress! + i * Cin * P)
                    }}
                }
                if needWeight {
                    x.withUnsafeBufferPointer { xp in
                    dWeight!.withUnsafeMutableBufferPointer { dwp in
                        sgemm(transB: true, m: Cin, n: K, k: P, a: xp.baseAddress! + i * Cin * P,
                              b: cp.baseAddress!, beta: 1, c: dwp.baseAddress!)
                    }}
                }
            }
        }}
    }
    return (dInput, dWeight, dBias)
}

// MARK: - Bias helpers

/// y[n, c, :, :] += bias[c]
func addChannelBias(_ y: inout Tensor, _ bias: Tensor) {
    let (N, C, HW) = (y.n, y.c, y.h * y.w)
    precondition(bias.count == C, "bias of \(bias.count) values for \(C) channels")
    let b = bias.scalars
    y.withUnsafeMutableBufferPointer { yp in
        let ys = Unchecked(yp.baseAddress!)
        parallelChunks(N * C, costPerItem: HW) { planes in
            for i in planes {
                let value = b[i % C], row = ys.value + i &* HW
                for j in 0..<HW { row[j] += value }
            }
        }
    }
}

/// Σ over n, h, w of t[n, c, h, w] → [C]. Each plane's sum on the kernel threads, then the planes added in
/// order: the same bits whatever the threads.
public func channelSums(_ t: Tensor) -> Tensor {
    let (N, C, HW) = (t.n, t.c, t.h * t.w)
    var planeSums = [Float](repeating: 0, count: N * C)
    t.withUnsafeBufferPointer { tp in
    planeSums.withUnsafeMutableBufferPointer { sp in
        let (ts, ss) = (Unchecked(tp.baseAddress!), Unchecked(sp.baseAddress!))
        parallelChunks(N * C, costPerItem: HW) { planes in
            for i in planes { ss.value[i] = sum(UnsafeBufferPointer(start: ts.value + i &* HW, count: HW)) }
        }
    }}
    var out = Tensor(shape: [C])
    out.withUnsafeMutableBufferPointer { op in
        for i in 0..<N * C { op[i % C] += planeSums[i] }
    }
    return out
}
