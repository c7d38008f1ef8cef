import Foundation
import Tensor

/// Bicubic resampling as PIL's `Image.resize(…, BICUBIC)` (a = −0.5, the filter widened by the scale
/// factor when shrinking, so that downscaling averages instead of aliasing).
/// image [C, H, W] → [C, height, width]
public func resizeBicubic(_ image: Tensor, height: Int, width: Int) -> Tensor {
    let (C, H, W) = (image.shape[0], image.shape[1], image.shape[2])
    if H == height && W == width { return image }
    let xs = resampleWeights(from: W, to: width), ys = resampleWeights(from: H, to: height)
    // Horizontal pass: [C, H, W] → [C, H, width]
    var wide = Tensor(uninitializedShape: [C, H, width])
    image.withUnsafeBufferPointer { src in
    wide.withUnsafeMutableBufferPointer { dst in
        for row in 0..<C * H {
            let s = src.baseAddress! + row * W, d = dst.baseAddress! + row * width
            for (j, taps) in xs.enumerated() {
                var acc: Float = 0
                for (k, w) in taps.weights.enumerated() { acc += s[taps.start + k] * w }
                d[j] = acc
            }
        }
    }}
    // Vertical pass: [C, H, width] → [C, height, width]
    var out = Tensor(shape: [C, height, width])
    wide.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
        for c in 0..<C {
            for (i, taps) in ys.enumerated() {
                let d = dst.baseAddress! + (c * height + i) * width
                for (k, w) in taps.weights.enumerated() {
                    let s = src.baseAddress! + (c * H + taps.start + k) * width
                    for j in 0..<width { d[j] += s[j] * w }
                }
            }
        }
    }}
    return out.map { min(max($0, 0), 1) }
}

private struct Taps { let start: Int; let weights: [Float] }

/// For each output coordinate, the first input index and normalised filter weights (PIL's precompute_coeffs).
private func resampleWeights(from input: Int, to output: Int) -> [Taps] {
    let scale = Double(input) / Double(output)
    let filterScale = max(scale, 1)
    let support = 2 * filterScale   // bicubic support 2
    return (0..<output).map { i in
        let center = (Double(i) + 0.5) * scale
        let lo = max(0, Int((center - support + 0.5).rounded(.down)))
        let hi = min(input, Int((center + support + 0.5).rounded(.down)))
        var weights = (lo..<hi).map { j in cubic((Double(j) - center + 0.5) / filterScale) }
        let total = weights.reduce(0, +)
        if total != 0 { weights = weights.map { $0 / total } }
        return Taps(start: lo, weights: weights.map(Float.init))
    }
}

private func cubic(_ x: Double) -> Double {
    let a = -0.5, x = abs(x)
    if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
    if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
    return 0
}

/// image [C, H, W] → [C, size, size] from (top, left)
public func crop(_ image: Tensor, top: Int, left: Int, height: Int, width: Int) -> Tensor {
    let (C, H, W) = (image.shape[0], image.shape[1], image.shape[2])
    precondition(top >= 0 && left >= 0 && top + height <= H && left + width <= W, "crop outside the image")
    var out = Tensor(uninitializedShape: [C, height, width])
    image.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
        for c in 0..<C {
            for i in 0..<height {
                (dst.baseAddress! + (c * height + i) * width)
                    .update(from: src.baseAddress! + (c * H + top + i) * W + left, count: width)
            }
        }
    }}
    return out
}

/// Mirrors an image [C, H, W] left to right.
public func flipHorizontally(_ image: Tensor) -> Tensor {
    let (C, H, W) = (image.shape[0], image.shape[1], image.shape[2])
    var out = Tensor(uninitializedShape: image.shape)
    image.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
        for row in 0..<C * H {
            for j in 0..<W { dst[row * W + j] = src[row * W + W - 1 - j] }
        }
    }}
    return out
}
