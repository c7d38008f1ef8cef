import Foundation
import Tensor
import Testing
@testable import Evaluation

/// The Inception network's forward ops against direct loops written from PyTorch's definitions.
@Suite("Inference ops")
struct OpsTests {
    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var state = seed
        let values = (0..<shape.reduce(1, *)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001) / 1000 - 1
        }
        return Tensor(shape: shape, values: values)
    }

    /// y[o, n, oy, ox] = ReLU(b[o] + Σ w[o, c, ky, kx] · x[c, n, oy·s − ph + ky, ox·s − pw + kx]).
    static func directConv(_ x: FeatureMaps, _ shape: ConvShape, _ w: Tensor, _ b: [Float]) -> [Float] {
        let (C, N, H, W) = (x.channels, x.images, x.height, x.width)
        let (kh, kw) = (shape.kernel.height, shape.kernel.width)
        let (Ho, Wo) = shape.outSize(height: H, width: W)
        var y = [Float]()
        for o in 0..<shape.outChannels { for n in 0..<N { for oy in 0..<Ho { for ox in 0..<Wo {
            var sum = b[o]
            for c in 0..<C { for ky in 0..<kh { for kx in 0..<kw {
                let iy = oy * shape.stride - shape.padding.height + ky, ix = ox * shape.stride - shape.padding.width + kx
                if iy >= 0 && iy < H && ix >= 0 && ix < W {
                    sum += w[o, (c * kh + ky) * kw + kx] * x.values[c, n, iy, ix]
                }
            }}}
            y.append(max(sum, 0))
        }}}}
        return y
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test("convolutions of Inception's shapes (1×7, 7×1, 3×3 stride 2, 5×5, 1×1) equal the direct loop",
          arguments: [((1, 7), 1, (0, 3)), ((7, 1), 1, (3, 0)), ((3, 3), 2, (0, 0)), ((5, 5), 1, (2, 2)),
                      ((1, 1), 1, (0, 0)), ((3, 1), 1, (1, 0)), ((3, 3), 1, (1, 1))] as [((Int, Int), Int, (Int, Int))])
    func convolution(kernel: (Int, Int), stride: Int, padding: (Int, Int)) {
        let shape = ConvShape(inChannels: 5, outChannels: 6, kernel: kernel, stride: stride, padding: padding)
        let x = FeatureMaps(Self.random([5, 3, 11, 9], seed: 1))
        let w = Self.random([6, 5 * kernel.0 * kernel.1], seed: 2)
        let b = Self.random([6], seed: 3).scalars
        let y = convReLU(x, shape, weight: w, bias: b)
        let (Ho, Wo) = shape.outSize(height: 11, width: 9)
        #expect(y.values.shape == [6, 3, Ho, Wo])
        let difference = Self.maxDifference(y.values.scalars, Self.directConv(x, shape, w, b))
        #expect(difference < 1e-5, "max difference \(difference)")
    }

    @Test("a kernel read transposed (7×1 for 1×7) fails the same comparison (the check can fail)")
    func convolutionCheckCanFail() {
        let right = ConvShape(inChannels: 4, outChannels: 3, kernel: (1, 7), stride: 1, padding: (0, 3))
        let wrong = ConvShape(inChannels: 4, outChannels: 3, kernel: (7, 1), stride: 1, padding: (3, 0))
        let x = FeatureMaps(Self.random([4, 2, 9, 9], seed: 4))
        let w = Self.random([3, 28], seed: 5), b: [Float] = [0.1, 0.2, 0.3]
        #expect(right.outSize(height: 9, width: 9) == wrong.outSize(height: 9, width: 9))
        let difference = Self.maxDifference(convReLU(x, wrong, weight: w, bias: b).values.scalars,
                                            Self.directConv(x, right, w, b))
        #expect(difference > 0.1)
    }

    @Test("images split into im2col chunks give the same convolution as one chunk")
    func chunkedColumns() {
        // 64 channels × 9 taps × 128² pixels is past the column budget: four images go in several chunks.
        let shape = ConvShape(inChannels: 64, outChannels: 4, kernel: (3, 3), stride: 1, padding: (1, 1))
        let x = FeatureMaps(Self.random([64, 4, 128, 128], seed: 6))
        let w = Self.random([4, 576], seed: 7), b: [Float] = [0, 0, 0, 0]
        let all = convReLU(x, shape, weight: w, bias: b).values.scalars
        let plane = 128 * 128
        for n in [0, 3] {
            var single = [Float]()
            for c in 0..<64 { single += x.values.scalars[(c * 4 + n) * plane ..< (c * 4 + n + 1) * plane] }
            let alone = convReLU(FeatureMaps(Tensor(shape: [64, 1, 128, 128], values: single)), shape, weight: w, bias: b)
            var expected = [Float]()
            for o in 0..<4 { expected += all[(o * 4 + n) * plane ..< (o * 4 + n + 1) * plane] }
            #expect(Self.maxDifference(alone.values.scalars, expected) < 1e-4)
        }
    }

    static func directPool(_ x: FeatureMaps, _ kind: Pooling, k: Int, s: Int, p: Int) -> [Float] {
        let (H, W) = (x.height, x.width)
        let Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1
        var y = [Float]()
        for c in 0..<x.channels { for n in 0..<x.images { for oy in 0..<Ho { for ox in 0..<Wo {
            var inside = [Float]()
            for ky in 0..<k { for kx in 0..<k {
                let iy = oy * s - p + ky, ix = ox * s - p + kx
                if iy >= 0 && iy < H && ix >= 0 && ix < W { inside.append(x.values[c, n, iy, ix]) }
            }}
            y.append(kind == .max ? inside.max()! : inside.reduce(0, +) / Float(inside.count))
        }}}}
        return y
    }

    @Test("max pooling (3, stride 2; 3, stride 1, padding 1) and average pooling without the padding equal the direct loop")
    func pooling() {
        let x = FeatureMaps(Self.random([3, 2, 9, 8], seed: 8))
        for (kind, s, p) in [(Pooling.max, 2, 0), (.max, 1, 1), (.averageOfInside, 1, 1), (.averageOfInside, 2, 0)] {
            let y = pool(x, kind, kernel: 3, stride: s, padding: p)
            #expect(Self.maxDifference(y.values.scalars, Self.directPool(x, kind, k: 3, s: s, p: p)) < 1e-6)
        }
        // count_include_pad=True would divide a corner by 9, not 4: a different number.
        let corner = pool(x, .averageOfInside, kernel: 3, stride: 1, padding: 1).values[0, 0, 0, 0]
        let padded = (x.values[0, 0, 0, 0] + x.values[0, 0, 0, 1] + x.values[0, 0, 1, 0] + x.values[0, 0, 1, 1]) / 9
        #expect(abs(corner - padded) > 1e-3)
    }

    @Test("concatenation stacks channels; the global average is each plane's mean")
    func concatenationAndAverage() {
        let a = FeatureMaps(Self.random([2, 3, 4, 5], seed: 9)), b = FeatureMaps(Self.random([1, 3, 4, 5], seed: 10))
        let c = concatenate([a, b])
        #expect(c.values.shape == [3, 3, 4, 5])
        #expect(c.values[2, 1, 3, 4] == b.values[0, 1, 3, 4] && c.values[1, 2, 0, 0] == a.values[1, 2, 0, 0])
        let mean = globalAverage(c)
        #expect(mean.shape == [3, 3])
        var sum: Float = 0
        for y in 0..<4 { for x in 0..<5 { sum += c.values[2, 1, y, x] } }
        #expect(abs(mean[1, 2] - sum / 20) < 1e-6)
    }

    @Test("bilinear resize equals PyTorch's align_corners=False formula, up and down, and is the identity at the same size")
    func bilinear() {
        let image = Self.random([2, 5, 7], seed: 11)
        #expect(resizeBilinear(image, height: 5, width: 7).scalars == image.scalars)
        for (h, w) in [(12, 9), (3, 4), (299, 299)] {
            let y = resizeBilinear(image, height: h, width: w)
            func source(_ o: Int, _ input: Int, _ output: Int) -> (Int, Int, Float) {
                let s = max(Float(input) / Float(output) * (Float(o) + 0.5) - 0.5, 0)   // PyTorch: scale · (o + ½) − ½
                let i = min(Int(s.rounded(.down)), input - 1)
                return (i, min(i + 1, input - 1), s - Float(i))
            }
            var worst: Float = 0
            for c in 0..<2 { for oy in 0..<h { for ox in 0..<w {
                let (y0, y1, ty) = source(oy, 5, h), (x0, x1, tx) = source(ox, 7, w)
                let top = image[c, y0, x0] * (1 - tx) + image[c, y0, x1] * tx
                let bottom = image[c, y1, x0] * (1 - tx) + image[c, y1, x1] * tx
                worst = max(worst, abs(y[c, oy, ox] - (top * (1 - ty) + bottom * ty)))
            }}}
            #expect(worst < 1e-6, "\(h)×\(w): \(worst)")
        }
    }
}
