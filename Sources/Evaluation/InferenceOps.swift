import Tensor

// Forward-only operations of the FID Inception network, on feature maps in the layout [C, N, H, W]
// (channel-major): a 1×1 convolution over a batch is then one GEMM with the images side by side, and
// concatenating branches along channels is appending storage. Geometry follows PyTorch's Conv2d, MaxPool2d
// and avg_pool2d (floor mode); the values are checked against direct loops (EvaluationTests/OpsTests) and
// the whole network against pytorch-fid (InceptionTests).

/// A batch of feature maps, stored [channels, images, height, width].
struct FeatureMaps {
    var values: Tensor
    var channels: Int { values.shape[0] }
    var images: Int { values.shape[1] }
    var height: Int { values.shape[2] }
    var width: Int { values.shape[3] }

    init(_ values: Tensor) {
        precondition(values.shape.count == 4, "feature maps are [C, N, H, W], got \(values.shape)")
        self.values = values
    }

    init(channels: Int, images: Int, height: Int, width: Int) {
        values = Tensor(uninitializedShape: [channels, images, height, width])
    }
}

/// The geometry of one convolution: a kernel of kh × kw, one stride for both axes, zero padding per axis.
struct ConvShape: Equatable, Sendable {
    let inChannels: Int, outChannels: Int
    let kernel: (height: Int, width: Int)
    let stride: Int
    let padding: (height: Int, width: Int)

    static func == (a: ConvShape, b: ConvShape) -> Bool {
        a.inChannels == b.inChannels && a.outChannels == b.outChannels && a.kernel == b.kernel
            && a.stride == b.stride && a.padding == b.padding
    }

    func outSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding.height - kernel.height) / stride + 1,
         (width + 2 * padding.width - kernel.width) / stride + 1)
    }
}

/// Columns of the im2col matrix a chunk of images may take at once: 8 Mi floats (32 MiB), so that the
/// 147² layers at the start do not build a matrix of hundreds of MiB for a batch.
private let columnBudget = 1 << 23

/// y = ReLU(W ⊛ x + b), W [Cout, Cin·kh·kw] (ordered like a PyTorch weight [Cout, Cin, kh, kw]), b [Cout].
func convReLU(_ x: FeatureMaps, _ shape: ConvShape, weight: Tensor, bias: [Float]) -> FeatureMaps {
    precondition(x.channels == shape.inChannels, "convolution of \(shape.inChannels) channels got \(x.channels)")
    let (Ho, Wo) = shape.outSize(height: x.height, width: x.width)
    let N = x.images, P = Ho * Wo, K = shape.inChannels * shape.kernel.height * shape.kernel.width
    var y = FeatureMaps(channels: shape.outChannels, images: N, height: Ho, width: Wo)
    let pointwise = shape.kernel == (1, 1) && shape.stride == 1 && shape.padding == (0, 0)
    y.values.withUnsafeMutableBufferPointer { out in
        weight.withUnsafeBufferPointer { w in
            x.values.withUnsafeBufferPointer { input in
                if pointwise {
                    sgemm(m: shape.outChannels, n: N * P, k: K, a: w.baseAddress!, b: input.baseAddress!,
                          c: out.baseAddress!)
                    return
                }
                let chunk = max(1, min(N, columnBudget / max(1, K * P)))
                let columns = UnsafeMutablePointer<Float>.allocate(capacity: K * chunk * P)
                defer { columns.deallocate() }
                for first in stride(from: 0, to: N, by: chunk) {
                    let images = first..<min(N, first + chunk)
                    im2col(input.baseAddress!, x, shape, images: images, into: columns)
                    sgemm(m: shape.outChannels, n: images.count * P, k: K, a: w.baseAddress!, b: columns,
                          c: out.baseAddress! + first * P, ldc: N * P)
                }
            }
        }
        let o = Unchecked(out.baseAddress!), count = N * P
        parallelChunks(shape.outChannels, costPerItem: count) { channels in
            for c in channels {
                let row = o.value + c * count, b = bias[c]
                for i in 0..<count { row[i] = max(row[i] + b, 0) }
            }
        }
    }
    return y
}

/// im2col of `images` of x into columns [Cin·kh·kw, images.count·Ho·Wo], zero outside the image.
private func im2col(_ input: UnsafePointer<Float>, _ x: FeatureMaps, _ shape: ConvShape, images: Range<Int>,
                    into columns: UnsafeMutablePointer<Float>) {
    let (H, W, N) = (x.height, x.width, x.images)
    let (kh, kw, s) = (shape.kernel.height, shape.kernel.width, shape.stride)
    let (ph, pw) = (shape.padding.height, shape.padding.width)
    let (Ho, Wo) = shape.outSize(height: H, width: W)
    let rowLength = images.count * Ho * Wo
    let src = Unchecked(input), dst = Unchecked(columns)
    parallelChunks(shape.inChannels, costPerItem: kh * kw * rowLength) { channels in
        for c in channels {
            for ky in 0..<kh {
                for kx in 0..<kw {
                    // The output columns whose input column ix = ox·s − pw + kx lies inside [0, W).
                    let oxLo = min(Wo, max(0, (pw - kx + s - 1) / s)), oxHi = max(oxLo, min(Wo, (W - 1 + pw - kx) / s + 1))
                    var row = dst.value + ((c * kh + ky) * kw + kx) * rowLength
                    for n in images {
                        let plane = src.value + (c * N + n) * H * W
                        for oy in 0..<Ho {
                            let iy = oy * s - ph + ky
                            if iy < 0 || iy >= H || oxLo == oxHi {
                                row.update(repeating: 0, count: Wo)
                            } else {
                                let line = plane + iy * W - pw + kx   // line[ox·s] is input column ox·s − pw + kx
                                row.update(repeating: 0, count: oxLo)
                                if s == 1 {
                                    (row + oxLo).update(from: line + oxLo, count: oxHi - oxLo)
                                } else {
                                    for ox in oxLo..<oxHi { row[ox] = line[ox * s] }
                                }
                                (row + oxHi).update(repeating: 0, count: Wo - oxHi)
                            }
                            row += Wo
                        }
                    }
                }
            }
        }
    }
}

/// How a pooling window combines its values.
enum Pooling {
    /// The maximum; padding never wins (PyTorch pads max pooling with −∞).
    case max
    /// The mean of the values inside the image (avg_pool2d with count_include_pad=False, as pytorch-fid's
    /// FID blocks patch it to match TensorFlow's average pool).
    case averageOfInside
}

/// k × k pooling with stride s and padding p on every plane, floor mode. Separable: each row's windows
/// first, then each column's, since a window's max (or sum) is the max (sum) of its rows' maxima (sums);
/// averages divide by the number of pixels of the window inside the image.
func pool(_ x: FeatureMaps, _ kind: Pooling, kernel k: Int, stride s: Int, padding p: Int) -> FeatureMaps {
    let (H, W) = (x.height, x.width)
    let Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1
    var y = FeatureMaps(channels: x.channels, images: x.images, height: Ho, width: Wo)
    // The window of output o along an axis of length n: input positions lo..<hi.
    func windows(_ outputs: Int, _ n: Int) -> [Range<Int>] {
        (0..<outputs).map { o in max(0, o * s - p)..<min(n, o * s - p + k) }
    }
    let columns = windows(Wo, W), rows = windows(Ho, H)
    x.values.withUnsafeBufferPointer { input in
        y.values.withUnsafeMutableBufferPointer { output in
            let src = Unchecked(input.baseAddress!), dst = Unchecked(output.baseAddress!)
            parallelChunks(x.channels * x.images, costPerItem: H * Wo * k + Ho * Wo * k) { planes in
                let across = UnsafeMutablePointer<Float>.allocate(capacity: H * Wo)   // [H, Wo]: rows pooled
                defer { across.deallocate() }
                for plane in planes {
                    let from = src.value + plane * H * W, to = dst.value + plane * Ho * Wo
                    switch kind {   // one loop per kind, so that the compiler sees a plain max or sum
                    case .max: poolPlane(from, to, across, W, Wo, rows, columns, Maximum.self)
                    case .averageOfInside:
                        poolPlane(from, to, across, W, Wo, rows, columns, Sum.self)
                        for (oy, window) in rows.enumerated() {
                            for (ox, column) in columns.enumerated() { to[oy * Wo + ox] /= Float(window.count * column.count) }
                        }
                    }
                }
            }
        }
    }
    return y
}

/// How a window's values combine, as a type: the generic `poolPlane` is then specialised to a plain max or
/// sum that vectorises (a closure would be called per value).
private protocol Combination { static func combine(_ a: Float, _ b: Float) -> Float }
private enum Maximum: Combination { @inline(__always) static func combine(_ a: Float, _ b: Float) -> Float { max(a, b) } }
private enum Sum: Combination { @inline(__always) static func combine(_ a: Float, _ b: Float) -> Float { a + b } }

private func poolPlane<C: Combination>(_ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>,
                                       _ across: UnsafeMutablePointer<Float>, _ W: Int, _ Wo: Int,
                                       _ rows: [Range<Int>], _ columns: [Range<Int>], _: C.Type) {
    let combine = C.combine
    // Windows of three inside the row (Inception's every pool) unrolled: the loop then vectorises.
    let full = columns.indices.filter { columns[$0].count == 3 }
    let inner = full.count == columns.count || (full.last.map { $0 - full[0] + 1 } == full.count) ? full : []
    let step = inner.count > 1 ? columns[inner[1]].lowerBound - columns[inner[0]].lowerBound : 1
    for iy in 0..<(rows.last!.upperBound) {
        let line = from + iy * W, out = across + iy * Wo
        for (ox, window) in columns.enumerated() where inner.isEmpty || ox < inner[0] || ox > inner.last! {
            var v = line[window.lowerBound]
            for ix in (window.lowerBound + 1)..<window.upperBound { v = combine(v, line[ix]) }
            out[ox] = v
        }
        if let first = inner.first {
            let start = line + columns[first].lowerBound
            for (i, ox) in (first...inner.last!).enumerated() {
                let a = start + i * step
                out[ox] = combine(combine(a[0], a[1]), a[2])
            }
        }
    }
    for (oy, window) in rows.enumerated() {
        let out = to + oy * Wo
        out.update(from: across + window.lowerBound * Wo, count: Wo)
        for iy in (window.lowerBound + 1)..<window.upperBound {
            let line = across + iy * Wo
            for ox in 0..<Wo { out[ox] = combine(out[ox], line[ox]) }
        }
    }
}

/// The branches stacked along channels, in order (torch.cat(_, 1)).
func concatenate(_ parts: [FeatureMaps]) -> FeatureMaps {
    let first = parts[0]
    precondition(parts.allSatisfy { $0.images == first.images && $0.height == first.height && $0.width == first.width },
                 "concatenated branches differ in size")
    var y = FeatureMaps(channels: parts.reduce(0) { $0 + $1.channels }, images: first.images,
                        height: first.height, width: first.width)
    y.values.withUnsafeMutableBufferPointer { out in
        var offset = 0
        for part in parts {
            part.values.withUnsafeBufferPointer { (out.baseAddress! + offset).update(from: $0.baseAddress!, count: $0.count) }
            offset += part.values.count
        }
    }
    return y
}

/// The mean of each plane: [C, N, H, W] → [N, C] (AdaptiveAvgPool2d(1), then one row per image).
func globalAverage(_ x: FeatureMaps) -> Tensor {
    let (C, N, P) = (x.channels, x.images, x.height * x.width)
    var y = Tensor(uninitializedShape: [N, C])
    x.values.withUnsafeBufferPointer { input in
        y.withUnsafeMutableBufferPointer { out in
            for c in 0..<C {
                for n in 0..<N {
                    let plane = input.baseAddress! + (c * N + n) * P
                    var sum: Float = 0
                    for i in 0..<P { sum += plane[i] }
                    out[n * C + c] = sum / Float(P)
                }
            }
        }
    }
    return y
}

/// Bilinear resampling of image [C, H, W] to [C, height, width] as PyTorch's F.interpolate(mode="bilinear",
/// align_corners=False) computes it (no antialiasing): the source of output pixel o is (o + ½)·in/out − ½,
/// clamped at 0, in float.
public func resizeBilinear(_ image: Tensor, height: Int, width: Int) -> Tensor {
    let (C, H, W) = (image.shape[0], image.shape[1], image.shape[2])
    let rows = bilinearTaps(from: H, to: height), cols = bilinearTaps(from: W, to: width)
    var out = Tensor(uninitializedShape: [C, height, width])
    image.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for c in 0..<C {
                let plane = src.baseAddress! + c * H * W
                for (oy, r) in rows.enumerated() {
                    let top = plane + r.index * W, bottom = plane + (r.index + r.step) * W
                    for (ox, q) in cols.enumerated() {
                        let upper = q.keep * top[q.index] + q.take * top[q.index + q.step]
                        let lower = q.keep * bottom[q.index] + q.take * bottom[q.index + q.step]
                        dst[(c * height + oy) * width + ox] = r.keep * upper + r.take * lower
                    }
                }
            }
        }
    }
    return out
}

/// For each output position: the first source index, the step to the second (0 at the last), and the weights.
private func bilinearTaps(from input: Int, to output: Int) -> [(index: Int, step: Int, keep: Float, take: Float)] {
    let scale = Float(input) / Float(output)
    return (0..<output).map { o in
        let source = max(scale * (Float(o) + 0.5) - 0.5, 0)
        let index = Int(source)
        let take = source - Float(index)
        return (index, index < input - 1 ? 1 : 0, 1 - take, take)
    }
}
