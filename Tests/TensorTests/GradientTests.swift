import Testing
@testable import Tensor

/// Every differentiable op against finite differences (oracle: `gradientCheckError`, tolerance 1e-2
/// relative on random directional derivatives; float32 forwards limit the precision).
@Suite("Gradient checks")
struct GradientTests {
    let tolerance = 1e-2

    func expectGradients(_ name: String, _ inputs: [Tensor], epsilon: Float = 1e-2, _ f: ([Variable]) -> Variable) {
        let err = gradientCheckError(inputs, epsilon: epsilon, f)
        print("gradient check \(name): worst relative error \(err)")
        #expect(err < tolerance, "\(name): relative error \(err)")
    }

    @Test("conv2d: 3×3 stride 1 pad 1, odd sizes, with bias")
    func conv3x3() {
        expectGradients("conv 3x3 s1", [randn([2, 3, 7, 5], seed: 1), randn([4, 3, 3, 3], seed: 2), randn([4], seed: 3)]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: 1, padding: 1)
        }
    }

    @Test("conv2d: 3×3 stride 2 pad 1 on odd sizes")
    func conv3x3Stride2() {
        expectGradients("conv 3x3 s2", [randn([1, 3, 7, 9], seed: 4), randn([5, 3, 3, 3], seed: 5), randn([5], seed: 6)]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1)
        }
    }

    @Test("conv2d: 4×4 stride 2 pad 1 (PatchGAN) and 7×7 without padding or bias")
    func conv4x4And7x7() {
        expectGradients("conv 4x4 s2", [randn([1, 2, 8, 9], seed: 7), randn([3, 2, 4, 4], seed: 8), randn([3], seed: 9)]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1)
        }
        expectGradients("conv 7x7", [randn([1, 2, 9, 8], seed: 10), randn([3, 2, 7, 7], seed: 11)]) {
            conv2d($0[0], weight: $0[1], bias: nil, stride: 1, padding: 0)
        }
    }

    @Test("transposed conv2d: stride 2, pad 1, output_padding 1 and 0")
    func convTranspose() {
        expectGradients("convT op1", [randn([2, 4, 3, 5], seed: 12), randn([4, 3, 3, 3], seed: 13), randn([3], seed: 14)]) {
            convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
        }
        expectGradients("convT op0", [randn([1, 3, 4, 3], seed: 15), randn([3, 2, 3, 3], seed: 16)]) {
            convTranspose2d($0[0], weight: $0[1], bias: nil, stride: 2, padding: 1, outputPadding: 0)
        }
    }

    @Test("reflection pad 3 and 1")
    func reflectionPadding() {
        expectGradients("reflect 3", [randn([2, 2, 5, 4], seed: 17)]) { reflectionPad($0[0], 3) }
        expectGradients("reflect 1", [randn([1, 3, 3, 6], seed: 18)]) { reflectionPad($0[0], 1) }
    }

    @Test("instance norm, batch norm statistics, channel affine")
    func norms() {
        expectGradients("instance norm", [randn([2, 3, 5, 4], seed: 19)]) { instanceNorm($0[0]) }
        expectGradients("batch norm", [randn([3, 2, 4, 3], seed: 20)]) { normalize($0[0], groups: .batch).0 }
        expectGradients("channel affine", [randn([2, 3, 4, 4], seed: 21), randn([3], seed: 22), randn([3], seed: 23)]) {
            channelAffine($0[0], scale: $0[1], shift: $0[2])
        }
    }

    @Test("relu, leaky relu 0.2, tanh")
    func activations() {
        expectGradients("relu", [awayFromZero([2, 3, 4, 5], seed: 24)]) { relu($0[0]) }
        expectGradients("leaky relu", [awayFromZero([2, 3, 4, 5], seed: 25)]) { leakyRelu($0[0], slope: 0.2) }
        expectGradients("tanh", [randn([2, 3, 4, 5], seed: 26)]) { tanh($0[0]) }
    }

    @Test("add, scale, mean")
    func arithmetic() {
        expectGradients("add", [randn([2, 3, 4, 4], seed: 27), randn([2, 3, 4, 4], seed: 28)]) { $0[0] + $0[1] }
        expectGradients("scale", [randn([1, 2, 3, 3], seed: 29)]) { 2.5 * $0[0] }
        expectGradients("mean", [randn([1, 2, 3, 3], seed: 30)]) { mean($0[0]) }
    }

    @Test("L1, MSE and BCE-with-logits losses")
    func losses() {
        let a = randn([1, 2, 5, 5], seed: 31)
        let b = a + awayFromZero([1, 2, 5, 5], seed: 32)   // |a − b| ≥ 0.2: away from the kink of |·|
        expectGradients("l1", [a, b]) { l1Loss($0[0], $0[1]) }
        expectGradients("mse vs 1", [randn([1, 1, 6, 6], seed: 33)]) { mseLoss($0[0], target: 1) }
        expectGradients("mse vs 0", [randn([1, 1, 6, 6], seed: 34)]) { mseLoss($0[0], target: 0) }
        expectGradients("bce vs 1", [randn([1, 1, 6, 6], seed: 35)]) { bceWithLogitsLoss($0[0], target: 1) }
        expectGradients("bce vs 0", [randn([1, 1, 6, 6], seed: 36)]) { bceWithLogitsLoss($0[0], target: 0) }
    }

    @Test("a small network: pad → conv → norm → relu → convT → tanh, all inputs at once")
    func composed() {
        expectGradients("composed", [randn([1, 2, 6, 6], seed: 37), randn([4, 2, 3, 3], seed: 38, std: 0.3),
                                     randn([4, 3, 3, 3], seed: 39, std: 0.3)], epsilon: 1e-3) { v in
            // A smaller step: the relu sees normalised values, some near its kink.
            let h = relu(instanceNorm(conv2d(reflectionPad(v[0], 1), weight: v[1], bias: nil, stride: 2)))
            return tanh(convTranspose2d(h, weight: v[2], bias: nil, stride: 2, padding: 1, outputPadding: 1))
        }
    }
}

@Suite("Gradient checks: dropout and concatenation")
struct DropoutConcatGradientTests {
    @Test("channel concatenation, both inputs")
    func concatenation() {
        let err = gradientCheckError([randn([2, 3, 4, 5], seed: 40), randn([2, 2, 4, 5], seed: 41)]) { concatChannels($0[0], $0[1]) }
        print("gradient check concat: worst relative error \(err)")
        #expect(err < 1e-2)
        let y = concatChannelsForward(Tensor(shape: [1, 1, 1, 2], values: [1, 2]), Tensor(shape: [1, 2, 1, 2], values: [3, 4, 5, 6]))
        #expect(y.shape == [1, 3, 1, 2] && y.scalars == [1, 2, 3, 4, 5, 6])
    }

    @Test("batch concatenation and image slices, through a convolution that sees both halves")
    func batches() {
        let inputs = [randn([1, 3, 5, 5], seed: 43), randn([2, 3, 5, 5], seed: 44), randn([4, 3, 3, 3], seed: 45)]
        // Slices that overlap, summed: the middle image's gradient comes from both. Linear in each input, so
        // the central differences are exact up to rounding (through a tanh, the weight's third-order term alone
        // reached 17 % at ε = 1e-2).
        let err = gradientCheckError(inputs) { v in
            let both = conv2d(concatBatch(v[0], v[1]), weight: v[2], bias: nil, padding: 1)
            return images(both, 0..<2) + images(both, 1..<3)
        }
        print("gradient check batches: worst relative error \(err)")
        #expect(err < 1e-2)
        let t = Tape()
        let y = concatBatch(t.constant(Tensor(shape: [1, 2], values: [1, 2])), t.constant(Tensor(shape: [2, 2], values: [3, 4, 5, 6])))
        #expect(y.shape == [3, 2] && y.value.scalars == [1, 2, 3, 4, 5, 6])
        #expect(images(y, 1..<3).value.scalars == [3, 4, 5, 6] && images(y, 0..<1).shape == [1, 2])
    }

    @Test("dropout with fixed masks; the identity without masks")
    func dropoutGradient() {
        // The same seed for every evaluation: the finite differences see one mask.
        let err = gradientCheckError([randn([2, 3, 4, 5], seed: 42)]) { v in
            DropoutMasks.$current.withValue(DropoutMasks(generator: SeededGenerator(seed: 7))) { dropout(v[0], p: 0.5) }
        }
        print("gradient check dropout: worst relative error \(err)")
        #expect(err < 1e-2)
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [1, 1, 100, 100], repeating: 1))
        #expect(dropout(x, p: 0.5).value.scalars == x.value.scalars, "no masks: inference, nothing dropped")
        let y = DropoutMasks.$current.withValue(DropoutMasks(generator: SeededGenerator(seed: 8))) { dropout(x, p: 0.5) }.value.scalars
        let kept = y.filter { $0 != 0 }
        #expect(Set(kept) == [2], "kept elements are scaled by 1/(1 − p)")
        #expect(abs(Double(kept.count) / 10_000 - 0.5) < 0.02, "about half kept: \(kept.count) of 10000")
    }

    @Test("recorded masks are taken in call order, bit for bit")
    func recordedMasks() {
        let masks = DropoutMasks(counts: [3, 2], kept: [0b10110])
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [1, 1, 1, 3], values: [1, 2, 3])), z = tape.constant(Tensor(shape: [1, 1, 1, 2], values: [4, 5]))
        let (a, b) = DropoutMasks.$current.withValue(masks) { (dropout(x, p: 0.5), dropout(z, p: 0.5)) }
        #expect(a.value.scalars == [0, 4, 6] && b.value.scalars == [0, 10])
        #expect(masks.remainingCalls == 0)
    }
}
